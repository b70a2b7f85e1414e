"""Evaluates a rule set on a dataset: every indicator and theme at a period, with the reasons for each result.

The interpreter never sees Lark: it reads the AST (nodes) and the resolved rule set only. Arithmetic is exact
(fractions). Facts that cannot be known (no target, too few points) are *unknown*, and conditions use
three-valued logic: a RAG clause that cannot be decided leaves the rating n/a, with the reason.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple, Protocol, TypeGuard

from lsprules.core.numbers import HUNDRED, exact, matches_printed, places_of, plain, rounded_text, shown
from lsprules.core.periods import Period, PeriodKind, parts_of_year, year_start
from lsprules.core.significance import compare as compare_interval
from lsprules.data.model import Area, Dataset, Missing, Series, Value, stated_share
from lsprules.engine.intervals import recent_trend, value_interval
from lsprules.lang import nodes
from lsprules.lang.conditions import decide
from lsprules.lang.resolve import (
    COMPARATOR_FUNCTIONS,
    LEVEL_NAMES,
    OFFSET_FUNCTIONS,
    PERIOD_FUNCTIONS,
    IndicatorSpec,
    RuleSet,
    TargetSpec,
    ThemeSpec,
    assessed_away,
    count_argument,
    tests_data,
)

ARROW_SYMBOLS = {"up": "▲", "static": "◀▶", "down": "▼", "peak": "★", "na": "n/a"}


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A value at a period (for a mean of several periods, `label` says which)."""

    period: Period | None
    value: Fraction
    label: str = ""

    @property
    def name(self) -> str:
        """The period label, or the description of an averaged comparison."""
        return self.label or (self.period.label if self.period else "")


@dataclass(frozen=True)
class Gap:
    """Why a series has no usable value at a period."""

    reason: str


@dataclass(frozen=True)
class ClauseTrace:
    """One first-match clause as tried: its label, line, outcome (true/false/unknown) and why."""

    label: str
    line: int | None
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class Discrepancy:
    """A judgement the source report printed that the rules and data contradict."""

    field: str
    period: Period
    reported: str
    computed: str


@dataclass(frozen=True)
class Assessment:
    """The assessment of one indicator in one area at one period, with everything that explains it."""

    area: str
    indicator: str
    title: str
    group: str | None
    group_title: str | None
    unit: str
    period: Period | None
    value: Fraction | None
    series: tuple[tuple[Period, Fraction | Gap], ...]
    previous: Point | None
    change: Fraction | None
    change_pct: Fraction | None
    arrow: str
    rag: str | None
    target: Fraction | None
    trajectory: Fraction | None
    target_met: bool | None
    on_trajectory: bool | None
    reasons: tuple[str, ...]
    rule_line: int | None
    clauses: tuple[ClauseTrace, ...]
    discrepancies: tuple[Discrepancy, ...]
    decimals: int = 1
    # The target's path by period (baseline, profiled values, target), for charts; empty for a fixed target.
    target_path: tuple[tuple[Period, Fraction], ...] = ()
    assessed_at: Period | None = None  # the period asked for; `period` is that of the latest value up to it
    # Reference levels at the assessed value's period (declared in the rules or given by the data), by name.
    levels: tuple[tuple[str, Fraction], ...] = ()


@dataclass(frozen=True)
class ThemeResult:
    """A theme's rating in one area at one period, with the clause that decided it."""

    area: str
    theme: str
    title: str
    period: Period | None
    rating: str | None
    rule_line: int | None
    reasons: tuple[str, ...]
    clauses: tuple[ClauseTrace, ...]
    counts: Mapping[str, int]
    discrepancies: tuple[Discrepancy, ...]
    reported: str | None = None
    assessed: int | None = None  # how many members have a value


@dataclass(frozen=True)
class Evaluation:
    """Everything one run computed: assessments and theme ratings for every area."""

    rules_file: str
    period: Period | None
    assessments: tuple[Assessment, ...]
    themes: tuple[ThemeResult, ...]

    def stream(self) -> EvaluationStream:
        """The same results as a stream of one part, for the renderers that write a stream part by part."""
        return EvaluationStream(self.rules_file, self.period, bool(self.themes),
                                (AreaResults(self.assessments, self.themes),))


@dataclass(frozen=True)
class AreaResults:
    """The results of one area (or of several, in order): a part of an EvaluationStream."""

    assessments: tuple[Assessment, ...]
    themes: tuple[ThemeResult, ...]
    # The areas' data a report reads beside their assessments where the report's dataset holds none (the columnar
    # plan's reports: the fields of a value `a / b` at its period, whose figures it shows as `96 of 160`).
    data: tuple[Area, ...] = ()


@dataclass(frozen=True)
class EvaluationStream:
    """An evaluation whose results come an area at a time (`parts`, to be read once), so that an output can be
    written part by part and each part dropped: memory does not grow with the number of areas."""

    rules_file: str
    period: Period | None
    themed: bool  # whether any part may hold theme ratings (the rule set has themes)
    parts: Iterable[AreaResults]


# --- entry point -----------------------------------------------------------------------------


def evaluate(rules: RuleSet, dataset: Dataset, period: Period | None = None,
             areas: Iterable[str] | None = None, progress: Callable[[str], None] | None = None) -> Evaluation:
    """Assess every indicator and theme in every (chosen) area at `period` (default: the latest).

    Areas that a single-area comparator names (e.g. the national figures) are what others are measured
    against, so they are assessed only when asked for by name. `progress` is called with each area's name.
    """
    return gathered(evaluate_stream(rules, dataset, period, areas, progress))


def gathered(stream: EvaluationStream) -> Evaluation:
    """The whole evaluation a stream's parts hold, read at once."""
    assessments: list[Assessment] = []
    themes: list[ThemeResult] = []
    for part in stream.parts:
        assessments.extend(part.assessments)
        themes.extend(part.themes)
    return Evaluation(stream.rules_file, stream.period, tuple(assessments), tuple(themes))


def evaluate_stream(rules: RuleSet, dataset: Dataset, period: Period | None = None,
                    areas: Iterable[str] | None = None,
                    progress: Callable[[str], None] | None = None) -> EvaluationStream:
    """What `evaluate` computes, an area at a time: each area is assessed only when its part is read."""
    at = period or _latest_period(dataset)
    chosen = assessed_areas(rules, dataset, areas)
    return EvaluationStream(rules.file, at, bool(rules.themes), _parts(rules, dataset, chosen, at, progress))


def _parts(rules: RuleSet, dataset: Dataset, chosen: list[Area], at: Period | None,
           progress: Callable[[str], None] | None) -> Iterator[AreaResults]:
    evaluators = _Evaluators(rules, dataset)
    for area in chosen:
        area_results = evaluators.get(area.name).assess_all(at)
        themes = tuple(assess_theme(theme, area, area_results, at) for theme in rules.themes)
        if progress is not None:
            progress(area.name)
        yield AreaResults(tuple(area_results.values()), themes)


def assessed_areas(rules: RuleSet, dataset: Dataset, areas: Iterable[str] | None = None) -> list[Area]:
    """The areas to assess: those asked for, else every area that is not a single-area comparator."""
    if areas is not None:
        wanted = set(areas)
        return [a for a in dataset.areas if a.name in wanted]
    away = set(assessed_away(rules))
    return [a for a in dataset.areas if a.name not in away]


