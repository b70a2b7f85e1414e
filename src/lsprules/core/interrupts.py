"""Ctrl-C as the embedded engines report it: DuckDB turns a KeyboardInterrupt during a query into an exception."""

from __future__ import annotations

import sys


def interrupted_query(exc: BaseException) -> bool:
    """Whether `exc` is DuckDB's answer to Ctrl-C (or an interrupt) during a query rather than a failure."""
    # DuckDB turns a KeyboardInterrupt that arrives while it runs a query into RuntimeError("Query interrupted"),
    # and Connection.interrupt() into InterruptException; neither is a KeyboardInterrupt any more.
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.InterruptException):
        return True
    return type(exc) is RuntimeError and str(exc) == "Query interrupted"


def unless_interrupted(exc: BaseException) -> None:
    """Raise KeyboardInterrupt for an interrupted query, which a caller stepping aside on any failure must not
    take for a file the engine cannot read (the run would go on in the interpreter)."""
    if interrupted_query(exc):
        raise KeyboardInterrupt from exc
