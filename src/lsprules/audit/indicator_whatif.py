"""What would change a result: the latest values at which an indicator's arrow or RAG band would move.

With everything else held fixed (earlier values, baseline, target), the arrow and the band are step functions
of the latest value. Their steps can only lie at thresholds the rules name: the tolerance edges around the
compared value, the target and trajectory values, the margins of `within … of target`, a closed gap and the
earlier gap, and the roots of comparisons in RAG conditions. Each threshold is computed exactly (fractions).
No claim rests on the threshold arithmetic alone: every value reported is evaluated by the interpreter itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction

from lsprules.core.numbers import HUNDRED, exact, plain
from lsprules.core.periods import Period
from lsprules.data.model import Series
from lsprules.engine.interpreter import Facts
from lsprules.lang import nodes
from lsprules.lang.printer import format_expr, format_quantity
from lsprules.lang.resolve import IndicatorSpec, walk


@dataclass(frozen=True)
class Threshold:
    """A value of the latest figure at which some fact of the rules flips, and which fact."""

    value: Fraction
    what: str


@dataclass(frozen=True)
class Outcome:
    """The arrow and RAG band (with its deciding line) an indicator would get at one latest value."""

    value: Fraction
    arrow: str
    rag: str | None
    line: int | None


@dataclass(frozen=True)
class Move:
    """The nearest latest value, going one way, whose result differs; and the threshold crossed to get there."""

    first: Fraction
    edge: Threshold
    outcome: Outcome

    @property
    def at_edge(self) -> bool:
        """Whether the threshold value itself already has the new result (else only values beyond it do)."""
        return self.first == self.edge.value


class WhatIf:
    """Evaluates one indicator at hypothetical latest values; finds thresholds and the nearest changes."""

    def __init__(self, spec: IndicatorSpec, points: list[tuple[Period, Fraction]], breaks: Mapping[Period, str],
                 places: int = 1, data: Series | None = None):
        if not points:
            raise ValueError("what-if needs at least one value")
        self.spec = spec
        self.points = points
        self.breaks = breaks
        self.data = data  # the indicator's data in this area: its reference levels
        self.period, self.value = points[-1]
        self.facts = Facts(spec, points, breaks, data=data)
        self.current = self.outcome(self.value)
        # Counts move in whole numbers: the nearest change is a whole number of offences, people, …
        self.whole = spec.unit.kind == "count" and self.value.denominator == 1
        self.step = Fraction(1) if self.whole else Fraction(1, 10 ** max(places, 0))

    def facts_at(self, value: Fraction) -> Facts:
        """The interpreter's facts had the latest value been `value`."""
        return Facts(self.spec, self.points[:-1] + [(self.period, value)], self.breaks, data=self.data)

    def outcome(self, value: Fraction) -> Outcome:
        """The arrow and band at a hypothetical latest value."""
        facts = self.facts_at(value)
        rag, line, _ = facts.rag()
        return Outcome(value, facts.arrow, rag, line)

    def thresholds(self) -> list[Threshold]:
        """Every threshold of the arrow and the RAG clauses, in increasing order, one per value."""
        found: dict[Fraction, list[str]] = {}
        for threshold in [*self._arrow_thresholds(), *self._rag_thresholds()]:
            words = found.setdefault(threshold.value, [])
            if threshold.what not in words:
                words.append(threshold.what)
        return [Threshold(value, "; ".join(words)) for value, words in sorted(found.items())]

    def steps(self, upward: bool, key: Callable[[Outcome], object]) -> list[Move]:
        """Going up (or down) from the current value, every point where `key` of the outcome changes."""
        thresholds = self.thresholds()
        moves: list[Move] = []
        last = key(self.current)
        for probe in self._probes(thresholds, upward):
            outcome = self.outcome(probe)
            if key(outcome) != last:
                moves.append(Move(probe, self._crossed(thresholds, probe, upward), outcome))
                last = key(outcome)
        return moves

    def nearest(self, upward: bool, key: Callable[[Outcome], object]) -> Move | None:
        """The nearest value above (or below) the current one where `key` of the outcome differs."""
        moves = self.steps(upward, key)
        return moves[0] if moves else None

    # --- probes ------------------------------------------------------------------------------

    def _probes(self, thresholds: list[Threshold], upward: bool) -> list[Fraction]:
        """One value in every stretch between thresholds beyond the current value, nearest first.

        The outcome is constant on each open stretch between neighbouring thresholds, so one probe per
        stretch and one at each threshold see every outcome there is.
        """
        sign = 1 if upward else -1
        edges = sorted({t.value for t in thresholds if (t.value - self.value) * sign > 0}, key=lambda v: v * sign)
        stops = [self.value, *edges]
        probes: set[Fraction] = set()
        for index, stop in enumerate(stops):
            after = stops[index + 1] if index + 1 < len(stops) else stop + sign * max(Fraction(1), abs(stop))
            if index:
                probes.add(stop)
            probes.add((stop + after) / 2)
        if self.whole:
            # The next whole value beyond each stop too, the current value included: a value on a threshold
            # (100 at a target of 100) changes its result one step beyond it, not halfway to the next one.
            probes = {Fraction(math.ceil(p) if upward else math.floor(p)) for p in probes} | \
                     {Fraction(math.floor(p) + 1 if upward else math.ceil(p) - 1) for p in probes | set(stops)}
        return sorted((p for p in probes if (p - self.value) * sign > 0), key=lambda v: v * sign)

    def _crossed(self, thresholds: list[Threshold], probe: Fraction, upward: bool) -> Threshold:
        """The threshold crossed to reach a probe: the last one passed on the way from the current value."""
        sign = 1 if upward else -1
        passed = [t for t in thresholds if 0 <= (t.value - self.value) * sign <= (probe - self.value) * sign]
        return max(passed, key=lambda t: t.value * sign) if passed else Threshold(probe, "")

    # --- thresholds of the arrow ---------------------------------------------------------------

    def _arrow_thresholds(self) -> Iterator[Threshold]:
        arrow = self.spec.arrow
        if arrow.peak is not None:
            yield Threshold(exact(arrow.peak.maximum.value), f"★ peak at {format_quantity(arrow.peak.maximum)}")
        earlier = self.facts.earlier
        if earlier is None:
            return
        if arrow.static is None:
            # Without a tolerance any change is movement: the arrow flips at the compared value itself.
            yield Threshold(earlier.value, f"the compared value ({earlier.name})")
            return
        amount = tolerance_amount(arrow.static, earlier.value)
        words = format_quantity(arrow.static.tolerance)
        yield Threshold(earlier.value - amount, f"static edge: {words} below {plain(earlier.value)}")
        yield Threshold(earlier.value + amount, f"static edge: {words} above {plain(earlier.value)}")

    # --- thresholds of the RAG clauses ---------------------------------------------------------

    def _rag_thresholds(self) -> Iterator[Threshold]:
        if self.spec.rag is None:
            return
        for clause in self.spec.rag.clauses:
            if clause.condition is None:
                continue
            for node in walk(clause.condition):
                yield from self._node_thresholds(node)

    def _node_thresholds(self, node: nodes.Expr) -> Iterator[Threshold]:
        facts = self.facts
        if isinstance(node, nodes.OnTrajectory) and facts.trajectory is not None:
            yield Threshold(facts.trajectory, f"the trajectory value for {self.period}")
        elif isinstance(node, nodes.TargetMet) and facts.target is not None:
            yield Threshold(facts.target, "the target")
        elif isinstance(node, (nodes.WithinTarget, nodes.TargetExceeded)) and facts.target is not None:
            yield from self._margin_thresholds(node, facts.target)
        elif isinstance(node, nodes.Margin) and facts.reference(node.reference) is not None:
            reference = facts.reference(node.reference)
            assert reference is not None  # just tested
            yield from self._bounded_thresholds(node, reference)
        elif isinstance(node, nodes.GapState):
            yield from self._gap_thresholds()
        elif isinstance(node, nodes.Compare):
            root = self._root(node)
            if root is not None:
                yield Threshold(root, f"where `{format_expr(node)}` flips")
        elif isinstance(node, nodes.Reaches):
            root = self._root(nodes.Compare(">=", node.left, node.right))
            if root is not None:
                yield Threshold(root, f"where `{format_expr(node)}` flips")
                if facts.polarity.kind == "closer_to":  # as far from the ideal on its other side
                    yield Threshold(2 * facts.polarity.ideal - root, f"where `{format_expr(node)}` flips")

    def _margin_thresholds(self, node: nodes.WithinTarget | nodes.TargetExceeded,
                           target: Fraction) -> Iterator[Threshold]:
        margin = margin_amount(node.margin, target)
        # `within m of target` flips where the shortfall is m; `exceeded by m` where the lead is m.
        reach = margin if isinstance(node, nodes.WithinTarget) else -margin
        words = f"{format_quantity(node.margin)} {'short of' if reach > 0 else 'beyond'} the target"
        for value in self.facts.polarity.values_short_by(target, reach):
            yield Threshold(value, words)

    def _bounded_thresholds(self, node: nodes.Margin, reference: Fraction) -> Iterator[Threshold]:
        margin = margin_amount(node.amount, reference)
        reach = margin if node.side == "short" else -margin
        name = reference_name(node.reference, self.period)
        words = f"{format_quantity(node.amount)} {'short of' if reach > 0 else 'beyond'} {name}"
        for value in self.facts.polarity.values_short_by(reference, reach):
            yield Threshold(value, words)
        yield Threshold(reference, name)  # "at least 0 better" and the like turn at the reference itself

    def _gap_thresholds(self) -> Iterator[Threshold]:
        polarity = self.facts.polarity
        yield Threshold(polarity.closed_gap, "a closed gap")
        earlier = self.facts.earlier
        if earlier is None:
            return
        for value in polarity.values_short_by(polarity.closed_gap, polarity.gap_shortfall(earlier.value)):
            yield Threshold(value, f"as far from closed as in {earlier.name}")

    def _root(self, compare: nodes.Compare) -> Fraction | None:
        """Where a comparison's two sides meet, when their difference is linear in the latest value."""
        def difference(value: Fraction) -> Fraction | None:
            facts = self.facts_at(value)
            left, right = facts.number(compare.left), facts.number(compare.right)
            return None if left is None or right is None else left - right

        first, second, third = [difference(Fraction(v)) for v in (0, 1, 2)]
        if first is None or second is None or third is None:
            return None
        slope = second - first
        if slope == 0 or third - second != slope:
            return None  # constant, or not a straight line in the value: no single edge to report
        return -first / slope


def tolerance_amount(static: nodes.StaticStmt, earlier: Fraction) -> Fraction:
    """How far either side of the compared value still counts as static (a % tolerance is of that value)."""
    amount = exact(static.tolerance.value)
    return abs(earlier) * amount / HUNDRED if static.tolerance.unit == "%" else amount


def margin_amount(margin: nodes.Quantity, target: Fraction) -> Fraction:
    """A margin around a target in the indicator's own unit (a % margin is of the target)."""
    amount = exact(margin.value)
    return abs(target) * amount / HUNDRED if margin.unit == "%" else amount


def reference_name(reference: str, period: Period | None = None) -> str:
    """What a margin is measured from, in words: the target, the trajectory value, the trigger level..."""
    if reference == "target":
        return "the target"
    if reference == "trajectory":
        return "the trajectory value" + (f" for {period}" if period is not None else "")
    return f"the {reference} level"
