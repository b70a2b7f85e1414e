"""Load long-form Parquet datasets (the CSV's columns) through DuckDB: each cell is read as the text a CSV holds.

Every cell becomes the text the CSV reader would get for it, and long_form reads the rows, so a column, a value or
a period means in Parquet exactly what it means in CSV: text as written (stripped, as CSV cells are), whole
numbers and DECIMALs exactly (a DECIMAL keeps its places: 1.50 stays 1.50), a FLOAT or DOUBLE as the shortest
decimal that gives the binary number back (0.1, not 0.1000000000000000055...; 75.0 is 75), NULL as an empty cell.
Any other column type (a date, a list, a struct, binary) is refused (E319), never guessed at.
Problems name the row (from 1, in the file's order) and the column.
"""

from __future__ import annotations

import hashlib
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, cast

from lsprules.core.diagnostics import Diagnostic, InputError, at_span, error
from lsprules.core.files import read_input
from lsprules.core.limits import current, number_problem
from lsprules.core.periods import Period, PeriodError, parse_period
from lsprules.core.source import Span
from lsprules.data.model import Dataset, Value
from lsprules.data.observations import Observations, SeriesBuilder
from lsprules.data.readers.long_form import LongForm, decimal
from lsprules.data.readers.parquet_footer import MAGIC, declared_columns, footer_bytes, sizes_problem

if TYPE_CHECKING:
    import duckdb

MAX_PROBLEMS = 100
BATCH_ROWS = 8192  # rows converted to Python at a time: memory stays bounded however long the file
DAMAGED_HINT = "write the file again (it may be damaged, encrypted or cut short)"
SCAN = "read_parquet(?, hive_partitioning = false)"  # the file's own columns, never any from its folders' names
INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                      "UBIGINT", "UHUGEINT"})
READ = "text or a number (VARCHAR, an integer type, DECIMAL, FLOAT or DOUBLE)"


def load_parquet(path: str | Path) -> Dataset:
    """Read and validate a long-form Parquet dataset; raise InputError naming the row and column of each problem."""
    return load_parquet_bytes(*read_input(path, "dataset"))


def load_parquet_bytes(name: str, data: bytes) -> Dataset:
    """Validate and build a dataset from the bytes of a long-form Parquet file."""
    if data.startswith(MAGIC) and (len(data) < 2 * len(MAGIC) or not data.endswith(MAGIC)):
        raise InputError([_cut_short(name)])
    if len(data) < 2 * len(MAGIC) or not (data.startswith(MAGIC) and data.endswith(MAGIC)):
        raise InputError([_not_parquet(name, data)])
    footer = footer_bytes(data)
    refused = footer_problem(name, footer) if footer is not None else None
    if refused:
        raise InputError([refused])
    reader = _Reader(name)
    # DuckDB reads files, and standard input has none: the bytes read (and hashed) are the ones DuckDB sees.
    with tempfile.TemporaryDirectory(prefix="lsprules-parquet-") as folder:
        copy = Path(folder) / "dataset.parquet"
        copy.write_bytes(data)
        reader.read(copy)
    if reader.problems:
        raise InputError(reader.problems[:MAX_PROBLEMS])
    return reader.observations.dataset(name, hashlib.sha256(data).hexdigest())


def _not_parquet(name: str, data: bytes) -> Diagnostic:
    """E316, with a hint for the likeliest mistake: a text file (CSV) given the wrong extension."""
    text = b"\0" not in data[:4096] and b"," in data[:4096]
    hint = ("it looks like text: if it is a CSV file, name it .csv" if text else
            "write it as Parquet, e.g. in DuckDB: COPY t TO 'data.parquet' (FORMAT parquet)")
    return error("E316", f"{name} is not a Parquet file: it does not begin and end with the bytes PAR1", hint=hint)


def _cut_short(name: str) -> Diagnostic:
    """E317 for a file that begins as Parquet but lost its end (and with it the footer that says what it holds)."""
    return error("E317", f"{name} cannot be read as a Parquet file: it begins with the bytes PAR1 but does not end "
                 "with them, so it is cut short", hint=DAMAGED_HINT)


def footer_problem(name: str, footer: bytes) -> Diagnostic | None:
    """What the footer alone refuses: more columns than csv_columns (E707; checked first, as the cheaper), or sizes
    its bytes cannot hold (E317); None when DuckDB may read the file."""
    columns = declared_columns(footer)
    if columns is not None and columns > current().csv_columns:
        return too_many_columns(name, columns)
    problem = sizes_problem(footer)
    return error("E317", f"{name} cannot be read as a Parquet file: {problem}", hint=DAMAGED_HINT) if problem else None


def too_many_columns(name: str, columns: int) -> Diagnostic:
    """E707 for a file whose footer declares more columns than the limit csv_columns, as a CSV header is refused."""
    limit = current().csv_columns
    return error("E707", f"{name}: the file has {columns} columns, beyond the limit of {limit}",
                 hint=f"a long-form Parquet file has a few columns; if this is meant, raise the limit: lsprules "
                      f"--limit csv_columns={columns} ...")


