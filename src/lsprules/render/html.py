"""The evaluation as one self-contained HTML file: no external files, prints on A4; no scripts, but for the
small one that sorts and filters the areas view, allowed by its hash alone.

On a phone the indicator's name stays in view (sticky) and the latest value, arrow and RAG come right after
it; the earlier values, the trend and the comments follow. In print, tables flow across pages (a page never
holds only a heading) and the comments column is wide enough to read.

Safety: every text from rules or data passes through `esc` (html.escape, quotes included) on its way in, and
the page's Content-Security-Policy forbids scripts altogether, so a `<script>` planted in a title neither runs
nor survives as markup. Accessibility: RAG is shown by colour *and* by word and shape; arrows carry words.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterator

from lsprules.audit.provenance import Provenance, git_words
from lsprules.core.periods import Period
from lsprules.engine.interpreter import ARROW_SYMBOLS, Assessment, Evaluation, ThemeResult
from lsprules.render.areas import AreasView, band_heading
from lsprules.render.context import ReportContext, ReportStream, with_unit
from lsprules.render.sections import (
    ARROW_WORDS,
    BAND_SHAPES,
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
from lsprules.render.sparkline import sparkline_svg
from lsprules.render.streamed import written

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --ink: #1b1b1b; --muted: #5f6368; --rule: #d0d4d9; --head: #eef1f5; }
* { box-sizing: border-box; }
body { font: 14px/1.45 "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 24px auto;
       max-width: 1200px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 19px; border-bottom: 2px solid var(--ink); padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.meta, .summary, footer { color: var(--muted); }
.theme { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; border: 1px solid var(--rule);
         border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
.theme .name { font-weight: 600; font-size: 16px; }
.pill { display: inline-block; font-weight: 700; padding: 3px 10px; border-radius: 4px; letter-spacing: .03em;
        border: 1px solid rgba(0,0,0,.25); }
.rating-green { background: #1e7b34; color: #fff; }
.rating-amber-green { background: #c9d13a; color: #111; }
.rating-amber-red { background: #f0a030; color: #111; }
.rating-red { background: #b3261e; color: #fff; }
.rating-other { background: #e0e0e0; color: #111; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 6px; vertical-align: middle; text-align: left; }
thead th { background: var(--head); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { white-space: nowrap; }
thead th.period { white-space: normal; }  /* 2005/06-Q1 may wrap after its hyphen */
tbody th { min-width: 12em; position: sticky; left: 0; background: #fff; z-index: 1; }
thead th:first-child { position: sticky; left: 0; z-index: 2; }
td.latest { font-weight: 700; }
td.missing { color: var(--muted); }
td.arrow { font-size: 15px; white-space: nowrap; text-align: center; }
.arrow-up { color: #1e7b34; } .arrow-down { color: #b3261e; } .arrow-static { color: #8a6d00; }
.arrow-peak { color: #1f4e79; } .arrow-na { color: var(--muted); font-size: 12px; }
.rag { display: inline-block; min-width: 78px; font-weight: 700; font-size: 12px; padding: 2px 6px;
       border-radius: 3px; white-space: nowrap; border: 1px solid rgba(0,0,0,.25); }
.rag-green { background: #1e7b34; color: #fff; }
.rag-amber { background: #f0a030; color: #111; }
.rag-red { background: #b3261e; color: #fff; }
.rag-blue { background: #1f4e79; color: #fff; }
.rag-grey, .rag-gray { background: #9e9e9e; color: #111; }
.rag-purple { background: #5b2a86; color: #fff; }
.rag-dark-green { background: #0b4f1f; color: #fff; }
.rag-light-green { background: #8fd19e; color: #111; }
.rag-amber-green { background: #c9c92a; color: #111; }
.rag-amber-red { background: #e8602c; color: #111; }
.rag-yellow { background: #f5e050; color: #111; }
.rag-other { background: #e0e0e0; color: #111; }
.rag-na { background: transparent; color: var(--muted); font-weight: 400; border-color: transparent; }
td.comments { font-size: 12px; color: var(--muted); min-width: 16em; max-width: 300px; }
.key dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 4px 0; }
.key dt { font-weight: 700; } .key dd { margin: 0; }
.context li { margin: 2px 0; }
.previous { color: var(--muted); font-weight: 600; }
.ratings { display: inline-flex; flex-wrap: wrap; align-items: center; gap: 6px; }
@media (max-width: 700px) {
  body { margin: 8px auto; padding: 0 8px; font-size: 13px; }
  tbody th { min-width: 8.5em; max-width: 10.5em; font-size: 12px; }
  .rag { min-width: 0; } th, td { padding: 3px 4px; }
}
td.comments .warn, .discrepancies li { color: #8c1d18; }
.spark { display: block; }
.wide { overflow-x: auto; }  /* many periods: the table scrolls on screen rather than the page */
.discrepancies { border-left: 4px solid #b3261e; padding: 2px 12px; background: #fdf3f2; }
footer { border-top: 1px solid var(--rule); margin-top: 28px; padding-top: 8px; font-size: 12px; }
footer code { font-size: 11px; word-break: break-all; }
.sr { position: absolute; left: -9999px; }
@page { size: A4 portrait; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 8.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { font-size: 13pt; } h3 { break-after: avoid; } .wide { overflow: visible; }
  thead { display: table-header-group; } tr { break-inside: avoid; }
  th, td { padding: 2px 3px; } .spark { width: 72px; height: 22px; }
  tbody th { position: static; min-width: 0; }
  td.comments { min-width: 50mm; max-width: none; }
}
"""


