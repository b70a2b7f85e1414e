"""`explain`: the whole story of one indicator's result, or one theme's rating, in plain words.

Where each value came from, the comparison behind the arrow, the target and trajectory arithmetic, every
clause tried with its outcome and line, and what would change the result. Every number is the interpreter's
own (its Facts and Assessments); this module only puts them into words and asks the what-if searches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeVar

from lsprules.audit.aspects import polarity_words
from lsprules.audit.indicator_whatif import Move, Outcome, WhatIf, margin_amount, reference_name, tolerance_amount
from lsprules.audit.theme_whatif import MAX_STATES, Look, Reach, ThemeWhatIf
from lsprules.audit.wording import MINUS, arrow_text, band_text, exact_text, percent_change, signed_text
from lsprules.core.diagnostics import InputError, did_you_mean, error, listed
from lsprules.core.numbers import HUNDRED, exact, json_number
from lsprules.core.periods import Period
from lsprules.data.model import Area, Dataset
from lsprules.engine.interpreter import (
    AreaEvaluator,
    Assessment,
    Facts,
    Gap,
    Point,
    ThemeResult,
    area_evaluator,
    assess_theme,
    assessed_areas,
    theme_number,
)
from lsprules.lang import nodes
from lsprules.lang.printer import format_expr, format_quantity, format_statement
from lsprules.lang.resolve import OFFSET_FUNCTIONS, IndicatorSpec, RuleSet, TargetSpec, ThemeSpec, walk

OUTCOME_WORDS = {True: "yes", False: "no", None: "unknown"}

_Shown = TypeVar("_Shown")  # what a what-if search follows: an arrow, or a RAG band


@dataclass(frozen=True)
class Section:
    """A titled part of an explanation: lines of plain words."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    """One result explained: a heading, sections of words, and the key facts for machines."""

    heading: str
    sections: tuple[Section, ...]
    facts: dict[str, object] = field(default_factory=dict)


# --- choosing what to explain -----------------------------------------------------------------


def pick_area(rules: RuleSet, dataset: Dataset, name: str | None) -> Area:
    """The area asked for, or the only one assessed; InputError when ambiguous or unknown."""
    names = [a.name for a in dataset.areas]
    if name is None:
        assessed = assessed_areas(rules, dataset)  # comparator areas (national figures) are not assessed
        if len(assessed) == 1:
            return assessed[0]
        raise InputError([error("E003", "the dataset has several areas: choose one with --area",
                                hint=f"its areas are: {listed(names)}")])
    for area in dataset.areas:
        if area.name == name:
            return area
    raise InputError([error("E003", f"--area {name}: the dataset has no such area",
                            hint=did_you_mean(name, names) or f"its areas are: {listed(names)}")])


def pick_indicator(rules: RuleSet, name: str) -> IndicatorSpec:
    """The indicator asked for; InputError with a suggestion when unknown."""
    if name in rules.indicators:
        return rules.indicators[name]
    themes = [t.id for t in rules.themes]
    hint = f"'{name}' is a theme: use --theme {name}" if name in themes else did_you_mean(name, rules.indicators)
    raise InputError([error("E003", f"--indicator {name}: {rules.file} has no such indicator", hint=hint)])


def pick_theme(rules: RuleSet, name: str) -> ThemeSpec:
    """The theme asked for; InputError with a suggestion when unknown."""
    for theme in rules.themes:
        if theme.id == name:
            return theme
    hint = f"'{name}' is an indicator: use --indicator {name}" if name in rules.indicators else \
        did_you_mean(name, [t.id for t in rules.themes])
    raise InputError([error("E003", f"--theme {name}: {rules.file} has no such theme", hint=hint)])


# --- an indicator -----------------------------------------------------------------------------


@dataclass
class _Context:
    """Everything the sections of an indicator's explanation read."""

    rules: RuleSet
    dataset: Dataset
    area: Area
    spec: IndicatorSpec
    at: Period | None
    evaluator: AreaEvaluator
    assessment: Assessment
    facts: Facts | None


