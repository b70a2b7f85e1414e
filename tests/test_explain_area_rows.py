"""`explain --area` on a large plain CSV file reads the area's rows alone (engine/columnar/area_rows.py), checked
with the whole file (by polars, or by DuckDB without it): the same bytes as reading the whole dataset, for
indicators and themes, at the latest period (the file's, which an area's rows may not hold) and one asked for; and
every bad input is the whole read's error."""

from __future__ import annotations

import pytest

from fastpath_helpers import NATIONAL_RULES, ROOT, generate, write
from lsprules.core.diagnostics import InputError
from lsprules.data import load
from lsprules.engine.columnar import area_rows
from lsprules.jobs import explain as explain_job
from lsprules.jobs.explain import run_explain
from test_columnar_differential import needs_gen
from test_diff_plan import THEME

CASES = [("E01000001", "robbery", None), ("E01000002", "detection_rate_pct", None),
         ("E01000350", "arson", "2005/06"), ("E01000123", "public_confidence_pct", "2004/05")]


@pytest.fixture(scope="module")
def national_s(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("explain") / "national-S.csv", 350)


@pytest.fixture(params=["polars", "duckdb"])
def reader(request, monkeypatch) -> str:
    """Which engine reads and checks the whole file: polars (when installed, as here), or DuckDB (the base
    install's)."""
    if request.param == "duckdb":
        monkeypatch.setattr(area_rows, "_polars_read", area_rows._duckdb_read)
    return request.param


@pytest.fixture(scope="module")
def themed(tmp_path_factory):
    return write(tmp_path_factory.mktemp("rules"), "themed.rules", NATIONAL_RULES.read_text(encoding="utf-8") + THEME)


def whole(monkeypatch, *args, **options) -> str:
    monkeypatch.setattr(explain_job, "AREA_ROWS_BYTES", 1 << 62)
    return run_explain(*args, **options)


def alone(monkeypatch, *args, **options) -> str:
    """run_explain reading the area's rows alone: reading the whole dataset fails the test."""
    monkeypatch.setattr(explain_job, "AREA_ROWS_BYTES", 1)

    def refused(path):
        raise AssertionError(f"the dataset was read whole: {path}")

    with monkeypatch.context() as patched:
        patched.setattr(load, "load_any", refused)
        return run_explain(*args, **options)


@needs_gen
@pytest.mark.parametrize("area, indicator, period", CASES)
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_one_areas_rows_explain_as_the_whole_file_does(national_s, monkeypatch, reader, area, indicator, period,
                                                       output_format):
    options = {"indicator": indicator, "area": area, "period": period, "output_format": output_format}
    expected = whole(monkeypatch, NATIONAL_RULES, national_s, **options)
    assert area in expected and indicator in expected
    assert alone(monkeypatch, NATIONAL_RULES, national_s, **options) == expected


@needs_gen
@pytest.mark.parametrize("period", [None, "2006/07"])
def test_a_themes_rating_is_explained_from_the_areas_rows(national_s, themed, monkeypatch, reader, period):
    options = {"theme": "crime", "area": "E01000007", "period": period}
    expected = whole(monkeypatch, themed, national_s, **options)
    assert "crime" in expected
    assert alone(monkeypatch, themed, national_s, **options) == expected


def test_an_area_without_the_files_latest_period_is_assessed_at_it(tmp_path, monkeypatch, reader):
    data = write(tmp_path, "data.csv", """\
        area,indicator,period,value
        A,robbery,2005/06,10
        A,robbery,2006/07,8
        A,robbery,2007/08,7
        B,robbery,2005/06,10
        B,robbery,2006/07,9
        """)
    expected = whole(monkeypatch, NATIONAL_RULES, data, indicator="robbery", area="B")
    assert "assessed at 2007/08" in expected and "there is no value for 2007/08" in expected
    assert alone(monkeypatch, NATIONAL_RULES, data, indicator="robbery", area="B") == expected


@pytest.mark.parametrize("area, period, value, code", [
    ("C", None, "4", "E003"),  # no such area: the hint lists the file's areas
    ("A", "1999/00", "4", "E304"),  # no such period
    ("A", None, "four", "E306"),  # a bad cell in another area's row
])
def test_bad_input_is_the_whole_reads_error(tmp_path, monkeypatch, reader, area, period, value, code):
    data = write(tmp_path, "data.csv", f"""\
        area,indicator,period,value
        A,robbery,2006/07,4
        A,robbery,2007/08,5
        B,robbery,2007/08,{value}
        """)
    told = []
    for threshold in (1 << 62, 1):  # the whole file, then its area's rows (which step aside for the whole read)
        monkeypatch.setattr(explain_job, "AREA_ROWS_BYTES", threshold)
        with pytest.raises(InputError) as raised:
            run_explain(NATIONAL_RULES, data, indicator="robbery", area=area, period=period)
        told.append([(d.code, d.message, d.hint) for d in raised.value.diagnostics])
    assert told[0][0][0] == code
    assert told[1] == told[0]


@pytest.mark.parametrize("area, hint", [
    ("Mead", "did you mean 'Meadow'?"),
    ("Q", "its areas are: Zeal, Meadow, Abbey, Cross"),  # in the order the file first gives them
])
def test_an_area_the_file_lacks_is_said_without_reading_the_whole_file(tmp_path, monkeypatch, reader, area, hint):
    names = ("Zeal", "Meadow", "Abbey", "Cross")
    data = write(tmp_path, "data.csv", "area,indicator,period,value\n" + "".join(
        f"{name},robbery,{year},4\n" for year in ("2006/07", "2007/08") for name in names))
    told = []
    for explain in (whole, alone):
        for options in ({"indicator": "robbery"}, {"indicator": "robbery", "period": "2006/07"}, {"indicator": "rob"}):
            with pytest.raises(InputError) as raised:
                explain(monkeypatch, NATIONAL_RULES, data, area=area, **options)
            told.append([(d.code, d.message, d.hint) for d in raised.value.diagnostics])
    assert told[0] == [("E003", f"--area {area}: the dataset has no such area", hint)]
    assert told[2][0][1].startswith("--indicator rob:")  # an unknown indicator is said first, as from the whole file
    assert told[3:] == told[:3]


def test_rules_with_comparators_read_the_whole_file(monkeypatch):
    """A comparator's figures come from other areas (datasets/districts-2006-07.csv has the national ones)."""
    def refused(*args):
        raise AssertionError("one area's rows were read for rules with comparators")

    monkeypatch.setattr(area_rows, "area_rows", refused)
    monkeypatch.setattr(explain_job, "AREA_ROWS_BYTES", 1)
    text = run_explain(ROOT / "rules" / "districts.rules", ROOT / "datasets" / "districts-2006-07.csv",
                       indicator="burglary_gap", area="Northby")
    assert "burglary_rate at national = 2.71" in text
