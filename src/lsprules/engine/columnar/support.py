"""What the columnar plan can express: every construct it cannot is named, so such a run falls back explicitly."""

from __future__ import annotations

from typing import NamedTuple

from lsprules.core.source import Span
from lsprules.lang import nodes
from lsprules.lang.resolve import IndicatorSpec, RuleSet, walk

# What a RAG condition may hold in the plan; and/or/not are three-valued in SQL exactly as in lang/conditions.
CONDITION_NODES = (nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.ArrowIs, nodes.OnTrajectory,
                   nodes.TargetMet, nodes.WithinTarget, nodes.TargetExceeded, nodes.GapState, nodes.Ref,
                   nodes.Quantity, nodes.Negate, nodes.Arith)
ARITH_OPS = {"+", "-", "*"}  # a division would need a denominator that varies by row: not yet
WORDS = {"RagIs": "`rag is ...`", "Call": "a function", "AtComparator": "`x at c`", "Name": "a name"}


class Unsupported(NamedTuple):
    """One construct the plan cannot express yet, and where the rule file uses it."""

    reason: str
    span: Span | None


def unsupported(rules: RuleSet) -> list[str]:
    """Why the plan cannot evaluate this rule set, one reason per construct (empty: it can)."""
    return [found.reason for found in unsupported_at(rules)]


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
    return found