class _Evaluators:
    """The evaluator of each area; those of comparator areas are kept, so that their series are computed once
    per run, and no other is, so that a run's memory does not grow with its areas."""

    def __init__(self, rules: RuleSet, dataset: Dataset):
        self.rules = rules
        self.areas = {a.name: a for a in dataset.areas}
        self._kept = {name for spec in getattr(rules, "comparators", {}).values() for name in spec.areas}
        self._made: dict[str, AreaEvaluator] = {}

    def get(self, name: str) -> AreaEvaluator:
        """The evaluator of an area in the dataset."""
        if name in self._made:
            return self._made[name]
        made = AreaEvaluator(self.rules, self.areas[name], self.comparator)
        if name in self._kept:
            self._made[name] = made
        return made

    def comparator(self, name: str) -> list[AreaEvaluator] | str:
        """The evaluators of a comparator's areas, or why there are none."""
        spec = self.rules.comparators[name]
        missing = [a for a in spec.areas if a not in self.areas]
        if missing:
            return f"comparator {name}: the data has no area '{missing[0]}'"
        return [self.get(a) for a in spec.areas]


def area_evaluator(rules: RuleSet, dataset: Dataset, area: str) -> AreaEvaluator:
    """An area's evaluator with its comparator areas wired in, as `evaluate` makes it (for what-ifs)."""
    return _Evaluators(rules, dataset).get(area)


def _latest_period(dataset: Dataset) -> Period | None:
    periods = dataset.periods()
    return periods[-1] if periods else None


# --- series ----------------------------------------------------------------------------------


SeriesValues = dict[Period, "Fraction | Gap"]
ShownSeries = tuple[tuple[Period, "Fraction | Gap"], ...]  # a series up to the assessed period, as Assessment holds it
SeriesNode = nodes.AtComparator | nodes.AtPeriod | nodes.Call  # needs other periods or areas: see _is_series_node


