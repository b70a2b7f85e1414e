"""Read long-form tables (`area,indicator,period,value` and optional columns) for any reader: header and rows.

One row is one observation. Optional columns:
  field            the row is a named field (numerator, denominator, ...) of the indicator, not its value
  numerator, denominator   the value's components, kept as the fields `numerator` and `denominator`
  status           blank, `na`, `suppressed`, or `break` (a method break at this period; `note` gives the reason)
  note             free text (the reason for a break)
  reported_arrow, reported_rag, reported_value   judgements a source report printed, to be checked
  level            the row's value is a reference level (target, trigger, floor, stretch, ceiling, benchmark)
  stated           the row's value is a number the source stated (target, baseline, change, change_pct, total,
                   or `share of ID`: a % of indicator ID)
A reader (CSV text, an .xlsx sheet) says where each cell is and how a number is read from it (`Cells`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from lsprules.core.diagnostics import Diagnostic, did_you_mean
from lsprules.core.periods import Period
from lsprules.data.model import DATA_LEVELS, SHARE_OF, STATED, Missing, Value, stated_share
from lsprules.data.observations import Observations, SeriesBuilder

REQUIRED = ("area", "indicator", "period", "value")
OPTIONAL = ("field", "numerator", "denominator", "status", "note", "reported_arrow", "reported_rag", "reported_value",
            "level", "stated")
SUGGESTED = 100  # unknown columns given a spelling suggestion (each costs a fuzzy match against every column)
NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
# "1,029" is a thousands separator; "10,29" (a decimal comma) or "6,5,0" are not numbers, never guessed at.
THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
INDICATOR_ID = re.compile(r"^[a-z][a-z0-9_]*$")
MISSING_WORDS = {"": Missing.NA, "na": Missing.NA, "n/a": Missing.NA, "suppressed": Missing.SUPPRESSED}
STATUSES = ("", "na", "suppressed", "break")
ARROW_WORDS = {"up": "up", "▲": "up", "static": "static", "◀▶": "static", "down": "down", "▼": "down",
               "peak": "peak", "★": "peak", "na": "na", "n/a": "na"}


class TextCell(Protocol):
    """A cell as the parser sees it: its text, stripped ('' when empty)."""

    @property
    def text(self) -> str: ...


C = TypeVar("C", bound=TextCell)
C_contra = TypeVar("C_contra", bound=TextCell, contravariant=True)


class Cells(Protocol[C_contra]):
    """What a reader tells the parser: how to report a cell's problem and read its number, and its few customs."""

    problems: list[Diagnostic]
    observations: Observations
    row_code: str  # the code of a problem in a row's own cells: E305 in a CSV, E310 in a workbook
    table: str  # what the hint for missing columns calls the table: "CSV", "sheet"
    # A workbook reports every unknown column before any repeated one; a CSV reports them in column order.
    unknown_first: bool

    def problem(self, code: str, cell: C_contra, message: str, hint: str | None = None) -> None:
        """Record a problem at a cell."""

    def first_at(self, cell: C_contra) -> str:
        """What a repeated column's message adds about the first one ('' or ' (first at Sheet1!A1)')."""

    def period(self, cell: C_contra) -> Period | None:
        """The period a cell names, checked to be of the file's kind (None: a problem was recorded)."""

    def number(self, cell: C_contra) -> Value | None:
        """The number in a cell that is not the value (a component, a printed value); only a Decimal is kept."""

    def observe(self, area: str, indicator: str, name: str, period: Period, value: Value, cell: C_contra) -> bool:
        """Record a row's value (or named field); False when the rest of the row is to be skipped."""

    def component(self, series: SeriesBuilder, area: str, indicator: str, name: str, period: Period,
                  number: Decimal, cell: C_contra) -> None:
        """Record a numerator or denominator given beside the value."""


def decimal(text: str) -> Decimal | None:
    """The exact number a text writes (a plain decimal, thousands separated or not), or None."""
    cleaned = text.replace(",", "") if THOUSANDS.match(text) else text
    return Decimal(cleaned) if NUMBER.match(cleaned) else None


