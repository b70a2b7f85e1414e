"""`lsprules explain --indicator`: the whole story of one result, and exactly what would change it."""

import json
import re
from fractions import Fraction

import pytest

from audit_helpers import DATA, RULES, check_golden, run, run_process, workspace
from lsprules.audit.explanation import explain_indicator
from lsprules.audit.indicator_whatif import WhatIf
from lsprules.core.periods import parse_period
from lsprules.data.readers.yaml_reader import load_dataset
from lsprules.engine.interpreter import AreaEvaluator, evaluate
from lsprules.lang.resolve import load_rules

AT = parse_period("2006/07")


@pytest.fixture(scope="module")
def rules():
    return load_rules(RULES)


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(DATA)


def clause_line(text: str) -> int:
    """The line of a clause in the bundled rules, found by its text (so the tests survive edits above it)."""
    lines = RULES.read_text(encoding="utf-8").splitlines()
    # a band's description in quotes (`green "on course" when …`) is not part of what a clause tests
    bare = [re.sub(r'^(\w+) "[^"]*" ', r"\1 ", line.strip()) for line in lines]
    return next(i for i, line in enumerate(bare, 1) if line.startswith(text))


def test_theft_from_vehicle_tells_the_whole_story(tmp_path):
    result = run_process("explain", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml",
                 "--indicator", "theft_from_vehicle", "--period", "2006/07", cwd=workspace(tmp_path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "1082 (2005/06) → 1126 (2006/07): change +44" in text
    assert "static within 1.5 %" in text and "from 1065.77 to 1098.23 inclusive is static" in text
    assert "1542 − 17.5 % × 1542 = 1542 − 269.85 = 1272.15" in text
    assert "1542 + (1272.15 − 1542) × 3/4 = 1339.6125" in text
    green = clause_line("green when on trajectory")
    assert f"`green when on trajectory` (rules/crime.rules:{green}) — holds → decides green" in text
    assert "`amber when arrow is up`" in text and "not tried" in text
    # What would change it: the first whole number of offences past the trajectory value.
    assert "RAG green → red at 1340 (214 more, +19.0 %); threshold: the trajectory value for 2006/07 = 1339.6125" \
        in text
    assert "arrow ▼ worse → ◀▶ static at 1098 (28 fewer" in text
    assert "provenance: lsprules" in text and "sha256" in text
    check_golden("explain/theft_from_vehicle-2006-07.txt", text)


def test_derived_value_shows_its_components_and_the_reports_total(tmp_path):
    result = run("explain", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-i",
                 "bcs_comparator_crimes", cwd=workspace(tmp_path))
    assert "value = sum(theft_of_vehicle, theft_from_vehicle" in result.stdout
    assert "theft_of_vehicle = 547, theft_from_vehicle = 1126" in result.stdout and "→ 10634" in result.stdout
    assert "the report printed 10202 for 2003/04; the rules compute 10203" in result.stdout
    check_golden("explain/bcs_comparator_crimes-2006-07.txt", result.stdout)


def test_ratio_fields_and_a_fixed_target(rules, dataset):
    words = "\n".join(line for s in explain_indicator(rules, dataset, "dip_kpi_1", AT).sections for line in s.lines)
    assert "value = assessed / contacts as percent" in words
    assert "assessed = 88 (field), contacts = 160 (field) (× 100 for per cent) → 55" in words
    assert "55 is 5 short of the target 60; allowed 5 → yes" in words
    assert "RAG amber → green at 60 (5 higher, +9.1 %)" in words
    assert "RAG amber → red below 55 (any lower value)" in words


def test_missing_latest_value_and_method_break_are_explained(rules, dataset):
    gap = explain_indicator(rules, dataset, "national_gap_robbery", AT)
    value = gap.sections[0].lines
    assert any("there is no value for 2006/07" in line for line in value)
    retained = explain_indicator(rules, dataset, "drug_treatment_retained_12wk", AT)
    assert any("method break at 2006/07" in line for line in retained.sections[1].lines)


def test_json_carries_facts_thresholds_and_provenance(tmp_path):
    ws = workspace(tmp_path)
    args = ("explain", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-i", "theft_from_vehicle",
            "-f", "json")
    first, second = run(*args, cwd=ws), run(*args, cwd=ws)
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert document["value"] == 1126 and document["arrow"] == "down" and document["rag"] == "green"
    assert document["rule"]["line"] == clause_line("green when on trajectory")
    assert {"value": 1339.6125, "exact": "1339.6125", "what": "the trajectory value for 2006/07"} \
        in document["thresholds"]
    assert document["changes"]["rag"] == [{"direction": "up", "value": 1340, "threshold": 1339.6125,
                                           "threshold_is": "the trajectory value for 2006/07",
                                           "at_threshold": False, "arrow": "down", "rag": "red"}]
    assert [f["role"] for f in document["provenance"]["inputs"]] == ["rules", "dataset"]


@pytest.mark.parametrize("args, message", [
    (("-i", "theft_from_vehicel"), "did you mean 'theft_from_vehicle'?"),
    (("-i", "crime"), "'crime' is a theme: use --theme crime"),
    (("-t", "crim"), "did you mean 'crime'?"),
    ((), "name exactly one of --indicator ID or --theme ID"),
    (("-i", "robbery", "-t", "crime"), "name exactly one"),
    (("-i", "robbery", "--period", "2010/11"), "E304"),
    (("-i", "robbery", "--area", "Middlesbrough"), "E003"),
])
def test_bad_requests_exit_2(args, message):
    result = run("explain", str(RULES), str(DATA), *args)
    assert result.returncode == 2 and message in result.stderr and result.stdout == ""


# --- what would change the result: checked against the interpreter by brute force -------------


def whatif_for(rules, dataset, indicator, period=AT):
    evaluator = AreaEvaluator(rules, dataset.areas[0])
    spec = rules.indicators[indicator]
    return WhatIf(spec, evaluator.points(indicator, period), evaluator.breaks(indicator), evaluator.places(indicator))


COUNTS = ["theft_of_vehicle", "theft_from_vehicle", "vehicle_interference", "domestic_burglary", "cycle_theft",
          "theft_from_person", "robbery", "common_assault", "wounding", "criminal_damage", "bcs_comparator_crimes"]


@pytest.mark.parametrize("indicator", COUNTS)
@pytest.mark.parametrize("upward", [True, False])
def test_nearest_change_is_the_nearest_whole_number_that_changes(rules, dataset, indicator, upward):
    whatif = whatif_for(rules, dataset, indicator)
    move = whatif.nearest(upward, lambda o: (o.arrow, o.rag))
    step = 1 if upward else -1
    limit = move.first if move else whatif.value + step * 3 * whatif.value
    value = whatif.value + step
    # Every whole number before the reported one keeps the current result; the reported one changes it.
    while value != limit:
        outcome = whatif.outcome(value)
        assert (outcome.arrow, outcome.rag) == (whatif.current.arrow, whatif.current.rag), value
        value += step
    if move:
        assert (move.outcome.arrow, move.outcome.rag) != (whatif.current.arrow, whatif.current.rag)


def test_change_agrees_with_a_full_evaluation_of_edited_data(rules, tmp_path):
    # Independent of the what-if code: put the reported values into the dataset and evaluate it afresh.
    from lsprules.data.readers.yaml_reader import load_dataset_bytes

    text = DATA.read_text(encoding="utf-8")
    row = "values: {2003/04: 1542, 2004/05: 1034, 2005/06: 1082, 2006/07: 1126}"
    assert row in text
    for value, rag in (("1339", "green"), ("1339.6125", "green"), ("1340", "red")):
        edited = text.replace(row, row.replace("2006/07: 1126", f"2006/07: {value}"))
        result = evaluate(rules, load_dataset_bytes("edited.yaml", edited.encode("utf-8")), AT)
        assessment = next(a for a in result.assessments if a.indicator == "theft_from_vehicle")
        assert assessment.rag == rag, value


def test_thresholds_are_exact_fractions(rules, dataset):
    whatif = whatif_for(rules, dataset, "theft_from_vehicle")
    values = {t.what: t.value for t in whatif.thresholds()}
    assert values["the trajectory value for 2006/07"] == Fraction(1542) - Fraction(1542) * Fraction(175, 1000) * 3 / 4
    assert values["static edge: 1.5 % above 1082"] == Fraction(1082) * Fraction(1015, 1000)


def test_csv_datasets_and_several_areas(tmp_path):
    (tmp_path / "data.csv").write_text("area,indicator,period,value\nNorth,robbery,2005/06,100\n"
                                       "North,robbery,2006/07,90\nSouth,robbery,2006/07,5\n", encoding="utf-8")
    args = ("explain", str(RULES), "data.csv", "-i", "robbery")
    assert "the dataset has several areas: choose one with --area" in run(*args, cwd=tmp_path).stderr
    result = run(*args, "--area", "North", cwd=tmp_path)
    assert result.returncode == 0 and "100 (2005/06) → 90 (2006/07): change −10 (−10.0 %)" in result.stdout
    assert "dataset data.csv sha256" in result.stdout


THRESHOLD_RULES = """indicator x "On the edge" {
  polarity lower_is_better
  target 100
  rag {
    green when target met
    amber when within 5 % of target
    red otherwise
  }
}
"""


@pytest.mark.parametrize("latest", [100, 105])
def test_a_value_exactly_on_a_band_edge_names_the_boundary_it_sits_on(tmp_path, latest):
    # At 100 (the target) the next worse value, 101, is amber; at 105 (the amber edge) 106 is red: one step
    # beyond the edge, as `test --boundaries` says, not halfway to the next threshold.
    (tmp_path / "x.rules").write_text(THRESHOLD_RULES, encoding="utf-8")
    (tmp_path / "x.yaml").write_text(f"area: A\nindicators:\n  x: {{values: {{'2005/06': 90, '2006/07': {latest}}}}}\n",
                                     encoding="utf-8")
    text = run("explain", "x.rules", "x.yaml", "--indicator", "x", cwd=tmp_path).stdout
    worse = {100: "RAG green → amber at 101 (1 more", 105: "RAG amber → red at 106 (1 more"}[latest]
    assert worse in text
    boundaries = run("test", "--boundaries", "x.rules", "--data", "x.yaml", cwd=tmp_path).stdout
    assert {100: "101", 105: "106"}[latest] in boundaries
    check_golden(f"explain/on-the-edge-{latest}.txt", text)