class AreaEvaluator:
    """Builds each indicator's series in one area (derived ones from their components) and assesses it."""

    def __init__(self, rules: RuleSet, area: Area,
                 comparator: Callable[[str], list[AreaEvaluator] | str] | None = None):
        self.rules = rules
        self.area = area
        self.comparator = comparator or (lambda name: f"comparator {name}: no comparator data in this run")
        self._series: dict[str, SeriesValues] = {}
        self._breaks: dict[str, dict[Period, str]] = {}

    def assess_all(self, at: Period | None) -> dict[str, Assessment]:
        """Assess every indicator of the rule set, in file order."""
        return {ind: self.assess(spec, at) for ind, spec in self.rules.indicators.items()}

    def series(self, indicator: str) -> SeriesValues:
        """Exact values by period for an indicator; derived indicators are computed (memoised)."""
        if indicator not in self._series:
            spec = self.rules.indicators[indicator]
            self._series[indicator] = self._derived(spec, spec.value) if spec.value else self._raw(indicator)
        return self._series[indicator]

    def breaks(self, indicator: str) -> dict[Period, str]:
        """Method breaks of an indicator: its own, and for a derived one, those of its components."""
        if indicator not in self._breaks:
            data = self.area.series.get(indicator)
            found = dict(data.method_breaks) if data else {}
            spec = self.rules.indicators[indicator]
            if spec.value:
                for name in _names(spec.value.expr):
                    if name in self.rules.indicators and name not in spec.fields:  # a field is not the indicator
                        for p, reason in self.breaks(name).items():
                            found.setdefault(p, f"{reason} ({name})")
            self._breaks[indicator] = found
        return self._breaks[indicator]

    def points(self, indicator: str, at: Period | None) -> list[tuple[Period, Fraction]]:
        """The known values of an indicator up to period `at` (all when None), in period order (for what-ifs)."""
        return [(p, v) for p, v in self.series(indicator).items()
                if (at is None or p <= at) and isinstance(v, Fraction)]

    def _raw(self, indicator: str) -> SeriesValues:
        data = self.area.series.get(indicator)
        if data is None:
            return {}
        # The reason is worded only for a missing value (the others are most of a national run's values).
        return {p: Gap(f"{indicator} is {_missing_word(v)} for {p}") if isinstance(v, Missing) else exact(v)
                for p, v in sorted(data.values.items())}

    def _derived(self, spec: IndicatorSpec, value: nodes.ValueSetting) -> SeriesValues:
        data = self.area.series.get(spec.id) or Series(spec.id)
        names = _names(value.expr)
        periods: set[Period] = set()
        for name in names:
            if name in spec.fields:
                periods.update(data.fields.get(name, {}))
            elif name in self.rules.indicators:  # not a comparator named in gap(x, c)
                periods.update(self.series(name))
        from lsprules.lang.resolve import walk

        for node in walk(value.expr):
            if isinstance(node, nodes.AtComparator):
                periods.update(self._comparator_periods(node.indicator, node.comparator))
        out: SeriesValues = {}
        for p in sorted(periods):
            out[p] = self._derived_at(spec, value, data, p)
        return out

    def _derived_at(self, spec: IndicatorSpec, setting: nodes.ValueSetting, data: Series, p: Period) -> Fraction | Gap:
        def lookup(name: str) -> Fraction | Gap:
            if name in spec.fields:
                raw = data.fields.get(name, {}).get(p)
                if raw is None:
                    return Gap(f"field '{name}' has no value for {p}")
                if isinstance(raw, Missing):
                    return Gap(f"field '{name}' is {_missing_word(raw)} for {p}")
                return exact(raw)
            value = self.series(name).get(p)
            if value is None:
                return Gap(f"component {name} has no value for {p}")
            if isinstance(value, Gap):
                return Gap(f"component {name}: {value.reason}")
            return value

        result = _value_expr(setting.expr, lookup, lambda node: self._series_value(node, p))
        if isinstance(result, Fraction) and setting.as_percent:
            result = result * HUNDRED
        return result

    # --- comparators and whole-series functions ---------------------------------------------------

    def value_at(self, indicator: str, p: Period) -> Fraction | Gap:
        """An indicator's value at one period, or why there is none."""
        value = self.series(indicator).get(p)
        if value is None:
            return Gap(f"{indicator} has no value for {p}")
        return value

    def comparator_value(self, indicator: str, comparator: str, p: Period) -> Fraction | Gap:
        """An indicator's value in a comparator's area at `p`: for several areas, the mean of them all."""
        found = self.comparator(comparator)
        if isinstance(found, str):
            return Gap(found)
        values = []
        for evaluator in found:
            value = evaluator.value_at(indicator, p)
            if isinstance(value, Gap):
                return Gap(f"{comparator} ({evaluator.area.name}): {value.reason}")
            values.append(value)
        return sum(values, Fraction(0)) / len(values)

    def _comparator_periods(self, indicator: str, comparator: str) -> set[Period]:
        found = self.comparator(comparator)
        if isinstance(found, str):
            return set()
        return set.intersection(*(set(e.series(indicator)) for e in found))

    def series_value(self, node: SeriesNode, p: Period) -> Fraction | Gap:
        """A value that reads other periods or areas (`x at c`, `x at 2005/06`, previous(x)...) at period p."""
        return self._series_value(node, p)

    def _series_value(self, node: SeriesNode, p: Period) -> Fraction | Gap:
        """`x at c`, gap(), ratio() and the period functions, at period p."""
        if isinstance(node, nodes.AtComparator):
            return self.comparator_value(node.indicator, node.comparator, p)
        if isinstance(node, nodes.AtPeriod):
            fixed = _same_kind_period(node.period, p)
            if fixed is None:
                return Gap(f"{node.period} is not the kind of period the data uses")
            return self.value_at(node.indicator, fixed)
        name = _name_argument(node.args[0])
        if node.func in OFFSET_FUNCTIONS:
            return self._offset(node.func, name, count_argument(node), p)
        if node.func in COMPARATOR_FUNCTIONS:
            own, other = self.value_at(name, p), self.comparator_value(name, _name_argument(node.args[1]), p)
            if isinstance(own, Gap) or isinstance(other, Gap):
                return own if isinstance(own, Gap) else other
            return own - other if node.func == "gap" else _arith("/", own, other)
        if node.func.startswith("rolling_"):
            count = node.args[1]
            assert isinstance(count, nodes.Quantity)  # the resolver allows only a whole number of periods here
            return self._rolling(name, int(count.value), p, node.func == "rolling_mean")
        financial = "financial" in node.func
        if node.func.startswith("from_"):
            return self._from_year_to_date(name, p, financial)
        return self._year_to_date(name, p, financial)

    def _offset(self, func: str, indicator: str, back: int, p: Period) -> Fraction | Gap:
        """previous(x, n): x n periods before p; change(x, n) and percent_change(x, n): x at p against it."""
        before = self.value_at(indicator, p.shift(-back))
        if func == "previous" or isinstance(before, Gap):
            return before
        now = self.value_at(indicator, p)
        if isinstance(now, Gap):
            return now
        if func == "change":
            return now - before
        if before == 0:
            return Gap(f"no % change: {indicator} is 0 in {p.shift(-back)}")
        return (now - before) / abs(before) * HUNDRED

    def _span_sum(self, indicator: str, first: Period, last: Period) -> Fraction | Gap:
        """The sum of an indicator over consecutive periods; a Gap names the first one missing."""
        total = Fraction(0)
        for index in range(first.index, last.index + 1):
            value = self.value_at(indicator, Period(last.kind, index))
            if isinstance(value, Gap):
                return Gap(f"{value.reason} (needed for {first}–{last})")
            total += value
        return total

    def _rolling(self, indicator: str, count: int, p: Period, mean: bool) -> Fraction | Gap:
        total = self._span_sum(indicator, p.shift(1 - count), p)
        return total / count if mean and not isinstance(total, Gap) else total

    def _year_to_date(self, indicator: str, p: Period, financial: bool) -> Fraction | Gap:
        return self._span_sum(indicator, year_start(p, financial), p)

    def _from_year_to_date(self, indicator: str, p: Period, financial: bool) -> Fraction | Gap:
        # A cumulative year-to-date figure less the one before it, except in the year's first period.
        now = self.value_at(indicator, p)
        if isinstance(now, Gap) or year_start(p, financial) == p:
            return now
        before = self.value_at(indicator, p.shift(-1))
        return before if isinstance(before, Gap) else now - before

    # --- one assessment ---------------------------------------------------------------------------

    def assess(self, spec: IndicatorSpec, at: Period | None) -> Assessment:
        """The assessment of one indicator at period `at`, using the latest value up to it."""
        series = self.series(spec.id)
        shown_series = tuple((p, v) for p, v in series.items() if at is None or p <= at)
        points = [(p, v) for p, v in shown_series if isinstance(v, Fraction)]
        gaps = {p: v.reason for p, v in shown_series if isinstance(v, Gap)}
        facts = Facts(spec, points, self.breaks(spec.id), gaps, self.area.series.get(spec.id))
        if not points:
            facts.reasons.append(self._no_data_reason(spec, shown_series))
        rag, rule_line, clauses = facts.rag()
        latest = facts.latest
        return Assessment(
            area=self.area.name, indicator=spec.id, title=spec.title,
            group=spec.group.id if spec.group else None, group_title=spec.group.title if spec.group else None,
            unit=_unit_word(spec.unit), period=latest.period if latest else None,
            value=latest.value if latest else None, series=shown_series, previous=facts.earlier,
            change=facts.change, change_pct=facts.change_pct, arrow=facts.arrow,
            rag=rag, target=facts.target, trajectory=facts.trajectory, target_met=facts.target_met(),
            on_trajectory=facts.on_trajectory(), reasons=tuple(facts.reasons), rule_line=rule_line,
            clauses=clauses, discrepancies=self._discrepancies(spec, facts, rag, shown_series),
            decimals=self.places(spec.id), target_path=tuple(facts.target_path), assessed_at=at,
            levels=facts.levels())

    def places(self, indicator: str) -> int:
        """Decimal places to show: the rule's `decimals`, else as many as the data has; 1 after a division."""
        spec = self.rules.indicators[indicator]
        if spec.decimals is not None:
            return spec.decimals
        if spec.value is None:
            data = self.area.series.get(indicator)
            values = data.values.values() if data else ()
            return max((places_of(v) for v in values if not isinstance(v, Missing)), default=0)
        from lsprules.lang.resolve import walk

        if spec.value.as_percent or any(_divides(n) for n in walk(spec.value.expr)):
            return 1
        return max((self.places(n) for n in _names(spec.value.expr) if n in self.rules.indicators
                    and n not in spec.fields), default=0)  # a field is not the indicator of the same name

    def _no_data_reason(self, spec: IndicatorSpec, shown_series: ShownSeries) -> str:
        gaps = [v.reason for _, v in shown_series if isinstance(v, Gap)]
        if gaps:
            return f"no value to assess: {gaps[-1]}"
        if spec.value is None and spec.id not in self.area.series:
            return f"no data for {spec.id} in the dataset"
        return "no value up to the assessed period"

    def _discrepancies(self, spec: IndicatorSpec, facts: Facts, rag: str | None,
                       shown_series: ShownSeries) -> tuple[Discrepancy, ...]:
        data = self.area.series.get(spec.id)
        if data is None:
            return ()
        found: list[Discrepancy] = []
        values = dict(shown_series)
        printed_values = dict(data.reported.value)
        if spec.value is not None:  # a derived indicator's data values are printed figures: check them
            printed_values.update((p, v) for p, v in data.values.items() if not isinstance(v, Missing))
        for p, printed in sorted(printed_values.items()):
            computed = values.get(p)
            if isinstance(computed, Fraction) and not matches_printed(printed, computed):
                places = max(0, places_of(printed))
                found.append(Discrepancy("value", p, str(printed), shown(computed, places)))
        latest = facts.latest
        if latest is not None:
            assert latest.period is not None  # the latest value is a data point: only a mean has no period
            reported_arrow = data.reported.arrow.get(latest.period)
            if reported_arrow is not None and reported_arrow != facts.arrow:
                found.append(Discrepancy("arrow", latest.period, reported_arrow, facts.arrow))
            reported_rag = data.reported.rag.get(latest.period)
            if reported_rag is not None and reported_rag != (rag or "na"):
                found.append(Discrepancy("rag", latest.period, reported_rag, rag or "na"))
        if data.stated:
            found.extend(self._stated(spec, data, shown_series))
        return tuple(found)

    def _stated(self, spec: IndicatorSpec, data: Series, shown_series: ShownSeries) -> list[Discrepancy]:
        """Every number the source stated (target, baseline, change, % change) that the rules and data contradict."""
        found: list[Discrepancy] = []
        points = [(p, v) for p, v in shown_series if isinstance(v, Fraction)]
        gaps = {p: v.reason for p, v in shown_series if isinstance(v, Gap)}
        values = dict(points)
        facts_at: dict[Period, Facts] = {}
        for what in ("target", "baseline", "change", "change_pct"):
            for p, printed in sorted(data.stated.get(what, {}).items()):
                if what != "target" and shown_series and p > shown_series[-1][0]:
                    continue  # a figure for a period after the assessed one
                if what == "baseline":
                    computed = values.get(p)
                elif what == "target":  # a target may be stated for a period to come: the goal's
                    computed = Facts(spec, points, self.breaks(spec.id), gaps, data).target_at(p)
                else:
                    if p not in facts_at:
                        upto = [(q, v) for q, v in points if q <= p]
                        facts_at[p] = Facts(spec, upto, self.breaks(spec.id), gaps, data)
                    facts = facts_at[p]
                    latest_here = facts.latest is not None and facts.latest.period == p
                    computed = (facts.change if what == "change" else facts.change_pct) if latest_here else None
                if computed is None:
                    found.append(Discrepancy(f"stated {what}", p, str(printed), "n/a"))
                elif not matches_printed(printed, computed):
                    found.append(Discrepancy(f"stated {what}", p, str(printed), _shown_beside(printed, computed)))
        found.extend(_profile_total(spec, data.stated.get("target", {})))
        found.extend(self._stated_totals_and_shares(spec, data, shown_series))
        return found

    def _stated_totals_and_shares(self, spec: IndicatorSpec, data: Series,
                                  shown_series: ShownSeries) -> Iterator[Discrepancy]:
        """A stated total (the year to date) or share (of another indicator) that the data contradicts."""
        last = shown_series[-1][0] if shown_series else None
        for what, by_period in sorted(data.stated.items()):
            of = stated_share(what)
            if what != "total" and of is None:
                continue
            for p, printed in sorted(by_period.items()):
                if last is None or p.kind != last.kind or p > last:
                    continue  # a figure for a period after the assessed one
                if of is None:  # as year_to_date(x): the calendar year, or the financial year for its quarters
                    total = self._year_to_date(spec.id, p, financial=False)
                    computed = None if isinstance(total, Gap) else total
                else:
                    computed = self._share(spec.id, of, p)
                if computed is None:
                    yield Discrepancy(f"stated {what}", p, str(printed), "n/a")
                elif not matches_printed(printed, computed):
                    yield Discrepancy(f"stated {what}", p, str(printed), _shown_beside(printed, computed))

    def _share(self, indicator: str, of: str, p: Period) -> Fraction | None:
        """An indicator's value as a % of another's at period p; None when either is missing, or the other is 0
        or not an indicator of the rules."""
        if of not in self.rules.indicators:
            return None
        part, whole = self.value_at(indicator, p), self.value_at(of, p)
        if isinstance(part, Gap) or isinstance(whole, Gap) or whole == 0:
            return None
        return part / whole * HUNDRED


