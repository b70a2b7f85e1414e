"""A dataset another reader loaded (YAML, JSON, a workbook, several files, --years) handed to the columnar plan as
the long-form CSV file of its observations (engine/columnar/dataset_input.py): the file reads back as the same
observations, every engine then gives the reference interpreter's bytes in every format with the provenance of the
files the user named, and what the plan cannot read (printed judgements, fields, odd names) stays with the
interpreter, with a note when an engine was asked for by name."""

from __future__ import annotations

import json
import os
import signal
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpath_helpers import NATIONAL_RULES, ROOT, write
from lsprules.core.files import Terminated
from lsprules.core.periods import Period, PeriodKind
from lsprules.core.visible import visible
from lsprules.data.load import load_any
from lsprules.data.model import DATA_LEVELS, Area, Dataset, Missing, Reported, Series
from lsprules.engine.columnar import dataset_input
from lsprules.engine.columnar.dataset_input import not_plain, observation_count, observations_file, write_observations
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.jobs import evaluate as job
from lsprules.jobs.evaluate import evaluate_job, evaluate_pages

ENGINES = ("duckdb", "polars")
by_engine = pytest.mark.parametrize("engine", ENGINES)
INDICATORS = ("burglary_dwelling", "robbery", "detection_rate_pct", "public_confidence_pct")


def national_json(folder: Path, areas: int = 6, name: str = "national.json") -> Path:
    """A JSON dataset (the several-areas form) of national indicators with gaps, ties and missing words."""
    document: dict[str, object] = {"title": "National sample", "source": "Made up for the tests",
                                   "period_kind": "financial_year", "areas": {}}
    for a in range(areas):
        indicators = {}
        for i, indicator in enumerate(INDICATORS):
            values: dict[str, object] = {}
            for year in range(2003, 2008):
                step = (a * 7 + i * 3 + year) % 11
                values[f"{year}/{(year + 1) % 100:02d}"] = "na" if step == 4 else \
                    "suppressed" if step == 9 else round(40 + step * 1.5 - a, 1)
            indicators[indicator] = {"values": values}
        document["areas"][f"Area {a:02d}"] = {"indicators": indicators}  # type: ignore[index]
    path = folder / name
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def handed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records each file the plan is handed, and lets auto hand over a dataset of any size and run the plan on it
    for every output."""
    files: list[Path] = []
    writing = dataset_input.write_observations

    def recorded(dataset: Dataset, path: Path) -> None:
        files.append(path)
        writing(dataset, path)

    monkeypatch.setattr(dataset_input, "write_observations", recorded)
    for threshold in ("AUTO_DATASET_OBSERVATIONS", "AUTO_JSON_BYTES", "AUTO_REPORT_BYTES"):
        monkeypatch.setattr(job, threshold, 0)
    return files


# --- the file of observations ---------------------------------------------------------------------------------


def observations(dataset: Dataset) -> list[tuple[str, list[tuple[str, list[tuple[Period, object]]]]]]:
    """Every area's series, values, fields and levels by period, in the dataset's order of areas and series."""
    return [(area.name, [(s.indicator, sorted(s.values.items()),
                          sorted((name, sorted(points.items())) for name, points in s.fields.items()),
                          sorted((name, sorted(given.items())) for name, given in s.levels.items()))
                         for s in area.series.values()])
            for area in dataset.areas]


def reads_back(dataset: Dataset, folder: Path) -> Dataset:
    """The dataset's observations written (write_observations) and read by the reference CSV reader."""
    path = folder / "observations.csv"
    write_observations(dataset, path)
    return load_any(path)


def test_a_json_dataset_reads_back_as_the_same_observations(tmp_path):
    dataset = load_any(national_json(tmp_path))
    assert not_plain(dataset) is None
    again = reads_back(dataset, tmp_path)
    assert observations(again) == observations(dataset) and again.period_kind == dataset.period_kind
    assert observation_count(dataset) == 6 * len(INDICATORS) * 5


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
                max_size=8).map(visible)  # as every reader makes a name
