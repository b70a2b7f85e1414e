"""What every command shares: diagnostics on standard error, writing outputs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Literal, Self, TextIO

import typer

from lsprules.core.diagnostics import Diagnostic, InputError, error, render
from lsprules.core.exits import EXIT_ERROR as EXIT_ERROR  # re-exported for the commands
from lsprules.core.exits import EXIT_FINDINGS as EXIT_FINDINGS
from lsprules.core.exits import EXIT_OK as EXIT_OK

if TYPE_CHECKING:
    from lsprules.core.config import Config


class input_errors:
    """Context manager: render InputError diagnostics on standard error and exit 2."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if isinstance(exc, InputError):
            report_diagnostics(exc.diagnostics)
            raise typer.Exit(EXIT_ERROR)
        return False


def report_diagnostics(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
    """Print diagnostics to standard error, one block each, then a count of errors."""
    for d in diagnostics:
        typer.echo(render(d), err=True)
        typer.echo("", err=True)
    errors = sum(1 for d in diagnostics if d.severity.value == "error")
    if errors:
        typer.echo(f"{errors} error{'s' if errors != 1 else ''}", err=True)


STDOUT = "-"  # `-o -`: standard output, as if no -o were given

# The one option that lets `-o` write into the file a symbolic link points to (commands take it with -o).
WriteThroughSymlink = Annotated[bool, typer.Option(
    "--write-through-symlink", help="When --output is a symbolic link, write into the file it points to "
    "(without this, a link is refused).")]


def to_stdout(output: Path | None) -> bool:
    """Whether the output goes to standard output: no -o, or `-o -`."""
    return output is None or str(output) == STDOUT


def refuse_overwriting_inputs(output: Path | None, inputs: list[Path], *, through_symlink: bool = False) -> None:
    """E003 when `-o` names one of the files being read (by any path, by inode): the output would replace the
    input; E004-E006 when it names a folder, a special file or (not allowed) a symbolic link."""
    if to_stdout(output):
        return
    assert output is not None  # to_stdout says so
    from lsprules.core.files import output_target

    output_target(output, through_symlink=through_symlink)
    for path in inputs:
        if _same_file(path, output):
            raise InputError([error("E003", f"--output {output}: that is one of the input files, and writing the "
                                    "output there would replace it", hint="write the output to another file")])


STDOUT_SLICE = 1 << 16  # characters written to standard output at a time


def emit(text: str | bytes, output: Path | None, *, through_symlink: bool = False) -> None:
    """Write to a file atomically (a regular file only: see core.files.output_target), or to standard output
    (binary output, a Word document, only when asked for with `-o -`)."""
    if output is None and not isinstance(text, str):
        raise InputError([error("E520", "this output is a binary file (a Word document), which is written to a "
                                "file, not to standard output",
                                hint="name the file with -o, e.g. -o report.docx (or -o - to pipe it)")])
    if output is None or to_stdout(output):
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
            return
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from lsprules.core.files import output_target, write_atomic

    try:
        write_atomic(output_target(output, through_symlink=through_symlink), text)
    except OSError as exc:
        raise _cannot_write(output, exc) from None


@contextmanager
def output_sink(output: Path | None, *, through_symlink: bool = False) -> Iterator[Callable[[str], None]]:
    """A function that writes text to the output piece by piece as a command produces it: to standard output,
    or (like `emit`) atomically to a file: the pieces go to a temporary file that replaces the file only when
    the block ends without an error, so an error or SIGTERM on the way leaves no file, partial or temporary."""
    if to_stdout(output):

        def show(text: str) -> None:
            # In slices: after a partial write Python may lose a reader's going (EPIPE); the next slice then fails.
            for start in range(0, len(text), STDOUT_SLICE):
                sys.stdout.write(text[start:start + STDOUT_SLICE])

        yield show
        sys.stdout.flush()
        return
    assert output is not None  # to_stdout says so
    from lsprules.core.files import atomic_output, output_target

    inside = False  # an OSError from the block is the block's to explain; only one from the output is ours
    try:
        with atomic_output(output_target(output, through_symlink=through_symlink)) as handle:

            def write(text: str) -> None:
                try:
                    handle.write(text.encode("utf-8"))
                except OSError as exc:
                    raise _cannot_write(output, exc) from None

            inside = True
            yield write
            inside = False
    except OSError as exc:
        if inside:
            raise
        raise _cannot_write(output, exc) from None


def _cannot_write(output: Path, exc: OSError) -> InputError:
    """E001 for an output that cannot be written."""
    return InputError([error("E001", f"cannot write '{output}': {exc.strerror or exc}",
                             hint="check that the folder exists and is writable")])


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file, by whatever path (a symlink or a hard link included)."""
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist (yet): then only the same path is the same file
        return a.resolve() == b.resolve()


# --- options every command shares (issue 13): standard input's name, colour, verbosity, debugging -------------

StdinFilename = Annotated[str | None, typer.Option("--stdin-filename", metavar="NAME",
                                                   help="Name for standard input (-) in messages; its extension "
                                                        "says how to read a dataset.")]
# For the commands that read only rule files from standard input: no word of datasets in their help.
StdinRulesFilename = Annotated[str | None, typer.Option("--stdin-filename", metavar="NAME",
                                                        help="Name for standard input (-) in messages.")]


def name_stdin(name: str | None) -> None:
    """Call standard input by this name (from `--stdin-filename`)."""
    from lsprules.core.files import set_stdin_name

    set_stdin_name(name or "<stdin>")


class Color(str, Enum):
    """When to colour output."""

    auto = "auto"
    always = "always"
    never = "never"


@dataclass
class GlobalOptions:
    """The options given before the command: `lsprules --quiet check …`."""

    color: Color = Color.auto
    quiet: bool = False
    verbose: bool = False
    debug: bool = False
    config: Path | None = None
    settings: Config | None = None  # read once per run, by project_config


OPTIONS = GlobalOptions()


def color_enabled(stream: TextIO) -> bool:
    """Whether to colour a stream: --color always/never; for auto, NO_COLOR turns it off and FORCE_COLOR on
    (https://no-color.org, https://force-color.org), else colour when the stream is a terminal."""
    if OPTIONS.color is not Color.auto:
        return OPTIONS.color is Color.always
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def debugging() -> bool:
    """Whether an internal error shows its traceback: --debug or LSPRULES_DEBUG=1."""
    return OPTIONS.debug or os.environ.get("LSPRULES_DEBUG") == "1"


def say(message: str) -> None:
    """A note on standard error, shown only with --verbose."""
    if OPTIONS.verbose and not OPTIONS.quiet:
        typer.echo(message, err=True)


def project_config() -> Config:
    """The settings of the nearest lsprules.toml or [tool.lsprules] (InputError when it is not valid)."""
    from lsprules.core.config import load_config, read_config

    if OPTIONS.settings is None:
        OPTIONS.settings = read_config(OPTIONS.config) if OPTIONS.config else load_config()
        if OPTIONS.settings.path is not None:
            say(f"lsprules: settings from {OPTIONS.settings.path}")
    return OPTIONS.settings
