"""Rule language v2 (issue 10, part A): missing things as facts, strict and inclusive margins, period offsets in
expressions, theme coverage, and the fixes that came with them. Expected results are worked out by hand from
the rule as a policy lead would read it, never taken from the engine."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import pytest

from engine_helpers import assess, evaluate_text, rules_from, series_yaml
from lsprules.analysis.rule_checks import check_source
from lsprules.core.diagnostics import InputError
from lsprules.core.source import Source
from lsprules.lang.parser import parse_text
from lsprules.lang.printer import format_rule_file


def rag_rules(clauses: str, polarity: str = "higher_is_better", target: str = "target 100",
              scale: str = "grey < red < amber < green < blue") -> str:
    body = "\n    ".join(line.strip() for line in clauses.strip().splitlines())
    return (f"indicator x {{\n  polarity {polarity}\n  {target}\n  rag {{\n    scale {scale}\n    {body}\n"
            f"  }}\n}}\n")


def rag_at(clauses: str, value, **kwargs) -> str | None:
    data = series_yaml({"2005/06": 1, "2006/07": value})
    return assess(rag_rules(clauses, **kwargs), data).rag


def check_codes(text: str) -> list[str]:
    return [d.code for d in check_source(Source("t.rules", text)).diagnostics]


# --- the lexer: keywords are whole words ------------------------------------------------------------------


def test_ids_that_begin_with_a_keyword_work_inside_value_expressions():
    text = """
    indicator baseline_count { polarity higher_is_better }
    indicator changes { polarity higher_is_better }
    indicator value1 { polarity higher_is_better }
    indicator trajectory_2 { polarity higher_is_better }
    indicator target_2 { polarity higher_is_better }
    indicator total { polarity higher_is_better
      value = baseline_count + changes * value1 - trajectory_2 / target_2 }
    """
    data = ("area: A\nindicators:\n" + "".join(f"  {n}: {{values: {{'2006/07': {v}}}}}\n" for n, v in
            (("baseline_count", 10), ("changes", 2), ("value1", 3), ("trajectory_2", 8), ("target_2", 4))))
    total = next(a for a in evaluate_text(text, data).assessments if a.indicator == "total")
    assert total.value == 10 + 2 * 3 - F(8, 4)


# --- strict and inclusive margins -------------------------------------------------------------------------

# Target 100, higher is better: "x % better" is x points above 100, "x short" x points below.
HIGHER_CASES = [
    ("more than 10 % better than target", {110: False, 111: True, 100: False}),
    ("at least 10 % better than target", {110: True, 109: False}),
    ("at least 0 % better than target", {100: False, 101: True}),
    ("up to 10 % better than target", {100: True, 110: True, 111: False, 99: False}),
    ("less than 10 % better than target", {110: False, 109: True, 100: True, 99: False}),
    ("no more than 10 better than target", {110: True, 111: False}),
    ("target exceeded by more than 10 %", {110: False, 111: True}),
    ("target exceeded by at least 10 pp", {110: True, 109: False}),
    ("more than 5 pp short of target", {95: False, 94: True, 100: False}),
    ("at least 5 short of target", {95: True, 96: False}),
    ("less than 5 % short of target", {95: False, 96: True, 100: True, 120: True}),
    ("up to 5 short of target", {95: True, 94: False}),
    ("no more than 5 % short of target", {95: True, 94: False}),
]


@pytest.mark.parametrize(("condition", "expected"), HIGHER_CASES)
def test_margins_are_strict_or_inclusive_as_the_words_say(condition, expected):
    for value, holds in expected.items():
        assert rag_at(f"green when {condition}\nred otherwise", value) == ("green" if holds else "red"), value


def test_margins_follow_lower_is_better_and_a_percent_of_a_negative_target():
    lower = "more than 10 % better than target"
    assert rag_at(f"green when {lower}\nred otherwise", 89, polarity="lower_is_better") == "green"
    assert rag_at(f"green when {lower}\nred otherwise", 90, polarity="lower_is_better") == "red"
    # 10 % of a target of -50 is 5 (of its size): -44 is 6 better when higher is better.
    assert rag_at(f"green when {lower}\nred otherwise", -44, target="target -50") == "green"
    assert rag_at(f"green when {lower}\nred otherwise", -45, target="target -50") == "red"


def test_a_five_band_scheme_with_a_strict_top_band_rates_each_value_by_its_band():
    clauses = """
    blue when more than 10 % better than target
    green when target met
    amber when no more than 5 % short of target
    red when more than 5 % short of target
    """
    rated = {v: rag_at(clauses, v) for v in (111, 110, 100, 95, 94)}
    assert rated == {111: "blue", 110: "green", 100: "green", 95: "amber", 94: "red"}


def test_margins_without_a_target_are_unknown_and_stop_the_rating():
    a = assess(rag_rules("green when more than 5 % better than target\nred otherwise", target=""),
               series_yaml({"2006/07": 5}))
    assert a.rag is None
    assert any("there is no target" in r for r in a.reasons)


# --- missing things as facts ------------------------------------------------------------------------------


def test_grey_when_no_target_reads_as_the_key_reads():
    clauses = "grey when no target\ngreen when target met\nred otherwise"
    assert assess(rag_rules(clauses, target=""), series_yaml({"2006/07": 5})).rag == "grey"
    assert assess(rag_rules(clauses), series_yaml({"2006/07": 150})).rag == "green"


def test_a_target_from_a_missing_baseline_is_no_target():
    target = "target {\n baseline 2003/04\n increase by 10 % by 2007/08\n }"
    clauses = "grey when no target\ngreen when target met\nred otherwise"
    assert assess(rag_rules(clauses, target=target), series_yaml({"2005/06": 5, "2006/07": 6})).rag == "grey"
    assert assess(rag_rules(clauses, target=target), series_yaml({"2003/04": 5, "2006/07": 6})).rag == "green"


def test_not_rated_when_no_data_gives_a_rating_to_an_indicator_without_values():
    text = rag_rules("grey when no data\ngreen when has data and value > 0\nred otherwise", target="")
    other = series_yaml({"2006/07": 5}, indicator="y")
    a = assess(text + "indicator y { polarity higher_is_better }\n", other)
    assert a.value is None and a.rag == "grey"
    assert a.reasons[-1] == "RAG grey: `grey when no data` holds (line 6)"


def test_without_a_data_clause_an_indicator_without_values_stays_unrated_as_before():
    text = rag_rules("green when value > 0\nred otherwise", target="")
    a = assess(text + "indicator y { polarity higher_is_better }\n", series_yaml({"2006/07": 5}, indicator="y"))
    assert a.rag is None and a.clauses == ()


def test_an_undecided_clause_before_a_missing_fact_still_stops_the_rating():
    a = assess(rag_rules("green when target met\ngrey when no target\nred otherwise", target=""),
               series_yaml({"2006/07": 5}))
    assert a.rag is None
    assert a.reasons[-1].startswith("RAG n/a: cannot decide `green when target met`")


def test_no_previous_value_and_its_positive_form():
    clauses = "grey when no previous value\ngreen when has previous value and arrow is up\nred otherwise"
    assert assess(rag_rules(clauses, target=""), series_yaml({"2006/07": 5})).rag == "grey"
    assert assess(rag_rules(clauses, target=""), series_yaml({"2005/06": 4, "2006/07": 5})).rag == "green"


def test_not_target_is_refused_with_a_message_that_names_no_internal_type():
    with pytest.raises(InputError) as caught:
        rules_from(rag_rules("grey when not target\nred otherwise"))
    (problem,) = caught.value.diagnostics
    assert problem.code == "E115" and "Ref" not in problem.message
    assert "no target" in (problem.hint or "")


# --- expressions: previous periods, changes and shares ----------------------------------------------------

OFFSETS = """
indicator x { polarity higher_is_better }
indicator y { polarity higher_is_better }
indicator prev { polarity higher_is_better
  value = previous(x) }
