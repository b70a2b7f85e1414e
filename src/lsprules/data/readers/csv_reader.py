"""Load long-form CSV datasets (`area,indicator,period,value` and optional columns), exactly and with row errors.

The columns and what one row means are long_form's; this module reads the CSV text and names rows and columns.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from lsprules.core.diagnostics import Diagnostic, InputError, error
from lsprules.core.files import read_input
from lsprules.core.limits import current, number_problem
from lsprules.core.periods import Period, PeriodError, parse_period
from lsprules.core.source import Source
from lsprules.data.model import Dataset, Value
from lsprules.data.observations import Observations, SeriesBuilder
from lsprules.data.readers.csv_guard import read_guarded
from lsprules.data.readers.long_form import INDICATOR_ID, MISSING_WORDS, REQUIRED, LongForm, decimal

MAX_PROBLEMS = 100
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def load_csv(path: str | Path) -> Dataset:
    """Read and validate a long-form CSV dataset; raise InputError naming the row and column of each problem."""
    guarded = read_guarded(path)
    if not guarded.complete:
        # Reading stops within this prefix (a field beyond the limit), so its problems are the whole file's, and
        # a 1 GB field is never held. Had the reader not stopped in it, the guard was wrong: read the whole file.
        reader = _read(guarded.name, guarded.data)
        if reader.stopped and reader.problems:
            raise InputError(reader.problems[:MAX_PROBLEMS])
        return load_csv_bytes(*read_input(path, "dataset"))
    return load_csv_bytes(guarded.name, guarded.data)


def load_csv_bytes(name: str, data: bytes) -> Dataset:
    """Validate and build a dataset from the bytes of a long-form CSV file."""
    with _collector_paused():
        reader = _read(name, data)
        if reader.problems:
            raise InputError(reader.problems[:MAX_PROBLEMS])
        return reader.dataset(hashlib.sha256(data).hexdigest())


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector waits while a file is read: reading makes millions of objects and no
    reference cycles, and the collector's full passes scanned the growing dataset again and again (seconds of
    a national file's reading). It runs as before once the dataset is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(name: str, data: bytes) -> _Reader:
    """The reader, having read the bytes (decoded: InputError E002 for a byte that is not UTF-8)."""
    from lsprules.core.files import decode_source

    reader = _Reader(decode_source(name, data))
    reader.read()
    return reader


class _At(NamedTuple):
    """A cell of the CSV: its line, its column (None: the whole line) and its text, stripped. A named tuple: a
    national file makes millions of them, and a tuple is made several times faster than a frozen dataclass."""

    line: int
    column: int | None
    text: str


class _Reader:
    """Reads rows one by one, collecting every problem with its row and column."""

    row_code = "E305"
    table = "CSV"
    unknown_first = False

    def __init__(self, source: Source):
        self.source = source
        self.problems: list[Diagnostic] = []
        self.stopped = False  # whether reading stopped before the end, for a reason the rest could not change
        self.observations = Observations()
        self.line_starts: list[int] = [0] + [m.end() for m in re.finditer("\n", source.text)]

    # --- rows ---------------------------------------------------------------------------------

    def read(self) -> None:
        limits = current()
        csv.field_size_limit(limits.csv_field_size)  # the csv module stops at a longer field: E708
        # Lines one at a time (the text's newlines are already normalised): a StringIO would hold a second,
        # four-bytes-a-character copy of the whole file.
        rows = csv.reader(line.group() for line in _LINE.finditer(self.source.text))
        try:
            header = next(rows, None)
        except csv.Error as exc:
            self._unreadable(1, exc, "the header row cannot be read as CSV")
            return
        self.stopped = len(self.line_starts) > rows.line_num  # from here, a header problem stops reading
        if header and len(header) > limits.csv_columns:
            self.fail(1, None, f"the header has {len(header)} columns, beyond the limit of {limits.csv_columns}",
                      f"a long-form CSV has a few columns; if this is meant, raise the limit: lsprules --limit "
                      f"csv_columns={len(header)} ...", code="E707")
            return
        if not header or not any(h.strip() for h in header):
            self.problems.append(error("E305", "the CSV file is empty: a header row `area,indicator,period,value` "
                                       "is needed", self.source, 0))
            return
        form = LongForm.start(self, [_At(1, index, h.strip()) for index, h in enumerate(header)], _At(1, None, ""))
        if form is None:
            return
        self.stopped = False
        columns = {name: cell.column for name, cell in form.columns.items() if cell.column is not None}
        if set(columns) == set(REQUIRED) and self._plain_rows(columns):
            return  # every row was plain and valid: read as the loop below would have read it
        line = rows.line_num + 1
        try:
            for row in rows:
                if any(cell.strip() for cell in row):
                    self._row(form, row, columns, line)
                if len(self.problems) >= MAX_PROBLEMS:
                    self.stopped = True
                    return
                line = rows.line_num + 1
        except csv.Error as exc:  # at the line where the record that could not be read starts
            self._unreadable(line, exc, "this line cannot be read as CSV")

    def _plain_rows(self, columns: dict[str, int]) -> bool:
        """Read a file of the four required columns the way `read` and LongForm.row do, for as long as every row
        is valid: True when all were, else False with nothing read (the rows are then read one by one, which
        says what is wrong where). National files are millions of such rows: here a row costs a few look-ups,
        each distinct period, indicator and value text being checked once (the same text, the same Decimal)."""
        area_at, indicator_at, period_at, value_at = (columns[name] for name in REQUIRED)
        observations = self.observations
        periods: dict[str, Period] = {}
        indicators: set[str] = set()
        values: dict[str, Value] = {}
        rows = csv.reader(line.group() for line in _LINE.finditer(self.source.text))
        try:
            next(rows)  # the header, checked by `read`
            line = rows.line_num + 1
            for row in rows:
                if len(row) != 4 or not row[area_at].strip():
                    if not any(cell.strip() for cell in row):  # a blank row, skipped as `read` skips it
                        line = rows.line_num + 1
                        continue
                    if len(row) < 4 or any(cell.strip() for cell in row[4:]):
                        raise _NotPlain
                area, indicator = row[area_at].strip(), row[indicator_at].strip()
                period_text, value_text = row[period_at].strip(), row[value_at].strip()
                period = periods.get(period_text)
                if period is None:
                    period = periods[period_text] = self._plain_period(period_text, line)
                value = values.get(value_text)
                if value is None:
                    value = values[value_text] = _plain_value(value_text)
                if not area:
                    raise _NotPlain
                if indicator not in indicators:
                    if not INDICATOR_ID.match(indicator):
                        raise _NotPlain
                    indicators.add(indicator)
                series = observations.series(area, indicator).values
                earlier = series.get(period)
                if earlier is None:
                    series[period] = value
                elif earlier != value:  # a conflict (E307); the same value again is no problem
                    raise _NotPlain
                line = rows.line_num + 1
        except (_NotPlain, csv.Error):
            self.observations = Observations()
            return False
        return True

    def _plain_period(self, text: str, line: int) -> Period:
        """A period text met for the first time, checked as `period` checks it (_NotPlain for a problem)."""
        try:
            period = parse_period(text)
        except PeriodError:
            raise _NotPlain from None
        if self.observations.period_problem(period, f"row {line}"):
            raise _NotPlain
        return period

    def _unreadable(self, line: int, exc: csv.Error, what: str) -> None:
        """A line the csv module gave up on: a field beyond the size limit (E708), or bad quoting (E305)."""
        self.stopped = True
        if "field larger than field limit" in str(exc):
            limit = current().csv_field_size
            self.fail(line, None, f"a field is longer than the limit of {limit} characters",
                      "check for an unclosed double quote; if the field is meant, raise the limit: lsprules "
                      "--limit csv_field_size=N ...", code="E708")
        else:
            self.fail(line, None, f"{what}: {exc}", "check for an unclosed double quote")

    def _row(self, form: LongForm[_At], row: list[str], columns: dict[str, int], line: int) -> None:
        if len(row) > len(columns) and any(c.strip() for c in row[len(columns):]):
            self.fail(line, len(columns), f"this row has {len(row)} cells but the header has {len(columns)}",
                      "quote cells that contain commas")
            return
        form.row({name: _At(line, index, row[index].strip() if index < len(row) else "")
                  for name, index in columns.items()})

    # --- what the long-form parser asks of a CSV (see long_form.Cells) ------------------------------

    def problem(self, code: str, cell: _At, message: str, hint: str | None = None) -> None:
        """Record a problem at a cell: `row 5, column 4: ...`."""
        self.fail(cell.line, cell.column, message, hint, code)

    def first_at(self, cell: _At) -> str:
        """Nothing: a repeated column is named by its own position only."""
        return ""

    def period(self, cell: _At) -> Period | None:
        """The period a cell names, of the file's kind."""
        try:
            period = parse_period(cell.text)
        except PeriodError as exc:
            self.fail(cell.line, cell.column, str(exc), code="E303")
            return None
        problem = self.observations.period_problem(period, f"row {cell.line}")
        if problem:
            self.fail(cell.line, cell.column, problem, "use one kind of period per file", code="E303")
            return None
        return period

    def number(self, cell: _At) -> Decimal | None:
        """A number written in a cell; anything else, a word for no value too, is an E306."""
        number = decimal(cell.text)
        if number is None and any(ch.isdigit() and not ch.isascii() for ch in cell.text):
            self.fail(cell.line, cell.column, f"'{cell.text}' is written with digits other than 0-9",
                      "write the number with the digits 0-9 (other scripts' digits are not read as numbers, so "
                      "that what is read is what a reader of the file sees)", code="E351")
            return None
        if number is not None and (found := number_problem(number)):
            self.fail(cell.line, cell.column, found[1], found[2], code=found[0])
            return None
        if number is None:
            self.fail(cell.line, cell.column, f"expected a number, found '{cell.text}'",
                      "write a plain decimal such as 1029 or -0.6; leave the cell empty, or write na or "
                      "suppressed, when there is no value", code="E306")
        return number

    def observe(self, area: str, indicator: str, name: str, period: Period, value: Value, cell: _At) -> bool:
        """Record a row's value; a conflicting one is an E307 and the rest of its row is not read."""
        conflict = self.observations.add(area, indicator, name, period, value, f"row {cell.line}")
        if conflict:
            self.fail(cell.line, cell.column, conflict, "keep one row per area, indicator and period", code="E307")
            return False
        return True

    def component(self, series: SeriesBuilder, area: str, indicator: str, name: str, period: Period,
                  number: Decimal, cell: _At) -> None:
        """A numerator or denominator: written as read (a CSV has never checked them for conflicts)."""
        series.fields[name][period] = number

    # --- diagnostics and result -------------------------------------------------------------------

    def fail(self, line: int, column: int | None, message: str, hint: str | None = None, code: str = "E305") -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            return  # enough to go on; and each one costs a scan of its line
        start = self.line_starts[min(line, len(self.line_starts)) - 1]
        offset = start + _cell_offset(self.source.line_text(line), column) if column is not None else start
        where = f"row {line}" + (f", column {column + 1}" if column is not None else "")
        self.problems.append(error(code, f"{where}: {message}", self.source, offset,
                                   offset + max(1, _cell_width(self.source.line_text(line), column)), hint))

    def dataset(self, sha256: str) -> Dataset:
        """The Dataset of every row read."""
        return self.observations.dataset(self.source.name, sha256)


class _NotPlain(Exception):
    """A row _plain_rows does not read: a problem, or something only the row-by-row reading handles."""


def _plain_value(text: str) -> Value:
    """A value cell's text met for the first time, read as LongForm reads a value without a status: a word for
    no value, else a number (_NotPlain for anything that is neither, or a number beyond the limits)."""
    word = MISSING_WORDS.get(text.lower())
    if word is not None:
        return word
    number = decimal(text)
    if number is None or number_problem(number):
        raise _NotPlain
    return number


def _cell_bounds(line: str, column: int | None) -> tuple[int, int]:
    """Character offsets of cell `column` in a raw CSV line (quotes respected)."""
    if column is None:
        return 0, len(line)
    index, start, quoted = 0, 0, False
    for position, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            if index == column:
                return start, position
            index, start = index + 1, position + 1
    return (start, len(line)) if index == column else (len(line), len(line))


def _cell_offset(line: str, column: int | None) -> int:
    return _cell_bounds(line, column)[0]


def _cell_width(line: str, column: int | None) -> int:
    start, end = _cell_bounds(line, column)
    return end - start
