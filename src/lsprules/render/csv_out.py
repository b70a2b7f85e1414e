"""The evaluation as CSV: one row per assessment, numbers as numbers, text cells safe from formula injection."""

from __future__ import annotations

import csv
import io
from fractions import Fraction

from ..interpreter import Assessment, Evaluation
from ..numbers import to_decimal

COLUMNS = ("area", "indicator", "title", "group", "period", "value", "previous_period", "previous_value", "change",
           "change_pct", "arrow", "target", "trajectory", "rag", "target_met", "on_trajectory", "rule_line",
           "discrepancies")

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


def assessment_row(a: Assessment) -> list[str]:
    """One assessment as CSV cells, in COLUMNS order."""
    discrepancies = "; ".join(f"{d.field} {d.period}: reported {d.reported}, computed {d.computed}"
                              for d in a.discrepancies)
    return [safe_text(a.area), safe_text(a.indicator), safe_text(a.title), safe_text(a.group),
            a.period.label if a.period else "", csv_number(a.value),
            safe_text(a.previous.name) if a.previous else "", csv_number(a.previous.value) if a.previous else "",
            csv_number(a.change), csv_number(a.change_pct), a.arrow, csv_number(a.target),
            csv_number(a.trajectory), a.rag or "na", csv_bool(a.target_met), csv_bool(a.on_trajectory),
            str(a.rule_line) if a.rule_line is not None else "", safe_text(discrepancies)]


def render_csv(evaluation: Evaluation) -> str:
    """The whole evaluation as CSV text with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(assessment_row(a) for a in evaluation.assessments)
    return buffer.getvalue()
