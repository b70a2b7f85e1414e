"""Load Excel .xlsx workbooks (openpyxl): every sheet is a table in long form or in the published layout.

Long form has the CSV's columns (`area,indicator,period,value` and the same optional ones), one
observation per row. The published layout is the one reports print: one row per indicator and one column
per period (`area`, `indicator`, then period labels such as 2005/06), with optional `field`, `title`,
`comments` and `reported_arrow` columns. A cell may name its own period, as the 2007 report's cells do:
`1029 (2003/04)` under a column headed 2003. Every problem names the sheet and cell (`Sheet1!D5`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, cast

from lsprules.core.diagnostics import Diagnostic, InputError, at_span, did_you_mean, error
from lsprules.core.files import read_input
from lsprules.core.limits import current, number_problem
from lsprules.core.periods import Period, PeriodError, parse_period
from lsprules.core.source import Span
from lsprules.data.model import Dataset, Missing, Value
from lsprules.data.observations import Observations, SeriesBuilder
from lsprules.data.readers.long_form import MISSING_WORDS, LongForm, arrow, decimal, identity

WIDE_COLUMNS = ("area", "indicator", "field", "title", "comments", "reported_arrow")
EXPLICIT_PERIOD = re.compile(r"^(?P<value>.*?)\s*\((?P<period>[^()]+)\)$")
DECIMALS_IN_FORMAT = re.compile(r"\.(0+)")
MAX_PROBLEMS = 100

# (sheet title, row, column) of a cell, numbered from 1 as openpyxl does
Place = tuple[str, int, int]


# What this reader uses of openpyxl (which has no type hints of its own).
class _SheetCell(Protocol):
    @property
    def value(self) -> object: ...


class _Worksheet(Protocol):
    @property
    def title(self) -> str: ...

    def iter_rows(self, min_row: int) -> Iterable[Sequence[_SheetCell]]: ...


class _Workbook(Protocol):
    @property
    def worksheets(self) -> Sequence[_Worksheet]: ...

    def close(self) -> None: ...


def load_xlsx(path: str | Path) -> Dataset:
    """Read and validate a workbook; raise InputError naming the sheet and cell of each problem."""
    return load_xlsx_bytes(*read_input(path, "dataset"))


def load_xlsx_bytes(name: str, data: bytes) -> Dataset:
    """Validate and build a dataset from the bytes of an .xlsx workbook."""
    _check_size(name, data)
    workbook = _open(name, data)
    try:
        unsaved = _unsaved_formulas(name, data)
    except InputError:
        workbook.close()
        raise
    except Exception as exc:  # a damaged or refused part (a DOCTYPE, an entity) surfaces only as it is read
        workbook.close()
        raise InputError([_unreadable(name, exc)]) from None
    reader = _WorkbookReader(name, unsaved)
    try:
        for sheet in _every_row(workbook):
            reader.sheet(sheet)
        reader.finish()
    except Exception as exc:  # a damaged part of the workbook surfaces only as it is read
        raise InputError([_unreadable(name, exc)]) from None
    finally:
        workbook.close()
    if not reader.problems and not reader.observations.areas:
        reader.problems.append(at_span("E310", f"{name} holds no data: no sheet has a header row and values",
                                       Span(name, 1, 1, 1, 2), "",
                                       "put a header row (area, indicator, period, value) and data rows in a sheet"))
    if reader.problems:
        raise InputError(reader.problems[:MAX_PROBLEMS])
    return reader.observations.dataset(name, hashlib.sha256(data).hexdigest())


def _unsaved_formulas(name: str, data: bytes) -> frozenset[Place]:
    """The cells holding a formula whose result the file does not store (a workbook written by a program
    and never recalculated): read as values they would look empty, and be silently taken as missing."""
    from openpyxl import load_workbook

    try:
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:
        raise InputError([_unreadable(name, exc)]) from None
    try:
        found = {(sheet.title, cell.row, cell.column) for sheet in _every_row(formulas) for row in sheet.iter_rows()
                 for cell in row if isinstance(cell.value, str) and cell.value.startswith("=")}
    finally:
        formulas.close()
    if not found:
        return frozenset()
    values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return frozenset(place for sheet in _every_row(values) for row in sheet.iter_rows() for cell in row
                         if cell.value is None and (place := (sheet.title, getattr(cell, "row", None),
                                                               getattr(cell, "column", None))) in found)
    finally:
        values.close()


def _every_row(workbook: Any) -> list[Any]:
    """The worksheets, each set to read every row and column there is: the size a sheet declares
    (`<dimension ref=...>`) may be stale, and rows beyond it would silently go unread."""
    sheets = list(workbook.worksheets)
    for sheet in sheets:
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
    return sheets


_PROLOG_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROW_NUMBER = re.compile(rb'\sr="[A-Z]{0,3}([0-9]{7,})"')  # a row's or a cell's reference with a 7-digit row
EXCEL_ROWS = 1_048_576


def _beyond_last_row(sheet: bytes) -> bool:
    """Whether a worksheet's XML names a row past the last one Excel allows."""
    return any(int(m.group(1)) > EXCEL_ROWS for m in _ROW_NUMBER.finditer(sheet))