numbers = st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
values = st.one_of(numbers, st.sampled_from([Missing.NA, Missing.SUPPRESSED]))
kinds = st.sampled_from([PeriodKind.FINANCIAL_YEAR, PeriodKind.CALENDAR_YEAR, PeriodKind.QUARTER,
                         PeriodKind.MONTH])


@st.composite
def plain_datasets(draw: st.DrawFn) -> Dataset:
    """A dataset of values, fields and reference levels, as any reader could give it."""
    kind = draw(kinds)
    area_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    areas = []
    for name in area_names:
        indicators = draw(st.lists(st.sampled_from(INDICATORS), min_size=1, max_size=3, unique=True))
        series = {}
        for indicator in indicators:
            indexes = draw(st.lists(st.integers(8000, 8040), min_size=1, max_size=4, unique=True))
            fields = draw(st.dictionaries(st.sampled_from(["numerator", "denominator", "count"]), st.lists(
                st.integers(8000, 8040), min_size=1, max_size=3, unique=True), max_size=2))  # now and then fields
            levels = draw(st.dictionaries(st.sampled_from(DATA_LEVELS), st.lists(
                st.integers(8000, 8040), min_size=1, max_size=2, unique=True), max_size=2))  # now and then levels
            series[indicator] = Series(indicator, {Period(kind, i): draw(values) for i in indexes},
                                       fields={name: {Period(kind, i): draw(values) for i in at}
                                               for name, at in fields.items()},
                                       levels={name: {Period(kind, i): draw(numbers) for i in at}
                                               for name, at in levels.items()})
        areas.append(Area(name, series))
    return Dataset("made.yaml", tuple(areas), kind)


@given(plain_datasets())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_plain_dataset_reads_back_as_the_same_observations(tmp_path, dataset):
    if not_plain(dataset) is not None:  # a name made of what a CSV must quote: never written
        return
    again = reads_back(dataset, tmp_path)
    assert observations(again) == observations(dataset)
    assert all(str(s.values[p]) == str(t.values[p]) for x, y in zip(again.areas, dataset.areas, strict=True)
               for s, t in zip(x.series.values(), y.series.values(), strict=True) for p in t.values)  # 1.50 stays


@pytest.mark.parametrize(("change", "reason"), [
    ({"reported": Reported(rag={Period(PeriodKind.CALENDAR_YEAR, 2007): "green"})}, "judgements a source printed"),
    ({"fields": {"": {Period(PeriodKind.CALENDAR_YEAR, 2007): Decimal(1)}}}, "a field without a name"),
    ({"fields": {"a,b": {Period(PeriodKind.CALENDAR_YEAR, 2007): Decimal(1)}}}, "a field whose name has a comma"),
    ({"method_breaks": {Period(PeriodKind.CALENDAR_YEAR, 2007): "new method"}}, "method breaks"),
    ({"notes": ("revised",)}, "notes"),
    ({"source": "ONS"}, "a source"),
    ({"values": {}}, "a series without values"),
    ({"stated": {"target": {Period(PeriodKind.CALENDAR_YEAR, 2007): Decimal(1)}}}, "stated numbers"),
    ({"values": {Period(PeriodKind.CALENDAR_YEAR, 2007): Decimal("1E+3")}}, "a number written with a positive"),
])
def test_what_the_plan_does_not_read_is_named(change, reason):
    year = {Period(PeriodKind.CALENDAR_YEAR, 2007): Decimal(5)}
    plain = Dataset("d.yaml", (Area("A", {"robbery": Series("robbery", year)}),), PeriodKind.CALENDAR_YEAR)
    assert not_plain(plain) is None
    series = Series("robbery", **{"values": year, **change})
    found = not_plain(Dataset("d.yaml", (Area("A", {"robbery": series}),), PeriodKind.CALENDAR_YEAR)) or ""
    assert found.startswith(reason) and found.endswith("(area 'A', indicator robbery)")


