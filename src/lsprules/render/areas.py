"""Areas side by side, for a performance officer comparing them: per area its theme ratings (and the previous
ones), how many indicators it has in each RAG band, its rank within each comparator group it belongs to, and
its RAG and arrow for every indicator.

Shared by the `--view areas` renderers of every format, which differ only in how they print it. Built in one
pass over a report's parts, holding of each result only what the view shows (its RAG band and arrow), so that
many areas cost time in proportion to their rows and little memory (national data has hundreds of thousands).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from lsprules.core.periods import Period
from lsprules.engine.interpreter import ARROW_SYMBOLS, ThemeResult
from lsprules.render.context import ReportContext, ReportStream
from lsprules.render.sections import BAND_SHAPES, UNKNOWN_BAND_SHAPE

NO_BAND = "n/a"
BAND_ORDER = ("green", "amber", "red", "blue")


@dataclass(frozen=True)
class IndicatorColumn:
    """One indicator compared across areas: its id, title and the section it belongs to."""

    indicator: str
    title: str
    section: str


@dataclass(frozen=True)
class Rank:
    """An area's place within a comparator group: '2 of 4', '=1 of 4' when tied."""

    place: int
    size: int
    tied: bool

    def __str__(self) -> str:
        return f"{'=' if self.tied else ''}{self.place} of {self.size}"


class Cell(NamedTuple):
    """An area's result for one indicator, as the view shows it."""

    rag: str | None
    arrow: str


@dataclass(frozen=True)
class AreaLine:
    """One area: its theme ratings (with the previous ones), counts by band, ranks and a cell per indicator."""

    area: str
    themes: tuple[tuple[ThemeResult, ThemeResult | None], ...]
    counts: tuple[int, ...]
    ranks: tuple[Rank | None, ...]
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class AreasView:
    """The whole comparison: the period assessed, the indicator columns, the bands counted, the comparator groups and
    a line per area."""

    period: Period | None
    columns: tuple[IndicatorColumn, ...]
    bands: tuple[str, ...]
    groups: tuple[str, ...]
    themes: tuple[str, ...]
    lines: tuple[AreaLine, ...]


def areas_view(report: ReportStream) -> tuple[AreasView, ReportContext]:
    """A report's areas side by side, in the order assessed, read a part at a time; and the run's context, which
    the parts complete (the key)."""
    cells: dict[str, dict[str, Cell]] = {}  # by area, then indicator
    shown: dict[Cell, Cell] = {}  # one Cell for each RAG and arrow: national data has a handful
    columns: dict[str, IndicatorColumn] = {}
    themes: dict[str, list[tuple[ThemeResult, ThemeResult | None]]] = {}
    theme_titles: dict[str, str] = {}
    for part, context in report.parts:
        for a in part.assessments:
            cell = Cell(a.rag, a.arrow)
            cells.setdefault(a.area, {})[a.indicator] = shown.setdefault(cell, cell)
            if a.indicator not in columns:
                columns[a.indicator] = IndicatorColumn(a.indicator, a.title, a.group_title or a.group or "Indicators")
        for t in part.themes:
            themes.setdefault(t.area, []).append((t, context.previous_of(t)))
            theme_titles.setdefault(t.theme, t.title)
    present = {cell.rag or NO_BAND for cell in shown}
    bands = tuple(b for b in BAND_ORDER if b in present) + tuple(sorted(present - {*BAND_ORDER, NO_BAND})) + \
        ((NO_BAND,) if NO_BAND in present else ())
    areas = list(dict.fromkeys([*cells, *themes]))
    counts = {name: _counts(cells.get(name, {}).values(), bands) for name in areas}
    context = report.after()
    groups = [(title, [a for a in members if a in counts]) for title, members in context.comparator_groups]
    groups = [(title, members) for title, members in groups if members]
    ranks = {title: _ranks(members, counts, bands) for title, members in groups}
    lines = tuple(AreaLine(name, tuple(themes.get(name, ())), counts[name],
                           tuple(ranks[title].get(name) for title, _ in groups),
                           tuple(cells.get(name, {}).get(c) for c in columns))
                  for name in areas)
    view = AreasView(report.period, tuple(columns.values()), bands, tuple(title for title, _ in groups),
                     tuple(theme_titles.values()), lines)
    return view, context


def _counts(area: Iterable[Cell], bands: Sequence[str]) -> tuple[int, ...]:
    tally = dict.fromkeys(bands, 0)
    for cell in area:
        tally[cell.rag or NO_BAND] += 1
    return tuple(tally.values())


def _ranks(members: list[str], counts: dict[str, tuple[int, ...]], bands: Sequence[str]) -> dict[str, Rank]:
    """Places within a group: most green first, then fewest red, then most amber; equal counts share a place."""
    def score(area: str) -> tuple[int, int, int]:
        tally = dict(zip(bands, counts[area], strict=True))
        return (tally.get("green", 0), -tally.get("red", 0), tally.get("amber", 0))

    scores = {area: score(area) for area in members}
    first: dict[tuple[int, int, int], int] = {}
    sharing: dict[tuple[int, int, int], int] = {}
    for place, area in enumerate(sorted(members, key=scores.__getitem__, reverse=True), start=1):
        first.setdefault(scores[area], place)
        sharing[scores[area]] = sharing.get(scores[area], 0) + 1
    return {area: Rank(first[s], len(members), sharing[s] > 1) for area, s in scores.items()}


def cell_text(a: Cell | None) -> str:
    """An area's result for one indicator in a few characters: arrow and band shape with its initial ('▲ ●G')."""
    if a is None:
        return ""
    band = "–" if a.rag is None else f"{BAND_SHAPES.get(a.rag, UNKNOWN_BAND_SHAPE)}{a.rag[:1].upper()}"
    arrow = "–" if a.arrow == "na" else ARROW_SYMBOLS[a.arrow]
    return f"{arrow} {band}"


def band_heading(band: str) -> str:
    """A count column's heading: the band's shape and word ('● GREEN'), or 'n/a'."""
    return band if band == NO_BAND else f"{BAND_SHAPES.get(band, UNKNOWN_BAND_SHAPE)} {band.upper()}"
