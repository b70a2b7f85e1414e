"""Areas side by side, for a performance officer comparing them: per area its theme ratings (and the previous
ones), how many indicators it has in each RAG band, its rank within each comparator group it belongs to, and
its RAG and arrow for every indicator.

Shared by the `--view areas` renderers of every format, which differ only in how they print it. Built in one
pass over the results, so many areas cost time in proportion to their rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lsprules.engine.interpreter import ARROW_SYMBOLS, Assessment, Evaluation, ThemeResult
from lsprules.render.context import ReportContext
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


@dataclass(frozen=True)
class AreaLine:
    """One area: its theme ratings (with the previous ones), counts by band, ranks and a cell per indicator."""

    area: str
    themes: tuple[tuple[ThemeResult, ThemeResult | None], ...]
    counts: tuple[int, ...]
    ranks: tuple[Rank | None, ...]
    cells: tuple[Assessment | None, ...]


@dataclass(frozen=True)
class AreasView:
    """The whole comparison: the indicator columns, the bands counted, the comparator groups and a line per area."""

    columns: tuple[IndicatorColumn, ...]
    bands: tuple[str, ...]
    groups: tuple[str, ...]
    themes: tuple[str, ...]
    lines: tuple[AreaLine, ...]


def areas_view(evaluation: Evaluation, context: ReportContext) -> AreasView:
    """The evaluation as areas side by side, in the order assessed."""
    by_area: dict[str, dict[str, Assessment]] = {}
    columns: dict[str, IndicatorColumn] = {}
    for a in evaluation.assessments:
        by_area.setdefault(a.area, {})[a.indicator] = a
        if a.indicator not in columns:
            columns[a.indicator] = IndicatorColumn(a.indicator, a.title, a.group_title or a.group or "Indicators")
    themes: dict[str, list[ThemeResult]] = {}
    theme_titles: dict[str, str] = {}
    for t in evaluation.themes:
        themes.setdefault(t.area, []).append(t)
        theme_titles.setdefault(t.theme, t.title)
    present = {a.rag or NO_BAND for a in evaluation.assessments}
    bands = tuple(b for b in BAND_ORDER if b in present) + tuple(sorted(present - {*BAND_ORDER, NO_BAND})) + \
        ((NO_BAND,) if NO_BAND in present else ())
    areas = list(dict.fromkeys([*by_area, *themes]))
    counts = {name: _counts(by_area.get(name, {}).values(), bands) for name in areas}
    groups = [(title, [a for a in members if a in counts]) for title, members in context.comparator_groups]
    groups = [(title, members) for title, members in groups if members]
    ranks = {title: _ranks(members, counts, bands) for title, members in groups}
    lines = tuple(AreaLine(name, tuple((t, context.previous_of(t)) for t in themes.get(name, ())), counts[name],
                           tuple(ranks[title].get(name) for title, _ in groups),
                           tuple(by_area.get(name, {}).get(c) for c in columns))
                  for name in areas)
    return AreasView(tuple(columns.values()), bands, tuple(title for title, _ in groups),
                     tuple(theme_titles.values()), lines)


def _counts(assessments: Iterable[Assessment], bands: Sequence[str]) -> tuple[int, ...]:
    tally = dict.fromkeys(bands, 0)
    for a in assessments:
        tally[a.rag or NO_BAND] += 1
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


def cell_text(a: Assessment | None) -> str:
    """An area's result for one indicator in a few characters: arrow and band shape with its initial ('▲ ●G')."""
    if a is None:
        return ""
    band = "–" if a.rag is None else f"{BAND_SHAPES.get(a.rag, UNKNOWN_BAND_SHAPE)}{a.rag[:1].upper()}"
    arrow = "–" if a.arrow == "na" else ARROW_SYMBOLS[a.arrow]
    return f"{arrow} {band}"


def band_heading(band: str) -> str:
    """A count column's heading: the band's shape and word ('● GREEN'), or 'n/a'."""
    return band if band == NO_BAND else f"{BAND_SHAPES.get(band, UNKNOWN_BAND_SHAPE)} {band.upper()}"
