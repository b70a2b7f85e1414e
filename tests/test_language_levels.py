"""Rule language v2, part B: reference levels, stated numbers, profiled targets and significance.

Each construct is tested through the whole pipeline (parse, resolve, evaluate, every input format, fmt,
check, diff, explain), and every lsprules example of docs/language.md passes `check` and evaluates.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import statsmodels.stats.proportion as statsmodels_proportion
import yaml
from openpyxl import Workbook

from audit_helpers import run
from lsprules.core.diagnostics import InputError
from lsprules.core.periods import PeriodKind, parse_period
from lsprules.data.load import load_all
from lsprules.engine.interpreter import annual_profile, evaluate
from lsprules.jobs.check import run_check
from lsprules.lang import nodes
from lsprules.lang.parser import parse_text
from lsprules.lang.printer import format_rule_file
from lsprules.lang.resolve import load_rules

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "language.md"

LEVELS_RULES = """\
indicator burglary "Burglary" {
  polarity lower_is_better
  levels {
    trigger 80
    stretch 70
  }
  rag {
    green when value reaches stretch
    amber when value reaches trigger
    red otherwise
  }
}

indicator learners "Learners" {
  polarity higher_is_better
  target from data
  rag {
    green when target met
    amber when value reaches trigger
    red otherwise
  }
}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def assess(rules: Path, *data: Path, period: str | None = None) -> dict[tuple[str, str], object]:
    dataset, _ = load_all(list(data))
    result = evaluate(load_rules(rules), dataset, parse_period(period) if period else None)
    return {(a.area, a.indicator): a for a in result.assessments}


# --- reference levels ----------------------------------------------------------------------------------------


def test_levels_parse_print_and_round_trip():
    rule_file = parse_text(LEVELS_RULES)
    burglary = rule_file.items[0]
    assert isinstance(burglary, nodes.Indicator) and burglary.settings is not None
    levels = burglary.settings[1]
    assert levels == nodes.LevelsBlock((nodes.LevelStmt("trigger", nodes.Quantity(Decimal(80))),
                                        nodes.LevelStmt("stretch", nodes.Quantity(Decimal(70)))))
    rag = burglary.settings[2]
    assert isinstance(rag, nodes.RagBlock)
    assert rag.clauses[0].condition == nodes.Reaches(nodes.Ref("value"), nodes.LevelRef("stretch"))
    assert format_rule_file(rule_file) == LEVELS_RULES
    assert parse_text(format_rule_file(rule_file)) == rule_file


@pytest.mark.parametrize(("value", "band"), [(69, "green"), (70, "green"), (75, "amber"), (80, "amber"), (81, "red")])
def test_reaches_reads_the_polarity_and_includes_the_level(tmp_path, value, band):
    rules = write(tmp_path, "r.rules", LEVELS_RULES)
    data = write(tmp_path, "d.yaml", f"area: A\nindicators:\n  burglary: {{values: {{2006/07: {value}}}}}\n")
    assert assess(rules, data)["A", "burglary"].rag == band


def test_data_levels_replace_the_rules_and_give_per_area_targets(tmp_path):
    rules = write(tmp_path, "r.rules", LEVELS_RULES)
    data = write(tmp_path, "d.yaml", """\
areas:
  North:
    indicators:
      burglary: {values: {2006/07: 85}, levels: {trigger: {2006/07: 90}}}
      learners: {values: {2006/07: 360}, levels: {target: {2006/07: 420}, trigger: {2006/07: 350}}}
  South:
    indicators:
      burglary: {values: {2006/07: 85}}
      learners: {values: {2006/07: 310}, levels: {target: {2006/07: 300}}}
""")
    results = assess(rules, data)
    assert results["North", "burglary"].rag == "amber"  # the data's trigger 90, not the rules' 80
    assert results["South", "burglary"].rag == "red"  # the rules' trigger 80
    assert results["North", "burglary"].levels == (("trigger", Fraction(90)), ("stretch", Fraction(70)))
    north = results["North", "learners"]
    assert (north.target, north.rag) == (Fraction(420), "amber")
    assert "target 420 for 2006/07 (from the dataset)" in north.reasons
    south = results["South", "learners"]
    assert (south.target, south.rag) == (Fraction(300), "green")