def explain_indicator(rules: RuleSet, dataset: Dataset, indicator: str, at: Period | None,
                      area: str | None = None) -> Explanation:
    """The story of one indicator's assessment in one area at period `at` (default: the latest)."""
    spec = pick_indicator(rules, indicator)
    chosen = pick_area(rules, dataset, area)
    at = at or (dataset.periods()[-1] if dataset.periods() else None)
    evaluator = area_evaluator(rules, dataset, chosen.name)
    assessment = evaluator.assess(spec, at)
    points = evaluator.points(spec.id, at)
    data = chosen.series.get(spec.id)
    facts = Facts(spec, points, evaluator.breaks(spec.id), data=data) if points else None
    ctx = _Context(rules, dataset, chosen, spec, at, evaluator, assessment, facts)
    sections = [_value_section(ctx), _arrow_section(ctx), _target_section(ctx), _rag_section(ctx)]
    whatif = WhatIf(spec, points, evaluator.breaks(spec.id), evaluator.places(spec.id), data) if points else None
    sections.append(_change_section(ctx, whatif))
    heading = f"{spec.id} “{spec.title}” — {chosen.name}, assessed at {at or '–'}"
    return Explanation(heading, tuple(sections), _indicator_facts(ctx, whatif))


def _line_of(node: nodes.Node | None) -> str:
    return f"line {node.span.line}" if node is not None and node.span is not None else "default"


def _where(ctx: _Context, node: nodes.Node | IndicatorSpec | TargetSpec | None) -> str:
    return f"{ctx.rules.file}:{node.span.line}" if node is not None and node.span is not None else ctx.rules.file


def _value_section(ctx: _Context) -> Section:
    a, spec = ctx.assessment, ctx.spec
    lines = [f"defined at {_where(ctx, spec)}" + (f", uses profile {spec.profile}" if spec.profile else "")
             + f"; unit {a.unit}; {polarity_words(spec.polarity)}"]
    if a.value is None:
        lines.append(next((r for r in a.reasons if r.startswith(("no value", "no data"))), "no value to assess"))
        return Section("Value", tuple(lines))
    if spec.value is None:
        lines.append(_raw_origin(ctx))
    else:
        lines.extend(_derived_origin(ctx, spec.value))
    if ctx.at is not None and a.period != ctx.at:
        missing = next((v.reason for p, v in a.series if p == ctx.at and isinstance(v, Gap)), "no value")
        lines.append(f"there is no value for {ctx.at} ({missing}): the latest value before it is assessed")
    lines.append("series: " + " · ".join(f"{p} {_series_value(v)}" for p, v in a.series))
    lines.extend(f"the report printed {d.reported} for {d.period}; the rules compute {d.computed}"
                 for d in a.discrepancies if d.field == "value")
    return Section("Value", tuple(lines))


def _series_value(value: Fraction | Gap) -> str:
    return "n/a" if isinstance(value, Gap) else exact_text(value)


def _raw_origin(ctx: _Context) -> str:
    a = ctx.assessment
    series = ctx.area.series.get(ctx.spec.id)
    source = f" (source: {series.source})" if series is not None and series.source else ""
    return f"{exact_text(a.value)} in {a.period}: as given in the dataset {ctx.dataset.path}{source}"


def _derived_origin(ctx: _Context, value: nodes.ValueSetting) -> list[str]:
    a = ctx.assessment
    assert a.period is not None  # only asked for an assessment with a value, and a value has a period
    formula = format_expr(value.expr) + (" as percent" if value.as_percent else "")
    parts = list(dict.fromkeys(_components(ctx, value.expr, a.period)))
    scale = " (× 100 for per cent)" if value.as_percent else ""
    return [f"derived ({_where(ctx, value)}): value = {formula}",
            f"in {a.period}: {', '.join(parts)}{scale} → {exact_text(a.value)}"]


def _components(ctx: _Context, expr: nodes.Expr, period: Period) -> Iterator[str]:
    """'name = value' for every field, indicator and comparator value the expression reads, in order."""
    for node in in_order(expr):
        if isinstance(node, nodes.Name) and node.id in ctx.spec.fields:
            yield f"{node.id} = {_field_value(ctx, node.id, period)} (field)"
        elif isinstance(node, nodes.Name) and node.id in ctx.rules.indicators:
            yield f"{node.id} = {_known(ctx.evaluator.value_at(node.id, period))}"
        elif isinstance(node, nodes.AtComparator):
            yield _at_words(ctx, node.indicator, node.comparator, period)
        elif isinstance(node, nodes.AtPeriod) or (isinstance(node, nodes.Call) and node.func in OFFSET_FUNCTIONS):
            yield f"{format_expr(node)} = {_known(ctx.evaluator.series_value(node, period))}"
        elif isinstance(node, nodes.Call) and node.func in ("gap", "ratio") and len(node.args) == 2:
            first, second = node.args
            # The resolver makes both names: an indicator, then a comparator.
            assert isinstance(first, nodes.Name) and isinstance(second, nodes.Name)
            own = first.id  # this area's value first, then the comparator's
            yield f"{own} = {_known(ctx.evaluator.value_at(own, period))}"
            yield _at_words(ctx, own, second.id, period)


