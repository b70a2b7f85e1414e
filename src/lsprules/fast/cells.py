"""CSV cells exactly as render/csv_out.py writes them, from integers rather than Fractions."""

from __future__ import annotations

import csv
import io

from ..render.csv_out import safe_text

PLACES = 6
_ROUNDING = 10 ** PLACES
_QUOTED = (",", '"', "\n", "\r")  # a cell holding one of these goes through the csv module's own quoting


def ratio_text(numerator: int, denominator: int) -> str:
    """csv_number(Fraction(numerator, denominator)) for denominator > 0, without building a Fraction."""
    whole, rest = divmod(numerator, denominator)
    if not rest:
        return str(whole)
    negative = numerator < 0
    scaled, rest = divmod(abs(numerator) * _ROUNDING, denominator)
    if 2 * rest >= denominator:  # half away from zero, as numbers.to_decimal rounds
        scaled += 1
    if not scaled:
        return "0"
    digits = str(scaled).rjust(PLACES + 1, "0")
    text = (digits[:-PLACES] + "." + digits[-PLACES:]).rstrip("0").rstrip(".")
    return "-" + text if negative else text


def text_cells(*texts: str | None) -> str:
    """Text cells (made safe from formulas), joined and quoted as csv.writer quotes them."""
    cells = [safe_text(t) for t in texts]
    if not any(mark in cell for cell in cells for mark in _QUOTED):
        return ",".join(cells)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells + ["x"])  # "x": never a lone empty cell
    return buffer.getvalue()[:-len(",x\n")]