def _profile_total(spec: IndicatorSpec, stated: Mapping[Period, Decimal]) -> list[Discrepancy]:
    """A stated quarterly or monthly profile of a discrete annual target must add up to the annual target."""
    goal = spec.target.goal if spec.target is not None else None
    if not isinstance(goal, nodes.AnnualStmt) or goal.cumulative or not stated:
        return []  # a cumulative profile's last part is the year's total, checked as a stated target
    path = annual_profile(goal, next(iter(stated)).kind)
    if isinstance(path, str) or any(p not in stated for p, _ in path):
        return []
    total = sum((stated[p] for p, _ in path), Decimal(0))
    annual = exact(goal.amount.value)
    if matches_printed(total, annual):
        return []
    return [Discrepancy("stated profile total", path[-1][0], str(total), _shown_beside(total, annual))]


def _shown_beside(printed: Decimal, computed: Fraction) -> str:
    """A computed figure at the printed one's precision, with one place more when that is not exact."""
    places = max(0, places_of(printed))
    exact_there = (computed * 10 ** places).denominator == 1
    return shown(computed, places if exact_there else places + 1)


def _missing_word(value: Value) -> str:
    return "suppressed" if value is Missing.SUPPRESSED else "n/a"


def _unit_word(unit: nodes.UnitSetting) -> str:
    return f"rate per {unit.per}" if unit.kind == "rate" else unit.kind


def _names(expr: nodes.Expr) -> list[str]:
    from lsprules.lang.resolve import walk

    return sorted({n.id for n in walk(expr) if isinstance(n, nodes.Name)})


def _value_expr(expr: nodes.Expr, lookup: Callable[[str], Fraction | Gap],
                series_value: Callable[[SeriesNode], Fraction | Gap] | None = None) -> Fraction | Gap:
    """Evaluate a value expression exactly; the first missing component or division by zero gives a Gap.

    `series_value` evaluates the nodes that need more than one period or area: `x at c`, gap(), ratio(),
    year_to_date() and the like.
    """
    if isinstance(expr, nodes.Quantity):
        return exact(expr.value)
    if isinstance(expr, nodes.Name):
        return lookup(expr.id)
    if isinstance(expr, nodes.Negate):
        inner = _value_expr(expr.operand, lookup, series_value)
        return inner if isinstance(inner, Gap) else -inner
    if isinstance(expr, nodes.Arith):
        left = _value_expr(expr.left, lookup, series_value)
        if isinstance(left, Gap):
            return left
        right = _value_expr(expr.right, lookup, series_value)
        if isinstance(right, Gap):
            return right
        return _arith(expr.op, left, right)
    if _is_series_node(expr):
        return series_value(expr) if series_value else Gap(f"cannot compute {type(expr).__name__} here")
    if isinstance(expr, nodes.Call):
        args = [_value_expr(a, lookup, series_value) for a in expr.args]
        values: list[Fraction] = []
        for arg in args:
            if isinstance(arg, Gap):
                return arg  # the first missing one
            values.append(arg)
        if expr.func == "share_of":
            share = _arith("/", values[0], values[1])
            return share if isinstance(share, Gap) else share * HUNDRED
        return _function(expr.func, values)
    return Gap(f"cannot compute {type(expr).__name__} as a value")


def _is_series_node(expr: nodes.Expr) -> TypeGuard[SeriesNode]:
    return isinstance(expr, (nodes.AtComparator, nodes.AtPeriod)) or (
        isinstance(expr, nodes.Call) and (expr.func in COMPARATOR_FUNCTIONS or expr.func in PERIOD_FUNCTIONS
                                          or expr.func in OFFSET_FUNCTIONS))


def _divides(node: nodes.Expr) -> bool:
    """Whether a node divides (its result has no natural number of decimal places)."""
    return (isinstance(node, nodes.Arith) and node.op == "/") or (
        isinstance(node, nodes.Call) and node.func in ("share_of", "percent_change"))


def _name_argument(arg: nodes.Expr) -> str:
    """The indicator or comparator a series function's argument names (the resolver allows nothing else)."""
    assert isinstance(arg, nodes.Name)
    return arg.id


def _arith(op: str, left: Fraction, right: Fraction) -> Fraction | Gap:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        return Gap("division by zero")
    return left / right


def _function(name: str, args: list[Fraction]) -> Fraction:
    if name == "sum":
        return sum(args, Fraction(0))
    if name == "min":
        return min(args)
    if name == "max":
        return max(args)
    return sum(args, Fraction(0)) / len(args)  # mean


# --- facts about one indicator --------------------------------------------------------------


class _Baseline(NamedTuple):
    """The value at a target's baseline period (a data point: unlike a Point, never a mean)."""

    period: Period
    value: Fraction


