"""Runs the JSON plan (json_plan.py) in DuckDB or polars on one long-form CSV file: the bytes of
render/json_out.json_chunks for the reference evaluation, in pieces of at most BATCH_ROWS assessments.

The document around them (period, themes, provenance) is written by render/json_out.json_document. The file is read
and checked as for the CSV report (duck.py, polars_run.py, input_checks.py); anything those refuse,
a construct json_plan.json_unsupported names, an area holding a control character (JSON escapes it as \\uXXXX,
which the plan does not write), or no assessment at all (the interpreter then warns) is a Fallback.

Both engines run the whole plan once per batch of whole areas (about BATCH_OBS observations), which bounds their
memory (the areas' assessments are independent of each other); polars joins each piece's text itself.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import chain, pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, cast

from lsprules.core.interrupts import raise_if_pressed
from lsprules.core.periods import Period
from lsprules.engine.columnar.input_checks import Checked, Fallback, field_keys, level_keys, requested
from lsprules.lang.resolve import RuleSet, comparator_areas

if TYPE_CHECKING:
    import duckdb
    import polars as pl
    from sqlglot import exp

    from lsprules.engine.columnar.sql_plan import PlanOptions

# Assessments per piece: a national assessment's JSON is about 1.6 kB, so a piece is a few MB.
BATCH_ROWS = 2048
# DuckDB's memory for the JSON plan, below duck.MEMORY_LIMIT: a batch's layers are spilled beyond it rather than
# held, so that the whole process stays under 1 GiB on national L.
MEMORY_LIMIT = "500MB"
# Observations a run of the plan takes at once (national L: eight runs, each about 85 MB of JSON): the areas are cut
# into batches of about this many rows, each area whole, so that no run holds, or sorts, the whole document's text
# (national L in polars, at most: 262,144 rows 0.7 GB, 1,048,576 rows 1.45 GB, all at once 1.95 GB).
BATCH_OBS = 262144
ENGINE: Final = "streaming"  # polars engine for the runs: national L, the same CPU time as in-memory, less wall time
Row = tuple[str, int, int]  # an assessment's JSON text, its area's place and its indicator's
_SEPARATOR = ",\n    "  # before every assessment of the list but the first, which "[" opens instead of ","
_CONTROL = re.compile("[\x00-\x1f]")
_B = TypeVar("_B")


@dataclass(frozen=True)
class Piece:
    """Assessments' JSON, each after the list's separator, the places (area, indicator) of the first and the last,
    and whether those inside came in order."""

    text: str
    first: tuple[int, int]
    last: tuple[int, int]
    ordered: bool


@dataclass(frozen=True)
class JsonAssessments:
    """The evaluation's period and the text of its list of assessments, in pieces, as json_out.json_chunks writes
    them (render/json_out.json_document puts the document around them)."""

    period: str | None
    pieces: Iterator[str]


def evaluate_json(rules: RuleSet, path: str | Path, engine: str = "duckdb", period: str | None = None,
                  areas: Sequence[str] | None = None) -> JsonAssessments | Fallback:
    """The assessments of `json_chunks(evaluate_stream(...))` for a plain long-form CSV, in pieces; or why not.
    `engine`: "duckdb" or "polars"."""
    from lsprules.engine.columnar.json_plan import compile_json_stages, json_unsupported

    reasons = json_unsupported(rules)
    if reasons:
        return Fallback("the plan cannot write JSON for " + "; ".join(reasons))
    ran = run_stages(rules, Path(path), engine, period, areas, compile_json_stages)
    if isinstance(ran, Fallback):
        return ran
    if engine == "polars":
        pieces = _listed(_frame_pieces(cast("Iterator[pl.DataFrame]", ran.batches)))
    else:
        pieces = _array(cast("Iterator[list[Row]]", ran.batches))
    assessed = assessed_period(ran)
    return JsonAssessments(assessed.label if assessed else None, pieces)


Stages = Callable[[RuleSet, "PlanOptions", Sequence[int]], "tuple[exp.Select, exp.Select]"]


class Paired(NamedTuple):
    """A batch of whole areas assessed at the period asked for (`now`), and the same areas assessed one period
    earlier (`before`, by the run's earlier stages), each as the engine gives a batch: from these a report rates the
    themes one period earlier, beside the current ratings."""

    now: Any  # pl.DataFrame | list[Row]
    before: Any


@dataclass(frozen=True)
class Ran:
    """The plan's two stages run on a checked file, a batch of whole areas at a time, in the document's order:
    the period assessed (None: the latest), what the checks found, and the batches (polars: data frames;
    DuckDB: lists of rows; Paired batches of both, when the run assesses the period `before` too)."""

    at: Period | None
    found: Checked
    batches: Iterator[pl.DataFrame | list[tuple[Any, ...]] | Paired]
    before: Period | None = None


def run_stages(rules: RuleSet, path: Path, engine: str, period: str | None, areas: Sequence[str] | None,
               stages: Stages, earlier: Stages | None = None) -> Ran | Fallback:
    """The plan `stages` compiles (json_plan.compile_json_stages or compile_report_stages) run on a plain long-form
    CSV in `engine` ("duckdb" or "polars"), its first batch ready; or why not (no assessment at all included, or
    what the checked file does not allow). `earlier`: each batch is Paired with the same areas assessed by these
    stages at the data's period before the one assessed, when the data has one (one read of the file, two plans run
    on each batch)."""
    return _polars(rules, path, period, areas, stages, earlier) if engine == "polars" else \
        _duckdb(rules, path, period, areas, stages, earlier)


def _plans(rules: RuleSet, options: PlanOptions, found: Checked, stages: Stages,
           earlier: Stages | None) -> tuple[list[tuple[exp.Select, exp.Select]], Period | None]:
    """The stages compiled for the period assessed, and the `earlier` ones for the data's period before it, when
    there are earlier stages and such a period (which it also gives)."""
    indexes = [p.index for p in found.periods.values()]
    plans = [stages(rules, options, indexes)]
    before = period_before(found, options.at) if earlier is not None else None
    if earlier is not None and before is not None:
        plans.append(earlier(rules, replace(options, at=before), indexes))
    return plans, before


def period_before(found: Checked, at: Period | None) -> Period | None:
    """The data's period just before the one assessed (`at`, None: the latest), as interpreter-based reports find
    it for the previous theme ratings (jobs/evaluate.previous_period); None when there is none."""
    assessed = at if at is not None else max(found.periods.values(), default=None)
    earlier = [p for p in found.periods.values() if assessed is not None and p < assessed]
    return max(earlier, default=None)


def _ready(found: Checked, period: str | None, areas: Sequence[str] | None, rules: RuleSet) -> Period | None | Fallback:
    """The period asked for, when the checked file allows the run."""
    at = requested(found, period, areas, rules, fields=True)
    if isinstance(at, Fallback):
        return at
    if _CONTROL.search("".join(found.areas)):
        return Fallback("an area with a control character in its name")
    return at


def _duckdb(rules: RuleSet, path: Path, period: str | None, areas: Sequence[str] | None,
            stages: Stages, earlier: Stages | None) -> Ran | Fallback:
    from lsprules.engine.columnar.duck import closed_unless_run, connect

    connection = connect()
    connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    started = closed_unless_run(connection, lambda: _duckdb_started(connection, rules, path, period, areas, stages,
                                                                    earlier))
    if isinstance(started, Fallback):
        return started
    at, found, batches, before = started
    return Ran(at, found, _closing(connection, batches), before)


def _duckdb_started(connection: duckdb.DuckDBPyConnection, rules: RuleSet, path: Path, period: str | None,
                    areas: Sequence[str] | None, stages: Stages, earlier: Stages | None
                    ) -> tuple[Period | None, Checked, Iterator[list[Row] | Paired], Period | None] | Fallback:
    """The plan running on the checked file in DuckDB, its first batch read; or why not."""
    import duckdb

    from lsprules.engine.columnar.duck import load_checked
    from lsprules.engine.columnar.sql_plan import PlanOptions

    try:
        found = load_checked(connection, path)
        at = found if isinstance(found, Fallback) else _ready(found, period, areas, rules)
        if isinstance(at, Fallback):
            return at
        assert not isinstance(found, Fallback)  # then `at` is that Fallback
        compared = _duckdb_compared(connection, rules)
        options = PlanOptions("duckdb", found.kind, found.scale, "chosen", at, areas, "rn", found.digits,
                              tuple(found.periods.values()), levels=level_keys(found), field_keys=field_keys(found),
                              compared=compared)
        plans, before = _plans(rules, options, found, stages, earlier)
        in_range = all(_in_range(connection, facts, found) for facts, _ in plans)
        _duckdb_batches(connection, areas, BATCH_OBS if in_range else None)
        queries = [items.with_("jrows", as_=facts, copy=False).sql(dialect="duckdb") for facts, items in plans]
        runs: Iterator[list[Row] | Paired] = _duckdb_runs(connection, queries[0]) if len(queries) == 1 \
            else _duckdb_pairs(connection, *queries)
        first = next(runs, None)
    except (duckdb.OutOfRangeException, duckdb.ConversionException) as error:
        return Fallback(f"a number is too large for exact integer arithmetic in DuckDB ({error})", note=True)
    if first is None:
        return Fallback("no assessment to write")
    return at, found, chain([first], runs), before


def _in_range(connection: duckdb.DuckDBPyConnection, facts: exp.Select, found: Checked) -> bool:
    """Whether every integer of the plan is proved to stay under 38 digits for this file. Only then is it run in
    batches: DuckDB raises on an overflow, and in one run that happens before anything is written."""
    from lsprules.engine.columnar.magnitude import largest
    from lsprules.engine.columnar.polars_run import EXACT_LIMIT

    rows = (connection.execute("SELECT count(*) FROM observations").fetchone() or (0,))[0]
    numbers = {"value": 10 ** (found.digits - found.scale), "rn": max(rows, 1)}
    return largest(facts, numbers, ("area", "indicator", "period")) < EXACT_LIMIT


def _duckdb_compared(connection: duckdb.DuckDBPyConnection, rules: RuleSet) -> str | None:
    """The table `comparator_rows`: the rows of the areas the rules' comparators name, which every batch of areas
    reads (None: the rules declare no comparator)."""
    areas = comparator_areas(rules)
    if not areas:
        return None
    connection.execute("CREATE TEMP TABLE comparator_rows AS SELECT * FROM observations WHERE area IN "
                       "(SELECT unnest(?::VARCHAR[]))", [areas])
    return "comparator_rows"


def _duckdb_batches(connection: duckdb.DuckDBPyConnection, areas: Sequence[str] | None, size: int | None) -> None:
    """The table `jbatch`: each area's batch (`b`), areas whole in the order they first appear (the plan's order),
    a batch about `size` observations (None: one batch); only the areas asked for, if any."""
    chosen = "" if areas is None else "WHERE area IN (SELECT unnest(?::VARCHAR[]))"
    batch = "(sum(n) OVER (ORDER BY first) - n) // ?" if size is not None else "0"
    connection.execute(
        f"CREATE TEMP TABLE jbatch AS SELECT area, {batch} AS b FROM "
        f"(SELECT area, min(rn) AS first, count(*) AS n FROM observations {chosen} GROUP BY area)",
        [*([size] if size is not None else []), *([list(areas)] if areas is not None else [])])


def _duckdb_runs(connection: duckdb.DuckDBPyConnection, sql: str) -> Iterator[list[Row]]:
    """The assessments' JSON in batches of BATCH_ROWS: the plan run on each batch of areas (the table `chosen`)."""
    for _ in _chosen(connection):
        result = connection.execute(sql)
        while batch := result.fetchmany(BATCH_ROWS):
            raise_if_pressed()
            yield batch