def _check_size(name: str, data: bytes) -> None:
    """E311 for a part with a DOCTYPE; E709 for a workbook that would inflate beyond the limits (a zip bomb),
    judged from the sizes the zip declares (reading never inflates a part beyond its declared size). A file
    that is not a zip is left to openpyxl's E311."""
    import zipfile

    limits = current()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            doctype = next((p.filename for p in parts if p.filename.endswith((".xml", ".rels"))
                            and _PROLOG_DOCTYPE.search(archive.open(p).read(4096))), None)
            beyond = next((p.filename for p in parts if p.filename.startswith("xl/worksheets/")
                           and _beyond_last_row(archive.read(p))), None) if not doctype else None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return
    if beyond:  # openpyxl would make up every empty row before it: millions, from a few bytes
        raise InputError([error("E311", f"{name} cannot be read as an .xlsx workbook: its part {beyond} has a "
                                f"row beyond row {EXCEL_ROWS:,}, the last a spreadsheet can have",
                                hint="open it in Excel or LibreOffice and save it again as an Excel Workbook "
                                     "(.xlsx)")])
    if doctype:  # no workbook needs one; entities in it could expand without bound
        raise InputError([error("E311", f"{name} cannot be read as an .xlsx workbook: its part {doctype} has a "
                                "DOCTYPE, which lsprules never reads",
                                hint="open it in Excel or LibreOffice and save it again as an Excel Workbook "
                                     "(.xlsx)")])
    total = sum(p.file_size for p in parts)
    worst = max(parts, key=lambda p: p.file_size / max(p.compress_size, 1), default=None)
    ratio = worst.file_size / max(worst.compress_size, 1) if worst else 0
    if total > limits.xlsx_size:
        problem = (f"it would inflate to {total} bytes, beyond the limit of {limits.xlsx_size}",
                   f"xlsx_size={total}")
    elif worst is not None and worst.file_size > 1024 * 1024 and ratio > limits.xlsx_ratio:
        problem = (f"its part {worst.filename} would inflate {ratio:.0f} times, beyond the limit of "
                   f"{limits.xlsx_ratio}", f"xlsx_ratio={int(ratio) + 1}")
    else:
        return
    raise InputError([error("E709", f"{name} is not read: {problem[0]}",
                            hint=f"if the workbook is genuine, raise the limit: lsprules --limit {problem[1]} ...")])


def _open(name: str, data: bytes) -> _Workbook:
    from openpyxl import load_workbook

    try:
        workbook: _Workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return workbook
    except Exception as exc:  # not a zip, not a workbook, a missing part: all mean "cannot be read"
        raise InputError([_unreadable(name, exc)]) from None


def _unreadable(name: str, exc: Exception) -> Diagnostic:
    reason = str(exc) or type(exc).__name__
    return error("E311", f"{name} cannot be read as an .xlsx workbook: {reason}",
                 hint="open it in Excel or LibreOffice and save it again as an Excel Workbook (.xlsx)")


# --- cells -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """One cell: where it is, what it holds, and its number format (for decimals shown and per cent)."""

    sheet: str
    row: int
    column: int
    value: object
    number_format: str | None = "General"  # None for the empty cells of a read-only sheet

    @property
    def place(self) -> str:
        """The cell as Excel names it: Sheet1!D5."""
        from openpyxl.utils import get_column_letter

        return f"{self.sheet}!{get_column_letter(self.column)}{self.row}"

    @property
    def text(self) -> str:
        """The cell as text, stripped ('' when empty)."""
        value = self.value
        if value is None:
            return ""
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, float):
            return format(value, ".15g")
        if isinstance(value, (dt.datetime, dt.date)):
            return value.isoformat()
        return str(value).strip()