def test_a_level_no_one_gives_leaves_the_rating_na_with_the_reason(tmp_path):
    rules = write(tmp_path, "r.rules", LEVELS_RULES)
    data = write(tmp_path, "d.yaml", "area: A\nindicators:\n  learners: {values: {2006/07: 300}}\n")
    learners = assess(rules, data)["A", "learners"]
    assert learners.rag is None
    assert "no target: the dataset gives none for 2006/07 (target from data)" in learners.reasons


def _long_rows() -> list[list[object]]:
    return [["area", "indicator", "period", "value", "level", "stated"],
            ["North", "burglary", "2006/07", 85, None, None],
            ["North", "burglary", "2006/07", 90, "trigger", None],
            ["North", "learners", "2006/07", 360, None, None],
            ["North", "learners", "2006/07", 420, "target", None],
            ["North", "learners", "2006/07", 350, "trigger", None],
            ["North", "learners", "2006/07", 400, None, "target"]]


def test_levels_and_stated_numbers_read_the_same_from_yaml_json_csv_and_xlsx(tmp_path):
    rules = write(tmp_path, "r.rules", LEVELS_RULES)
    document = {"areas": {"North": {"indicators": {
        "burglary": {"values": {"2006/07": 85}, "levels": {"trigger": {"2006/07": 90}}},
        "learners": {"values": {"2006/07": 360}, "levels": {"target": {"2006/07": 420}, "trigger": {"2006/07": 350}},
                     "stated": {"target": {"2006/07": 400}}}}}}}
    files = [write(tmp_path, "d.yaml", yaml.safe_dump(document)), write(tmp_path, "d.json", json.dumps(document)),
             write(tmp_path, "d.csv", "\n".join(",".join("" if c is None else str(c) for c in row)
                                               for row in _long_rows()) + "\n")]
    book = Workbook()
    for row in _long_rows():
        book.active.append(row)
    book.save(tmp_path / "d.xlsx")
    files.append(tmp_path / "d.xlsx")
    outcomes = []
    for path in files:
        results = assess(rules, path)
        learners = results["North", "learners"]
        outcomes.append((results["North", "burglary"].rag, learners.rag, learners.target, learners.levels,
                         [(d.field, d.reported, d.computed) for d in learners.discrepancies]))
    assert outcomes[0] == ("amber", "amber", Fraction(420), (("trigger", Fraction(350)),),
                           [("stated target", "400", "420")])
    assert all(outcome == outcomes[0] for outcome in outcomes), outcomes


def test_a_series_of_levels_alone_reads_the_same_from_yaml_json_and_csv(tmp_path):
    """An area's agreed target before any value: a series without values, as a CSV file's level rows alone make."""
    rules = write(tmp_path, "r.rules", LEVELS_RULES)
    document = {"areas": {"North": {"indicators": {"burglary": {"values": {"2006/07": 85}}}},
                          "South": {"indicators": {"burglary": {"levels": {"trigger": {"2006/07": 90}}}}}}}
    files = [write(tmp_path, "d.yaml", yaml.safe_dump(document)), write(tmp_path, "d.json", json.dumps(document)),
             write(tmp_path, "d.csv", "area,indicator,period,value,level\nNorth,burglary,2006/07,85,\n"
                                      "South,burglary,2006/07,90,trigger\n")]
    outcomes = [[(a.area, a.indicator, a.value, a.reasons) for a in assess(rules, path).values()] for path in files]
    assert ("South", "burglary", None, ("no value up to the assessed period",)) in outcomes[0]
    assert outcomes[1] == outcomes[0] and outcomes[2] == outcomes[0]


