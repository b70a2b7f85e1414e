"""The sparkline's coordinates, worked out on integers, are those of the exact Fraction formula they replace."""

from __future__ import annotations

import random
from fractions import Fraction

from lsprules.core.periods import Period, PeriodKind
from lsprules.render.sparkline import HEIGHT, PAD, WIDTH, _Scale


def _fraction_xy(periods: list[Period], values: list[Fraction], period: Period, value: Fraction) -> tuple[str, str]:
    """The coordinates as the sparkline computed them before: Fraction arithmetic, then float."""
    first = min(p.index for p in periods)
    span = max(p.index for p in periods) - first
    low, high = min(values), max(values)
    scale = (high - low) or Fraction(1)
    if high == low:
        low -= Fraction(1, 2)
    share = Fraction(period.index - first, span) if span else Fraction(1, 2)
    x = PAD + (WIDTH - 2 * PAD) * share
    y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value - low) / scale
    return f"{float(x):.1f}", f"{float(y):.1f}"


def _value(rng: random.Random) -> Fraction:
    kind = rng.randrange(4)
    if kind == 0:
        return Fraction(rng.randint(-10**6, 10**6), 10 ** rng.randint(0, 4))  # a decimal from the data
    if kind == 1:
        return Fraction(rng.randint(-10**9, 10**9), rng.randint(1, 10**6))  # a quotient
    if kind == 2:
        return Fraction(rng.randint(-3, 3))
    return Fraction(rng.randint(-10**30, 10**30), rng.randint(1, 10**20))  # far beyond a float's digits


def test_coordinates_match_the_fraction_formula() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        count = rng.randint(1, 7)
        start = rng.randint(1990, 2030)
        periods = [Period(PeriodKind.FINANCIAL_YEAR, start + rng.randint(0, 12)) for _ in range(count)]
        same = rng.random() < 0.1
        one = _value(rng)
        values = [one if same else _value(rng) for _ in range(count)]
        scale = _Scale(periods, values)
        for period, value in zip(periods, values, strict=True):
            assert scale.xy(period, value) == _fraction_xy(periods, values, period, value)
        # the target's line may lie outside the values' range only when the scale was given it: not asked here
        assert scale.y(values[0]) == _fraction_xy(periods, values, periods[0], values[0])[1]


def test_ties_round_as_float_formatting_does() -> None:
    # y = 32 - 28 k/112 = 32 - k/4: every quarter, so that .25 and .75 (exact in binary) are ties, which a float
    # rounds to even ("20.2"), not up as decimal arithmetic would: the float's must be kept
    periods = [Period(PeriodKind.CALENDAR_YEAR, 2000 + i) for i in range(3)]
    for k in range(113):
        values = [Fraction(0), Fraction(1), Fraction(k, 112)]
        scale = _Scale(periods, values)
        assert scale.y(values[2]) == _fraction_xy(periods, values, periods[2], values[2])[1]
