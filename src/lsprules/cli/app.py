"""The `lsprules` command: the typer app, its commands (one module each), and a guard against tracebacks."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lsprules.cli.check import check
from lsprules.cli.common import EXIT_ERROR, EXIT_OK
from lsprules.cli.diff import diff
from lsprules.cli.evaluate import evaluate
from lsprules.cli.explain import explain
from lsprules.cli.fmt import fmt
from lsprules.cli.sql import sql
from lsprules.cli.test import run_rule_tests

app = typer.Typer(
    name="lsprules",
    help="Rules-as-configuration for performance indicators: RAG ratings, arrows, trajectories and theme ratings.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

# Commands: one line each, so that adding one never conflicts with another.
app.command()(evaluate)
app.command()(check)
app.command()(fmt)
app.command()(diff)
app.command()(explain)
app.command("test")(run_rule_tests)
app.command()(sql)


def _version(value: bool) -> None:
    if value:
        from lsprules import __version__

        typer.echo(f"lsprules {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                          help="Show the version and exit.")] = None) -> None:
    """lsprules: evaluate performance rules against datasets."""


def main() -> None:
    """Console entry point: run the app; never let a traceback reach the user."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug in lsprules itself: say so plainly, without a traceback
        typer.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                   "this is a bug in lsprules; please report it with the command and the files used", err=True)
        sys.exit(EXIT_ERROR)