def _at_words(ctx: _Context, indicator: str, comparator: str, period: Period) -> str:
    return f"{indicator} at {comparator} = {_known(ctx.evaluator.comparator_value(indicator, comparator, period))}"


def _field_value(ctx: _Context, name: str, period: Period) -> str:
    series = ctx.area.series.get(ctx.spec.id)
    raw = series.fields.get(name, {}).get(period) if series else None
    return "n/a" if raw is None or not hasattr(raw, "as_tuple") else exact_text(exact(raw))


def _known(value: Fraction | Gap) -> str:
    return f"n/a ({value.reason})" if isinstance(value, Gap) else exact_text(value)


def _latest(facts: Facts) -> Point:
    """The latest point of facts built here: always there, as facts are only built from a non-empty series."""
    assert facts.latest is not None
    return facts.latest


def _latest_period(facts: Facts) -> Period:
    period = _latest(facts).period
    assert period is not None  # the latest point is a value of the series, which has a period
    return period


def in_order(expr: nodes.Expr) -> Iterator[nodes.Expr]:
    """Every node of an expression in reading order (left to right)."""
    yield expr
    if isinstance(expr, (nodes.Arith, nodes.Compare, nodes.And, nodes.Or)):
        yield from in_order(expr.left)
        yield from in_order(expr.right)
    elif isinstance(expr, (nodes.Not, nodes.Negate)):
        yield from in_order(expr.operand)
    elif isinstance(expr, nodes.Call):
        for arg in expr.args:
            yield from in_order(arg)


# --- arrow ------------------------------------------------------------------------------------


def _arrow_section(ctx: _Context) -> Section:
    arrow, facts = ctx.spec.arrow, ctx.facts
    lines = [_compare_words(arrow.compare) + f" ({_line_of(arrow.compare)})"]
    if facts is not None and facts.earlier is not None:
        earlier, latest = facts.earlier, _latest(facts)
        assert facts.change is not None  # measured whenever there is an earlier value
        change = f"change {signed_text(facts.change)}"
        if facts.change_pct is not None:
            change += f" ({percent_change(latest.value, earlier.value)})"
        lines.append(f"{exact_text(earlier.value)} ({earlier.name}) → {exact_text(latest.value)} "
                     f"({latest.name}): {change}")
        if arrow.static is not None:
            lines.append(_tolerance_words(arrow.static, earlier.value))
    if arrow.peak is not None:
        lines.append(f"★ when the value is at its maximum of {format_quantity(arrow.peak.maximum)} "
                     f"({_line_of(arrow.peak)})")
    verdict = next((r for r in ctx.assessment.reasons if r.startswith(("▲", "◀▶", "▼", "★", "no arrow"))), None)
    lines.append(f"arrow: {verdict or arrow_text(ctx.assessment.arrow)}")
    return Section("Arrow", tuple(lines))


def _compare_words(compare: nodes.CompareStmt) -> str:
    return {"previous": "compares the latest value with the previous one",
            "year": "compares the latest value with the same period a year earlier",
            "mean": f"compares the latest value with the mean of the previous {compare.count}",
            "trend": "tests the recent trend (chi-squared test for trend over the most recent five values) at "
                     f"{format_quantity(compare.level) if compare.level else ''}"}[compare.method]


def _tolerance_words(static: nodes.StaticStmt, earlier: Fraction) -> str:
    amount = tolerance_amount(static, earlier)
    of = f" of {exact_text(abs(earlier))} = {exact_text(amount)}" if static.tolerance.unit == "%" else ""
    low, high = exact_text(earlier - amount), exact_text(earlier + amount)
    rule = f"static {'within' if static.inclusive else 'below'} {format_quantity(static.tolerance)}"
    span = f"from {low} to {high} inclusive" if static.inclusive else f"strictly between {low} and {high}"
    return f"tolerance: {rule} ({_line_of(static)}): {format_quantity(static.tolerance)}{of}, " \
           f"so a latest value {span} is static"


# --- target and trajectory --------------------------------------------------------------------


def _target_section(ctx: _Context) -> Section:
    target, facts = ctx.spec.target, ctx.facts
    levels = _level_lines(ctx)
    given = next((r for r in ctx.assessment.reasons if r.endswith("(from the dataset)")), None)
    if given is not None:  # the data's target for this area and period replaces the rule file's
        return Section("Target and trajectory", (given, *levels))
    if target is None:
        return Section("Target and trajectory", ("no target is set, so `on trajectory` and `target met` cannot "
                                                 "be decided", *levels))
    lines = [f"set at {_where(ctx, target)}" + (f" (profile {ctx.spec.profile})" if ctx.spec.profile else "")]
    if target.fixed is not None:
        lines.append(f"target {format_quantity(target.fixed.amount)} ({_line_of(target.fixed)})")
    elif target.from_data:
        lines.append("the dataset gives the target, per area and period (`target from data`)")
    else:
        lines.extend(_goal_lines(ctx, target))
    if facts is not None:
        lines.extend(_judgement_lines(facts, target))
    lines.extend(r for r in ctx.assessment.reasons if r.startswith(("no trajectory", "no target")))
    return Section("Target and trajectory", (*lines, *levels))


