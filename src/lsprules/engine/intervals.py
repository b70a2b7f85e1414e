"""Confidence intervals and the recent trend of one indicator, from its values and dataset fields.

Which method applies is decided by the data: intervals the dataset supplies (fields `lower_95`/`upper_95`,
`lower_99_8`/`upper_99_8`) are used as given; otherwise a percentage or ratio with fields `numerator` and
`denominator` gets a Wilson score interval, a rate per N Byar's interval on its numerator over its denominator,
and a count Byar's interval on the count itself. The arithmetic is in core/significance.py.

The recent trend follows the criteria of the Fingertips trend markers (OHID, "Fingertips trend markers",
fingertips.phe.org.uk/static-reports/public-health-technical-guidance/Presentation/Trend_markers.html): the
five most recent values, yearly, with no gaps and no break in the series; proportions by their counts, other
values by their confidence intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from lsprules.core.numbers import HUNDRED, exact
from lsprules.core.periods import Period, PeriodKind
from lsprules.core.significance import TREND_POINTS, Interval, Trend, byar, interval_trend, proportion_trend, wilson
from lsprules.data.model import Series
from lsprules.lang import nodes

SUPPLIED = {Fraction(95): "95", Fraction(998, 10): "99_8"}  # levels whose intervals a dataset may supply
YEARS = (PeriodKind.FINANCIAL_YEAR, PeriodKind.CALENDAR_YEAR)


def value_interval(unit: nodes.UnitSetting, value: Fraction, data: Series | None, period: Period,
                   level: Fraction) -> Interval | str:
    """The confidence interval of the value at `period`, or why there is none."""
    fields = data.fields if data is not None else {}
    tag = SUPPLIED.get(level)
    if tag is not None:
        lower, upper = _field(fields, f"lower_{tag}", period), _field(fields, f"upper_{tag}", period)
        if lower is not None and upper is not None:
            return Interval(float(lower), float(upper))
    numerator, denominator = _field(fields, "numerator", period), _field(fields, "denominator", period)
    if numerator is not None and denominator is not None:
        return _from_counts(unit, numerator, denominator, level)
    if unit.kind == "count":
        if value < 0 or value.denominator != 1:
            return f"a count's interval needs a whole number of events, not {value}"
        return byar(value, level)
    supplied = f" or lower_{tag} and upper_{tag}" if tag else ""
    return f"no confidence interval for {period}: the data gives no numerator and denominator{supplied}"


def _from_counts(unit: nodes.UnitSetting, numerator: Fraction, denominator: Fraction,
                 level: Fraction) -> Interval | str:
    if unit.kind in ("percent", "ratio"):
        if denominator <= 0 or not 0 <= numerator <= denominator:
            return f"a proportion needs 0 <= numerator <= denominator, not {numerator} of {denominator}"
        scale = float(HUNDRED) if unit.kind == "percent" else 1.0
        interval = wilson(numerator, denominator, level)
        return Interval(interval.lower * scale, interval.upper * scale)
    if numerator < 0 or denominator <= 0:
        return f"a rate needs a count of 0 or more over a positive denominator, not {numerator} over {denominator}"
    per = float(unit.per) if unit.kind == "rate" and unit.per is not None else 1.0
    interval = byar(numerator, level)
    return Interval(interval.lower / float(denominator) * per, interval.upper / float(denominator) * per)


def recent_trend(unit: nodes.UnitSetting, points: Sequence[tuple[Period, Fraction]], data: Series | None,
                 breaks: Mapping[Period, str], level: Fraction) -> Trend:
    """The Fingertips recent trend over the most recent five values (proportions by their counts)."""
    recent = list(points[-TREND_POINTS:])
    if len(recent) < TREND_POINTS:
        return Trend("cannot be calculated", reason=f"only {len(recent)} values, and the test needs {TREND_POINTS}")
    first, last = recent[0][0], recent[-1][0]
    # The criteria of the Fingertips trend markers: yearly data, no gaps, no breaks in the series.
    if first.kind not in YEARS:
        return Trend("cannot be calculated", reason="the recent trend is tested on yearly values only, not on "
                     f"{first.kind.value.replace('_', ' ')}s")
    if last.index - first.index != TREND_POINTS - 1:
        return Trend("cannot be calculated", reason=f"the last five values ({first}–{last}) are not for five "
                     "consecutive years")
    broken = sorted(p for p in breaks if first < p <= last)
    if broken:
        return Trend("cannot be calculated", reason=f"a method break at {broken[0]} lies within the five values")
    fields = data.fields if data is not None else {}
    counts = [(_field(fields, "numerator", p), _field(fields, "denominator", p)) for p, _ in recent]
    if unit.kind in ("percent", "ratio") and all(n is not None and d is not None for n, d in counts):
        return proportion_trend([n for n, _ in counts if n is not None], [d for _, d in counts if d is not None],
                                level)
    intervals: list[Interval] = []
    for period, value in recent:
        interval = value_interval(unit, value, data, period, Fraction(95))
        if isinstance(interval, str):
            return Trend("cannot be calculated", reason=interval)
        intervals.append(interval)
    return interval_trend([v for _, v in recent], intervals, level)


def _field(fields: Mapping[str, Mapping[Period, object]], name: str, period: Period) -> Fraction | None:
    value = fields.get(name, {}).get(period)
    return exact(value) if isinstance(value, Decimal) else None
