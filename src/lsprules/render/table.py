"""The evaluation as a rich terminal table that reads like the report: theme rating first, a table per group."""

from __future__ import annotations

from fractions import Fraction
from io import StringIO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from lsprules.audit.provenance import Provenance
from lsprules.core.numbers import shown
from lsprules.engine.interpreter import ARROW_SYMBOLS, Assessment, Evaluation, Gap, ThemeResult
from lsprules.render.sections import BAND_SHAPES, comments, number_text

# RAG is shown by colour *and* by word and shape, so that it reads without colour too.
_BAND_COLOURS = {
    "green": "bold white on green4", "amber": "bold black on dark_orange", "red": "bold white on red3",
    "blue": "bold white on blue3", "grey": "bold black on grey70", "gray": "bold black on grey70",
    "purple": "bold white on purple4", "dark_green": "bold white on dark_green",
    "light_green": "bold black on pale_green3",
    "amber_green": "bold black on yellow3", "amber_red": "bold black on orange_red1", "yellow": "bold black on yellow1",
}
BAND_STYLES = {band: (BAND_SHAPES[band], style) for band, style in _BAND_COLOURS.items()}
RATING_STYLES = {"GREEN": "bold white on green4", "AMBER_GREEN": "bold black on yellow3",
                 "AMBER_RED": "bold black on dark_orange", "RED": "bold white on red3"}
ARROW_STYLES = {"up": "green", "down": "red", "static": "yellow", "peak": "cyan", "na": "dim"}


def render_table(evaluation: Evaluation, provenance: Provenance, title: str | None = None, width: int = 140,
                 color: bool = False) -> str:
    """The table as text; with `color`, as ANSI-coloured text for a terminal."""
    buffer = StringIO()
    console = Console(file=buffer, width=width, color_system="truecolor" if color else None,
                      force_terminal=color, legacy_windows=False, emoji=False, highlight=False)
    for renderable in table_renderables(evaluation, provenance, title):
        # Text marked no_wrap (the provenance footer) is printed unwrapped, so full sha256 values stay whole.
        console.print(renderable, soft_wrap=getattr(renderable, "no_wrap", None) is True)
    return buffer.getvalue()


def table_renderables(evaluation: Evaluation, provenance: Provenance, title: str | None) -> list[RenderableType]:
    """Everything printed, in order: heading, theme ratings, one table per group per area, provenance."""
    areas = list(dict.fromkeys(a.area for a in evaluation.assessments))
    heading = title or "lsprules assessment"
    period = evaluation.period.label if evaluation.period else "–"
    out: list[RenderableType] = []
    for area in areas:
        out.append(Text(f"{heading} — {area} — assessed at {period}", style="bold"))
        out.extend(_theme_line(t) for t in evaluation.themes if t.area == area)
        rows = [a for a in evaluation.assessments if a.area == area]
        for group_id in dict.fromkeys(a.group for a in rows):
            out.append(_group_table([a for a in rows if a.group == group_id]))
    out.append(_provenance(provenance))
    return out


def _theme_line(theme: ThemeResult) -> Text:
    text = Text(f"Theme: {theme.title}  ")
    rating = theme.rating or "n/a"
    text.append(f" {rating.replace('_', ' ')} ", style=RATING_STYLES.get(rating, "bold"))
    if theme.rule_line:
        text.append(f"  (rule line {theme.rule_line})", style="dim")
    for d in theme.discrepancies:
        text.append(f"  ⚠ report says {d.reported.replace('_', ' ')}", style="bold red")
    if theme.reported is not None and not theme.discrepancies:
        text.append("  ✓ agrees with the report", style="green")
    text.append("\n  " + theme.reasons[0], style="dim")
    return text


def _group_table(rows: list[Assessment]) -> Table:
    periods = sorted({p for a in rows for p, _ in a.series})
    title = rows[0].group_title or rows[0].group or "Indicators"
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAVY, expand=False)
    table.add_column("Indicator", overflow="fold", max_width=44)
    for p in periods:
        table.add_column(p.label, justify="right")
    for name in ("Arrow", "RAG", "Target", "Trajectory", "Notes"):
        table.add_column(name, justify="right" if name in ("Target", "Trajectory") else "left",
                         overflow="fold", max_width=48 if name == "Notes" else None)
    for a in rows:
        values = dict(a.series)
        cells = [_value_cell(values.get(p), a.decimals, p == a.period) for p in periods]
        table.add_row(a.title, *cells, _arrow_cell(a.arrow), _rag_cell(a.rag),
                      number_text(a.target, a.decimals), number_text(a.trajectory, a.decimals), _notes(a))
    return table


def _value_cell(value: Fraction | Gap | None, places: int, latest: bool) -> Text:
    if value is None:
        return Text("")
    if isinstance(value, Gap):
        return Text("supp." if "suppressed" in value.reason else "N/A", style="dim")
    return Text(shown(value, places), style="bold" if latest else "")


def _arrow_cell(arrow: str) -> Text:
    return Text(ARROW_SYMBOLS[arrow], style=ARROW_STYLES[arrow])


def _rag_cell(rag: str | None) -> Text:
    if rag is None:
        return Text("n/a", style="dim")
    shape, style = BAND_STYLES.get(rag, ("◇", "bold"))
    return Text(f"{shape} {rag.upper()}", style=style)


def _notes(a: Assessment) -> Text:
    """The comments column: contradictions of the report in red, the rest dimmed."""
    text = Text()
    for line in comments(a):
        if text:
            text.append("\n")
        text.append(line, style="bold red" if line.startswith("⚠") else "dim")
    return text


def _provenance(provenance: Provenance) -> Text:
    return Text("\n".join(provenance.lines()), style="dim", no_wrap=True)
