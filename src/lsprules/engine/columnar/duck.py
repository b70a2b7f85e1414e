"""Runs the columnar plan embedded in DuckDB on one long-form CSV file, giving CSV text in batches.

DuckDB reads the file, once data/readers/csv_guard.py has found no field beyond the size limit in it (DuckDB,
reading without quotes, would otherwise load every row after an unclosed one). Before the plan runs, every
distinct area, indicator and period cell is checked here as the reference reader (data/readers/long_form.py)
would accept it, and every value by pattern in DuckDB. Anything
else (quotes, other columns, a bad cell, a duplicate row, two kinds of period, an unknown --period or --area)
gives a Fallback, and the reference path runs and reports it by row and column. So does an integer overflow:
DuckDB raises rather than wrap, and the run says so instead of giving a different answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.csv_cells import COLUMNS
from lsprules.core.periods import Period, PeriodError, PeriodKind, parse_period
from lsprules.data.readers.long_form import INDICATOR_ID, REQUIRED
from lsprules.engine.columnar.support import unsupported
from lsprules.lang.resolve import RuleSet

if TYPE_CHECKING:
    import duckdb
    from sqlglot import exp

BATCH_ROWS = 65536
# The reference reader's NUMBER (^[+-]?\d+(\.\d+)?$) with ASCII digits: any other digit goes to the reference.
NUMBER_PATTERN = r"^[+-]?[0-9]+(\.[0-9]+)?$"
MISSING_PATTERN = r"^(|na|n/a|suppressed)$"
MAX_SCALE = 18  # decimal places a value may have: beyond, the exact scaled integers could overflow


@dataclass(frozen=True)
class Fallback:
    """Why the columnar engine steps aside for this run: the reference path runs instead."""

    reason: str
    note: bool = False  # whether a user should be told even when they did not ask for this engine


def evaluate_csv(rules: RuleSet, path: str | Path, period: str | None = None,
                 areas: Sequence[str] | None = None) -> Iterator[str] | Fallback:
    """The CSV report, in pieces, of `render_csv(evaluate(...))` for a plain long-form CSV; or why not."""
    reasons = unsupported(rules)
    if reasons:
        return Fallback("the plan cannot express " + "; ".join(reasons))
    import duckdb

    connection = duckdb.connect(config={"threads": 2})
    try:
        found = _load(connection, Path(path))
        if isinstance(found, Fallback):
            connection.close()
            return found
        at = _period(period, found.periods)
        if isinstance(at, Fallback):
            connection.close()
            return at
        if areas is not None and not set(areas) <= found.areas:
            connection.close()
            return Fallback("an --area the data does not have")
        from lsprules.engine.columnar.sql_plan import PlanOptions, compile_plan

        options = PlanOptions("duckdb", found.kind, found.scale, "observations", at, areas, "rn", found.digits)
        query = _lines(compile_plan(rules, options)).sql(dialect="duckdb")
        result = connection.execute(query)
        first = result.fetchmany(BATCH_ROWS)
    except duckdb.OutOfRangeException as error:
        connection.close()
        return Fallback(f"a number is too large for exact integer arithmetic in DuckDB ({error})", note=True)
    return _pieces(connection, result, first)


def _lines(plan: exp.Select) -> exp.Select:
    """The plan's cells joined into CSV lines by DuckDB (no cell is NULL), so Python handles one string a row."""
    from sqlglot import exp

    line: exp.Expression = exp.column(exp.to_identifier(COLUMNS[0], quoted=True))
    for name in COLUMNS[1:]:
        line = exp.DPipe(this=exp.DPipe(this=line, expression=exp.Literal.string(","), safe=True),
                         expression=exp.column(exp.to_identifier(name, quoted=True)), safe=True)
    return exp.select(line.as_("line")).from_(plan.subquery("assessed"))


def _pieces(connection: duckdb.DuckDBPyConnection, result: duckdb.DuckDBPyConnection,
            first: list[tuple[str]]) -> Iterator[str]:
    """The header, then the lines batch by batch, as DuckDB produces them; the connection closes at the end."""
    yield ",".join(COLUMNS) + "\n"
    try:
        batch = first
        while batch:
            yield "\n".join(row[0] for row in batch) + "\n"
            batch = result.fetchmany(BATCH_ROWS)
    finally:
        connection.close()


