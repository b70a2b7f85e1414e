"""What the columnar plan can express: every construct it cannot is named, so such a run falls back explicitly.

A construct is named as the rule file writes it (`reaches`, the reference level `trigger`, `target from data`,
`compare recent trend at 95 %`), never by the name of a class of the AST, with the item it is written in (a
profile, an indicator, a comparator) and its file:line; a construct in a profile that several indicators use is
named once, and the constructs come in the order of the rule file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import NamedTuple

from lsprules.core.source import Span
from lsprules.engine.columnar.derived import MOST_DEPTH, MOST_NODES, OFF_SCALE, off_scale, oversized, value_words
from lsprules.lang import nodes
from lsprules.lang.printer import format_statement
from lsprules.lang.resolve import IndicatorSpec, RuleSet, walk

# What a RAG condition may hold in the plan; and/or/not are three-valued in SQL exactly as in lang/conditions.
CONDITION_NODES = (nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.ArrowIs, nodes.OnTrajectory,
                   nodes.TargetMet, nodes.WithinTarget, nodes.TargetExceeded, nodes.GapState, nodes.Ref,
                   nodes.Quantity, nodes.Negate, nodes.Arith, nodes.Margin, nodes.Presence, nodes.Reaches,
                   nodes.LevelRef)
DATA_TARGET = "`target from data`"
# The most values a mean of previous values reads in the plan (a column each): ten years of months.
MOST_MEAN_VALUES = 120
ARITH_OPS = {"+", "-", "*", "/"}  # in a RAG condition, as in a derived value (derived.value_words)
CONDITION_FUNCTIONS = {"sum", "min", "max", "mean"}  # of numbers in a RAG condition (interpreter._function)


# The settings the plan was written for. A setting added to the language later (a new field of these specs)
# is not silently ignored: while it differs from its default, the indicator falls back to the interpreter.
KNOWN_FIELDS = {
    "IndicatorSpec": {"id", "title", "group", "profile", "unit", "polarity", "value", "fields", "decimals", "arrow",
                      "target", "rag", "span", "levels"},
    "ArrowSpec": {"compare", "static", "peak"},
    "TargetSpec": {"fixed", "baseline", "goal", "per_period", "trajectory", "span", "from_data"},
}


class Unsupported(NamedTuple):
    """One construct the plan cannot express yet, in the rule file's words, and where the rule file writes it."""

    what: str  # e.g. "`reaches` in a RAG condition"
    span: Span | None
    owner: str  # the item it is written in: "profile reward_count", "indicator x", "comparator national"

    @property
    def message(self) -> str:
        """The construct and the item it is in, for a diagnostic that shows its place."""
        return f"{self.owner}: {self.what}"


def unsupported(rules: RuleSet) -> list[str]:
    """Why the plan cannot evaluate this rule set, each construct once, in rule-file order (empty: it can)."""
    return reasons(unsupported_at(rules))


def reasons(found: Iterable[Unsupported]) -> list[str]:
    """Each construct once, with the item it is in and every file:line where it is, in rule-file order:
    `profile p: `reaches` in a RAG condition (p.rules:12, 15)`."""
    lines: dict[str, dict[tuple[str, int], None]] = {}
    for f in placed(found):
        lines.setdefault(f.message, {}).update({(f.span.file, f.span.line): None} if f.span is not None else {})
    return [message + _places(list(at)) for message, at in lines.items()]


def _places(at: list[tuple[str, int]]) -> str:
    """` (file:12, 15)`, or ` (file:12, other:3)` over two files; nothing without a place."""
    if not at:
        return ""
    if len({file for file, _ in at}) == 1:
        return f" ({at[0][0]}:{', '.join(str(line) for _, line in at)})"
    return " (" + ", ".join(f"{file}:{line}" for file, line in at) + ")"


def unsupported_at(rules: RuleSet) -> list[Unsupported]:
    """Every construct the plan cannot express yet, once per place in the rule file, in the file's order."""
    found: list[Unsupported] = []
    for spec in rules.indicators.values():
        found.extend(_indicator(rules, spec))
    found.extend(found_in(rules, spec, f"a derived value too large for one query with the derived values it names "
                          f"put in place (past {MOST_NODES} terms in all, or nested past {MOST_DEPTH} deep)",
                          spec.value.span if spec.value else None) for spec in oversized(rules))
    return placed(found)


def placed(found: Iterable[Unsupported]) -> list[Unsupported]:
    """Each construct once (every indicator that uses a profile finds the profile's constructs), in the order of
    the rule file; those without a place after them, in the order found."""
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda f: (0, f.span.line, f.span.column) if f.span is not None else (1, 0, 0))


def found_in(rules: RuleSet, spec: IndicatorSpec, what: str, span: Span | None = None) -> Unsupported:
    """A construct of an indicator's rules, written at `span` (None: the indicator's own line), and the item it is
    written in: the indicator, or the profile it uses."""
    span = span or spec.span
    return Unsupported(what, span, _owner(rules, span) or f"indicator {spec.id}")


