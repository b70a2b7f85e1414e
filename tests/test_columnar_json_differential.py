"""JSON written by the columnar plan (engine/columnar/json_plan.py, json_run.py) against the reference interpreter's
JSON: the same bytes on every case the CSV differential tests use (their cases run here again with `agree` comparing
JSON), on the bundled examples the plan supports, on hand-made numbers that Python writes in exponent form; explicit
fall-backs, with a note, for what the plan cannot write yet; and the document given in bounded pieces."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import test_columnar_differential as csv_cases
from fastpath_helpers import NATIONAL_RULES, ROOT, reference_csv, write
from lsprules.audit.provenance import provenance_for
from lsprules.core.diagnostics import InputError
from lsprules.data.load import load_all
from lsprules.data.model import Missing
from lsprules.engine.columnar import json_run
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.engine.columnar.json_plan import THEMES, fix_marked, json_unsupported
from lsprules.jobs.evaluate import evaluate_job
from lsprules.lang.resolve import load_rules
from lsprules.render.json_out import json_document
from test_columnar_differential import (  # noqa: F401  (collected here again, comparing JSON)
    test_a_derived_value_naming_one_without_components_is_never_known,
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
    test_generated_medium_national_dataset_agrees,
    test_generated_small_national_dataset_agrees,
    test_products_of_two_values_and_numbers_that_are_not_whole_stay_exact,
    test_quarters_back_cross_the_year,
    test_quarters_compared_with_the_same_quarter_a_year_earlier,
    test_rows_of_fields_are_not_values_for_rules_that_read_none,
    test_targets_profiled_by_period,
    test_text_cells_are_quoted_as_the_csv_module_quotes_them,
    test_the_periods_own_part_of_a_cumulative_figure,
    test_values_at_one_period_are_read_there_whatever_the_period_computed,
    test_values_of_earlier_periods_are_read_from_those_periods,
    test_values_read_in_comparators_areas,
    test_years_to_date_of_quarters,
    test_years_to_date_sum_the_year_up_to_the_period,
)
from test_fastpath_differential import HEADER, YEARS, rows
from test_levels_plan import (  # noqa: F401  (collected here again, comparing JSON)
    test_levels_of_chosen_areas_and_at_a_period,
    test_levels_of_monthly_data_past_the_periods_picked_by_column,
    test_levels_of_the_rules_and_of_the_data_in_every_use,
    test_rules_with_levels_on_data_without_level_rows,
    test_the_lpsa_reward_key_runs_in_the_plan,
)

ENGINES = ("duckdb", "polars")
TOO_LARGE = csv_cases.TOO_LARGE
by_engine = pytest.mark.parametrize("engine", ENGINES)
# The CSV module's random rules and data, comparing JSON; fewer examples, as each costs several CSV ones.
test_random_rules_on_random_data_agree = csv_cases.random_rules_test(60, levels=True)


def reference_json(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None) -> str:
    """`evaluate --format json` by the reference interpreter."""
    return evaluate_job(rules, data, period=period, output_format="json", areas=areas, engine="interpreter").text


def plan_json(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None,
              engine: str = "duckdb") -> str | Fallback:
    """The plan's JSON document, or why it stepped aside."""
    loaded = load_rules(rules)
    found = json_run.evaluate_json(loaded, data, engine, period=period, areas=areas)
    if isinstance(found, Fallback):
        return found
    _, files = load_all([data], None)
    return "".join(json_document(found.period, found.pieces, provenance_for(loaded, files)))


