"""The HTML report as a folder of pages, for runs of many areas (a national run of 35,000 areas as one page is
hundreds of megabytes, which no browser opens): index.html lists every area with its theme ratings and its
counts by RAG band and arrow, to sort and filter; each area has a page of its own under areas/, linked from it.

Each page is the one-page report's HTML for one area (the same escaping, the same policy forbidding scripts;
only the index runs the areas view's sorting script, allowed by its hash), with the key and sources of what it
shows. Pages are written as the areas are assessed and the index's rows are spooled meanwhile, so memory does
not grow with the areas. File names are made from the area names, safe on every file system, and unique.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lsprules.audit.provenance import Provenance
from lsprules.engine.interpreter import ARROW_SYMBOLS, Evaluation
from lsprules.render.areas import BAND_ORDER, NO_BAND, band_heading
from lsprules.render.context import ReportContext, ReportStream
from lsprules.render.html import (
    AREAS_SCRIPT,
    AREAS_STYLE,
    area_html,
    context_html,
    css_word,
    esc,
    footer_html,
    key_html,
    meta_html,
    page_end,
    page_start,
    rating_class,
    rating_rank,
)
from lsprules.render.sections import ARROW_WORDS, arrange, rating_label

INDEX = "index.html"
AREAS = "areas"  # the folder of the areas' pages
WRITTEN = (INDEX, AREAS)  # every name the output puts in its folder (beside core.files.FOLDER_MARK)
_LONGEST = 60  # characters of a file name made from an area name, before the .html
# Names Windows keeps for devices, with any extension: a page must not be called con.html.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_READ = 1024 * 1024
NAV_STYLE = "\nnav { margin: 0 0 8px; } nav a { color: #1f4e79; }\n"


@dataclass(frozen=True)
class Page:
    """One file of the folder: its path inside the folder ('/'-separated) and its text in pieces."""

    path: str
    chunks: Iterator[str]


class FileNames:
    """A file name for each area, made from its name and unique among the names given so far (in the order
    asked, so the same run gives the same names): 'Redcar & Cleveland' is redcar-cleveland.html, the next
    area whose name makes the same is redcar-cleveland-2.html."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def name(self, area: str) -> str:
        """The file name of this area's page."""
        stem = slug(area)
        candidate, n = stem, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{stem}-{n}"
        self.taken.add(candidate)
        return candidate + ".html"


def slug(name: str) -> str:
    """An area's name as a file name stem: ASCII lower-case letters, digits and single hyphens, at most
    _LONGEST characters, never empty, never a name Windows keeps for a device."""
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:_LONGEST].rstrip("-") or "area"
    return f"area-{stem}" if stem in _RESERVED else stem


@dataclass(frozen=True)
class AreaPage:
    """What one area puts in the folder: its name, its page, and its line's cells in the index after its name."""

    area: str
    page: str
    cells: str


class PageWriter:
    """Each area's page and index cells, as the areas come (in this process or a worker's): the pages of
    `provenance`, under the report's `heading`, counting `bands` and showing `themes` in the index."""

    def __init__(self, *, provenance: Provenance, heading: str, bands: tuple[str, ...],
                 themes: tuple[tuple[str, str], ...]):
        self.provenance, self.heading = provenance, heading
        self.columns, self.themes = _band_columns(bands), themes

    def areas(self, evaluation: Evaluation, context: ReportContext) -> Iterator[AreaPage]:
        """The pages of one part's areas (its context holds their own key and sources: report_stream's `own`)."""
        for area in arrange(evaluation):
            part = Evaluation(evaluation.rules_file, evaluation.period,
                              tuple(a for a in evaluation.assessments if a.area == area.area),
                              tuple(t for t in evaluation.themes if t.area == area.area))
            yield AreaPage(area.area, _area_page(part, context, self.provenance, self.heading),
                           _index_cells(part, context, self.columns, self.themes))

    def seen(self) -> frozenset[str]:
        """Nothing: the index needs only the run's context (as render/streamed.AreaWriter.seen)."""
        return frozenset()


def html_pages(report: ReportStream, provenance: Provenance, bands: tuple[str, ...],
               themes: tuple[tuple[str, str], ...]) -> Iterator[Page]:
    """The folder's files: a page per area as the areas are assessed, then the index. `bands` are the RAG
    bands the rules can give and `themes` the id and title of each of their themes (the index's columns, known
    before the first area)."""
    writer = PageWriter(provenance=provenance, heading=_heading(report), bands=bands, themes=themes)
    made = (page for evaluation, context in report.parts for page in writer.areas(evaluation, context))
    return folder_pages(made, report, provenance, bands, themes)


def _heading(report: ReportStream) -> str:
    """The heading of every page: the dataset's title."""
    return report.before.heading


