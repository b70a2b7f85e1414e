"""Compiles one indicator's resolved spec, once, into a plan: a function from a series in the grid to its CSV cells.

Two kinds of plan, both exact and both giving the reference interpreter's results:
- a compiled plan when the RAG clauses test only the arrow, `on trajectory` and `target met` (the national
  benchmark's, and most rule files'): the arrow (any comparison, static tolerance, peak) in integer arithmetic
  on values scaled to whole numbers, cross-multiplied rather than divided; target and trajectory once per
  (baseline value, period) in Fractions, as interpreter.Facts works them out; RAG looked up in a table that the
  reference Facts.rag() filled for every combination of those three facts. Cells are cached by the values
  they depend on, so most series cost a few dictionary look-ups done in C loops;
- a per-series plan for any other RAG condition: the reference Facts itself, on that series' exact values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from fractions import Fraction
from itertools import product, repeat
from operator import add
from typing import TypeVar, cast

from lsprules.core.csv_cells import csv_bool, csv_number, ratio_text
from lsprules.core.periods import Period
from lsprules.engine.interpreter import ARROW_SYMBOLS, Facts, Point, _linear, _same_kind_period
from lsprules.lang import nodes
from lsprules.lang.resolve import IndicatorSpec, TargetSpec, walk

GridValues = list[int | None]  # a grid's values (grid.Table.values): value * scale, None where missing
SeriesPlan = Callable[[GridValues, int], str]  # (grid values, where a series starts) -> its cells after `group`
RagTable = dict[tuple[str, bool | None, bool | None], str]  # (arrow, on trajectory, target met) -> cells
Bounds = tuple[float, float]  # (low, high): the scaled values v with low <= v <= high (ints, or ±INFINITY)

# Conditions a compiled plan decides from (arrow, on trajectory, target met) alone.
TABLE_NODES = (nodes.And, nodes.Or, nodes.Not, nodes.ArrowIs, nodes.OnTrajectory, nodes.TargetMet)
NO_VALUE = ",,,,,,na,,,na,,,,"  # period .. discrepancies of a series without a value: as the reference writes it


class Plan:
    """An indicator's plan: the cells after `group` for each of many series of the grid."""

    def __init__(self, series: SeriesPlan) -> None:
        self.series = series

    def column(self, values: GridValues, offsets: list[int]) -> list[str]:
        """The cells of the series starting at each offset."""
        series = self.series
        return [series(values, offset) for offset in offsets]


def compile_plan(spec: IndicatorSpec, periods: tuple[Period, ...], count: int, scale: int,
                 rag_tables: dict[int, RagTable] | None = None) -> Plan:
    """The plan for one indicator on a grid whose series hold `count` periods (those up to the assessed one).

    `rag_tables` lets the indicators of one run that share a rag block (a profile's) share its table.
    """
    if _compilable(spec):
        rag_tables = {} if rag_tables is None else rag_tables
        if id(spec.rag) not in rag_tables:  # by identity: equal blocks on other lines give other rule_lines
            rag_tables[id(spec.rag)] = _rag_table(spec)
        return _Compiled(spec, periods, count, scale, rag_tables[id(spec.rag)])
    return Plan(_per_series_plan(spec, periods, count, scale))


def _compilable(spec: IndicatorSpec) -> bool:
    """Whether the compiled plan knows every construct of the spec (anything newer: the reference Facts)."""
    arrow, target = spec.arrow, spec.target
    return (spec.polarity.kind in ("higher_is_better", "lower_is_better", "closer_to")
            and arrow.compare.method in ("previous", "year", "mean")
            and (arrow.static is None or arrow.static.tolerance.unit in (None, "%", "pp"))
            and {f.name for f in fields(arrow)} == {"compare", "static", "peak"}
            and (target is None or _known_target(target))
            and (spec.rag is None or all(_tabled(c.condition) for c in spec.rag.clauses)))