def esc(text: object) -> str:
    """Text made safe for HTML content and attribute values."""
    if type(text) is str and not _ESCAPED.search(text):  # most cells (numbers, words): html.escape's five passes
        return text
    return html.escape(str(text), quote=True)


_ESCAPED = re.compile("[&<>\"']")  # what html.escape(quote=True) replaces


def css_word(word: str | None) -> str:
    """A band or rating word as a CSS class suffix: lower case letters, digits and hyphens only."""
    return re.sub(r"[^a-z0-9-]", "", (word or "na").lower().replace("_", "-")) or "other"


def render_html(evaluation: Evaluation, provenance: Provenance, context: ReportContext | None = None) -> str:
    """The whole report as one HTML document."""
    return "".join(html_chunks(ReportStream.of(evaluation, context or ReportContext()), provenance))


def html_chunks(report: ReportStream, provenance: Provenance) -> Iterator[str]:
    """The report as HTML in pieces, a piece per area: the bytes of render_html without ever holding the whole
    document (the key and sources, gathered on the way, come after the areas)."""
    return written(HtmlWriter(), report, provenance)


class HtmlWriter:
    """The one-page HTML report an area at a time (render/streamed.py)."""

    def head(self, report: ReportStream) -> str:
        """The document up to its first area: the style, the heading and the period assessed."""
        heading = report.before.heading
        meta = meta_html(report.period, report.before)
        return page_start(heading) + f"<header><h1>{esc(heading)}</h1>{meta}</header>"

    def areas(self, evaluation: Evaluation, context: ReportContext) -> Iterator[str]:
        """Each area's section."""
        for area in arrange(evaluation):
            yield "\n" + area_html(area, evaluation.rules_file, context)

    def tail(self, after: ReportContext, provenance: Provenance) -> str:
        """The comments and sources, the key, the provenance and the end of the document."""
        blocks = (context_html(after), key_html(after), footer_html(provenance))
        return "".join("\n" + b for b in blocks if b) + page_end()

    def seen(self) -> frozenset[str]:
        """Nothing: the text after the areas needs only the run's context."""
        return frozenset()

    def take(self, seen: frozenset[str]) -> None:
        """Nothing to take in."""


def page(heading: str, body: str, style: str = "", script: str = "") -> str:
    """A whole HTML document: the report style (and `style`), and `script` allowed by its hash alone."""
    return page_start(heading, style, script) + body + page_end(script)


def page_start(heading: str, style: str = "", script: str = "") -> str:
    """A document up to the start of its body (see `page`)."""
    csp = CSP
    if script:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        csp += f"; script-src 'sha256-{digest}'"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(heading)}</title>\n<style>{STYLE}{style}</style>\n</head>\n<body>\n")


