"""Static checks of rule files (`lsprules check`): one small function per check, registered in CHECKS.

A file is parsed (syntax errors stop there), resolved (name errors are kept, and the indicators they touch
are left out of later checks, so that one mistake gives one diagnostic), then every check runs. The
diagnostics come back sorted by position, each once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from pathlib import Path

from lsprules.analysis.band_diagnostics import BandCheck, band_context, clause_words, decimal_words
from lsprules.analysis.band_judge import Context
from lsprules.analysis.suppressions import suppressed
from lsprules.analysis.theme_bands import ThemeAnalysis, analyse_theme
from lsprules.core.diagnostics import Diagnostic, InputError, Severity, at_span, did_you_mean
from lsprules.core.files import decode_source, read_rule_file
from lsprules.core.numbers import exact
from lsprules.core.periods import Period, PeriodError, parse_period
from lsprules.core.source import Source, Span
from lsprules.lang import nodes
from lsprules.lang.printer import format_quantity, format_statement
from lsprules.lang.resolve import IndicatorSpec, RuleSet, ThemeSpec, bodies, resolve_collecting, walk


@dataclass
class Checked:
    """A parsed and resolved rule file, and what the checks need to report on it."""

    source: Source
    rule_file: nodes.RuleFile
    rule_set: RuleSet
    problems: tuple[Diagnostic, ...]  # from resolving: the indicators they touch are not checked further
    theme_analyses: dict[str, ThemeAnalysis | None] = field(default_factory=dict)  # by theme, once each

    def report(self, code: str, message: str, node: nodes.Node | Span | None, hint: str | None = None,
               severity: Severity = Severity.ERROR) -> Diagnostic:
        """A diagnostic at a node (or span) of this file."""
        span = node if isinstance(node, Span) or node is None else node.span
        line = self.source.line_text(span.line) if span else ""
        return at_span(code, message, span, line, hint, severity)

    @cached_property
    def usable(self) -> tuple[IndicatorSpec, ...]:
        """The indicators with no resolving problem of their own or in their profile."""
        spans = [p.span for p in self.problems if p.span is not None]
        profiles = {i.name: i.span for i in self.rule_file.items if isinstance(i, nodes.Profile)}
        return tuple(spec for spec in self.rule_set.indicators.values()
                     if not any(_inside(problem, area) for problem in spans
                                for area in (spec.span, profiles.get(spec.profile or "")) if area))

    def specs(self) -> Iterator[IndicatorSpec]:
        """The indicators the checks look at (see `usable`)."""
        return iter(self.usable)

    def users(self, spec: IndicatorSpec) -> list[IndicatorSpec]:
        """The checked indicators that share this indicator's profile."""
        return [s for s in self.specs() if s.profile == spec.profile]


# A finding of a per-indicator check: code, node, message, hint, severity.
Finding = tuple[str, nodes.Node, str, "str | None", Severity]


def for_each_indicator(check: Callable[[Checked, IndicatorSpec], Iterable[Finding]]) -> Check:
    """Run a check on every indicator; a finding about a profile's statement is reported once, naming the
    indicators it concerns unless it concerns every indicator using the profile."""

    def run(checked: Checked) -> Iterator[Diagnostic]:
        grouped: dict[tuple[str, int, nodes.Node, str, str | None, Severity], list[IndicatorSpec]] = {}
        for spec in checked.specs():
            for code, node, message, hint, severity in check(checked, spec):
                grouped.setdefault((code, id(node), node, message, hint, severity), []).append(spec)
        for (code, _, node, message, hint, severity), specs in grouped.items():
            outside = not _inside(node.span, specs[0].span)
            everyone = [s.id for s in specs] == [s.id for s in checked.users(specs[0])]
            qualifier = _for_indicators(specs) if outside and not everyone else ""
            yield checked.report(code, qualifier + message, node, hint, severity)

    run.__doc__ = check.__doc__
    run.__name__ = check.__name__
    return run


