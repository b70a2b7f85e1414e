"""What every command shares: diagnostics on standard error, writing outputs."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

import typer

from lsprules.core.diagnostics import Diagnostic, InputError, error, render
from lsprules.core.exits import EXIT_ERROR as EXIT_ERROR  # re-exported for the commands
from lsprules.core.exits import EXIT_FINDINGS as EXIT_FINDINGS
from lsprules.core.exits import EXIT_OK as EXIT_OK


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


def refuse_overwriting_inputs(output: Path | None, inputs: list[Path]) -> None:
    """E003 when `-o` names one of the files being read: the output would replace the input."""
    if output is None:
        return
    for path in inputs:
        if _same_file(path, output):
            raise InputError([error("E003", f"--output {output}: that is one of the input files, and writing the "
                                    "output there would replace it", hint="write the output to another file")])


def emit(text: str | bytes, output: Path | None) -> None:
    """Write to a file atomically, or (text only) to standard output."""
    if output is None:
        if not isinstance(text, str):
            raise InputError([error("E520", "this output is a binary file (a Word document), which is written to a "
                                    "file, not to standard output",
                                    hint="name the file with -o, e.g. -o report.docx")])
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from lsprules.core.files import write_atomic

    try:
        write_atomic(output, text)
    except OSError as exc:
        raise InputError([error("E001", f"cannot write '{output}': {exc.strerror or exc}",
                                hint="check that the folder exists and is writable")]) from None


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file, by whatever path (a symlink or a hard link included)."""
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist (yet): then only the same path is the same file
        return a.resolve() == b.resolve()
