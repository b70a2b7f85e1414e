"""Reports (Markdown, HTML, the table, HTML pages) from the columnar plan (engine/columnar/report_run.py) against the
reference interpreter: every assessment the plan gives equals, field for field, the one the interpreter makes, on
every case of the CSV differential tests (run here again with `agree` comparing assessments and the Markdown
report), on the bundled examples the plan supports and on national S in every report format; what the plan cannot
write steps aside, with a note when an engine was asked for by name."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import test_columnar_differential as csv_cases
from fastpath_helpers import NATIONAL_RULES, ROOT, generate, reference_csv, write
from lsprules.core.diagnostics import InputError
from lsprules.data.load import load_all
from lsprules.data.model import resolve_period
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.engine.columnar.json_plan import THEMES, json_unsupported
from lsprules.engine.columnar.report_run import evaluate_report
from lsprules.engine.interpreter import Assessment, Gap, evaluate_stream
from lsprules.jobs import evaluate as job
from lsprules.jobs.evaluate import evaluate_job, evaluate_pages
from lsprules.lang.resolve import load_rules
from test_columnar_differential import (  # noqa: F401  (collected here again, comparing assessments and reports)
    needs_gen,
    test_a_mean_of_values_is_their_sum_over_how_many_exactly,
    test_a_year_earlier_empty_or_absent_is_said_as_the_interpreter_says_it,
    test_a_year_of_quarters_of_a_division_compares_the_same_quarter,
    test_annual_targets_profiled_over_the_year,
    test_any_row_order_a_period_and_chosen_areas_agree,
    test_arrows_against_the_mean_of_previous_values,
    test_big_values_within_range_stay_exact,
    test_derived_values_computed_where_every_component_is_known,
    test_derived_values_that_divide_stay_exact,
    test_division_and_functions_in_rag_conditions,
    test_divisions_of_divisions_run_in_duckdb,
    test_exact_ties_gaps_and_zeros,
    test_fields_of_derived_values_are_read_from_the_field_column,
    test_generated_small_national_dataset_agrees,
    test_products_of_two_values_and_numbers_that_are_not_whole_stay_exact,
    test_quarters_back_cross_the_year,
    test_quarters_compared_with_the_same_quarter_a_year_earlier,
    test_rows_of_fields_are_not_values_for_rules_that_read_none,
    test_targets_profiled_by_period,
    test_text_cells_are_quoted_as_the_csv_module_quotes_them,
    test_values_of_earlier_periods_are_read_from_those_periods,
    test_values_read_in_comparators_areas,
    test_years_to_date_sum_the_year_up_to_the_period,
)
from test_columnar_json_differential import NESTED_RULES, TOO_LARGE, bundled_cases, nested_data
from test_levels_plan import (  # noqa: F401  (collected here again, comparing assessments and reports)
    test_levels_of_chosen_areas_and_at_a_period,
    test_levels_of_monthly_data_past_the_periods_picked_by_column,
    test_levels_of_the_rules_and_of_the_data_in_every_use,
    test_rules_with_levels_on_data_without_level_rows,
    test_the_lpsa_reward_key_runs_in_the_plan,
)

ENGINES = ("duckdb", "polars")
by_engine = pytest.mark.parametrize("engine", ENGINES)
# The CSV module's random rules and data, comparing the reports; fewer examples, as each costs several CSV ones.
test_random_rules_on_random_data_agree = csv_cases.random_rules_test(60, levels=True)
REPORT_FORMATS = ("markdown", "html", "table")


def reference_assessments(rules: Path, data: Path, period: str | None = None,
                          areas: list[str] | None = None) -> list[Assessment]:
    """The interpreter's assessments, in the order it gives them."""
    dataset, _ = load_all([data], None)
    stream = evaluate_stream(load_rules(rules), dataset, resolve_period(period, dataset), areas)
    return [a for part in stream.parts for a in part.assessments]


def plan_assessments(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None,
                     engine: str = "duckdb") -> list[Assessment] | Fallback:
    """The plan's assessments (each area's a part of its own), or why it stepped aside."""
    found = evaluate_report(load_rules(rules), data, engine, period=period, areas=areas, themes=True)
    if isinstance(found, Fallback):
        return found
    parts = list(found.stream().parts)
    assert all(len({a.area for a in part.assessments}) == 1 for part in parts)
    return [a for part in parts for a in part.assessments]


def report(rules: Path, data: Path, output_format: str, engine: str, period: str | None = None,
           areas: list[str] | None = None):
    """`evaluate --format FORMAT` of the job."""
    return evaluate_job(rules, data, period=period, output_format=output_format, areas=areas, engine=engine)


