"""The evaluation as a Word document laid out as a council committee report: title, key, a table per section
with RAG cells shaded and worded, comments and sources, and the provenance in the page footer.

Word files are zip archives whose entries carry the time they were written; they are rewritten here with one
fixed time, and the document's own dates fixed too, so that the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from lsprules.audit.provenance import Provenance
from lsprules.engine.interpreter import ARROW_SYMBOLS, Assessment, Evaluation, ThemeResult
from lsprules.render.areas import AreasView, band_heading, cell_text
from lsprules.render.context import ReportContext, with_unit
from lsprules.render.sections import (
    ARROW_WORDS,
    AreaReport,
    Section,
    arrange,
    band_label,
    notes_for,
    number_text,
    qualified_discrepancies,
    rating_label,
    theme_summary,
    theme_verdict,
    value_text,
)

if TYPE_CHECKING:
    from docx.document import Document
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.shared import Length
    from docx.table import Table, _Cell, _Row
    from docx.text.paragraph import Paragraph

# Fill and text colours of RAG cells and theme ratings: the same as the HTML report's.
FILLS = {"green": ("1E7B34", "FFFFFF"), "amber": ("F0A030", "111111"), "red": ("B3261E", "FFFFFF"),
         "blue": ("1F4E79", "FFFFFF"), "GREEN": ("1E7B34", "FFFFFF"), "AMBER_GREEN": ("C9D13A", "111111"),
         "AMBER_RED": ("F0A030", "111111"), "RED": ("B3261E", "FFFFFF")}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


def render_docx(evaluation: Evaluation, provenance: Provenance, context: ReportContext | None = None) -> bytes:
    """The whole report as the bytes of a .docx file."""
    import docx

    context = context or ReportContext()
    document = _landscape(docx.Document())
    heading = context.heading
    document.add_heading(heading, level=0)
    assessed = evaluation.period.label if evaluation.period else "the latest period"
    kind = f" · periods are {context.period_kind.replace('_', ' ')}s" if context.period_kind else ""
    document.add_paragraph(f"Assessed at {assessed}{kind}.")
    if context.source:
        document.add_paragraph(f"Source: {context.source}")
    _key(document, context)
    for report in arrange(evaluation):
        _area(document, report, evaluation.rules_file, context)
    _comments(document, context)
    _footer(document, provenance)
    return _saved(document, heading, provenance)


def _landscape(document: Document) -> Document:
    """The document on A4 landscape with 15 mm margins, in 10 pt type."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Mm(15)
    document.styles["Normal"].font.size = Pt(10)
    return document


def _saved(document: Document, heading: str, provenance: Provenance) -> bytes:
    """The document's bytes, its properties and zip entries dated FIXED_TIME."""
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = heading, provenance.engine, provenance.engine
    properties.created = properties.modified = datetime(*FIXED_TIME)
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_times(buffer.getvalue())


def _area(document: Document, report: AreaReport, rules_file: str, context: ReportContext) -> None:
    document.add_heading(report.area, level=1)
    for theme in report.themes:
        _theme(document, theme, rules_file, context)
    for section in report.sections:
        _section(document, section, context)
    found = qualified_discrepancies(report)
    if found:
        document.add_heading("Where the printed report and its data disagree", level=3)
        for name, text in found:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{name}: ").bold = True
            paragraph.add_run(text)


def _theme(document: Document, theme: ThemeResult, rules_file: str, context: ReportContext) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(f"{theme.title} theme assessment: ").bold = True
    before = context.previous_of(theme)
    if before is not None and before.period is not None and theme.period is not None:
        paragraph.add_run(f"{before.period.label} ")
        _rating_run(paragraph, before.rating)
        paragraph.add_run(f" → {theme.period.label} ")
    _rating_run(paragraph, theme.rating)
    detail = [theme_summary(theme)]
    if theme.rule_line:
        detail.append(f"decided by {rules_file} line {theme.rule_line}")
    verdict = theme_verdict(theme)
    if verdict:
        detail.append(verdict)
    document.add_paragraph("; ".join(detail) + ".")