def folder_pages(made: Iterable[AreaPage], report: ReportStream, provenance: Provenance, bands: tuple[str, ...],
                 themes: tuple[tuple[str, str], ...]) -> Iterator[Page]:
    """The folder's files from the areas' pages in order (`report` gives the index its period and, once the
    pages are written, the run's key and sources): each area's page under its file name, then the index."""
    names = FileNames()
    columns = _band_columns(bands)
    with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY, mode="w+", encoding="utf-8", newline="") as rows:
        count = 0
        for area in made:
            link = f"{AREAS}/{names.name(area.area)}"
            yield Page(link, iter([area.page]))
            rows.write(f'<tr><th scope="row"><a href="{esc(link)}">{esc(area.area)}</a></th>{area.cells}</tr>\n')
            count += 1
        yield Page(INDEX, _index(report, provenance, _heading(report), rows, count, columns, themes))


def _band_columns(bands: tuple[str, ...]) -> tuple[str, ...]:
    """The index's count columns: the usual bands in their order, any others, then n/a."""
    return tuple(b for b in BAND_ORDER if b in bands) + tuple(b for b in bands if b not in BAND_ORDER) + (NO_BAND,)


def _area_page(evaluation: Evaluation, context: ReportContext, provenance: Provenance, heading: str) -> str:
    """One area's page: the one-page report's HTML for that area alone, with a way back to the index; its
    context holds the key and sources of this area alone (report_stream's `own`)."""
    area = arrange(evaluation)[0]
    title = f"{area.area} — {heading}"
    body = [f'<nav><a href="../{INDEX}">← All areas</a></nav>',
            f"<header><h1>{esc(heading)}</h1>{meta_html(evaluation.period, context)}</header>",
            area_html(area, evaluation.rules_file, context), context_html(context), key_html(context),
            footer_html(provenance)]
    return page_start(title, NAV_STYLE) + "\n".join(b for b in body if b) + page_end()


def _index_cells(evaluation: Evaluation, context: ReportContext, bands: tuple[str, ...],
                 themes: tuple[tuple[str, str], ...]) -> str:
    """An area's cells in the index after its name: theme ratings, counts by band and arrow."""
    cells = []
    rated = {t.theme: t for t in evaluation.themes}
    for theme_id, _ in themes:
        theme = rated.get(theme_id)
        if theme is None:
            cells.append('<td data-sort="-1"></td>')
            continue
        before = context.previous_of(theme)
        earlier = f"{esc(rating_label(before.rating))} → " if before is not None else ""
        cells.append(f'<td data-sort="{rating_rank(theme)}">{earlier}<strong class="pill '
                     f'{rating_class(theme.rating)}">{esc(rating_label(theme.rating))}</strong></td>')
    rags = Counter(a.rag or NO_BAND for a in evaluation.assessments)
    arrows = Counter(a.arrow for a in evaluation.assessments)
    cells += [f'<td class="num">{rags[b]}</td>' for b in bands]
    cells += [f'<td class="num">{arrows[k]}</td>' for k in ARROW_WORDS]
    return "".join(cells)


def _index(report: ReportStream, provenance: Provenance, heading: str, rows: tempfile.SpooledTemporaryFile[str],
           count: int, bands: tuple[str, ...], themes: tuple[tuple[str, str], ...]) -> Iterator[str]:
    """index.html in pieces: every area's line (read back from the spool), then the run's key and sources."""
    after = report.after()
    period = report.period.label if report.period else "the latest period"
    head = ['<th scope="col">Area</th>'] + [f'<th scope="col">{esc(t)} rating</th>' for _, t in themes]
    head += [f'<th class="num" scope="col">{esc(band_heading(b))}</th>' for b in bands]
    head += [f'<th class="num" scope="col" title="{esc(w)}"><span class="arrow-{css_word(k)}">'
             f'{esc(ARROW_SYMBOLS[k])}</span> {esc(w)}</th>' for k, w in ARROW_WORDS.items()]
    yield page_start(heading, AREAS_STYLE, AREAS_SCRIPT)
    yield (f"<header><h1>{esc(heading)}</h1><p class=\"meta\">Assessed at <strong>{esc(period)}</strong> · "
           f"{count} areas, each with a page of its own · click a heading to sort, type to filter</p>"
           + (f'<p class="meta">Source: {esc(after.source)}</p>' if after.source else "") + "</header>\n"
           '<p class="filter"><label>Filter <input id="filter" type="search" placeholder="area, rating…">'
           "</label></p>\n"
           f'<div class="wide"><table id="areas">\n<thead><tr>{"".join(head)}</tr></thead>\n<tbody>\n')
    rows.seek(0)
    while chunk := rows.read(_READ):
        yield chunk
    tail = [context_html(after), key_html(after), footer_html(provenance)]
    yield "</tbody>\n</table></div>" + "".join("\n" + t for t in tail if t) + page_end(AREAS_SCRIPT)