indicator two_back { polarity higher_is_better
  value = previous(x, 2) }
indicator delta { polarity higher_is_better
  value = change(x) }
indicator pct { polarity higher_is_better
  value = percent_change(x, 2) }
indicator fixed { polarity higher_is_better
  value = x - x at 2004/05 }
indicator part { polarity higher_is_better
  value = share_of(y, x) }
"""
OFFSET_DATA = ("area: A\nindicators:\n  x: {values: {'2004/05': 80, '2005/06': 100, '2006/07': 90}}\n"
               "  y: {values: {'2004/05': 0, '2005/06': 25, '2006/07': 30}}\n")


def test_previous_change_percent_change_fixed_periods_and_shares():
    results = {a.indicator: a for a in evaluate_text(OFFSETS, OFFSET_DATA).assessments}
    assert results["prev"].value == 100
    assert results["two_back"].value == 80
    assert results["delta"].value == -10
    assert results["pct"].value == F(90 - 80, 80) * 100
    assert results["fixed"].value == 10
    assert results["part"].value == F(30, 90) * 100
    assert results["part"].decimals == 1 and results["pct"].decimals == 1
    # The first period has nothing before it: the value is missing there, with the reason.
    first = dict(results["prev"].series)
    assert "x has no value for 2003/04" in first[next(iter(first))].reason


@pytest.mark.parametrize(("expr", "code"), [
    ("previous(5)", "E112"), ("previous(x, 2, 3)", "E112"),
    ("previous(x, 0)", "E110"), ("change(x, 1.5)", "E110"), ("share_of(x)", "E112"),
    ("previous(nope)", "E102"), ("nope at 2004/05", "E102"), ("x at 2004/13", "E109"),
])
def test_offsets_and_shares_are_checked(expr, code):
    text = (f"indicator x {{ polarity higher_is_better }}\n"
            f"indicator d {{ polarity higher_is_better\n value = {expr} }}\n")
    with pytest.raises(InputError) as caught:
        rules_from(text)
    assert [d.code for d in caught.value.diagnostics] == [code]


@pytest.mark.parametrize("count", ["0", "00"])
def test_a_mean_of_no_previous_values_is_refused_where_its_count_is(count):
    """`mean of previous 0` would average no values (the interpreter, left to it, took every earlier one)."""
    text = ("indicator x {\n polarity higher_is_better\n"
            f" arrow {{ compare latest with mean of previous {count} }}\n}}\n")
    with pytest.raises(InputError) as caught:
        rules_from(text)
    (found,) = caught.value.diagnostics
    assert found.code == "E110" and "mean of previous N" in found.message
    assert found.span is not None and (found.span.line, found.span.column) == (3, text.splitlines()[2].index(count) + 1)
    assert rules_from(text.replace(f"previous {count} ", "previous 1 ")).indicators["x"].arrow.compare.count == 1


def test_offsets_are_for_value_expressions_only():
    with pytest.raises(InputError) as caught:
        rules_from(rag_rules("green when previous(x) > 1\nred otherwise"))
    assert caught.value.diagnostics[0].code == "E112"


def test_a_derived_indicator_reading_itself_a_period_earlier_is_a_cycle():
    with pytest.raises(InputError) as caught:
        rules_from("indicator x { polarity higher_is_better\n value = previous(x) + 1 }\n")
    assert caught.value.diagnostics[0].code == "E105"


# --- theme coverage ---------------------------------------------------------------------------------------

THEME = """
indicator a { polarity higher_is_better }
indicator b { polarity higher_is_better }
indicator c { polarity higher_is_better }
theme t {
  scale RED < GREEN
  indicators a, b, c
  REQUIRE
  rating {
    GREEN when count(arrow is up) >= 1
    RED otherwise
  }
}
"""


def theme_result(require: str, members: str = "a"):
    data = "area: A\nindicators:\n" + "".join(f"  {m}: {{values: {{'2005/06': 1, '2006/07': 2}}}}\n"
                                              for m in members)
    (theme,) = evaluate_text(THEME.replace("REQUIRE", require), data).themes
    return theme


def test_a_theme_states_how_many_members_were_assessed():
    theme = theme_result("", "ab")
    assert theme.reasons[0].startswith("3 members, 2 assessed:") and theme.assessed == 2


def test_below_the_required_count_or_share_the_theme_is_not_rated():
    assert theme_result("require at least 2 assessed", "ab").rating == "GREEN"
    short = theme_result("require at least 3 assessed", "ab")
    assert short.rating is None and short.clauses == ()
    assert "only 2 of 3 members were assessed; the theme requires at least 3 assessed (line 8)" in short.reasons[1]
    assert theme_result("require at least 66 % assessed", "ab").rating == "GREEN"  # 2 of 3 is 66.7 %
    assert theme_result("require at least 67 % assessed", "ab").rating is None


def test_a_theme_rated_from_a_minority_of_its_members_warns():
    theme = theme_result("", "a")
    assert theme.rating == "GREEN"
    assert theme.reasons[1].startswith("warning: only 1 of 3 members were assessed")
    assert not any(r.startswith("warning") for r in theme_result("", "ab").reasons)


# --- check: margins in the band analysis, themes' rating clauses ------------------------------------------


def test_check_finds_the_gap_between_strict_bands_and_none_between_strict_and_inclusive():
    gap = rag_rules("green when target met\namber when less than 5 short of target\n"
                    "red when more than 5 short of target")
    closed = gap.replace("less than 5", "up to 5")
    assert "E201" in check_codes(gap)
    assert check_codes(closed) == []


def test_check_sees_the_strict_top_band_and_the_grey_band():
    five = rag_rules("blue when more than 10 % better than target\ngreen when target met\n"
                     "amber when up to 5 % short of target\nred otherwise")
    assert check_codes(five) == []
    overlapping = rag_rules("blue when at least 0 % better than target\ngreen when target met\nred otherwise")
    assert check_codes(overlapping) == []  # at the target exactly, only green: no clause is dead
    dead = rag_rules("green when target met\nblue when more than 10 % better than target\nred otherwise")
    assert check_codes(dead) == ["E202"]


def test_check_knows_when_a_target_may_be_missing():
    target = "target {\n baseline 2003/04\n increase by 10 % by 2007/08\n }"
    grey_first = rag_rules("grey when no target\ngreen when target met\nred otherwise", target=target)
    assert check_codes(grey_first) == []
    no_target_at_all = rag_rules("grey when no target\ngreen when value > 5\nred otherwise", target="")
    assert check_codes(no_target_at_all) == ["E202", "E202"]  # grey always decides
    grey_last = rag_rules("green when target met\nred when value < 0\ngrey when no target", target=target)
    assert "E202" in check_codes(grey_last)  # `target met` is undecided first whenever there is no target


def test_check_knows_no_data_and_no_previous_value_can_happen():
    assert check_codes(rag_rules("grey when no data\ngreen when value > 5\nred otherwise", target="")) == []
    previous = rag_rules("grey when no previous value\ngreen when arrow is up\nred otherwise", target="")
    assert check_codes(previous) == []


THEME_CHECK = """
indicator a { polarity higher_is_better }
indicator b { polarity higher_is_better }
theme t {
  scale RED < AMBER < GREEN
  indicators a, b
  rating {
    CLAUSES
  }
}
"""


@pytest.mark.parametrize(("clauses", "codes"), [
    ("GREEN when count(arrow is up) == 2\nRED otherwise", []),
    ("GREEN when count(arrow is up) == 2\nRED when count(arrow is up) < 2", []),
    ("GREEN when count(arrow is up) == 2\nRED when count(arrow is down) == 2", ["E214"]),
    ("AMBER when count(arrow is up) >= 1\nGREEN when count(arrow is up) == 2\nRED otherwise", ["E215"]),
    ("GREEN when count(arrow is up) > 2\nRED otherwise", ["E215"]),
    ("GREEN when share(arrow is up) >= 50 %\nRED otherwise", []),
])
def test_check_analyses_every_mix_of_a_themes_members(clauses, codes):
    assert sorted(check_codes(THEME_CHECK.replace("CLAUSES", clauses))) == codes


def test_a_theme_with_a_mistake_in_its_rating_is_left_to_that_mistake():
    # found by the property test of check: an unknown function in a rating must not reach the analysis
    assert check_codes("theme A { scale A < B\n rating { A when 0 < A(0)\n B otherwise } }") == ["E106"]


def test_the_crime_rules_have_no_theme_findings():
    from pathlib import Path

    text = (Path(__file__).parent.parent / "rules" / "crime.rules").read_text(encoding="utf-8")
    assert not {"E214", "E215"} & set(check_codes(text))


# --- the formatter keeps every new construct --------------------------------------------------------------


def test_the_formatter_writes_every_new_construct_as_written():
    text = (rag_rules("grey when no data or no previous value\nblue when target exceeded by more than 10 %\n"
                      "green when has target and at least 2 pp better than target\n"
                      "amber when no more than 5 % short of target\nred when less than 1 short of target\n"
                      "red otherwise")
            + "\nindicator y {\n  polarity higher_is_better\n  value = previous(x, 4) + change(x) + x at 2004/05\n}\n"
            + "\ntheme t {\n  scale RED < GREEN\n  indicators x\n  require at least 60 % assessed\n  rating {\n"
            + "    RED otherwise\n  }\n}\n")
    assert format_rule_file(parse_text(text, "t.rules")) == text


# --- reasons follow `decimals` ----------------------------------------------------------------------------


def test_reasons_show_values_at_the_rules_decimals():
    text = ("indicator x {\n  polarity higher_is_better\n  decimals 3\n  target {\n    baseline 2003/04\n"
            "    increase by 1 by 2006/07\n  }\n}\n")
    a = assess(text, series_yaml({"2003/04": "0.1234", "2004/05": "0.2001"}))
    # 0.1234 + 1/3 of the way to 1.1234: 0.456733..., not exact at 3 places, so shown with 4.
    assert "latest value 0.200 in 2004/05" in a.reasons
    assert any(r.endswith("linear trajectory value for 2004/05: 0.4567") for r in a.reasons)


# --- diff and explain see the new constructs --------------------------------------------------------------


def test_diff_reports_a_changed_margin_bound_and_a_required_coverage():
    from lsprules.audit.semantic_diff import diff_rule_sets

    before = rag_rules("green when target exceeded by 5 %\nred otherwise") + THEME.replace("REQUIRE", "")
    after = rag_rules("green when target exceeded by more than 5 %\nred otherwise") + \
        THEME.replace("REQUIRE", "require at least 60 % assessed")
    words = [c.what for c in diff_rule_sets(rules_from(before), rules_from(after)).changes]
    assert words == ["RAG clause 1 changed: `green when target exceeded by 5 %` → "
                     "`green when target exceeded by more than 5 %`",
                     "members that must be assessed any number → at least 60 %"]


def test_explain_says_how_far_from_the_target_a_bounded_margin_is(tmp_path):
    from engine_helpers import dataset_from
    from lsprules.audit.explanation import explain_indicator

    text = rag_rules("grey when no previous value\nblue when more than 10 % better than target\nred otherwise")
    explanation = explain_indicator(rules_from(text), dataset_from(series_yaml({"2005/06": 1, "2006/07": 110})),
                                    "x", None)
    lines = [line.strip() for s in explanation.sections for line in s.lines]
    assert "`no previous value`: there is a previous value → no" in lines
    assert "`more than 10 % better than target`: 110 beats the target 100 by 10; the condition asks for more " \
           "than 10 better → no" in lines


def test_explain_shows_the_earlier_values_a_derived_indicator_reads():
    from engine_helpers import dataset_from
    from lsprules.audit.explanation import explain_indicator

    explanation = explain_indicator(rules_from(OFFSETS), dataset_from(OFFSET_DATA), "fixed", None)
    (value,) = [s for s in explanation.sections if s.title == "Value"]
    assert "in 2006/07: x = 90, x at 2004/05 = 80 → 10" in value.lines


# --- goldens of the fixes: the whole output, as a user sees it -------------------------------------------

GOLDEN_RULES = """# Ids that begin with a keyword, reasons at the rule's decimals, and bands beyond green with colours.
profile banded {
  polarity higher_is_better
  rag {
    scale grey < red < amber_red < amber < amber_green < green < dark_green < blue < purple
    grey when no target
    purple when more than 50 % better than target
    blue when more than 40 % better than target
    dark_green when more than 30 % better than target
    green when target met
    amber_green when less than 5 % short of target
    amber when less than 10 % short of target
    amber_red when less than 20 % short of target
    red otherwise
  }
}
indicator baseline_count "Baseline count" uses banded {
  target 6
}
indicator changes "Changes" uses banded {
  target 2.1
}
indicator value1 "Value 1" uses banded
indicator trajectory_2 "Trajectory 2" uses banded {
  decimals 3
  value = baseline_count / changes + value1 * 0
  target {
    baseline 2004/05
    increase by 1 by 2007/08
  }
}
indicator gap_1 "Gap 1" uses banded {
  target 12
}
indicator gap_2 "Gap 2" uses banded {
  target 15
}
"""
GOLDEN_DATA = """area: Goldton
period_kind: financial_year
indicators:
  baseline_count: {values: {2004/05: 10, 2005/06: 11, 2006/07: 12}}
  changes: {values: {2004/05: 3, 2005/06: 3, 2006/07: 3}}
  value1: {values: {2004/05: 1, 2005/06: 1, 2006/07: 1}}
  gap_1: {values: {2006/07: 16}}
  gap_2: {values: {2006/07: 14.5}}
