"""The evaluation as Markdown for a board paper: the theme rating, then a table per group like the report's.

Every text from rules or data goes through `md_text`, which escapes HTML (Markdown passes raw HTML through,
so a `<script>` in a title must not reach the page) and the characters that would start Markdown syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lsprules.audit.provenance import InputFile, Provenance, git_words
from lsprules.engine.interpreter import ARROW_SYMBOLS, Evaluation, ThemeResult
from lsprules.render.areas import AreasView, band_heading, cell_text
from lsprules.render.context import ReportContext, ReportStream, with_unit
from lsprules.render.sections import (
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
from lsprules.render.streamed import written

# Characters that start emphasis, code, links or strike-through, or end a table cell. Text never starts a
# line (it follows "| ", "## " or "- "), so the line-start markers (#, -, +, >) need no escape.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# Text that md_text leaves as it is: words of none of those characters (nor &, < or >), single spaces between them.
# Most cells (numbers, titles, period labels) are such text, and a report has hundreds of thousands of them.
_UNCHANGED = re.compile(r"[^\s&<>\\`*_\[\]|~]+(?: [^\s&<>\\`*_\[\]|~]+)*")


def md_text(text: object) -> str:
    """Text that Markdown shows as written: tags and entities escaped, Markdown punctuation backslashed, one line."""
    if type(text) is str and _UNCHANGED.fullmatch(text):  # not a subclass: an enum prints another text
        return text
    flat = " ".join(str(text).split())
    # A lone & is shown as written; only one that would start an entity (&lt;) must become &amp;.
    escaped = _ENTITY.sub("&amp;", flat).replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def render_markdown(evaluation: Evaluation, provenance: Provenance, context: ReportContext | None = None) -> str:
    """The whole report as Markdown text."""
    return "".join(markdown_chunks(ReportStream.of(evaluation, context or ReportContext()), provenance))


def markdown_chunks(report: ReportStream, provenance: Provenance) -> Iterator[str]:
    """The report as Markdown in pieces, a piece per area: the bytes of render_markdown without ever holding the
    whole text (the key and sources, gathered on the way, come after the areas)."""
    return written(MarkdownWriter(), report, provenance)


class MarkdownWriter:
    """Markdown an area at a time (render/streamed.py)."""

    def head(self, report: ReportStream) -> str:
        """The title and the source."""
        before = report.before
        return _lines([f"# {md_text(before.heading)}", ""]
                      + ([f"Source: {md_text(before.source)}", ""] if before.source else []))

    def areas(self, evaluation: Evaluation, context: ReportContext) -> Iterator[str]:
        """Each area's heading, themes, tables and discrepancies."""
        for area in arrange(evaluation):
            yield _lines(_area(area, evaluation, context))

    def tail(self, after: ReportContext, provenance: Provenance) -> str:
        """The comments, sources, key and provenance."""
        # The whole text ends in one newline; the provenance's "Produced by" line is never empty, so trimming the
        # last piece's blank lines never reaches into an earlier piece.
        return "\n".join(_comments(after) + _key(after) + _provenance(provenance)).rstrip("\n") + "\n"

    def seen(self) -> frozenset[str]:
        """Nothing: the text after the areas needs only the run's context."""
        return frozenset()

    def take(self, seen: frozenset[str]) -> None:
        """Nothing to take in."""


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _area(report: AreaReport, evaluation: Evaluation, context: ReportContext) -> list[str]:
    assessed = evaluation.period.label if evaluation.period else "the latest period"
    facts = f"Assessed at **{md_text(assessed)}**"
    if context.period_kind:
        facts += f" · periods are {md_text(context.period_kind.replace('_', ' '))}s"
    lines = [f"## {md_text(report.area)}", "", facts, ""]
    for theme in report.themes:
        lines += _theme(theme, evaluation.rules_file, context)
    for section in report.sections:
        lines += _section(section, context)
    lines += _discrepancies(report)
    return lines


def _theme(theme: ThemeResult, rules_file: str, context: ReportContext) -> list[str]:
    rating = f"**{md_text(rating_label(theme.rating))}**"
    before = context.previous_of(theme)
    if before is not None and before.period is not None and theme.period is not None:
        rating = (f"{md_text(before.period.label)} {md_text(rating_label(before.rating))} → "
                  f"{md_text(theme.period.label)} {rating}")
    lines = [f"### {md_text(theme.title)} theme assessment: {rating}", ""]
    detail = [md_text(theme_summary(theme))]
    if theme.rule_line:
        detail.append(f"decided by {md_text(rules_file)} line {theme.rule_line}")
    verdict = theme_verdict(theme)
    if verdict:
        detail.append(md_text(verdict))
    return lines + ["; ".join(detail) + ".", ""]