def setting_node(rules: RuleSet, spec: IndicatorSpec, kind: type[nodes.Node]) -> nodes.Node | None:
    """The setting of that kind that applies to an indicator, as written: its own, else its profile's."""
    bodies: list[tuple[nodes.Setting, ...]] = []
    for item in rules.ast.items:
        indicators = item.indicators if isinstance(item, nodes.Group) else (item,)
        bodies.extend(ind.settings or () for ind in indicators
                      if isinstance(ind, nodes.Indicator) and ind.name == spec.id)
    bodies.extend(item.settings for item in rules.ast.items
                  if isinstance(item, nodes.Profile) and item.name == spec.profile)
    return next((s for body in bodies for s in body if isinstance(s, kind)), None)


def _owner(rules: RuleSet, span: Span | None) -> str | None:
    """The item of the rule file that holds `span`: "profile NAME", "indicator NAME", "theme NAME"..."""
    if span is None:
        return None
    for item in rules.ast.items:
        for inner in item.indicators if isinstance(item, nodes.Group) else (item,):
            if _holds(inner.span, span):
                kind = {nodes.Profile: "profile", nodes.Indicator: "indicator", nodes.Theme: "theme",
                        nodes.Comparator: "comparator"}.get(type(inner), "item")
                return f"{kind} {inner.name}"
    return None


def _holds(outer: Span | None, inner: Span) -> bool:
    return outer is not None and outer.file == inner.file and \
        (outer.line, outer.column) <= (inner.line, inner.column) and \
        (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


def _indicator(rules: RuleSet, spec: IndicatorSpec) -> list[Unsupported]:
    found = []

    def note(what: str, span: Span | None = None) -> None:
        found.append(found_in(rules, spec, what, span))

    for part in (spec, spec.arrow, spec.target):
        for what, span in _new_settings(part):
            note(what, span)
    for what, span in value_words(rules, spec):
        note(what, span)
    compare = spec.arrow.compare
    if compare.method not in ("previous", "year", "mean") or (
            compare.method == "mean" and not 0 < (compare.count or 0) <= MOST_MEAN_VALUES):
        note(f"`{format_statement(compare)}`", compare.span)
    elif compare.method == "mean" and spec.value is not None and off_scale(rules, spec.value.expr, spec.fields):
        # The plan sums the N values on the data's scale; a value's own row denominator would need its own sum.
        note(f"`{format_statement(compare)}` of a value off the data's scale ({OFF_SCALE})", compare.span)
    target = spec.target
    if target is not None and target.trajectory not in ("linear", "flat"):
        note(f"`trajectory {target.trajectory}`", target.span)
    for clause in spec.rag.clauses if spec.rag else ():
        for node in walk(clause.condition) if clause.condition is not None else ():
            words = condition_words(node)
            if words is not None:
                note(f"{words} in a RAG condition", node.span or clause.span)
    return found


def data_targets(rules: RuleSet) -> list[Unsupported]:
    """Where the rules take the target from the data (`target from data`), which `lsprules sql`'s input table, without
    a `level` column, cannot give."""
    found: list[Unsupported] = []
    for spec in rules.indicators.values():
        if spec.target is not None and spec.target.from_data:
            setting = setting_node(rules, spec, nodes.DataTarget)
            found.append(found_in(rules, spec, DATA_TARGET, setting.span if setting is not None else None))
    return found


def condition_words(node: nodes.Expr) -> str | None:
    """The part of a RAG condition the plan cannot express, in the rule file's words (None: it can)."""
    if isinstance(node, nodes.Arith):
        return None if node.op in ARITH_OPS else f"`{node.op}`"
    if isinstance(node, CONDITION_NODES):
        return None
    if isinstance(node, nodes.Call):
        return None if node.func in CONDITION_FUNCTIONS else f"the function `{node.func}()`"
    if isinstance(node, nodes.AtComparator):
        return f"a value in a comparator's areas (`{node.indicator} at {node.comparator}`)"
    if isinstance(node, nodes.AtPeriod):
        return f"a value at one period (`{node.indicator} at {node.period}`)"
    if isinstance(node, nodes.Name):
        return f"the name `{node.id}`"
    return _written(node) or "a construct the plan does not know yet"  # `rag is green`, `significantly ...`


def _written(node: object) -> str | None:
    """A node as the rule file writes it, in backticks (None: the printer has no one line for it)."""
    try:
        return f"`{format_statement(node)}`" if isinstance(node, nodes.Node) else None
    except (TypeError, KeyError):
        return None


def _new_settings(part: object) -> list[tuple[str, Span | None]]:
    """Fields of a spec the plan was not written for, that hold something other than their default: each in the
    rule file's words, and where it is written (when the spec knows)."""
    if part is None or not dataclasses.is_dataclass(part):
        return []
    known = KNOWN_FIELDS.get(type(part).__name__, set())
    found = []
    for field in dataclasses.fields(part):
        if field.name in known:
            continue
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        value = getattr(part, field.name)
        if value != default:
            written = [v for v in (value if isinstance(value, tuple) else (value,)) if isinstance(v, nodes.Node)]
            spans = [v.span for v in written if v.span is not None]
            span = min(spans, key=lambda s: (s.line, s.column)) if spans else getattr(part, "span", None)
            words = _written(written[0]) if len(written) == 1 else None
            found.append((words or f"the setting `{field.name.replace('_', ' ')}`", span))
    return found