def _known_target(target: TargetSpec) -> bool:
    return ({f.name for f in fields(target)} == {"fixed", "baseline", "goal", "per_period", "trajectory", "span",
                                                  "from_data"}
            and not target.from_data  # a target per area in the data: the reference Facts reads it
            and target.trajectory in ("linear", "flat")
            and (target.goal is None or isinstance(target.goal, (nodes.ChangeStmt, nodes.ReachStmt))))


def _tabled(condition: nodes.Expr | None) -> bool:
    return condition is None or all(isinstance(n, TABLE_NODES) for n in walk(condition))


# --- the per-series plan: the reference Facts on each series -------------------------------------


def _per_series_plan(spec: IndicatorSpec, periods: tuple[Period, ...], count: int, scale: int) -> SeriesPlan:
    """A plan that runs the reference Facts on every series (any condition the language allows)."""
    exact: dict[int, Fraction] = {}

    def plan(values: GridValues, start: int) -> str:
        points: list[tuple[Period, Fraction]] = []
        for rank in range(count):
            value = values[start + rank]
            if value is not None:
                if value not in exact:
                    exact[value] = Fraction(value, scale)
                points.append((periods[rank], exact[value]))
        if not points:
            return NO_VALUE
        facts = Facts(spec, points, {})
        rag, line, _ = facts.rag()
        return _facts_cells(facts, points[-1], rag, line)

    return plan


def _facts_cells(facts: Facts, latest: tuple[Period, Fraction], rag: str | None, line: int | None) -> str:
    """The cells from `period` on, as render/csv_out.assessment_row writes them; `latest` is the last point."""
    (period, value), earlier = latest, facts.earlier
    return ",".join((
        period.label, csv_number(value),
        earlier.name if earlier else "", csv_number(earlier.value) if earlier else "",
        csv_number(facts.change), csv_number(facts.change_pct), facts.arrow, csv_number(facts.target),
        csv_number(facts.trajectory), rag or "na", csv_bool(facts.target_met()), csv_bool(facts.on_trajectory()),
        str(line) if line is not None else "", ""))


# --- the compiled plan ---------------------------------------------------------------------------