def report_agree(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None,
                 engine: str = "duckdb") -> str:
    """Assert the plan's assessments are the interpreter's (or that it stepped aside, saying why, where the rules
    use what it cannot write). Returns the reference CSV, which the CSV cases go on to check. (The reports rendered
    from them are compared below.)"""
    if engine == "spark":  # the Spark runner writes CSV only: a report asked of it is the interpreter's, with a note
        via_spark = report(rules, data, "markdown", engine, period, areas)
        assert via_spark.notes[0].startswith("the spark engine writes CSV from")
        return reference_csv(rules, data, period, areas)
    expected = reference_assessments(rules, data, period, areas)
    got = plan_assessments(rules, data, period, areas, engine)
    loaded = load_rules(rules)
    if [reason for reason in json_unsupported(loaded) if reason != THEMES]:
        assert isinstance(got, Fallback) and "cannot write the reasons" in got.reason
    elif isinstance(got, Fallback) and got.reason.startswith(TOO_LARGE) and csv_cases.off_scale_somewhere(rules):
        pass  # a division's products past the engine's integers: the interpreter's (the JSON module checks the note)
    elif not expected:  # nothing assessed: the interpreter runs, to warn of it
        assert isinstance(got, Fallback) and got.reason == "no assessment to write"
    else:
        assert not isinstance(got, Fallback), got
        assert got == expected
        # The figures a report shows beside a value `a / b` (`96 of 160`); the theme ratings, and beside each its
        # rating one period earlier, from the compared facts of that period (ReportAssessments.reported).
        if csv_cases.field_rows_of(data) or loaded.themes:
            shown = report(rules, data, "markdown", engine, period, areas)
            assert shown.notes == ()
            assert shown.text == report(rules, data, "markdown", "interpreter", period, areas).text
    return reference_csv(rules, data, period, areas)


@pytest.fixture(autouse=True)
def _compare_reports(monkeypatch):
    """The CSV differential cases, imported above, compare assessments and reports here."""
    monkeypatch.setattr(csv_cases, "agree", report_agree)


@needs_gen
@by_engine
@pytest.mark.parametrize("output_format", REPORT_FORMATS)
def test_every_report_of_national_data_is_the_interpreters(tmp_path, engine, output_format):
    data = generate(tmp_path / "national-S.csv", 350)
    for period in (None, "2005/06"):
        got = report(NATIONAL_RULES, data, output_format, engine, period)
        assert got.notes == ()
        assert got.text == report(NATIONAL_RULES, data, output_format, "interpreter", period).text


@needs_gen
@by_engine
def test_html_pages_of_national_data_are_the_interpreters(tmp_path, engine):
    data = generate(tmp_path / "national-S.csv", 350)
    planned = evaluate_pages(NATIONAL_RULES, data, tmp_path / "plan", engine=engine)
    evaluate_pages(NATIONAL_RULES, data, tmp_path / "reference", engine="interpreter")
    assert planned.notes == ()
    pages = sorted(p.relative_to(tmp_path / "plan") for p in (tmp_path / "plan").rglob("*") if p.is_file())
    assert len([p for p in pages if p.parent.name == "areas"]) == 350
    assert pages == sorted(p.relative_to(tmp_path / "reference") for p in (tmp_path / "reference").rglob("*")
                           if p.is_file())
    for page in pages:
        assert (tmp_path / "plan" / page).read_bytes() == (tmp_path / "reference" / page).read_bytes(), page


@by_engine
@pytest.mark.parametrize("period", [None, "2006/07"])
def test_derived_points_without_a_value_and_the_places_of_derived_values_are_the_interpreters(tmp_path, engine,
                                                                                             period):
    rules, data = write(tmp_path, "nested.rules", NESTED_RULES), nested_data(tmp_path)
    report_agree(rules, data, period, engine=engine)
    report_agree(rules, data, period, areas=["D", "B"], engine=engine)
    for output_format in REPORT_FORMATS:
        got = report(rules, data, output_format, engine, period)
        assert got.notes == () and got.text == report(rules, data, output_format, "interpreter", period).text
    derived = [a for a in reference_assessments(rules, data, period) if a.indicator in ("z", "u", "w")]
    assert len({a.decimals for a in derived}) > 1  # the places vary with the area's data
    assert any(isinstance(v, Gap) and v.reason.startswith("component z: ") for a in derived for _, v in a.series)