def json_agree(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None,
               engine: str = "duckdb") -> str:
    """Assert the plan's JSON is the interpreter's, byte for byte (or that it stepped aside, saying why, where the
    rules use what it cannot write); the job gives the same bytes. Returns the reference CSV, which the CSV cases
    go on to check."""
    expected = reference_json(rules, data, period, areas)
    if engine == "spark":  # the Spark runner writes CSV only: JSON asked of it is the interpreter's, with a note
        via_spark = evaluate_job(rules, data, period=period, output_format="json", areas=areas, engine=engine)
        assert via_spark.text == expected and via_spark.notes[0].startswith("the spark engine writes CSV from")
        return reference_csv(rules, data, period, areas)
    got = plan_json(rules, data, period, areas, engine)
    via_job = evaluate_job(rules, data, period=period, output_format="json", areas=areas, engine=engine)
    assert via_job.text == expected
    reasons = json_unsupported(load_rules(rules))
    if reasons == [THEMES]:  # rated from the plan's assessments (report_run); the JSON is the renderer's
        assert isinstance(got, Fallback) and not any("themes" in note for note in via_job.notes)
    elif reasons:
        assert isinstance(got, Fallback) and "cannot write JSON" in got.reason
        assert "cannot write JSON" in via_job.notes[0] or "cannot write the reasons" in via_job.notes[0]  # themed
    elif isinstance(got, Fallback) and got.reason.startswith(TOO_LARGE) and csv_cases.off_scale_somewhere(rules):
        assert TOO_LARGE in via_job.notes[0]  # a division's products past the engine's integers: said so
    elif '"assessments": []' in expected:  # nothing assessed: the interpreter runs, to warn of it
        assert isinstance(got, Fallback) and got.reason == "no assessment to write"
    else:
        assert not isinstance(got, Fallback), got
        assert got == expected
        assert via_job.notes == ()
    return reference_csv(rules, data, period, areas)


@pytest.fixture(autouse=True)
def _compare_json(monkeypatch):
    """The CSV differential cases, imported above, compare JSON here."""
    monkeypatch.setattr(csv_cases, "agree", json_agree)


# --- hand-made: numbers Python writes otherwise, escaping, what is missing -------------------------------


@by_engine
def test_numbers_python_writes_in_exponent_form_or_shorter(tmp_path, engine):
    series = {
        ("tiny", "detection_rate_pct"): ["0.00005", "0.000012", "0.0001", "0.00001", "0.0000996"],
        ("long", "detection_rate_pct"): ["1234567890123.456789", "12345678901234.5", "9999999999.999999",
                                         "123456789012345.125", "1234567890123456.5"],
        ("near_whole", "robbery"): ["2.0000001", "2.9999996", "-0.0000004", "3", "3.0000004"],
    }
    six = {key: [v if len(v.partition(".")[2]) <= 6 else v[:-1] for v in values] for key, values in series.items()}
    for name, data_series in (("seven.csv", series), ("six.csv", six)):  # past 6 places, and within
        data = write(tmp_path, name, rows(data_series))
        json_agree(NATIONAL_RULES, data, engine=engine)
        document = json.loads(reference_json(NATIONAL_RULES, data))
        values = [p["value"] for a in document["assessments"] for p in a["series"]]
        assert any(isinstance(v, float) and "e-" in repr(v) for v in values)  # the case is exercised
        assert any(isinstance(a["change"], float) and "e" in repr(a["change"]) for a in document["assessments"])


def test_marked_numbers_are_written_as_python_writes_floats():
    assert fix_marked("a \x010.00005\x01 b \x01123456789012345.12\x01 \x012\x01") == \
        f"a {0.00005!r} b {123456789012345.12!r} 2"


@by_engine
def test_area_names_are_escaped_as_json_strings(tmp_path, engine):
    series = {('say "hi"', "robbery"): ["1", "2"], ("back\\slash", "arson"): ["3", "4"],
              ("Ynys Môn ★", "robbery"): ["5", "6"], ("only_other", "not_in_the_rules"): ["1", "2"]}
    json_agree(NATIONAL_RULES, write(tmp_path, "e.csv", rows(series)), engine=engine)


@by_engine
def test_an_area_with_a_control_character_goes_to_the_interpreter(tmp_path, engine):
    data = write(tmp_path, "t.csv", HEADER + "tab\there,robbery,2006/07,1\ntab\there,robbery,2007/08,2\n")
    found = plan_json(NATIONAL_RULES, data, engine=engine)
    assert isinstance(found, Fallback) and "control character" in found.reason
    assert evaluate_job(NATIONAL_RULES, data, output_format="json", engine=engine).text == \
        reference_json(NATIONAL_RULES, data)


