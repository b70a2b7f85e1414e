"""The `lsprules` command: the typer app, its commands (one module each), and a guard against tracebacks."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from lsprules.cli.check import check
from lsprules.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    OPTIONS,
    Color,
    debugging,
    input_errors,
    project_config,
)
from lsprules.cli.diff import diff
from lsprules.cli.evaluate import evaluate
from lsprules.cli.explain import explain
from lsprules.cli.fmt import fmt
from lsprules.cli.help_text import plain_help
from lsprules.cli.lsp import lsp
from lsprules.cli.sql import sql
from lsprules.cli.test import run_rule_tests
from lsprules.cli.values import quick_values
from lsprules.core.files import Terminated
from lsprules.core.interrupts import interrupted_exit, interrupted_query, stop_interrupted

plain_help()
quick_values()

app = typer.Typer(
    name="lsprules",
    help=("Rules-as-configuration for performance indicators: RAG ratings, arrows, trajectories and theme ratings."
          "\n\nExamples:\n"
          "  lsprules evaluate rules/crime.rules datasets/redcar-cleveland-2007.yaml\n"
          "  lsprules check rules/\n"
          "  lsprules COMMAND --help     each command's forms, examples and exit codes"
          "\n\nExit codes:\n"
          "  0  ok\n"
          "  1  findings: errors from check, unformatted files, failed tests\n"
          "  2  an input or option is wrong (the message says where, and how to fix it)"),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
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
app.command()(lsp)
app.command()(sql)


def _version(value: bool) -> None:
    if value:
        from lsprules import __version__

        typer.echo(f"lsprules {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                          help="Show the version and exit.")] = None,
          color: Annotated[Color, typer.Option("--color", help="Colour output: auto (a terminal, unless NO_COLOR; "
                                               "FORCE_COLOR forces it), always or never.")] = Color.auto,
          quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only findings and results.")] = False,
          verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also say which settings file is used.")]
          = False,
          debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error (also "
                                              "LSPRULES_DEBUG=1).")] = False,
          config: Annotated[Path | None, typer.Option("--config", metavar="FILE", help="Settings from this file "
                                                      "instead of the nearest lsprules.toml.")] = None,
          limit: Annotated[list[str] | None, typer.Option("--limit", metavar="NAME=VALUE", help="Raise (or lower) "
                                                          "a bound on what one input may cost, e.g. --limit "
                                                          "number_digits=100 (repeatable; see "
                                                          "docs/reliability.md).")] = None) -> None:
    """lsprules: evaluate performance rules against datasets."""
    from lsprules.core.limits import from_environment, set_limits

    OPTIONS.color, OPTIONS.quiet, OPTIONS.verbose, OPTIONS.debug, OPTIONS.config = color, quiet, verbose, debug, config
    OPTIONS.settings = None
    with input_errors():
        set_limits(from_environment(limit, project_config().limits))


def main() -> None:
    """Console entry point: run the app; never let a traceback reach the user."""
    try:
        app(prog_name="lsprules")
    except SystemExit as stopped:
        if interrupted_exit(stopped):  # Ctrl-C in a command, which typer turns into a silent exit 130
            stop_interrupted()
        if stopped.code in (None, EXIT_OK, EXIT_FINDINGS) and reader_gone():  # an input error stays an error
            _gone_quietly()
        raise
    except BrokenPipeError:
        _gone_quietly()
    except Terminated as stopped:  # SIGTERM or SIGHUP while temporary files existed: they are gone; stop as it would
        sys.exit(128 + int(stopped.args[0]))
    except KeyboardInterrupt:  # Ctrl-C outside a command (typer's own work before and after it)
        stop_interrupted()
    except Exception as exc:  # a bug in lsprules itself: say so plainly, without a traceback unless asked
        if interrupted_query(exc):
            stop_interrupted()
        _internal_error(exc)
    except BaseException as exc:
        if not _polars_panic(exc):
            raise
        _internal_error(exc)


def _internal_error(exc: BaseException) -> NoReturn:
    """A bug, in lsprules or an engine it runs: said plainly, exit 2, the traceback only when asked."""
    if debugging():
        import traceback

        traceback.print_exception(exc)
    typer.echo(f"internal error: {type(exc).__name__}: {exc}\n"
               "this is a bug in lsprules; please report it with the command and the files used "
               "(run with --debug or LSPRULES_DEBUG=1 to see where it happened)", err=True)
    sys.exit(EXIT_ERROR)


def _polars_panic(exc: BaseException) -> bool:
    """Whether `exc` is a panic inside polars, which is no Exception (it derives from BaseException): it can come
    while a report is already being written, after the point where a run could step aside to the interpreter."""
    polars = sys.modules.get("polars")
    return polars is not None and isinstance(exc, polars.exceptions.PanicException)


SIGPIPE_EXIT = 141  # 128 + SIGPIPE: how a shell reports a command whose reader went away (`cat big | head`)


def reader_gone() -> bool:
    """Whether a write to standard output failed because its reader had gone (`lsprules … | head`)."""
    # typer catches that BrokenPipeError inside the command, wraps standard output to silence it, and exits 1.
    return type(sys.stdout).__name__ == "PacifyFlushWrapper"


def _gone_quietly() -> None:
    """Stop as `cat` would when its reader has gone: nothing on standard error, exit 141."""
    # Output still buffered would fail again as Python exits, with a message: it goes nowhere instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    os.close(devnull)
    sys.exit(SIGPIPE_EXIT)
