"""`lsprules explain RULES DATASET --indicator ID | --theme ID`: why one result came out as it did."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lsprules.cli.common import (
    StdinFilename,
    WriteThroughSymlink,
    emit,
    input_errors,
    name_stdin,
    refuse_overwriting_inputs,
)


class ExplainFormat(str, Enum):
    """Output formats of `explain`."""

    text = "text"
    json = "json"


def explain(
    rules: Annotated[Path, typer.Argument(help="Rule file (.rules).", show_default=False)],
    dataset: Annotated[Path, typer.Argument(help="Dataset (.yaml, .json, .csv, .xlsx or .parquet).",
                                            show_default=False)],
    indicator: Annotated[str | None, typer.Option("--indicator", "-i", help="Explain this indicator.")] = None,
    theme: Annotated[str | None, typer.Option("--theme", "-t", help="Explain this theme's rating.")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Assess at this period, e.g. 2006/07 "
                                                  "(default: the latest in the data).")] = None,
    area: Annotated[str | None, typer.Option("--area", help="The area (needed when the dataset has several).")]
    = None,
    output_format: Annotated[ExplainFormat, typer.Option("--format", "-f", help="Output format.")] =
    ExplainFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of "
                                                   "standard output.")] = None,
    write_through_symlink: WriteThroughSymlink = False,
    stdin_filename: StdinFilename = None,
) -> None:
    """Explain one result in plain words: values, arrow, target, clauses tried, and what would change it.

    Forms:
      lsprules explain RULES DATASET --indicator ID [--area NAME] [--period PERIOD]
      lsprules explain RULES DATASET --theme ID [--area NAME] [--period PERIOD]

    Examples:
      lsprules explain rules/crime.rules datasets/redcar-cleveland-2007.yaml --indicator theft_from_vehicle
      lsprules explain rules/crime.rules datasets/redcar-cleveland-2007.yaml --theme crime --format json

    Exit codes:
      0  explained
      2  an unknown id, area or period, or a rule file or dataset with errors
    """
    from lsprules.jobs.explain import run_explain

    name_stdin(stdin_filename)
    with input_errors():
        refuse_overwriting_inputs(output, [rules, dataset],
                                  through_symlink=write_through_symlink)
        emit(run_explain(rules, dataset, indicator=indicator, theme=theme, period=period, area=area,
                         output_format=output_format.value), output, through_symlink=write_through_symlink)
