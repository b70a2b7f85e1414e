"""Reporting periods: financial and calendar years, quarters and months, with order and arithmetic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache


class PeriodKind(str, Enum):
    """The kinds of period a series can be reported in."""

    FINANCIAL_YEAR = "financial_year"
    CALENDAR_YEAR = "calendar_year"
    QUARTER = "quarter"
    FINANCIAL_QUARTER = "financial_quarter"
    MONTH = "month"


# Periods per year of each kind: "the same period a year earlier" steps back this many.
PER_YEAR = {
    PeriodKind.FINANCIAL_YEAR: 1,
    PeriodKind.CALENDAR_YEAR: 1,
    PeriodKind.QUARTER: 4,
    PeriodKind.FINANCIAL_QUARTER: 4,
    PeriodKind.MONTH: 12,
}

_PATTERNS = (
    (PeriodKind.FINANCIAL_QUARTER, re.compile(r"^([0-9]{4})/([0-9]{2})-Q([1-4])$")),
    (PeriodKind.FINANCIAL_YEAR, re.compile(r"^([0-9]{4})/([0-9]{2})$")),
    (PeriodKind.QUARTER, re.compile(r"^([0-9]{4})-Q([1-4])$")),
    (PeriodKind.MONTH, re.compile(r"^([0-9]{4})-([0-9]{2})$")),
    (PeriodKind.CALENDAR_YEAR, re.compile(r"^([0-9]{4})$")),
)

PERIOD_FORMS = ("2006/07 (financial year), 2006 (calendar year), 2006-Q3 (quarter), 2006/07-Q1 (financial quarter) "
                "or 2006-09 (month)")


class PeriodError(ValueError):
    """A text that is not a period."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period; ordered within its kind by `index` (consecutive periods differ by 1)."""

    kind: PeriodKind
    index: int

    def __hash__(self) -> int:
        # The index alone: equal periods have equal indexes, and periods of different kinds meet in one set or
        # dict only by mistake. The generated hash hashed the kind, an Enum, whose hash is Python code; reports
        # hash a period for every value they show.
        return self.index

    @property
    def label(self) -> str:
        """The canonical text of the period, e.g. '2006/07'; years always have four digits (0999/00), as the
        grammar reads them."""
        k, i = self.kind, self.index
        if k is PeriodKind.FINANCIAL_YEAR:
            return f"{i:04d}/{(i + 1) % 100:02d}"
        if k is PeriodKind.CALENDAR_YEAR:
            return f"{i:04d}"
        if k is PeriodKind.QUARTER:
            return f"{i // 4:04d}-Q{i % 4 + 1}"
        if k is PeriodKind.FINANCIAL_QUARTER:
            year = i // 4
            return f"{year:04d}/{(year + 1) % 100:02d}-Q{i % 4 + 1}"
        return f"{i // 12:04d}-{i % 12 + 1:02d}"

    def __str__(self) -> str:
        return self.label

    def shift(self, steps: int) -> Period:
        """The period `steps` periods later (earlier when negative)."""
        return Period(self.kind, self.index + steps)

    def year_earlier(self) -> Period:
        """The same period one year earlier."""
        return self.shift(-PER_YEAR[self.kind])


def parse_period(text: str) -> Period:
    """Parse a period label; raise PeriodError saying which forms are accepted."""
    return _parsed(str(text).strip())


# A dataset names a few periods on millions of rows: each label is parsed once, and every row of a period
# shares one Period (at national scale that is a Period and an int fewer to keep per value).
@lru_cache(maxsize=1024)
def _parsed(text: str) -> Period:
    for kind, pattern in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m.group(1))
        if kind in (PeriodKind.FINANCIAL_YEAR, PeriodKind.FINANCIAL_QUARTER):
            if int(m.group(2)) != (year + 1) % 100:
                raise PeriodError(f"'{text}' is not a financial year: {year} is followed by {(year + 1) % 100:02d}")
            if kind is PeriodKind.FINANCIAL_YEAR:
                return Period(kind, year)
            return Period(kind, year * 4 + int(m.group(3)) - 1)
        if kind is PeriodKind.QUARTER:
            return Period(kind, year * 4 + int(m.group(2)) - 1)
        if kind is PeriodKind.MONTH:
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise PeriodError(f"'{text}' is not a month: month {month} is not between 01 and 12")
            return Period(kind, year * 12 + month - 1)
        return Period(kind, year)
    raise PeriodError(f"'{text}' is not a period; expected {PERIOD_FORMS}")


# Where a financial year starts, in periods of each kind counted from the calendar year's first period:
# April is month 3 (0-based) and quarter 1 (0-based); a financial quarter or year starts its own year.
_FINANCIAL_OFFSET = {PeriodKind.MONTH: 3, PeriodKind.QUARTER: 1}


def year_start(period: Period, financial: bool = False) -> Period:
    """The first period of the year `period` falls in: the calendar year, or with `financial` the April-March year.

    Financial quarters already count from April, so `financial` changes nothing for them; a year is its own start.
    """
    position = (period.index - year_offset(period.kind, financial)) % PER_YEAR[period.kind]
    return Period(period.kind, period.index - position)


def year_offset(kind: PeriodKind, financial: bool = False) -> int:
    """Where a year starts among periods of `kind`: a period's position in its year (0 for the first) is its
    index less this, modulo PER_YEAR."""
    return _FINANCIAL_OFFSET.get(kind, 0) if financial else 0


# Where a year starts, in periods of a part kind, for a year of each kind: (per year, offset from year * per year).
_YEAR_STARTS = {
    (PeriodKind.FINANCIAL_YEAR, PeriodKind.FINANCIAL_QUARTER): 0,
    (PeriodKind.FINANCIAL_YEAR, PeriodKind.QUARTER): 1,  # April is calendar quarter 2
    (PeriodKind.FINANCIAL_YEAR, PeriodKind.MONTH): 3,  # April is month 4
    (PeriodKind.CALENDAR_YEAR, PeriodKind.QUARTER): 0,
    (PeriodKind.CALENDAR_YEAR, PeriodKind.MONTH): 0,
    (PeriodKind.CALENDAR_YEAR, PeriodKind.FINANCIAL_QUARTER): -1,  # January is the previous financial year's Q4
}


def parts_of_year(year: Period, kind: PeriodKind) -> tuple[Period, ...] | None:
    """The quarters or months of `kind` that make up a financial or calendar year, in order (None: they cannot)."""
    offset = _YEAR_STARTS.get((year.kind, kind))
    if offset is None:
        return None
    per_year = PER_YEAR[kind]
    first = year.index * per_year + offset
    return tuple(Period(kind, first + i) for i in range(per_year))
