"""Numbers and results in words for the auditor's outputs (explain, diff, rule tests): exact where it matters."""

from __future__ import annotations

from fractions import Fraction

from lsprules.core.numbers import HUNDRED, to_decimal
from lsprules.engine.interpreter import ARROW_SYMBOLS

ARROW_WORDS = {"up": "▲ improved", "static": "◀▶ static", "down": "▼ worse", "peak": "★ peak", "na": "n/a (no arrow)"}
MINUS = "−"  # a real minus sign: reads better than a hyphen in prose


def exact_text(value: Fraction | None) -> str:
    """A number exactly when it has a finite decimal form (1339.6125), else to 4 places with '≈'."""
    if value is None:
        return "–"
    # The places of a finite decimal are the larger power of 2 or 5 in the denominator: counted once, rather
    # than multiplying by ever larger powers of ten (quadratic in the places).
    denominator = value.denominator
    twos = (denominator & -denominator).bit_length() - 1
    rest, fives = denominator >> twos, 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return "≈" + _trimmed(str(to_decimal(value, 4)))
    return _trimmed(str(to_decimal(value, max(twos, fives))))


def signed_text(value: Fraction) -> str:
    """An exact number with its sign: +44, −3.5."""
    text = exact_text(abs(value))
    return (MINUS if value < 0 else "+") + text


def percent_change(value: Fraction, base: Fraction) -> str:
    """The change from `base` to `value` in per cent of `base`, to one place: '+19.0 %'; '' when base is 0."""
    if base == 0:
        return ""
    change = (value - base) / abs(base) * HUNDRED
    places = 1
    while to_decimal(abs(change), places) == 0 and change != 0 and places < 4:
        places += 1  # a small change still shows: +0.02 %, not +0.0 %
    text = str(to_decimal(abs(change), places))
    return f"{MINUS if change < 0 else '+'}{text} %"


def count_words(n: int, word: str) -> str:
    """'1 case', '3 cases'."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def arrow_text(arrow: str) -> str:
    """An arrow as symbol and word: '▼ worse'."""
    return ARROW_WORDS.get(arrow, ARROW_SYMBOLS.get(arrow, arrow))


def band_text(band: str | None) -> str:
    """A RAG band or rating, 'n/a' when there is none."""
    return "n/a" if band is None else band


def _trimmed(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("-", MINUS)