def test_a_bad_level_row_is_reported_at_its_cell(tmp_path):
    rules = write(tmp_path, "r.rules", LEVELS_RULES)
    data = write(tmp_path, "d.csv", "area,indicator,period,value,level\nA,burglary,2006/07,85,trigerr\n"
                                    "A,burglary,2006/07,90,trigger\nA,burglary,2006/07,91,trigger\n")
    result = run("evaluate", str(rules), str(data))
    assert result.returncode == 2
    assert "d.csv:2:23: error[E305]: row 2, column 5: 'trigerr' is not a level name" in result.stderr
    assert "did you mean 'trigger'?" in result.stderr
    assert "error[E307]: row 4, column 4: level trigger of burglary for A in 2006/07 is 91 here but 90" \
        in result.stderr


def test_level_words_are_reserved_and_unknown_levels_are_e132(tmp_path):
    rules = write(tmp_path, "r.rules", 'comparator benchmark "England" area "England"\n'
                                       'indicator stretch "S" {\n  polarity lower_is_better\n'
                                       '  levels {\n    target 5\n  }\n}\n')
    codes = [d.code for _, d in run_check([rules]).diagnostics]
    assert codes.count("E114") == 2 and "E132" in codes


def test_diff_and_explain_show_levels(tmp_path):
    old = write(tmp_path, "old.rules", LEVELS_RULES)
    new = write(tmp_path, "new.rules", LEVELS_RULES.replace("trigger 80", "trigger 85"))
    diff = run("diff", str(old), str(new))
    assert "indicator burglary: trigger level 80 → 85 [line 4]" in diff.stdout
    data = write(tmp_path, "d.yaml", "area: A\nindicators:\n  burglary: {values: {2005/06: 90, 2006/07: 75},"
                                     " levels: {trigger: {2006/07: 78}}}\n")
    explained = run("explain", str(new), str(data), "--indicator", "burglary").stdout
    assert "trigger level 78 (from the dataset)" in explained
    assert "stretch level 70 (set at line 5)" in explained
    assert "RAG amber → green at 70" in explained and "where `value reaches stretch` flips = 70" in explained
    assert "RAG amber → red at 79" in explained


def test_check_places_reaches_on_the_value_axis(tmp_path):
    rules = write(tmp_path, "r.rules", """\
indicator b "B" {
  polarity higher_is_better
  rag {
    green when value reaches 10
    red when value < 5
  }
}
""")
    report = run_check([rules])
    assert "values from 5 up to but not including 10 match no clause" in report.text


def test_json_lists_levels_only_where_there_are_some(tmp_path):
    rules = write(tmp_path, "r.rules", LEVELS_RULES)
    data = write(tmp_path, "d.yaml", "area: A\nindicators:\n  burglary: {values: {2006/07: 75}}\n"
                                     "  learners: {values: {2006/07: 1}}\n")
    document = json.loads(run("evaluate", str(rules), str(data), "-f", "json").stdout)
    by_id = {a["indicator"]: a for a in document["assessments"]}
    assert by_id["burglary"]["levels"] == {"trigger": 80, "stretch": 70}
    assert "levels" not in by_id["learners"]


# --- stated numbers -------------------------------------------------------------------------------------------


def test_the_plan_that_does_not_add_up_lists_every_contradiction():
    results = assess(ROOT / "rules" / "community-safety-plan.rules", ROOT / "datasets" / "community-safety-plan.yaml")
    found = [(d.field, d.period.label, d.reported, d.computed)
             for d in results["Northtown", "british_crime_survey_crime"].discrepancies]
    # 9564 less 17.5 % is 9564 * 0.825; 8000 to 7520 is -480 / 8000; 8900 to 8000 is -900 / 8900.
    assert Fraction(9564) * Fraction(825, 1000) == Fraction(78903, 10)
    assert Fraction(-480, 8000) * 100 == Fraction(-6) and round(Fraction(-900, 8900) * 100, 1) == Fraction("-10.1")
    # The stated baseline (9564), change (-480) and 2005/06 % change (-10.1) agree: they are not listed.
    assert found == [("stated target", "2007/08", "7859", "7890.3"), ("stated change_pct", "2006/07", "-0.6", "-6.0")]