@by_engine
def test_rows_only_after_the_period_and_only_missing_values(tmp_path, engine):
    series = {("later", "robbery"): ["", "", "", "7", "8"], ("missing", "arson"): ["1", "suppressed", "", "NA", "n/a"],
              ("later", "arson"): ["", "", "", "", "SUPPRESSED"]}
    data = write(tmp_path, "p.csv", rows(series))
    for period in ("2004/05", "2005/06", None):
        json_agree(NATIONAL_RULES, data, period=period, engine=engine)


# --- the bundled examples -----------------------------------------------------------------------------


def long_form(dataset: Path, folder: Path) -> Path:
    """A bundled dataset's values as a long-form CSV file (its other contents dropped)."""
    loaded, _ = load_all([dataset], None)
    words = {Missing.NA: "n/a", Missing.SUPPRESSED: "suppressed"}
    lines = [f"{area.name},{indicator},{period.label},{words.get(value, value)}\n" for area in loaded.areas
             for indicator, series in area.series.items() for period, value in sorted(series.values.items())]
    return write(folder, dataset.stem + ".csv", HEADER + "".join(lines))


def bundled_cases(folder: Path) -> Iterator[tuple[Path, Path]]:
    """Each bundled rule file the plan supports with each bundled dataset, as a long-form CSV file."""
    datasets = sorted((ROOT / "datasets").glob("*.yaml")) + sorted((ROOT / "datasets").glob("*.csv"))
    supported = [r for r in sorted((ROOT / "rules").glob("*.rules")) if not json_unsupported(load_rules(r))]
    assert supported  # community-safety-plan.rules, at least
    for rules in supported:
        for dataset in datasets:
            yield rules, dataset if dataset.suffix == ".csv" else long_form(dataset, folder)


@by_engine
def test_bundled_rules_the_plan_supports_on_every_bundled_dataset(tmp_path, engine):
    wrote = 0
    for rules, data in bundled_cases(tmp_path):
        try:
            expected = reference_json(rules, data)
        except InputError:
            continue
        got = plan_json(rules, data, engine=engine)
        if isinstance(got, Fallback):  # a file the engines do not check (quoted cells): the interpreter runs
            assert evaluate_job(rules, data, output_format="json", engine=engine).text == expected
            continue
        assert got == expected, (rules.name, data.name)
        wrote += 1
    assert wrote >= 3


# --- derived values: why a point has none ----------------------------------------------------------------

# z of raw indicators, w and u of z: w's value reads c before z, and z reads a before b before c. A report shows z
# and u at their components' places, w (a percentage) at one.
NESTED_RULES = """
indicator a { polarity higher_is_better }
indicator b { polarity lower_is_better }
indicator c { polarity lower_is_better }
indicator z "Z" {
  polarity higher_is_better
  value = sum(a, b) - c * 2
}
indicator w "W of Z" {
  polarity lower_is_better
  value = max(c, z) + min(b, -a) as percent
  arrow {
    compare latest with same period last year
  }
  rag {
    green when arrow is up
    amber when no data
    red otherwise
  }
}
indicator u "Twice Z" {
  polarity higher_is_better
  value = z * 2
}
"""
# Per (area, indicator), a value for each of YEARS (2003/04 on); None: no row at all.
NESTED_DATA: dict[tuple[str, str], list[str | None]] = {
    ("A", "a"): ["1.5", "suppressed", "2", None, "n/a"],  # missing first, before b and c, in 2004/05 and 2007/08
    ("A", "b"): ["2", "3", "N/A", "4.25", None],
    ("A", "c"): ["1", None, "SUPPRESSED", "0.5", "1"],  # w reads c first: absent, then suppressed
    ("B", "c"): [None, None, "3"],  # only c: z and w have a period without a value
    ("C", "q"): ["1"],  # no component at all: no series
    ("D", "a"): ["1", "", "2"], ("D", "b"): ["1", "1", "1"], ("D", "c"): ["1", "1", "1"],  # a gap a year earlier
}


def nested_data(folder: Path) -> Path:
    """NESTED_DATA as a long-form CSV file."""
    return write(folder, "d.csv", HEADER + "".join(f"{area},{indicator},{YEARS[k]},{value}\n"
                                                   for (area, indicator), values in NESTED_DATA.items()
                                                   for k, value in enumerate(values) if value is not None))


