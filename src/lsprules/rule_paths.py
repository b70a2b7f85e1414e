"""Which rule files a command works on: files as given, folders searched for `*.rules`."""

from __future__ import annotations

from pathlib import Path

from .diagnostics import Diagnostic, error
from .source import display_name


def expand(paths: list[Path]) -> tuple[list[Path], list[tuple[str, Diagnostic]]]:
    """The rule files named or found under folders (sorted, hidden folders skipped), and an E001 for each
    path that is neither (with the path, for machine-readable output)."""
    found: list[Path] = []
    problems: list[tuple[str, Diagnostic]] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.rules") if p.is_file() and not _hidden(p.relative_to(path)))
            if not inside:
                problems.append((display_name(path), error(
                    "E001", f"no rule files (*.rules) in folder '{display_name(path)}'",
                    hint="name a rule file, or a folder that holds some")))
            found.extend(inside)
        elif path.exists() or str(path) == "-":
            found.append(path)
        else:
            problems.append((display_name(path), error(
                "E001", f"cannot read '{display_name(path)}': no such file or folder", hint="check the path")))
    return list(dict.fromkeys(found)), problems


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts[:-1])
