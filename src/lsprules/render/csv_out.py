"""The evaluation as CSV: one row per assessment, numbers as numbers, text cells safe from formula injection."""

from __future__ import annotations

import csv
import io

from lsprules.core.csv_cells import COLUMNS, csv_bool, csv_number, safe_text
from lsprules.engine.interpreter import Assessment, Evaluation


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
