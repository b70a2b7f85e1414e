"""Runs the columnar plan embedded in DuckDB on one long-form CSV (or Parquet) file, giving CSV text in batches.

DuckDB reads the file, once data/readers/csv_guard.py has found no field beyond the size limit in it
(input_checks.header_columns); before the plan runs, every value is checked by pattern in DuckDB, and every distinct
area, indicator and period cell as the reference reader (data/readers/long_form.py) would accept it
(input_checks.py). Anything else (quotes, other columns, a bad cell, a duplicate row, two kinds of period, an
unknown --period or --area) gives a Fallback, and the reference path runs and reports it by row and column.
So does an integer overflow: DuckDB raises rather than wrap, and the run says so instead of giving a different
answer.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from lsprules.core.csv_cells import COLUMNS
from lsprules.core.interrupts import raise_if_pressed, unless_interrupted
from lsprules.engine.columnar.input_checks import (
    MISSING_PATTERN,
    NUMBER_PATTERN,
    VALUE_PERIODS_SQL,
    Checked,
    Fallback,
    checked,
    header_columns,
    key_sql,
    level_keys,
    read_as_pattern,
    requested,
)
from lsprules.engine.columnar.support import unsupported
from lsprules.lang.resolve import RuleSet

if TYPE_CHECKING:
    import duckdb

__all__ = ["Fallback", "evaluate_csv"]

T = TypeVar("T")

BATCH_ROWS = 65536
# DuckDB's own default is 80 % of the machine's memory: on 21M rows (10 x the national benchmark L) that was a
# 14.8 GB process. Held to 1 GB, DuckDB spills to a private temporary folder instead; the process then peaked at
# 1.4 GB there and L got about a quarter slower (docs/performance.md).
MEMORY_LIMIT = "1GB"
DECIMAL_DIGITS = 38  # the most digits of DuckDB's DECIMAL, in which the plan parses every value


def evaluate_csv(rules: RuleSet, path: str | Path, period: str | None = None, areas: Sequence[str] | None = None,
                 columns: tuple[str, ...] = COLUMNS) -> Iterator[str] | Fallback:
    """The CSV report, in pieces, of `render_csv(evaluate(...), columns)` for a plain long-form CSV; or why not."""
    reasons = unsupported(rules)
    if reasons:
        return Fallback("the plan cannot express " + "; ".join(reasons))
    connection = connect()
    started = closed_unless_run(connection, lambda: _started(connection, rules, Path(path), period, areas, columns))
    return started if isinstance(started, Fallback) else _pieces(connection, *started, columns)


def closed_unless_run(connection: duckdb.DuckDBPyConnection, work: Callable[[], T | Fallback]) -> T | Fallback:
    """What `work` gives on the open connection, which is closed when it steps aside (a Fallback) or fails."""
    try:
        done = work()
    except BaseException:
        shut(connection)  # here, never left to DuckDB's destructor (see shut)
        raise
    if isinstance(done, Fallback):
        shut(connection)
    return done


def shut(connection: duckdb.DuckDBPyConnection) -> None:
    """Close a connection, first stopping what it still runs: after a query that Ctrl-C interrupted, DuckDB 1.5's
    close (and its destructor, at some later garbage collection) would run the query's remaining work to its end,
    which can take hours."""
    connection.interrupt()
    connection.close()


def _started(connection: duckdb.DuckDBPyConnection, rules: RuleSet, path: Path, period: str | None,
             areas: Sequence[str] | None, columns: tuple[str, ...]
             ) -> tuple[duckdb.DuckDBPyConnection, list[tuple[str]]] | Fallback:
    """The plan's query running on the checked file, its first batch of lines read; or why not."""
    import duckdb

    try:
        found = load_checked(connection, path)
        at = found if isinstance(found, Fallback) else requested(found, period, areas, rules, fields=True)
        if isinstance(at, Fallback):
            return at
        assert not isinstance(found, Fallback)  # then `at` is that Fallback
        from lsprules.engine.columnar.sql_plan import PlanOptions, compile_plan, csv_lines

        options = PlanOptions("duckdb", found.kind, found.scale, "observations", at, areas, "rn", found.digits,
                              tuple(found.periods.values()), columns=columns, levels=level_keys(found))
        result = connection.execute(csv_lines(compile_plan(rules, options)).sql(dialect="duckdb"))
        first = result.fetchmany(BATCH_ROWS)
        raise_if_pressed()
        return result, first
    except (duckdb.OutOfRangeException, duckdb.ConversionException) as error:
        return Fallback(f"a number is too large for exact integer arithmetic in DuckDB ({error})", note=True)


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB held to MEMORY_LIMIT, spilling to a folder of its own that goes when it closes."""
    import duckdb

    spill = tempfile.mkdtemp(prefix="lsprules-duckdb-")
    # No progress bar: DuckDB draws one on a query that runs over two seconds, into a user's stderr or pipeline.
    connection = duckdb.connect(config={"threads": 2, "memory_limit": MEMORY_LIMIT, "temp_directory": spill})
    connection.execute("SET enable_progress_bar = false")  # a session setting: connect() refuses it
    weakref.finalize(connection, shutil.rmtree, spill, ignore_errors=True)
    return connection


def _pieces(connection: duckdb.DuckDBPyConnection, result: duckdb.DuckDBPyConnection,
            first: list[tuple[str]], columns: tuple[str, ...]) -> Iterator[str]:
    """The header, then the lines batch by batch, as DuckDB produces them; the connection closes at the end."""
    yield ",".join(columns) + "\n"
    try:
        batch = first
        while batch:
            yield "\n".join(row[0] for row in batch) + "\n"
            batch = result.fetchmany(BATCH_ROWS)
            raise_if_pressed()
    finally:
        shut(connection)


def load_checked(connection: duckdb.DuckDBPyConnection, path: Path) -> Checked | Fallback:
    """Read the file into the table `observations` and check it; its kind of period, scale, periods, areas."""
    if path.suffix.lower() == ".parquet":
        from lsprules.engine.columnar.parquet_input import load_parquet

        refused = load_parquet(connection, path)
        return refused if refused is not None else _checked(connection)
    if read_as_pattern(path):
        return Fallback("a file name DuckDB would read as a pattern of files (* ? [ {)")
    names = header_columns(path)
    if isinstance(names, Fallback):
        return names
    columns = dict.fromkeys(names, "VARCHAR")
    # `field` and `level` columns are read into the indicator's key (key_sql): the plan reads the four columns.
    read = f"area, {key_sql(names)} AS indicator, period, value"
    try:
        connection.execute(
            f"CREATE TEMP TABLE observations AS SELECT {read}, row_number() OVER () AS rn FROM "
            "read_csv(?, header = true, columns = ?, delim = ',', quote = '', escape = '', auto_detect = false, "
            "strict_mode = true, null_padding = false)", [str(path), columns])
    except Exception as error:
        unless_interrupted(error)
        return Fallback("DuckDB cannot read the file as plain CSV")
    return _checked(connection)


def _checked(connection: duckdb.DuckDBPyConnection) -> Checked | Fallback:
    """The checks of `observations` (input_checks.checked), and a value DuckDB's decimals cannot hold refused."""
    raise_if_pressed()  # during the read, which DuckDB may have finished as if it had not come
    found = _counted(connection)
    if not isinstance(found, Fallback) and found.digits > DECIMAL_DIGITS:
        return Fallback(f"a number of more than {DECIMAL_DIGITS} digits, beyond exact arithmetic in DuckDB", note=True)
    return found


