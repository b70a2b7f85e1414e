"""CSV cells as every CSV report of lsprules writes them: formula-safe text, exact numbers, booleans.

The reference renderer (render/csv_out.py) writes them from Fractions, the compiled evaluator from integers;
both come here, so that the two give the same bytes.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction

from lsprules.core.diagnostics import InputError, did_you_mean, error
from lsprules.core.numbers import to_decimal

COLUMNS = ("area", "indicator", "title", "group", "period", "value", "previous_period", "previous_value", "change",
           "change_pct", "arrow", "target", "trajectory", "rag", "target_met", "on_trajectory", "rule_line",
           "discrepancies")


def chosen_columns(listed: str) -> tuple[str, ...]:
    """The CSV report's columns named in `listed` (comma-separated, e.g. `area,indicator,value,rag`), in its order.
    InputError E003 for a name that is not a column, one named twice, or none."""
    names = tuple(name.strip() for name in listed.split(","))
    for index, name in enumerate(names):
        if not name:
            raise InputError([error("E003", f"--columns '{listed}': an empty column name",
                                    hint="name the columns between commas, e.g. --columns area,indicator,value,rag")])
        if name not in COLUMNS:
            spaced = "separate the names with commas, e.g. --columns area,indicator" if name.split()[1:] else None
            raise InputError([error("E003", f"--columns: the CSV report has no column '{name}'",
                                    hint=spaced or did_you_mean(name, COLUMNS)
                                    or f"its columns are: {', '.join(COLUMNS)}")])
        if name in names[:index]:
            raise InputError([error("E003", f"--columns: '{name}' is named twice",
                                    hint="name each column once, in the order you want them")])
    return names

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str | None) -> str:
    """A text cell that a spreadsheet will show, not run: a leading formula character is quoted with '."""
    if not text:
        return ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_number(value: Fraction | None, places: int = 6) -> str:
    """A number cell: exact integers as they are, other values rounded to at most `places` places."""
    if value is None:
        return ""
    if value.denominator == 1:
        return str(value.numerator)
    text = format(to_decimal(value, places), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def csv_bool(value: bool | None) -> str:
    """true, false, or empty when unknown."""
    return "" if value is None else ("true" if value else "false")


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
