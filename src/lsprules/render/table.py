"""The evaluation as a terminal table that fits the terminal: theme ratings first, then a table per group.

Laid out here rather than by a table library, so that nothing is cut or wrapped mid-word: the indicator
column takes what the other columns leave, the earliest periods give way when the width is short (`wide`
keeps them all), notes go below their row across the full width, and no line ends in spaces.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO

from rich.cells import cell_len
from rich.console import Console
from rich.text import Span, Text

from lsprules.audit.provenance import Provenance
from lsprules.core.periods import Period
from lsprules.engine.interpreter import ARROW_SYMBOLS, Assessment, Evaluation, ThemeResult
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

# RAG is shown by colour *and* by word and shape (band_label), so that it reads without colour too.
BAND_STYLES = {
    "green": "bold white on green4", "amber": "bold black on dark_orange", "red": "bold white on red3",
    "blue": "bold white on blue3", "grey": "bold black on grey70", "gray": "bold black on grey70",
    "purple": "bold white on purple4", "dark_green": "bold white on dark_green",
    "light_green": "bold black on pale_green3",
    "amber_green": "bold black on yellow3", "amber_red": "bold black on orange_red1", "yellow": "bold black on yellow1",
}
RATING_STYLES = {"GREEN": "bold white on green4", "AMBER_GREEN": "bold black on yellow3",
                 "AMBER_RED": "bold black on dark_orange", "RED": "bold white on red3"}
ARROW_STYLES = {"up": "green", "down": "red", "static": "yellow", "peak": "cyan", "na": "dim"}
GAP = "  "
MIN_INDICATOR = 22  # below this, an earlier period gives way: a title of three words a line still reads
MAX_INDICATOR = 46
NARROW = 100  # below this width, long headings are abbreviated (and the abbreviations explained)
ABBREVIATIONS = {"Target": "Tgt", "Trajectory": "Traj"}
TARGET_COLUMNS = ("Target", "Trajectory")


@dataclass(frozen=True)
class _Column:
    header: str
    width: int
    right: bool


def render_table(evaluation: Evaluation, provenance: Provenance, context: ReportContext | None = None,
                 width: int = 80, color: bool = False, wide: bool = False) -> str:
    """The report as text `width` columns wide (`wide`: every period, however wide); with `color`, ANSI colours."""
    report = ReportStream.of(evaluation, context or ReportContext())
    return "".join(table_chunks(report, provenance, width, color, wide))


def table_chunks(report: ReportStream, provenance: Provenance, width: int = 80, color: bool = False,
                 wide: bool = False) -> Iterator[str]:
    """The report as text in pieces, a piece per area: the bytes of render_table without ever holding the whole
    text (the key and sources, gathered on the way, come after the areas)."""
    return written(TableWriter(color=color, width=width, wide=wide), report, provenance)


class TableWriter:
    """The table an area at a time (render/streamed.py); it has seen the column headings it printed, whose
    abbreviations the key explains."""

    def __init__(self, color: bool = False, width: int = 80, wide: bool = False):
        self.printer = _Printer(color)
        self.width = 10_000 if wide else max(width, 40)
        self.wide = wide
        self.headings: set[str] = set()  # the column headings printed
        self.titles: dict[tuple[str, int], list[str]] = {}  # each indicator title wrapped once per run

    def head(self, report: ReportStream) -> str:
        """The title and the source."""
        out = _wrapped(report.before.heading, self.width, "bold")
        if report.before.source:
            out += _wrapped(f"Source: {report.before.source}", self.width, "dim")
        return self.printer.text(out)

    def areas(self, evaluation: Evaluation, context: ReportContext) -> Iterator[str]:
        """Each area's heading, themes, tables and discrepancies."""
        width, period = self.width, evaluation.period.label if evaluation.period else "–"
        for area in arrange(evaluation):
            out = [Text()] + _wrapped(f"{area.area} — assessed at {period}", width, "bold")
            out += [line for t in area.themes for line in _theme(t, context, width)]
            for section in area.sections:
                out += [Text()] + _section(section, context, width, self.wide, self.headings, self.titles)
            yield self.printer.text(out + _discrepancies(area, width))

    def tail(self, after: ReportContext, provenance: Provenance) -> str:
        """The comments and sources, the key (with the abbreviated headings printed) and the provenance."""
        width = self.width
        out = _comments(after, width) + [Text()] + _key(after, width, self.headings)
        out += [Text()] + [Text(line, style="dim") for line in _provenance_lines(provenance, width)]
        return self.printer.text(out)

    def seen(self) -> frozenset[str]:
        """The column headings printed so far."""
        return frozenset(self.headings)

    def take(self, seen: frozenset[str]) -> None:
        """Take in the column headings another writer printed."""
        self.headings.update(seen)