def _rating_run(paragraph: Paragraph, rating: str | None) -> None:
    from docx.shared import RGBColor

    run = paragraph.add_run(f" {rating_label(rating)} ")
    run.bold = True
    fill, ink = FILLS.get(rating or "", ("E0E0E0", "111111"))
    run.font.color.rgb = RGBColor.from_string(ink)
    _shade(run._r.get_or_add_rPr(), fill)


def _section(document: Document, section: Section, context: ReportContext) -> None:
    """One group: latest value, arrow and RAG first, then target, trajectory, earlier values and comments."""
    from docx.shared import Mm

    document.add_heading(section.title, level=2)
    earlier = [p.label for p in section.periods[:-1]]
    latest = section.periods[-1].label if section.periods else "Value"
    header = ["Indicator", latest, "Arrow", "RAG", "Target", "Trajectory", *earlier, "Comments"]
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _text(cell, text, bold=True)
        _shade(cell._tc.get_or_add_tcPr(), "EEF1F5")
    _repeat_header(table.rows[0])
    for a in section.rows:
        _assessment_row(table.add_row().cells, a, section, context)
    widths = [Mm(50), Mm(17), Mm(21), Mm(22), Mm(16), Mm(20)] + [Mm(17)] * len(earlier)
    _widths(table, widths + [Mm(max(40, 267 - sum(w.mm for w in widths)))])


