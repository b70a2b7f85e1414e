"""`lsprules check PATH... [--data DATASET...]`: static analysis of rule files before anything runs."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class CheckFormat(str, Enum):
    """Output formats of `check`."""

    text = "text"
    json = "json"
    github = "github"


def check(
    paths: Annotated[list[Path], typer.Argument(help="Rule files, or folders searched for *.rules.",
                                                show_default=False)],
    data: Annotated[list[Path] | None, typer.Option("--data", "-d", help="Also check against this dataset "
                                                       "(repeatable): missing data, unused data, periods.")] = None,
    output_format: Annotated[CheckFormat, typer.Option("--format", "-f", help="text for people, json for "
                                                       "editors and CI, github for workflow annotations.")] =
    CheckFormat.text,
) -> None:
    """Check rule files: names, RAG bands (gaps, overlaps, clauses that never fire), targets and units.

    Forms:
      lsprules check PATH... [--data DATASET]... [--format text|json|github]

    Examples:
      lsprules check rules/
      lsprules check rules/crime.rules --data datasets/redcar-cleveland-2007.yaml --format github

    Exit codes:
      0  no errors (warnings allowed)
      1  errors found
      2  a file cannot be read, or an option is wrong
    """
    from lsprules.jobs.check import run_check

    report = run_check(paths, data=data or [], output_format=output_format.value)
    sys.stdout.write(report.text)
    sys.stdout.flush()
    raise typer.Exit(report.exit_code)
