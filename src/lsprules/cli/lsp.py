"""`lsprules lsp`: run the language server on standard input and output, for an editor to start."""

from __future__ import annotations

import signal
from types import FrameType

from lsprules.core.interrupts import stop_interrupted


def lsp() -> None:
    """Run the language server (LSP over standard input and output), for editors to start.

    Diagnostics as you type, hover, definitions, references, completion, formatting, outline, rename, quick fixes.

    Setting up VS Code, Neovim and Helix: docs/editors.md.

    Examples:
      lsprules lsp

    Exit codes:
      0  the editor ended the session, or closed standard input
      2  an option is wrong
    """
    from lsprules.lsp.server import serve  # pygls is imported only when an editor starts the server

    # pygls would take Ctrl-C for the end of the session (exit 0), then wait for its thread reading standard input,
    # which only the editor's closing it ends: stopped here instead, as every command stops for it.
    previous = signal.signal(signal.SIGINT, _interrupted)
    try:
        serve()
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupted(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while the server runs: `interrupted`, exit 130, not waiting for the thread reading standard input."""
    stop_interrupted(at_once=True)
