"""The evaluation as CSV: one row per assessment, numbers as numbers, text cells safe from formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence

from lsprules.core.csv_cells import COLUMNS, csv_bool, csv_number, safe_text
from lsprules.engine.interpreter import Assessment, Evaluation, EvaluationStream
from lsprules.render.areas import AreasView


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


def render_csv(evaluation: Evaluation, columns: Sequence[str] = COLUMNS) -> str:
    """The whole evaluation as CSV text with a header row (of `columns`, in their order)."""
    return "".join(csv_chunks(evaluation.stream(), columns))


def csv_chunks(evaluation: EvaluationStream, columns: Sequence[str] = COLUMNS) -> Iterator[str]:
    """The CSV text in pieces: the header row, then a piece per part of the stream; only `columns`, in their
    order (core/csv_cells.chosen_columns)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    yield buffer.getvalue()
    row = assessment_row if tuple(columns) == COLUMNS else _projection(columns)
    for part in evaluation.parts:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(row(a) for a in part.assessments)
        yield buffer.getvalue()


def _projection(columns: Sequence[str]) -> Callable[[Assessment], list[str]]:
    """assessment_row's cells of `columns` only."""
    places = [COLUMNS.index(name) for name in columns]

    def row(a: Assessment) -> list[str]:
        cells = assessment_row(a)
        return [cells[place] for place in places]
    return row


def render_areas_csv(view: AreasView) -> str:
    """Areas side by side as CSV: a row per area with its theme ratings (and the previous ones), counts by RAG
    band, ranks within comparator groups, and each indicator's RAG and arrow."""
    themes = dict.fromkeys(t.theme for line in view.lines for t, _ in line.themes)
    header = ["area"] + [f"{kind}:{theme}" for theme in themes for kind in ("theme", "previous_theme")]
    header += [f"count:{band.replace('/', '')}" for band in view.bands] + [f"rank:{group}" for group in view.groups]
    header += [f"{kind}:{c.indicator}" for c in view.columns for kind in ("rag", "arrow")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(safe_text(h) for h in header)
    for line in view.lines:
        by_theme = {t.theme: (t, b) for t, b in line.themes}
        row = [safe_text(line.area)]
        for theme in themes:
            now, before = by_theme.get(theme, (None, None))
            row += [now.rating or "na" if now else "", before.rating or "na" if before else ""]
        row += [str(n) for n in line.counts] + [str(r.place) if r else "" for r in line.ranks]
        row += [cell for a in line.cells for cell in ((a.rag or "na", a.arrow) if a else ("", ""))]
        writer.writerow(row)
    return buffer.getvalue()