def test_stated_profiles_are_checked_part_by_part_and_in_total():
    results = assess(ROOT / "rules" / "quarterly-targets.rules", ROOT / "datasets" / "quarterly-targets.yaml")
    victims = [(d.field, d.period.label, d.reported, d.computed)
               for d in results["Northtown", "victims_helped_ytd"].discrepancies]
    burglaries = [(d.field, d.period.label, d.reported, d.computed)
                  for d in results["Northtown", "burglaries"].discrepancies]
    assert victims == [("stated target", "2007/08-Q4", "1190", "1200")]
    assert burglaries == [("stated target", "2007/08-Q4", "90", "100"),
                          ("stated profile total", "2007/08-Q4", "390", "400"),
                          ("stated total", "2006/07-Q4", "412", "414")]  # 110 + 98 + 105 + 101


def test_fail_on_discrepancy_counts_stated_numbers():
    result = run("evaluate", "rules/community-safety-plan.rules", "datasets/community-safety-plan.yaml",
                 "--fail-on-discrepancy", cwd=ROOT)
    assert result.returncode == 1


# --- profiled targets -----------------------------------------------------------------------------------------


def _annual(text: str) -> nodes.AnnualStmt:
    rule_file = parse_text(f"indicator x {{\n  polarity higher_is_better\n  target {{\n    {text}\n  }}\n}}\n")
    indicator = rule_file.items[0]
    assert isinstance(indicator, nodes.Indicator) and indicator.settings is not None
    block = indicator.settings[1]
    assert isinstance(block, nodes.TargetBlock) and isinstance(block.statements[0], nodes.AnnualStmt)
    return block.statements[0]


def test_profiles_discrete_and_cumulative_over_quarters_and_months():
    even = annual_profile(_annual("annual 400 in 2007/08 profiled evenly"), PeriodKind.FINANCIAL_QUARTER)
    assert [(p.label, v) for p, v in even] == [(f"2007/08-Q{q}", 100) for q in range(1, 5)]
    shares = _annual("annual 1200 in 2007/08 profiled by 20 %, 25 %, 25 %, 30 % cumulative")
    assert [v for _, v in annual_profile(shares, PeriodKind.FINANCIAL_QUARTER)] == [240, 540, 840, 1200]
    months = annual_profile(_annual("annual 1200 in 2007 profiled evenly cumulative"), PeriodKind.MONTH)
    assert (months[0], months[-1]) == ((parse_period("2007-01"), 100), (parse_period("2007-12"), 1200))
    april = annual_profile(_annual("annual 12 in 2007/08 profiled evenly"), PeriodKind.MONTH)
    assert april[0][0].label == "2007-04" and april[-1][0].label == "2008-03"
    assert annual_profile(shares, PeriodKind.MONTH) == "the profile has 4 shares, and 2007/08 has 12 months"


@pytest.mark.parametrize(("statement", "message"), [
    ("annual 10 in 2007-Q1 profiled evenly", "an annual target is for a year, not 2007-Q1"),
    ("annual 10 in 2007 profiled by 50 %, 50 %", "a profile has 4 shares (quarters) or 12 (months)"),
    ("annual 10 in 2007 profiled by 20 %, 20 %, 20 %, 20 %", "the profile's shares add up to 80 %, not 100 %"),
])
def test_bad_profiles_are_e134(statement, message):
    with pytest.raises(InputError) as raised:
        from lsprules.core.source import Source
        from lsprules.lang.resolve import resolve

        text = f"indicator x {{\n  polarity higher_is_better\n  target {{\n    {statement}\n  }}\n}}\n"
        resolve(parse_text(text), Source("t.rules", text))
    (problem,) = raised.value.diagnostics
    assert problem.code == "E134" and message in problem.message


