"""The bands analysis against the interpreter: the analysis judges a case exactly as evaluation does, and
what it proves (gaps, clauses that never fire) holds on real data."""

from __future__ import annotations

import os
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lsprules.analysis.band_diagnostics import band_context
from lsprules.analysis.band_judge import Case, Judge
from lsprules.analysis.bands import _outcome, analyse
from lsprules.core.periods import Period, PeriodKind
from lsprules.core.source import Source
from lsprules.data.model import Area, Series
from lsprules.engine.interpreter import AreaEvaluator
from lsprules.lang import nodes
from lsprules.lang.parser import parse_text
from lsprules.lang.resolve import resolve

# LSPRULES_EXAMPLES=5000 runs a longer search.
SETTINGS = settings(max_examples=int(os.environ.get("LSPRULES_EXAMPLES", 300)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

small = st.integers(0, 12).map(lambda n: Decimal(n * 5))
ops = st.sampled_from([">=", ">", "<=", "<", "==", "!="])
atoms = st.one_of(
    st.builds(lambda op, n: f"value {op} {n}", ops, small),
    st.builds(lambda op, n: f"value {op} target - {n}", ops, small),
    st.builds(lambda op, n: f"value {op} target * {n / 50}", ops, small),
    st.just("target met"), st.just("on trajectory"),
    st.builds(lambda n, unit: f"within {n}{unit} of target", small, st.sampled_from(["", " %"])),
    st.builds(lambda n: f"target exceeded by {n}", small),
    st.builds(lambda neg, kind: f"arrow is {neg}{kind}", st.sampled_from(["", "not "]),
              st.sampled_from(["up", "static", "down", "peak", "na"])),
    st.sampled_from(["gap closed", "gap narrowed", "gap widened"]),
    # rule language v2: bounded margins, and facts about what is missing
    st.builds(lambda bound, n, unit, side: f"{bound} {n}{unit} {side}", st.sampled_from(nodes.BOUNDS), small,
              st.sampled_from(["", " %"]), st.sampled_from(["short of target", "better than target"])),
    st.builds(lambda bound, n: f"target exceeded by {bound} {n} %", st.sampled_from(nodes.BOUNDS), small),
    st.sampled_from(["no target", "has target", "no previous value", "has previous value", "has data"]),
)
conditions = st.recursive(atoms, lambda c: st.one_of(st.builds(lambda a, b: f"({a} and {b})", c, c),
                                                      st.builds(lambda a, b: f"({a} or {b})", c, c),
                                                      st.builds(lambda a: f"not ({a})", c)), max_leaves=3)
clause_lists = st.lists(conditions, min_size=1, max_size=4)
polarities = st.sampled_from(["higher_is_better", "lower_is_better", "closer_to 30"])
targets = st.sampled_from(["", "target 40", "target { reach 35 by 2004 }", "target { 30 in 2001\n 50 in 2004 }",
                           "target { baseline 2001\n reduce by 10 % by 2004 }", "target { reduce by 10 by 2004 }",
                           "target { baseline 2001\n increase by 5 by 2004\n trajectory flat }"])
arrows = st.sampled_from(["", "arrow { static within 5 }", "arrow { peak at 50 }",
                          "arrow { static below 10 %\n peak at 60 }"])
series = st.lists(st.integers(0, 14).map(lambda n: Decimal(n * 5)), min_size=1, max_size=4)


def _rules(polarity, unit, target, arrow, conditions, otherwise):
    clauses = [f"{label} when {c}" for label, c in zip(["green", "amber", "red", "amber"], conditions, strict=False)]
    if otherwise:
        clauses.append("red otherwise")
    text = f"indicator k {{\n polarity {polarity}\n unit {unit}\n {target}\n {arrow}\n rag {{\n " + \
        "\n ".join(clauses) + "\n }\n}\n"
    return resolve(parse_text(text), Source("k.rules", text))


def _assess(rules, values):
    periods = [Period(PeriodKind.CALENDAR_YEAR, 2001 + i) for i in range(len(values))]
    area = Area("A", {"k": Series("k", dict(zip(periods, values, strict=False)))})
    return AreaEvaluator(rules, area).assess(rules.indicators["k"], periods[-1])


def _case_of(assessment, judge_ctx) -> Case:
    """The case the analysis would consider for what the interpreter saw."""
    gap = None
    if assessment.previous is not None:
        now = judge_ctx.polarity.gap_shortfall(assessment.value)
        before = judge_ctx.polarity.gap_shortfall(assessment.previous.value)
        gap = "more" if before > now else "equal" if before == now else "less"
    on_trajectory = assessment.on_trajectory if not judge_ctx.trajectory_is_target else None
    return Case(assessment.arrow, gap, on_trajectory, previous=assessment.previous is not None)


@SETTINGS
@given(polarities, st.sampled_from(["count", "percent"]), targets, arrows, clause_lists, st.booleans(), series)
def test_the_analysis_judges_a_case_as_the_interpreter_does(polarity, unit, target, arrow, conds, otherwise, values):
    rules = _rules(polarity, unit, target, arrow, conds, otherwise)
    spec = rules.indicators["k"]
    assessment = _assess(rules, values)
    ctx = band_context(spec)
    judge = Judge(ctx, assessment.value, assessment.target, _case_of(assessment, ctx))
    answers = tuple(True if c.condition is None else judge.condition(c.condition) for c in spec.rag.clauses)
    outcome = _outcome(answers)
    expected = spec.rag.clauses[outcome.clause].label if outcome.kind == "fires" else None
    assert assessment.rag == expected
    if ctx.target is not None and assessment.target is not None:
        assert assessment.target == ctx.target  # a constant target is what evaluation uses


value_atoms = st.one_of(st.builds(lambda op, n: f"value {op} {n}", ops, small),
                        st.builds(lambda op, n: f"value {op} target - {n}", ops, small),
                        st.just("target met"), st.builds(lambda n: f"within {n} of target", small),
                        st.builds(lambda k: f"arrow is {k}", st.sampled_from(["up", "static", "down"])),
                        st.builds(lambda bound, n, unit, side: f"{bound} {n}{unit} {side}",
                                  st.sampled_from(nodes.BOUNDS), small, st.sampled_from(["", " %"]),
                                  st.sampled_from(["short of target", "better than target"])),
                        # margins from a reference level: the analysis cannot place them, so each case answers
                        st.builds(lambda bound, n, unit, side: f"{bound} {n}{unit} {side}",
                                  st.sampled_from(nodes.BOUNDS), small, st.sampled_from(["", " %"]),
                                  st.sampled_from(["short of trigger", "better than floor"])),
                        st.builds(lambda bound, n: f"trigger exceeded by {bound} {n} %",
                                  st.sampled_from(nodes.BOUNDS), small))
value_conditions = st.recursive(value_atoms, lambda c: st.one_of(st.builds(lambda a, b: f"({a} and {b})", c, c),
                                                                  st.builds(lambda a, b: f"({a} or {b})", c, c)),
                                max_leaves=3)


@SETTINGS
@given(polarities, st.sampled_from(["count", "ratio"]), st.sampled_from(["", "target 40", "target 42.5"]),
       st.lists(value_conditions, min_size=1, max_size=4),
       st.lists(st.integers(-20, 160).map(lambda n: Decimal(n) / 2), min_size=2, max_size=3))
def test_what_the_analysis_proves_holds_on_data(polarity, unit, target, conds, values):
    if unit == "count":
        values = [abs(v) for v in values]
    rules = _rules(polarity, unit, target, "levels {\n trigger 35\n floor 22.5\n }", conds, otherwise=False)
    spec = rules.indicators["k"]
    analysis = analyse(spec.rag.clauses, band_context(spec))
    assume(analysis is not None)
    assessment = _assess(rules, values)
    fired = next((i for i, trace in enumerate(assessment.clauses) if trace.outcome == "true"), None)
    if fired is not None:
        assert analysis.fires(fired), f"clause {fired} fired on {values} but was proved never to fire"
    value = Fraction(values[-1])
    [point] = [p for p in analysis.scenarios[0].points if _inside(value, p.region)]
    possible = {(o.kind, o.clause) for _, o, _ in point.results}
    if fired is not None:
        assert ("fires", fired) in possible, f"{value}: the analysis did not foresee clause {fired} firing"
    elif assessment.rag is None and all(t.outcome == "false" for t in assessment.clauses):
        assert ("gap", None) in possible, f"{value}: the analysis did not foresee that no clause matches"
    if all(o.kind == "gap" for _, o, _ in point.results):
        assert assessment.rag is None and fired is None, f"{value} was proved to match no clause"


def _inside(value, region) -> bool:
    low, low_closed, high, high_closed = region
    above = low is None or value > low or (low_closed and value == low)
    below = high is None or value < high or (high_closed and value == high)
    return above and below


def test_at_zero_a_count_can_worsen_but_not_improve_when_higher_is_better():
    rules = _rules("higher_is_better", "count", "", "", ["arrow is down", "arrow is static"], otherwise=False)
    spec = rules.indicators["k"]
    analysis = analyse(spec.rag.clauses, band_context(spec))
    [zero] = [p for p in analysis.scenarios[0].points if p.region[0] == p.region[2] == 0]
    assert {o.kind for _, o, _ in zero.results} == {"fires"}  # no gap: at 0 the arrow is static or down
    assert _assess(rules, [Decimal(5), Decimal(0)]).rag == "green"
