"""What the columnar plan can express: every construct it cannot is named, so such a run falls back explicitly."""

from __future__ import annotations

from lsprules.lang import nodes
from lsprules.lang.resolve import IndicatorSpec, RuleSet, walk

# Leaves a RAG condition may hold in the plan; and/or/not are three-valued in SQL exactly as in lang/conditions.
CONDITION_NODES = (nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.ArrowIs, nodes.OnTrajectory,
                   nodes.TargetMet, nodes.Ref, nodes.Quantity, nodes.Negate)
ARITH_OPS = {"+", "-", "*"}  # division would need a row-dependent denominator: not yet


def unsupported(rules: RuleSet) -> list[str]:
    """Why the plan cannot evaluate this rule set, one reason per construct (empty: it can)."""
    reasons = []
    if getattr(rules, "comparators", None):
        reasons.append("comparators (`x at c`, gap(), ratio())")
    for spec in rules.indicators.values():
        reasons.extend(f"indicator {spec.id}: {why}" for why in _indicator(spec))
    return reasons


def _indicator(spec: IndicatorSpec) -> list[str]:
    found = []
    if spec.value is not None:
        found.append("a derived value (`value = ...`)")
    if spec.arrow.peak is not None:
        found.append("`peak`")
    if spec.arrow.compare.method not in ("previous", "year"):
        found.append(f"`compare latest with {spec.arrow.compare.method}`")
    target = spec.target
    if target is not None and target.per_period:
        found.append("a target profiled by period")
    if target is not None and target.trajectory not in ("linear", "flat"):
        found.append(f"`trajectory {target.trajectory}`")
    for clause in spec.rag.clauses if spec.rag else ():
        if clause.condition is None:
            continue
        for node in walk(clause.condition):
            if not isinstance(node, (*CONDITION_NODES, nodes.Arith)):
                found.append(f"`{type(node).__name__}` in a RAG condition (line {_line(clause)})")
            elif isinstance(node, nodes.Arith) and node.op not in ARITH_OPS:
                found.append(f"`{node.op}` in a RAG condition (line {_line(clause)})")
    return found


def _line(clause: nodes.Clause) -> int | None:
    return clause.span.line if clause.span else None