# --- significance ---------------------------------------------------------------------------------------------


def test_the_public_health_profile_matches_an_independent_computation():
    results = assess(ROOT / "rules" / "public-health.rules", ROOT / "datasets" / "public-health.yaml")
    low, high = statsmodels_proportion.proportion_confint(220, 2000, method="wilson")
    assert low * 100 > 8.8  # wholly above England: worse, for lower is better
    assert results["Northtown", "smoking_at_delivery"].rag == "red"
    low, high = statsmodels_proportion.proportion_confint(820, 1700, alpha=0.002, method="wilson")
    assert low * 100 < 49.2 < high * 100
    assert results["Northtown", "breastfeeding"].rag == "amber"
    smoking = results["Northtown", "smoking_at_delivery"]
    assert smoking.arrow == "up" and any(r.startswith("▲ decreasing and getting better") for r in smoking.reasons)
    assert any("confidence interval 9.70 to 12.45 against the benchmark 8.8: higher than it" in r
               for r in smoking.reasons)


def test_significance_round_trips_and_is_refused_outside_rag_conditions(tmp_path):
    text = ("indicator x {\n  polarity higher_is_better\n  arrow {\n    compare recent trend at 99.8 %\n  }\n"
            "  rag {\n    green when significantly better than benchmark at 99.8 %\n"
            "    amber when not significantly different from benchmark\n    red otherwise\n  }\n}\n")
    assert format_rule_file(parse_text(text)) == text
    bad = write(tmp_path, "bad.rules", "indicator x {\n  polarity higher_is_better\n  arrow {\n"
                                       "    compare recent trend at 120 %\n  }\n}\n"
                                       "theme t {\n  scale A < B\n  indicators x\n"
                                       "  rating {\n    B when significantly worse than benchmark\n"
                                       "    A otherwise\n  }\n}\n")
    codes = sorted(d.code for _, d in run_check([bad]).diagnostics)
    assert codes == ["E112", "E133"]


def test_the_fast_path_agrees_or_steps_aside_for_the_new_constructs(tmp_path):
    from fastpath_helpers import agree

    data = write(tmp_path, "d.csv", "area,indicator,period,value\n" + "".join(
        f"A,burglary,{y},{v}\nA,learners,{y},{v * 4}\n"
        for y, v in zip(["2002/03", "2003/04", "2004/05", "2005/06", "2006/07"], [90, 85, 80, 75, 70], strict=True)))
    agree(write(tmp_path, "levels.rules", LEVELS_RULES), data)
    trend = LEVELS_RULES.replace("  levels {", "  arrow {\n    compare recent trend at 95 %\n  }\n  levels {", 1)
    agree(write(tmp_path, "trend.rules", trend), data)
    annual = LEVELS_RULES.replace("target from data", "target {\n    annual 300 in 2006 profiled evenly\n  }")
    agree(write(tmp_path, "annual.rules", annual), data)


@pytest.mark.parametrize(("values", "reason"), [
    ("{2018-Q1: 1, 2018-Q2: 2, 2018-Q3: 3, 2018-Q4: 4, 2019-Q1: 5}", "tested on yearly values only, not on quarters"),
    ("{2015/16: 1, 2017/18: 2, 2018/19: 3, 2019/20: 4, 2020/21: 5}", "are not for five consecutive years"),
])
def test_the_trend_keeps_to_the_fingertips_criteria(tmp_path, values, reason):
    rules = write(tmp_path, "r.rules", "indicator c {\n  polarity lower_is_better\n  arrow {\n"
                                       "    compare recent trend at 95 %\n  }\n}\n")
    data = write(tmp_path, "d.yaml", f"area: A\nindicators:\n  c: {{values: {values}}}\n")
    count = assess(rules, data)["A", "c"]
    assert count.arrow == "na"
    assert any(r.startswith("no arrow: the recent trend at 95 % cannot be calculated") and reason in r
               for r in count.reasons), count.reasons