class Facts:
    """What can be said of one series at its latest value: arrow, target, trajectory, and RAG clauses."""

    def __init__(self, spec: IndicatorSpec, points: list[tuple[Period, Fraction]], breaks: Mapping[Period, str],
                 gaps: Mapping[Period, str] | None = None, data: Series | None = None):
        self.spec = spec
        self.data = data  # the indicator's data in this area: reference levels, fields for intervals
        self.data_levels = data.levels if data is not None else {}
        self.polarity = spec.direction
        self.points = points
        self.breaks = breaks
        self.gaps = gaps or {}  # why a period has no value, to explain a missing comparison
        self.reasons: list[str] = []
        self.latest = Point(*points[-1]) if points else None
        self.earlier: Point | None = None
        self.change: Fraction | None = None
        self.change_pct: Fraction | None = None
        self.arrow = "na"
        self._unknown: str | None = None
        self.target: Fraction | None = None
        self.trajectory: Fraction | None = None
        self.baseline: Fraction | None = None
        self.target_path: list[tuple[Period, Fraction]] = []
        self.decimals = spec.decimals  # the rule's `decimals`: reasons show values as the table does
        if self.latest is not None:
            self.reasons.append(f"latest value {self.num(self.latest.value)} in {self.latest.name}")
            at = points[-1][0]  # the latest value's period (only a mean of several values has none)
            self._judge_arrow(self.latest, at)
            self._judge_target(at)

    def num(self, value: Fraction, computed: bool = False) -> str:
        """A value in a reason as the table shows it: at the rule's `decimals` (a computed target or trajectory
        that is not exact there with one place more), or to at most 2 places when the rule sets none."""
        if self.decimals is None:
            return plain(value)
        places = self.decimals
        if computed and 10 ** places % value.denominator:  # not exact at `places` places
            places += 1
        return rounded_text(value, places)

    # --- polarity --------------------------------------------------------------------------

    def _polarity_words(self) -> str:
        p = self.spec.polarity
        if p.kind == "closer_to":
            assert p.ideal is not None  # the grammar gives closer_to its ideal
            return f"closer to {p.ideal.value} is better"
        return p.kind.replace("_", " ")

    # --- arrow -----------------------------------------------------------------------------

    def _judge_arrow(self, latest: Point, at: Period) -> None:
        arrow = self.spec.arrow
        if arrow.peak is not None and self.polarity.better(latest.value, exact(arrow.peak.maximum.value)) >= 0:
            self.arrow = "peak"
            self.reasons.append(f"★ peak: {self.num(latest.value)} is at its maximum of "
                                f"{_quantity_words(arrow.peak.maximum)}")
        if arrow.compare.method == "trend":
            if self.arrow != "peak":
                self._trend_arrow(arrow.compare)
            return
        earlier = self._comparison_point(arrow.compare, at)
        if earlier is None:
            return
        self.earlier = earlier
        self.change = change = latest.value - earlier.value
        self.change_pct = change / abs(earlier.value) * HUNDRED if earlier.value != 0 else None
        if self.arrow == "peak":
            return
        self._direction(latest, earlier, change)

    def _trend_arrow(self, compare: nodes.CompareStmt) -> None:
        """▲/▼ for a significant trend the better/worse way, ◀▶ for none, n/a when it cannot be calculated."""
        assert compare.level is not None  # the grammar gives `compare recent trend` its level
        level = exact(compare.level.value)
        trend = recent_trend(self.spec.unit, self.points, self.data, self.breaks, level)
        words = f"recent trend at {_quantity_words(compare.level)}"
        if trend.result == "cannot be calculated":
            self.reasons.append(f"no arrow: the {words} cannot be calculated: {trend.reason}")
            return
        if trend.result == "no significant change":
            self.arrow = "static"
            self.reasons.append(f"◀▶ no significant change: {words}, {trend.reason}")
            return
        assert self.latest is not None and trend.slope is not None  # a trend is only tested on five values
        rising = trend.result == "increasing"
        higher = self.latest.value + (1 if rising else -1)  # a value further the trend's way: better or worse?
        better = self.polarity.better(higher, self.latest.value) > 0
        self.arrow = "up" if better else "down"
        self.reasons.append(f"{'▲' if better else '▼'} {trend.result} and getting {'better' if better else 'worse'}:"
                            f" {words}, {trend.reason}")

    def _comparison_point(self, compare: nodes.CompareStmt, at: Period) -> Point | None:
        before = [(p, v) for p, v in self.points if p < at]
        if compare.method == "previous":
            chosen = before[-1:]
            words = "the previous available value"
        elif compare.method == "year":
            year_ago = at.year_earlier()
            chosen = [(p, v) for p, v in before if p == year_ago]
            words = f"the value for {year_ago} (same period a year earlier)"
        else:
            count = compare.count
            assert count is not None  # `mean of previous N` always gives N
            chosen = before[-count:] if len(before) >= count else []
            words = f"the mean of the previous {count} values"
        if not chosen:
            missing = at.year_earlier() if compare.method == "year" else None
            if missing is not None and missing in self.gaps:
                self._na(f"no arrow: there is no value for {missing} (same period a year earlier) to compare "
                         f"with: {self.gaps[missing]}")
            else:
                self._na(f"no arrow: there is no {words.removeprefix('the ')} to compare with (too few data points)")
            return None
        first = chosen[0][0]
        broken = sorted(p for p in self.breaks if first < p <= at)
        if broken:
            self._na(f"no arrow: a method break at {broken[0]} lies between the values compared "
                     f"({self.breaks[broken[0]]})")
            return None
        if compare.method == "mean":
            mean = sum((v for _, v in chosen), Fraction(0)) / len(chosen)
            return Point(None, mean, f"mean of {chosen[0][0]}–{chosen[-1][0]}")
        return Point(*chosen[0])

    def _na(self, reason: str) -> None:
        self.reasons.append(reason)

    def _direction(self, latest: Point, earlier: Point, change: Fraction) -> None:
        static = self.spec.arrow.static
        comparison = (f"{self.num(latest.value)} ({latest.name}) against {self.num(earlier.value)} "
                      f"({earlier.name}): change {_signed(change)}"
                      + (f" ({_signed(self.change_pct)} %)" if self.change_pct is not None else ""))
        if static is not None:
            within = self._within_tolerance(static, earlier.value, change)
            if within is None:
                self.reasons.append(f"no arrow: {comparison}; a % tolerance needs a non-zero earlier value")
                self.arrow = "na"
                return
            tolerance = f"static {'within' if static.inclusive else 'below'} {_quantity_words(static.tolerance)}"
            if within:
                self.arrow = "static"
                self.reasons.append(f"◀▶ static: {comparison}, inside the tolerance ({tolerance})")
                return
            comparison += f", outside the tolerance ({tolerance})"
        direction = self.polarity.better(latest.value, earlier.value)
        self.arrow = {1: "up", 0: "static", -1: "down"}[direction]
        word = {1: "▲ improved", 0: "◀▶ static", -1: "▼ worse"}[direction]
        self.reasons.append(f"{word}: {comparison}; {self._polarity_words()}")

    def _within_tolerance(self, static: nodes.StaticStmt, earlier: Fraction, change: Fraction) -> bool | None:
        amount = exact(static.tolerance.value)
        size = abs(change)
        if static.tolerance.unit == "%":
            if earlier == 0:
                return None
            # |change| / |earlier| * 100 against the tolerance, cross-multiplied so the test stays exact.
            size, amount = size * HUNDRED, amount * abs(earlier)
        return size <= amount if static.inclusive else size < amount

    # --- target and trajectory ----------------------------------------------------------------

    def _judge_target(self, at: Period) -> None:
        given = self.data_levels.get("target", {}).get(at)
        if given is not None:  # a target per area and period in the data replaces the rule file's
            self.target = self.trajectory = exact(given)
            self.reasons.append(f"target {plain(self.target)} for {at} (from the dataset)")
            return
        target = self.spec.target
        if target is None:
            self.reasons.append("no target is set")
            return
        if target.from_data:
            self.reasons.append(f"no target: the dataset gives none for {at} (target from data)")
            return
        if target.fixed is not None:
            self.target = self.trajectory = exact(target.fixed.amount.value)
            self.reasons.append(f"target {_quantity_words(target.fixed.amount)}")
            return
        base = self._baseline_point(target)
        if target.baseline is not None and base is None:
            return
        if target.per_period:
            self._profiled_target(target, base, at)
        elif isinstance(target.goal, nodes.AnnualStmt):
            self._annual_target(target.goal, at)
        elif target.goal is not None:
            self._goal_target(target, target.goal, base, at)

    def _baseline_point(self, target: TargetSpec) -> _Baseline | None:
        if target.baseline is None:
            return None
        label = target.baseline.period
        found = next((_Baseline(p, v) for p, v in self.points if p.label == label), None)
        if found is None:
            self.reasons.append(f"no trajectory: no value for the baseline period {label}")
        else:
            self.baseline = found.value
        return found

    def _goal_target(self, target: TargetSpec, goal: nodes.ChangeStmt | nodes.ReachStmt, base: _Baseline | None,
                     at: Period) -> None:
        end = self._goal_value(goal, base)
        if end is None:
            return
        self.target = end
        end_period = _same_kind_period(goal.period, at)
        if end_period is None:
            self.reasons.append(f"no trajectory: the target period {goal.period} is not the kind of period "
                                "the data uses")
            return
        if base is None or target.trajectory == "flat":
            self.trajectory = end
            self.reasons.append(f"target {self.num(end, True)} by {goal.period}")
            return
        self.trajectory = _linear(base.period, base.value, end_period, end, at)
        self.target_path = [(base.period, base.value), (end_period, end)]
        if self.trajectory is None:
            self.reasons.append(f"no trajectory: {at} is before the baseline period {base.period}")
            return
        self.reasons.append(f"target {self.num(end, True)} by {goal.period} ({_goal_words(goal)} from "
                            f"{self.num(base.value)} in {base.period}); linear trajectory value for {at}: "
                            f"{self.num(self.trajectory, True)}")

    def _annual_target(self, goal: nodes.AnnualStmt, at: Period) -> None:
        """An annual target profiled over the year's quarters or months: the part for `at`, or to date."""
        path = annual_profile(goal, at.kind)
        if isinstance(path, str):
            self.reasons.append(f"no target: {path}")
            return
        self.target_path = list(path)
        here = next((value for period, value in path if period == at), None)
        self.reasons.append(annual_words(goal, path, at.label))
        if here is not None:
            self.target = self.trajectory = here

    def _goal_value(self, goal: nodes.ChangeStmt | nodes.ReachStmt, base: _Baseline | None) -> Fraction | None:
        amount = exact(goal.amount.value)
        if isinstance(goal, nodes.ReachStmt):
            return amount
        if base is None:
            self.reasons.append("no target: a change target needs a baseline period")
            return None
        # A % change is of the baseline's size: "reduce by 15 %" lowers a negative baseline too.
        step = abs(base.value) * amount / HUNDRED if goal.amount.unit == "%" else amount
        return base.value - step if goal.direction == "reduce" else base.value + step

    def _profiled_target(self, target: TargetSpec, base: _Baseline | None, at: Period) -> None:
        given = [(_same_kind_period(s.period, at), exact(s.amount.value)) for s in target.per_period]
        known = sorted((p, v) for p, v in given if p is not None)
        if base is not None:
            known = sorted([(base.period, base.value)] + [(p, v) for p, v in known if p != base.period])
        self.target_path = known
        exact_hit = next((v for p, v in known if p == at), None)
        if exact_hit is not None:
            self.target = self.trajectory = exact_hit
        else:
            after = [(p, v) for p, v in known if p > at]
            before = [(p, v) for p, v in known if p < at]
            if before and after:
                self.trajectory = _linear(before[-1][0], before[-1][1], after[0][0], after[0][1], at)
                self.target = self.trajectory
            elif before and not after:
                self.target = self.trajectory = before[-1][1]
        if self.target is None:
            self.reasons.append(f"no target is set for {at}")
        else:
            self.reasons.append(f"target for {at}: {self.num(self.target, True)} (profiled by period)")

    def target_at(self, at: Period) -> Fraction | None:
        """The target that applies at period `at` (to check a target the source stated for it)."""
        self.target = self.trajectory = None
        self.target_path = []
        self._judge_target(at)
        return self.target

    # --- reference levels --------------------------------------------------------------------

    def level(self, name: str) -> Fraction | None:
        """A reference level at the latest value's period: the data's for that period, else the rules'."""
        if self.latest is None:
            return None
        assert self.latest.period is not None  # the latest value is a data point
        given = self.data_levels.get(name, {}).get(self.latest.period)
        if given is not None:
            return exact(given)
        declared = self.spec.level(name)
        return exact(declared.amount.value) if declared is not None else None

    def reference(self, name: str) -> Fraction | None:
        """What a margin is measured from: the target, the trajectory value, or a reference level."""
        if name == "target":
            return self.target
        return self.trajectory if name == "trajectory" else self.level(name)

    def no_reference(self, name: str) -> str:
        """Why a margin from `name` cannot be decided, in words."""
        if name in ("target", "trajectory"):
            return "there is no target" if name == "target" else "there is no trajectory value"
        period = f" for {self.latest.period}" if self.latest is not None else ""
        return f"there is no {name} level{period} (neither the rules nor the data give one)"

    def levels(self) -> tuple[tuple[str, Fraction], ...]:
        """Every reference level known at the latest value's period (the target apart), in the language's order."""
        if not self.spec.levels and not self.data_levels:  # most indicators: skip the look-ups
            return ()
        known = ((name, self.level(name)) for name in LEVEL_NAMES)
        return tuple((name, value) for name, value in known if value is not None)

    # --- facts -----------------------------------------------------------------------------

    def target_met(self) -> bool | None:
        """Whether the latest value is at or better than the target (None when unknown)."""
        if self.latest is None or self.target is None:
            return None
        return self.polarity.better(self.latest.value, self.target) >= 0

    def on_trajectory(self) -> bool | None:
        """Whether the latest value is at or better than the trajectory value for its period."""
        if self.latest is None or self.trajectory is None:
            return None
        return self.polarity.better(self.latest.value, self.trajectory) >= 0

    # --- RAG -------------------------------------------------------------------------------

    def rag(self) -> tuple[str | None, int | None, tuple[ClauseTrace, ...]]:
        """The first RAG clause that holds decides; an undecidable clause leaves the rating n/a."""
        if self.spec.rag is None:
            self.reasons.append("RAG n/a: the rules give this indicator no RAG clauses")
            return None, None, ()
        if self.latest is None and not tests_data(self.spec.rag):
            return None, None, ()  # no value, no rating: unless the clauses say what no data rates
        traces: list[ClauseTrace] = []
        for clause in self.spec.rag.clauses:
            line = clause.span.line if clause.span else None
            self._unknown = None
            outcome = True if clause.condition is None else self.condition(clause.condition)
            detail = _clause_words(clause)
            if outcome is None:
                traces.append(ClauseTrace(clause.label, line, "unknown", self._unknown or ""))
                self.reasons.append(f"RAG n/a: cannot decide `{detail}` (line {line}): {self._unknown}")
                return None, line, tuple(traces)
            traces.append(ClauseTrace(clause.label, line, "true" if outcome else "false"))
            if outcome:
                self.reasons.append(f"RAG {clause.label}: `{detail}` holds (line {line})")
                return clause.label, line, tuple(traces)
        self.reasons.append("RAG n/a: no clause holds (add an `otherwise` clause)")
        return None, None, tuple(traces)

    def unknown(self, reason: str) -> None:
        """Record why a fact is unknown (the first reason wins)."""
        if self._unknown is None:
            self._unknown = reason

    def condition(self, expr: nodes.Expr) -> bool | None:
        """Evaluate a condition in three-valued logic: True, False, or None (unknown)."""
        return decide(expr, self._leaf)

    def _leaf(self, expr: nodes.Expr) -> bool | None:
        if isinstance(expr, nodes.Compare):
            return _compare(expr.op, self.number(expr.left), self.number(expr.right))
        if isinstance(expr, nodes.Reaches):
            left, right = self.number(expr.left), self.number(expr.right)
            return None if left is None or right is None else self.polarity.better(left, right) >= 0
        return self.fact(expr)

    def fact(self, expr: nodes.Expr) -> bool | None:
        """Evaluate one fact: arrow, trajectory, target, gap."""
        if isinstance(expr, nodes.ArrowIs):
            if expr.arrow != "na" and self.arrow == "na":
                self.unknown("the arrow is n/a")
                return None
            return (self.arrow == expr.arrow) != expr.negated
        if isinstance(expr, nodes.OnTrajectory):
            return self._known(self.on_trajectory(), "there is no trajectory value")
        if isinstance(expr, nodes.TargetMet):
            return self._known(self.target_met(), "there is no target")
        if isinstance(expr, nodes.Presence):
            return self._presence(expr)
        if self.latest is None:
            self.unknown("there is no value")
            return None
        if isinstance(expr, (nodes.WithinTarget, nodes.TargetExceeded)):
            return self._target_margin(expr)
        if isinstance(expr, nodes.Margin):
            return self._margin(expr)
        if isinstance(expr, nodes.GapState):
            return self._gap_state(expr.state)
        if isinstance(expr, nodes.Significance):
            return self._significance(expr)
        self.unknown(f"{type(expr).__name__} is not a fact about an indicator")
        return None

    def _presence(self, expr: nodes.Presence) -> bool | None:
        """`no target`, `has data`...: known whenever there is a value (with none, only `data` is)."""
        if expr.thing == "data":
            return (self.latest is not None) == expr.present
        if self.latest is None:
            self.unknown(f"there is no value, so whether there is a {expr.thing} is not known")
            return None
        there = self.target is not None if expr.thing == "target" else self.earlier is not None
        return there == expr.present

    def _margin(self, expr: nodes.Margin) -> bool | None:
        reference = self.reference(expr.reference)
        if reference is None:
            self.unknown(self.no_reference(expr.reference))
            return None
        assert self.latest is not None  # fact() answers for a latest value only
        amount = exact(expr.amount.value)
        if expr.amount.unit == "%":
            amount = abs(reference) * amount / HUNDRED
        return self.polarity.by_margin(self.latest.value, reference, expr.side != "short", expr.bound, amount)

    def _known(self, value: bool | None, reason: str) -> bool | None:
        if value is None:
            self.unknown(reason)
        return value

    def _target_margin(self, expr: nodes.WithinTarget | nodes.TargetExceeded) -> bool | None:
        if self.target is None:
            self.unknown("there is no target")
            return None
        margin = exact(expr.margin.value)
        if expr.margin.unit == "%":
            margin = abs(self.target) * margin / HUNDRED
        assert self.latest is not None  # a target is only worked out for a latest value
        value = self.latest.value
        if isinstance(expr, nodes.WithinTarget):
            return self.polarity.shortfall(value, self.target) <= margin
        return self.polarity.shortfall(self.target, value) >= margin and self.polarity.better(value, self.target) > 0

    def _significance(self, expr: nodes.Significance) -> bool | None:
        """Compared with the benchmark by the value's confidence interval: higher, similar or lower."""
        assert self.latest is not None and self.latest.period is not None  # decided only for a latest value
        benchmark = self.level("benchmark")
        if benchmark is None:
            self.unknown(f"there is no benchmark level for {self.latest.period}")
            return None
        level = exact(expr.level.value) if expr.level is not None else Fraction(95)
        interval = value_interval(self.spec.unit, self.latest.value, self.data, self.latest.period, level)
        if isinstance(interval, str):
            self.unknown(interval)
            return None
        side = compare_interval(interval, benchmark)
        note = (f"{plain(level)} % confidence interval {interval.lower:.2f} to {interval.upper:.2f} against the "
                f"benchmark {plain(benchmark)}: {'similar' if side == 'similar' else side + ' than it'}")
        if note not in self.reasons:  # several clauses may ask
            self.reasons.append(note)
        if side == "similar" or expr.outcome == "different":
            return side != "similar"
        if self.spec.polarity.kind == "closer_to":
            self.unknown("significantly better or worse has no meaning for `closer_to`: test `significantly "
                         "different from benchmark`")
            return None
        higher_is_better = self.polarity.better(benchmark + 1, benchmark) > 0
        better = (side == "higher") == higher_is_better
        return expr.outcome == ("better" if better else "worse")

    def _gap_state(self, state: str) -> bool | None:
        assert self.latest is not None  # conditions are decided only for a latest value: rag() stops before
        now = self.polarity.gap_shortfall(self.latest.value)
        if state == "closed":
            return now == 0
        if self.earlier is None:
            self.unknown("there is no earlier value to compare the gap with")
            return None
        before = self.polarity.gap_shortfall(self.earlier.value)
        if state == "narrowed":
            return 0 < now < before
        return now > before  # widened

    def number(self, expr: nodes.Expr) -> Fraction | None:
        """Evaluate a numeric expression in a condition; None when a value it needs is unknown."""
        if isinstance(expr, nodes.Quantity):
            return exact(expr.value)
        if isinstance(expr, nodes.Ref):
            value = self._ref(expr.which)
            if value is None:
                self.unknown("there is no value" if expr.which == "value" else f"there is no {expr.which} value")
            return value
        if isinstance(expr, nodes.LevelRef):
            level = self.level(expr.name)
            if level is None:
                self.unknown(self.no_reference(expr.name))
            return level
        if isinstance(expr, nodes.Negate):
            inner = self.number(expr.operand)
            return None if inner is None else -inner
        if isinstance(expr, nodes.Arith):
            left, right = self.number(expr.left), self.number(expr.right)
            if left is None or right is None:
                return None
            result = _arith(expr.op, left, right)
            if isinstance(result, Gap):
                self.unknown(result.reason)
                return None
            return result
        if isinstance(expr, nodes.Call):
            args = [self.number(a) for a in expr.args]
            known = [a for a in args if a is not None]
            return None if len(known) < len(args) else _function(expr.func, known)
        self.unknown(f"{type(expr).__name__} is not a number")
        return None

    def _ref(self, which: str) -> Fraction | None:
        return {
            "value": self.latest.value if self.latest else None,
            "previous": self.earlier.value if self.earlier else None,
            "target": self.target, "trajectory": self.trajectory, "baseline": self.baseline,
            "change": self.change,
        }[which]