def _section(section: Section, context: ReportContext) -> list[str]:
    header = ["Indicator"] + [p.label for p in section.periods] + ["Arrow", "RAG", "Target", "Trajectory",
                                                                   "Comments"]
    align = [":--"] + ["--:"] * len(section.periods) + [":-:", ":--", "--:", "--:", ":--"]
    lines = [f"#### {md_text(section.title)}", "", _row(md_text(h) for h in header), _row(align)]
    for a in section.rows:
        values = dict(a.series)
        cells = [md_text(a.title)]
        for p in section.periods:
            text = md_text(with_unit(value_text(values.get(p), a.decimals), a.unit))
            cells.append(f"**{text}**" if p == a.period and text else text)
        cells += [ARROW_SYMBOLS[a.arrow], md_text(band_label(a.rag)),
                  md_text(with_unit(number_text(a.target, a.decimals), a.unit)),
                  md_text(with_unit(number_text(a.trajectory, a.decimals), a.unit)),
                  "<br>".join(md_text(c) for c in notes_for(a, context.of(a)))]
        lines.append(_row(cells))
    return lines + [""]


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _discrepancies(report: AreaReport) -> list[str]:
    found = qualified_discrepancies(report)
    if not found:
        return []
    lines = ["#### Where the printed report and its data disagree", ""]
    lines += [f"- {md_text(name)}: {md_text(text)}" for name, text in found]
    return lines + [""]


def _comments(context: ReportContext) -> list[str]:
    lines = []
    if context.notes:
        lines += ["## Comments", ""] + [f"- {md_text(note)}" for note in context.notes] + [""]
    if context.sources:
        lines += ["Sources: " + md_text("; ".join(context.sources)) + ".", ""]
    return lines


def _key(context: ReportContext) -> list[str]:
    if not context.key:
        return []
    return ["## Key", ""] + [f"- **{md_text(term)}** — {md_text(meaning)}" for term, meaning in context.key] + [""]


def _git(f: InputFile) -> str:
    return " " + md_text(git_words(f.git).lstrip()) if f.git else ""


def _provenance(provenance: Provenance) -> list[str]:
    lines = ["---", "", f"Produced by {md_text(provenance.engine)} from:", ""]
    lines += [f"- {md_text(f.role)} {md_text(f.path)} (sha256 {md_text(f.sha256)})" + _git(f)
              for f in provenance.inputs]
    return lines


def render_areas_markdown(view: AreasView, provenance: Provenance, context: ReportContext) -> str:
    """Areas side by side as Markdown: theme ratings, counts by band and ranks, then each indicator's arrow and
    RAG per area."""
    period = view.period.label if view.period else "the latest period"
    lines = [f"# {md_text(context.heading)}: areas compared", "",
             f"Assessed at **{md_text(period)}**", ""]
    header = ["Area", *(f"{t} rating" for t in view.themes), *(band_heading(b) for b in view.bands),
              *(f"Rank: {g}" for g in view.groups)]
    lines += [_row(md_text(h) for h in header),
              _row([":--"] + [":--"] * len(view.themes) + ["--:"] * (len(view.bands) + len(view.groups)))]
    for line in view.lines:
        ratings = [(f"{md_text(rating_label(b.rating))} → " if b else "") + f"**{md_text(rating_label(t.rating))}**"
                   for t, b in line.themes]
        lines.append(_row([md_text(line.area), *ratings, *(str(n) for n in line.counts),
                           *(str(r) if r else "" for r in line.ranks)]))
    lines += ["", "## Every indicator", "",
              "Each cell is the arrow, then the RAG band's shape and initial (●G green, ◆A amber, ■R red); – when "
              "there is none.", ""]
    lines += [_row(["Area", *(md_text(c.title) for c in view.columns)]),
              _row([":--"] + [":-:"] * len(view.columns))]
    lines += [_row([md_text(line.area), *(md_text(cell_text(c)) for c in line.cells)]) for line in view.lines]
    lines += [""] + _key(context) + _provenance(provenance)
    return "\n".join(lines).rstrip("\n") + "\n"