@by_engine
@pytest.mark.parametrize("period", [None, "2005/06", "2006/07"])
def test_a_derived_point_without_a_value_names_the_first_missing_component(tmp_path, engine, period):
    rules, data = write(tmp_path, "nested.rules", NESTED_RULES), nested_data(tmp_path)
    assert json_unsupported(load_rules(rules)) == []
    json_agree(rules, data, period, engine=engine)
    json_agree(rules, data, period, areas=["D", "B"], engine=engine)
    if period is None:  # each kind of reason is exercised
        document = json.loads(reference_json(rules, data))
        missing = [p["missing"] for a in document["assessments"] for p in a["series"] if "missing" in p]
        for words in ("component z: component a: a is n/a for", "component a: a is suppressed for",
                      "component c has no value for", "component c: c is suppressed for", "component b: b is n/a for",
                      "component a has no value for"):
            assert any(reason.startswith(words) for reason in missing), words
        reasons = [r for a in document["assessments"] for r in a["reasons"]]
        assert any("(same period a year earlier) to compare with: component z: " in r for r in reasons)
        assert any(r.startswith("no value to assess: component z: ") for r in reasons)


# --- what falls back, and how it says so -----------------------------------------------------------------


@by_engine
def test_a_year_to_date_of_an_indicator_without_a_row_in_the_year_says_so(tmp_path, engine):
    rules = write(tmp_path, "r.rules", "indicator x { polarity higher_is_better }\n"
                  "indicator y { polarity higher_is_better }\n"
                  "indicator z { polarity higher_is_better\n value = year_to_date(x) - financial_year_to_date(y)\n}\n")
    # x has no row in 2006 (z's row there is y's), and none in 2007 until March
    data = write(tmp_path, "d.csv", HEADER + "A,y,2006-05,1\nA,y,2007-01,\nA,y,2007-02,3\nA,y,2007-03,2\n"
                 "A,x,2007-03,4\nA,x,2007-04,5\n")
    json_agree(rules, data, engine=engine)
    expected = reference_json(rules, data)
    assert "x has no value for 2006-01 (needed for 2006-01\u20132006-05)" in expected
    assert "x has no value for 2007-01 (needed for 2007-01\u20132007-03)" in expected


@by_engine
def test_years_to_date_over_a_file_without_rows_are_no_assessment_not_a_failure(tmp_path, engine):
    rules = write(tmp_path, "r.rules", csv_cases.TO_DATE_RULES)
    json_agree(rules, write(tmp_path, "d.csv", HEADER), engine=engine)  # (no period to label a reason with)


@by_engine
def test_every_batch_of_areas_reads_the_comparators_areas(tmp_path, monkeypatch, engine):
    monkeypatch.setattr(json_run, "BATCH_OBS", 1)  # an area a batch: a comparator's area is in one batch alone
    rules = write(tmp_path, "compared.rules", csv_cases.COMPARATOR_RULES)
    data = write(tmp_path, "d.csv", csv_cases.COMPARATOR_DATA)
    json_agree(rules, data, engine=engine)  # (the first batch, National's, assesses nothing)
    json_agree(rules, data, areas=["East", "National"], engine=engine)


@by_engine
def test_a_comparator_beside_values_of_earlier_periods(tmp_path, engine):
    # polars' optimizer panicked on this plan (json_run._polars_runs): the run went to the interpreter
    rules = write(tmp_path, "r.rules", csv_cases.COMPARATORS + "indicator x { polarity higher_is_better }\n"
                  "indicator z {\n polarity higher_is_better\n value = gap(x, nat) - previous(x)\n}\n")
    data = write(tmp_path, "d.csv", HEADER + "".join(
        f"{area},x,{period},{10 + k * 3 + len(area)}\n" for k, period in enumerate(YEARS[:3])
        for area in ("North", "South", "E01000001")))
    json_agree(rules, data, engine=engine)


