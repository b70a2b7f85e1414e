"""Rule language v2, the gaps between parts A and B: margins measured from any reference level, stated shares
and totals. Expected results are worked out by hand from the rule as a policy lead would read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_helpers import run
from engine_helpers import assess, dataset_from, rules_from, series_yaml
from lsprules.analysis.rule_checks import check_source
from lsprules.core.diagnostics import InputError
from lsprules.core.source import Source
from lsprules.lang import nodes
from lsprules.lang.parser import parse_text
from lsprules.lang.printer import format_rule_file


def level_rules(clauses: str, polarity: str = "higher_is_better",
                levels: str = "trigger 60\n    floor 50\n    stretch 75\n    benchmark 200") -> str:
    body = "\n    ".join(line.strip() for line in clauses.strip().splitlines())
    return (f"indicator x {{\n  polarity {polarity}\n  levels {{\n    {levels}\n  }}\n  rag {{\n"
            f"    scale red < amber < green < blue\n    {body}\n  }}\n}}\n")


def holds(condition: str, value: object, polarity: str = "higher_is_better", extra: str = "") -> str | None:
    """The band of `blue when CONDITION / red otherwise` at one value (None: n/a)."""
    rules = level_rules(f"blue when {condition}\nred otherwise", polarity)
    return assess(rules, series_yaml({"2005/06": 1, "2006/07": value}, extra=extra)).rag


# --- margins from a reference level --------------------------------------------------------------------------

# trigger 60, floor 50, stretch 75; higher is better. 10 % of the trigger is 6, 2 % of the stretch 1.5.
LEVEL_CASES = [
    ("more than 10 % better than trigger", {"66": False, "66.1": True, "60": False}),
    ("at least 10 % better than trigger", {"66": True, "65.9": False}),
    ("at least 5 pp short of floor", {"45": True, "45.5": False, "50": False}),
    ("less than 5 pp short of floor", {"45": False, "45.5": True, "90": True}),
    ("up to 2 short of stretch", {"73": True, "72": False, "80": True}),
    ("no more than 2 better than stretch", {"77": True, "77.5": False, "74": False}),
    ("stretch exceeded by more than 2 %", {"76.5": False, "77": True}),
    ("trigger exceeded by at least 5", {"65": True, "64": False}),
    ("floor exceeded by up to 10", {"60": True, "61": False, "49": False}),
]


@pytest.mark.parametrize(("condition", "expected"), LEVEL_CASES)
def test_margins_from_a_level_are_strict_or_inclusive_as_the_words_say(condition, expected):
    got = {value: holds(condition, value) == "blue" for value in expected}
    assert got == expected


def test_margins_from_a_level_follow_lower_is_better():
    # benchmark 200, lower is better: "less than 10 % better" is below 200 by less than 20, or exactly on it.
    at = {v: holds("less than 10 % better than benchmark", v, "lower_is_better") for v in ("180", "181", "200", "201")}
    assert at == {"180": "red", "181": "blue", "200": "blue", "201": "red"}


def test_a_level_in_the_data_replaces_the_rules_for_that_area_and_period():
    extra = "    levels: {trigger: {2006/07: 70}}\n"
    assert holds("more than 10 % better than trigger", "70", extra=extra) == "red"  # 7 % of 70 needed: more than 7
    assert holds("more than 10 % better than trigger", "77.5", extra=extra) == "blue"
    assert holds("more than 10 % better than trigger", "70") == "blue"  # the rules' 60: more than 6


def test_a_margin_from_a_missing_level_is_unknown_never_false():
    rules = level_rules("blue when at least 5 % better than ceiling\nred otherwise")
    a = assess(rules, series_yaml({"2006/07": 70}))
    assert a.rag is None
    assert "RAG n/a: cannot decide `blue when at least 5 % better than ceiling` (line 11): there is no ceiling " \
           "level for 2006/07 (neither the rules nor the data give one)" in a.reasons


def test_margins_from_levels_parse_to_margin_nodes_and_print_as_written():
    text = level_rules("blue when stretch exceeded by more than 2 %\ngreen when more than 10 % better than trigger\n"
                       "amber when less than 5 pp short of floor\nred when at least 1 short of benchmark\n"
                       "red otherwise")
    parsed = parse_text(text)
    assert format_rule_file(parsed) == text
    indicator = parsed.items[0]
    assert isinstance(indicator, nodes.Indicator) and indicator.settings is not None
    rag = indicator.settings[2]
    assert isinstance(rag, nodes.RagBlock)
    assert [c.condition for c in rag.clauses[:3]] == [
        nodes.Margin("exceeded", "more than", nodes.Quantity(2, "%"), "stretch"),
        nodes.Margin("better", "more than", nodes.Quantity(10, "%"), "trigger"),
        nodes.Margin("short", "less than", nodes.Quantity(5, "pp"), "floor")]


def check_codes(text: str) -> list[str]:
    return [d.code for d in check_source(Source("t.rules", text)).diagnostics]


def test_check_neither_errs_nor_invents_gaps_for_margins_from_levels():
    # the data may give any level per area and period, so the analysis lets each case answer a level margin
    assert check_codes(level_rules("blue when stretch exceeded by more than 2 %\n"
                                   "green when more than 10 % better than trigger\n"
                                   "amber when less than 5 pp short of floor\nred otherwise")) == []
    # a margin from a level does not need a target: no "can never be decided" warning
    assert check_codes(level_rules("green when at least 0 better than trigger\nred otherwise")) == []
    # the same margin twice: the second can never fire, whatever the level
    assert check_codes(level_rules("green when more than 1 better than trigger\n"
                                   "amber when more than 1 better than trigger\nred otherwise")) == ["E202"]
    # the value 10 is left to no clause unless the level margin holds: a case may go unrated (E204), but it
    # is not a gap for every area (E201), as some areas' trigger may rate it
    assert check_codes(level_rules("blue when more than 1 better than trigger\n"
                                   "green when value > 10\nred when value < 10")) == ["E204"]


def test_check_data_warns_of_a_level_a_margin_needs_and_no_one_gives(tmp_path):
    rules = tmp_path / "r.rules"
    rules.write_text(level_rules("green when at least 5 % better than ceiling\nred otherwise"), encoding="utf-8")
    data = tmp_path / "d.yaml"
    data.write_text(series_yaml({"2006/07": 70}), encoding="utf-8")
    out = run("check", str(rules), "--data", str(data))
    assert "warning[E330]: indicator 'x' needs its ceiling level" in out.stdout + out.stderr
    data.write_text(series_yaml({"2006/07": 70}, extra="    levels: {ceiling: {2006/07: 80}}\n"), encoding="utf-8")
    out = run("check", str(rules), "--data", str(data))
    assert "E330" not in out.stdout + out.stderr


def test_diff_reports_a_margin_moved_to_another_level():
    from lsprules.audit.semantic_diff import diff_rule_sets

    before = level_rules("green when more than 10 % better than trigger\nred otherwise")
    after = level_rules("green when more than 10 % better than stretch\nred otherwise")
    words = [c.what for c in diff_rule_sets(rules_from(before), rules_from(after)).changes]
    assert words == ["RAG clause 1 changed: `green when more than 10 % better than trigger` → "
                     "`green when more than 10 % better than stretch`"]


def test_explain_measures_a_margin_from_the_level_and_names_where_it_turns():
    from lsprules.audit.explanation import explain_indicator

    rules = level_rules("blue when stretch exceeded by more than 2 %\ngreen when more than 10 % better than trigger\n"
                        "amber when less than 5 pp short of floor\nred otherwise")
    data = series_yaml({"2005/06": 60, "2006/07": 70}, extra="    levels: {trigger: {2006/07: 65}}\n")
    explanation = explain_indicator(rules_from(rules), dataset_from(data), "x", None)
    lines = [line.strip() for s in explanation.sections for line in s.lines]
    assert "`more than 10 % better than trigger`: 70 beats the trigger level 65 by 5; the condition asks for more " \
           "than 6.5 better → no" in lines
    assert "`stretch exceeded by more than 2 %`: 70 is 5 short of the stretch level 75; the condition asks for " \
           "more than 1.5 better → no" in lines
    changes = " ".join(lines)
    assert "threshold: 10 % beyond the trigger level = 71.5" in changes
    assert "threshold: 5 pp short of the floor level = 45" in changes


def test_the_fast_path_agrees_on_margins_from_levels(tmp_path):
    from fastpath_helpers import agree, write

    rules = write(tmp_path, "r.rules", level_rules("blue when stretch exceeded by more than 2 %\n"
                                                   "green when more than 10 % better than trigger\n"
                                                   "amber when less than 5 pp short of floor\nred otherwise"))
    data = write(tmp_path, "d.csv", "area,indicator,period,value\n" + "".join(
        f"{area},x,{year},{value}\n" for area, value in (("A", 44), ("B", 46), ("C", 66), ("D", 67), ("E", 77))
        for year in ("2005/06", "2006/07")))
    header, *rows = agree(rules, data).splitlines()
    rag = header.split(",").index("rag")
    assert [row.split(",")[rag] for row in rows] == ["red", "amber", "amber", "green", "blue"]


def test_a_value_expression_cannot_be_a_level_margin():
    text = "indicator y {\n  polarity higher_is_better\n  value = more than 5 better than trigger\n}\n"
    with pytest.raises(InputError) as caught:
        rules_from(text)
    assert [(d.code, d.message) for d in caught.value.diagnostics] == [
        ("E112", "a value is needed here, not a condition")]



# --- a profile's last share followed by another target statement -------------------------------------------


def test_a_profile_by_shares_may_be_followed_by_a_change():
    # the lexer read `reduce` after a quantity as a name (a level's name may follow a quantity in `levels`)
    text = "profile p {\n  target {\n    annual 120 in 2007 profiled by 50 %, 50 %\n    reduce by 5 by 2008\n  }\n}\n"
    assert format_rule_file(parse_text(text)) == text


def test_the_level_margin_example_of_the_reference_is_n_a_where_the_page_says():
    import re

    doc = (Path(__file__).parent.parent / "docs" / "language.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"^```lsprules\n(# Margins from levels.*?)^```$", doc, flags=re.MULTILINE | re.DOTALL)
    robbery = assess(block, series_yaml({"2005/06": 75, "2006/07": 86}, indicator="robbery"), "robbery")
    assert robbery.rag is None
    assert robbery.reasons[-1].endswith("there is no ceiling level for 2006/07 (neither the rules nor the data "
                                        "give one)")


# --- stated shares and totals ----------------------------------------------------------------------------------

TWO_RULES = """\
indicator burglary "Burglary" {
  polarity lower_is_better
}
indicator all_crime "All crime" {
  polarity lower_is_better
}
"""


def _stated(path: Path) -> list[tuple[str, str, str, str]]:
    from lsprules.data.load import load_all
    from lsprules.engine.interpreter import evaluate
    from lsprules.lang.resolve import load_rules

    rules = path.parent / "r.rules"
    rules.write_text(TWO_RULES, encoding="utf-8")
    dataset, _ = load_all([path])
    result = evaluate(load_rules(rules), dataset, None)
    return [(d.field, d.period.label, d.reported, d.computed) for a in result.assessments for d in a.discrepancies]


QUARTERS = {"2006-Q1": (30, 400), "2006-Q2": (25, 380), "2006-Q3": (35, 410), "2006-Q4": (20, 390)}
# burglary's shares: 30/400 = 7.5 %, 35/410 = 8.536... %; its total for 2006: 30+25+35+20 = 110, to Q2: 55.
STATED = {"share": {"all_crime": {"2006-Q1": 7.5, "2006-Q3": 8.4}}, "total": {"2006-Q2": 55, "2006-Q4": 108}}
EXPECTED = [("stated share of all_crime", "2006-Q3", "8.4", "8.54"), ("stated total", "2006-Q4", "108", "110")]


def _long_rows() -> list[list[object]]:
    rows: list[list[object]] = [["area", "indicator", "period", "value", "stated"]]
    for period, (burglary, all_crime) in QUARTERS.items():
        rows += [["A", "burglary", period, burglary, None], ["A", "all_crime", period, all_crime, None]]
    rows += [["A", "burglary", "2006-Q1", 7.5, "share of all_crime"],
             ["A", "burglary", "2006-Q3", 8.4, "Share of  all_crime"],  # words are compared as words
             ["A", "burglary", "2006-Q2", 55, "total"], ["A", "burglary", "2006-Q4", 108, "total"]]
    return rows


def test_stated_shares_and_totals_read_the_same_from_yaml_json_csv_and_xlsx(tmp_path):
    import json

    import yaml
    from openpyxl import Workbook

    burglary = {"values": {p: b for p, (b, _) in QUARTERS.items()}, "stated": STATED}
    all_crime = {"values": {p: c for p, (_, c) in QUARTERS.items()}}
    document = {"area": "A", "indicators": {"burglary": burglary, "all_crime": all_crime}}
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    (tmp_path / "d.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "d.csv").write_text("\n".join(",".join("" if c is None else str(c) for c in row)
                                              for row in _long_rows()) + "\n", encoding="utf-8")
    book = Workbook()
    for row in _long_rows():
        book.active.append(row)
    book.save(tmp_path / "d.xlsx")
    for name in ("d.yaml", "d.json", "d.csv", "d.xlsx"):
        assert _stated(tmp_path / name) == EXPECTED, name


def test_a_share_nothing_can_work_out_is_listed_as_n_a(tmp_path):
    # of an indicator the rules do not have, of a zero, and a total whose year to date lacks a quarter
    document = ("area: A\nindicators:\n  burglary:\n    values: {2006-Q1: 30, 2006-Q3: 35}\n    stated:\n"
                "      share: {robbery: {2006-Q1: 10}, all_crime: {2006-Q3: 10}}\n      total: {2006-Q3: 65}\n"
                "  all_crime:\n    values: {2006-Q1: 400, 2006-Q3: 0}\n")
    (tmp_path / "d.yaml").write_text(document, encoding="utf-8")
    assert _stated(tmp_path / "d.yaml") == [("stated share of all_crime", "2006-Q3", "10", "n/a"),
                                            ("stated share of robbery", "2006-Q1", "10", "n/a"),
                                            ("stated total", "2006-Q3", "65", "n/a")]


def test_a_bad_stated_name_is_reported_at_its_cell_and_a_bad_share_by_the_schema(tmp_path):
    (tmp_path / "r.rules").write_text(TWO_RULES, encoding="utf-8")
    csv = tmp_path / "d.csv"
    csv.write_text("area,indicator,period,value,stated\nA,burglary,2006,5,share of All Crime!\n", encoding="utf-8")
    result = run("evaluate", str(tmp_path / "r.rules"), str(csv))
    assert result.returncode == 2
    assert "error[E305]: row 2, column 5: 'share of All Crime!' is not a stated name" in result.stderr
    assert "or share of ID (a % of indicator ID)" in result.stderr
    data = tmp_path / "d.yaml"
    data.write_text("area: A\nindicators:\n  burglary:\n    values: {2006: 5}\n    stated:\n"
                    "      share: {All-Crime: {2006: 5}}\n", encoding="utf-8")
    result = run("evaluate", str(tmp_path / "r.rules"), str(data))
    assert result.returncode == 2 and "d.yaml:6:" in result.stderr


def test_the_plan_states_a_share_and_the_quarterly_plan_a_total_that_do_not_add_up():
    from lsprules.data.load import load_all
    from lsprules.engine.interpreter import evaluate
    from lsprules.lang.resolve import load_rules

    root = Path(__file__).parent.parent
    found = {}
    for name in ("community-safety-plan", "quarterly-targets"):
        dataset, _ = load_all([root / "datasets" / f"{name}.yaml"])
        result = evaluate(load_rules(root / "rules" / f"{name}.rules"), dataset, None)
        found |= {(a.indicator, d.field): (d.period.label, d.reported, d.computed)
                  for a in result.assessments for d in a.discrepancies
                  if d.field == "stated total" or d.field.startswith("stated share")}
    # 860 of 7520 is 11.436... % (920 of 8000, 11.5 %, agrees); the quarters of 2006/07 add up to
    # 110 + 98 + 105 + 101 = 414 (208 by Q2 agrees)
    assert found == {
        ("domestic_burglary", "stated share of british_crime_survey_crime"): ("2006/07", "12.4", "11.44"),
        ("burglaries", "stated total"): ("2006/07-Q4", "412", "414")}
    out = run("evaluate", "rules/community-safety-plan.rules", "datasets/community-safety-plan.yaml", cwd=root)
    assert "2006/07: the source states a share of british_crime_survey_crime of 12.4 %, the rules and data give " \
        "11.44 %" in " ".join(out.stdout.split())


def test_boundaries_probe_each_margin_at_the_area_s_own_level(tmp_path):
    rules = tmp_path / "r.rules"
    rules.write_text(level_rules("green when more than 10 % better than trigger\nred otherwise"), encoding="utf-8")
    data = tmp_path / "d.yaml"
    data.write_text(series_yaml({"2005/06": 60, "2006/07": 70}, extra="    levels: {trigger: {2006/07: 65}}\n"),
                    encoding="utf-8")
    lines = [" ".join(line.split()) for line in run("test", "--boundaries", str(rules), "--data", str(data))
             .stdout.splitlines()]
    # 10 % of the area's trigger 65 is 6.5: more than 6.5 better is green, exactly 71.5 is not
    at = lines.index("10 % beyond the trigger level = 71.5")
    assert lines[at + 1:at + 4] == ["71 ▲ improved RAG red", "71.5 ▲ improved RAG red ← at the threshold",
                                    "72 ▲ improved RAG green"]
