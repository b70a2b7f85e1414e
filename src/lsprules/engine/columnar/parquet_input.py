"""Loads a long-form Parquet file into DuckDB's table `observations` as the text the reference reader reads.

The reference reader (data/readers/parquet_reader.py) turns each cell into the text a CSV file would hold; here
DuckDB does the same by casting, for the column types whose cast gives exactly that text: VARCHAR as it is, the
integer types, DECIMAL (its cast keeps the places: 1.50 stays 1.50), and a DOUBLE value (its shortest decimal).
A FLOAT (DuckDB's cast is not always the shortest decimal), a DOUBLE in another column, any other type, other
columns, a cell beyond the size limit, or a file DuckDB cannot read is a Fallback: the reference path runs and
reads or reports it. The checks of the values and cells are then the CSV's (duck._checked, input_checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.interrupts import unless_interrupted
from lsprules.data.readers.long_form import REQUIRED
from lsprules.data.readers.parquet_footer import footer_bytes_of
from lsprules.data.readers.parquet_reader import INTEGERS, footer_problem
from lsprules.engine.columnar.input_checks import Fallback, key_sql, read_as_pattern

if TYPE_CHECKING:
    import duckdb


# One file, its own columns only: no columns made up from folder names (`year=2006/`), which the reference never sees.
READ = "read_parquet(?, hive_partitioning = false)"


def _plain_file(path: Path) -> bool:
    """Whether DuckDB reads `path` as the one local file it names (not a pattern, not a folder)."""
    return not read_as_pattern(path) and path.is_file()


def _refused(path: Path) -> bool:
    """Whether the file's footer declares more columns than csv_columns, or sizes its bytes cannot hold: DuckDB is
    not asked to make room for them, and the reference reader refuses the file (E707, E317) from the footer alone."""
    footer = footer_bytes_of(path)
    return footer is not None and footer_problem(str(path), footer) is not None


def cast_columns(connection: duckdb.DuckDBPyConnection, path: Path) -> list[str] | Fallback:
    """The SQL expressions giving the four columns as the reference reader's text (before stripping), or why not."""
    if not _plain_file(path):
        return Fallback("a path DuckDB would read as a pattern or a folder")
    if _refused(path):
        return Fallback("more columns than the limit csv_columns, or a damaged footer")
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM {READ}", [str(path)]).fetchall()
    except Exception as error:  # not Parquet, damaged: the reference reader reports it (E316, E317)
        unless_interrupted(error)
        return Fallback("DuckDB cannot read the file as Parquet")
    types = {str(row[0]): str(row[1]) for row in described}
    if len(described) != len(REQUIRED) or set(types) != set(REQUIRED):
        return Fallback("not exactly the columns area, indicator, period, value")
    expressions = []
    for name in REQUIRED:
        kind = types[name]
        if kind == "VARCHAR":
            expressions.append(name)
        elif kind in INTEGERS or kind.startswith("DECIMAL("):
            expressions.append(f"CAST({name} AS VARCHAR) AS {name}")
        elif kind == "DOUBLE" and name == "value":
            # DuckDB writes a DOUBLE with the shortest digits that give it back, as the reference reader does, but
            # a whole number with '.0' (dropped here) and beyond 1e16 or below 1e-4 with an exponent: such a
            # value is not a plain number to the checks, and the reference reader reads it instead.
            expressions.append(f"regexp_replace(CAST({name} AS VARCHAR), '\\.0$', '') AS {name}")
        else:  # a FLOAT: DuckDB sometimes writes more digits than the shortest (372150.625 for 372150.62)
            return Fallback(f"a {kind} column {name} (the reference reader reads it)")
    return expressions


def load_parquet(connection: duckdb.DuckDBPyConnection, path: Path) -> Fallback | None:
    """Create `observations` (the four columns as text, and `rn`, the row's place in the file); None when done."""
    from lsprules.core.limits import current

    expressions = cast_columns(connection, path)
    if isinstance(expressions, Fallback):
        return expressions
    try:
        connection.execute(f"CREATE TEMP TABLE observations AS SELECT area, {key_sql(())} AS indicator, period, "
                           f"value, row_number() OVER () AS rn FROM (SELECT {', '.join(expressions)} FROM {READ})",
                           [str(path)])
        longest = connection.execute(
            "SELECT coalesce(max(greatest(coalesce(strlen(area), 0), coalesce(strlen(indicator), 0), "
            "coalesce(strlen(period), 0), coalesce(strlen(value), 0))), 0) FROM observations").fetchone()
    except Exception as error:  # beyond DuckDB's memory limit, or damaged past its footer
        unless_interrupted(error)
        return Fallback("DuckDB cannot read the file as Parquet")
    # strlen counts bytes, never fewer than the characters the reference reader counts: a cell it refuses (E708)
    # is never run here, and one of many bytes but few enough characters only goes to the reference, which reads it.
    if longest is not None and longest[0] > current().csv_field_size:
        return Fallback("a cell beyond the size limit (csv_field_size)")
    return None


def row_count(path: Path) -> int:
    """The rows a Parquet file declares (0 when it cannot be read: the reference reader then reports it)."""
    import duckdb

    if not _plain_file(path) or _refused(path):
        return 0
    try:
        with duckdb.connect() as connection:
            found = connection.execute("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(path)]).fetchone()
    except Exception:
        return 0
    return int(found[0]) if found and found[0] is not None else 0
