"""`lsprules diff OLD NEW` / `lsprules diff --git REV [PATH...]`: what changed in meaning, and on the data."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lsprules.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    StdinRulesFilename,
    WriteThroughSymlink,
    emit,
    input_errors,
    name_stdin,
    refuse_overwriting_inputs,
)


class DiffFormat(str, Enum):
    """Output formats of `diff`."""

    text = "text"
    markdown = "markdown"
    json = "json"


class ReplayEngine(str, Enum):
    """What replays the rules on `--data`."""

    auto = "auto"
    interpreter = "interpreter"
    duckdb = "duckdb"
    polars = "polars"


def diff(
    files: Annotated[list[str] | None, typer.Argument(
        help="OLD NEW: rule files or REV:PATH revisions of them; with --git, the working-tree files to compare "
             "(default: every .rules file that differs).", show_default=False)] = None,
    git: Annotated[str | None, typer.Option("--git", help="Compare REV:PATH with the working tree.",
                                               metavar="REV")] = None,
    data: Annotated[list[Path] | None, typer.Option("--data", "-d", help="Replay both sides on this dataset "
                                                       "and list the results that change (repeatable).")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Period to replay at (default: the "
                                                  "latest in each dataset).")] = None,
    engine: Annotated[ReplayEngine, typer.Option("--engine", help="What replays the rules on --data: auto: the "
                                                 "columnar engine on a large plain CSV or Parquet file (as "
                                                 "evaluate's reports), else the reference interpreter; "
                                                 "interpreter: always the reference; duckdb, polars: the columnar "
                                                 "engine, or a note saying why not.")] = ReplayEngine.auto,
    output_format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format (markdown fits a "
                                                      "pull-request comment).")] = DiffFormat.text,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when anything changed in meaning.")]
    = False,
    textconv: Annotated[bool, typer.Option("--textconv", help="Print FILE's resolved meaning, one fact per line "
                                           "(for a git textconv driver), and exit.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of "
                                                   "standard output.")] = None,
    write_through_symlink: WriteThroughSymlink = False,
    stdin_filename: StdinRulesFilename = None,
) -> None:
    """Compare two versions of a rule file in meaning (not text), and replay them on data.

    Forms:
      lsprules diff OLD NEW [--data DATASET]... [--exit-code]
      lsprules diff --git REV [PATH...] [--data DATASET]...
      lsprules diff --textconv FILE

    Examples:
      lsprules diff HEAD~1:rules/crime.rules rules/crime.rules --data datasets/redcar-cleveland-2007.yaml
      lsprules diff --git HEAD~1 --format markdown
      git config diff.lsprules.textconv "lsprules diff --textconv"

    Exit codes:
      0  compared (with --exit-code: nothing changed in meaning)
      1  with --exit-code: something changed in meaning
      2  not two files, a bad revision or path, or a rule file or dataset with errors
    """
    name_stdin(stdin_filename)
    with input_errors():
        if textconv:
            from lsprules.jobs.diff import run_textconv

            refuse_overwriting_inputs(output, [Path(name) for name in files or []],
                                      through_symlink=write_through_symlink)
            emit(run_textconv(files or []), output, through_symlink=write_through_symlink)
            return
        from lsprules.jobs.diff import run_diff
        from lsprules.render.diff_report import render_diff_json, render_diff_markdown, render_diff_text

        report = run_diff(files or [], git=git, data=data, period=period, engine=engine.value)
        refuse_overwriting_inputs(output, [Path(f.path) for f in report.provenance.inputs],
                                  through_symlink=write_through_symlink)
        render = {"text": render_diff_text, "markdown": render_diff_markdown, "json": render_diff_json}
        emit(render[output_format.value](report), output, through_symlink=write_through_symlink)
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    raise typer.Exit(EXIT_FINDINGS if exit_code and report.meaning_changed else EXIT_OK)