_COMPARISONS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne}


def _compare(op: str, left: Fraction | None, right: Fraction | None) -> bool | None:
    if left is None or right is None:
        return None
    return _COMPARISONS[op](left, right)  # only the comparison asked for: a theme check makes many


def annual_profile(goal: nodes.AnnualStmt, kind: PeriodKind) -> list[tuple[Period, Fraction]] | str:
    """The target of each quarter or month of the year (the year to date when cumulative), or why there is none."""
    from lsprules.core.periods import PeriodError, parse_period

    try:
        year = parse_period(goal.period)
    except PeriodError:
        return f"{goal.period} is not a year"
    parts = parts_of_year(year, kind)
    if parts is None:
        return f"an annual target for {goal.period} cannot be profiled over {kind.value.replace('_', ' ')}s"
    count = len(parts)
    shares = [exact(q.value) for q in goal.shares] or [HUNDRED / count] * count
    if len(shares) != count:
        return f"the profile has {len(shares)} shares, and {goal.period} has {count} {kind.value.replace('_', ' ')}s"
    annual = exact(goal.amount.value)
    values, total = [], Fraction(0)
    for share in shares:
        total += share
        values.append(annual * (total if goal.cumulative else share) / HUNDRED)
    return list(zip(parts, values, strict=True))


