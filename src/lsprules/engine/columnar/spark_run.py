"""Runs the columnar plan on Spark (a local PySpark, or the cluster Spark's own settings name), giving CSV text.

The same plan `lsprules sql --dialect spark` prints, run end to end: Spark reads the file (every cell as text,
without quotes: what data/readers/csv_guard.py and input_checks.header_columns let through), the values and the
distinct area, indicator and period cells are checked as the reference reader would (input_checks.py, the same
patterns as in DuckDB), and the plan's rows come back in order. Anything else is a Fallback, and the reference
interpreter runs and reports it by row and column. Where Spark runs is Spark's business: without settings a local
Spark on every core; SPARK_REMOTE (Spark Connect) or PYSPARK_SUBMIT_ARGS (`--master ...`) name a cluster, whose
executors must then be able to read the file's path.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.csv_cells import COLUMNS
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
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["Fallback", "evaluate_csv"]

INSTALL = "PySpark is not installed (pip install 'lsprules[spark]')"
# Spark's DECIMAL(38, 0), less the 6 places a division of two of them keeps: within it every quotient fits (ANSI mode
# would raise beyond, the static bound keeps clear of it).
EXACT_LIMIT = 10 ** 32
BATCH_ROWS = 65536
SETTINGS = {
    "spark.app.name": "lsprules",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.ansi.enabled": "true",  # an overflow raises (Spark 3 returned NULL without it): never a wrong answer
    "spark.sql.session.timeZone": "UTC",
}


def evaluate_csv(rules: RuleSet, path: str | Path, period: str | None = None, areas: Sequence[str] | None = None,
                 columns: tuple[str, ...] = COLUMNS) -> Iterator[str] | Fallback:
    """The CSV report, in pieces, of `render_csv(evaluate(...), columns)` for a plain long-form CSV, run on Spark;
    or why not."""
    reasons = unsupported(rules)
    if reasons:
        return Fallback("the plan cannot express " + "; ".join(reasons))
    if importlib.util.find_spec("pyspark") is None:
        return Fallback(INSTALL, note=True)
    if read_as_pattern(Path(path)):
        return Fallback("a file name Spark would read as a pattern of files (* ? [ {)")
    names = header_columns(Path(path))
    if isinstance(names, Fallback):
        return names
    spark = _session()
    if isinstance(spark, Fallback):
        return spark
    frame = _read(spark, Path(path), names)
    if isinstance(frame, Fallback):
        return frame
    found = _checked(spark)
    if isinstance(found, Fallback):
        return found
    at = requested(found, period, areas, rules, fields=True)
    if isinstance(at, Fallback):
        return at
    return _run(spark, rules, frame, found, at, areas, columns)


def _session() -> SparkSession | Fallback:
    """A Spark session; its JVM's log goes to a file of its own, not into lsprules' output."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in SETTINGS.items():
        builder = builder.config(key, value)
    log = Path(tempfile.gettempdir()) / f"lsprules-spark-{os.getpid()}.log"
    try:
        with _stderr_to(log):  # the JVM inherits standard error when it starts: its warnings go to the log
            spark = builder.getOrCreate()
    except Exception as error:  # no Java, a cluster that cannot be reached: many kinds
        return Fallback(f"Spark could not start ({type(error).__name__}; its log: {log})", note=True)
    atexit.register(log.unlink, missing_ok=True)  # kept only when Spark failed to start, to say why
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Standard error (file descriptor 2) appended to `path` for the duration: a child started meanwhile keeps it."""
    saved = os.dup(2)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(descriptor, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(descriptor)


def _read(spark: SparkSession, path: Path, names: list[str]) -> DataFrame | Fallback:
    """The file as the table `observations`: every cell as text, no quoting, a row of another length refused,
    each row numbered in the file's order (areas are listed in the order they first appear)."""
    from pyspark.sql import functions

    try:
        frame = (spark.read.option("header", "true").option("quote", "").option("escape", "")
                 .option("mode", "FAILFAST").option("nullValue", "").option("emptyValue", "")
                 .option("ignoreLeadingWhiteSpace", "false").option("ignoreTrailingWhiteSpace", "false")
                 .option("encoding", "UTF-8").option("enforceSchema", "false")
                 .schema(", ".join(f"{name} STRING" for name in names)).csv(str(path)))
        # `field` and `level` columns are read into the indicator's key (key_sql): the plan reads the four columns.
        frame = frame.selectExpr("area", f"{key_sql(names)} AS indicator",
                                 "period", "value")
        frame = frame.withColumn("rn", functions.monotonically_increasing_id() + 1)
        frame.createOrReplaceTempView("observations")
    except Exception:  # Spark reports a file it cannot read in several ways
        return Fallback("Spark cannot read the file as plain CSV")
    return frame