# --- cells -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """One cell: its row (from 1; 0 for the column's name), its column (from 1), the column's name, its text."""

    row: int
    column: int
    name: str
    text: str


def double_text(number: float) -> str:
    """A DOUBLE as the shortest decimal that gives it back, without an exponent (1e+20 is 100000000000000000000)."""
    return _plain(repr(number))


def float_text(number: float) -> str:
    """A FLOAT (32 bits, handed over as a Python float) as the shortest decimal that gives the 32-bit number back."""
    if number != number or number in (float("inf"), float("-inf")):
        return repr(number)
    for digits in range(1, 10):  # nine significant digits always give a 32-bit float back
        shortest = f"{number:.{digits}g}"
        try:
            if struct.unpack("<f", struct.pack("<f", float(shortest)))[0] == number:
                return _plain(shortest)
        except OverflowError:  # rounded past the largest 32-bit float (3.4028235e38): more digits are needed
            continue
    return _plain(repr(number))  # not reached: kept so that a surprise still reads the exact value


def _plain(text: str) -> str:
    """A number's text without an exponent, and a whole number without '.0'; nan and inf as they are."""
    number = Decimal(text)
    if not number.is_finite():
        return text
    plain = format(number, "f")
    return plain[:-2] if plain.endswith(".0") else plain


def _converter(type_name: str) -> Callable[[object], str] | None:
    """How a column of a DuckDB type becomes text (a NULL is handled before); None for a type that is refused."""
    if type_name == "VARCHAR":
        return lambda value: str(value).strip()
    if type_name in INTEGERS:
        return str
    if type_name.startswith("DECIMAL("):
        return lambda value: format(value, "f")  # a Decimal with the column's scale: 1.50 keeps its places
    if type_name == "DOUBLE":
        return lambda value: double_text(cast(float, value))
    if type_name == "FLOAT":
        return lambda value: float_text(cast(float, value))
    return None


def _cast_hint(column: str, type_name: str) -> str:
    """How to write a refused column as text in DuckDB: a date as the period label it stands for, else a cast."""
    if type_name.startswith(("DATE", "TIMESTAMP")):
        return f"strftime({column}, '%Y-%m') (a period is a label such as 2006-09, 2006/07 or 2006-Q3)"
    return f"CAST({column} AS VARCHAR)"


# --- the file ----------------------------------------------------------------------------------------------


