"""Exact analysis of an indicator's RAG bands: which values each clause rates, where none does, and which
clauses can never fire.

For every target that matters (one when the target is a constant; otherwise one per stretch of targets in
which the breakpoints keep their order), every region of values between breakpoints, and every combination
of the other facts the clauses test, the clauses are judged as the interpreter judges them. Because nothing
changes inside a region, these finitely many cases stand for all values, so the findings are proofs:
- a *gap* is reported when some values match no clause in every combination of the other facts (or in some,
  when those facts are independent of the value, e.g. only the arrow is tested);
- a clause *never fires* when in every case where its condition holds an earlier clause decides first;
- a clause *overlaps* an earlier one when both test only the value and the later one was evidently meant to
  stop where the earlier one starts.
Where the clauses test something the model cannot place exactly, the analysis stays silent on gaps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property

from lsprules.analysis.band_judge import (
    OTHER,
    Case,
    Context,
    Dimensions,
    Judge,
    Line,
    Region,
    cases,
    comparison_lines,
    context_lines,
    dimensions,
    fact_lines,
    possible_arrows,
    reaches_as_compare,
    representatives,
    target_thresholds,
)
from lsprules.lang import nodes
from lsprules.lang.resolve import walk

# The analysis gives up (and says nothing) beyond this many judged cases: real rules need a few hundred.
BUDGET = 40_000


@dataclass(frozen=True)
class Outcome:
    """How the clauses end in one case: a clause fires, a clause cannot be decided, or none matches."""

    kind: str  # "fires", "undecided" or "gap"
    clause: int | None = None


@dataclass
class Point:
    """One region of values for one target: what happens there in each case."""

    value: Fraction
    region: Region
    results: list[tuple[Case, Outcome, tuple[bool | None, ...]]]  # case, outcome, each clause's answer


@dataclass
class Scenario:
    """One target (None: no target, or a constant one) and every region of values under it."""

    target: Fraction | None
    points: list[Point] = field(default_factory=list)
    missing_target: bool = False  # the indicator has a target, but the data may leave it unset (`no target`)
    stretch: Region | None = None  # for a free target: the targets this one stands for


@dataclass
class Analysis:
    """The cases judged for one RAG rule in one context, and what they prove."""

    clauses: tuple[nodes.Clause, ...]
    ctx: Context
    dims: Dimensions
    lines: list[Line]
    scenarios: list[Scenario]
    symbolic: bool  # the target is a free quantity (not a constant)
    no_data: tuple[Outcome, tuple[bool | None, ...]] | None = None  # how the clauses end with no value at all

    # --- per clause ---------------------------------------------------------------------------------

    @cached_property
    def _summary(self) -> tuple[set[int], set[int], set[int], dict[int, tuple[set[int], set[int]]]]:
        """One pass over every case: clauses that fire, that hold, that are decided, and what blocks them."""
        fired: set[int] = set()
        true: set[int] = set()
        decided: set[int] = set()
        blocked: dict[int, tuple[set[int], set[int]]] = {}
        no_data = [self.no_data] if self.no_data is not None else []
        for outcome, answers in [(o, a) for _, _, o, a in self.judged()] + no_data:
            if outcome.kind == "fires":
                assert outcome.clause is not None  # a clause that fires is always named
                fired.add(outcome.clause)
            for index, answer in enumerate(answers):
                if answer is not None:
                    decided.add(index)
                if answer is True:
                    true.add(index)
                    if outcome.clause is not None and outcome.clause < index:
                        first, undecided = blocked.setdefault(index, (set(), set()))
                        (first if outcome.kind == "fires" else undecided).add(outcome.clause)
        return fired, true, decided, blocked

    def fires(self, index: int) -> bool:
        """Whether the clause fires in some case."""
        return index in self._summary[0]

    def ever_true(self, index: int) -> bool:
        """Whether the clause's condition holds in some case."""
        return index in self._summary[1]

    def ever_decided(self, index: int) -> bool:
        """Whether the clause's condition is known (true or false) in some case."""
        return index in self._summary[2]

    def blockers(self, index: int) -> tuple[set[int], set[int]]:
        """Earlier clauses that fire first, and those left undecided, where this clause's condition holds."""
        return self._summary[3].get(index, (set(), set()))

    def judged(self) -> Iterator[tuple[Scenario, Point, Outcome, tuple[bool | None, ...]]]:
        """Every case judged: (scenario, point, outcome, each clause's answer)."""
        for scenario in self.scenarios:
            for point in scenario.points:
                for _case, outcome, answers in point.results:
                    yield scenario, point, outcome, answers

    # --- gaps ---------------------------------------------------------------------------------------

    def gap_regions(self, scenario: Scenario) -> list[tuple[Region, str | None]]:
        """Regions where no clause matches: in every case (condition None), or in the cases described."""
        found: list[tuple[Region, str | None]] = []
        for point in scenario.points:
            gap_cases = [case for case, outcome, _ in point.results if outcome.kind == "gap"]
            if not gap_cases:
                continue
            if len(gap_cases) == len(point.results):
                found.append((point.region, None))
            elif self.dims.independent:
                found.append((point.region, self._case_words(gap_cases, point.value)))
        return found

    def _case_words(self, gap_cases: list[Case], value: Fraction) -> str:
        if self.dims.arrows:
            kinds: set[str] = set()
            for case in gap_cases:
                kinds |= self._arrow_kinds(case.arrow, value)
            order: list[str] = [k for k in ("up", "static", "down", "peak", "na") if k in kinds]
            return "when the arrow is " + listed(order, "or")
        movement = {"more": "narrowed", "equal": "not moved", "less": "widened"}
        moved = []
        for case in gap_cases:
            assert case.gap is not None  # independent and no arrow tested: the gap is what varies
            moved.append(movement[case.gap])
        return "when the gap has " + listed(moved, "or")

    def _arrow_kinds(self, arrow: str | None, value: Fraction) -> set[str]:
        if arrow == OTHER:
            return possible_arrows(value, self.ctx) - set(self.dims.arrows)
        return {arrow} if arrow else set()

    # --- values only ----------------------------------------------------------------------------------

    def value_only(self, index: int) -> bool:
        """Whether the clause tests the value (and constants, target) only: no arrow, no other facts."""
        condition = self.clauses[index].condition
        if condition is None:
            return False
        return not any(isinstance(n, (nodes.ArrowIs, nodes.GapState, nodes.OnTrajectory, nodes.RagIs, nodes.Presence))
                       or id(n) in self.dims.opaque_nodes for n in walk(condition))

    def truth_regions(self, scenario: Scenario, index: int) -> list[int]:
        """Indexes of the points where a value-only clause's condition holds."""
        return [i for i, point in enumerate(scenario.points)
                if point.results and point.results[0][2][index] is True]

    def rating(self, point: Point) -> str | None:
        """The band a region gets whatever the other facts are, or None when that varies or is undecided."""
        labels = {self.fired_label(o) for _, o, _ in point.results}
        return labels.pop() if len(labels) == 1 else None

    def fired_label(self, outcome: Outcome) -> str | None:
        """The band of the clause that fires in an outcome, None when none fires."""
        if outcome.kind != "fires":
            return None
        assert outcome.clause is not None  # a clause that fires is always named
        return self.clauses[outcome.clause].label