def test_names_a_csv_file_would_quote_and_printed_theme_ratings_are_named():
    series = Series("robbery", {Period(PeriodKind.CALENDAR_YEAR, 2007): Decimal(5)})
    for name in ("A,B", 'A"B', "A\nB", " A", "A "):
        named = Dataset("d.yaml", (Area(name, {"robbery": series}),), PeriodKind.CALENDAR_YEAR)
        assert "an area whose name has a comma, quote, control character or spaces" in (not_plain(named) or "")
    themes = Dataset("d.yaml", (Area("A", {"robbery": series}, {"safety": {}}),), PeriodKind.CALENDAR_YEAR)
    assert not_plain(themes) == "theme ratings a source printed (area 'A')"
    assert not_plain(Dataset("d.yaml", (Area("A", {}),), PeriodKind.CALENDAR_YEAR)) == "an area without series ('A')"


def test_the_file_is_removed_after_the_run(tmp_path):
    dataset = load_any(national_json(tmp_path))
    with observations_file(dataset) as path:
        assert isinstance(path, Path) and path.read_text().startswith("area,indicator,period,value\n")
    assert not path.exists() and not path.parent.exists()
    with observations_file(load_any(ROOT / "datasets" / "redcar-cleveland-2007.yaml")) as refused:
        assert isinstance(refused, Fallback) and refused.note


# --- every engine, every format, against the interpreter -------------------------------------------------------


@by_engine
@pytest.mark.parametrize("output_format", ["csv", "json", "markdown", "html", "table"])
def test_a_json_dataset_through_the_plan_gives_the_interpreters_bytes(tmp_path, monkeypatch, engine, output_format):
    data = national_json(tmp_path)
    expected = evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="interpreter")
    files = handed(monkeypatch)
    for asked in (engine, "auto"):
        got = evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine=asked)
        assert got.text == expected.text and got.notes == () and got.warnings == expected.warnings
    # handed the file each time; auto, for CSV and JSON only (the reports gain no time by it)
    assert len(files) == (2 if output_format in ("csv", "json") else 1)
    assert "observations.csv" not in expected.text and (output_format == "csv" or "national.json" in expected.text)


@by_engine
def test_a_period_and_chosen_areas_through_the_plan(tmp_path, monkeypatch, engine):
    data = national_json(tmp_path)
    options = {"period": "2005/06", "areas": ["Area 03", "Area 01"], "output_format": "json"}
    expected = evaluate_job(NATIONAL_RULES, data, engine="interpreter", **options).text
    files = handed(monkeypatch)
    assert evaluate_job(NATIONAL_RULES, data, engine=engine, **options).text == expected and files


@by_engine
def test_the_areas_view_and_the_word_report_through_the_plan(tmp_path, monkeypatch, engine):
    data = national_json(tmp_path)
    expected = evaluate_job(NATIONAL_RULES, data, output_format="markdown", view="areas", engine="interpreter")
    files = handed(monkeypatch)
    assert evaluate_job(NATIONAL_RULES, data, output_format="markdown", view="areas", engine=engine).text == \
        expected.text
    word = evaluate_job(NATIONAL_RULES, data, output_format="docx", engine=engine)
    assert word.data is not None and word.data[:2] == b"PK" and len(files) == 2


@by_engine
def test_several_csv_files_merged_go_to_the_plan(tmp_path, monkeypatch, engine):
    header = "area,indicator,period,value\n"
    first = write(tmp_path, "d.csv", header + "A,robbery,2006/07,10\nA,robbery,2007/08,8\n")
    second = write(tmp_path, "e.csv", header + "B,robbery,2006/07,2\nB,robbery,2007/08,2.5\n")
    expected = evaluate_job(NATIONAL_RULES, [first, second], output_format="json", engine="interpreter").text
    files = handed(monkeypatch)
    got = evaluate_job(NATIONAL_RULES, [first, second], output_format="json", engine=engine)
    assert got.text == expected and got.notes == () and files
    assert f'"{first}"' in got.text and f'"{second}"' in got.text  # the provenance names both files