class _Reader:
    """Reads the columns, then the rows batch by batch, collecting every problem with its row and column."""

    row_code = "E318"
    table = "Parquet file"
    unknown_first = False

    def __init__(self, name: str):
        self.name = name
        self.problems: list[Diagnostic] = []
        self.observations = Observations()

    def read(self, path: Path) -> None:
        """Read the file at `path` (a copy of the dataset's bytes); DuckDB's own failures are E317."""
        import duckdb

        # One thread: rows come in the file's order. Memory held as the columnar engine holds it (a file that needs
        # more is an E317), spilling beside the file's copy, never into the working folder.
        connection = duckdb.connect(config={"threads": 1, "memory_limit": "1GB",
                                            "temp_directory": str(path.parent / "spill")})
        connection.execute("SET enable_progress_bar = false")  # no bar drawn on stderr for a long read
        try:
            self._read(connection, path)
        except duckdb.Error as exc:
            reason = str(exc).replace(str(path), self.name).strip().splitlines()[0]
            self.problems.append(error("E317", f"{self.name} cannot be read as a Parquet file: {reason}",
                                       hint=DAMAGED_HINT))
        finally:
            # Stopped first: after a read that Ctrl-C interrupted, DuckDB 1.5's close would run it on to its end.
            connection.interrupt()
            connection.close()

    def _read(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        # preserve_insertion_order (DuckDB's default, set here so that no setting elsewhere changes it): rows
        # come in the file's order, so row numbers are the file's.
        connection.execute("SET preserve_insertion_order = true")
        columns = connection.execute(f"DESCRIBE SELECT * FROM {SCAN}", [str(path)]).fetchall()
        if len(columns) > current().csv_columns:  # a footer the check before DuckDB could not read: the same E707
            self.problems.append(too_many_columns(self.name, len(columns)))
            return
        header = [_Cell(0, index, str(column[0]).strip(), str(column[0]).strip())
                  for index, column in enumerate(columns, start=1)]
        if not header:
            self.problems.append(error("E318", f"{self.name}: the file has no columns",
                                       hint="a long-form Parquet file needs the columns area, indicator, period, "
                                            "value"))
            return
        form = LongForm.start(self, header, _Cell(0, 0, "", ""))
        if form is None:
            return
        converters = self._converters(form, [str(column[1]) for column in columns])
        if converters is None:
            return
        limit = current().csv_field_size
        # Only the long-form columns are read, and text at most one character past the limit: a cell of a gigabyte
        # compresses to a few kilobytes, and is refused here (E708, as in CSV) having reached Python as 100,001.
        selected = [f"left({_quoted(columns[index][0])}, {limit + 1})" if columns[index][1] == "VARCHAR"
                    else _quoted(columns[index][0]) for index, _ in converters.values()]
        for row_number, values in enumerate(_rows(connection, path, selected), start=1):
            cells: dict[str, _Cell] = {}
            too_long = False
            for value, (name, (index, convert)) in zip(values, converters.items(), strict=True):
                cells[name] = _Cell(row_number, index + 1, name, "" if value is None else convert(value))
                if isinstance(value, str) and len(value) > limit:
                    too_long = True
                    self.problem("E708", cells[name], f"a cell is longer than the limit of {limit} characters",
                                 "if the cell is meant, raise the limit: lsprules --limit csv_field_size=N ...")
            if not too_long and any(cell.text for cell in cells.values()):
                form.row(cells)  # a row of empty cells is skipped, as a blank CSV line is
            if len(self.problems) >= MAX_PROBLEMS:
                return

    def _converters(self, form: LongForm[_Cell],
                    types: list[str]) -> dict[str, tuple[int, Callable[[object], str]]] | None:
        """Column name -> (its index in a row, how its values become text); None when a column's type is refused."""
        found: dict[str, tuple[int, Callable[[object], str]]] = {}
        for name, cell in form.columns.items():
            type_name = types[cell.column - 1]
            convert = _converter(type_name)
            if convert is None:
                self.problems.append(error(
                    "E319", f"{self.name}: column '{cell.name}' is of type {type_name}, which lsprules does not read",
                    hint=f"write it as {READ}, e.g. in DuckDB {_cast_hint(cell.name, type_name)}"))
            else:
                found[name] = (cell.column - 1, convert)
        return None if len(found) < len(form.columns) else found

    # --- what the long-form parser asks of a Parquet file (see long_form.Cells) ---------------------------

    def problem(self, code: str, cell: _Cell, message: str, hint: str | None = None) -> None:
        """Record a problem at a cell: `data.parquet:5:4: error[E306]: row 5, column 'value': ...`."""
        if len(self.problems) >= MAX_PROBLEMS:
            return
        if cell.row == 0:  # a column's name: the file has no row for it, so no position
            where = f"column {cell.column} ('{cell.name}'): " if cell.column else ""
            self.problems.append(error(code, f"{self.name}: {where}{message}", hint=hint))
            return
        span = Span(self.name, cell.row, cell.column, cell.row, cell.column + 1)
        self.problems.append(at_span(code, f"row {cell.row}, column '{cell.name}': {message}", span, "", hint))

    def first_at(self, cell: _Cell) -> str:
        """Where the first of a repeated column is."""
        return f" (first as column {cell.column})"

    def period(self, cell: _Cell) -> Period | None:
        """The period a cell names, of the file's kind."""
        try:
            period = parse_period(cell.text)
        except PeriodError as exc:
            self.problem("E303", cell, str(exc))
            return None
        problem = self.observations.period_problem(period, f"row {cell.row}")
        if problem:
            self.problem("E303", cell, problem, "use one kind of period per file")
            return None
        return period

    def number(self, cell: _Cell) -> Decimal | None:
        """A number written in a cell, as the CSV reader reads one; anything else is an E306 (or E351)."""
        number = decimal(cell.text)
        if number is None and any(ch.isdigit() and not ch.isascii() for ch in cell.text):
            self.problem("E351", cell, f"'{cell.text}' is written with digits other than 0-9",
                         "write the number with the digits 0-9 (other scripts' digits are not read as numbers, so "
                         "that what is read is what a reader of the file sees)")
            return None
        if number is not None and (found := number_problem(number)):
            self.problem(found[0], cell, found[1], found[2])
            return None
        if number is None:
            self.problem("E306", cell, f"expected a number, found '{cell.text}'",
                         "write a plain decimal such as 1029 or -0.6; leave the cell empty (NULL), or write na or "
                         "suppressed, when there is no value")
        return number

    def observe(self, area: str, indicator: str, name: str, period: Period, value: Value, cell: _Cell) -> bool:
        """Record a row's value; a conflicting one is an E307 and the rest of its row is not read (as in CSV)."""
        conflict = self.observations.add(area, indicator, name, period, value, f"row {cell.row}")
        if conflict:
            self.problem("E307", cell, conflict, "keep one row per area, indicator and period")
            return False
        return True

    def component(self, series: SeriesBuilder, area: str, indicator: str, name: str, period: Period,
                  number: Decimal, cell: _Cell) -> None:
        """A numerator or denominator: written as read, as the CSV reader does."""
        series.fields[name][period] = number


def _rows(connection: duckdb.DuckDBPyConnection, path: Path, selected: list[str]) -> Iterator[tuple[object, ...]]:
    """The file's rows in its order, the columns `selected` (SQL expressions), a batch at a time."""
    result = connection.execute(f"SELECT {', '.join(selected)} FROM {SCAN}", [str(path)])
    while batch := result.fetchmany(BATCH_ROWS):
        yield from batch


def _quoted(name: object) -> str:
    """A column's name as a DuckDB identifier."""
    return '"' + str(name).replace('"', '""') + '"'
