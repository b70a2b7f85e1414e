"""`lsprules test [PATH...]`: run rule tests; `--coverage` per rule file; `--boundaries RULES` probes edges."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lsprules.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    WriteThroughSymlink,
    emit,
    input_errors,
    project_config,
    refuse_overwriting_inputs,
)


class TestFormat(str, Enum):
    """Output formats of `test`."""

    text = "text"
    json = "json"


def run_rule_tests(
    paths: Annotated[list[str] | None, typer.Argument(help="Test files (*.tests.yaml) or folders holding them "
                                                         "(default: `tests` in lsprules.toml, else rules/).",
                                                         show_default=False)] = None,
    coverage: Annotated[bool, typer.Option("--coverage", help="Report, per rule file, the clauses no test "
                                           "exercised and the bands, arrows and ratings never produced.")] = False,
    boundaries: Annotated[Path | None, typer.Option("--boundaries", metavar="RULES", help="Instead of running "
                                                       "tests, show the result at and beside every threshold of "
                                                       "RULES.")] = None,
    data: Annotated[list[Path] | None, typer.Option("--data", "-d", help="With --boundaries: the dataset to "
                                                       "probe (default: those the rule tests use).")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="With --boundaries: the period.")] = None,
    output_format: Annotated[TestFormat, typer.Option("--format", "-f", help="Output format.")] = TestFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of "
                                                   "standard output.")] = None,
    write_through_symlink: WriteThroughSymlink = False,
    root: Annotated[Path | None, typer.Option("--root", help="The folder that the files a test file names must "
                                              "lie in (default: the nearest folder above it with .git, "
                                              "lsprules.toml or pyproject.toml).")] = None,
) -> None:
    """Run rule tests: cases of data with the arrows, bands and ratings the rules must give.

    Forms:
      lsprules test [PATH...] [--coverage]
      lsprules test --boundaries RULES [--data DATASET]... [--period PERIOD]

    Examples:
      lsprules test --coverage
      lsprules test --boundaries rules/crime.rules --data datasets/redcar-cleveland-2007.yaml

    Exit codes:
      0  every case passed (or the boundaries were shown)
      1  a case failed
      2  no test files found, or a test file or its rule file cannot be used
    """
    from lsprules.jobs.test import run_boundaries, run_tests

    with input_errors():
        if boundaries is not None:
            result = run_boundaries(boundaries, data=data, period=period, output_format=output_format.value,
                                    root=root)
        else:
            named = paths or [str(p) for p in project_config().tests]
            result = run_tests(named, with_coverage=coverage, output_format=output_format.value, root=root)
        refuse_overwriting_inputs(output, [Path(name) for name in result.read],
                                  through_symlink=write_through_symlink)
        emit(result.text, output, through_symlink=write_through_symlink)
    raise typer.Exit(EXIT_OK if result.passed else EXIT_FINDINGS)
