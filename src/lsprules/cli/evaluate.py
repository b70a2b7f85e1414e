"""`lsprules evaluate RULES DATASET...`: the assessment, as a table, JSON, CSV, Markdown or HTML."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lsprules.cli.common import EXIT_FINDINGS, emit, input_errors, refuse_overwriting_inputs


class EvaluateFormat(str, Enum):
    """Output formats of `evaluate`."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


class Engine(str, Enum):
    """Which evaluator runs."""

    auto = "auto"
    interpreter = "interpreter"
    duckdb = "duckdb"


class Years(str, Enum):
    """How to read year labels when the datasets mix financial and calendar years."""

    financial_year = "financial_year"
    calendar_year = "calendar_year"


def evaluate(
    rules: Annotated[Path, typer.Argument(help="Rule file (.rules).", show_default=False)],
    dataset: Annotated[list[Path], typer.Argument(help="One or more datasets (.yaml, .json, .csv or .xlsx); "
                                                  "several are merged, e.g. local data plus a national file.",
                                                  show_default=False)],
    period: Annotated[str | None, typer.Option("--period", "-p", help="Assess at this period, e.g. 2005/06 "
                                                  "(default: the latest in the data).")] = None,
    output_format: Annotated[EvaluateFormat, typer.Option("--format", "-f", help="Output format.")] =
    EvaluateFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (atomically) "
                                                   "instead of standard output.")] = None,
    area: Annotated[list[str] | None, typer.Option("--area", help="Only this area (repeatable).")] = None,
    years: Annotated[Years | None, typer.Option("--years", help="Read every year label as this kind, when "
                                                   "the datasets mix financial and calendar years (2006 <-> "
                                                   "2006/07).")] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="auto: the columnar engine (DuckDB) where the rules "
                                           "and input allow, else the reference interpreter; interpreter: always "
                                           "the reference; duckdb: the columnar engine, or a note saying why not."
                                           )] = Engine.auto,
    fail_on_discrepancy: Annotated[bool, typer.Option("--fail-on-discrepancy", help="Exit 1 when the data's "
                                                      "printed judgements (arrows, RAG, totals, ratings) "
                                                      "contradict the rules.")] = False,
) -> None:
    """Assess every indicator and theme of RULES on DATASET(s), for every area (or those given by --area)."""
    from lsprules.jobs.evaluate import evaluate_job

    with input_errors():
        refuse_overwriting_inputs(output, [rules, *dataset])
        result = evaluate_job(rules, dataset, period=period, output_format=output_format.value, areas=area,
                              color=output is None and sys.stdout.isatty(), years=years.value if years else None,
                              engine=engine.value)
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        emit(result.text, output)
    if fail_on_discrepancy and result.discrepancies:
        many = result.discrepancies != 1
        typer.echo(f"{result.discrepancies} printed judgement{'s' if many else ''} of the source "
                   f"contradict{'' if many else 's'} the rules and data", err=True)
        raise typer.Exit(EXIT_FINDINGS)