def page_end(script: str = "") -> str:
    """The end of a document begun by page_start: its script, if any, and the closing tags."""
    return (f"\n<script>{script}</script>" if script else "") + "\n</body>\n</html>\n"


def meta_html(period: Period | None, context: ReportContext) -> str:
    """The line under the heading: the period assessed, the kind of periods and the source."""
    assessed = period.label if period else "the latest period"
    kind = f" · periods are {esc(context.period_kind.replace('_', ' '))}s" if context.period_kind else ""
    source = f'<p class="meta">Source: {esc(context.source)}</p>' if context.source else ""
    return f'<p class="meta">Assessed at <strong>{esc(assessed)}</strong>{kind}</p>{source}'


def area_html(report: AreaReport, rules_file: str, context: ReportContext) -> str:
    """One area's section: its theme ratings, a table per group and where the printed report disagrees."""
    parts = [f'<section class="area">\n<h2>{esc(report.area)}</h2>']
    parts += [_theme(t, rules_file, context) for t in report.themes]
    parts += [_section(s, context) for s in report.sections]
    parts.append(_discrepancies(report))
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def rating_class(rating: str | None) -> str:
    """The CSS class of a theme rating's pill."""
    word = css_word(rating)
    return f"rating-{word}" if word in ("green", "amber-green", "amber-red", "red") else "rating-other"


def _theme(theme: ThemeResult, rules_file: str, context: ReportContext) -> str:
    rule = f" · decided by {esc(rules_file)} line {theme.rule_line}" if theme.rule_line else ""
    verdict = theme_verdict(theme)
    verdict_html = f' · <span class="{"warn" if theme.discrepancies else "ok"}">{esc(verdict)}</span>' \
        if verdict else ""
    before = context.previous_of(theme)
    earlier = ""
    if before is not None and before.period is not None and theme.period is not None:
        earlier = (f'<span class="previous">{esc(before.period.label)}</span> '
                   f'<strong class="pill {rating_class(before.rating)}">{esc(rating_label(before.rating))}</strong>'
                   f' → <span class="previous">{esc(theme.period.label)}</span> ')
    return (f'<div class="theme"><span class="name">{esc(theme.title)} theme assessment</span> '
            f'<span class="ratings">{earlier}<strong class="pill {rating_class(theme.rating)}">'
            f'{esc(rating_label(theme.rating))}</strong></span>'
            f'<span class="summary">{esc(theme_summary(theme))}{rule}{verdict_html}</span></div>')


def _section(section: Section, context: ReportContext) -> str:
    """A group's table: the indicator, then its latest value, arrow and RAG (what a phone shows first), then the
    target, trajectory, earlier values, trend and comments."""
    latest = section.periods[-1].label if section.periods else "Value"
    earlier = "".join(f'<th class="num period" scope="col">{esc(p.label)}</th>' for p in section.periods[:-1])
    head = (f'<thead><tr><th scope="col">Indicator</th><th class="num period" scope="col">{esc(latest)}</th>'
            '<th scope="col">Arrow</th><th scope="col">RAG</th><th class="num" scope="col">Target</th>'
            f'<th class="num" scope="col">Trajectory</th>{earlier}'
            '<th scope="col" title="the series, with its target trajectory dashed">Trend</th>'
            '<th scope="col">Comments</th></tr></thead>')
    rows = "\n".join(_row(a, section, context) for a in section.rows)
    return (f'<section class="group">\n<h3>{esc(section.title)}</h3>\n<div class="wide">\n<table>\n{head}\n'
            f"<tbody>\n{rows}\n</tbody>\n</table>\n</div>\n</section>")


def _value_cell(a: Assessment, period: Period, texts: dict[Period, str]) -> str:
    text = with_unit(texts.get(period, ""), a.unit)
    css = "num latest" if period == a.period else ("num missing" if text in ("N/A", "supp.") else "num")
    return f'<td class="{css}">{esc(text)}</td>'