@by_engine
def test_html_pages_of_a_json_dataset_through_the_plan(tmp_path, monkeypatch, engine):
    data = national_json(tmp_path)
    evaluate_pages(NATIONAL_RULES, data, tmp_path / "reference", engine="interpreter")
    files = handed(monkeypatch)
    ran = evaluate_pages(NATIONAL_RULES, data, tmp_path / "plan", engine=engine, jobs=1)
    assert ran.notes == () and files
    reference = sorted(p.relative_to(tmp_path / "reference") for p in (tmp_path / "reference").rglob("*.html"))
    assert reference == sorted(p.relative_to(tmp_path / "plan") for p in (tmp_path / "plan").rglob("*.html"))
    for page in reference:
        assert (tmp_path / "plan" / page).read_bytes() == (tmp_path / "reference" / page).read_bytes(), page


FIELDS_YAML = """period_kind: financial_year
areas:
  Met:
    indicators:
      assessed_rate:
        fields:
          contacts: {2005/06: 100, 2006/07: 160}
          assessed: {2005/06: 55, 2006/07: 96}
      crimes:
        values: {2005/06: 10, 2006/07: 12}
  Zero:
    indicators:
      assessed_rate:
        fields:
          contacts: {2006/07: 0}
          assessed: {2006/07: 5}
      adjusted:
        fields:
          crimes: {2006/07: suppressed, 2005/06: 4}
"""


@by_engine
def test_a_dataset_with_fields_through_the_plan(tmp_path, monkeypatch, engine):
    from test_columnar_differential import FIELD_RULES  # (it imports this module's neighbours, not this one)

    rules, data = write(tmp_path, "fields.rules", FIELD_RULES), write(tmp_path, "d.yaml", FIELDS_YAML)
    expected = {f: evaluate_job(rules, data, output_format=f, engine="interpreter").text for f in ("csv", "json")}
    files = handed(monkeypatch)
    ran = evaluate_job(rules, data, output_format="csv", engine=engine)
    assert ran.text == expected["csv"] and ran.notes == () and files
    written = evaluate_job(rules, data, output_format="json", engine=engine)
    assert written.text == expected["json"] and written.notes == ()
    # the words of a missing field and of a division by a field that is 0, as the interpreter says them
    assert "field 'crimes' is suppressed for 2006/07" in written.text and "division by zero" in written.text


LEVELS_YAML = """title: Reward targets
period_kind: financial_year
areas:
  Northtown:
    indicators:
      domestic_burglary:
        values: {2004/05: 1200, 2007/08: 1010}
        levels:
          target: {2007/08: 960}
          trigger: {2007/08: 1056}
      vehicle_crime:
        values: {2004/05: 2400, 2007/08: 2150}
        levels:
          target: {2007/08: 2000, 2008/09: 1900}
  Southby:
    indicators:
      adult_learners:
        values: {2006/07: 300, 2007/08: 380}
        levels:
          trigger: {2007/08: 372}
"""


@by_engine
def test_a_dataset_with_levels_through_the_plan(tmp_path, monkeypatch, engine):
    rules, data = ROOT / "rules" / "lpsa.rules", write(tmp_path, "d.yaml", LEVELS_YAML)
    expected = evaluate_job(rules, data, output_format="csv", engine="interpreter").text
    files = handed(monkeypatch)
    ran = evaluate_job(rules, data, output_format="csv", engine=engine)
    assert ran.text == expected and ran.notes == () and files
    assert ",2150,2004/05,2400,-250,-10.416667,up,2000,2000,na," in ran.text  # no trigger: no rating


# --- what stays with the interpreter ----------------------------------------------------------------------------


@by_engine
def test_printed_judgements_stay_with_the_interpreter_with_a_note(engine):
    data = ROOT / "datasets" / "redcar-cleveland-2007.yaml"
    rules = ROOT / "rules" / "community-safety-plan.rules"
    expected = evaluate_job(rules, data, output_format="json", engine="interpreter")
    asked = evaluate_job(rules, data, output_format="json", engine=engine)
    assert asked.text == expected.text and asked.discrepancies == expected.discrepancies
    assert asked.notes == (f"the {engine} engine did not run: the dataset holds theme ratings a source printed (area "
                           "'Redcar & Cleveland'), which the plan does not read; the reference interpreter ran",)
    assert evaluate_job(rules, data, output_format="json").notes == ()  # auto: silently


