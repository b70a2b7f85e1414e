"""Runs the JSON plan (json_plan.py) in DuckDB or polars on one long-form CSV file: the bytes of
render/json_out.json_chunks for the reference evaluation, in pieces of at most BATCH_ROWS assessments.

The file is read and checked as for the CSV report (duck.py, polars_run.py, input_checks.py); anything those refuse,
a construct json_plan.json_unsupported names, an area holding a control character (JSON escapes it as \\uXXXX,
which the plan does not write), or no assessment at all (the interpreter then warns) is a Fallback.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.periods import Period
from lsprules.engine.columnar.input_checks import Checked, Fallback, period_at
from lsprules.lang.resolve import RuleSet

if TYPE_CHECKING:
    import duckdb

    from lsprules.audit.provenance import Provenance

# Assessments per piece: a national assessment's JSON is about 3 kB, so a piece is a few MB.
BATCH_ROWS = 2048


def evaluate_json(rules: RuleSet, path: str | Path, engine: str = "duckdb", period: str | None = None,
                  areas: Sequence[str] | None = None) -> Iterator[str] | Fallback:
    """The JSON document, in pieces, of `json_chunks(evaluate_stream(...))` for a plain long-form CSV; or why
    not. `engine`: "duckdb" or "polars"."""
    from lsprules.engine.columnar.json_plan import json_unsupported

    reasons = json_unsupported(rules)
    if reasons:
        return Fallback("the plan cannot write JSON for " + "; ".join(reasons))
    if engine == "polars":
        return _polars(rules, Path(path), period, areas)
    return _duckdb(rules, Path(path), period, areas)


def _ready(found: Checked, period: str | None, areas: Sequence[str] | None) -> Period | None | Fallback:
    """The period asked for, when the checked file allows the run."""
    at = period_at(period, found.periods)
    if isinstance(at, Fallback):
        return at
    if areas is not None and not set(areas) <= found.areas:
        return Fallback("an --area the data does not have")
    if any(ord(ch) < 0x20 for area in found.areas for ch in area):
        return Fallback("an area with a control character in its name")
    return at


def _duckdb(rules: RuleSet, path: Path, period: str | None, areas: Sequence[str] | None) -> Iterator[str] | Fallback:
    import duckdb

    from lsprules.engine.columnar.duck import _connect, _load
    from lsprules.engine.columnar.json_plan import compile_json_plan
    from lsprules.engine.columnar.sql_plan import PlanOptions

    connection = _connect()
    try:
        found = _load(connection, path)
        at = found if isinstance(found, Fallback) else _ready(found, period, areas)
        if isinstance(at, Fallback):
            connection.close()
            return at
        assert not isinstance(found, Fallback)  # then `at` is that Fallback
        options = PlanOptions("duckdb", found.kind, found.scale, "observations", at, areas, "rn", found.digits)
        result = connection.execute(compile_json_plan(rules, options).sql(dialect="duckdb"))
        first = result.fetchmany(BATCH_ROWS)
    except duckdb.OutOfRangeException as error:
        connection.close()
        return Fallback(f"a number is too large for exact integer arithmetic in DuckDB ({error})", note=True)
    if not first:
        connection.close()
        return Fallback("no assessment to write")
    return _document(rules, path, _assessed_period(at, found), _batches(connection, result, first))


def _batches(connection: duckdb.DuckDBPyConnection, result: duckdb.DuckDBPyConnection,
             first: list[tuple[str]]) -> Iterator[list[str]]:
    try:
        batch = first
        while batch:
            yield [row[0] for row in batch]
            batch = result.fetchmany(BATCH_ROWS)
    finally:
        connection.close()


def _polars(rules: RuleSet, path: Path, period: str | None, areas: Sequence[str] | None) -> Iterator[str] | Fallback:
    from lsprules.engine.columnar.polars_run import EXACT_LIMIT, INSTALL, _checked, _lowered, _read

    if importlib.util.find_spec("polars") is None:
        return Fallback(INSTALL, note=True)
    import polars as pl

    from lsprules.engine.columnar.json_plan import compile_json_plan
    from lsprules.engine.columnar.magnitude import largest
    from lsprules.engine.columnar.sql_plan import PlanOptions

    frame = _read(path)
    if isinstance(frame, Fallback):
        return frame
    found = _checked(frame)
    if isinstance(found, Fallback):
        return found
    at = _ready(found, period, areas)
    if isinstance(at, Fallback):
        return at
    options = PlanOptions("polars", found.kind, found.scale, "observations", at, areas, "rn", found.digits)
    plan = compile_json_plan(rules, options)
    numbers = {"value": 10 ** (found.digits - found.scale), "rn": max(frame.height, 1)}
    if largest(plan, numbers, ("area", "indicator", "period")) >= EXACT_LIMIT:
        return Fallback("a number is too large for exact integer arithmetic in polars (38 digits)", note=True)
    context = pl.SQLContext(observations=frame.lazy().with_row_index("rn", offset=1))
    try:
        result = context.execute(_lowered(plan).sql(dialect="postgres")).collect()
    except pl.exceptions.PolarsError as error:
        return Fallback(f"polars could not run the plan ({type(error).__name__})", note=True)
    if not result.height:
        return Fallback("no assessment to write")
    items = result.get_column("item")
    del result
    batches = (items.slice(start, BATCH_ROWS).to_list() for start in range(0, len(items), BATCH_ROWS))
    return _document(rules, path, _assessed_period(at, found), batches)


def _assessed_period(at: Period | None, found: Checked) -> str | None:
    """The evaluation's period: the one asked for, else the data's latest (interpreter.evaluate_stream)."""
    if at is not None:
        return at.label
    return max(found.periods.values()).label if found.periods else None


def _document(rules: RuleSet, path: Path, period: str | None, batches: Iterator[list[str]]) -> Iterator[str]:
    """json_out.json_chunks' layout around the assessments' objects: period, themes (none), provenance."""
    from lsprules.engine.columnar.json_plan import MARK, fix_marked
    from lsprules.render.json_out import _dumps

    yield '{\n  "period": ' + json.dumps(period, ensure_ascii=False) + ',\n  "themes": [],\n  "assessments": '
    opened = False
    for batch in batches:
        pieces = []
        for item in batch:
            pieces.append((",\n    " if opened else "[\n    ") + (fix_marked(item) if MARK in item else item))
            opened = True
        yield "".join(pieces)
    yield "\n  ]" if opened else "[]"
    yield ',\n  "provenance": ' + _dumps(_provenance(rules, path).to_dict(), 1) + "\n}\n"


def _provenance(rules: RuleSet, path: Path) -> Provenance:
    """The provenance provenance_for gives for the rules and the dataset read from `path`."""
    from lsprules.audit.provenance import input_file, provenance_of
    from lsprules.core.files import display_name

    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return provenance_of([input_file("rules", rules.file, rules.sha256),
                          input_file("dataset", display_name(path), digest.hexdigest())])
