"""`lsprules fmt PATH... [--check] [--diff]`: the canonical layout of rule files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lsprules.cli.common import OPTIONS, StdinRulesFilename, name_stdin


def fmt(
    paths: Annotated[list[Path], typer.Argument(help="Rule files, folders searched for *.rules, or - for "
                                                "standard input.", show_default=False)],
    check: Annotated[bool, typer.Option("--check", help="Write nothing; show the diff and exit 1 if a file is "
                                        "not formatted.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; show what formatting would change.")] = False,
    stdin_filename: StdinRulesFilename = None,
) -> None:
    """Format rule files in place: one canonical layout, comments kept, meaning unchanged.

    Forms:
      lsprules fmt PATH...
      lsprules fmt --check PATH...
      lsprules fmt --diff PATH...
      lsprules fmt -  (standard input to standard output)

    Examples:
      lsprules fmt rules/
      lsprules fmt --check rules/

    Exit codes:
      0  done (with --check: every file is formatted)
      1  with --check: a file is not formatted
      2  a file cannot be read or parsed, or an option is wrong
    """
    from lsprules.jobs.fmt import run_fmt

    name_stdin(stdin_filename)
    report = run_fmt(paths, check=check, diff=diff)
    sys.stdout.write("".join(report.out))
    sys.stdout.flush()
    for line in report.err[:-1] if OPTIONS.quiet else report.err:  # the last line is the summary
        typer.echo(line, err=True)
    raise typer.Exit(report.exit_code)