@by_engine
def test_the_figures_beside_a_value_of_two_fields_are_the_interpreters(tmp_path, engine):
    """A report shows the two fields of a value `a / b` at its latest value's period as the data writes them (`96 of
    160`), from the plan, also of fields the rules do not declare (the value then divides two indicators)."""
    from test_columnar_differential import FIELD_DATA, FIELD_RULES, field_rows

    own = FIELD_RULES[:FIELD_RULES.index("indicator adjusted")]  # (a sum with a percent: past polars' integers)
    rules = write(tmp_path, "fields.rules", own + "indicator people { polarity higher_is_better }\n"
                  "indicator rate {\n polarity lower_is_better\n value = crimes / people\n}\n")
    extra = [("Met", "people", "", "2006/07", "24"), ("Zero", "people", "", "2006/07", "14"),
             ("Met", "rate", "crimes", "2006/07", "+012.5"), ("Met", "rate", "people", "2006/07", "0040"),
             ("Zero", "rate", "crimes", "2006/07", "na"), ("Zero", "rate", "people", "2006/07", "4")]
    data = write(tmp_path, "d.csv", field_rows([*(row for row in FIELD_DATA if row[1] != "adjusted"), *extra]))
    for output_format in REPORT_FORMATS:
        got = report(rules, data, output_format, engine)
        assert got.notes == ()
        assert got.text == report(rules, data, output_format, "interpreter").text
    markdown = report(rules, data, "markdown", engine).text
    assert "96 of 160 (assessed of contacts)" in markdown  # Met at 2006/07
    assert "1 of 3 (assessed of contacts)" in markdown  # Zero at 2005/06: its 2006/07 divides by 0
    assert "12.5 of 40 (crimes of people)" in markdown  # as Decimal writes them (the value: 12 / 24)
    assert markdown.count(" of people)") == 1  # Zero's crimes field is missing


@by_engine
def test_a_rule_set_the_plan_cannot_write_goes_to_the_interpreter_with_a_note(tmp_path, engine):
    data = ROOT / "datasets" / "public-health.yaml"
    rules = ROOT / "rules" / "public-health.rules"
    assert json_unsupported(load_rules(rules))
    ran = report(rules, data, "markdown", engine)
    assert ran.text == report(rules, data, "markdown", "interpreter").text
    assert ran.notes[0].startswith(f"the {engine} engine did not run: the plan cannot write the reasons of ")


@by_engine
def test_bundled_rules_the_plan_supports_on_every_bundled_dataset(tmp_path, engine):
    compared = 0
    for rules, data in bundled_cases(tmp_path):
        try:
            expected = reference_assessments(rules, data)
        except InputError:
            continue
        got = plan_assessments(rules, data, engine=engine)
        if isinstance(got, Fallback):  # a file the engines do not check (quoted cells): the interpreter runs
            continue
        assert got == expected, (rules.name, data.name)
        for output_format in REPORT_FORMATS:
            assert (report(rules, data, output_format, engine).text
                    == report(rules, data, output_format, "interpreter").text), (rules.name, data.name)
        compared += 1
    assert compared >= 3


@needs_gen
def test_auto_runs_reports_from_the_plan_on_files_of_some_size(tmp_path, monkeypatch):
    data = generate(tmp_path / "national-S.csv", 350)
    ran: list[str] = []
    real = job.planned_report

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        ran.append("plan" if found is not None else "interpreter")
        return found

    monkeypatch.setattr(job, "planned_report", spy)
    expected = report(NATIONAL_RULES, data, "markdown", "interpreter").text
    monkeypatch.setattr(job, "AUTO_REPORT_BYTES", data.stat().st_size + 1)
    assert report(NATIONAL_RULES, data, "markdown", "auto").text == expected
    monkeypatch.setattr(job, "AUTO_REPORT_BYTES", data.stat().st_size)
    assert report(NATIONAL_RULES, data, "markdown", "auto").text == expected
    assert ran == ["interpreter", "plan"]  # (--engine interpreter, the reference, asks nothing of the plan)


@by_engine
def test_several_datasets_with_fields_and_comparators_reach_the_plan(tmp_path, engine):
    data = ROOT / "datasets" / "districts-2006-07.csv"
    rules = ROOT / "rules" / "districts.rules"
    ran = evaluate_job(rules, [data, data], output_format="markdown", engine=engine)
    assert ran.text == evaluate_job(rules, [data, data], output_format="markdown", engine="interpreter").text
    assert ran.notes == ()  # the plan wrote it



@needs_gen
def test_a_report_from_the_plan_shows_its_progress_on_a_terminal_only(tmp_path, monkeypatch):
    data = generate(tmp_path / "national-S.csv", 350)
    expected = report(NATIONAL_RULES, data, "markdown", "interpreter").text

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, shown in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", stream)
        assert report(NATIONAL_RULES, data, "markdown", "polars").text == expected
        assert ("Assessing" in stream.getvalue()) is shown
