"""The shortcuts of core/numbers give what the Decimal arithmetic they stand for gives."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

from lsprules.core.numbers import exact, plain, rounded_text, shown, to_decimal


def _fractions(rng: random.Random, count: int) -> list[Fraction]:
    found = [Fraction(0), Fraction(1, 2), Fraction(-1, 2), Fraction(5, 100), Fraction(-5, 100), Fraction(1, 10**9),
             Fraction(-1, 10**9), Fraction(10**30), Fraction(-999999, 10**7), Fraction(95, 1000), Fraction(-4, 1000)]
    for _ in range(count):
        scale = 10 ** rng.randint(0, 12)
        found.append(Fraction(rng.randint(-10**rng.randint(0, 15), 10**rng.randint(0, 15)),
                              rng.choice([1, 3, 7, 10, 40, 1000, scale, rng.randint(1, 10**6)])))
    return found


def test_rounded_text_is_the_decimals_text() -> None:
    rng = random.Random(5)
    for value in _fractions(rng, 20000):
        for places in (0, 1, 2, 3, rng.randint(4, 12)):
            assert rounded_text(value, places) == str(to_decimal(value, places)), (value, places)
            assert shown(value, places) == str(to_decimal(value, places))
        text = str(to_decimal(value, 2))
        assert plain(value) == (text.rstrip("0").rstrip(".") if "." in text else text)


def test_exactness_at_some_places_is_the_decimal_comparison() -> None:
    # Facts.num asks whether a value is exact at `places` places by the denominator alone
    rng = random.Random(6)
    for value in _fractions(rng, 5000):
        for places in range(8):
            assert bool(10 ** places % value.denominator) == (to_decimal(value, places) != value), (value, places)


def test_exact_of_a_decimal_is_fractions() -> None:
    rng = random.Random(8)
    texts = ["0", "-0", "-0.0", "1E+3", "1.000", "-12.345", "0.0000001", "123456789012345678901234567890.5"]
    texts += [f"{rng.randint(-10**9, 10**9)}.{rng.randint(0, 10**6):06d}" for _ in range(2000)]
    for text in texts:
        value = exact(Decimal(text))
        assert value == Fraction(Decimal(text)) and type(value) is Fraction
        assert (value.numerator, value.denominator) == (Fraction(Decimal(text)).numerator,
                                                        Fraction(Decimal(text)).denominator)
    assert exact("2.5") == Fraction(5, 2) and exact(3) == Fraction(3)