def analyse(clauses: tuple[nodes.Clause, ...], ctx: Context) -> Analysis | None:
    """Judge the clauses in every case that matters; None when that would take too long."""
    conditions = [c.condition for c in clauses if c.condition is not None]
    dims = dimensions(conditions, ctx)
    lines, thresholds, uses_target = _breakpoints(conditions, ctx)
    symbolic = ctx.target is None and ctx.has_target and uses_target
    targets: list[tuple[Fraction | None, Region | None]]
    if symbolic:
        targets = list(representatives(target_thresholds(lines, thresholds, ctx), ctx.minimum))
    elif ctx.target is None and ctx.has_target:
        targets = [(Fraction(1), None)]  # the target is known but no test places the value against it: any will do
    else:
        targets = [(ctx.target, None)]
    unset = ctx.has_target and ctx.target is None and _tests(conditions, "target")
    if (len(targets) + unset) * (2 * len(lines) + 2) * dims.count() > BUDGET:
        return None
    scenarios = [_scenario(clauses, ctx, dims, lines, t, stretch) for t, stretch in targets]
    if unset:  # a target worked out from the data can be missing: `no target` then holds
        scenarios.append(_scenario(clauses, replace(ctx, has_target=False), dims, lines, None))
        scenarios[-1].missing_target = True
    no_data = _no_data(clauses, ctx, dims) if _tests(conditions, "data") else None
    return Analysis(clauses, ctx, dims, lines, scenarios, symbolic, no_data)