def _number(cell: _Cell) -> Decimal | None:
    """An exact decimal from a number cell, as Excel shows it (15 significant digits), or None if not a number."""
    value = cell.value
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
    fmt = (cell.number_format or "General").split(";")[0]
    places = len(m.group(1)) if (m := DECIMALS_IN_FORMAT.search(fmt)) else 0
    if "%" in fmt:  # a per-cent cell holds 0.72 and shows 72%: the dataset convention is 72
        number = number.scaleb(2)
    # The exponent is a letter only for infinity or NaN (a stored 1e999): negating it then raises a TypeError,
    # which load_xlsx_bytes reports as an unreadable workbook.
    sign, digits, exponent = number.as_tuple()
    if -cast(int, exponent) < places:  # keep the places the sheet shows: 2.0 stays 2.0 (exactly: no context)
        number = Decimal((sign, digits + (0,) * (cast(int, exponent) + places), -places))
    return number


# --- the workbook --------------------------------------------------------------------------------


class _WorkbookReader:
    """Reads each sheet: finds its header row, chooses the layout, then reads the rows below it."""

    row_code = "E310"
    table = "sheet"
    unknown_first = True

    def __init__(self, name: str, unsaved: frozenset[Place] = frozenset()):
        self.name = name
        self.unsaved = unsaved  # (sheet, row, column) of formulas with no saved value
        self.problems: list[Diagnostic] = []
        self.observations = Observations()
        # Bare N/A cells of the published layout, kept until the file's kind of period is known.
        self.pending: list[tuple[str, str, str, Period, Value, _Cell]] = []

    def fail(self, code: str, cell: _Cell, message: str, hint: str | None = None) -> None:
        """Record a problem at a cell: `book.xlsx:5:4: error[E306]: Sheet1!D5: ...`."""
        span = Span(self.name, cell.row, cell.column, cell.row, cell.column + 1)
        self.problems.append(at_span(code, f"{cell.place}: {message}", span, "", hint))

    def sheet(self, worksheet: _Worksheet) -> None:
        """Read one worksheet (empty sheets are skipped)."""
        layout: _LongSheet | _WideSheet | None = None
        for row_number, raw in enumerate(worksheet.iter_rows(min_row=1), start=1):
            cells = [_Cell(worksheet.title, row_number, column, c.value, getattr(c, "number_format", None))
                     for column, c in enumerate(raw, start=1)]
            for cell in cells:
                if cell.value is None and (cell.sheet, cell.row, cell.column) in self.unsaved:
                    self.fail("E310", cell, "this formula has no saved value, so its result cannot be read",
                              "open the workbook in a spreadsheet program and save it (that stores the results), "
                              "or write the value itself")
            if all(c.text == "" for c in cells):
                continue
            if layout is None:
                layout = self._layout(cells)
                if layout is None:
                    return
            else:
                layout.row(cells)
            if len(self.problems) >= MAX_PROBLEMS:
                return

    def finish(self) -> None:
        """Record the bare N/A cells whose column heads a period of the file's kind; the others say nothing.

        The 2007 report heads its columns 2002..2006 and writes N/A under 2002 for every row: that cell
        speaks of no financial year the data uses, so it is not an observation of one.
        """
        first = self.observations.first_kind
        for area, indicator, name, period, value, cell in self.pending:
            if first is None or period.kind is first[0]:
                if self.period(cell, period.label) is not None:
                    self.add(area, indicator, name, period, value, cell)
        self.pending.clear()

    def _layout(self, header: list[_Cell]) -> _LongSheet | _WideSheet | None:
        names = [c.text.lower() for c in header]
        if "value" in names or "period" in names:
            return _LongSheet.start(self, header)
        if "indicator" in names:
            return _WideSheet.start(self, header)
        first = next(c for c in header if c.text)
        self.fail("E310", first, "this row is not a header: expected the columns area, indicator, period, value "
                  "(long form) or area, indicator and one column per period (published layout)",
                  "put the header in the sheet's first row, or remove the sheet")
        return None

    # --- cells shared by both layouts ------------------------------------------------------------

    def period(self, cell: _Cell, text: str | None = None) -> Period | None:
        """A period from a cell (or from text found in it), checked to be of the file's kind."""
        label = text if text is not None else _period_label(cell)
        try:
            period = parse_period(label)
        except PeriodError as exc:
            self.fail("E303", cell, str(exc), "type the period as text (format the column as Text in Excel)")
            return None
        problem = self.observations.period_problem(period, cell.place)
        if problem:
            self.fail("E303", cell, problem, "use one kind of period per workbook")
            return None
        return period

    def value(self, cell: _Cell, text: str | None = None) -> Value | None:
        """A value: a number cell, a number typed as text, or a word for no value (na, suppressed)."""
        if text is None:
            number = _number(cell)
            if number is not None:
                return self._within_limits(number, cell)
            if isinstance(cell.value, (bool, dt.datetime, dt.date, dt.time)):
                kind = "TRUE/FALSE" if isinstance(cell.value, bool) else "a date"
                self.fail("E306", cell, f"expected a number, found {kind} ({cell.text})",
                          "format the cell as Number and type the figure again")
                return None
            text = cell.text
        word = MISSING_WORDS.get(text.lower())
        if word is not None:
            return word
        number = decimal(text)
        if number is not None:
            return self._within_limits(number, cell)
        self.fail("E306", cell, f"expected a number, found '{text}'",
                  "type a plain number such as 1029 or -0.6; leave the cell empty, or type na or suppressed, "
                  "when there is no value")
        return None

    def _within_limits(self, number: Decimal, cell: _Cell) -> Decimal | None:
        """The number, or None with an E700/E701 when it is beyond the limits."""
        found = number_problem(number)
        if found:
            self.fail(found[0], cell, found[1], found[2])
            return None
        return number

    def add(self, area: str, indicator: str, name: str, period: Period, value: Value, cell: _Cell) -> None:
        """Record an observation; a different value for the same one is an E307 naming both cells."""
        conflict = self.observations.add(area, indicator, name, period, value, cell.place)
        if conflict:
            self.fail("E307", cell, conflict, "keep one value per area, indicator and period")

    def identity(self, area_cell: _Cell | None, indicator_cell: _Cell) -> tuple[str, str] | None:
        """The area and indicator id of a row, checked."""
        return identity(self, area_cell, indicator_cell)

    def reported(self, series: SeriesBuilder, period: Period, cell: _Cell | None) -> None:
        """A printed arrow (up, ▲, ...) for the series at `period`."""
        arrow(self, series, period, cell)

    # --- what the long-form parser asks of a workbook (see long_form.Cells) -----------------------

    def problem(self, code: str, cell: _Cell, message: str, hint: str | None = None) -> None:
        """Record a problem at a cell."""
        self.fail(code, cell, message, hint)

    def first_at(self, cell: _Cell) -> str:
        """Where the first of a repeated column is."""
        return f" (first at {cell.place})"

    def number(self, cell: _Cell) -> Value | None:
        """A cell's value: a word for no value is read as one (and so not kept as a number)."""
        return self.value(cell)

    def observe(self, area: str, indicator: str, name: str, period: Period, value: Value, cell: _Cell) -> bool:
        """Record a row's value; the rest of the row is read even when it conflicts."""
        self.add(area, indicator, name, period, value, cell)
        return True

    def component(self, series: SeriesBuilder, area: str, indicator: str, name: str, period: Period,
                  number: Decimal, cell: _Cell) -> None:
        """A numerator or denominator, checked for conflicts like any field."""
        self.add(area, indicator, name, period, number, cell)