def _inside(inner: Span | None, outer: Span | None) -> bool:
    if inner is None or outer is None:
        return False
    return (outer.line, outer.column) <= (inner.line, inner.column) and \
        (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


Check = Callable[[Checked], Iterable[Diagnostic]]


# --- entry points ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one rule file: its diagnostics, and its source and rule set when readable."""

    diagnostics: tuple[Diagnostic, ...]
    source: Source | None = None
    rules: RuleSet | None = None


def check_path(path: str | Path) -> FileCheck:
    """Check one rule file."""
    try:
        source = decode_source(*read_rule_file(path))
    except InputError as exc:
        return FileCheck(exc.diagnostics)
    return check_source(source)


def check_source(source: Source) -> FileCheck:
    """Parse, resolve and check a rule file's text; diagnostics sorted by position, root causes only."""
    from lsprules.lang.parser import parse_source

    try:
        rule_file = parse_source(source)
    except InputError as exc:
        return FileCheck(exc.diagnostics, source)
    rule_set, problems = resolve_collecting(rule_file, source)
    checked = Checked(source, rule_file, rule_set, problems)
    found = list(problems)
    for check in CHECKS:
        found.extend(check(checked))
    shown = suppressed(source, _root_causes(found))
    return FileCheck(tuple(sorted(shown, key=lambda d: d.sort_key)), source, rule_set)


def _root_causes(found: list[Diagnostic]) -> list[Diagnostic]:
    """Each diagnostic once; a warning where an error already points is a follow-on, and is dropped."""
    errors = {d.span for d in found if d.severity is Severity.ERROR and d.span is not None}
    return [d for d in dict.fromkeys(found) if d.severity is Severity.ERROR or d.span not in errors]


# --- clause order -----------------------------------------------------------------------------------------


def check_after_otherwise(checked: Checked) -> Iterator[Diagnostic]:
    """E205: clauses after an `otherwise` clause can never fire."""
    for clauses in _clause_lists(checked.rule_file):
        cut = next((i for i, c in enumerate(clauses) if c.condition is None), None)
        if cut is not None and cut + 1 < len(clauses):
            otherwise, after = clauses[cut], clauses[cut + 1]
            more = len(clauses) - cut - 1
            what = "this clause" if more == 1 else f"this clause and the {more - 1} after it"
            yield checked.report("E205", f"{what} can never fire: `{clause_words(otherwise)}` on line "
                                 f"{otherwise.span.line if otherwise.span else '?'} always decides first",
                                 after, "move `otherwise` to the end: clauses are tried in order")


def check_theme_otherwise(checked: Checked) -> Iterator[Diagnostic]:
    """E204: a theme rating without `otherwise` leaves some mixes of members unrated."""
    proven = {t.id for t in checked.rule_set.themes if (found := _theme_analysis(checked, t)) is not None
              and found.unrated is None}  # every mix of members is rated: no catch-all is needed
    for item in checked.rule_file.items:
        if isinstance(item, nodes.Theme) and item.name not in proven:
            for rating in (s for s in item.settings if isinstance(s, nodes.Rating)):
                if rating.clauses and all(c.condition is not None for c in rating.clauses):
                    yield checked.report("E204", f"the rating of theme '{item.name}' has no `otherwise` clause, "
                                         "so a mix of members that matches no clause gets no rating", rating,
                                         "end with a catch-all clause such as `AMBER_RED otherwise`",
                                         Severity.WARNING)


def check_theme_bands(checked: Checked) -> Iterator[Diagnostic]:
    """E214, E215: the exact analysis of each theme's rating over every mix of its members."""
    for theme in checked.rule_set.themes:
        analysis = _theme_analysis(checked, theme)
        if analysis is None:
            continue
        for index, clause in enumerate(analysis.clauses):
            if analysis.fires(index):
                continue
            why = "its condition is never true" if not analysis.ever_true(index) else \
                "every mix of members it matches is rated (or left undecided) by an earlier clause"
            yield checked.report("E215", f"`{clause_words(clause)}` can never fire for theme '{theme.id}': {why}",
                                 clause, "reorder the clauses (the first that holds decides), or change the counts")
        if analysis.unrated is not None:
            yield checked.report("E214", f"theme '{theme.id}' gives no rating to {analysis.unrated}: no clause "
                                 "of its rating matches", theme.rating,
                                 "add a clause for them, or end with a catch-all such as "
                                 f"`{theme.scale[0] if theme.scale else 'RED'} otherwise`")


def _theme_analysis(checked: Checked, theme: ThemeSpec) -> ThemeAnalysis | None:
    """The analysis of a theme's rating over every mix of its members (None: members with problems, or too
    many mixes); worked out once per theme, as two checks read it."""
    if theme.id not in checked.theme_analyses:
        usable = {spec.id: spec for spec in checked.specs()}
        fine = bool(theme.rating.clauses) and all(m in usable for m in theme.members) and \
            not any(_inside(problem.span, theme.span) for problem in checked.problems)
        checked.theme_analyses[theme.id] = analyse_theme(theme, [usable[m] for m in theme.members]) if fine else None
    return checked.theme_analyses[theme.id]


def _clause_lists(rule_file: nodes.RuleFile) -> Iterator[tuple[nodes.Clause, ...]]:
    for settings in bodies(rule_file.items):
        for setting in settings:
            if isinstance(setting, nodes.RagBlock):
                yield setting.clauses
    for item in rule_file.items:
        if isinstance(item, nodes.Theme):
            yield from (s.clauses for s in item.settings if isinstance(s, nodes.Rating))


# --- bands ------------------------------------------------------------------------------------------------


def check_bands(checked: Checked) -> Iterator[Diagnostic]:
    """E201-E204, E206, E207, E209: the exact analysis of each RAG rule, once per distinct context."""
    by_rule: dict[int, tuple[nodes.RagBlock, dict[Context, list[IndicatorSpec]]]] = {}
    for spec in checked.specs():
        if spec.rag is not None:
            rag, contexts = by_rule.setdefault(id(spec.rag), (spec.rag, {}))
            contexts.setdefault(band_context(spec), []).append(spec)
    for rag, contexts in by_rule.values():
        for specs in contexts.values():
            qualifier = _for_indicators(specs) if len(contexts) > 1 else ""
            yield from BandCheck(rag, specs[0], qualifier, checked.report).run()


def _for_indicators(specs: list[IndicatorSpec]) -> str:
    names = [f"'{s.id}'" for s in specs[:3]]
    more = f" and {len(specs) - 3} more" if len(specs) > 3 else ""
    return f"for indicator{'s' if len(specs) > 1 else ''} {', '.join(names)}{more}: "


# --- targets ----------------------------------------------------------------------------------------------


@for_each_indicator
def check_target_polarity(checked: Checked, spec: IndicatorSpec) -> Iterator[Finding]:
    """E208: a reduction target on a higher-is-better indicator (or the reverse), or a negative change."""
    goal = spec.target.goal if spec.target else None
    if not isinstance(goal, nodes.ChangeStmt):
        return
    wrong = {"higher_is_better": "reduce", "lower_is_better": "increase"}.get(spec.polarity.kind)
    said = f"`{goal.direction} by {_quantity(goal.amount)} by {goal.period}`"
    if goal.direction == wrong:
        better = "higher" if wrong == "reduce" else "lower"
        right = "increase" if wrong == "reduce" else "reduce"
        yield ("E208", goal, f"{said} makes the target worse than the baseline, but {better} is better "
               f"(`polarity {spec.polarity.kind}`)", f"write `{right} by ...`, or check the polarity", Severity.ERROR)
    elif goal.amount.value < 0:
        yield ("E208", goal, f"{said}: a negative change reverses its direction",
               "write the amount as a positive number", Severity.ERROR)


@for_each_indicator
def check_target_periods(checked: Checked, spec: IndicatorSpec) -> Iterator[Finding]:
    """E210: the baseline must be a period of the same kind before the target period(s)."""
    target = spec.target
    if target is None or target.baseline is None:
        return
    base = _period(target.baseline.period)
    for stmt in ([target.goal] if target.goal is not None else []) + list(target.per_period):
        end = _period(stmt.period)
        if base is None or end is None:
            continue
        if base.kind != end.kind:
            yield ("E210", stmt, f"baseline {base} and target period {end} are different kinds of period "
                   f"({_kind(base)}, {_kind(end)})", "use one kind of period throughout, as the data does",
                   Severity.ERROR)
        elif end <= base:
            yield ("E210", stmt, f"the target period {end} is not after the baseline {base}",
                   "a target is reached after its baseline: check both periods", Severity.ERROR)


def _period(label: str) -> Period | None:
    try:
        return parse_period(label)
    except PeriodError:
        return None


def _kind(period: Period) -> str:
    return period.kind.value.replace("_", " ")


def _quantity(q: nodes.Quantity) -> str:
    return format_quantity(q)


# --- units ------------------------------------------------------------------------------------------------


@for_each_indicator
def check_pp_units(checked: Checked, spec: IndicatorSpec) -> Iterator[Finding]:
    """E212: percentage points only make sense on a percentage indicator."""
    if spec.unit.kind == "percent":
        return
    for node in _quantities(spec):
        if node.unit == "pp":
            yield ("E212", node, f"`{_quantity(node)}` is in percentage points, but indicator '{spec.id}' is a "
                   f"{_unit(spec)}", "write a plain number for an absolute amount, or % for a relative one",
                   Severity.ERROR)


@for_each_indicator
def check_percent_scales(checked: Checked, spec: IndicatorSpec) -> Iterator[Finding]:
    """E211: a percentage indicator's figures must all be on the 0-100 scale (or all 0-1)."""
    if spec.unit.kind != "percent":
        return
    levels = list(percent_levels(spec))
    big = [(value, node) for value, node in levels if value > 1]
    if not big:
        return
    example = f"`{format_statement(big[0][1])}`"
    for value, node in levels:
        if 0 < value < 1:
            yield ("E211", node, f"`{format_statement(node)}` looks like a fraction of 1, but indicator '{spec.id}' "
                   f"has figures on a 0–100 scale ({example})", f"write {_percent(value)} % for "
                   f"{_percent(value)} per cent", Severity.ERROR)
    if spec.value is not None and not spec.value.as_percent and _divides(spec.value.expr):
        yield ("E211", spec.value, f"this value is a ratio from 0 to 1, but indicator '{spec.id}' has figures on "
               f"a 0–100 scale ({example})", "add `as percent` to the value: `value = a / b as percent`",
               Severity.ERROR)


def percent_levels(spec: IndicatorSpec) -> Iterator[tuple[Fraction, nodes.Node]]:
    """Levels (not differences) of a percentage indicator: targets, peak, ideal, thresholds on the value."""
    target = spec.target
    if target is not None:
        if target.fixed is not None:
            yield exact(target.fixed.amount.value), target.fixed
        if isinstance(target.goal, nodes.ReachStmt):
            yield exact(target.goal.amount.value), target.goal
        yield from ((exact(s.amount.value), s) for s in target.per_period)
    if spec.arrow.peak is not None:
        yield exact(spec.arrow.peak.maximum.value), spec.arrow.peak
    if spec.polarity.kind == "closer_to":
        assert spec.polarity.ideal is not None  # the grammar requires `closer_to Q`
        yield exact(spec.polarity.ideal.value), spec.polarity
    for clause in spec.rag.clauses if spec.rag else ():
        for node in walk(clause.condition) if clause.condition is not None else ():
            if isinstance(node, nodes.Compare):
                yield from _threshold(node)


def _threshold(compare: nodes.Compare) -> Iterator[tuple[Fraction, nodes.Node]]:
    """`value >= 0.6`: the constant a value (or target) is compared with."""
    for side, other in ((compare.left, compare.right), (compare.right, compare.left)):
        if isinstance(side, nodes.Ref) and side.which in ("value", "target", "trajectory") and \
                isinstance(other, nodes.Quantity) and other.unit != "pp":
            yield exact(other.value), compare


def _percent(value: Fraction) -> str:
    return decimal_words(value * 100)


def _divides(expr: nodes.Expr) -> bool:
    return any(isinstance(n, nodes.Arith) and n.op == "/" for n in walk(expr))


def _unit(spec: IndicatorSpec) -> str:
    return f"rate per {spec.unit.per}" if spec.unit.kind == "rate" else spec.unit.kind


def _quantities(spec: IndicatorSpec) -> Iterator[nodes.Quantity]:
    """Every quantity that describes the indicator's own values: tolerances, margins, targets, thresholds."""
    roots: list[nodes.Expr] = []
    if spec.arrow.static is not None:
        roots.append(spec.arrow.static.tolerance)
    if spec.arrow.peak is not None:
        roots.append(spec.arrow.peak.maximum)
    target = spec.target
    if target is not None:
        roots += [s.amount for s in [target.fixed, target.goal, *target.per_period] if s is not None]
    if spec.polarity.ideal is not None:
        roots.append(spec.polarity.ideal)
    roots += [c.condition for c in (spec.rag.clauses if spec.rag else ()) if c.condition is not None]
    for root in roots:
        for node in walk(root):
            if isinstance(node, nodes.Quantity):
                yield node
            elif isinstance(node, (nodes.WithinTarget, nodes.TargetExceeded)):
                yield node.margin


# --- profiles ---------------------------------------------------------------------------------------------


def check_unused_profiles(checked: Checked) -> Iterator[Diagnostic]:
    """E213: a profile that no indicator uses is dead configuration (often a misspelt `uses`)."""
    used = {spec.profile for spec in checked.rule_set.indicators.values()}
    profiles = [i.name for i in checked.rule_file.items if isinstance(i, nodes.Profile)]
    misspelt = [name for name in used if name is not None and name not in profiles]  # each an E103 already
    for item in checked.rule_file.items:
        if isinstance(item, nodes.Profile) and item.name not in used and not did_you_mean(item.name, misspelt):
            span = item.span
            head = Span(span.file, span.line, span.column, span.line, span.column + len("profile ") +
                        len(item.name)) if span else None
            yield checked.report("E213", f"no indicator uses profile '{item.name}'", head,
                                 f"use it with `indicator ID uses {item.name}`, or remove it", Severity.WARNING)


def check_empty(checked: Checked) -> Iterator[Diagnostic]:
    """E010: a rule file with no items at all (empty, or only comments) assesses nothing."""
    if not checked.rule_file.items:
        yield checked.report("E010", "the rule file has no indicators or themes: there is nothing to assess",
                             Span(checked.source.name, 1, 1, 1, 1), "check that this is the rule file meant",
                             Severity.WARNING)


CHECKS: tuple[Check, ...] = (
    check_after_otherwise,
    check_theme_otherwise,
    check_bands,
    check_theme_bands,
    check_target_polarity,
    check_target_periods,
    check_pp_units,
    check_percent_scales,
    check_unused_profiles,
    check_empty,
)