@by_engine
def test_a_baseline_where_the_data_gives_the_target_is_none_and_says_so(tmp_path, engine):
    rules = write(tmp_path, "r.rules", "indicator z {\n polarity higher_is_better\n target {\n  baseline 2004/05\n"
                  "  increase by 10 % by 2006/07\n }\n rag {\n  red when baseline > 10\n  green otherwise\n }\n}\n")
    data = write(tmp_path, "d.csv", csv_cases.LEVEL_HEADER + "North,z,2004/05,50,\nNorth,z,2005/06,8,\n"
                 "North,z,2006/07,9,\nNorth,z,2006/07,40,target\n")
    json_agree(rules, data, engine=engine)  # the data's target in 2006/07: the rules' baseline is not read
    assert "(line 8): there is no baseline value" in reference_json(rules, data)
    json_agree(rules, data, period="2005/06", engine=engine)  # the rules' target, from the baseline's 50


@pytest.mark.parametrize("rules, reason", [
    ("tutorial.rules", "themes"), ("districts.rules", "themes")])
def test_unsupported_bundled_rules_are_named(rules, reason):
    assert any(reason in r for r in json_unsupported(load_rules(ROOT / "rules" / rules)))


@pytest.mark.parametrize("construct, reason", [
    ("indicator x {\n polarity higher_is_better\n decimals 6\n}\n", "indicator x: `decimals 6`, above 5 (reasons at "
     "that many places) ({rules}:3)"),
    ("indicator x {\n polarity higher_is_better\n arrow {\n compare latest with mean of previous 121\n }\n}\n",
     "indicator x: `compare latest with mean of previous 121` ({rules}:4)"),
])
@by_engine
def test_each_unsupported_construct_falls_back_with_a_note_and_the_same_bytes(tmp_path, construct, reason, engine):
    rules = write(tmp_path, "r.rules", construct)
    data = write(tmp_path, "d.csv", HEADER + "A,x,2005/06,4\nA,x,2006/07,6\n")
    found = plan_json(rules, data, engine=engine)
    assert isinstance(found, Fallback)
    expected = reference_json(rules, data)
    asked = evaluate_job(rules, data, output_format="json", engine=engine)
    assert asked.text == expected and "reference interpreter ran" in asked.notes[0]
    assert reason.format(rules=rules) in asked.notes[0]
    auto = evaluate_job(rules, data, output_format="json")
    assert auto.text == expected and auto.notes == ()  # auto: silently the best path


@by_engine
def test_several_datasets_go_to_the_plan_merged(tmp_path, engine):
    data = write(tmp_path, "d.csv", HEADER + "A,robbery,2006/07,1\n")
    more = write(tmp_path, "e.csv", HEADER + "B,robbery,2006/07,2\n")
    asked = evaluate_job(NATIONAL_RULES, [data, more], output_format="json", engine=engine)
    assert asked.notes == ()  # handed over as one file of their observations (tests/test_dataset_handover.py)
    assert asked.text == evaluate_job(NATIONAL_RULES, [data, more], output_format="json", engine="interpreter").text


# --- streaming ----------------------------------------------------------------------------------------