class _Compiled(Plan):
    """The compiled plan of one indicator: constants worked out once, and caches its series share."""

    def __init__(self, spec: IndicatorSpec, periods: tuple[Period, ...], count: int, scale: int,
                 rag_cells: RagTable):
        self.spec, self.periods, self.count, self.scale, self.rag_cells = spec, periods, count, scale, rag_cells
        self.labels = [p.label for p in periods]
        self.better = spec.direction.scaled_better(scale)
        self.sign = spec.direction.sign  # None: closer to an ideal is better
        static = spec.arrow.static
        self.tolerance = Fraction(static.tolerance.value) if static else None
        self.peak = Fraction(spec.arrow.peak.maximum.value) if spec.arrow.peak else None
        self.base_rank = self._base_rank()
        self.by_previous = spec.arrow.compare.method == "previous"
        self.value_cells: _Cache[int, str] = _Cache(lambda v: ratio_text(v, scale))
        self.tail = self._tail_maker()
        self.series = self._series_plan()

    def column(self, values: GridValues, offsets: list[int]) -> list[str]:
        """Cells of many series. A series whose last two periods have values (most of them) is looked up by
        (latest, previous, baseline) value in C loops; any other, or a new key, is worked out."""
        last = self.count - 1
        if not self.by_previous or last < 1:
            return super().column(values, offsets)
        latest, previous, base = (map(values.__getitem__, map(add, offsets, repeat(r))) if r is not None
                                  else repeat(None) for r in (last, last - 1, self.base_rank))
        # strict=False: a missing baseline is an endless repeat(None) beside the finite columns
        cells = list(map(self._by_values.__getitem__, zip(latest, previous, base, strict=False)))
        series = self.series
        for index in [i for i, c in enumerate(cells) if c is None]:
            cells[index] = series(values, offsets[index])
        return cast("list[str]", cells)  # every None was just worked out

    def _tail_maker(self) -> Callable[[int, int, str, str, int | None], str]:
        """tail(latest value, its rank, previous cells, arrow, baseline value): all the cells after `group`."""
        labels, rag_cells, value_cells = self.labels, self.rag_cells, self.value_cells
        target_cells = _Cache(self._target_cells)

        def tail(v: int, rank: int, previous: str, arrow: str, base: int | None) -> str:
            target, goal, path = target_cells[base, rank]
            met = None if goal is None else goal[0] <= v <= goal[1]
            on = None if path is None else path[0] <= v <= path[1]
            return f"{labels[rank]},{value_cells[v]},{previous},{arrow},{target},{rag_cells[arrow, on, met]},"
        return tail

    def _series_plan(self) -> SeriesPlan:
        """The plan of one series: find its latest value and the one that is compared with, then its cells."""
        last, labels, base_rank, scale, tail = self.count - 1, self.labels, self.base_rank, self.scale, self.tail
        by_previous = self.by_previous
        earlier_of = self._earlier_finder()
        previous_cells: _Cache[tuple[int, int], tuple[str, str]]
        self._previous_cells = previous_cells = _Cache(lambda key: self._change_cells(key[0], key[1], scale))
        change_cells: _Cache[tuple[int, int, int], tuple[str, str]] = _Cache(lambda key: self._change_cells(*key))
        alone = _Cache(self._arrow_alone)
        self._by_values = _Cache(self._cells_by_values)

        def series(values: GridValues, start: int) -> str:
            k = start + last
            while k >= start and values[k] is None:
                k -= 1
            if k < start:
                return NO_VALUE
            v = cast(int, values[k])  # the loop stopped at a value
            if by_previous:  # the usual comparison, inline: the previous available value
                j = k - 1
                while j >= start and values[j] is None:
                    j -= 1
                if j < start:
                    previous, arrow = ",,,", alone[v]
                else:
                    cells, arrow = previous_cells[v, cast(int, values[j])]  # the loop stopped at a value
                    previous = labels[j - start] + cells
            else:
                earlier = earlier_of(values, start, k)
                if earlier is None:
                    previous, arrow = ",,,", alone[v]
                else:
                    cells, arrow = change_cells[v, earlier[1], earlier[2]]
                    previous = earlier[0] + cells
            return tail(v, k - start, previous, arrow, None if base_rank is None else values[start + base_rank])

        return series

    def _cells_by_values(self, key: tuple[int | None, int | None, int | None]) -> str | None:
        """Cells of a series whose last two periods hold (latest, previous) and whose baseline value is
        `base`; None (not kept) when either of the two is missing: that series needs its own look."""
        latest, previous, base = key
        if latest is None or previous is None:
            return None
        cells, arrow = self._previous_cells[latest, previous]
        return self.tail(latest, self.count - 1, self.labels[self.count - 2] + cells, arrow, base)

    # --- the arrow ------------------------------------------------------------------------------

    def _earlier_finder(self) -> Callable[[GridValues, int, int], tuple[str, int, int] | None]:
        """For `same period last year` and `mean of previous N`: the point the latest value is compared
        with, as (name, numerator, denominator)."""
        compare, scale, labels = self.spec.arrow.compare, self.scale, self.labels
        if compare.method == "year":
            ranks = {p: r for r, p in enumerate(self.periods)}
            year_ago = [ranks.get(p.year_earlier(), -1) for p in self.periods]

            def year(values: GridValues, start: int, k: int) -> tuple[str, int, int] | None:
                j = year_ago[k - start]
                if j < 0:
                    return None
                value = values[start + j]
                if value is None:
                    return None
                return labels[j], value, scale
            return year
        wanted = compare.count
        if wanted is None:  # `previous`: the series plan finds that value itself and never asks
            return lambda values, start, k: None

        def mean(values: GridValues, start: int, k: int) -> tuple[str, int, int] | None:
            before = [j for j in range(start, k) if values[j] is not None]
            chosen = before[-wanted:] if len(before) >= wanted else []  # as the reference slices
            if not chosen:
                return None
            name = f"mean of {labels[chosen[0] - start]}–{labels[chosen[-1] - start]}"
            total = sum(cast("Iterator[int]", (values[j] for j in chosen)))  # chosen: periods with a value
            return name, total, scale * len(chosen)
        return mean

    def _arrow_alone(self, v: int) -> str:
        """The arrow of a value with nothing to compare it with: ★ at the peak, else n/a."""
        return "peak" if self.peak is not None and self.better(v, self.peak) >= 0 else "na"

    def _change_cells(self, v: int, en: int, ed: int) -> tuple[str, str]:
        """(",previous value,change,change %" cells, arrow) for latest v/scale against earlier en/ed."""
        scale = self.scale
        cn, cd = v * ed - en * scale, scale * ed  # the change, exactly cn / cd
        if ed == scale:  # an earlier value of the data, not a mean: smaller numbers, the same results
            earlier, change = self.value_cells[en], self.value_cells[v - en]
            pct = ratio_text((v - en) * 100, abs(en)) if en else ""
        else:
            earlier, change = ratio_text(en, ed), ratio_text(cn, cd)
            pct = ratio_text(cn * ed * 100, cd * abs(en)) if en else ""
        return f",{earlier},{change},{pct}", self._arrow(v, en, ed, cn, cd)

    def _arrow(self, v: int, en: int, ed: int, cn: int, cd: int) -> str:
        """The arrow, as interpreter.Facts._judge_arrow decides it (no method breaks in a plain CSV file)."""
        if self.peak is not None and self.better(v, self.peak) >= 0:
            return "peak"
        static, amount = self.spec.arrow.static, self.tolerance
        if static is not None:
            amount = cast(Fraction, amount)  # worked out in __init__ whenever there is a static tolerance
            if static.tolerance.unit == "%":
                if en == 0:
                    return "na"
                # |change| * 100 against tolerance * |earlier|, both sides times cd * ed * amount's denominator.
                size = abs(cn) * 100 * amount.denominator * ed
                limit = amount.numerator * abs(en) * cd
            else:
                size, limit = abs(cn) * amount.denominator, amount.numerator * cd
            if size <= limit if static.inclusive else size < limit:
                return "static"
        if self.sign is None:
            direction = self.better(v, Fraction(en, ed))
        else:  # the change's sign, turned round when lower is better
            direction = ((cn > 0) - (cn < 0)) * self.sign
        return ("static", "up", "down")[direction]

    # --- target and trajectory ------------------------------------------------------------------

    def _base_rank(self) -> int | None:
        """Rank of the baseline period among those assessed (None: no baseline, or no such period)."""
        target = self.spec.target
        if target is None or target.baseline is None:
            return None
        return next((r for r, p in enumerate(self.periods[:self.count]) if p.label == target.baseline.period), None)

    def _target_cells(self, key: tuple[int | None, int]) -> tuple[str, Bounds | None, Bounds | None]:
        """Target and trajectory cells, and the values at or better than each, for a baseline value and the
        latest period's rank (they depend on nothing else)."""
        base, rank = key
        target, trajectory = self._target(None if base is None else Fraction(base, self.scale), rank)
        cells = f"{_fraction_text(target)},{_fraction_text(trajectory)}"
        return cells, self._at_or_better(target), self._at_or_better(trajectory)

    def _target(self, base: Fraction | None, rank: int) -> tuple[Fraction | None, Fraction | None]:
        """(target, trajectory) as interpreter.Facts._judge_target works them out."""
        target, at = self.spec.target, self.periods[rank]
        if target is None:
            return None, None
        if target.fixed is not None:
            value = Fraction(target.fixed.amount.value)
            return value, value
        if target.baseline is not None and base is None:
            return None, None
        if target.per_period:
            return self._profiled_target(base, rank)
        goal = target.goal
        if goal is None or isinstance(goal, nodes.AnnualStmt):  # _known_target leaves annual ones to Facts
            return None, None
        amount = Fraction(goal.amount.value)
        if isinstance(goal, nodes.ReachStmt):
            end = amount
        elif base is None:
            return None, None
        else:
            step = abs(base) * amount / 100 if goal.amount.unit == "%" else amount  # as the reference
            end = base - step if goal.direction == "reduce" else base + step
        end_period = _same_kind_period(goal.period, at)
        if end_period is None:
            return end, None
        if base is None or target.trajectory == "flat":
            return end, end
        assert self.base_rank is not None  # a baseline value is only read at the baseline's rank
        return end, _linear(self.periods[self.base_rank], base, end_period, end, at)

    def _profiled_target(self, base: Fraction | None, rank: int) -> tuple[Fraction | None, Fraction | None]:
        """Targets given period by period: the reference Facts on the baseline point and the latest period."""
        points: list[tuple[Period, Fraction]] = []
        if self.base_rank == rank:
            assert base is not None  # the baseline is then the latest value, which a series always has
            points.append((self.periods[rank], base))
        else:
            if base is not None:
                assert self.base_rank is not None  # a baseline value is only read at the baseline's rank
                points.append((self.periods[self.base_rank], base))
            points.append((self.periods[rank], Fraction(0)))
        facts = Facts(self.spec, points, {})
        return facts.target, facts.trajectory

    def _at_or_better(self, reference: Fraction | None) -> Bounds | None:
        """The scaled values v at or better than `reference`, as (low, high): low <= v <= high."""
        if reference is None:
            return None
        low, high = self.spec.direction.at_or_better(reference)
        return (-INFINITY if low is None else _ceiling(low * self.scale),
                INFINITY if high is None else _floor(high * self.scale))


