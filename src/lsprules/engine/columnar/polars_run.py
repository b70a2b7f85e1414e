"""Runs the columnar plan in polars' SQL engine on one long-form CSV file, giving the CSV text.

The same plan as DuckDB's (sql_plan.py, compiled for the target "polars": PostgreSQL text, 64-bit integers or
128-bit ones), the same checks of the file (input_checks.py), done in bulk by polars, and the same bytes as the
reference. polars' integers wrap around on overflow instead of raising, so the plan runs in 64 bits only when the
largest integer it can reach (magnitude.py, from the data's digits) is under 10^18, in 128 bits when it has at most
38 digits; otherwise, as when polars is not installed, the run says why and the reference interpreter runs. polars
is imported only here, and only when this engine runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.csv_cells import COLUMNS
from lsprules.core.periods import Period
from lsprules.engine.columnar.derived import FIELD_MARK, LEVEL_MARK
from lsprules.engine.columnar.input_checks import (
    FIELD,
    LEVEL,
    MISSING_PATTERN,
    MISSING_WORDS,
    NUMBER_PATTERN,
    REFUSED,
    Checked,
    Fallback,
    checked,
    header_columns,
    level_keys,
    requested,
)
from lsprules.engine.columnar.support import unsupported
from lsprules.lang.resolve import RuleSet

if TYPE_CHECKING:
    import polars as pl
    from sqlglot import exp

# polars' Int128 holds -2^127 .. 2^127 - 1, and the plan divides in DECIMAL(38, 0): under 10^38 both are exact.
EXACT_LIMIT = 10**38
# The integer types a plan may run in, narrowest first, and the bound each must stay under: 64-bit integers (and
# quotients of 18-digit decimals) are some 10-20 % faster in polars than 128-bit ones.
INTEGERS = (("BIGINT", 10**18), ("INT128", EXACT_LIMIT))
# A value is a number or a missing word (as input_checks' two patterns, in one pass; words in any case).
VALUE_PATTERN = rf"^(?:{NUMBER_PATTERN[1:-1]}|(?i:{MISSING_PATTERN[2:-2]}))$"
VALUES = "parsed"  # the input's column of values as integers (sql_plan.PlanOptions.values)
PLAN_FAILED = "polars could not run the plan"
STREAMING_ROWS = 1_000_000  # the plan runs in polars' streaming engine from this many rows (docs/performance.md)
COUNTED_BYTES = 1 << 20  # the piece of a file whose commas are counted at a time
INSTALL = "polars is not installed (pip install 'lsprules[polars]')"


def evaluate_csv(rules: RuleSet, path: str | Path, period: str | None = None, areas: Sequence[str] | None = None,
                 columns: tuple[str, ...] = COLUMNS) -> Iterator[str] | Fallback:
    """The CSV report of `render_csv(evaluate(...), columns)` for a plain long-form CSV, run in polars; or why
    not."""
    reasons = unsupported(rules)
    if reasons:
        return Fallback("the plan cannot express " + "; ".join(reasons))
    if importlib.util.find_spec("polars") is None:
        return Fallback(INSTALL, note=True)
    # sqlglot takes a while to import: it does so while polars reads and checks the file (without the GIL).
    compiler = threading.Thread(target=_import_compiler, daemon=True)
    compiler.start()
    frame = _read(Path(path))
    facts = None if isinstance(frame, Fallback) else _unchecked(frame)
    compiler.join()
    if isinstance(frame, Fallback):
        return frame
    if facts is not None:
        found, ranges = facts
        at = requested(found, period, areas, rules, fields=True)
        if not isinstance(at, Fallback):
            ran = _overlapped(rules, frame, found, ranges, at, areas, columns)
            if ran is not None:
                return ran
    # Something is off (or polars failed): the checks alone, then the plan, say what a user is told, as always.
    return _checked_run(rules, frame, period, areas, columns)


def _overlapped(rules: RuleSet, frame: pl.DataFrame, found: Checked, ranges: list[int], at: Period | None,
                areas: Sequence[str] | None, columns: tuple[str, ...]) -> Iterator[str] | Fallback | None:
    """The checks of values and keys counted by polars while Python compiles the plan, then the plan when they
    pass (None: the checks or the plan failed in polars, or the plan's integers could overflow)."""
    counting = _Collecting(_checks(frame, ranges))
    counting.start()
    bounded = _narrowest(rules, found, at, areas, frame.height, columns=columns)
    query = None if bounded is None else _query(bounded, frame, found)
    counting.join()
    if counting.result is None or query is None:
        return None
    bad, duplicates = _found(frame, counting.result)
    if bad or duplicates:
        return Fallback(REFUSED)
    return _collected(query, frame.height)


class _Collecting(threading.Thread):
    """A polars query collected in a thread (polars releases the GIL): its frame, or None when polars failed."""

    def __init__(self, query: pl.LazyFrame):
        super().__init__(daemon=True)
        self.query = query
        self.result: pl.DataFrame | None = None

    def run(self) -> None:
        try:
            self.result = self.query.collect()
        except failures():
            self.result = None


def failures() -> tuple[type[BaseException], ...]:
    """What polars raises when it cannot run a query: its errors, and a panic of its optimizer or engine (a bug
    in polars, which says so; it derives from BaseException)."""
    import polars as pl

    return pl.exceptions.PolarsError, pl.exceptions.PanicException


def _checked_run(rules: RuleSet, frame: pl.DataFrame, period: str | None, areas: Sequence[str] | None,
                 columns: tuple[str, ...]) -> Iterator[str] | Fallback:
    """The checks alone, and the plan only when they pass: each Fallback in the order a user is told it."""
    found = _checked(frame)
    if isinstance(found, Fallback):
        return found
    at = requested(found, period, areas, rules, fields=True)
    if isinstance(at, Fallback):
        return at
    bounded = _narrowest(rules, found, at, areas, frame.height, columns=columns)
    if bounded is None:
        return Fallback("a number is too large for exact integer arithmetic in polars (38 digits)", note=True)
    return _collected(_query(bounded, frame, found), frame.height)


def _import_compiler() -> None:
    """Import the plan's compiler (and sqlglot with it)."""
    for name in ("lsprules.engine.columnar.sql_plan", "lsprules.engine.columnar.magnitude"):
        importlib.import_module(name)


def _read(path: Path) -> pl.DataFrame | Fallback:
    """Every cell as text, nothing unquoted, every row as long as the header. Areas and indicators are read as
    categories: grouping and joining on them then compares integers, not texts."""
    import polars as pl

    names = header_columns(path)
    if isinstance(names, Fallback):
        return names
    types = {"area": pl.Categorical, "indicator": pl.Categorical, "period": pl.String, "value": pl.String,
             FIELD: pl.String, LEVEL: pl.String}
    try:
        before = _version(path)
        # glob=False: a name such as data[1].csv is the one file it names, not a pattern matching data1.csv
        frame = pl.read_csv(path, schema={name: types[name] for name in names}, quote_char=None, glob=False,
                            raise_if_empty=False, truncate_ragged_lines=False, encoding="utf8")
        commas = _commas(path)
        if _version(path) != before:  # read twice: the commas must be those of the rows polars read
            return Fallback("the file changed while it was read")
    except failures() + (OSError, UnicodeDecodeError):
        return Fallback("polars cannot read the file as plain CSV")
    # polars refuses a row longer than the header but pads a shorter one: then the commas do not add up.
    if commas != (len(names) - 1) * (frame.height + 1):
        return Fallback("a row with fewer cells than the header")
    # An indicator cell holding the mark of a key (never an identifier): a key is never a cell's own text.
    cells = frame.get_column("indicator").unique().cast(pl.String)
    if (cells.str.contains(FIELD_MARK, literal=True) | cells.str.contains(LEVEL_MARK, literal=True)).any():
        return Fallback("an indicator cell that is not an identifier")
    return _keyed(frame, names) if FIELD in names or LEVEL in names else frame


def _keyed(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """The rows with `field` and `level` columns read into the indicator's key, as input_checks.key_sql does."""
    import polars as pl

    def given(name: str) -> pl.Expr:
        return pl.col(name).is_not_null() & (pl.col(name) != "") if name in names else pl.lit(False)

    indicator = pl.col("indicator").cast(pl.String)
    key = indicator
    if FIELD in names:
        key = pl.when(given(FIELD)).then(pl.concat_str([indicator, pl.lit(FIELD_MARK), pl.col(FIELD)])).otherwise(key)
    if LEVEL in names:
        missing = pl.col("value").is_null() | pl.col("value").str.to_lowercase().is_in(MISSING_WORDS)
        key = (pl.when(given(LEVEL) & (given(FIELD) | missing)).then(pl.lit(None, dtype=pl.String))
               .when(given(LEVEL)).then(pl.concat_str([indicator, pl.lit(LEVEL_MARK), pl.col(LEVEL)])).otherwise(key))
    return frame.with_columns(key.cast(pl.Categorical).alias("indicator")).drop(
        [name for name in (FIELD, LEVEL) if name in names])


def _version(path: Path) -> tuple[int, int]:
    """The file's size and time of last change."""
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _commas(path: Path) -> int:
    """The commas in the file, counted a piece at a time (the file is never in memory twice)."""
    count = 0
    with path.open("rb") as stream:
        while piece := stream.read(COUNTED_BYTES):
            count += piece.count(b",")
    return count


def checked_frame(path: Path) -> tuple[pl.DataFrame, Checked] | Fallback:
    """The file read (_read) and checked whole (_checked), for a run that needs every check before it starts."""
    frame = _read(path)
    if isinstance(frame, Fallback):
        return frame
    found = _checked(frame)
    return found if isinstance(found, Fallback) else (frame, found)


def _checked(frame: pl.DataFrame) -> Checked | Fallback:
    """The checks of input_checks.checked, counted in bulk: bad values, places and digits, repeated rows."""
    try:
        return _counted(frame)
    except failures() as error:
        return Fallback(f"polars could not check the file ({type(error).__name__})", note=True)


def _counted(frame: pl.DataFrame) -> Checked | Fallback:
    scale, digits, cells, ranges = _facts(frame)
    bad, duplicates = _found(frame, _checks(frame, ranges).collect())
    return checked(bad, duplicates, scale, digits, cells, lambda: _value_periods(frame))


def _facts(frame: pl.DataFrame) -> tuple[int, int, dict[str, list[str]], list[int]]:
    """What the plan's compile needs of the file, counted in bulk: the most places and digits, the distinct area,
    indicator and period cells, and the ranges of their category codes."""
    import polars as pl

    value = pl.col("value")
    # The most places, and at most the most digits (the length up to any point, counting a sign: too many digits
    # only makes the plan's bound on its integers more cautious). Missing words, which start with a letter, have
    # none: a column of counts with `suppressed` cells would otherwise have ten (and a plan that divides, past the
    # bound of polars' integers).
    dot, size = value.str.find(".", literal=True), value.str.len_bytes()
    digits = pl.coalesce(dot, size).filter(~value.str.contains("^[A-Za-z]")).max()
    counts = frame.select((size - dot - 1).max().alias("scale"), digits.alias("digits"),
                          *(c.max().alias(str(i)) for i, c in enumerate(_codes()))).row(0)
    cells = {c: frame.get_column(c).unique().cast(pl.String).to_list() for c in ("area", "indicator", "period")}
    return int(counts[0] or 0), int(counts[1] or 0), cells, [int(r or 0) + 1 for r in counts[2:]]


def _unchecked(frame: pl.DataFrame) -> tuple[Checked, list[int]] | None:
    """The verdict on the file before its values and keys are checked, when it passes (None: it does not, and the
    full checks decide what a user is told)."""
    scale, digits, cells, ranges = _facts(frame)
    found = checked(0, 0, scale, digits, cells, lambda: _value_periods(frame))
    return None if isinstance(found, Fallback) else (found, ranges)


def _value_periods(frame: pl.DataFrame) -> list[str]:
    """The periods of the file's values (the rows that give no level)."""
    import polars as pl

    levels = pl.col("indicator").cast(pl.String).str.contains(LEVEL_MARK, literal=True)
    return frame.filter(~levels).get_column("period").unique().to_list()


def _codes() -> list[pl.Expr]:
    """A row's area, indicator and period as their category codes."""
    import polars as pl

    codes = [pl.col("area").to_physical(), pl.col("indicator").to_physical(),
             pl.col("period").cast(pl.Categorical).to_physical()]
    return [c.cast(pl.UInt64) for c in codes]


def _checks(frame: pl.DataFrame, ranges: list[int]) -> pl.LazyFrame:
    """The values that are neither numbers nor missing words, and the distinct keys (area, indicator, period),
    given the ranges of their category codes (_facts)."""
    import polars as pl

    value = pl.col("value")
    bad = value.is_not_null() & ~value.str.contains(VALUE_PATTERN)
    codes = _codes()
    # A row's key as one integer from its cells' category codes (hashing three texts a row costs more), when the
    # codes' ranges allow; their product is then unique per area, indicator and period.
    key = codes[0] * (ranges[1] * ranges[2]) + codes[1] * ranges[2] + codes[2] \
        if ranges[0] * ranges[1] * ranges[2] < 2**64 else pl.struct("area", "indicator", "period")
    return frame.lazy().select(bad.sum().alias("bad"), key.n_unique().alias("keys"))


def _found(frame: pl.DataFrame, counts: pl.DataFrame) -> tuple[int, int]:
    """The bad values and the repeated rows from the counts of _checks."""
    bad, keys = counts.row(0)
    return int(bad or 0), frame.height - int(keys or 0)


def _query(bounded: tuple[exp.Select, str], frame: pl.DataFrame, found: Checked) -> pl.LazyFrame | Fallback:
    """The plan as a polars query on the frame, its values parsed by polars (or why polars cannot plan it)."""
    import polars as pl

    plan, integers = bounded
    observations = frame.lazy().with_row_index("rn", offset=1).with_columns(_values(found, integers))
    try:
        return pl.SQLContext(observations=observations).execute(plan.sql(dialect="postgres"))
    except failures() as error:
        return Fallback(f"{PLAN_FAILED} ({type(error).__name__})", note=True)


def _collected(query: pl.LazyFrame | Fallback, rows: int) -> Iterator[str] | Fallback:
    """The CSV text the query on `rows` rows gives (or why not)."""
    import polars as pl

    if isinstance(query, Fallback):
        return query
    try:
        # On many rows the streaming engine groups and sorts with some 10 % less work than the in-memory one (the
        # same result); on a few it takes longer to start.
        result = query.collect(engine="streaming" if rows >= STREAMING_ROWS else "in-memory")
    except failures() as error:
        return Fallback(f"{PLAN_FAILED} ({type(error).__name__})", note=True)
    if result.width == 1:  # one column: an empty cell is written as sql_plan.csv_lines writes it
        from lsprules.engine.columnar.sql_plan import ONLY_CELL_EMPTY

        name = result.columns[0]
        result = result.select(pl.when(pl.col(name) == "").then(pl.lit(ONLY_CELL_EMPTY)).otherwise(pl.col(name))
                               .alias(name))
    # The plan writes every cell as CSV text already (quoted where needed), so polars writes it as it is.
    return iter([result.write_csv(quote_style="never", null_value="", line_terminator="\n")])


def _values(found: Checked, integers: str) -> pl.Expr:
    """Each value as an integer at the plan's scale (NULL when it is not a number): the decimal polars parses,
    as its integer of units of the last place. For checked values (numbers with at most `scale` places and
    fewer digits than the precision, or missing words) it is the plan's own parse, in a third of the time."""
    import polars as pl

    decimal = pl.Decimal(18 if found.digits <= 18 else 38, found.scale)  # as sql_plan._parsed
    return pl.col("value").cast(decimal, strict=False).to_physical().cast(
        pl.Int64 if integers == "BIGINT" else pl.Int128).alias(VALUES)


def _bounded_plan(rules: RuleSet, found: Checked, at: Period | None, areas: Sequence[str] | None,
                  rows: int) -> exp.Select | None:
    """The plan in the narrowest integers (INTEGERS) its bound fits in (None: none), parsing values itself."""
    bounded = _narrowest(rules, found, at, areas, rows, None)
    return None if bounded is None else bounded[0]


def _narrowest(rules: RuleSet, found: Checked, at: Period | None, areas: Sequence[str] | None, rows: int,
               values: str | None = VALUES, columns: tuple[str, ...] = COLUMNS) -> tuple[exp.Select, str] | None:
    """The plan (of the CSV report's `columns`) in the narrowest integers (INTEGERS) its bound fits in, with
    their name (None: none); reading the values polars parsed (_values) from the column `values`."""
    from lsprules.engine.columnar.magnitude import largest
    from lsprules.engine.columnar.sql_plan import PlanOptions, compile_plan

    # A value parsed by polars is at most the value, times 10^scale, as in the plan's own parse.
    numbers = {"value": 10 ** (found.digits - found.scale), "rn": max(rows, 1), VALUES: 10**found.digits}
    for integers, limit in INTEGERS:
        options = PlanOptions("polars", found.kind, found.scale, "observations", at, areas, "rn", found.digits,
                              tuple(found.periods.values()), integers, values, columns, levels=level_keys(found))
        plan = compile_plan(rules, options)
        if largest(plan, numbers, ("area", "indicator", "period")) < limit:
            return plan, integers
    return None


def _lowered(plan: exp.Select) -> exp.Select:
    """The JSON or report plan for polars' SQL engine: areas and indicators back to text where the plan leaves its
    groupings (json_plan.TEXT_LAYERS; the CSV plan joins on categories and positions, and needs no lowering)."""
    from sqlglot import exp

    from lsprules.engine.columnar.json_plan import TEXT_LAYERS

    lowered = plan.copy()
    for cte in lowered.args["with"].expressions:
        if cte.alias not in TEXT_LAYERS:
            continue
        select = cte.this
        select.set("expressions", [
            exp.cast(e.this if isinstance(e, exp.Alias) else e, "VARCHAR").as_(e.alias_or_name)
            if e.alias_or_name in ("area", "indicator") else e for e in select.expressions])
    return lowered
