"""Collects observations read from a table (any reader, any layout) into a Dataset, catching conflicts.

A reader says *where* each observation came from (a cell, a row); this module says what is wrong with it:
a second, different value for the same area, indicator, field and period, or a period of another kind than
the file's first. It knows nothing about files, so the spreadsheet readers share it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from lsprules.core.periods import Period, PeriodKind
from lsprules.core.visible import visible
from lsprules.data.model import Area, Dataset, Reported, Series, Value


@dataclass
class SeriesBuilder:
    """The parts of one series as they are read."""

    values: dict[Period, Value] = field(default_factory=dict)
    fields: dict[str, dict[Period, Value]] = field(default_factory=lambda: defaultdict(dict))
    breaks: dict[Period, str] = field(default_factory=dict)
    arrow: dict[Period, str] = field(default_factory=dict)
    rag: dict[Period, str] = field(default_factory=dict)
    printed: dict[Period, Decimal] = field(default_factory=dict)
    levels: dict[str, dict[Period, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    stated: dict[str, dict[Period, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    # Each value and field as first recorded, and where it was read: by field ("" for the value), then period.
    seen: dict[str, dict[Period, tuple[Value, str]]] = field(default_factory=lambda: defaultdict(dict))

    def build(self, indicator: str) -> Series:
        """The finished Series, every mapping in period order."""
        return Series(indicator, dict(sorted(self.values.items())),
                      {name: dict(sorted(v.items())) for name, v in self.fields.items()},
                      dict(sorted(self.breaks.items())),
                      Reported(dict(self.arrow), dict(self.rag), dict(self.printed)),
                      levels={name: dict(sorted(v.items())) for name, v in self.levels.items()},
                      stated={name: dict(sorted(v.items())) for name, v in self.stated.items()})


def kind_words(kind: PeriodKind) -> str:
    """'financial year' for PeriodKind.FINANCIAL_YEAR."""
    return kind.value.replace("_", " ")


class Observations:
    """Observations by area and indicator, with the place each value was first read from."""

    def __init__(self) -> None:
        self.areas: dict[str, dict[str, SeriesBuilder]] = {}
        self.first_kind: tuple[PeriodKind, str] | None = None

    def series(self, area: str, indicator: str) -> SeriesBuilder:
        """The builder of one series, made on first use (areas and indicators keep the order first read)."""
        by_indicator = self.areas.setdefault(area, {})
        builder = by_indicator.get(indicator)
        if builder is None:  # not setdefault: a builder is made once per series, not once per row
            builder = by_indicator[indicator] = SeriesBuilder()
        return builder

    def period_problem(self, period: Period, place: str) -> str | None:
        """Why `period` cannot be used here (another kind than the first period read), or None."""
        if self.first_kind is None:
            self.first_kind = (period.kind, place)
            return None
        kind, first_place = self.first_kind
        if period.kind is kind:
            return None
        return (f"period {period.label} is a {kind_words(period.kind)}, but this file's periods are "
                f"{kind_words(kind)}s ({first_place})")

    def add(self, area: str, indicator: str, name: str, period: Period, value: Value, place: str) -> str | None:
        """Record a value (or a named field when `name` is given); return a conflict message, or None."""
        series = self.series(area, indicator)
        # Kept in the series, not in one table keyed by (area, indicator, field, period): at national scale such a
        # key, and the area's and indicator's text each row brings, would be kept for every value while reading.
        seen = series.seen[name]
        earlier = seen.get(period)
        if earlier is not None:
            if earlier[0] == value:
                return None
            what = f"field {name} of {indicator}" if name else indicator
            return f"{what} for {area} in {period} is {_word(value)} here but {_word(earlier[0])} at {earlier[1]}"
        seen[period] = (value, place)
        if name:
            series.fields[name][period] = value
        else:
            series.values[period] = value
        return None

    def dataset(self, path: str, sha256: str) -> Dataset:
        """The Dataset of everything recorded."""
        areas = tuple(Area(visible(name), {ind: b.build(ind) for ind, b in series.items()})
                      for name, series in self.areas.items())
        return Dataset(path, areas, self.first_kind[0] if self.first_kind else None, sha256=sha256)


def _word(value: Value) -> str:
    return str(value) if isinstance(value, Decimal) else value.value