def _duckdb_pairs(connection: duckdb.DuckDBPyConnection, now: str, before: str) -> Iterator[Paired]:
    """The rows of both plans on each batch of areas, whole (a batch is some BATCH_OBS observations' assessments)."""
    for _ in _chosen(connection):
        batch = Paired(connection.execute(now).fetchall(), connection.execute(before).fetchall())
        raise_if_pressed()
        if batch.now:
            yield batch


def _chosen(connection: duckdb.DuckDBPyConnection) -> Iterator[int]:
    """Each batch of areas (`jbatch`) in turn, its observations put in the table `chosen` before it is given."""
    numbers = [b for (b,) in connection.execute("SELECT DISTINCT b FROM jbatch ORDER BY b").fetchall()]
    for number in numbers:
        connection.execute("CREATE OR REPLACE TEMP TABLE chosen AS SELECT * FROM observations WHERE area IN "
                           "(SELECT area FROM jbatch WHERE b = ?)", [number])
        yield number


def _closing(connection: duckdb.DuckDBPyConnection, batches: Iterator[_B]) -> Iterator[_B]:
    """The batches, then the connection closed."""
    from lsprules.engine.columnar.duck import shut

    try:
        yield from batches
    finally:
        shut(connection)


def _polars(rules: RuleSet, path: Path, period: str | None, areas: Sequence[str] | None,
            stages: Stages, earlier: Stages | None) -> Ran | Fallback:
    from lsprules.engine.columnar.polars_run import EXACT_LIMIT, INSTALL, _lowered, checked_frame, failures

    if importlib.util.find_spec("polars") is None:
        return Fallback(INSTALL, note=True)
    import polars as pl

    from lsprules.engine.columnar.magnitude import largest
    from lsprules.engine.columnar.sql_plan import PlanOptions

    read = checked_frame(path)
    if isinstance(read, Fallback):
        return read
    frame, found = read
    at = _ready(found, period, areas, rules)
    if isinstance(at, Fallback):
        return at
    compared = comparator_areas(rules)
    options = PlanOptions("polars", found.kind, found.scale, "observations", at, areas, "rn", found.digits,
                          tuple(found.periods.values()), levels=level_keys(found), field_keys=field_keys(found),
                          compared="comparator_rows" if compared else None)
    plans, before = _plans(rules, options, found, stages, earlier)
    numbers = {"value": 10 ** (found.digits - found.scale), "rn": max(frame.height, 1)}
    if any(largest(facts, numbers, ("area", "indicator", "period")) >= EXACT_LIMIT for facts, _ in plans):
        return Fallback("a number is too large for exact integer arithmetic in polars (38 digits)", note=True)
    everything = frame.lazy().with_row_index("rn", offset=1)
    observations = everything if areas is None else everything.filter(pl.col("area").is_in(list(areas)))
    # (the rows of the comparators' areas, read by every batch of areas)
    tables = {"comparator_rows": everything.filter(pl.col("area").is_in(compared))} if compared else {}
    runs = _polars_runs(observations, [(_lowered(facts).sql(dialect="postgres"), items.sql(dialect="postgres"))
                                       for facts, items in plans], tables)
    try:
        first = next(runs, None)
    except failures() as error:
        return Fallback(f"polars could not run the plan ({type(error).__name__})", note=True)
    if first is None or not (first.now if isinstance(first, Paired) else first).height:
        return Fallback("no assessment to write")
    return Ran(at, found, _ahead(first, runs), before)