def identity(cells: Cells[C], area_cell: C | None, indicator_cell: C) -> tuple[str, str] | None:
    """The area and indicator id of a row, checked."""
    area = area_cell.text if area_cell is not None else ""
    if not area:
        cells.problem(cells.row_code, area_cell if area_cell is not None else indicator_cell, "the area is empty",
                      "every row names its area")
        return None
    indicator = indicator_cell.text
    if not INDICATOR_ID.match(indicator):
        cells.problem(cells.row_code, indicator_cell, f"'{indicator}' is not an indicator id",
                      "ids are lower-case letters, digits and underscores, starting with a letter")
        return None
    return area, indicator


def arrow(cells: Cells[C], series: SeriesBuilder, period: Period, cell: C | None) -> None:
    """A printed arrow (up, ▲, ...) for the series at `period`."""
    if cell is None or not cell.text:
        return
    word = ARROW_WORDS.get(cell.text.lower())
    if word is None:
        cells.problem(cells.row_code, cell, f"'{cell.text}' is not an arrow",
                      "use up, static, down, peak or na (or ▲ ◀▶ ▼ ★)")
    else:
        series.arrow[period] = word


class LongForm(Generic[C]):
    """One long-form table: its checked columns, and the reading of each row into observations."""

    def __init__(self, cells: Cells[C], columns: dict[str, C]):
        self.cells = cells
        self.columns = columns  # column name -> its header cell
        # (area, indicator, level or stated, name, period) -> the number first read, for conflicts
        self._numbers: dict[tuple[str, str, str, str, Period], Decimal] = {}

    @classmethod
    def start(cls, cells: Cells[C], header: Sequence[C], missing_at: C) -> LongForm[C] | None:
        """Check the header cells; None (with problems recorded) when they cannot be used."""
        before = len(cells.problems)
        allowed = REQUIRED + OPTIONAL
        columns: dict[str, C] = {}
        repeated: list[C] = []
        explained: set[str] = set()  # missing columns a misspelt one already explains: one root cause
        unknown = 0
        for cell in header:
            name = cell.text.lower()
            if name not in allowed:
                unknown += 1
                if unknown > SUGGESTED:  # past the problems anyone reads: no more spelling suggestions
                    cells.problem(cells.row_code, cell, f"unknown column '{cell.text}'")
                    continue
                explained.update(difflib.get_close_matches(name, allowed, n=1, cutoff=0.6))
                cells.problem(cells.row_code, cell, f"unknown column '{cell.text}'",
                              did_you_mean(name, allowed) or f"columns are {', '.join(allowed)}")
            elif name in columns:
                if cells.unknown_first:
                    repeated.append(cell)
                else:
                    cls._repeated(cells, columns, cell)
            else:
                columns[name] = cell
        for cell in repeated:
            cls._repeated(cells, columns, cell)
        missing = [c for c in REQUIRED if c not in columns and c not in explained]
        if missing:
            cells.problem(cells.row_code, missing_at,
                          f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
                          f"a long-form {cells.table} needs the columns area, indicator, period, value")
        if len(cells.problems) > before:
            return None
        return cls(cells, columns)

    @staticmethod
    def _repeated(cells: Cells[C], columns: dict[str, C], cell: C) -> None:
        name = cell.text.lower()
        cells.problem(cells.row_code, cell, f"column '{name}' appears twice{cells.first_at(columns[name])}",
                      "keep one of them")

    def row(self, row: Mapping[str, C]) -> None:
        """Read one observation from a row's cells by column name (a column the table lacks is absent)."""
        cells = self.cells
        ids = identity(cells, row["area"], row["indicator"])
        if ids is None:
            return
        period = cells.period(row["period"])
        if period is None:
            return
        area, indicator = ids
        series = cells.observations.series(area, indicator)
        status_cell = row.get("status")
        status = status_cell.text.lower() if status_cell is not None else ""
        if status_cell is not None and status not in STATUSES:
            cells.problem(cells.row_code, status_cell, f"unknown status '{status_cell.text}'",
                          did_you_mean(status, STATUSES) or "status is blank, na, suppressed or break")
            return
        if status == "break":
            series.breaks[period] = _text(row.get("note")) or "method break (no reason given)"
        for column, words in (("level", DATA_LEVELS), ("stated", STATED)):
            named = row.get(column)
            if named is not None and named.text:
                self._named_number(row, column, named, words, (area, indicator, period))
                return
        value_cell = row["value"]
        value = self._value(value_cell, status)
        if value is None:
            return
        if not cells.observe(area, indicator, _text(row.get("field")), period, value, value_cell):
            return
        for name in ("numerator", "denominator"):
            part = row.get(name)
            if part is not None and part.text:
                number = cells.number(part)
                if isinstance(number, Decimal):
                    cells.component(series, area, indicator, name, period, number, part)
        arrow(cells, series, period, row.get("reported_arrow"))
        rag = _text(row.get("reported_rag"))
        if rag:
            series.rag[period] = rag.lower()
        printed = row.get("reported_value")
        if printed is not None and printed.text:
            number = cells.number(printed)
            if isinstance(number, Decimal):
                series.printed[period] = number

    def _named_number(self, row: Mapping[str, C], column: str, named: C, words: tuple[str, ...],
                      where: tuple[str, str, Period]) -> None:
        """A row whose value is a reference level or a stated number: the name, then the number, checked."""
        cells = self.cells
        name = " ".join(named.text.lower().split())
        if name not in words and not (column == "stated" and _share_name(name)):
            also = f", or {SHARE_OF}ID (a % of indicator ID)" if column == "stated" else ""
            cells.problem(cells.row_code, named, f"'{named.text}' is not a {column} name",
                          did_you_mean(name, words) or f"{column} is one of {', '.join(words)}{also}")
            return
        field_cell = row.get("field")
        if field_cell is not None and field_cell.text:
            cells.problem(cells.row_code, field_cell, f"a row cannot be both a field and a {column}",
                          f"give the {column} on a row of its own")
            return
        value_cell = row["value"]
        number = cells.number(value_cell) if value_cell.text else Missing.NA
        if number is None:
            return  # the reader has reported the cell
        if not isinstance(number, Decimal):
            cells.problem(cells.row_code, value_cell, f"a {column} row needs a number in its value cell",
                          f"write the {column} {name} as a number, or leave the row out")
            return
        area, indicator, period = where
        key = (area, indicator, column, name, period)
        earlier = self._numbers.setdefault(key, number)
        if earlier != number:  # E307 as any conflict in CSV (and Parquet, read as CSV is); a workbook's own code
            cells.problem("E307" if cells.row_code in ("E305", "E318") else cells.row_code, value_cell,
                          f"{column} {name} of {indicator} for {area} in {period} is {number} here but {earlier} "
                          "on an earlier row", "keep one row per area, indicator, period and name")
            return
        series = cells.observations.series(area, indicator)
        (series.levels if column == "level" else series.stated)[name][period] = number

    def _value(self, cell: C, status: str) -> Value | None:
        if status in ("na", "suppressed"):
            if cell.text:
                self.cells.problem(self.cells.row_code, cell,
                                   f"the status says {status} but the value cell holds '{cell.text}'",
                                   "leave the value empty, or clear the status")
                return None
            return Missing(status)
        # Words first: no number cell's text is one of them, so a typed cell reads the same either way.
        word = MISSING_WORDS.get(cell.text.lower())
        if word is not None:
            return word
        return self.cells.number(cell)


def _text(cell: TextCell | None) -> str:
    return cell.text if cell is not None else ""


def _share_name(name: str) -> bool:
    """Whether a stated number's name is `share of ID` with a lower-case identifier."""
    of = stated_share(name)
    return of is not None and re.fullmatch(r"[a-z][a-z0-9_]*", of) is not None
