"""`lsprules lsp`: run the language server on standard input and output, for an editor to start."""

from __future__ import annotations


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

    serve()