def _fraction_text(value: Fraction | None) -> str:
    return "" if value is None else ratio_text(value.numerator, value.denominator)


INFINITY = float("inf")  # Python compares int with float exactly, so an open end never misjudges a value


def _ceiling(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)


def _floor(value: Fraction) -> int:
    return value.numerator // value.denominator


def _rag_table(spec: IndicatorSpec) -> RagTable:
    """rag, target_met, on_trajectory and rule_line cells for every (arrow, on trajectory, target met),
    each decided by the reference Facts.rag() on those facts."""
    table: RagTable = {}
    for arrow, on, met in product(ARROW_SYMBOLS, (True, False, None), (True, False, None)):
        rag, line, _ = _TabledFacts(spec, arrow, on, met).rag()
        table[arrow, on, met] = ",".join((rag or "na", csv_bool(met), csv_bool(on), "" if line is None else str(line)))
    return table


class _TabledFacts(Facts):
    """Facts that know only the arrow and whether the value is on trajectory and meets its target."""

    def __init__(self, spec: IndicatorSpec, arrow: str, on: bool | None, met: bool | None) -> None:
        self.spec, self.arrow, self._on, self._met = spec, arrow, on, met
        self.polarity = spec.direction
        self.reasons, self._unknown = [], None
        # Facts.rag() only asks whether there is a latest value (there is); the tabled conditions never read it.
        self.latest = Point(None, Fraction(0))

    def on_trajectory(self) -> bool | None:
        return self._on

    def target_met(self) -> bool | None:
        return self._met


K = TypeVar("K")
V = TypeVar("V")


class _Cache(dict[K, V]):
    """A dict that works out a missing entry with `make` and keeps it (unless it is None)."""

    def __init__(self, make: Callable[[K], V]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: K) -> V:
        value = self.make(key)
        if value is not None:
            self[key] = value
        return value