def test_auto_hands_over_from_auto_dataset_observations_on(tmp_path, monkeypatch):
    data = national_json(tmp_path)
    expected = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="interpreter").text
    files = handed(monkeypatch)
    count = observation_count(load_any(data))
    for threshold, runs in ((count + 1, 0), (count, 1)):
        monkeypatch.setattr(job, "AUTO_DATASET_OBSERVATIONS", threshold)
        assert evaluate_job(NATIONAL_RULES, data, output_format="csv").text == expected and len(files) == runs
    # JSON: from as many observations as a national CSV file of AUTO_JSON_BYTES holds
    monkeypatch.setattr(job, "AUTO_JSON_BYTES", (count + 1) * job.NATIONAL_ROW_BYTES)
    evaluate_job(NATIONAL_RULES, data, output_format="json")
    monkeypatch.setattr(job, "AUTO_JSON_BYTES", count * job.NATIONAL_ROW_BYTES)
    evaluate_job(NATIONAL_RULES, data, output_format="json")
    assert len(files) == 2


def test_years_read_as_another_kind_go_to_the_plan(tmp_path, monkeypatch):
    data = write(tmp_path, "d.csv", "area,indicator,period,value\nA,robbery,2006,10\nA,robbery,2007,8\n"
                                    "B,robbery,2006,2\nB,robbery,2007,3\n")
    expected = evaluate_job(NATIONAL_RULES, data, output_format="csv", years="financial_year",
                            engine="interpreter").text
    files = handed(monkeypatch)
    got = evaluate_job(NATIONAL_RULES, data, output_format="csv", years="financial_year", engine="polars")
    assert got.text == expected and "2006/07" in got.text and got.notes == () and files


def test_the_dataset_is_read_once_when_the_plan_steps_aside(tmp_path, monkeypatch):
    from lsprules.data import load as load_module
    from lsprules.engine.columnar import json_run

    data = national_json(tmp_path)
    expected = evaluate_job(NATIONAL_RULES, data, output_format="json", engine="interpreter").text
    loads: list[object] = []
    reading = load_module.load_any
    monkeypatch.setattr(load_module, "load_any", lambda path: loads.append(path) or reading(path))
    files = handed(monkeypatch)
    monkeypatch.setattr(json_run, "evaluate_json", lambda *args, **kwargs: Fallback("polars failed", note=True))
    ran = evaluate_job(NATIONAL_RULES, data, output_format="json", engine="polars")
    assert ran.text == expected and loads == [data] and len(files) == 1
    assert ran.notes == ("the polars engine did not run: polars failed; the reference interpreter ran",)


@by_engine
def test_a_workbook_through_the_plan(tmp_path, monkeypatch, engine):
    from export_helpers import to_xlsx

    workbook = tmp_path / "national.xlsx"
    to_xlsx(load_any(national_json(tmp_path)), workbook)
    expected = evaluate_job(NATIONAL_RULES, workbook, output_format="csv", engine="interpreter").text
    files = handed(monkeypatch)
    ran = evaluate_job(NATIONAL_RULES, workbook, output_format="csv", engine=engine)
    assert ran.text == expected and ran.notes == () and len(files) == 1