def test_a_count_trend_uses_byars_intervals(tmp_path):
    rules = write(tmp_path, "r.rules", "indicator c {\n  polarity lower_is_better\n  arrow {\n"
                                       "    compare recent trend at 95 %\n  }\n}\n")
    data = write(tmp_path, "d.yaml", "area: A\nindicators:\n  c: {values: {2016: 400, 2017: 380, 2018: 350, "
                                     "2019: 330, 2020: 300}}\n")
    count = assess(rules, data)["A", "c"]
    assert count.arrow == "up"  # falling counts, lower is better: a significant improvement


# --- the examples of docs/language.md -------------------------------------------------------------------------


def _doc_datasets(folder: Path) -> dict[str, Path]:
    text = DOC.read_text(encoding="utf-8")
    found = {}
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        name = block.splitlines()[0].removeprefix("# ").strip()
        if name.endswith(".yaml"):
            found[name] = write(folder, name, block)
    return found


def test_every_example_of_the_language_reference_passes_check_and_evaluates(tmp_path):
    datasets = _doc_datasets(tmp_path)
    blocks = re.findall(r"```lsprules\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 23
    for index, block in enumerate(blocks):
        rules = write(tmp_path, f"example{index}.rules", block)
        report = run_check([rules])
        assert report.exit_code == 0, (block, report.text)
        data = datasets["quarters.yaml" if "quarterly" in block.splitlines()[0] else "example.yaml"]
        assert run("evaluate", str(rules), str(data)).returncode == 0


def test_the_level_and_profile_examples_behave_as_the_reference_says(tmp_path):
    datasets = _doc_datasets(tmp_path)
    blocks = re.findall(r"```lsprules\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    lpsa = next(b for b in blocks if b.startswith("# An LPSA-style reward"))
    results = assess(write(tmp_path, "lpsa.rules", lpsa), datasets["example.yaml"])
    assert results["Exampleton", "domestic_burglary"].rag == "green"
    profiled = next(b for b in blocks if "annual 120 in 2007/08" in b)
    referrals = assess(write(tmp_path, "p.rules", profiled), datasets["quarters.yaml"])["Exampleton",
                                                                                          "referrals_to_date"]
    assert (referrals.value, referrals.target, referrals.rag) == (35, 84, "red")


def test_explain_shows_the_interval_and_does_not_pretend_the_value_alone_decides():
    explained = run("explain", "rules/public-health.rules", "datasets/public-health.yaml", "--indicator",
                    "smoking_at_delivery", cwd=ROOT).stdout
    assert "95 % confidence interval 9.70 to 12.45 against the benchmark 8.8: higher than it" in explained
    assert "RAG: its benchmark comparison depends on the counts or confidence limits behind the value" in explained
    assert "arrow: the recent trend depends on" in explained
    assert "stays" not in explained


@pytest.mark.parametrize(("rules", "data"), [
    ("lpsa.rules", "lpsa-2008.csv"), ("public-health.rules", "public-health.yaml"),
    ("community-safety-plan.rules", "community-safety-plan.yaml"),
    ("quarterly-targets.rules", "quarterly-targets.yaml"),
])
def test_the_json_of_every_new_example_matches_the_assessment_schema(rules, data):
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "schemas" / "assessment.schema.json").read_text(encoding="utf-8"))
    document = json.loads(run("evaluate", f"rules/{rules}", f"datasets/{data}", "-f", "json", cwd=ROOT).stdout)
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(document)]
    assert errors == []
    assert any("levels" in a or a["discrepancies"] for a in document["assessments"])
