"""Every input shape reads to the same data: the bundled YAML dataset converted to CSV, .xlsx, JSON and Parquet
gives the same assessments, and the published spreadsheet layout reads like the report's own tables."""

import json
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from export_helpers import long_rows, to_csv, to_xlsx, yaml_to_json
from lsprules.core.periods import parse_period
from lsprules.data.load import load_any
from lsprules.data.model import Missing
from lsprules.data.readers.csv_reader import load_csv_bytes
from lsprules.data.readers.json_reader import load_json_bytes
from lsprules.data.readers.xlsx_reader import load_xlsx
from lsprules.data.readers.yaml_reader import load_dataset
from lsprules.engine.interpreter import evaluate
from lsprules.lang.resolve import load_rules

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules" / "crime.rules"
YAML = ROOT / "datasets" / "redcar-cleveland-2007.yaml"


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The bundled dataset as YAML, CSV, .xlsx and JSON files."""
    folder = tmp_path_factory.mktemp("converted")
    dataset = load_dataset(YAML)
    (folder / "crime.csv").write_text(to_csv(dataset), encoding="utf-8")
    to_xlsx(dataset, folder / "crime.xlsx")
    (folder / "crime.json").write_text(yaml_to_json(YAML), encoding="utf-8")
    with duckdb.connect() as connection:  # the CSV's every column as text (VARCHAR), as a Parquet file
        connection.execute(f"COPY (FROM read_csv('{folder / 'crime.csv'}', header = true, all_varchar = true)) "
                           f"TO '{folder / 'crime.parquet'}' (FORMAT parquet)")
    return {"yaml": YAML, "csv": folder / "crime.csv", "xlsx": folder / "crime.xlsx", "json": folder / "crime.json",
            "parquet": folder / "crime.parquet"}


@pytest.mark.parametrize("kind", ["csv", "xlsx", "json", "parquet"])
def test_converted_dataset_gives_the_same_assessments(converted, kind):
    rules = load_rules(RULES)
    expected = evaluate(rules, load_any(converted["yaml"]))
    got = evaluate(rules, load_any(converted[kind]))
    assert got.assessments == expected.assessments
    assert [(t.area, t.rating, t.counts) for t in got.themes] == [(t.area, t.rating, t.counts) for t in expected.themes]
    assert len(expected.assessments) == 33 and any(a.discrepancies for a in expected.assessments)


@pytest.mark.parametrize("kind", ["csv", "xlsx", "json", "parquet"])
def test_converted_series_hold_the_same_data(converted, kind):
    original = load_any(converted["yaml"]).areas[0].series
    read = load_any(converted[kind]).areas[0].series
    for indicator, series in original.items():
        other = read[indicator]
        if series.values:  # a derived total has no values of its own; long form writes its printed totals only
            assert other.values == series.values, indicator
        assert other.fields == series.fields and other.method_breaks == series.method_breaks
        assert other.reported == series.reported, indicator


def test_cli_output_is_identical_for_every_format(converted):
    def assessments(path):
        result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", str(RULES), str(path), "-f", "json"],
                                capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["assessments"]

    expected = assessments(converted["yaml"])
    for kind in ("csv", "xlsx", "json", "parquet"):
        assert assessments(converted[kind]) == expected, kind


def test_long_rows_keep_status_breaks_and_reported_figures():
    rows = list(long_rows(load_dataset(YAML)))
    retained = [r for r in rows if r["indicator"] == "drug_treatment_retained_12wk"]
    assert retained[0]["status"] == "na" and retained[0]["value"] == ""
    assert retained[-1]["status"] == "break" and retained[-1]["note"].startswith("The NTA changed")
    kpi = [r for r in rows if r["indicator"] == "dip_kpi_1"]
    assert {r["field"] for r in kpi} == {"contacts", "assessed"} and kpi[0]["reported_value"] == D(55)


# --- the published layout --------------------------------------------------------------------------


def published_workbook(path: Path, rows: list[list], header=None) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "PSA1"
    sheet.append(header or ["area", "indicator", "title", 2002, 2003, 2004, 2005, 2006, "reported_arrow", "comments"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_published_layout_reads_cells_with_their_own_period(tmp_path):
    path = published_workbook(tmp_path / "psa1.xlsx", [
        ["Redcar & Cleveland", "theft_of_vehicle", "Theft of Vehicle", "N/A", "1029 (2003/04)", "721 (2004/05)",
         "640 (2005/06)", "547 (2006/07)", "▲", None],
        ["Redcar & Cleveland", "robbery", "Robbery", "N/A", "77 (2003/04)", "107 (2004/05)", "75 (2005/06)",
         "76 (2006/07)", "◀▶", "low numbers"],
    ])
    (area,) = load_xlsx(path).areas
    theft = area.series["theft_of_vehicle"]
    fy = parse_period
    # The N/A under the 2002 heading speaks of no financial year, so it is not an observation.
    assert theft.values == {fy("2003/04"): D(1029), fy("2004/05"): D(721), fy("2005/06"): D(640),
                            fy("2006/07"): D(547)}
    assert theft.reported.arrow == {fy("2006/07"): "up"}
    assert area.series["robbery"].reported.arrow == {fy("2006/07"): "static"}


def test_published_layout_with_period_headers_and_number_cells(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["area", "indicator", "field", "2005/06", "2006/07"])
    sheet.append(["North", "kpi", "contacts", 150, 160])
    sheet.append(["North", "kpi", "assessed", 80, 88])
    sheet.append(["North", "share", None, 0.72, 0.77])
    sheet.append(["North", "gone", None, "N/A", 5])
    sheet["D4"].number_format = "0%"
    sheet["E4"].number_format = "0.0%"
    sheet.append(["North", "gap", None, 2, -0.6])
    sheet["D6"].number_format = "0.0"
    workbook.save(tmp_path / "wide.xlsx")
    (area,) = load_xlsx(tmp_path / "wide.xlsx").areas
    fy = parse_period
    assert area.series["kpi"].fields == {"contacts": {fy("2005/06"): D(150), fy("2006/07"): D(160)},
                                         "assessed": {fy("2005/06"): D(80), fy("2006/07"): D(88)}}
    share = area.series["share"].values
    assert share[fy("2005/06")] == D(72) and str(share[fy("2006/07")]) == "77.0"  # as the sheet shows them
    assert str(area.series["gap"].values[fy("2005/06")]) == "2.0"  # the decimals shown are kept
    assert area.series["gone"].values == {fy("2005/06"): Missing.NA, fy("2006/07"): D(5)}


def test_long_form_workbook_reads_dates_and_text_periods(tmp_path):
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["area", "indicator", "period", "value", "status"])
    sheet.append(["North", "asb", dt.datetime(2006, 9, 1), 12, None])  # Excel turned 2006-09 into a date
    sheet.append(["North", "asb", "2006-10", None, "suppressed"])
    workbook.save(tmp_path / "months.xlsx")
    dataset = load_xlsx(tmp_path / "months.xlsx")
    values = dataset.areas[0].series["asb"].values
    assert values == {parse_period("2006-09"): D(12), parse_period("2006-10"): Missing.SUPPRESSED}
    assert dataset.period_kind.value == "month"


def test_every_sheet_is_read(tmp_path):
    workbook = Workbook()
    first = workbook.active
    first.append(["area", "indicator", "period", "value"])
    first.append(["North", "asb", "2006", 1])
    second = workbook.create_sheet("South")
    second.append(["area", "indicator", "2005", "2006"])
    second.append(["South", "asb", 3, 4])
    workbook.create_sheet("empty")
    workbook.save(tmp_path / "two.xlsx")
    assert [a.name for a in load_xlsx(tmp_path / "two.xlsx").areas] == ["North", "South"]


# --- JSON --------------------------------------------------------------------------------------------


def test_json_numbers_are_exact():
    dataset = load_json_bytes("t.json", b'{"area": "X", "indicators": {"r": {"values": {"2006": 0.1, "2007": 1e2}}}}')
    values = dataset.areas[0].series["r"].values
    assert values[parse_period("2006")] == D("0.1") and values[parse_period("2007")] == D(100)


def test_csv_export_reads_back(tmp_path):
    text = to_csv(load_dataset(YAML))
    assert load_csv_bytes("x.csv", text.encode("utf-8")).areas[0].name == "Redcar & Cleveland"


# --- JSON read quickly, placed only when a problem needs it ---------------------------------------------------

json_leaves = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                        st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str).map(D),
                        st.text(max_size=6))
json_trees = st.recursive(json_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)), max_leaves=20)


def _json_text(value: object) -> str:
    """JSON text of a value whose numbers are Decimals, written as they are."""
    if isinstance(value, D):
        return str(value) if "E" not in str(value) else format(value, "f")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # no \\u escapes: a surrogate escape is left to the scanner


@given(json_trees)
@settings(max_examples=200, deadline=None)
def test_the_quick_json_read_gives_the_scanners_values(tree):
    from lsprules.core.source import Source
    from lsprules.data.readers.json_reader import _CLOSER_LOOK, _quickly_read, _scanned

    source = Source("d.json", _json_text(tree))
    quick = _quickly_read(source)
    assert quick is not _CLOSER_LOOK
    scanned = _scanned(source)[0]
    assert quick == scanned and repr(quick) == repr(scanned)  # Decimal("1.50") stays 1.50, as the scanner reads it


@pytest.mark.parametrize("text", ['{"a": 1, "a": 2}', '{"a": NaN}', '{"a": "\\ud800"}', '{"a": [1, }',
                                  '{"a": 1e9999999999999999999999999}', "[" * 5000 + "]" * 5000])
def test_what_the_scanner_reports_is_left_to_it(text):
    from lsprules.core.source import Source
    from lsprules.data.readers.json_reader import _CLOSER_LOOK, _quickly_read

    assert _quickly_read(Source("d.json", text)) is _CLOSER_LOOK
