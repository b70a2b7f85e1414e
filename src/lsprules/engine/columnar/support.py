"""What the columnar plan can express: every construct it cannot is named, so such a run falls back explicitly."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from lsprules.core.source import Span
from lsprules.lang import nodes
from lsprules.lang.resolve import IndicatorSpec, RuleSet, walk

# What a RAG condition may hold in the plan; and/or/not are three-valued in SQL exactly as in lang/conditions.
CONDITION_NODES = (nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.ArrowIs, nodes.OnTrajectory,
                   nodes.TargetMet, nodes.WithinTarget, nodes.TargetExceeded, nodes.GapState, nodes.Ref,
                   nodes.Quantity, nodes.Negate, nodes.Arith, nodes.Margin, nodes.Presence)
MARGIN_REFERENCES = ("target", "trajectory")  # a margin from a reference level needs the levels: not yet
ARITH_OPS = {"+", "-", "*"}  # a division would need a denominator that varies by row: not yet
WORDS = {"RagIs": "`rag is ...`", "Call": "a function", "AtComparator": "`x at c`", "Name": "a name"}


# The settings the plan was written for. A setting added to the language later (a new field of these specs)
# is not silently ignored: while it differs from its default, the indicator falls back to the interpreter.
KNOWN_FIELDS = {
    "IndicatorSpec": {"id", "title", "group", "profile", "unit", "polarity", "value", "fields", "decimals", "arrow",
                      "target", "rag", "span"},
    "ArrowSpec": {"compare", "static", "peak"},
    "TargetSpec": {"fixed", "baseline", "goal", "per_period", "trajectory", "span"},
}


class Unsupported(NamedTuple):
    """One construct the plan cannot express yet, and where the rule file uses it."""

    reason: str
    span: Span | None


def unsupported(rules: RuleSet) -> list[str]:
    """Why the plan cannot evaluate this rule set, each reason once (empty: it can)."""
    return list(dict.fromkeys(found.reason for found in unsupported_at(rules)))  # several clauses: one reason


def unsupported_at(rules: RuleSet) -> list[Unsupported]:
    """Every construct the plan cannot express yet, with its place in the rule file."""
    found = []
    for spec in getattr(rules, "comparators", {}).values():
        found.append(Unsupported(f"comparator {spec.id} (`x at c`, gap(), ratio())", spec.span))
    for spec in rules.indicators.values():
        found.extend(_indicator(spec))
    return found


def _indicator(spec: IndicatorSpec) -> list[Unsupported]:
    found = []

    def note(what: str, span: Span | None = None) -> None:
        found.append(Unsupported(f"indicator {spec.id}: {what}", span or spec.span))

    for part in (spec, spec.arrow, spec.target):
        for name in _new_settings(part):
            note(f"the setting `{name}`, which the plan does not know yet")
    if spec.value is not None:
        note("a derived value (`value = ...`)", spec.value.span)
    if spec.arrow.compare.method not in ("previous", "year"):
        note(f"`compare latest with {spec.arrow.compare.method}`", spec.arrow.compare.span)
    target = spec.target
    if target is not None and target.per_period:
        note("a target profiled by period", target.per_period[0].span)
    if target is not None and target.trajectory not in ("linear", "flat"):
        note(f"`trajectory {target.trajectory}`", target.span)
    for clause in spec.rag.clauses if spec.rag else ():
        for node in walk(clause.condition) if clause.condition is not None else ():
            if not isinstance(node, CONDITION_NODES):
                note(f"{WORDS.get(type(node).__name__, type(node).__name__)} in a RAG condition",
                     node.span or clause.span)
            elif isinstance(node, nodes.Arith) and node.op not in ARITH_OPS:
                note(f"`{node.op}` in a RAG condition", node.span or clause.span)
            elif isinstance(node, nodes.Margin) and node.reference not in MARGIN_REFERENCES:
                note(f"a margin from the {node.reference} level in a RAG condition", node.span or clause.span)
    return found


def _new_settings(part: object) -> list[str]:
    """Fields of a spec the plan was not written for, that hold something other than their default."""
    if part is None or not dataclasses.is_dataclass(part):
        return []
    known = KNOWN_FIELDS.get(type(part).__name__, set())
    found = []
    for field in dataclasses.fields(part):
        if field.name in known:
            continue
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        if getattr(part, field.name) != default:
            found.append(field.name)
    return found
