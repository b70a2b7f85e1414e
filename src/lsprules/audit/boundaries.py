"""`test --boundaries`: cases exactly at and beside every threshold of every indicator, and the result at each.

The thresholds are the what-if search's (tolerance edges, target, trajectory, margins, gap edges, roots of
comparisons), computed exactly. Beside a threshold means one step away: one whole unit for counts, else one
unit of the last shown decimal place. Each probe is evaluated by the interpreter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from lsprules.audit.indicator_whatif import Outcome, Threshold, WhatIf
from lsprules.core.periods import Period
from lsprules.data.model import Dataset
from lsprules.engine.interpreter import area_evaluator, assessed_areas
from lsprules.lang.resolve import RuleSet


@dataclass(frozen=True)
class Edge:
    """One threshold and the results at it and beside it."""

    threshold: Threshold
    probes: tuple[Outcome, ...]


@dataclass(frozen=True)
class IndicatorEdges:
    """An indicator's current result and the results around each of its thresholds."""

    area: str
    indicator: str
    title: str
    period: Period
    current: Outcome
    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class BoundaryReport:
    """Every indicator's edges on one dataset at one period."""

    rules_file: str
    dataset: str
    period: Period | None
    indicators: tuple[IndicatorEdges, ...]


def boundaries(rules: RuleSet, dataset: Dataset, at: Period | None) -> BoundaryReport:
    """Probe every indicator with a value, in every area, at and beside each threshold."""
    at = at or (dataset.periods()[-1] if dataset.periods() else None)
    found = []
    for area in assessed_areas(rules, dataset):
        evaluator = area_evaluator(rules, dataset, area.name)
        for spec in rules.indicators.values():
            points = evaluator.points(spec.id, at)
            if not points:
                continue
            whatif = WhatIf(spec, points, evaluator.breaks(spec.id), evaluator.places(spec.id),
                            area.series.get(spec.id))
            edges = tuple(Edge(t, tuple(whatif.outcome(v) for v in beside(whatif, t.value)))
                          for t in whatif.thresholds())
            if edges:
                found.append(IndicatorEdges(area.name, spec.id, spec.title, points[-1][0], whatif.current, edges))
    return BoundaryReport(rules.file, dataset.path, at, tuple(found))


def beside(whatif: WhatIf, value: Fraction) -> list[Fraction]:
    """The threshold and its neighbours one step either side (whole numbers either side, for counts)."""
    step = whatif.step
    if whatif.whole and value.denominator != 1:
        return [Fraction(math.floor(value)), value, Fraction(math.ceil(value))]
    return [value - step, value, value + step]
