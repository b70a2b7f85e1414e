"""The significance methods against published worked figures and an independent computation (scipy/statsmodels).

Sources:
- Wilson score interval: the formula of OHID's public health technical guidance, "Proportions"
  (fingertips.phe.org.uk/static-reports/public-health-technical-guidance/Basic_statistics/Proportions.html);
  worked example 81 of 263 -> 95 % CI 0.255 to 0.366 in Newcombe RG, Altman DG, "Proportions and their
  differences", in Statistics with Confidence, 2nd edn, BMJ Books 2000, p. 47 (the reference the guidance cites).
- Byar's method: PHE Public Health Data Science, "Technical Guide: Confidence Intervals" (25 May 2018),
  Appendix 1, which states that for 95 % intervals Byar's method is within 0.2 % of the exact value for
  numerators of 10 or more; checked here against the exact (chi-squared) Poisson limits from scipy.
- Chi-squared test for trend: the Fingertips trend markers page (most recent five points); checked against the
  linear-by-linear association test of statsmodels, which is the same statistic times (N - 1) / N.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy
import pytest
import scipy.stats as scipy_stats
import statsmodels.stats.contingency_tables as statsmodels_tables
import statsmodels.stats.proportion as statsmodels_proportion

from lsprules.core.significance import (
    Interval,
    byar,
    compare,
    interval_trend,
    proportion_trend,
    wilson,
    z_value,
)


def test_z_values_of_the_two_fingertips_levels() -> None:
    assert z_value(F(95)) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(F(998, 10)) == pytest.approx(3.090232, abs=1e-6)


def test_wilson_reproduces_newcombe_and_altman_81_of_263() -> None:
    interval = wilson(F(81), F(263), F(95))
    assert (round(interval.lower, 3), round(interval.upper, 3)) == (0.255, 0.366)


@pytest.mark.parametrize(("observed", "total"), [(0, 10), (9, 100), (81, 263), (500, 1000), (20, 20)])
@pytest.mark.parametrize("level", [F(95), F(998, 10)])
def test_wilson_agrees_with_statsmodels(observed: int, total: int, level: F) -> None:
    interval = wilson(F(observed), F(total), level)
    low, high = statsmodels_proportion.proportion_confint(observed, total, alpha=1 - float(level) / 100,
                                                          method="wilson")
    assert interval.lower == pytest.approx(low, abs=1e-12)
    assert interval.upper == pytest.approx(high, abs=1e-12)


@pytest.mark.parametrize("count", [10, 11, 25, 53, 100, 389, 1000, 25000])
def test_byar_is_within_0_2_percent_of_the_exact_interval_for_counts_of_10_or_more(count: int) -> None:
    interval = byar(F(count), F(95))
    exact_lower = scipy_stats.chi2.ppf(0.025, 2 * count) / 2
    exact_upper = scipy_stats.chi2.ppf(0.975, 2 * count + 2) / 2
    assert abs(interval.lower - exact_lower) / exact_lower < 0.002
    assert abs(interval.upper - exact_upper) / exact_upper < 0.002


def test_byar_follows_its_formula_at_99_8_percent() -> None:
    z = z_value(F(998, 10))
    interval = byar(F(53), F(998, 10))
    assert interval.lower == pytest.approx(53 * (1 - 1 / (9 * 53) - z / (3 * 53 ** 0.5)) ** 3, rel=1e-15)
    assert interval.upper == pytest.approx(54 * (1 - 1 / (9 * 54) + z / (3 * 54 ** 0.5)) ** 3, rel=1e-15)
    assert byar(F(0), F(95)).lower == 0


def test_invalid_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        wilson(F(11), F(10), F(95))
    with pytest.raises(ValueError):
        byar(F(-1), F(95))


def test_benchmark_comparison_by_interval() -> None:
    interval = Interval(0.2, 0.3)
    assert compare(interval, F(1, 10)) == "higher"
    assert compare(interval, F(2, 5)) == "lower"
    assert compare(interval, F(1, 5)) == "similar"  # the limit itself is not outside


def _armitage(numerators: list[int], denominators: list[int]) -> tuple[float, float]:
    table = [[r, n - r] for r, n in zip(numerators, denominators, strict=True)]
    result = statsmodels_tables.Table(table).test_ordinal_association(row_scores=numpy.arange(1, 6),
                                                                      col_scores=numpy.array([1, 0]))
    total = sum(denominators)
    return result.zscore ** 2 * total / (total - 1), result.pvalue


@pytest.mark.parametrize(("numerators", "denominators"), [
    ([50, 55, 60, 70, 80], [1000] * 5),
    ([120, 118, 101, 96, 90], [900, 910, 905, 930, 950]),
    ([3, 9, 4, 8, 5], [40, 41, 39, 44, 40]),
])
def test_chi_squared_for_trend_agrees_with_statsmodels(numerators: list[int], denominators: list[int]) -> None:
    trend = proportion_trend([F(r) for r in numerators], [F(n) for n in denominators], F(95))
    statistic, _ = _armitage(numerators, denominators)
    assert trend.chi_squared == pytest.approx(statistic, rel=1e-9)
    assert trend.p_value == pytest.approx(scipy_stats.chi2.sf(statistic, 1), rel=1e-9)


def test_trend_words_and_levels() -> None:
    rising = [F(r) for r in (50, 55, 60, 70, 80)]
    thousand = [F(1000)] * 5
    assert proportion_trend(rising, thousand, F(95)).result == "increasing"  # chi-squared 9.53 > 3.84
    assert proportion_trend(rising, thousand, F(998, 10)).result == "no significant change"  # 9.53 <= 9.55
    falling = list(reversed(rising))
    assert proportion_trend(falling, thousand, F(95)).result == "decreasing"


def test_the_sign_check_overrides_a_significant_slope() -> None:
    # A strong rise, then a last point back below the first: the slope is positive, the change is not.
    numerators = [F(r) for r in (50, 150, 250, 300, 49)]
    trend = proportion_trend(numerators, [F(1000)] * 5, F(95))
    assert trend.chi_squared is not None and trend.chi_squared > 3.85
    assert trend.result == "no significant change"
    assert "does not lie on the side" in trend.reason


def test_cannot_be_calculated() -> None:
    four = proportion_trend([F(1)] * 4, [F(10)] * 4, F(95))
    assert (four.result, four.reason) == ("cannot be calculated", "4 points, fewer than 5")
    assert proportion_trend([F(1), F(2), F(3), F(4), F(12)], [F(10)] * 5, F(95)).result == "cannot be calculated"
    assert proportion_trend([F(0)] * 5, [F(10)] * 5, F(95)).result == "cannot be calculated"
    flat = [Interval(1.0, 1.0)] * 5
    assert interval_trend([F(1)] * 5, flat, F(95)).result == "cannot be calculated"


def test_interval_trend_is_a_weighted_regression() -> None:
    values = [F(v) for v in ("10.2", "10.9", "11.5", "12.8", "13.1")]
    intervals = [Interval(float(v) - 0.8, float(v) + 0.8) for v in values]
    trend = interval_trend(values, intervals, F(95))
    se = 1.6 / (2 * z_value(F(95)))
    x, y = numpy.arange(1, 6), numpy.array([float(v) for v in values])
    slope = numpy.polyfit(x, y, 1)[0]  # equal weights: ordinary least squares
    assert trend.slope == pytest.approx(slope, rel=1e-12)
    assert trend.chi_squared == pytest.approx(slope ** 2 * ((x - x.mean()) ** 2).sum() / se ** 2, rel=1e-12)
    assert trend.result == "increasing"


def test_results_are_deterministic() -> None:
    first = proportion_trend([F(r) for r in (3, 9, 4, 8, 5)], [F(40)] * 5, F(95))
    assert all(proportion_trend([F(r) for r in (3, 9, 4, 8, 5)], [F(40)] * 5, F(95)) == first for _ in range(5))