def _tests(conditions: list[nodes.Expr], thing: str) -> bool:
    """Whether a condition asks if the thing is there (`no data`, `has target`)."""
    return any(isinstance(n, nodes.Presence) and n.thing == thing for c in conditions for n in walk(c))


def _no_data(clauses: tuple[nodes.Clause, ...], ctx: Context,
             dims: Dimensions) -> tuple[Outcome, tuple[bool | None, ...]]:
    """How the clauses end for an indicator with no value: no arrow, no previous value, no target."""
    case = Case(arrow="na" if dims.arrows else None, previous=False if dims.previous else None)
    judge = Judge(ctx, None, None, case, dims.opaque_nodes)
    answers = tuple(True if c.condition is None else judge.condition(c.condition) for c in clauses)
    return _outcome(answers), answers


def _breakpoints(conditions: list[nodes.Expr], ctx: Context) -> tuple[list[Line], list[Fraction], bool]:
    """Every line where a test can change its answer, target thresholds, and whether the target matters."""
    lines = list(context_lines(ctx))
    if ctx.target is not None:
        lines.append(Line(Fraction(0), ctx.target))  # so that the target itself is a region
    thresholds: list[Fraction] = []
    uses_target = False
    for condition in conditions:
        for node in walk(condition):
            if isinstance(node, nodes.Reaches):
                node = reaches_as_compare(node, ctx) or node
            if isinstance(node, nodes.Compare):
                found = comparison_lines(node, ctx)
                if found is not None:
                    lines += found[0]
                    thresholds += found[1]
                    uses_target |= bool(found[1]) or any(line.p != 0 for line in found[0])
            else:
                fact = fact_lines(node, ctx)
                lines += fact
                uses_target |= any(line.p != 0 for line in fact)
    return list(dict.fromkeys(lines)), thresholds, uses_target


def _scenario(clauses: tuple[nodes.Clause, ...], ctx: Context, dims: Dimensions, lines: list[Line],
              target: Fraction | None, stretch: Region | None = None) -> Scenario:
    scenario = Scenario(target, stretch=stretch)
    for value, region in representatives([line.at(target) for line in lines], ctx.minimum):
        results: list[tuple[Case, Outcome, tuple[bool | None, ...]]] = []
        for case in cases(dims, value, ctx):
            judge = Judge(ctx, value, target, case, dims.opaque_nodes)
            answers = tuple(None if c.condition is None else judge.condition(c.condition) for c in clauses)
            answers = tuple(True if c.condition is None else a for c, a in zip(clauses, answers, strict=True))
            results.append((case, _outcome(answers), answers))
        scenario.points.append(Point(value, region, results))
    return scenario


def _outcome(answers: tuple[bool | None, ...]) -> Outcome:
    """First match, as the interpreter does it: an unknown answer stops the search (the rating is n/a)."""
    for index, answer in enumerate(answers):
        if answer is None:
            return Outcome("undecided", index)
        if answer:
            return Outcome("fires", index)
    return Outcome("gap")


def listed(words: list[str], conjunction: str) -> str:
    """'a', 'a or b', 'a, b or c' (or with 'and')."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {conjunction} " + words[-1]
