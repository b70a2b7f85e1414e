"""Runs the fast path end to end: read the grid, compile a plan per indicator, write every row's CSV text."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from itertools import chain, islice, repeat
from pathlib import Path

from lsprules.core.csv_cells import COLUMNS, text_cells
from lsprules.core.periods import PeriodError, parse_period
from lsprules.engine.compiled.grid import Table, read_table
from lsprules.engine.compiled.plan import NO_VALUE, RagTable, compile_plan
from lsprules.lang.resolve import RuleSet, tests_data

PIECE_TEXTS = 1 << 18  # texts (four a row) joined into one piece of output: about 65,000 rows


def fast_csv(rules: RuleSet, dataset_path: str | Path, *, period: str | None = None,
             areas: list[str] | None = None) -> Iterator[str] | None:
    """The CSV output of `evaluate` in pieces, byte-identical to the reference's when joined, or None when the
    reference must run."""
    if Path(dataset_path).suffix.lower() != ".csv" or any(s.value is not None or tests_data(s.rag)
                                                          for s in rules.indicators.values()):
        return None  # derived indicators, ratings for no data (`grey when no data`), other formats: the reference
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived objects, no cycles: the cyclic collector would only rescan them
    try:
        table = read_table(dataset_path)
        if table is None:
            return None
        count = _period_count(table, period)
        if count is None or (areas and not set(areas) <= set(table.areas)):
            return None  # the reference reports the unknown period or area
        return _render(rules, table, count, set(areas) if areas else None)
    finally:
        if collecting:
            gc.enable()


def _period_count(table: Table, period: str | None) -> int | None:
    """How many of the table's periods are assessed: all, or those up to --period (None: not in the data)."""
    if period is None:
        return len(table.periods)
    try:
        at = parse_period(period)
    except PeriodError:
        return None
    return table.periods.index(at) + 1 if at in table.periods else None


def _render(rules: RuleSet, table: Table, count: int, wanted: set[str] | None) -> Iterator[str]:
    """Every assessment row, areas in the order the data gives them and indicators in rule-file order."""
    areas = [n for n, name in enumerate(table.areas) if wanted is None or name in wanted]
    prefixes = [text_cells(table.areas[n]) + "," for n in areas]
    columns = []  # per indicator, its rows as (area cells, indicator cells, the rest, newline)
    rag_tables: dict[int, RagTable] = {}  # rules, hence their rag blocks, outlive this call: ids stay unique
    for spec in rules.indicators.values():
        head = text_cells(spec.id, spec.title, spec.group.id if spec.group else None) + ","
        indicator = table.indicators.get(spec.id)
        cells: Iterable[str]
        if indicator is None:
            cells = repeat(NO_VALUE)
        else:
            plan = compile_plan(spec, table.periods, count, table.scale, rag_tables)
            cells = plan.column(table.values, table.offsets(indicator, areas))
        columns.append(zip(prefixes, repeat(head), cells, repeat("\n")))
    # Area by area, each area's indicators in turn: the columns side by side, read across.
    rows = chain.from_iterable(chain.from_iterable(zip(*columns, strict=True))) if columns else iter(())
    return _pieces(",".join(COLUMNS) + "\n", rows)


def _pieces(header: str, texts: Iterator[str]) -> Iterator[str]:
    """The header, then the rows' texts joined a batch at a time: the output is never one string in memory."""
    yield header
    while piece := "".join(islice(texts, PIECE_TEXTS)):
        yield piece