def _level_lines(ctx: _Context) -> list[str]:
    """Each reference level known at the assessed value, and whether the data or the rules gave it."""
    data = ctx.area.series.get(ctx.spec.id)
    period = ctx.assessment.period
    lines = []
    for name, value in ctx.assessment.levels:
        from_data = data is not None and period is not None and period in data.levels.get(name, {})
        declared = ctx.spec.level(name)
        where = "from the dataset" if from_data or declared is None else f"set at {_line_of(declared)}"
        lines.append(f"{name} level {exact_text(value)} ({where})")
    return lines

def _goal_lines(ctx: _Context, target: TargetSpec) -> list[str]:
    facts = ctx.facts
    lines = []
    if target.baseline is not None:
        value = exact_text(facts.baseline) if facts is not None and facts.baseline is not None else "no value"
        lines.append(f"baseline {target.baseline.period} ({_line_of(target.baseline)}): {value}")
    if target.per_period:
        listed = ", ".join(f"{format_quantity(s.amount)} in {s.period}" for s in target.per_period)
        lines.append(f"targets by period ({_line_of(target.per_period[0])}): {listed}")
    goal = target.goal
    if isinstance(goal, nodes.AnnualStmt):
        lines.append(f"{format_statement(goal)} ({_line_of(goal)})")
        lines.extend(r for r in ctx.assessment.reasons if "profile of the annual" in r)
    elif goal is not None and facts is not None and facts.target is not None and not target.per_period:
        lines.append(_goal_words(goal, facts))
    segment = _segment(facts) if facts is not None else None
    if facts is not None and segment is not None:
        lines.append(_trajectory_words(target.trajectory, facts, segment))
    elif facts is not None and facts.trajectory is not None and target.trajectory == "flat":
        lines.append(f"trajectory flat: the target {exact_text(facts.trajectory)} applies in every period")
    return lines


def _goal_words(goal: nodes.ChangeStmt | nodes.ReachStmt, facts: Facts) -> str:
    where = _line_of(goal)
    if isinstance(goal, nodes.ReachStmt):
        return f"reach {format_quantity(goal.amount)} by {goal.period} ({where}): target {exact_text(facts.target)}"
    base = facts.baseline
    assert base is not None  # a change target is computed from the baseline value
    sign = MINUS if goal.direction == "reduce" else "+"
    words = f"{goal.direction} by {format_quantity(goal.amount)} by {goal.period} ({where}): "
    if goal.amount.unit == "%":
        step = abs(base) * exact(goal.amount.value) / HUNDRED
        size = exact_text(abs(base)) if base >= 0 else f"|{exact_text(base)}|"
        return words + (f"{exact_text(base)} {sign} {format_quantity(goal.amount)} × {size} = "
                        f"{exact_text(base)} {sign} {exact_text(step)} = {exact_text(facts.target)}")
    return words + f"{exact_text(base)} {sign} {exact_text(exact(goal.amount.value))} = {exact_text(facts.target)}"


def _segment(facts: Facts) -> tuple[Point, Point] | None:
    """The two points of the target path the trajectory value was read from (None: no line involved)."""
    path = facts.target_path
    if facts.trajectory is None or len(path) < 2:
        return None
    at = _latest_period(facts)
    before = [Point(*p) for p in path if p[0] < at]
    after = [Point(*p) for p in path if p[0] > at]
    if before and after:
        return before[-1], after[0]
    if before and len(path) == 2:
        return Point(*path[0]), Point(*path[1])  # a baseline-to-goal line, assessed at or after its end
    return None


def _trajectory_words(kind: str, facts: Facts, segment: tuple[Point, Point]) -> str:
    start, end = segment
    at = _latest_period(facts)
    assert start.period is not None and end.period is not None  # points of the target path, each of a period
    head = f"trajectory {kind}: from {exact_text(start.value)} in {start.name} to {exact_text(end.value)} " \
           f"in {end.name}"
    if at >= end.period or end.period.index == start.period.index:
        return head + f"; at {at} the trajectory value is the end value, {exact_text(facts.trajectory)}"
    share = Fraction(at.index - start.period.index, end.period.index - start.period.index)
    return head + (f"; {at} is {share.numerator}/{share.denominator} of the way: {exact_text(start.value)} + "
                   f"({exact_text(end.value)} {MINUS} {exact_text(start.value)}) × "
                   f"{share.numerator}/{share.denominator} = {exact_text(facts.trajectory)}")


