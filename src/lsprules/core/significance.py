"""Significance as OHID's public-health profiles (Fingertips) judge it: confidence intervals and the recent trend.

- Wilson score interval for a proportion (O of n), Byar's method for a count (and a rate: the count's interval
  over its denominator), both at any confidence level (95 % and 99.8 % in Fingertips);
- comparison with a benchmark: higher, similar or lower, by whether the interval holds the benchmark;
- the recent trend: the chi-squared test for trend over the most recent five points (Cochran–Armitage for
  proportions; a weighted regression on the points' own confidence intervals otherwise), with a check that the
  sign of the fitted slope agrees with the change from the first to the last of those points, and "cannot be
  calculated" when there are too few points or invalid counts.

Floating point: everything else in lsprules is exact; here the square roots, the normal quantile
(`statistics.NormalDist.inv_cdf`) and the chi-squared tail (`math.erfc`) are IEEE-754 doubles. Each result is
the same sequence of operations on the same inputs, so it is the same on every run and every platform Python
supports (byte-identical output); only a value that sits within about 1e-12 of a confidence limit could fall
the other way from an exact computation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

TREND_POINTS = 5  # Fingertips tests the most recent five values


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval."""

    lower: float
    upper: float


@dataclass(frozen=True)
class Trend:
    """The recent trend: increasing, decreasing, no significant change, or cannot be calculated (with why)."""

    result: str  # "increasing", "decreasing", "no significant change", "cannot be calculated"
    slope: float | None = None
    chi_squared: float | None = None
    p_value: float | None = None
    reason: str = ""


def z_value(level: Fraction) -> float:
    """The two-sided standard normal quantile for a confidence level in per cent (95 -> 1.959964)."""
    if not 0 < level < 100:
        raise ValueError(f"a confidence level is between 0 and 100 %, not {level}")
    return NormalDist().inv_cdf(1 - (1 - float(level) / 100) / 2)


def wilson(observed: Fraction, total: Fraction, level: Fraction) -> Interval:
    """Wilson score interval for the proportion observed/total (on the 0–1 scale)."""
    if total <= 0 or not 0 <= observed <= total:
        raise ValueError(f"a proportion needs 0 <= {observed} <= {total} and a positive total")
    z = z_value(level)
    o, n = float(observed), float(total)
    q = 1 - o / n
    root = z * math.sqrt(z * z + 4 * o * q)
    return Interval((2 * o + z * z - root) / (2 * (n + z * z)), (2 * o + z * z + root) / (2 * (n + z * z)))


def byar(observed: Fraction, level: Fraction) -> Interval:
    """Byar's approximation to the exact Poisson interval for a count (lower limit 0 for a count of 0)."""
    if observed < 0:
        raise ValueError(f"a count cannot be negative: {observed}")
    z = z_value(level)
    o = float(observed)
    lower = 0.0 if o == 0 else o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return Interval(max(lower, 0.0), upper)


def compare(interval: Interval, benchmark: Fraction) -> str:
    """"higher", "lower" or "similar": whether the whole interval lies above or below the benchmark."""
    value = float(benchmark)
    if interval.lower > value:
        return "higher"
    if interval.upper < value:
        return "lower"
    return "similar"


def proportion_trend(numerators: Sequence[Fraction], denominators: Sequence[Fraction], level: Fraction) -> Trend:
    """Chi-squared test for trend in proportions (Cochran–Armitage) over the most recent five points."""
    if len(numerators) < TREND_POINTS:
        return Trend("cannot be calculated", reason=f"{len(numerators)} points, fewer than {TREND_POINTS}")
    r, n = list(numerators[-TREND_POINTS:]), list(denominators[-TREND_POINTS:])
    if any(d <= 0 or not 0 <= o <= d for o, d in zip(r, n, strict=True)):
        return Trend("cannot be calculated", reason="a numerator is negative or above its denominator, "
                     "or a denominator is not positive")
    x = [Fraction(i) for i in range(1, TREND_POINTS + 1)]
    total, events = sum(n, Fraction(0)), sum(r, Fraction(0))
    mean = events / total
    if mean in (0, 1):
        return Trend("cannot be calculated", reason="every point is 0 % or every point is 100 %")
    nx = sum((ni * xi for ni, xi in zip(n, x, strict=True)), Fraction(0))
    sxx = sum((ni * xi * xi for ni, xi in zip(n, x, strict=True)), Fraction(0)) - nx * nx / total
    sxr = sum((ri * xi for ri, xi in zip(r, x, strict=True)), Fraction(0)) - events * nx / total
    slope = sxr / sxx
    chi_squared = sxr * sxr / (mean * (1 - mean) * sxx)  # exact: only the threshold and p-value are floats
    first, last = r[0] / n[0], r[-1] / n[-1]
    return _judge(slope, chi_squared, last - first, level)


def interval_trend(values: Sequence[Fraction], intervals: Sequence[Interval], level: Fraction,
                   interval_level: Fraction = Fraction(95)) -> Trend:
    """Chi-squared test for trend of values with confidence intervals: a regression weighted by 1/SE²."""
    if len(values) < TREND_POINTS:
        return Trend("cannot be calculated", reason=f"{len(values)} points, fewer than {TREND_POINTS}")
    y = [float(v) for v in values[-TREND_POINTS:]]
    z = z_value(interval_level)
    widths = [(i.upper - i.lower) / (2 * z) for i in intervals[-TREND_POINTS:]]
    if any(w <= 0 for w in widths):
        return Trend("cannot be calculated", reason="a confidence interval has no width")
    w = [1 / (se * se) for se in widths]
    x = [float(i) for i in range(1, TREND_POINTS + 1)]
    sw = math.fsum(w)
    x_bar = math.fsum(wi * xi for wi, xi in zip(w, x, strict=True)) / sw
    y_bar = math.fsum(wi * yi for wi, yi in zip(w, y, strict=True)) / sw
    sxx = math.fsum(wi * (xi - x_bar) ** 2 for wi, xi in zip(w, x, strict=True))
    sxy = math.fsum(wi * (xi - x_bar) * (yi - y_bar) for wi, xi, yi in zip(w, x, y, strict=True))
    slope = sxy / sxx
    return _judge(slope, slope * slope * sxx, y[-1] - y[0], level)


def _judge(slope: Fraction | float, chi_squared: Fraction | float, change: Fraction | float,
           level: Fraction) -> Trend:
    """Significant when chi-squared (1 df) exceeds z²; then the slope's sign must agree with the change."""
    statistic = float(chi_squared)
    p_value = math.erfc(math.sqrt(statistic / 2))  # the chi-squared (1 df) upper tail
    critical = z_value(level) ** 2
    common = {"slope": float(slope), "chi_squared": statistic, "p_value": p_value}
    if statistic <= critical:
        return Trend("no significant change", **common,
                     reason=f"chi-squared {statistic:.2f} <= {critical:.2f} (p = {p_value:.4f})")
    if (slope > 0) != (change > 0) or change == 0:
        return Trend("no significant change", **common,
                     reason=f"chi-squared {statistic:.2f} > {critical:.2f}, but the last of the five points "
                     "does not lie on the side of the first that the slope says")
    word = "increasing" if slope > 0 else "decreasing"
    return Trend(word, **common, reason=f"chi-squared {statistic:.2f} > {critical:.2f} (p = {p_value:.4f})")