@dataclass(frozen=True)
class _Checked:
    """What the checks found out about a file: its kind of period, the most places and digits of a value
    (integer and fraction), its periods by label and its areas."""

    kind: PeriodKind
    scale: int
    digits: int
    periods: dict[str, Period]
    areas: set[str]


def _load(connection: duckdb.DuckDBPyConnection, path: Path) -> _Checked | Fallback:
    """Read the file into the table `observations` and check it; its kind of period, scale, periods, areas."""
    from lsprules.core.diagnostics import InputError
    from lsprules.data.readers.csv_guard import read_guarded

    try:
        if not read_guarded(path, keep=False).complete:
            return Fallback("a field beyond the size limit (csv_field_size)")
    except InputError:
        return Fallback("the file cannot be read here")
    try:
        with path.open("rb") as stream:
            header = stream.readline()
    except OSError:
        return Fallback("the file cannot be read here")
    names = header.decode("utf-8", "replace").rstrip("\n").split(",")
    if sorted(names) != sorted(REQUIRED) or b'"' in header or b"\r" in header:
        return Fallback("not exactly the columns area, indicator, period, value")
    columns = dict.fromkeys(names, "VARCHAR")
    try:
        connection.execute(
            "CREATE TEMP TABLE observations AS SELECT *, row_number() OVER () AS rn FROM "
            "read_csv(?, header = true, columns = ?, delim = ',', quote = '', escape = '', auto_detect = false, "
            "strict_mode = true, null_padding = false)", [str(path), columns])
    except Exception:
        return Fallback("DuckDB cannot read the file as plain CSV")
    return _checked(connection)


def _checked(connection: duckdb.DuckDBPyConnection) -> _Checked | Fallback:
    bad, scale, digits, duplicates = connection.execute(
        "SELECT count(*) FILTER (WHERE value IS NOT NULL AND NOT regexp_matches(lower(value), ?) "
        "AND NOT regexp_matches(value, ?)), "
        "coalesce(max(length(split_part(value, '.', 2))) FILTER (WHERE regexp_matches(value, ?)), 0), "
        "coalesce(max(length(ltrim(split_part(value, '.', 1), '+-'))) FILTER (WHERE regexp_matches(value, ?)), 0), "
        "(SELECT count(*) FROM (SELECT 1 FROM observations GROUP BY area, indicator, period HAVING count(*) > 1)) "
        "FROM observations", [MISSING_PATTERN, NUMBER_PATTERN, NUMBER_PATTERN, NUMBER_PATTERN]).fetchone() or (0,) * 4
    if bad or duplicates:
        return Fallback("a value that is not a number, or two rows for one area, indicator and period")
    if scale > MAX_SCALE:
        return Fallback(f"a value with more than {MAX_SCALE} decimal places", note=True)
    cells = {column: [row[0] for row in connection.execute(
        f"SELECT DISTINCT {column} FROM observations").fetchall()] for column in ("area", "indicator", "period")}
    if any(c is None or c != c.strip() or not c for column in cells.values() for c in column):
        return Fallback("an empty cell, or one with spaces around it")
    if not all(INDICATOR_ID.match(c) for c in cells["indicator"]):
        return Fallback("an indicator cell that is not an identifier")
    periods: dict[str, Period] = {}
    for label in cells["period"]:
        try:
            periods[label] = parse_period(label)
        except PeriodError:
            return Fallback("a period the reference reader must report")
    kinds = {p.kind for p in periods.values()}
    if len(kinds) > 1 or any(p.label != label for label, p in periods.items()):
        return Fallback("periods of two kinds, or written unusually")
    kind = kinds.pop() if kinds else PeriodKind.FINANCIAL_YEAR  # no rows: any kind gives no assessment
    return _Checked(kind, scale, digits + scale, periods, set(cells["area"]))


def _period(text: str | None, periods: dict[str, Period]) -> Period | None | Fallback:
    if text is None:
        return None
    try:
        wanted = parse_period(text)
    except PeriodError:
        return Fallback("a --period the reference reports")
    if wanted not in periods.values():
        return Fallback("a --period the data does not have")
    return wanted