def _judgement_lines(facts: Facts, target: TargetSpec) -> list[str]:
    lines = []
    value = _latest(facts).value
    checks = [("the trajectory value", facts.trajectory, facts.on_trajectory(), "on trajectory"),
              ("the target", facts.target, facts.target_met(), "target met")]
    if target.fixed is not None:
        checks = checks[1:]  # a fixed target is its own trajectory: say it once
    for name, reference, holds, fact in checks:
        if reference is None:
            continue
        lines.append(f"{exact_text(value)} against {name} {exact_text(reference)}: "
                     f"{_better_words(facts, value, reference)} → {fact}: {OUTCOME_WORDS[holds]}")
    return lines


def _better_words(facts: Facts, value: Fraction, reference: Fraction) -> str:
    side = facts.polarity.better(value, reference)
    if side == 0:
        return "exactly on it"
    gap = exact_text(abs(value - reference))
    return f"{gap} {'better' if side > 0 else 'worse'} ({polarity_words(facts.spec.polarity)})"


# --- RAG clauses ------------------------------------------------------------------------------


def _rag_section(ctx: _Context) -> Section:
    rag, a = ctx.spec.rag, ctx.assessment
    if rag is None:
        return Section("RAG", ("no RAG clauses apply to this indicator: RAG n/a",))
    tried = dict(enumerate(a.clauses))
    lines = [f"clauses are tried in order; the first that holds decides ({_where(ctx, rag)})"]
    for index, clause in enumerate(rag.clauses):
        words = _clause_text(clause)
        trace = tried.get(index)
        if trace is None:
            lines.append(f"{index + 1}. {words} ({_line_of(clause)}) — not tried")
            continue
        verdict = {"true": f"holds → decides {clause.label}", "false": "does not hold",
                   "unknown": f"cannot be decided ({trace.detail}) → RAG n/a"}[trace.outcome]
        lines.append(f"{index + 1}. {words} ({_where(ctx, clause)}) — {verdict}")
        if clause.condition is not None and ctx.facts is not None:
            lines.extend("     " + w for w in _condition_words(clause.condition, ctx.facts))
    lines.extend(r for r in a.reasons if "% confidence interval" in r)  # what a benchmark comparison measured
    lines.append(f"RAG: {band_text(a.rag)}" + (f", decided by {ctx.rules.file}:{a.rule_line}"
                                                 if a.rag is not None else ""))
    return Section("RAG", tuple(lines))


def _clause_text(clause: nodes.Clause) -> str:
    if clause.condition is None:
        return f"`{clause.label} otherwise`"
    return f"`{clause.label} when {format_expr(clause.condition)}`"


def _condition_words(condition: nodes.Expr, facts: Facts) -> list[str]:
    """One line per fact a condition tests: its value and why."""
    lines = []
    for node in in_order(condition):
        words = _fact_words(node, facts)
        if words is not None:
            lines.append(f"{words} → {OUTCOME_WORDS[facts.condition(node)]}")
    return lines


def _fact_words(node: nodes.Expr, facts: Facts) -> str | None:
    value = _latest(facts).value
    text = f"`{format_expr(node)}`"
    if isinstance(node, nodes.ArrowIs):
        return f"{text}: the arrow is {arrow_text(facts.arrow)}"
    if isinstance(node, nodes.OnTrajectory):
        return f"{text}: " + (_vs(facts, value, facts.trajectory, "the trajectory value")
                              if facts.trajectory is not None else "there is no trajectory value")
    if isinstance(node, nodes.TargetMet):
        return f"{text}: " + (_vs(facts, value, facts.target, "the target")
                              if facts.target is not None else "there is no target")
    if isinstance(node, (nodes.WithinTarget, nodes.TargetExceeded)):
        return f"{text}: " + (_margin_words(node, facts) if facts.target is not None else "there is no target")
    if isinstance(node, nodes.Margin):
        reference = facts.reference(node.reference)
        missing = facts.no_reference(node.reference)
        return f"{text}: " + (_bounded_words(node, facts, reference) if reference is not None else missing)
    if isinstance(node, nodes.Presence):
        return f"{text}: {_presence_words(node, facts)}"
    if isinstance(node, nodes.GapState):
        return f"{text}: {_gap_words(facts)}"
    if isinstance(node, nodes.Compare):
        left, right = facts.number(node.left), facts.number(node.right)
        return f"{text}: {exact_text(left)} {node.op} {exact_text(right)}"
    return None


