"""Exact numbers: data and rule numbers are exact decimals, arithmetic is exact rational arithmetic.

Shown results are rounded half away from zero (the way people round by hand) to a fixed number of places.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

HUNDRED = Fraction(100)


def exact(value: Decimal | int | str) -> Fraction:
    """An exact rational from a decimal, integer or decimal text (never from a float)."""
    if type(value) is Decimal and value.is_finite():
        # The same Fraction as Fraction(value), which first asks (slowly, through the ABCs) whether a Decimal is a
        # Rational: every value of a dataset comes through here.
        return Fraction(*value.as_integer_ratio())
    return Fraction(value)


def to_decimal(value: Fraction, places: int) -> Decimal:
    """Round an exact value half away from zero to `places` decimal places."""
    # Integer arithmetic on the numerator and denominator: what Fraction's operators would do, without building
    # the intermediate Fractions (this runs for every number every output shows).
    numerator, denominator = value.numerator, value.denominator
    whole, remainder = divmod(abs(numerator) * 10 ** places, denominator)
    if remainder * 2 >= denominator:
        whole += 1
    # Decimal(0) has no sign, so a value that rounds to zero never shows as "-0.0". Decimal reads the digits
    # exactly: the text builds the result without the 28-digit context that scaleb/quantize would use.
    return Decimal(f"{'-' if numerator < 0 and whole else ''}{whole}E-{places}")


def rounded_text(value: Fraction, places: int) -> str:
    """str(to_decimal(value, places)), written from the rounded digits without making the Decimal (reports show
    hundreds of thousands of numbers, most of them recurring: each text is made once, see ratio_text)."""
    return ratio_text(value.numerator, value.denominator, places)


@lru_cache(maxsize=1 << 16)
def ratio_text(numerator: int, denominator: int, places: int) -> str:
    """rounded_text of numerator / denominator (denominator > 0, the two need not be in lowest terms), remembered:
    a national report shows a few thousand distinct numbers hundreds of thousands of times (keyed by integers,
    whose hash is cheap, where a Fraction's is not)."""
    if places <= 0:
        return str(to_decimal(Fraction(numerator, denominator), places))
    whole, remainder = divmod(abs(numerator) * 10 ** places, denominator)
    if remainder * 2 >= denominator:
        whole += 1
    digits = str(whole)
    if len(digits) - 1 - places < -6:  # Decimal writes such a small number with an exponent (1E-8)
        return str(to_decimal(Fraction(numerator, denominator), places))
    sign = "-" if numerator < 0 and whole else ""
    if len(digits) > places:
        return f"{sign}{digits[:-places]}.{digits[-places:]}"
    return f"{sign}0.{digits.rjust(places, '0')}"


def shown(value: Fraction | None, places: int = 1) -> str:
    """Text for a value rounded half away from zero to `places` places; '–' when unknown."""
    if value is None:
        return "–"
    return rounded_text(value, places)


def json_number(value: Fraction | None, places: int = 6) -> int | float | None:
    """A JSON number: an int when whole, else the value rounded to at most `places` places."""
    if value is None:
        return None
    if value.denominator == 1:
        return value.numerator
    rounded = to_decimal(value, places).normalize()
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def places_of(value: Decimal) -> int:
    """How many places a finite number has after the point (negative for one like 1E+2)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # 'n', 'N' or 'F' only for NaN and infinity, which no reader produces
    return -exponent


def matches_printed(printed: Decimal, computed: Fraction) -> bool:
    """Whether a printed figure agrees with a computed value at the printed figure's precision."""
    places = max(0, places_of(printed))
    # Decimal equality is exact and numeric (2.50 == 2.5): no quantize, whose 28-digit context would fail on a
    # figure printed with 30 places.
    return printed.is_finite() and to_decimal(computed, places) == printed


def plain(value: Fraction | None, places: int = 2) -> str:
    """Text for explanations: whole numbers as they are, others to at most `places` places."""
    if value is None:
        return "–"
    text = rounded_text(value, places)
    return text.rstrip("0").rstrip(".") if "." in text else text
