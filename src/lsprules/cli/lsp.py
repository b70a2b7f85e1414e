"""`lsprules lsp`: run the language server on standard input and output, for an editor to start."""

from __future__ import annotations


def lsp() -> None:
    """Run the language server (LSP over standard input and output), for editors: diagnostics, hover,
    go to definition, references, completion, formatting, outline, rename and quick fixes."""
    from lsprules.lsp.server import serve  # pygls is imported only when an editor starts the server

    serve()