def _vs(facts: Facts, value: Fraction, reference: Fraction, name: str) -> str:
    return f"{exact_text(value)} against {name} {exact_text(reference)}, {_better_words(facts, value, reference)}"


def _margin_words(node: nodes.WithinTarget | nodes.TargetExceeded, facts: Facts) -> str:
    target = facts.target
    assert target is not None  # _fact_words asks only when there is a target
    margin = margin_amount(node.margin, target)
    value = _latest(facts).value
    if isinstance(node, nodes.WithinTarget):
        short = facts.polarity.shortfall(value, target)
        return f"{exact_text(value)} is {exact_text(short)} short of the target {exact_text(target)}; " \
               f"allowed {exact_text(margin)}"
    lead = facts.polarity.shortfall(target, value)
    return f"{exact_text(value)} beats the target {exact_text(target)} by {exact_text(lead)}; " \
           f"needed {exact_text(margin)}"


def _bounded_words(node: nodes.Margin, facts: Facts, target: Fraction) -> str:
    allowed = margin_amount(node.amount, target)
    value = _latest(facts).value
    side = facts.polarity.better(value, target)
    name = reference_name(node.reference)
    if side == 0:
        where = f"{exact_text(value)} is exactly on {name}"
    elif side > 0:
        where = f"{exact_text(value)} beats {name} {exact_text(target)} by " \
                f"{exact_text(facts.polarity.shortfall(target, value))}"
    else:
        where = f"{exact_text(value)} is {exact_text(facts.polarity.shortfall(value, target))} short of " \
                f"{name} {exact_text(target)}"
    return f"{where}; the condition asks for {node.bound} {exact_text(allowed)} " \
           f"{'short of it' if node.side == 'short' else 'better'}"


def _presence_words(node: nodes.Presence, facts: Facts) -> str:
    there = {"target": facts.target is not None, "previous value": facts.earlier is not None, "data": True}
    return f"there is {'a' if there[node.thing] else 'no'} {node.thing}"


def _gap_words(facts: Facts) -> str:
    latest = _latest(facts)
    now = facts.polarity.gap_shortfall(latest.value)
    words = f"the gap is {exact_text(latest.value)}, {exact_text(now)} from closed"
    if facts.earlier is not None:
        before = facts.polarity.gap_shortfall(facts.earlier.value)
        words += f"; in {facts.earlier.name} it was {exact_text(facts.earlier.value)}, {exact_text(before)} from closed"
    return words


# --- what would change the result -------------------------------------------------------------


def _change_section(ctx: _Context, whatif: WhatIf | None) -> Section:
    if whatif is None:
        return Section("What would change the result", ("nothing can be said without a value",))
    lines = []
    # A benchmark comparison and a recent trend read the counts or intervals behind the value, which a what-if
    # on the value alone does not move: say so rather than claim that nothing would change the result.
    counted = "the counts or confidence limits behind the value, which this what-if does not vary"
    if ctx.spec.rag is not None and any(isinstance(n, nodes.Significance) for c in ctx.spec.rag.clauses
                                        if c.condition is not None for n in walk(c.condition)):
        lines.append(f"RAG: its benchmark comparison depends on {counted}")
    elif ctx.spec.rag is not None:
        lines.extend(_move_lines(whatif, "RAG", lambda o: o.rag, band_text))
    if ctx.spec.arrow.compare.method == "trend":
        lines.append(f"arrow: the recent trend depends on {counted}")
    else:
        lines.extend(_move_lines(whatif, "arrow", lambda o: o.arrow, arrow_text))
    return Section("What would change the result", tuple(lines))


def _move_lines(whatif: WhatIf, what: str, key: Callable[[Outcome], _Shown],
                words: Callable[[_Shown], str]) -> list[str]:
    lines = []
    current = key(whatif.current)
    for upward in (True, False):
        moves = whatif.steps(upward, key)
        if not moves:
            lines.append(f"{what} stays {words(current)} at any {_direction_word(whatif, upward)} value")
            continue
        before = current
        for move in moves:
            after = key(move.outcome)
            lines.append(f"{what} {words(before)} → {words(after)} {_where_words(whatif, move, upward)}"
                         + _decided_by(whatif, move, what))
            before = after
    return lines


def _direction_word(whatif: WhatIf, upward: bool) -> str:
    if whatif.whole:
        return "larger" if upward else "smaller"
    return "higher" if upward else "lower"