def _period_label(cell: _Cell) -> str:
    """A period label from a cell: text as typed, a whole number as a year, a first-of-month date as a month."""
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.day == 1 and value.time() == dt.time(0):
        return f"{value.year}-{value.month:02d}"  # Excel turns a typed 2006-09 into 1 Sep 2006
    return cell.text


def _columns(reader: _WorkbookReader, header: list[_Cell], allowed: tuple[str, ...]) -> dict[str, _Cell]:
    """Known column names -> header cell; a known name repeated is a problem (unknown ones are the caller's)."""
    found: dict[str, _Cell] = {}
    for cell in header:
        name = cell.text.lower()
        if not name:
            continue
        if name in found:
            reader.fail("E310", cell, f"column '{name}' appears twice (first at {found[name].place})",
                        "keep one of them")
        elif name in allowed:
            found[name] = cell
    return found


# --- long form ---------------------------------------------------------------------------------------


class _LongSheet:
    """A sheet in long form: the CSV's columns, one observation per row (read by long_form)."""

    def __init__(self, form: LongForm[_Cell]):
        self.form = form
        self.columns = {name: cell.column - 1 for name, cell in form.columns.items()}

    @classmethod
    def start(cls, reader: _WorkbookReader, header: list[_Cell]) -> _LongSheet | None:
        """Check the header row; None (with problems recorded) when it cannot be used."""
        named = [c for c in header if c.text]  # a blank header cell heads nothing, and is no problem
        form = LongForm.start(reader, named, named[0])
        return None if form is None else cls(form)

    def row(self, cells: list[_Cell]) -> None:
        """Read one observation."""
        self.form.row({name: cells[index] if index < len(cells) else
                       _Cell(cells[0].sheet, cells[0].row, index + 1, None) for name, index in self.columns.items()})


