"""The dataset model: series of exact values by period, per area, with what the source report printed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from lsprules.core.diagnostics import InputError, error
from lsprules.core.periods import Period, PeriodError, PeriodKind, parse_period

DATA_LEVELS = ("target", "trigger", "floor", "stretch", "ceiling", "benchmark")
STATED = ("target", "baseline", "change", "change_pct", "total")
# A stated share is keyed "share of ID": the value as a % of indicator ID's value at the same period.
SHARE_OF = "share of "


def stated_share(name: str) -> str | None:
    """The indicator a stated number's name is a share of (`share of all_crime` -> all_crime), if it is one."""
    return name.removeprefix(SHARE_OF) if name.startswith(SHARE_OF) else None


class Missing(str, Enum):
    """Why a value is absent: not available, or withheld (suppressed) by the publisher."""

    NA = "na"
    SUPPRESSED = "suppressed"


Value = Decimal | Missing


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
    # Reference levels the data gives (target, trigger, floor, stretch, ceiling, benchmark): name -> period -> value.
    levels: Mapping[str, Mapping[Period, Decimal]] = field(default_factory=dict)
    # Numbers the source stated, to be checked (target, baseline, change, change_pct, total, "share of ID"):
    # what -> period -> value.
    stated: Mapping[str, Mapping[Period, Decimal]] = field(default_factory=dict)


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


def resolve_period(text: str | None, dataset: Dataset) -> Period | None:
    """The period asked for, checked against the dataset's periods (None: the latest)."""
    if text is None:
        return None
    try:
        period = parse_period(text)
    except PeriodError as exc:
        raise InputError([error("E003", f"--period: {exc}", hint="e.g. --period 2005/06")]) from None
    available = dataset.periods()
    if period not in available:
        listed = ", ".join(p.label for p in available) or "none"
        kinds = {p.kind for p in available}
        why = "has no such period"
        if kinds and period.kind not in kinds:
            why = (f"uses {next(iter(kinds)).value.replace('_', ' ')}s, and {text} is a "
                   f"{period.kind.value.replace('_', ' ')}")
        raise InputError([error("E304", f"--period {text}: the dataset '{dataset.path}' {why}",
                                hint=f"its periods are: {listed}")])
    return period
