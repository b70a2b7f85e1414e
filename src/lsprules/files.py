"""Reading input files: one place that turns an unreadable path into a clear E001."""

from __future__ import annotations

from pathlib import Path

from .diagnostics import InputError, error
from .source import display_name


def read_input(path: str | Path, what: str) -> tuple[str, bytes]:
    """The display name and bytes of an input file; InputError E001 (naming `what` it is) when unreadable."""
    name = display_name(path)
    try:
        return name, Path(path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: e.g. a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError([error("E001", f"cannot read {what} '{name}': {reason}",
                                hint="check the path and that the file is readable")]) from None
