"""The dataset model: series of exact values by period, per area, with what the source report printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Mapping, Union

from .periods import Period, PeriodKind


class Missing(str, Enum):
    """Why a value is absent: not available, or withheld (suppressed) by the publisher."""

    NA = "na"
    SUPPRESSED = "suppressed"


Value = Union[Decimal, Missing]


@dataclass(frozen=True)
class Reported:
    """Judgements a source report printed for one series, by period, so that they can be checked."""

    arrow: Mapping[Period, str] = field(default_factory=dict)
    rag: Mapping[Period, str] = field(default_factory=dict)
    value: Mapping[Period, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Series:
    """The data for one indicator in one area: values and named fields (numerators, denominators) by period."""

    indicator: str
    values: Mapping[Period, Value] = field(default_factory=dict)
    fields: Mapping[str, Mapping[Period, Value]] = field(default_factory=dict)
    # A break at period P means values from P on are not comparable with values before P.
    method_breaks: Mapping[Period, str] = field(default_factory=dict)
    reported: Reported = field(default_factory=Reported)
    notes: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Area:
    """All series for one area, and the theme ratings its source report printed."""

    name: str
    series: Mapping[str, Series]
    reported_themes: Mapping[str, Mapping[Period, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    """A loaded, validated dataset: one or more areas, one kind of period, and where it came from."""

    path: str
    areas: tuple[Area, ...]
    period_kind: PeriodKind | None
    title: str | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()
    sha256: str = ""

    def periods(self) -> tuple[Period, ...]:
        """Every period that holds a value or field in any series, in order."""
        seen: set[Period] = set()
        for area in self.areas:
            for series in area.series.values():
                seen.update(series.values)
                for by_period in series.fields.values():
                    seen.update(by_period)
        return tuple(sorted(seen))