@by_engine
def test_the_document_comes_in_bounded_pieces(tmp_path, engine, monkeypatch):
    monkeypatch.setattr(json_run, "BATCH_ROWS", 5)
    monkeypatch.setattr(json_run, "BATCH_OBS", 18)  # three areas of six rows a run
    series = {(f"A{a:02}", i): ["1", "2", "3"] for a in range(7) for i in ("robbery", "arson")}
    data = write(tmp_path, "s.csv", rows(series))
    found = json_run.evaluate_json(load_rules(NATIONAL_RULES), data, engine)
    assert not isinstance(found, Fallback)
    pieces = list(found.pieces)
    assert len(pieces) == 2 * -(-3 * 12 // 5) + -(-12 // 5) + 1  # runs of 36, 36 and 12 assessments, five a piece; "]"
    assert all(piece.count('\n      "area": ') <= 5 for piece in pieces)
    written: list[str] = []
    result = evaluate_job(NATIONAL_RULES, data, output_format="json", engine=engine, write=written.append)
    assert result.text == "" and len(written) == len(pieces) + 2  # the head, the pieces, provenance
    assert "".join(written) == reference_json(NATIONAL_RULES, data)


@by_engine
def test_chosen_areas_run_in_batches_of_their_own(tmp_path, engine, monkeypatch):
    monkeypatch.setattr(json_run, "BATCH_OBS", 1)  # an area a run
    series = {(f"A{a:02}", i): ["1", str(a), "3"] for a in range(5) for i in ("robbery", "arson")}
    data = write(tmp_path, "c.csv", rows(series))
    chosen = ["A03", "A01"]
    assert plan_json(NATIONAL_RULES, data, areas=chosen, engine=engine) == reference_json(NATIONAL_RULES, data,
                                                                                             areas=chosen)


def test_polars_runs_the_plan_a_batch_of_whole_areas_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(json_run, "BATCH_OBS", 3)  # runs of whole areas, in the order they first appear
    monkeypatch.setattr(json_run, "BATCH_ROWS", 5)
    runs: list[int] = []
    real = json_run._polars_runs

    def counted(*args):  # type: ignore[no-untyped-def]
        for frame in real(*args):
            runs.append(frame.height)
            yield frame

    monkeypatch.setattr(json_run, "_polars_runs", counted)
    # areas of 3, 6 and 9 rows, listed out of order and interleaved: no batch may cut an area or reorder them
    series = {("B", "robbery"): ["1", "2", "3"], ("A", "robbery"): ["4", "", "2"], ("A", "arson"): ["1", "1", "1"],
              ("C", "arson"): ["5", "6", "7"], ("C", "robbery"): ["0", "0", "1"], ("C", "burglary"): ["2", "3", ""]}
    data = write(tmp_path, "b.csv", rows(series))
    found = json_run.evaluate_json(load_rules(NATIONAL_RULES), data, "polars")
    assert not isinstance(found, Fallback)
    pieces = list(found.pieces)
    assert runs == [12, 12, 12]  # B (3 rows) fills a batch, A (6) starts one and C (9) another; 12 indicators each
    assert len(pieces) == 3 * 3 + 1  # each run in pieces of five: 5, 5, 2; then "]"
    _, files = load_all([data], None)
    document = "".join(json_document(found.period, iter(pieces), provenance_for(load_rules(NATIONAL_RULES), files)))
    assert document == reference_json(NATIONAL_RULES, data)


@by_engine
def test_one_area_is_one_run(tmp_path, engine, monkeypatch):
    monkeypatch.setattr(json_run, "BATCH_OBS", 1)
    data = write(tmp_path, "one.csv", rows({("Only", "robbery"): ["1", "2", "3"], ("Only", "arson"): ["3", "", "1"]}))
    assert plan_json(NATIONAL_RULES, data, engine=engine) == reference_json(NATIONAL_RULES, data)


def test_a_number_too_large_after_the_first_batch_still_falls_back_before_anything_is_written(tmp_path,
                                                                                             monkeypatch):
    monkeypatch.setattr(json_run, "BATCH_OBS", 1)  # an area a batch, were the numbers proved in range
    huge = "9" * 36
    data = write(tmp_path, "d.csv", HEADER + f"A,robbery,2003/04,1\nA,robbery,2004/05,2\nX,robbery,2003/04,{huge}\n"
                                             f"X,robbery,2004/05,1{huge}\n")
    found = json_run.evaluate_json(load_rules(NATIONAL_RULES), data, "duckdb")
    assert isinstance(found, Fallback) and found.note and "too large" in found.reason  # X's overflow: in one run
    result = evaluate_job(NATIONAL_RULES, data, output_format="json", engine="duckdb")
    assert result.text == reference_json(NATIONAL_RULES, data) and "too large" in result.notes[0]


def test_out_of_order_rows_are_refused_not_written():
    batches = [[("{}", 0, 0), ("{}", 0, 1)], [("{}", 0, 1)]]
    with pytest.raises(AssertionError):
        list(json_run._array(iter(batches)))
    assert "".join(json_run._array(iter(batches[:1]))) == "[\n    {},\n    {}\n  ]"


def test_auto_writes_json_with_the_plan_from_files_of_some_size(tmp_path, monkeypatch):
    from lsprules.jobs import evaluate as job

    calls: list[str] = []
    real = json_run.evaluate_json

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(json_run, "evaluate_json", spy)
    data = write(tmp_path, "a.csv", rows({("A", "robbery"): ["1", "2", "3"], ("B", "arson"): ["4", "", "2"]}))
    expected = reference_json(NATIONAL_RULES, data)
    assert evaluate_job(NATIONAL_RULES, data, output_format="json").text == expected and calls == []  # small
    monkeypatch.setattr(job, "AUTO_JSON_BYTES", 0)
    result = evaluate_job(NATIONAL_RULES, data, output_format="json")
    assert result.text == expected and result.notes == () and calls == ["polars"]  # installed for the tests
    monkeypatch.setattr(job, "AUTO_POLARS_CSV_BYTES", range(0, data.stat().st_size))
    result = evaluate_job(NATIONAL_RULES, data, output_format="json")
    assert result.text == expected and calls == ["polars", "duckdb"]  # too large for polars to hold whole
    monkeypatch.setattr(job, "AUTO_POLARS_CSV_BYTES", range(0, data.stat().st_size + 1))
    real_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "polars" else real_spec(name, *a))
    result = evaluate_job(NATIONAL_RULES, data, output_format="json")
    assert result.text == expected and result.notes == () and calls == ["polars", "duckdb", "duckdb"]  # no polars
    missing = tmp_path / "missing.csv"
    with pytest.raises(InputError):  # reported by the reader, as without the plan
        evaluate_job(NATIONAL_RULES, missing, output_format="json")