def annual_words(goal: nodes.AnnualStmt, path: list[tuple[Period, Fraction]], at: str) -> str:
    """The reason an annual target gives at the period labelled `at`: its part of the profile `path`
    (annual_profile), or why it has none there."""
    here = next((value for period, value in path if period.label == at), None)
    if here is None:
        return f"no target for {at}: the annual target is for {goal.period} ({path[0][0]}–{path[-1][0]})"
    how = f"by {', '.join(_quantity_words(q) for q in goal.shares)}" if goal.shares else "evenly"
    kind = "cumulative " if goal.cumulative else ""
    return f"target {plain(here)} for {at}: {kind}profile of the annual {_quantity_words(goal.amount)} for " \
        f"{goal.period}, {how}"


def _linear(start: Period, start_value: Fraction, end: Period, end_value: Fraction, at: Period) -> Fraction | None:
    """The straight-line value at `at` between two points; the end value after the end; None before the start."""
    if at < start:
        return None
    if at >= end or end.index == start.index:
        return end_value
    return start_value + (end_value - start_value) * (at.index - start.index) / (end.index - start.index)


def _same_kind_period(label: str, like: Period) -> Period | None:
    from lsprules.core.periods import PeriodError, parse_period

    try:
        period = parse_period(label)
    except PeriodError:
        return None
    return period if period.kind == like.kind else None