# --- the published layout ------------------------------------------------------------------------


class _WideSheet:
    """A sheet laid out as reports print it: one row per indicator, one column per period."""

    def __init__(self, reader: _WorkbookReader, columns: dict[str, int], periods: dict[int, Period]):
        self.reader = reader
        self.columns = columns
        self.periods = periods  # column index (0-based) -> the period its header names

    @classmethod
    def start(cls, reader: _WorkbookReader, header: list[_Cell]) -> _WideSheet | None:
        """Check the header row: known columns and period labels only."""
        before = len(reader.problems)
        found = _columns(reader, header, WIDE_COLUMNS)
        periods: dict[int, Period] = {}
        for cell in header:
            if not cell.text or cell.text.lower() in WIDE_COLUMNS:
                continue
            try:
                periods[cell.column - 1] = parse_period(_period_label(cell))
            except PeriodError:
                reader.fail("E310", cell, f"unknown column '{cell.text}': neither a period nor one of "
                            f"{', '.join(WIDE_COLUMNS)}",
                            did_you_mean(cell.text.lower(), WIDE_COLUMNS) or
                            "head each period's column with its label, e.g. 2005/06, 2006-Q3 or 2006-09")
        missing = [c for c in ("area", "indicator") if c not in found]
        if missing or not periods:
            first = next(c for c in header if c.text)
            what = f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}" if missing else \
                "no column is headed with a period"
            reader.fail("E310", first, what, "the published layout needs area, indicator and one column per period")
        if len(reader.problems) > before:
            return None
        return cls(reader, {name: cell.column - 1 for name, cell in found.items()}, periods)

    def cell(self, cells: list[_Cell], index: int) -> _Cell:
        return cells[index] if index < len(cells) else _Cell(cells[0].sheet, cells[0].row, index + 1, None)

    def named(self, cells: list[_Cell], name: str) -> _Cell | None:
        return self.cell(cells, self.columns[name]) if name in self.columns else None

    def row(self, cells: list[_Cell]) -> None:
        """Read one indicator's values across the period columns."""
        reader = self.reader
        indicator_cell = self.cell(cells, self.columns["indicator"])  # a required column: always there
        ids = reader.identity(self.named(cells, "area"), indicator_cell)
        if ids is None:
            return
        area, indicator = ids
        field_cell = self.named(cells, "field")
        name = field_cell.text if field_cell else ""
        read: list[Period] = []
        for index, header_period in self.periods.items():
            cell = self.cell(cells, index)
            if cell.text == "":
                continue  # no entry for this period
            found = self._cell_value(cell, header_period)
            if found is None:
                continue
            period, value = found
            if period is header_period and isinstance(value, Missing):
                reader.pending.append((area, indicator, name, period, value, cell))
                continue
            reader.add(area, indicator, name, period, value, cell)
            if not isinstance(value, Missing):
                read.append(period)
        arrow = self.named(cells, "reported_arrow")
        if arrow is not None and arrow.text:
            if read:  # the report's arrow speaks of the latest data it shows
                reader.reported(reader.observations.series(area, indicator), max(read), arrow)
            else:
                reader.fail("E310", arrow, "an arrow is given but the row has no values for it to describe",
                            "give the row's values, or clear the arrow")

    def _cell_value(self, cell: _Cell, header_period: Period) -> tuple[Period, Value] | None:
        """The period and value of a cell; `1029 (2003/04)` names its own period."""
        match = EXPLICIT_PERIOD.match(cell.text) if isinstance(cell.value, str) else None
        if match:
            period = self.reader.period(cell, match.group("period").strip())
            value = self.reader.value(cell, match.group("value").strip())
            return None if period is None or value is None else (period, value)
        value = self.reader.value(cell)
        if value is None:
            return None
        if isinstance(value, Missing):
            return header_period, value  # its period is checked when the file's kind is known
        period = self.reader.period(cell, header_period.label)
        return None if period is None else (period, value)
