"""Progress for long runs: a rich progress bar on standard error when it is a terminal, silence otherwise.

Output files and standard output never see it, so piped and redirected runs stay byte-for-byte the same.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Advance = Callable[[str], None]


def _quiet(_: str) -> None:
    """Progress that shows nothing."""


@contextmanager
def progress(description: str, total: int, stream: TextIO | None = None, minimum: int = 2) -> Iterator[Advance]:
    """Yield a function to call once per finished item; draws a bar only on a terminal and for `minimum`+ items."""
    stream = stream if stream is not None else sys.stderr
    if total < minimum or not _is_terminal(stream):
        yield _quiet
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream, stderr=stream is sys.stderr)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[item]}"),
               TimeElapsedColumn())
    # JSON and CSV are written while the bar is drawn (they stream): rich must not take standard output over
    # (by default it sends what is printed meanwhile through its console, to the bar's stream).
    with Progress(*columns, console=console, transient=True, redirect_stdout=False, redirect_stderr=False) as bar:
        task = bar.add_task(description, total=total, item="")

        def advance(item: str) -> None:
            bar.update(task, advance=1, item=item)

        yield advance


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False