def _quantity_words(q: nodes.Quantity) -> str:
    unit = {"%": " %", "pp": " pp"}.get(q.unit or "", "")
    return f"{q.value}{unit}"


def _goal_words(goal: nodes.ChangeStmt | nodes.ReachStmt) -> str:
    if isinstance(goal, nodes.ReachStmt):
        return f"reach {_quantity_words(goal.amount)}"
    return f"{goal.direction} by {_quantity_words(goal.amount)}"


def _signed(value: Fraction | None, words: Callable[[Fraction], str] = plain) -> str:
    if value is None:
        return "–"
    text = words(value)
    return text if value < 0 else f"+{text}"


def _clause_words(clause: nodes.Clause) -> str:
    if clause.condition is None:
        return f"{clause.label} otherwise"
    from lsprules.lang.printer import format_expr

    return f"{clause.label} when {format_expr(clause.condition)}"


# --- themes ----------------------------------------------------------------------------------


def assess_theme(theme: ThemeSpec, area: Area, results: Mapping[str, ThemeMember], at: Period | None) -> ThemeResult:
    """Roll the members' arrows and RAG ratings up into the theme's rating (first matching clause); `results`: the
    area's assessments (or stand-ins) by indicator."""
    members = [results[m] for m in theme.members if m in results]
    counts = _member_counts(members)
    assessed = sum(1 for m in members if m.value is not None)
    noun = "member" if len(members) == 1 else "members"
    reasons = [f"{len(members)} {noun}, {assessed} assessed: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n)]
    traces: list[ClauseTrace] = []
    rating, line = None, None
    tally = member_tally(members)
    short = _coverage_shortfall(theme, assessed, len(members))
    if short is not None:
        reasons.append(short)
    elif theme.coverage is None and 2 * assessed < len(members):
        reasons.append(f"warning: only {assessed} of {len(members)} members were assessed ({len(members) - assessed} "
                       "have no value), so the rating rests on few of them; `require at least N assessed` makes "
                       "such a rating n/a")
    for clause in theme.rating.clauses if short is None else ():
        clause_line = clause.span.line if clause.span else None
        outcome = True if clause.condition is None else _theme_condition(clause.condition, tally)
        if outcome is None:
            traces.append(ClauseTrace(clause.label, clause_line, "unknown", "no member could be judged"))
            reasons.append(f"rating n/a: cannot decide `{_clause_words(clause)}` (line {clause_line})")
            line = clause_line
            break
        traces.append(ClauseTrace(clause.label, clause_line, "true" if outcome else "false"))
        if outcome:
            rating, line = clause.label, clause_line
            reasons.append(f"rating {clause.label}: `{_clause_words(clause)}` holds (line {clause_line})")
            break
    reported = area.reported_themes.get(theme.id, {}).get(at) if at else None
    discrepancies: tuple[Discrepancy, ...] = ()
    if at is not None and reported is not None and reported != (rating or "na"):
        discrepancies = (Discrepancy("rating", at, reported, rating or "na"),)
    if short is not None and theme.coverage is not None and theme.coverage.span is not None:
        line = theme.coverage.span.line
    return ThemeResult(area.name, theme.id, theme.title, at, rating, line, tuple(reasons), tuple(traces),
                       counts, discrepancies, reported, assessed)


def _coverage_shortfall(theme: ThemeSpec, assessed: int, total: int) -> str | None:
    """Why the rating is n/a when fewer members were assessed than the theme requires; None when enough were."""
    if theme.coverage is None:
        return None
    minimum = theme.coverage.minimum
    needed = exact(minimum.value)
    enough = assessed * HUNDRED >= needed * total if minimum.unit == "%" else assessed >= needed
    if enough:
        return None
    line = theme.coverage.span.line if theme.coverage.span else None
    unit = " %" if minimum.unit == "%" else ""
    return f"rating n/a: only {assessed} of {total} members were assessed; the theme requires at least " \
           f"{minimum.value}{unit} assessed (line {line})"


def _member_counts(members: list[ThemeMember]) -> dict[str, int]:
    counts = {f"arrow {k}": 0 for k in ARROW_SYMBOLS}
    for m in members:
        counts[f"arrow {m.arrow}"] += 1
    for m in members:
        key = f"rag {m.rag or 'na'}"
        counts[key] = counts.get(key, 0) + 1
    return counts


class MemberLook(Protocol):
    """What a theme's rating reads of a member: its arrow and its RAG band (an Assessment, or a stand-in)."""

    @property
    def arrow(self) -> str: ...

    @property
    def rag(self) -> str | None: ...


class ThemeMember(MemberLook, Protocol):
    """What a theme's rating reads of a member: its arrow, its RAG band and whether it has a value."""

    @property
    def value(self) -> Fraction | None: ...


# A fact about members -> (how many members it holds for, how many could be judged): all a rating reads.
Tally = Callable[[nodes.Expr], tuple[int, int]]


def member_tally(members: Sequence[MemberLook]) -> Tally:
    """The tally of each fact over these members."""
    def tally(fact: nodes.Expr) -> tuple[int, int]:
        outcomes = [_member_fact(fact, m) for m in members]
        return sum(1 for o in outcomes if o is True), sum(1 for o in outcomes if o is not None)

    return tally


def theme_condition(expr: nodes.Expr, tally: Tally) -> bool | None:
    """The truth of a theme rating condition given the tally of each fact it counts (the analysis of theme
    ratings tallies whole mixes of members at once)."""
    return _theme_condition(expr, tally)


def _theme_condition(expr: nodes.Expr, tally: Tally) -> bool | None:
    def leaf(node: nodes.Expr) -> bool | None:
        if isinstance(node, nodes.Compare):
            return _compare(node.op, _theme_number(node.left, tally), _theme_number(node.right, tally))
        return None

    return decide(expr, leaf)


def theme_number(expr: nodes.Expr, members: Sequence[MemberLook]) -> Fraction | None:
    """The value of a number in a theme rating rule (e.g. share(arrow is up)) over members; None if unknown."""
    return _theme_number(expr, member_tally(members))


def _theme_number(expr: nodes.Expr, tally: Tally) -> Fraction | None:
    if isinstance(expr, nodes.Quantity):
        return exact(expr.value)
    if isinstance(expr, nodes.Negate):
        inner = _theme_number(expr.operand, tally)
        return None if inner is None else -inner
    if isinstance(expr, nodes.Arith):
        left, right = _theme_number(expr.left, tally), _theme_number(expr.right, tally)
        if left is None or right is None:
            return None
        result = _arith(expr.op, left, right)
        return None if isinstance(result, Gap) else result
    if isinstance(expr, nodes.Call):
        true, judged = tally(expr.args[0])
        if expr.func == "count":
            return Fraction(true)
        # A share is of the members that could be judged: one without an arrow is neither up nor not up.
        return Fraction(true * 100, judged) if judged else None
    return None


def member_fact(expr: nodes.Expr, member: MemberLook) -> bool | None:
    """Whether a fact about one member (`arrow is up`, `rag is not red`) holds; None when it cannot be judged."""
    return _member_fact(expr, member)


def _member_fact(expr: nodes.Expr, member: MemberLook) -> bool | None:
    def leaf(node: nodes.Expr) -> bool | None:
        if isinstance(node, nodes.ArrowIs):
            if node.arrow != "na" and member.arrow == "na":
                return None
            return (member.arrow == node.arrow) != node.negated
        if isinstance(node, nodes.RagIs):
            if node.band != "na" and member.rag is None:
                return None
            return ((member.rag or "na") == node.band) != node.negated
        return None

    return decide(expr, leaf)
