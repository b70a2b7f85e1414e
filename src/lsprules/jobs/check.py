"""The `check` job as a library function: check rule files (and datasets), and render the findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprules.core.diagnostics import Diagnostic, Severity
from lsprules.core.source import display_name

# Codes that mean the input could not be read at all, rather than that it has problems.
UNREADABLE = {"E001", "E002", "E003"}


@dataclass(frozen=True)
class CheckReport:
    """What `lsprules check` prints, and the exit code it ends with."""

    text: str
    exit_code: int
    diagnostics: tuple[tuple[str, Diagnostic], ...]


def run_check(paths: list[Path], *, data: list[Path] | None = None, output_format: str = "text",
              select: Sequence[str] = (), ignore: Sequence[str] = ()) -> CheckReport:
    """Check every rule file under `paths` (and against `data`), showing the codes that start with one of
    `select` (all when empty) and none of `ignore`; 0 clean, 1 errors found, 2 unreadable input."""
    from lsprules.analysis.data_checks import CheckedRules, check_data, load_datasets
    from lsprules.analysis.rule_checks import check_path
    from lsprules.analysis.suppressions import selected
    from lsprules.jobs.rule_files import expand
    from lsprules.render.diagnostic_report import as_github, as_json, as_sarif, as_text

    files, problems = expand(paths)
    found: list[tuple[str, Diagnostic]] = list(problems)
    checked: list[CheckedRules] = []
    for path in files:
        result = check_path(path)
        found += [(display_name(path), d) for d in result.diagnostics]
        if result.rules is not None:
            assert result.source is not None  # rules come only from a file that could be read
            checked.append(CheckedRules(result.source, result.rules))
    if data:
        datasets, data_problems = load_datasets(data)
        found += data_problems
        if not data_problems:  # comparing with a dataset that could not be read would only mislead
            found += [("", d) for d in check_data(checked, datasets, every_file_read=len(checked) == len(files))]
    found = sorted((item for item in dict.fromkeys(found)
                    if item[1].code in UNREADABLE or selected(item[1].code, select, ignore)), key=_position)
    text = {"json": lambda: as_json(found), "github": lambda: as_github(found), "sarif": lambda: as_sarif(found),
            "text": lambda: as_text([d for _, d in found], len(files) + len(data or []))}[output_format]()
    return CheckReport(text, _exit_code([d for _, d in found]), tuple(found))


def _position(item: tuple[str, Diagnostic]) -> tuple[str, int, int, str]:
    file, d = item
    return (d.span.file if d.span else file,) + d.sort_key[1:]


def _exit_code(diagnostics: list[Diagnostic]) -> int:
    from lsprules.core.exits import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK

    if any(d.code in UNREADABLE for d in diagnostics):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(d.severity is Severity.ERROR for d in diagnostics) else EXIT_OK