def _where_words(whatif: WhatIf, move: Move, upward: bool) -> str:
    """'at 1340 (214 more, +19.0 %)' or 'above −1.8 (more than 1.7 higher)', and the threshold crossed."""
    current = whatif.value
    edge = move.edge
    why = f"; threshold: {edge.what} = {exact_text(edge.value)}" if edge.what else ""
    if whatif.whole or move.at_edge:
        point = move.first
        distance = exact_text(abs(point - current))
        more = ("more" if upward else "fewer") if whatif.whole else ("higher" if upward else "lower")
        change = percent_change(point, current)
        return f"at {exact_text(point)} ({distance} {more}{', ' + change if change else ''}){why}"
    side = "above" if upward else "below"
    if edge.value == current:
        return f"{side} {exact_text(edge.value)} (any {'higher' if upward else 'lower'} value){why}"
    distance = exact_text(abs(edge.value - current))
    return f"{side} {exact_text(edge.value)} (more than {distance} {'higher' if upward else 'lower'}){why}"


def _decided_by(whatif: WhatIf, move: Move, what: str) -> str:
    if what != "RAG" or move.outcome.line is None:
        return ""
    rag = whatif.spec.rag
    assert rag is not None  # RAG moves are sought only for an indicator with RAG clauses
    clause = next((c for c in rag.clauses if c.span and c.span.line == move.outcome.line), None)
    return f" — {_clause_text(clause)}, line {move.outcome.line}" if clause else f" — line {move.outcome.line}"


def _indicator_facts(ctx: _Context, whatif: WhatIf | None) -> dict[str, object]:
    a = ctx.assessment
    facts: dict[str, object]
    facts = {"area": a.area, "indicator": a.indicator, "period": a.period.label if a.period else None,
             "value": json_number(a.value), "arrow": a.arrow, "rag": a.rag,
             "rule": {"file": ctx.rules.file, "line": a.rule_line} if a.rule_line else None,
             "clauses": [{"label": c.label, "line": c.line, "outcome": c.outcome} for c in a.clauses]}
    if whatif is not None:
        facts["thresholds"] = [{"value": json_number(t.value), "exact": exact_text(t.value), "what": t.what}
                               for t in whatif.thresholds()]
        facts["changes"] = {what: [_move_dict(m, upward) for upward in (True, False)
                                   for m in whatif.steps(upward, key)]
                            for what, key in (("rag", lambda o: o.rag), ("arrow", lambda o: o.arrow))}
    return facts


def _move_dict(move: Move, upward: bool) -> dict[str, object]:
    return {"direction": "up" if upward else "down", "value": json_number(move.first),
            "threshold": json_number(move.edge.value), "threshold_is": move.edge.what,
            "at_threshold": move.at_edge, "arrow": move.outcome.arrow, "rag": move.outcome.rag}


# --- a theme ----------------------------------------------------------------------------------


def explain_theme(rules: RuleSet, dataset: Dataset, theme_id: str, at: Period | None,
                  area: str | None = None) -> Explanation:
    """The story of one theme's rating in one area at period `at` (default: the latest)."""
    theme = pick_theme(rules, theme_id)
    chosen = pick_area(rules, dataset, area)
    at = at or (dataset.periods()[-1] if dataset.periods() else None)
    results = area_evaluator(rules, dataset, chosen.name).assess_all(at)
    result = assess_theme(theme, chosen, results, at)
    members = [results[m] for m in theme.members if m in results]
    search = ThemeWhatIf(rules, theme, chosen, members, at)
    short = next((r for r in result.reasons if r.startswith("rating n/a: only")), None)
    # Below the coverage the theme requires, no change of members' arrows or bands can rate it: only data can.
    reach = search.reach() if short is None else []
    change = _theme_change_section(theme, result.rating, reach, search.complete) if short is None else \
        Section("What would change the rating", (short.removeprefix("rating n/a: "),
                                                 "only data for more members can change that"))
    sections = (_members_section(theme, members), _rating_section(rules, theme, result, members), change)
    heading = f"theme {theme.id} “{theme.title}” — {chosen.name}, assessed at {at or '–'}"
    facts: dict[str, object]
    facts = {"area": chosen.name, "theme": theme.id, "period": at.label if at else None, "rating": result.rating,
             "rule": {"file": rules.file, "line": result.rule_line} if result.rule_line else None,
             "counts": dict(result.counts), "reported": result.reported,
             "reach": [{"rating": r.rating, "members": r.members,
                        "changes": [{"from": _state_text(c.before), "to": _state_text(c.after), "count": c.count}
                                    for c in r.changes]} for r in reach]}
    return Explanation(heading, sections, facts)


