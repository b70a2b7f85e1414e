"""The `test` job as library functions: run rule tests (with coverage), or probe boundaries; render."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lsprules.audit.provenance import InputFile, Provenance, input_file, provenance_of
from lsprules.audit.rule_tests import FileResult, find_test_files, load_test_file, run_test_files
from lsprules.core.diagnostics import InputError, error


@dataclass(frozen=True)
class TestOutput:
    """The rendered report, whether every case passed, and the files read (which an output must not replace)."""

    text: str
    passed: bool
    read: tuple[str, ...]


def _read(provenance: Provenance) -> tuple[str, ...]:
    return tuple(f.path for f in provenance.inputs)


def run_tests(paths: list[str], *, with_coverage: bool = False, output_format: str = "text",
              root: Path | None = None) -> TestOutput:
    """Run every test file named or found."""
    from lsprules.audit.coverage import coverage
    from lsprules.render.rule_test_report import render_tests_json, render_tests_text, summary

    named: list[str | Path] = list(paths)  # find_test_files takes a list of either
    results = run_test_files(find_test_files(named), root)
    coverages = coverage(results) if with_coverage else None
    provenance = provenance_of(_inputs(results))
    render = render_tests_json if output_format == "json" else render_tests_text
    return TestOutput(render(results, coverages, provenance), summary(results)[1] == 0, _read(provenance))


def _inputs(results: list[FileResult]) -> list[InputFile]:
    seen: dict[tuple[str, str], str] = {}
    for result in results:
        for role, path, sha in result.inputs:
            seen.setdefault((role, path), sha)
    return [input_file(role, path, sha) for (role, path), sha in seen.items()]


def run_boundaries(rules_path: Path, *, data: list[Path] | None = None, period: str | None = None,
                   output_format: str = "text", root: Path | None = None) -> TestOutput:
    """Probe every threshold of a rule file on datasets (default: those its rule tests use)."""
    from lsprules.audit.boundaries import boundaries
    from lsprules.data.load import load_any
    from lsprules.data.model import resolve_period
    from lsprules.lang.resolve import load_rules
    from lsprules.render.rule_test_report import render_boundaries_json, render_boundaries_text

    rules = load_rules(rules_path)
    contexts = [(path, period) for path in data] if data else _tested_contexts(rules_path, period, root)
    reports, inputs = [], [input_file("rules", rules.file, rules.sha256)]
    for path, at in contexts:
        dataset = load_any(path)
        reports.append(boundaries(rules, dataset, resolve_period(at, dataset)))
        inputs.append(input_file("dataset", dataset.path, dataset.sha256))
    provenance = provenance_of(dict.fromkeys(inputs))
    render = render_boundaries_json if output_format == "json" else render_boundaries_text
    return TestOutput(render(reports, provenance), True, _read(provenance))


def _tested_contexts(rules_path: Path, period: str | None, root: Path | None) -> list[tuple[Path, str | None]]:
    """The dataset files (and periods) that the rule tests of this rule file use."""
    target = rules_path.resolve()
    contexts: dict[tuple[Path, str | None], None] = {}
    try:
        files = find_test_files([rules_path.parent])
    except InputError:
        files = []
    for path in files:
        test = load_test_file(path, root)
        if test.rules_path.resolve() != target:
            continue
        for case in test.cases:
            if isinstance(case["data"], str):
                at = period or (str(case["period"]) if "period" in case else None)
                contexts[(Path(os.path.normpath(test.path.parent / case["data"])), at)] = None
    if not contexts:
        raise InputError([error("E003", f"no dataset to probe {rules_path} on: its rule tests name no dataset file",
                                hint="give one with --data DATASET")])
    return list(contexts)
