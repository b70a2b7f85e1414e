"""`lsprules evaluate RULES DATASET...`: the assessment, as a table, JSON, CSV, Markdown or HTML."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import emit, input_errors, refuse_overwriting_inputs


class EvaluateFormat(str, Enum):
    """Output formats of `evaluate`."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


class Years(str, Enum):
    """How to read year labels when the datasets mix financial and calendar years."""

    financial_year = "financial_year"
    calendar_year = "calendar_year"


def evaluate(
    rules: Annotated[Path, typer.Argument(help="Rule file (.rules).", show_default=False)],
    dataset: Annotated[list[Path], typer.Argument(help="One or more datasets (.yaml, .json, .csv or .xlsx); "
                                                  "several are merged, e.g. local data plus a national file.",
                                                  show_default=False)],
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="Assess at this period, e.g. 2005/06 "
                                                  "(default: the latest in the data).")] = None,
    output_format: Annotated[EvaluateFormat, typer.Option("--format", "-f", help="Output format.")] =
    EvaluateFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file (atomically) "
                                                   "instead of standard output.")] = None,
    area: Annotated[Optional[list[str]], typer.Option("--area", help="Only this area (repeatable).")] = None,
    years: Annotated[Optional[Years], typer.Option("--years", help="Read every year label as this kind, when "
                                                   "the datasets mix financial and calendar years (2006 <-> "
                                                   "2006/07).")] = None,
) -> None:
    """Assess every indicator and theme of RULES on DATASET(s), for every area (or those given by --area)."""
    from ..evaluation import run_evaluate

    with input_errors():
        refuse_overwriting_inputs(output, [rules, *dataset])
        text = run_evaluate(rules, dataset, period=period, output_format=output_format.value, areas=area,
                            color=output is None and sys.stdout.isatty(), years=years.value if years else None)
        emit(text, output)
