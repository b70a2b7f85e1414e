"""Which findings of `check` are shown: per-line suppression comments, each with its reason
(`# lsprules: ignore[E206] the report gives no target`), and the codes a project selects or ignores."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lsprules.core.diagnostics import CODES, Diagnostic, Severity, error
from lsprules.core.source import Source

_DIRECTIVE = re.compile(r"\s*lsprules\s*:")
_IGNORE = re.compile(r"\s*lsprules\s*:\s*ignore\[(?P<codes>[^\]]*)\](?P<reason>.*)$")
# Codes that are about suppressions themselves, or mean a file could not be read: never suppressed.
UNSUPPRESSIBLE = {"E001", "E002", "E003", "E230", "E231", "E232"}


@dataclass(frozen=True)
class Suppression:
    """One `ignore[...]` comment: the codes it silences, the line they must be on, and where it is written."""

    codes: frozenset[str]
    target_line: int
    start: int
    end: int


def suppressed(source: Source, found: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The findings left once the file's suppression comments are applied, with E230-E232 for comments that
    lack a reason, cannot be read, or silence nothing."""
    suppressions, problems = _suppressions(source)
    kept: list[Diagnostic] = []
    used: set[Suppression] = set()
    for d in found:
        silencing = [s for s in suppressions if d.span is not None and d.span.line == s.target_line
                     and d.code in s.codes and d.code not in UNSUPPRESSIBLE]
        used.update(silencing)
        if not silencing:
            kept.append(d)
    unused = [error("E232", f"this suppression silences nothing: no {' or '.join(sorted(s.codes))} is reported "
                    f"on line {s.target_line}", source, s.start, s.end,
                    hint="remove the comment, or move it to the line it is about", severity=Severity.WARNING)
              for s in suppressions if s not in used]
    return kept + problems + unused


def _suppressions(source: Source) -> tuple[list[Suppression], list[Diagnostic]]:
    found: list[Suppression] = []
    problems: list[Diagnostic] = []
    lines = source.text.split("\n")
    line_start = 0
    for number, line in enumerate(lines, start=1):
        at, line_start = _comment_start(line), line_start + len(line) + 1
        if at is None or not _DIRECTIVE.match(line[at + 1:]):
            continue
        text, start, end = line[at + 1:], line_start - len(line) - 1 + at, line_start - 1
        directive = _IGNORE.match(text)
        if directive is None:
            problems.append(error("E231", "a `# lsprules:` comment must read `# lsprules: ignore[CODE] reason`",
                                  source, start, end, hint="e.g. `# lsprules: ignore[E206] the report gives no "
                                                            "target`"))
            continue
        codes = [c.strip() for c in directive.group("codes").split(",") if c.strip()]
        unknown = [c for c in codes if c not in CODES]
        if not codes or unknown:
            problems.append(error("E231", f"`{unknown[0] if unknown else ''}` is not a diagnostic code" if unknown
                                  else "the suppression names no code", source, start, end,
                                  hint="name the codes to silence: `ignore[E206]` or `ignore[E201, E203]`"))
            continue
        if not directive.group("reason").strip():
            problems.append(error("E230", "a suppression needs a reason, so that a reader knows why the finding "
                                  "does not apply", source, start, end,
                                  hint=f"say why after the codes: `# lsprules: ignore[{', '.join(codes)}] because …`"))
            continue
        found.append(Suppression(frozenset(codes), _target(lines, number, line[:at]), start, end))
    return found, problems


def _comment_start(line: str) -> int | None:
    """Where a line's comment starts: the first '#' outside a quoted title (None when there is none)."""
    in_title, escaped = False, False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif in_title and char == "\\":
            escaped = True
        elif char == '"':
            in_title = not in_title
        elif char == "#" and not in_title:
            return index
    return None


def _target(lines: list[str], line: int, code_before: str) -> int:
    """The line a suppression is about: its own, after code; else the next line that holds code."""
    if code_before.strip():
        return line
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1].strip()
        if text and not text.startswith("#"):
            return number
    return line


def selected(code: str, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> bool:
    """Whether a finding of this code is shown, given code prefixes to select (all when none) and to ignore."""
    chosen = list(select)
    return (not chosen or any(code.startswith(p) for p in chosen)) and not any(code.startswith(p) for p in ignore)