def _wrapped(text: str, width: int, style: str = "", indent: str = "") -> list[Text]:
    """Text wrapped at word boundaries to `width`, each line a styled Text."""
    return [Text(line, style=style) for line in textwrap.wrap(text, width, initial_indent=indent,
                                                              subsequent_indent=indent, break_on_hyphens=False)]


def _theme(theme: ThemeResult, context: ReportContext, width: int) -> list[Text]:
    line = Text(f"Theme: {theme.title}  ")
    before = context.previous_of(theme)
    if before is not None and before.period is not None:
        line.append(f"{before.period.label} ")
        line.append(f" {rating_label(before.rating)} ", style=RATING_STYLES.get(before.rating or "", "bold"))
        line.append(f" → {theme.period.label if theme.period else ''} ")
    line.append(f" {rating_label(theme.rating)} ", style=RATING_STYLES.get(theme.rating or "", "bold"))
    verdict = theme_verdict(theme)
    out = [line]
    if verdict:
        out += _wrapped(verdict, width, "bold red" if theme.discrepancies else "green", "  ")
    return out + _wrapped(theme_summary(theme), width, "dim", "  ")


def _section(section: Section, context: ReportContext, width: int, wide: bool, headings: set[str],
             titles: dict[tuple[str, int], list[str]]) -> list[Text]:
    """A group's table: its title, header, a rule, and each row with its notes below it (its column headings
    added to `headings`; `titles`: the indicator titles wrapped so far)."""
    narrow = width < NARROW
    targets = [(_target(a), _trajectory(a)) for a in section.rows]  # each row's target texts, made once
    tail = _tail_columns(section, narrow, targets)
    headings.update(c.header for c in tail)
    periods = list(section.periods)
    shown = [_values(a, periods) for a in section.rows]  # each row's value texts, made once
    period_widths = {p: max([cell_len(p.label)] + [cell_len(row[p]) for row in shown]) for p in periods}
    natural = min(MAX_INDICATOR, max([cell_len("Indicator")] + [cell_len(a.title) for a in section.rows]))
    fixed = sum(c.width + len(GAP) for c in tail)
    while True:
        room = width - fixed - sum(period_widths[p] + len(GAP) for p in periods)
        if wide or room >= min(MIN_INDICATOR, natural) or len(periods) <= 1:
            break
        periods.pop(0)
    indicator = max(10, min(natural if not wide else max(natural, cell_len("Indicator")), room))
    columns = [_Column("Indicator", indicator, False)]
    columns += [_Column(p.label, period_widths[p], True) for p in periods] + tail
    out = _wrapped(section.title, width, "bold")
    out.append(_cells([c.header for c in columns], columns, "bold"))
    out.append(Text("─" * min(width, sum(c.width for c in columns) + len(GAP) * (len(columns) - 1)), style="dim"))
    for a, values, target in zip(section.rows, shown, targets, strict=True):
        key = (a.title, columns[0].width)
        title = titles.get(key)
        if title is None:
            title = titles[key] = textwrap.wrap(a.title, columns[0].width, break_on_hyphens=False) or [""]
        out += _row(a, values, target, title, periods, columns)
        out += [line for note in notes_for(a, context.of(a)) for line in
                _wrapped(note, width, "bold red" if note.startswith("⚠") else "dim", "    ")]
    if len(periods) < len(section.periods):
        shown_periods = f"{periods[0].label}–{periods[-1].label}" if len(periods) > 1 else periods[0].label
        out += _wrapped(f"Showing {shown_periods}, the latest {len(periods)} of {len(section.periods)} periods; "
                        "--wide shows every period.", width, "dim")
    return out


