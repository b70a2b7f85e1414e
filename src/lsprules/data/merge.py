"""Merges several datasets into one (e.g. local figures plus a national comparator file).

Areas, indicators and periods are united. Two files may repeat an observation only with the same value:
anything else is an E313 naming both files, the area, the indicator and the period. All files must use one
kind of period (E314) unless the caller says how to read years: `years=FINANCIAL_YEAR` reads a calendar
year 2006 as the financial year 2006/07 (the convention of reports whose columns are headed 2006 but hold
2006/07), `years=CALENDAR_YEAR` reads 2006/07 as 2006.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, TypeVar

from lsprules.core.diagnostics import Diagnostic, InputError, error
from lsprules.core.periods import Period, PeriodKind
from lsprules.data.model import Area, Dataset, Missing, Reported, Series, Value
from lsprules.data.observations import kind_words

YEAR_KINDS = (PeriodKind.FINANCIAL_YEAR, PeriodKind.CALENDAR_YEAR)

_T = TypeVar("_T")


def merge_datasets(datasets: Sequence[Dataset], years: PeriodKind | None = None) -> Dataset:
    """One dataset holding everything in `datasets`; raise InputError on conflicting values or period kinds."""
    if years is not None:
        datasets = [relabel_years(d, years) for d in datasets]
    _check_kinds(datasets, years)
    if len(datasets) == 1:
        return datasets[0]
    merger = _Merger()
    for dataset in datasets:
        merger.add(dataset)
    if merger.problems:
        raise InputError(merger.problems[:100])
    kind = next((d.period_kind for d in datasets if d.period_kind is not None), None)
    return Dataset(" + ".join(d.path for d in datasets), merger.areas(), kind,
                   title=next((d.title for d in datasets if d.title), None),
                   source="; ".join(d.source for d in datasets if d.source) or None,
                   notes=tuple(n for d in datasets for n in d.notes))  # each file's sha256 is in the provenance


def _check_kinds(datasets: Sequence[Dataset], years: PeriodKind | None) -> None:
    kinds = {d.period_kind for d in datasets if d.period_kind is not None}
    if len(kinds) <= 1:
        return
    listed = "; ".join(f"{d.path}: {kind_words(d.period_kind)}s" for d in datasets if d.period_kind)
    hint = "give every file the same kind of period"
    if kinds <= set(YEAR_KINDS) and years is None:
        hint = ("if the calendar-year labels mean financial years (a column headed 2006 holding 2006/07), "
                "say so with --years financial_year")
    raise InputError([error("E314", f"the datasets use different kinds of period ({listed})", hint=hint)])


def relabel_years(dataset: Dataset, kind: PeriodKind) -> Dataset:
    """The dataset with every year label read as `kind` (financial 2006/07 <-> calendar 2006, same start year)."""
    if dataset.period_kind not in YEAR_KINDS or dataset.period_kind is kind:
        return dataset

    def move(mapping: Mapping[Period, _T]) -> dict[Period, _T]:
        return {Period(kind, p.index) if p.kind in YEAR_KINDS else p: v for p, v in mapping.items()}

    areas = tuple(Area(a.name, {i: _map_series(s, move) for i, s in a.series.items()},
                       {t: move(by) for t, by in a.reported_themes.items()}) for a in dataset.areas)
    return Dataset(dataset.path, areas, kind, dataset.title, dataset.source, dataset.notes, dataset.sha256)


class _Relabel(Protocol):
    """Relabels the periods of a mapping, keeping its values."""

    def __call__(self, mapping: Mapping[Period, _T]) -> dict[Period, _T]: ...


def _map_series(series: Series, move: _Relabel) -> Series:
    r = series.reported
    return Series(series.indicator, move(series.values), {n: move(v) for n, v in series.fields.items()},
                  move(series.method_breaks), Reported(move(r.arrow), move(r.rag), move(r.value)),
                  series.notes, series.source, {n: move(v) for n, v in series.levels.items()},
                  {n: move(v) for n, v in series.stated.items()})


# period -> (value, the file that first gave it)
Held = dict[Period, tuple[_T, str]]


@dataclass
class _SeriesParts:
    """One series as merged so far."""

    source: str | None
    values: Held[Value] = field(default_factory=dict)
    fields: dict[str, Held[Value]] = field(default_factory=dict)
    breaks: Held[str] = field(default_factory=dict)
    arrow: Held[str] = field(default_factory=dict)
    rag: Held[str] = field(default_factory=dict)
    printed: Held[Decimal] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    levels: dict[str, Held[Decimal]] = field(default_factory=dict)
    stated: dict[str, Held[Decimal]] = field(default_factory=dict)


@dataclass
class _AreaParts:
    """One area as merged so far."""

    series: dict[str, _SeriesParts] = field(default_factory=dict)
    themes: dict[str, Held[str]] = field(default_factory=dict)


class _Merger:
    """Unites areas and series, file by file, remembering which file gave each observation."""

    def __init__(self) -> None:
        self._areas: dict[str, _AreaParts] = {}
        self.problems: list[Diagnostic] = []

    def add(self, dataset: Dataset) -> None:
        """Merge one dataset's areas into what is held so far."""
        for area in dataset.areas:
            held = self._areas.setdefault(area.name, _AreaParts())
            for theme, by_period in area.reported_themes.items():
                self._unite(held.themes.setdefault(theme, {}), by_period, dataset.path,
                            (area.name, f"theme {theme}"))
            for indicator, series in area.series.items():
                self._series(held.series, indicator, series, dataset.path, area.name)

    def _series(self, held: dict[str, _SeriesParts], indicator: str, series: Series, path: str, area: str) -> None:
        parts = held.setdefault(indicator, _SeriesParts(series.source))
        where = (area, indicator)
        self._unite(parts.values, series.values, path, where)
        for name, by_period in series.fields.items():
            self._unite(parts.fields.setdefault(name, {}), by_period, path, (area, f"{indicator}.{name}"))
        self._unite(parts.breaks, series.method_breaks, path, (area, f"{indicator} method break"))
        self._unite(parts.arrow, series.reported.arrow, path, (area, f"{indicator} reported arrow"))
        self._unite(parts.rag, series.reported.rag, path, (area, f"{indicator} reported RAG"))
        self._unite(parts.printed, series.reported.value, path, (area, f"{indicator} reported value"))
        for name, by_period in series.levels.items():
            self._unite(parts.levels.setdefault(name, {}), by_period, path, (area, f"{indicator} level {name}"))
        for name, by_period in series.stated.items():
            self._unite(parts.stated.setdefault(name, {}), by_period, path, (area, f"{indicator} stated {name}"))
        parts.notes.extend(n for n in series.notes if n not in parts.notes)
        parts.source = parts.source or series.source

    def _unite(self, held: Held[_T], incoming: Mapping[Period, _T], path: str, where: tuple[str, str]) -> None:
        """Add period -> value entries; a period held with another value is a conflict."""
        for period, value in incoming.items():
            if period not in held:
                held[period] = (value, path)
            elif held[period][0] != value:
                before, first_path = held[period]
                self.problems.append(error(
                    "E313", f"{where[0]} · {where[1]} · {period}: {first_path} gives {_word(before)} but "
                    f"{path} gives {_word(value)}",
                    hint="correct the file that is wrong, or leave the observation out of one of them"))

    def areas(self) -> tuple[Area, ...]:
        """The merged areas, in the order first seen."""
        return tuple(Area(name, {i: _build(i, p) for i, p in held.series.items()},
                          {t: _plain(by) for t, by in held.themes.items()})
                     for name, held in self._areas.items())


def _plain(held: Held[_T]) -> dict[Period, _T]:
    return {p: v for p, (v, _) in sorted(held.items())}


def _build(indicator: str, parts: _SeriesParts) -> Series:
    return Series(indicator, _plain(parts.values), {n: _plain(v) for n, v in parts.fields.items()},
                  _plain(parts.breaks), Reported(_plain(parts.arrow), _plain(parts.rag), _plain(parts.printed)),
                  tuple(parts.notes), parts.source, {n: _plain(v) for n, v in parts.levels.items()},
                  {n: _plain(v) for n, v in parts.stated.items()})


def _word(value: object) -> str:
    if isinstance(value, Missing):  # before str: Missing is a str enum
        return value.value
    return f"'{value}'" if isinstance(value, str) else str(value)