def _widths(table: Table, widths: Sequence[Length]) -> None:
    """Fixed column widths (Word and LibreOffice read the grid's, the columns' and the cells' widths)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _assessment_row(cells: Sequence[_Cell], a: Assessment, section: Section, context: ReportContext) -> None:
    values = dict(a.series)

    def value(i: int) -> str:
        return with_unit(value_text(values.get(section.periods[i]), a.decimals), a.unit)

    texts: list[tuple[str, Callable[[_Cell], None] | None]] = [(a.title, None)]
    texts.append((value(len(section.periods) - 1) if section.periods else "", None))
    texts.append((f"{ARROW_SYMBOLS[a.arrow]} {ARROW_WORDS[a.arrow]}", None))
    texts.append((band_label(a.rag), _rag_fill(a.rag)))
    texts.append((with_unit(number_text(a.target, a.decimals), a.unit), None))
    texts.append((with_unit(number_text(a.trajectory, a.decimals), a.unit), None))
    texts += [(value(i), None) for i in range(len(section.periods) - 1)]
    texts.append(("\n".join(notes_for(a, context.of(a))), None))
    for i, (cell, (text, fill)) in enumerate(zip(cells, texts, strict=True)):
        _text(cell, text, bold=i in (1, 3), right=0 < i < len(texts) - 1 and i not in (2, 3))
        if fill is not None:
            fill(cell)


def _rag_fill(rag: str | None) -> Callable[[_Cell], None] | None:
    if rag not in FILLS:
        return None
    fill, ink = FILLS[rag or ""]

    def paint(cell: _Cell) -> None:
        from docx.shared import RGBColor

        _shade(cell._tc.get_or_add_tcPr(), fill)
        for run in cell.paragraphs[0].runs:
            run.font.color.rgb = RGBColor.from_string(ink)

    return paint


def _text(cell: _Cell, text: str, bold: bool = False, right: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = cell.paragraphs[0]
    for i, line in enumerate(text.split("\n")):
        if i:
            paragraph = cell.add_paragraph()
        run = paragraph.add_run(line)
        run.bold = bold
        run.font.size = Pt(8.5)
        if right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _shade(properties: BaseOxmlElement, fill: str) -> None:
    """Give a cell's or run's properties a solid background."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _repeat_header(row: _Row) -> None:
    """Repeat a table's header row on every page it runs onto."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def _key(document: Document, context: ReportContext) -> None:
    from docx.shared import Mm

    if not context.key:
        return
    document.add_heading("Key", level=2)
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for term, meaning in context.key:
        term_cell, meaning_cell = table.add_row().cells
        _text(term_cell, term, bold=True)
        _text(meaning_cell, meaning)
        paint = _rag_fill(term.lower()) if term.isupper() else None
        if paint is not None:
            paint(term_cell)
    _widths(table, [Mm(40), Mm(227)])


def _comments(document: Document, context: ReportContext) -> None:
    if context.notes:
        document.add_heading("Comments", level=2)
        for note in context.notes:
            document.add_paragraph(note, style="List Bullet")
    if context.sources:
        document.add_paragraph("Sources: " + "; ".join(context.sources) + ".")


def _footer(document: Document, provenance: Provenance) -> None:
    from docx.shared import Pt

    footer = document.sections[0].footer
    paragraph = footer.paragraphs[0]
    for i, line in enumerate(provenance.lines()):
        run = paragraph.add_run(("\n" if i else "") + line.strip())
        run.font.size = Pt(6.5)


def _fixed_times(data: bytes) -> bytes:
    """The same zip archive with every entry dated FIXED_TIME, so the bytes depend only on the content."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), source.read(info.filename),
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def render_areas_docx(view: AreasView, provenance: Provenance, context: ReportContext) -> bytes:
    """Areas side by side as a Word document: a table of theme ratings, counts and ranks, then a table of each
    indicator's arrow and RAG per area (columns numbered, the numbers named below), shaded by band."""
    import docx
    from docx.shared import Mm

    document = _landscape(docx.Document())
    heading = f"{context.heading}: areas compared"
    document.add_heading(heading, level=0)
    period = view.period.label if view.period else "the latest period"
    document.add_paragraph(f"Assessed at {period} · {len(view.lines)} areas.")
    header = ["Area", *(f"{t} rating" for t in view.themes), *(band_heading(b) for b in view.bands),
              *(f"Rank: {g}" for g in view.groups)]
    rows = [[line.area, *(f"{rating_label(b.rating)} → {rating_label(t.rating)}" if b else rating_label(t.rating)
                          for t, b in line.themes), *(str(n) for n in line.counts),
             *(str(r) if r else "" for r in line.ranks)] for line in view.lines]
    _grid(document, header, rows)
    document.add_heading("Every indicator", level=2)
    document.add_paragraph("Each cell is the arrow, then the RAG band, shaded in its colour; the columns are "
                           "numbered as listed below the table.")
    numbers = [str(i) for i in range(1, len(view.columns) + 1)]
    table = _grid(document, ["Area", *numbers], [[line.area, *(cell_text(c) for c in line.cells)]
                                                 for line in view.lines])
    for row, line in zip(table.rows[1:], view.lines, strict=True):
        for cell, a in zip(row.cells[1:], line.cells, strict=True):
            paint = _rag_fill(a.rag) if a is not None else None
            if paint is not None:
                paint(cell)
    _widths(table, [Mm(45)] + [Mm(min(20, 222 / max(1, len(numbers))))] * len(numbers))
    for number, column in zip(numbers, view.columns, strict=True):
        document.add_paragraph(f"{number}  {column.title} ({column.section})")
    _key(document, context)
    _footer(document, provenance)
    return _saved(document, heading, provenance)


def _grid(document: Document, header: list[str], rows: list[list[str]]) -> Table:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _text(cell, text, bold=True)
        _shade(cell._tc.get_or_add_tcPr(), "EEF1F5")
    _repeat_header(table.rows[0])
    for values in rows:
        for i, (cell, text) in enumerate(zip(table.add_row().cells, values, strict=True)):
            _text(cell, text, right=i > 0 and text[:1].isdigit())
    return cast("Table", table)