def _counted(connection: duckdb.DuckDBPyConnection) -> Checked | Fallback:
    bad, scale, digits, duplicates = connection.execute(
        "SELECT count(*) FILTER (WHERE value IS NOT NULL AND NOT regexp_matches(lower(value), ?) "
        "AND NOT regexp_matches(value, ?)), "
        "coalesce(max(length(split_part(value, '.', 2))) FILTER (WHERE regexp_matches(value, ?)), 0), "
        "coalesce(max(length(ltrim(split_part(value, '.', 1), '+-'))) FILTER (WHERE regexp_matches(value, ?)), 0), "
        "(SELECT count(*) FROM (SELECT 1 FROM observations GROUP BY area, indicator, period HAVING count(*) > 1)) "
        "FROM observations", [MISSING_PATTERN, NUMBER_PATTERN, NUMBER_PATTERN, NUMBER_PATTERN]).fetchone() or (0,) * 4
    if bad or duplicates:
        return checked(bad, duplicates, scale, digits, {})
    cells = {column: [row[0] for row in connection.execute(
        f"SELECT DISTINCT {column} FROM observations").fetchall()] for column in ("area", "indicator", "period")}
    return checked(bad, duplicates, scale, digits, cells,
                   lambda: [row[0] for row in connection.execute(VALUE_PERIODS_SQL).fetchall()])
