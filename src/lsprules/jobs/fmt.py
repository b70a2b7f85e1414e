"""The `fmt` job as a library function: format rule files in place, or report those that are not formatted.

A file is rewritten only after its formatted text has been parsed again and found to hold the same rules
and the same comments, and to format to itself; the write is atomic.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.diagnostics import Diagnostic, InputError, at_span, error, render
from lsprules.core.exits import EXIT_ERROR, EXIT_FINDINGS
from lsprules.core.files import STDIN, decode_source, output_target, read_rule_file, stdin_name, write_atomic
from lsprules.core.source import Source, Span, display_name

if TYPE_CHECKING:
    from lsprules.lang.nodes import RuleFile


@dataclass
class FmtReport:
    """What `lsprules fmt` prints on standard output and standard error, and its exit code."""

    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    exit_code: int = 0


def format_source(source: Source) -> str:
    """The canonical text of a rule file; InputError when it does not parse or (a bug) would change meaning."""
    from lsprules.lang.parser import parse_source
    from lsprules.lang.printer import format_rule_file

    rules = parse_source(source)
    text = format_rule_file(rules)
    again = parse_source(Source(source.name, text))
    if again != rules or _comment_marks(again) != _comment_marks(rules) or format_rule_file(again) != text:
        raise InputError([at_span("E402", "formatting would change the rules or comments of this file, so it was "
                                  "left as it is", Span(source.name, 1, 1, 1, 1),
                                  hint="this is a bug in lsprules: please report it with the file")])
    return text


def _comment_marks(rules: RuleFile) -> str:
    """All comment text, without spacing: what must survive formatting."""
    return re.sub(r"\s+", "", "".join(c.text for c in rules.comments))


def run_fmt(paths: list[Path], *, check: bool = False, diff: bool = False) -> FmtReport:
    """Format every rule file under `paths`; with `check` or `diff`, write nothing and show what would change."""
    from lsprules.jobs.rule_files import expand

    files, problems = expand(paths)
    report = FmtReport()
    _diagnostics(report, [d for _, d in problems])
    changed = unchanged = 0
    for path in files:
        outcome = _one(path, report, check=check, diff=diff)
        changed += outcome is True
        unchanged += outcome is False
    failed = report.exit_code == EXIT_ERROR or problems
    if check and changed:
        report.exit_code = EXIT_FINDINGS
    if failed:
        report.exit_code = EXIT_ERROR
    report.err.append(_summary(changed, unchanged, check or diff))
    return report


def _one(path: Path, report: FmtReport, *, check: bool, diff: bool) -> bool | None:
    """Format one file (or standard input): True if it changed, False if not, None if it could not be read."""
    name = stdin_name() if str(path) == STDIN else display_name(path)
    try:
        target = path
        if str(path) != STDIN and not (check or diff):  # formatted in place: the file a link points to
            target = output_target(path.resolve(), label=f"cannot format '{name}' in place")
        data = read_rule_file(path)[1]
        text = format_source(decode_source(name, data))
    except OSError as exc:
        _diagnostics(report, [error("E001", f"cannot read '{name}': {exc.strerror or exc}")])
        report.exit_code = EXIT_ERROR
        return None
    except InputError as exc:
        _diagnostics(report, exc.diagnostics)
        report.exit_code = EXIT_ERROR
        return None
    if str(path) == "-" and not (check or diff):
        report.out.append(text)
        return text.encode("utf-8") != data
    if text.encode("utf-8") == data:
        return False
    if check or diff:
        report.out.append(_diff(name, data, text))
        if check:
            _diagnostics(report, [at_span("E401", "this file is not formatted", Span(name, 1, 1, 1, 1),
                                          hint=f"run `lsprules fmt {name}` to format it")])
    else:
        _write(target, name, text, report)
    return True


def _write(target: Path, name: str, text: str, report: FmtReport) -> None:
    try:
        write_atomic(target, text)
        report.err.append(f"reformatted {name}")
    except OSError as exc:
        _diagnostics(report, [error("E001", f"cannot write '{name}': {exc.strerror or exc}")])
        report.exit_code = EXIT_ERROR


def _diff(name: str, data: bytes, text: str) -> str:
    """A unified diff from the file as it is to the formatted text."""
    before = decode_source(name, data).text  # valid: the text was formatted from these same bytes
    lines = list(difflib.unified_diff(before.splitlines(keepends=True), text.splitlines(keepends=True),
                                      fromfile=f"{name} (as written)", tofile=f"{name} (formatted)"))
    if not lines:  # only invisible differences: line endings, a byte-order mark, trailing spaces at the end
        return f"--- {name}: line endings, byte-order mark or final newline differ\n"
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _diagnostics(report: FmtReport, diagnostics: Iterable[Diagnostic]) -> None:
    report.err.extend(render(d) + "\n" for d in diagnostics)


def _summary(changed: int, unchanged: int, dry_run: bool) -> str:
    verb = "would be reformatted" if dry_run else "reformatted"

    def files(n: int) -> str:
        return f"{n} file{'s' if n != 1 else ''}"

    return f"{files(changed)} {verb}, {files(unchanged)} already formatted"