def _ahead(first: pl.DataFrame | Paired, runs: Iterator[pl.DataFrame | Paired]) -> Iterator[pl.DataFrame | Paired]:
    """`first`, then the other runs, each run in a thread while the one before is read: polars runs a plan without
    Python's lock, so the next batch is computed on the other core as Python writes (or assesses) this one. At most
    two batches are held at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lsprules-plan") as pool:
        pending = pool.submit(next, runs, None)
        yield first
        while (batch := pending.result()) is not None:  # an error in the run is raised here, in the reader
            pending = pool.submit(next, runs, None)
            yield batch


def _polars_runs(observations: pl.LazyFrame, plans: list[tuple[str, str]],
                 tables: dict[str, pl.LazyFrame]) -> Iterator[pl.DataFrame | Paired]:
    """The assessments' JSON with their places, in order: one run of the plan per batch of whole areas (in the
    order the areas first appear, as the plan orders them), each of about BATCH_OBS observations; with two plans
    (the facts' and the items' SQL of each), both run on each batch, Paired. The plans read the other `tables`
    whole in every batch."""
    import polars as pl

    # Without the elimination of common subplans where the rules declare comparators (the other tables): polars 1.44
    # panics in it on some plans giving a comparator's rows to every area beside components read some periods back
    # (cse/cache_states.rs). The JSON plan takes as long without it; the CSV plan, which needs it, does not panic.
    flags = pl.QueryOptFlags(comm_subplan_elim=False) if tables else pl.QueryOptFlags()
    counts = observations.group_by("area", maintain_order=True).len().collect()
    batch = (pl.col("len").cum_sum() - pl.col("len")) // BATCH_OBS
    for part in counts.with_columns(batch.alias("batch")).partition_by("batch", maintain_order=True):
        chosen = observations.filter(pl.col("area").is_in(part["area"].cast(pl.String).to_list()))
        ran = [pl.SQLContext(jrows=pl.SQLContext({"observations": chosen, **tables}).execute(facts)).execute(items)
               for facts, items in plans]
        result = ran[0].collect(engine=ENGINE, optimizations=flags) if len(ran) == 1 else \
            Paired(*pl.collect_all(ran, engine=ENGINE, optimizations=flags))
        if (result.now if isinstance(result, Paired) else result).height:  # (a batch of comparator areas alone: none)
            yield result


def _frame_pieces(frames: Iterator[pl.DataFrame]) -> Iterator[Piece]:
    """The frames' assessments as pieces of BATCH_ROWS, joined by polars (no Python text per assessment)."""
    import polars as pl

    empty = pl.Series("item", [""], dtype=pl.String)
    for frame in frames:
        places = frame.select(pl.col("ord").cast(pl.Int64), pl.col("position").cast(pl.Int64))
        step = places.select(pl.col("ord").diff().alias("o"), pl.col("position").diff().alias("p")).slice(1)
        ordered = bool(step.select(((pl.col("o") > 0) | ((pl.col("o") == 0) & (pl.col("p") > 0))).all()).item())
        for start in range(0, frame.height, BATCH_ROWS):
            end = min(start + BATCH_ROWS, frame.height) - 1
            items = pl.concat([empty, frame["item"].slice(start, BATCH_ROWS)], rechunk=False)  # "": a leading separator
            text = items.str.join(_SEPARATOR).item()
            yield Piece(text, places.row(start), places.row(end), ordered)