def _tail_columns(section: Section, narrow: bool, targets: list[tuple[str, str]]) -> list[_Column]:
    def header(name: str) -> str:
        return ABBREVIATIONS.get(name, name) if narrow else name

    rows = section.rows
    columns = [
        _Column("Arrow", max(cell_len("Arrow"), *(cell_len(ARROW_SYMBOLS[a.arrow]) for a in rows)), False),
        _Column("RAG", max(cell_len("RAG"), *(cell_len(band_label(a.rag)) for a in rows)), False),
    ]
    for index, name in enumerate(TARGET_COLUMNS):
        texts = [row[index] for row in targets]
        if any(texts):  # a section with no targets gives their columns' room to periods
            columns.append(_Column(header(name), max([cell_len(header(name))] + [cell_len(t) for t in texts]), True))
    return columns


def _values(a: Assessment, periods: list[Period]) -> dict[Period, str]:
    series = dict(a.series)
    return {p: with_unit(value_text(series.get(p), a.decimals), a.unit) for p in periods}


def _target(a: Assessment) -> str:
    return with_unit(number_text(a.target, a.decimals), a.unit)


def _trajectory(a: Assessment) -> str:
    return with_unit(number_text(a.trajectory, a.decimals), a.unit)


def _row(a: Assessment, values: dict[Period, str], targets: tuple[str, str], title: list[str], periods: list[Period],
         columns: list[_Column]) -> list[Text]:
    """One assessment: the title (wrapped in its column), figures on the title's first line."""
    cells: list[Text] = [Text(title[0])]
    for p in periods:
        text = values[p]
        cells.append(Text(text, style="bold" if p == a.period else "dim" if text in ("N/A", "supp.") else ""))
    cells.append(Text(ARROW_SYMBOLS[a.arrow], style=ARROW_STYLES[a.arrow]))
    cells.append(Text(band_label(a.rag), style=BAND_STYLES.get(a.rag or "", "dim")))
    headers = {c.header for c in columns}
    cells += [Text(text) for name, text in zip(TARGET_COLUMNS, targets, strict=True)
              if name in headers or ABBREVIATIONS[name] in headers]
    return [_styled_cells(cells, columns)] + [Text(line) for line in title[1:]]


def _cells(texts: list[str], columns: list[_Column], style: str = "") -> Text:
    return _styled_cells([Text(t, style=style) for t in texts], columns)


def _styled_cells(cells: list[Text], columns: list[_Column]) -> Text:
    """The cells side by side, each padded to its column: the Text that appending them one by one makes (each
    cell's style and spans moved to where it lands), made at once (a national table has 100,000s of lines)."""
    pieces: list[str] = []
    spans: list[Span] = []
    at = 0
    for i, (cell, column) in enumerate(zip(cells, columns, strict=True)):
        pad = " " * max(0, column.width - cell.cell_len)
        before = (GAP if i else "") + (pad if column.right else "")
        text = cell.plain
        at += len(before)
        if cell.style:
            spans.append(Span(at, at + len(text), cell.style))
        spans += [Span(start + at, end + at, style) for start, end, style in cell.spans]
        pieces += [before, text, "" if column.right else pad]
        at += len(text) + (0 if column.right else len(pad))
    line = Text("".join(pieces), spans=spans)
    line.rstrip()
    return line


def _discrepancies(report: AreaReport, width: int) -> list[Text]:
    found = qualified_discrepancies(report)
    if not found:
        return []
    out = [Text()] + _wrapped("Where the printed report and its data disagree:", width, "bold")
    return out + [line for name, text in found for line in _wrapped(f"⚠ {name}: {text}", width, "red", "  ")]


def _comments(context: ReportContext, width: int) -> list[Text]:
    out: list[Text] = []
    if context.notes:
        out += [Text()] + _wrapped("Comments:", width, "bold")
        out += [line for note in context.notes for line in _wrapped(f"• {note}", width, "", "  ")]
    if context.sources:
        out += [Text()] + _wrapped("Sources: " + "; ".join(context.sources) + ".", width, "dim")
    return out


def _key(context: ReportContext, width: int, headings: set[str] | None = None) -> list[Text]:
    """The key; with it, what each abbreviated column heading among those printed (`headings`) stands for."""
    out = _wrapped("Key:", width, "bold")
    entries = list(context.key)
    entries += [(short, f"{long.lower()}") for long, short in ABBREVIATIONS.items() if short in (headings or ())]
    for term, meaning in entries:
        out += [Text(line, style="dim") for line in textwrap.wrap(f"{term} — {meaning}", width, initial_indent="  ",
                                                                  subsequent_indent="      ")]
    return out


