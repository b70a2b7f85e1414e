"""The `evaluate` job as a library function: load, evaluate, render. The CLI is a thin layer over it."""

from __future__ import annotations

from pathlib import Path

from .data import Dataset
from .diagnostics import InputError, error
from .periods import Period, PeriodError, parse_period


def run_evaluate(rules_path: Path, dataset_path: Path, *, period: str | None = None, output_format: str = "table",
                 areas: list[str] | None = None, color: bool = False, fast: bool = True) -> str:
    """Evaluate a rule file on a dataset and return the rendered output.

    CSV output of a plain long-form CSV dataset takes the compiled fast path (lsprules.fast), which gives
    the same bytes as the reference interpreter; `fast=False`, or anything it does not handle, runs the
    reference interpreter.
    """
    from .resolve import load_rules

    rules = load_rules(rules_path)
    if fast and output_format == "csv":
        from .fast import fast_csv

        text = fast_csv(rules, dataset_path, period=period, areas=areas)
        if text is not None:
            return text
    from .inputs import load_any
    from .interpreter import evaluate
    from .provenance import provenance_for

    dataset = load_any(dataset_path)
    at = resolve_period(period, dataset)
    _check_areas(areas, dataset)
    result = evaluate(rules, dataset, at, areas)
    provenance = provenance_for(rules, [dataset])
    if output_format == "json":
        from .render.json_out import render_json

        return render_json(result, provenance)
    if output_format == "csv":
        from .render.csv_out import render_csv

        return render_csv(result)
    from .render.table import render_table

    return render_table(result, provenance, title=dataset.title, color=color)


def resolve_period(text: str | None, dataset: Dataset) -> Period | None:
    """The period asked for, checked against the dataset's periods (None: the latest)."""
    if text is None:
        return None
    try:
        period = parse_period(text)
    except PeriodError as exc:
        raise InputError([error("E003", f"--period: {exc}", hint="e.g. --period 2005/06")]) from None
    available = dataset.periods()
    if period not in available:
        listed = ", ".join(p.label for p in available) or "none"
        raise InputError([error("E304", f"--period {text}: the dataset '{dataset.path}' has no such period",
                                hint=f"its periods are: {listed}")])
    return period


def _check_areas(areas: list[str] | None, dataset: Dataset) -> None:
    if not areas:
        return
    known = [a.name for a in dataset.areas]
    for name in areas:
        if name not in known:
            from .diagnostics import did_you_mean

            raise InputError([error("E003", f"--area {name}: the dataset has no such area",
                                    hint=did_you_mean(name, known) or f"its areas are: {', '.join(known)}")])