def assessed_period(ran: Ran) -> Period | None:
    """The evaluation's period: the one asked for, else the data's latest (interpreter.evaluate_stream)."""
    return ran.at if ran.at is not None else max(ran.found.periods.values(), default=None)


def _array(batches: Iterator[list[Row]]) -> Iterator[str]:
    """The assessments' list as json_out.json_chunks lays it out, a piece per batch of rows."""
    return _listed(Piece(_SEPARATOR + _SEPARATOR.join(row[0] for row in batch), (batch[0][1], batch[0][2]),
                         (batch[-1][1], batch[-1][2]), all((a[1], a[2]) < (b[1], b[2]) for a, b in pairwise(batch)))
                   for batch in batches)


def _listed(pieces: Iterable[Piece]) -> Iterator[str]:
    """The assessments' list as json_out.json_chunks lays it out, a piece per Piece; the pieces are checked to
    come in the document's order (an engine that gave them otherwise fails the run, never writes another text)."""
    from lsprules.engine.columnar.json_plan import MARK, fix_marked

    opened, last = False, (-1, -1)
    for piece in pieces:
        if not piece.ordered or piece.first <= last:
            raise AssertionError("the engine gave the assessments out of order")
        last = piece.last
        text = piece.text
        if MARK in text:
            text = fix_marked(text)
        yield text if opened else "[" + text[1:]
        opened = True
    yield "\n  ]" if opened else "[]"