def _provenance_lines(provenance: Provenance, width: int) -> list[str]:
    """The provenance footer; a line too long for the width breaks before its sha256, which stays whole."""
    out = []
    for line in provenance.lines():
        if cell_len(line) <= width or " sha256 " not in line:
            out.append(line)
            continue
        head, _, tail = line.partition(" sha256 ")
        digest, _, git = tail.partition(" · ")
        out += [head, "    sha256 " + digest] + (["    " + git] if git else [])
    return out


def render_areas_table(view: AreasView, provenance: Provenance, context: ReportContext, width: int = 80,
                       color: bool = False, wide: bool = False) -> str:
    """Areas side by side as text: theme ratings, counts by band and ranks, then every indicator's arrow and
    RAG per area, its columns numbered (the key names them) and split into blocks that fit the width."""
    width = 10_000 if wide else max(width, 40)
    period = view.period.label if view.period else "–"
    out = _wrapped(f"{context.heading} — areas compared at {period}", width, "bold")
    area_width = max([cell_len("Area")] + [cell_len(line.area) for line in view.lines])
    headers = [f"{t} rating" for t in view.themes] + [band_heading(b) for b in view.bands] + \
        [f"Rank: {g}" for g in view.groups]
    rows = [[_ratings(theme, before) for theme, before in line.themes] + [str(n) for n in line.counts] +
            [str(r) if r else "" for r in line.ranks] for line in view.lines]
    summary = [_Column("Area", area_width, False)] + [
        _Column(h, max([cell_len(h)] + [cell_len(r[i]) for r in rows]), i >= len(view.themes))
        for i, h in enumerate(headers)]
    out += [Text()] + _matrix(summary, [[line.area, *r] for line, r in zip(view.lines, rows, strict=True)], width)
    cells = [[cell_text(c) for c in line.cells] for line in view.lines]
    numbered = [f"{i}" for i in range(1, len(view.columns) + 1)]
    columns = [_Column(n, max([cell_len(n)] + [cell_len(r[i]) for r in cells]), False) for i, n in enumerate(numbered)]
    per_block = max(1, (width - area_width) // (max((c.width for c in columns), default=1) + len(GAP)))
    for start in range(0, len(columns), per_block):
        block = [_Column("Area", area_width, False)] + columns[start:start + per_block]
        out += [Text()] + _matrix(block, [[line.area, *r[start:start + per_block]]
                                          for line, r in zip(view.lines, cells, strict=True)], width)
    out += [Text()] + _wrapped("Indicators (columns):", width, "bold")
    out += [Text(line) for n, c in zip(numbered, view.columns, strict=True)
            for line in textwrap.wrap(f"{n:>3} {c.title} ({c.section})", width, subsequent_indent="      ",
                                      break_on_hyphens=False)]
    out += [Text()] + _wrapped("Each cell is the arrow, then the RAG band's shape and initial (●G green, ◆A amber, "
                               "■R red); – when there is none.", width, "dim")
    out += [Text()] + _key(context, width)
    out += [Text()] + [Text(line, style="dim") for line in _provenance_lines(provenance, width)]
    return _print(out, color)


def _ratings(theme: ThemeResult, before: ThemeResult | None) -> str:
    now = rating_label(theme.rating)
    return f"{rating_label(before.rating)} → {now}" if before is not None else now


def _matrix(columns: list[_Column], rows: list[list[str]], width: int) -> list[Text]:
    out = [_cells([c.header for c in columns], columns, "bold")]
    out.append(Text("─" * min(width, sum(c.width for c in columns) + len(GAP) * (len(columns) - 1)), style="dim"))
    return out + [_cells(r, columns) for r in rows]


def _print(lines: list[Text], color: bool) -> str:
    """The lines as text: plain, or through rich for ANSI colours (the slow part, so only when asked for)."""
    return _Printer(color).text(lines)


class _Printer:
    """Prints lines as text, plain or (with `color`) through one rich console for ANSI colours."""

    def __init__(self, color: bool):
        self.buffer = StringIO()
        self.console = Console(file=self.buffer, width=10_000, color_system="truecolor" if color else None,
                               force_terminal=color, legacy_windows=False, emoji=False,
                               highlight=False) if color else None

    def text(self, lines: list[Text]) -> str:
        """These lines as text (rich is the slow part, so only used for colours)."""
        if self.console is None:
            return "".join(line.plain.rstrip() + "\n" for line in lines)
        for line in lines:
            line.rstrip()
            self.console.print(line, soft_wrap=True, crop=False)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text