def _checked(spark: SparkSession) -> Checked | Fallback:
    """The checks of input_checks.checked, counted by Spark in one pass, then the distinct cells."""
    number = f"'{NUMBER_PATTERN}'"
    query = (
        f"SELECT count_if(value IS NOT NULL AND NOT lower(value) RLIKE '{MISSING_PATTERN}' "
        f"AND NOT value RLIKE {number}), "
        f"coalesce(max(CASE WHEN value RLIKE {number} THEN length(split_part(value, '.', 2)) END), 0), "
        f"coalesce(max(CASE WHEN value RLIKE {number} "
        "THEN length(TRIM(LEADING '+-' FROM split_part(value, '.', 1))) END), 0), "
        "(SELECT count(*) FROM (SELECT 1 FROM observations GROUP BY area, indicator, period HAVING count(*) > 1)) "
        "FROM observations")
    try:
        row = spark.sql(query).collect()[0]
        bad, scale, digits, duplicates = (int(cell or 0) for cell in row)
        if bad or duplicates:
            return checked(bad, duplicates, scale, digits, {})
        cells = {column: [r[0] for r in spark.sql(f"SELECT DISTINCT {column} FROM observations").collect()]
                 for column in ("area", "indicator", "period")}
    except Exception:  # FAILFAST raises here, when a row is read: another number of cells
        return Fallback("Spark cannot read the file as plain CSV (a row with another number of cells)")
    return checked(bad, duplicates, scale, digits, cells,
                   lambda: [r[0] for r in spark.sql(VALUE_PERIODS_SQL).collect()])


def _run(spark: SparkSession, rules: RuleSet, frame: DataFrame, found: Checked, at: object,
         areas: Sequence[str] | None, columns: tuple[str, ...]) -> Iterator[str] | Fallback:
    """The plan, when its integers cannot overflow Spark's decimals, run by Spark; the CSV text in pieces."""
    from lsprules.core.periods import Period
    from lsprules.engine.columnar.magnitude import largest
    from lsprules.engine.columnar.sql_plan import PlanOptions, compile_plan, csv_lines

    assert at is None or isinstance(at, Period)
    options = PlanOptions("spark", found.kind, found.scale, "observations", at, areas, "rn", found.digits,
                          tuple(found.periods.values()), columns=columns, levels=level_keys(found))
    plan = compile_plan(rules, options)
    # rn counts from 1 in each of Spark's partitions' ranges: its bound is the largest id, not the row count.
    numbers = {"value": 10 ** (found.digits - found.scale), "rn": 2 ** 63}
    if largest(plan, numbers, ("area", "indicator", "period")) >= EXACT_LIMIT:
        return Fallback("a number is too large for exact decimal arithmetic in Spark (38 digits)", note=True)
    try:
        rows = spark.sql(csv_lines(plan).sql(dialect="spark")).toLocalIterator()
        first = next(rows, None)
    except Exception as error:  # an overflow (ANSI mode) or a failed job
        return Fallback(f"Spark could not run the plan ({type(error).__name__})", note=True)
    return _pieces(first, rows, columns)


def _pieces(first: object, rows: Iterator[object], columns: tuple[str, ...]) -> Iterator[str]:
    """The header, then the lines in batches, as Spark hands the ordered rows over."""
    yield ",".join(columns) + "\n"
    batch: list[str] = []
    row = first
    while row is not None:
        batch.append(row[0])  # type: ignore[index]
        if len(batch) == BATCH_ROWS:
            yield "\n".join(batch) + "\n"
            batch = []
        row = next(rows, None)
    if batch:
        yield "\n".join(batch) + "\n"
