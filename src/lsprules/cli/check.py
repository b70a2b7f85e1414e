"""`lsprules check PATH... [--data DATASET...]`: static analysis of rule files before anything runs."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lsprules.cli.common import OPTIONS, StdinRulesFilename, input_errors, name_stdin, project_config


class CheckFormat(str, Enum):
    """Output formats of `check`."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


def check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Rule files, folders searched for *.rules, or - for "
                                                       "standard input (default: `rules` in lsprules.toml).",
                                                       show_default=False)] = None,
    data: Annotated[list[Path] | None, typer.Option("--data", "-d", help="Also check against this dataset "
                                                       "(repeatable): missing data, unused data, periods.")] = None,
    output_format: Annotated[CheckFormat, typer.Option("--format", "-f", help="text for people, json for "
                                                       "editors and CI, github for workflow annotations, sarif "
                                                       "for code scanning.")] = CheckFormat.text,
    select: Annotated[list[str] | None, typer.Option("--select", metavar="CODE", help="Show only these codes "
                                                     "or prefixes, e.g. E2 (repeatable).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", metavar="CODE", help="Hide these codes or "
                                                     "prefixes (repeatable).")] = None,
    stdin_filename: StdinRulesFilename = None,
) -> None:
    """Check rule files: names, RAG bands (gaps, overlaps, clauses that never fire), targets and units.

    Forms:
      lsprules check [PATH...] [--data DATASET]... [--format text|json|github|sarif]
      lsprules check [PATH...] [--select CODE]... [--ignore CODE]...

    Examples:
      lsprules check rules/
      lsprules check rules/crime.rules --data datasets/redcar-cleveland-2007.yaml --format github

    Exit codes:
      0  no errors (warnings allowed)
      1  errors found
      2  a file cannot be read, or an option is wrong
    """
    from lsprules.jobs.check import run_check

    name_stdin(stdin_filename)
    with input_errors():
        config = project_config()
        named = paths or list(config.rules)
        if not named:
            from lsprules.core.diagnostics import InputError, error

            raise InputError([error("E604", "no rule files to check", hint="name rule files or folders, - for "
                                    "standard input, or set `rules` in lsprules.toml")])
        report = run_check(named, data=data or list(config.data), output_format=output_format.value,
                           select=select or config.select, ignore=[*config.ignore, *(ignore or [])])
    if not (OPTIONS.quiet and output_format is CheckFormat.text and report.exit_code == 0 and not report.diagnostics):
        sys.stdout.write(report.text)
    sys.stdout.flush()
    raise typer.Exit(report.exit_code)