@by_engine
def test_the_reasons_show_numbers_at_the_rules_decimals_as_the_interpreter_does(tmp_path, engine):
    rules = write(tmp_path, "r.rules", "indicator x {\n polarity lower_is_better\n decimals 0\n target {\n"
                  "  baseline 2003/04\n  reduce by 17.5 % by 2007/08\n }\n rag {\n  green when on trajectory\n"
                  "  red otherwise\n }\n}\nindicator y {\n polarity higher_is_better\n decimals 2\n target 2.5\n}\n"
                  "indicator z { polarity higher_is_better }\n")
    values = zip(range(2003, 2008), ("41", "-0.4", "12.345", "3", "-2.5"), strict=True)
    data = write(tmp_path, "d.csv", HEADER + "".join(f"A,{i},{y}/{(y + 1) % 100:02d},{v}\n" for y, v in values
                                                     for i in "xyz"))
    got = plan_json(rules, data, engine=engine)
    assert got == reference_json(rules, data)
    assert isinstance(got, str) and "latest value -3 in 2007/08" in got  # 0 places: -2.5 rounds away from zero
    assert "latest value -2.50 in 2007/08" in got and "latest value -2.5 in 2007/08" in got  # y at 2, z plain
    # 41 less 17.5 %, 33.825, is not whole: the computed target and trajectory get one place more than the rule's
    assert "target 33.8 by 2007/08 (reduce by 17.5 % from 41 in 2003/04); linear trajectory value for 2007/08: 33.8" \
        in got


@by_engine
@pytest.mark.parametrize("period", [None, "2006/07"])
def test_themes_are_rated_from_the_plans_assessments_as_the_interpreter_rates_them(tmp_path, engine, period):
    rules, data = ROOT / "rules" / "five-band.rules", tmp_path / "d.csv"
    values = ("70", "85", "na", "61", "40", "52", "400", "380", "95", "88")
    data.write_text(HEADER + "".join(
        f"{area},{indicator},{year}/{(year + 1) % 100:02d},{values[(a * 7 + i * 3 + year) % len(values)]}\n"
        for a, area in enumerate(("North", "South", "East")) for i, indicator in
        enumerate(("satisfaction", "missed_bins", "planning_on_time", "fly_tipping", "housing_repairs"))
        for year in range(2004, 2008)), encoding="utf-8")
    asked = evaluate_job(rules, data, output_format="json", engine=engine, period=period)
    assert asked.notes == () and asked.text == reference_json(rules, data, period)
    ratings = [theme["rating"] for theme in json.loads(asked.text)["themes"]]
    assert len(ratings) == 3 and None not in ratings