def _row(a: Assessment, section: Section, context: ReportContext) -> str:
    # Each value's text once per row: the cells and the sparkline's label show the same texts.
    texts = {p: value_text(v, a.decimals) for p, v in a.series}
    cells = [f'<th scope="row">{esc(a.title)}</th>']
    if section.periods:
        cells.append(_value_cell(a, section.periods[-1], texts))
    cells.append(arrow_cell(a.arrow))
    cells.append(f"<td>{rag_span(a.rag)}</td>")
    cells.append(f'<td class="num">{esc(with_unit(number_text(a.target, a.decimals), a.unit))}</td>')
    cells.append(f'<td class="num">{esc(with_unit(number_text(a.trajectory, a.decimals), a.unit))}</td>')
    cells += [_value_cell(a, p, texts) for p in section.periods[:-1]]
    label = f"{a.title}: {', '.join(f'{p.label} {texts[p]}' for p, _ in a.series)}"
    cells.append(f"<td>{sparkline_svg(a.series, a.target_path, a.target, label)}</td>")
    notes = "<br>".join(f'<span class="{"warn" if c.startswith("⚠") else "why"}">{esc(c)}</span>'
                        for c in notes_for(a, context.of(a)))
    cells.append(f'<td class="comments">{notes}</td>')
    return f'<tr data-indicator="{esc(a.indicator)}">' + "".join(cells) + "</tr>"


def arrow_cell(arrow: str) -> str:
    """An arrow as a table cell: symbol, colour, and its meaning in words for screen readers."""
    return (f'<td class="arrow arrow-{css_word(arrow)}" title="{esc(ARROW_WORDS[arrow])}">'
            f'{esc(ARROW_SYMBOLS[arrow])}<span class="sr"> {esc(ARROW_WORDS[arrow])}</span></td>')


def rag_span(rag: str | None) -> str:
    """A RAG band as a coloured label with its shape and word."""
    band = css_word(rag) if rag is None or rag in BAND_SHAPES else "other"
    return f'<span class="rag rag-{band}">{esc(band_label(rag))}</span>'


def _discrepancies(report: AreaReport) -> str:
    found = qualified_discrepancies(report)
    if not found:
        return ""
    items = "".join(f"<li><strong>{esc(name)}</strong>: {esc(text)}</li>" for name, text in found)
    return (f'<section class="discrepancies"><h3>Where the printed report and its data disagree</h3>'
            f"<ul>{items}</ul></section>")