"""


@pytest.mark.parametrize("output", ["table", "json"])
def test_golden_keyword_prefixes_decimals_in_reasons_and_band_colours(tmp_path, output):
    import os

    from audit_helpers import check_golden
    from lsprules.jobs.evaluate import run_evaluate

    (tmp_path / "g.rules").write_text(GOLDEN_RULES, encoding="utf-8")
    (tmp_path / "g.yaml").write_text(GOLDEN_DATA, encoding="utf-8")
    before = os.getcwd()
    os.chdir(tmp_path)
    try:  # in colour, as on a terminal: each band its own colour and shape
        text = run_evaluate(Path("g.rules"), Path("g.yaml"), output_format=output, color=output == "table")
    finally:
        os.chdir(before)
    # 12 against 6: 100 % better, purple; 3 against 2.1: 42.9 % better, blue; value1 has no target: grey;
    # 12 / 3 = 4 against 10 / 3 + 1 = 4.333...: 7.7 % short, amber; 16 against 12: 33.3 % better, dark green;
    # 14.5 against 15: 3.3 % short, amber green.
    for band in ("purple", "blue", "grey", "amber", "dark_green", "amber_green"):
        assert band.upper() in text or f'"rag": "{band}"' in text
    check_golden(f"v2/fixes.{'ansi' if output == 'table' else 'json'}", text)


@pytest.mark.parametrize(("condition", "where", "words"), [
    ("target missing", "6:22", "`missing` does not belong in this condition"),
    ("target is na", "6:22", "`is` does not belong in this condition"),
    ("no targets", "6:18", "`targets` is not a word the rule language knows here"),
    ("target == na", "6:25", "write `no target`, `no data` or `no previous value`"),
])
def test_the_ways_people_try_to_say_no_target_are_answered_where_they_go_wrong(condition, where, words):
    text = rag_rules(f"grey when {condition}\nred otherwise", target="", scale="grey < red")
    with pytest.raises(InputError) as caught:
        rules_from(text)
    (problem,) = caught.value.diagnostics
    assert f"{problem.span.line}:{problem.span.column}" == where
    assert words in problem.message + (problem.hint or "")


def test_explain_says_a_theme_below_its_coverage_needs_data_not_other_bands():
    from engine_helpers import dataset_from
    from lsprules.audit.explanation import explain_theme

    data = "area: A\nindicators:\n  a: {values: {'2005/06': 1, '2006/07': 2}}\n"
    rules = rules_from(THEME.replace("REQUIRE", "require at least 2 assessed"))
    explanation = explain_theme(rules, dataset_from(data), "t", None)
    members, rating, change = explanation.sections
    assert "3 members, 1 assessed" in members.lines[0]
    assert rating.lines[-2].startswith("rating n/a: only 1 of 3 members were assessed")
    assert change.lines == ("only 1 of 3 members were assessed; the theme requires at least 2 assessed (line 8)",
                            "only data for more members can change that")
    assert explanation.facts["reach"] == []


def test_margins_from_the_trajectory_value_for_the_period():
    # Baseline 100 in 2003/04, reduce by 20 by 2007/08: the trajectory for 2006/07 is 100 - 15 = 85.
    target = "target {\n baseline 2003/04\n reduce by 20 by 2007/08\n }"
    clauses = "green when up to 0 short of trajectory\namber when less than 5 % short of trajectory\nred otherwise"
    at = {v: assess(rag_rules(clauses, polarity="lower_is_better", target=target),
                    series_yaml({"2003/04": 100, "2006/07": v})).rag for v in ("85", "89", "89.24", "89.25")}
    assert at == {"85": "green", "89": "amber", "89.24": "amber", "89.25": "red"}  # 5 % of 85 is 4.25
    # check cannot place a trajectory that is not the target on the value axis: it neither errs nor invents gaps
    assert check_codes(rag_rules(clauses, polarity="lower_is_better", target=target)) == []
    flat = target.replace(" }", " trajectory flat\n }")
    assert "E201" in check_codes(rag_rules("green when up to 0 short of trajectory\n"
                                           "red when more than 5 % short of trajectory", target=flat))