def _members_section(theme: ThemeSpec, members: list[Assessment]) -> Section:
    assessed = sum(1 for m in members if m.value is not None)
    lines = [f"scale, worst first: {' < '.join(theme.scale)}; {len(members)} members, {assessed} assessed"]
    if theme.coverage is not None:
        unit = " %" if theme.coverage.minimum.unit == "%" else ""
        lines.append(f"requires at least {theme.coverage.minimum.value}{unit} of them assessed "
                     f"({_line_of(theme.coverage)})")
    for arrow in ("up", "static", "down", "peak", "na"):
        having = [m.indicator for m in members if m.arrow == arrow]
        if having:
            lines.append(f"arrow {arrow_text(arrow)} ({len(having)}): {', '.join(having)}")
    for band in dict.fromkeys([m.rag for m in members]):
        having = [m.indicator for m in members if m.rag == band]
        lines.append(f"RAG {band_text(band)} ({len(having)}): {', '.join(having)}")
    return Section("Members", tuple(lines))


def _rating_section(rules: RuleSet, theme: ThemeSpec, result: ThemeResult, members: list[Assessment]) -> Section:
    lines = ["clauses are tried in order; the first that holds decides"]
    for index, clause in enumerate(theme.rating.clauses):
        trace = result.clauses[index] if index < len(result.clauses) else None
        where = f"{rules.file}:{clause.span.line}" if clause.span else rules.file
        if trace is None:
            lines.append(f"{index + 1}. {_clause_text(clause)} ({_line_of(clause)}) — not tried")
            continue
        verdict = {"true": f"holds → decides {clause.label}", "false": "does not hold",
                   "unknown": "cannot be decided → rating n/a"}[trace.outcome]
        lines.append(f"{index + 1}. {_clause_text(clause)} ({where}) — {verdict}")
        if clause.condition is not None:
            lines.extend("     " + w for w in _theme_numbers(clause.condition, members))
    lines.extend(r for r in result.reasons if r.startswith(("rating n/a: only", "warning:")))
    lines.append(f"rating: {band_text(result.rating)}" + (f" (the report printed {result.reported})"
                                                          if result.reported else ""))
    return Section("Rating", tuple(lines))


def _theme_numbers(condition: nodes.Expr, members: list[Assessment]) -> list[str]:
    lines: list[str] = []
    for node in in_order(condition):
        if isinstance(node, nodes.Compare):
            # The counts first, then the comparison they feed.
            lines.extend(_call_words(n, members) for n in in_order(node) if isinstance(n, nodes.Call))
            left, right = theme_number(node.left, members), theme_number(node.right, members)
            lines.append(f"`{format_expr(node)}`: {exact_text(left)} {node.op} {exact_text(right)}")
    return lines


def _call_words(call: nodes.Call, members: list[Assessment]) -> str:
    fact = call.args[0]
    count = theme_number(nodes.Call("count", (fact,)), members)
    # Members for whom the fact is known either way: the denominator of a share.
    judged = theme_number(nodes.Call("count", (nodes.Or(fact, nodes.Not(fact)),)), members)
    words = f"`{format_expr(call)}` = {exact_text(theme_number(call, members))}"
    if call.func == "share":
        return words + f" % ({exact_text(count)} of the {exact_text(judged)} members for whom it is known)"
    return words + f" (of {len(members)} members; known for {exact_text(judged)})"


def _theme_change_section(theme: ThemeSpec, rating: str | None, reach: list[Reach], complete: bool) -> Section:
    order = {level: i for i, level in enumerate(theme.scale)}
    lines = []
    for r in reach:
        better = order.get(r.rating, 0) > order.get(rating, -1) if rating is not None else True
        moves = ", ".join(f"{c.count} × {_state_text(c.before)} → {_state_text(c.after)}" for c in r.changes)
        lines.append(f"{r.rating} ({'better' if better else 'worse'}): {r.members} member"
                     f"{'s' if r.members != 1 else ''} would need to change, e.g. {moves}")
    unreached = [level for level in theme.scale if level != rating and level not in {r.rating for r in reach}]
    if unreached and complete:
        lines.append(f"no change of members' arrows or bands reaches {', '.join(unreached)}")
    elif unreached:
        lines.append(f"not found within {MAX_STATES} combinations of member counts: {', '.join(unreached)}")
    lines.append("members without an arrow (or band) are held as they are: changing them needs data")
    return Section("What would change the rating", tuple(lines))


def _state_text(state: Look) -> str:
    arrow, rag = state
    parts = [arrow_text(arrow)] if arrow != "na" else []
    if rag is not None:
        parts.append(rag)
    return " ".join(parts) or "n/a"