def context_html(context: ReportContext) -> str:
    """The dataset's comments and the sources of the figures (empty when there are none)."""
    parts = []
    if context.notes:
        parts.append("<h2>Comments</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in context.notes) + "</ul>")
    if context.sources:
        parts.append(f"<p>Sources: {esc('; '.join(context.sources))}.</p>")
    return f'<section class="context">{"".join(parts)}</section>' if parts else ""


def key_html(context: ReportContext) -> str:
    """The key: what each band, arrow and rating means here (empty when there is none)."""
    if not context.key:
        return ""
    items = "".join(f"<dt>{esc(term)}</dt><dd>{esc(meaning)}</dd>" for term, meaning in context.key)
    return f'<section class="key"><h2>Key</h2><dl>{items}</dl></section>'


def footer_html(provenance: Provenance) -> str:
    """The provenance footer: every input file with its sha256."""
    files = "".join(f"<li>{esc(f.role)} <code>{esc(f.path)}</code> sha256 <code>{esc(f.sha256)}</code>"
                    f"{esc(git_words(f.git))}</li>" for f in provenance.inputs)
    return (f'<footer class="provenance">Produced by {esc(provenance.engine)} from:<ul>{files}</ul>'
            "Every figure, arrow and rating above was computed from these files by these rules.</footer>")


# Sorting and filtering of the areas table: a click on a heading sorts by that column (again: the other way),
# typing in the box keeps the rows that contain the text. Allowed by its hash in the page's policy, and no
# other script can run.
AREAS_SCRIPT = """
const table = document.getElementById("areas"), body = table.tBodies[0];
const key = (row, i) => row.cells[i].dataset.sort ?? row.cells[i].textContent.trim();
table.querySelectorAll("thead th").forEach((th, i) => th.addEventListener("click", () => {
  const down = th.getAttribute("aria-sort") !== "descending";
  table.querySelectorAll("thead th").forEach((h) => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", down ? "descending" : "ascending");
  const rows = [...body.rows].sort((a, b) => {
    const x = key(a, i), y = key(b, i), nx = parseFloat(x), ny = parseFloat(y);
    const order = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
    return down ? -order : order;
  });
  rows.forEach((row) => body.appendChild(row));
}));
document.getElementById("filter").addEventListener("input", (event) => {
  const text = event.target.value.toLowerCase();
  [...body.rows].forEach((row) => { row.hidden = !row.textContent.toLowerCase().includes(text); });
});
"""
AREAS_STYLE = """
#areas thead th { cursor: pointer; white-space: normal; vertical-align: bottom; font-size: 11px; }
#areas thead th[aria-sort="ascending"]::after { content: " ▲"; }
#areas thead th[aria-sort="descending"]::after { content: " ▼"; }
#areas td { white-space: nowrap; } #areas td.cell { text-align: center; } #areas .rag { min-width: 0; }
.filter { margin: 8px 0; } .filter input { font: inherit; padding: 4px 8px; width: 16em; }
"""
RAG_ORDER = {"green": 4, "amber": 3, "red": 1, "blue": 5, None: 0}


def render_areas_html(view: AreasView, provenance: Provenance, context: ReportContext) -> str:
    """Areas side by side as one HTML page: a table to sort (click a heading) and filter (type in the box)."""
    heading = f"{context.heading}: areas compared"
    period = view.period.label if view.period else "the latest period"
    head = ['<th scope="col">Area</th>'] + [f'<th scope="col">{esc(t)} rating</th>' for t in view.themes]
    head += [f'<th class="num" scope="col">{esc(band_heading(b))}</th>' for b in view.bands]
    head += [f'<th class="num" scope="col">Rank: {esc(g)}</th>' for g in view.groups]
    head += [f'<th scope="col" title="{esc(c.section)}">{esc(c.title)}</th>' for c in view.columns]
    rows = []
    for line in view.lines:
        cells = [f'<th scope="row">{esc(line.area)}</th>']
        for theme, before in line.themes:
            earlier = f"{esc(rating_label(before.rating))} → " if before is not None else ""
            cells.append(f'<td data-sort="{rating_rank(theme)}">{earlier}<strong class="pill '
                         f'{rating_class(theme.rating)}">{esc(rating_label(theme.rating))}</strong></td>')
        cells += [f'<td class="num">{n}</td>' for n in line.counts]
        cells += [f'<td class="num" data-sort="{r.place if r else ""}">{esc(str(r)) if r else ""}</td>'
                  for r in line.ranks]
        for a in line.cells:
            if a is None:
                cells.append('<td class="cell" data-sort="-1"></td>')
                continue
            cells.append(f'<td class="cell" data-sort="{RAG_ORDER.get(a.rag, 2)}">'
                         f'<span class="arrow-{css_word(a.arrow)}" title="{esc(ARROW_WORDS[a.arrow])}">'
                         f'{esc(ARROW_SYMBOLS[a.arrow])}</span> {rag_span(a.rag)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = [f"<header><h1>{esc(heading)}</h1><p class=\"meta\">Assessed at <strong>{esc(period)}</strong> · "
            f"{len(view.lines)} areas · click a heading to sort, type to filter</p></header>",
            '<p class="filter"><label>Filter <input id="filter" type="search" placeholder="area, rating…">'
            "</label></p>",
            f'<div class="wide"><table id="areas">\n<thead><tr>{"".join(head)}</tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table></div>", key_html(context), footer_html(provenance)]
    return page(heading, "\n".join(b for b in body if b), AREAS_STYLE, AREAS_SCRIPT)


def rating_rank(theme: ThemeResult) -> int:
    """A theme rating's place on its scale, for sorting (unrated first)."""
    order = ("RED", "AMBER_RED", "AMBER_GREEN", "GREEN")
    return order.index(theme.rating) + 1 if theme.rating in order else 0
