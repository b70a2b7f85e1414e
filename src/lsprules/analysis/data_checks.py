"""Checks of rule files against datasets (`lsprules check --data`): what the rules need that the data lacks,
and what the data holds that no rule uses. The dataset loader's own diagnostics (schema, periods) come first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from lsprules.analysis.band_diagnostics import decimal_words
from lsprules.analysis.rule_checks import percent_levels
from lsprules.core.diagnostics import Diagnostic, InputError, Severity, at_span, did_you_mean, error
from lsprules.core.periods import Period, PeriodError, parse_period
from lsprules.core.source import Source, Span, display_name
from lsprules.data.model import Dataset, Missing, Series
from lsprules.lang import nodes
from lsprules.lang.resolve import LEVEL_NAMES, IndicatorSpec, RuleSet, TargetSpec, walk


@dataclass(frozen=True)
class CheckedRules:
    """A checked rule file: its source (for messages) and its rule set."""

    source: Source
    rules: RuleSet


def load_datasets(paths: list[Path]) -> tuple[list[Dataset], list[tuple[str, Diagnostic]]]:
    """Load every dataset; the ones that fail give their diagnostics instead (with the dataset's name)."""
    from lsprules.data.load import load_any

    loaded: list[Dataset] = []
    problems: list[tuple[str, Diagnostic]] = []
    for path in paths:
        try:
            loaded.append(load_any(path))
        except InputError as exc:
            problems.extend((display_name(path), d) for d in exc.diagnostics)
    return loaded, problems


def check_data(files: list[CheckedRules], datasets: list[Dataset], every_file_read: bool = True) -> list[Diagnostic]:
    """Every mismatch between the rule files and the datasets (data no rule uses only when every rule file
    could be read: the rules for it may be in the one that could not)."""
    found: list[Diagnostic] = []
    for file in files:
        for spec in file.rules.indicators.values():
            found.extend(_missing_data(file, spec, datasets))
            found.extend(_missing_levels(file, spec, datasets))
            for dataset in datasets:
                found.extend(_periods(file, spec, dataset))
                found.extend(_percent_scale(file, spec, dataset))
    for dataset in datasets if every_file_read else ():
        found.extend(_unused_data(dataset, files))
    return found


class _Located(Protocol):
    """What a diagnostic can point at: a node, or an indicator's spec."""

    @property
    def span(self) -> Span | None: ...


def _report(file: CheckedRules, code: str, message: str, node: _Located, hint: str | None,
            severity: Severity = Severity.ERROR) -> Diagnostic:
    span = node.span
    return at_span(code, message, span, file.source.line_text(span.line) if span else "", hint, severity)


# --- reference levels no one gives ----------------------------------------------------------------------


def _missing_levels(file: CheckedRules, spec: IndicatorSpec, datasets: list[Dataset]) -> Iterator[Diagnostic]:
    """E330: a level the RAG clauses use (or `target from data`) that neither the rules nor any area gives."""
    series = _series(spec, datasets)
    if not series:
        return  # E320 says so already
    needed: dict[str, _Located] = {}
    if spec.target is not None and spec.target.from_data:
        needed["target"] = spec.target
    for clause in spec.rag.clauses if spec.rag else ():
        for node in walk(clause.condition) if clause.condition is not None else ():
            name = node.name if isinstance(node, nodes.LevelRef) else _margin_level(node)
            if name is not None and spec.level(name) is None:
                needed.setdefault(name, clause)
    names = ", ".join(d.path for d in datasets)
    for name, where in needed.items():
        if not any(s.levels.get(name) for s in series):
            yield _report(file, "E330", f"indicator '{spec.id}' needs its {name} level, and neither the rules nor "
                          f"{names} give it", where, _level_hint(name), Severity.WARNING)


def _margin_level(node: nodes.Expr) -> str | None:
    """The reference level a margin is measured from (`more than 5 % better than trigger`), if it is one."""
    if isinstance(node, nodes.Margin) and node.reference in LEVEL_NAMES:
        return node.reference
    return None


def _level_hint(name: str) -> str:
    in_rules = "" if name == "target" else f", or in the rules: `levels {{ {name} N }}`"
    return f"give it in the dataset (`levels: {{{name}: {{PERIOD: N}}}}`, or `level` rows with {name}){in_rules}"


# --- indicators without data ---------------------------------------------------------------------------


def _series(spec: IndicatorSpec, datasets: list[Dataset]) -> list[Series]:
    return [area.series[spec.id] for d in datasets for area in d.areas if spec.id in area.series]


def _missing_data(file: CheckedRules, spec: IndicatorSpec, datasets: list[Dataset]) -> Iterator[Diagnostic]:
    """E320: an indicator read from the data (not derived from other indicators) that the data lacks."""
    if spec.value is not None and not spec.fields:
        return
    names = ", ".join(d.path for d in datasets)
    series = _series(spec, datasets)
    if not series:
        known = [i for d in datasets for area in d.areas for i in area.series]
        yield _report(file, "E320", f"indicator '{spec.id}' has no data in {names}", spec,
                      did_you_mean(spec.id, known) or f"add `{spec.id}:` under `indicators:` in the dataset",
                      Severity.WARNING)
        return
    used = [f for f in spec.fields if spec.value is not None and _names(spec.value.expr) & {f}]
    for field_name in used:
        if not any(field_name in s.fields for s in series):
            assert spec.value is not None  # fields are only used through the value
            yield _report(file, "E320", f"indicator '{spec.id}' has no data for its field '{field_name}' in "
                          f"{names}", spec.value, f"add `{field_name}:` under `fields:` for '{spec.id}' in the "
                          "dataset", Severity.WARNING)


def _names(expr: nodes.Expr) -> set[str]:
    return {n.id for n in walk(expr) if isinstance(n, nodes.Name)}


# --- periods ------------------------------------------------------------------------------------------


def _periods(file: CheckedRules, spec: IndicatorSpec, dataset: Dataset) -> Iterator[Diagnostic]:
    """E322: the baseline must be in the data; every period named must be of the data's kind."""
    target = spec.target
    if target is None or dataset.period_kind is None:
        return
    for stmt in _period_statements(target):
        period = _parse(stmt.period)
        if period is not None and period.kind is not dataset.period_kind:
            kind = dataset.period_kind.value.replace("_", " ")
            yield _report(file, "E322", f"{stmt.period} is a {period.kind.value.replace('_', ' ')}, but "
                          f"{dataset.path} holds {kind}s", stmt, "name periods of the kind the data uses")
            return
    baseline = target.baseline
    series = [area.series[spec.id] for area in dataset.areas if spec.id in area.series]
    if baseline is None or not series or spec.value is not None:
        return
    period = _parse(baseline.period)
    held = sorted({p for s in series for p, v in s.values.items() if not isinstance(v, Missing)})
    if period is not None and period not in held:
        span = f"{held[0]} to {held[-1]}" if held else "no values"
        yield _report(file, "E322", f"{dataset.path} has no value of '{spec.id}' for the baseline period "
                      f"{baseline.period} (it has {span})", baseline,
                      "add the baseline value to the data, or choose a baseline period the data has")


PeriodStatement = nodes.BaselineStmt | nodes.ChangeStmt | nodes.ReachStmt | nodes.PeriodTargetStmt


def _period_statements(target: TargetSpec) -> list[PeriodStatement]:
    # An annual target is for a year whatever the data's periods: it is profiled over them.
    goal = None if isinstance(target.goal, nodes.AnnualStmt) else target.goal
    statements = [target.baseline, goal, *target.per_period]
    return [s for s in statements if s is not None]


def _parse(label: str) -> Period | None:
    try:
        return parse_period(label)
    except PeriodError:
        return None


# --- percent scale against the data -------------------------------------------------------------------


def _percent_scale(file: CheckedRules, spec: IndicatorSpec, dataset: Dataset) -> Iterator[Diagnostic]:
    """E211: a percentage indicator's data on one scale (0-1 or 0-100) and its rules on the other."""
    if spec.unit.kind != "percent" or spec.value is not None:
        return
    values = [(p, v) for area in dataset.areas if spec.id in area.series
              for p, v in area.series[spec.id].values.items() if isinstance(v, Decimal)]
    if not values:
        return
    fraction_data = all(abs(v) <= 1 for _, v in values) and any(v != int(v) for _, v in values)
    big_period, big = max(values, key=lambda item: abs(item[1]))
    for level, node in percent_levels(spec):
        if fraction_data and level > 1:
            example = next((p, v) for p, v in values if v != int(v))
            yield _report(file, "E211", f"the data for '{spec.id}' in {dataset.path} is on a 0–1 scale "
                          f"({example[1]} in {example[0]}), but this figure is on a 0–100 scale", node,
                          "write the data as percentages (0.55 → 55), or the rules as fractions")
            return
        if 0 < level < 1 and abs(big) > 1:
            yield _report(file, "E211", f"this looks like a fraction of 1, but the data for '{spec.id}' in "
                          f"{dataset.path} is on a 0–100 scale ({big} in {big_period})", node,
                          f"write {decimal_words(level * 100)} % for {decimal_words(level * 100)} per cent")
            return


# --- data without rules -------------------------------------------------------------------------------


def _unused_data(dataset: Dataset, files: list[CheckedRules]) -> Iterator[Diagnostic]:
    """E321: series and theme ratings in the data that no rule file names (often a misspelt id)."""
    indicators = {i for f in files for i in f.rules.indicators}
    themes = {t.id for f in files for t in f.rules.themes}
    source = _dataset_source(dataset.path)
    reported: set[str] = set()
    for area in dataset.areas:
        for ident in area.series:
            if ident not in indicators and ident not in reported:
                reported.add(ident)
                yield _at_key(source, dataset.path, "E321", f"'{ident}' in the data has no rules", ident,
                              did_you_mean(ident, indicators) or "add an indicator for it to the rules, or remove "
                              "it from the data")
        for theme in area.reported_themes:
            if theme not in themes and theme not in reported:
                reported.add(theme)
                yield _at_key(source, dataset.path, "E321", f"theme '{theme}' in the data has no rules", theme,
                              did_you_mean(theme, themes) or "add the theme to the rules, or remove it from the data")


def _dataset_source(path: str) -> Source | None:
    try:
        return Source.from_bytes(path, Path(path).read_bytes())
    except (OSError, UnicodeDecodeError):
        return None


def _at_key(source: Source | None, path: str, code: str, message: str, key: str, hint: str) -> Diagnostic:
    """A warning at the first line where `key:` is written in the dataset (or at the file, if not found)."""
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*:", source.text, re.MULTILINE) if source else None
    if match is None:
        return error(code, f"{path}: {message}", hint=hint, severity=Severity.WARNING)
    start = match.start() + len(match.group()) - len(match.group().lstrip())
    return error(code, message, source, start, start + len(key), hint=hint, severity=Severity.WARNING)