@by_engine
def test_diff_replays_a_json_dataset_through_the_plan(tmp_path, monkeypatch, engine):
    from lsprules.jobs.diff import run_diff
    from lsprules.render.diff_report import render_diff_json

    data = national_json(tmp_path)
    text = NATIONAL_RULES.read_text(encoding="utf-8")
    assert "static below 1.5 %" in text and "reduce by 17.5 %" in text
    new = write(tmp_path, "new.rules", text.replace("static below 1.5 %", "static below 20 %")
                .replace("reduce by 17.5 %", "reduce by 20 %"))
    names = [str(NATIONAL_RULES), str(new)]
    expected = render_diff_json(run_diff(names, data=[data], engine="interpreter"))
    files = handed(monkeypatch)
    report = run_diff(names, data=[data], engine=engine)
    assert render_diff_json(report) == expected and report.notes == () and len(files) == 2  # each side's rules
    (found,) = json.loads(expected)["files"][0]["impact"]
    assert found["counts"]["arrow"] > 0 and found["counts"]["rag"] > 0 and found["dataset"] == str(data)


@by_engine
def test_a_file_that_cannot_be_written_leaves_the_run_to_the_interpreter(tmp_path, monkeypatch, engine):
    data = national_json(tmp_path)
    expected = evaluate_job(NATIONAL_RULES, data, output_format="json", engine="interpreter").text
    handed(monkeypatch)
    # A temporary folder of this test's own, so another test running beside it cannot leave a file in it.
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))

    def full(dataset: Dataset, path: Path) -> None:
        path.write_text("area,indicator")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dataset_input, "write_observations", full)
    asked = evaluate_job(NATIONAL_RULES, data, output_format="json", engine=engine)
    assert asked.text == expected and asked.notes == (
        f"the {engine} engine did not run: the dataset's observations could not be written to a temporary file (No "
        "space left on device); the reference interpreter ran",)
    auto = evaluate_job(NATIONAL_RULES, data, output_format="json")
    assert auto.text == expected and auto.notes == ()
    assert not list(temporary.glob("lsprules-*/observations.csv"))


def test_sigterm_or_sighup_during_the_run_removes_the_file(tmp_path):
    dataset = load_any(national_json(tmp_path))
    for number in (signal.SIGTERM, signal.SIGHUP):
        with pytest.raises(Terminated) as stopped, observations_file(dataset) as path:
            assert isinstance(path, Path) and path.exists()
            os.kill(os.getpid(), number)
        assert stopped.value.args[0] == number and not path.parent.exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back as it was


def test_a_number_in_exponent_form_below_one_is_written_in_full(tmp_path):
    tiny = {Period(PeriodKind.CALENDAR_YEAR, 2007): Decimal("1E-7"), Period(PeriodKind.CALENDAR_YEAR, 2008): Decimal(
        "-2.50E-3")}
    dataset = Dataset("d.yaml", (Area("A", {"robbery": Series("robbery", tiny)}),), PeriodKind.CALENDAR_YEAR)
    assert not_plain(dataset) is None
    again = reads_back(dataset, tmp_path)
    assert (tmp_path / "observations.csv").read_text().splitlines()[1:] == ["A,robbery,2007,0.0000001",
                                                                            "A,robbery,2008,-0.00250"]
    assert [repr(v) for v in again.areas[0].series["robbery"].values.values()] == [repr(v) for v in tiny.values()]


@pytest.mark.parametrize("output_format", ["csv", "json", "markdown"])
def test_a_number_beyond_duckdbs_decimals_is_the_interpreters_with_a_note(tmp_path, output_format):
    big = "123456789012345678901234567890123456789"  # 39 digits: within the limits, beyond DuckDB's DECIMAL(38)
    csv_file = write(tmp_path, "big.csv", f"area,indicator,period,value\nA,burglary_dwelling,2003/04,{big}\n"
                                          "A,burglary_dwelling,2007/08,1\n")
    json_file = tmp_path / "big.json"
    json_file.write_text('{"areas": {"A": {"indicators": {"burglary_dwelling": {"values": {"2003/04": ' + big +
                         ', "2007/08": 1}}}}}}', encoding="utf-8")
    for data in (csv_file, json_file):
        expected = evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="interpreter").text
        asked = evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="duckdb")
        assert asked.text == expected and asked.notes == (
            "the duckdb engine did not run: a number of more than 38 digits, beyond exact arithmetic in DuckDB; the "
            "reference interpreter ran",)
