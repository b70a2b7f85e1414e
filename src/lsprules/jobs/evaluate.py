"""The `evaluate` job as a library function: load, evaluate, render. The CLI is a thin layer over it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from lsprules.core.diagnostics import Diagnostic, InputError, at_span, did_you_mean, error
from lsprules.core.periods import PeriodKind
from lsprules.data.model import Dataset, resolve_period

if TYPE_CHECKING:
    from lsprules.audit.provenance import Provenance
    from lsprules.engine.interpreter import Evaluation
    from lsprules.lang.resolve import RuleSet

FORMATS = ("table", "json", "csv", "markdown", "html")
ENGINES = ("auto", "interpreter", "duckdb")  # auto: the columnar engine where it applies, else the interpreter


@dataclass(frozen=True)
class EvaluateOutput:
    """The rendered output, and how many printed judgements of the source the rules contradict."""

    text: str
    discrepancies: int = 0
    notes: tuple[str, ...] = ()  # why the engine asked for did not run (the reference interpreter did)


class EvaluateOptions(TypedDict, total=False):
    """The keyword options of evaluate_job."""

    period: str | None
    output_format: str
    areas: list[str] | None
    color: bool
    years: str | None
    fast: bool
    engine: str


def run_evaluate(rules_path: Path, dataset_path: Path | Sequence[Path], **options: Unpack[EvaluateOptions]) -> str:
    """Evaluate a rule file on one or more datasets (merged) and return the rendered output."""
    return evaluate_job(rules_path, dataset_path, **options).text


def evaluate_job(rules_path: Path, dataset_path: Path | Sequence[Path], *, period: str | None = None,
                 output_format: str = "table", areas: list[str] | None = None, color: bool = False,
                 years: str | None = None, fast: bool = True, engine: str = "auto") -> EvaluateOutput:
    """Evaluate a rule file on one or more datasets (merged): the rendered output and its discrepancies.

    CSV output of one long-form CSV dataset runs the compiled fast path (lsprules.engine.compiled), else the
    columnar engine (lsprules.engine.columnar, DuckDB) when the rules are within what its plan expresses;
    both give the same bytes as the reference interpreter, which runs for everything else, and always for
    `engine="interpreter"` (or `fast=False`). With `engine="duckdb"`, a run the columnar engine cannot do says
    why in `notes`. A plain CSV has no columns for printed judgements, so it has no discrepancies.
    """
    from lsprules.lang.resolve import load_rules

    paths = [dataset_path] if isinstance(dataset_path, (str, Path)) else list(dataset_path)
    rules = load_rules(rules_path)
    notes: list[str] = []
    if not fast:
        engine = "interpreter"
    if engine != "interpreter":
        text = _compiled_csv(rules, paths, output_format, period, areas, years, engine, notes)
        if text is not None:
            return EvaluateOutput(text, notes=tuple(notes))
    from lsprules.audit.provenance import provenance_for
    from lsprules.data.load import load_all
    from lsprules.engine.interpreter import assessed_areas, evaluate
    from lsprules.render.progress import progress

    dataset, files = load_all(paths, PeriodKind(years) if years else None)
    at = resolve_period(period, dataset)
    _check_areas(areas, dataset)
    check_comparators(rules, dataset)
    chosen = assessed_areas(rules, dataset, areas)
    with progress("Assessing", len(chosen)) as advance:
        result = evaluate(rules, dataset, at, areas, progress=advance)
    found = sum(len(a.discrepancies) for a in result.assessments) + sum(len(t.discrepancies) for t in result.themes)
    return EvaluateOutput(render(output_format, result, provenance_for(rules, files), dataset, color), found,
                          tuple(notes))


def _compiled_csv(rules: RuleSet, paths: list[Path], output_format: str, period: str | None,
                  areas: list[str] | None, years: str | None, engine: str, notes: list[str]) -> str | None:
    """The CSV report from a compiled evaluator, or None (noting why, when the duckdb engine was asked for).

    auto tries the hand-written fast path first (on one machine it is the faster, see docs/performance.md),
    then the columnar engine; both give the interpreter's bytes.
    """
    if output_format != "csv" or len(paths) != 1 or years is not None or Path(paths[0]).suffix.lower() != ".csv":
        if engine == "duckdb":
            notes.append("the duckdb engine writes CSV from one CSV dataset (without --years) so far; "
                         "the reference interpreter ran")
        return None
    if engine == "auto" and not rules.comparators:
        from lsprules.engine.compiled import fast_csv

        text = fast_csv(rules, paths[0], period=period, areas=areas)
        if text is not None:
            return text
    from lsprules.engine.columnar.duck import Fallback, evaluate_csv

    found = evaluate_csv(rules, paths[0], period=period, areas=areas)
    if not isinstance(found, Fallback):
        return "".join(found)
    if engine == "duckdb" or found.note:
        notes.append(f"the duckdb engine did not run: {found.reason}; the reference interpreter ran")
    return None


def render(output_format: str, result: Evaluation, provenance: Provenance, dataset: Dataset,
           color: bool = False) -> str:
    """The evaluation in one of FORMATS."""
    kind = dataset.period_kind.value if dataset.period_kind else None
    if output_format == "json":
        from lsprules.render.json_out import render_json

        return render_json(result, provenance)
    if output_format == "csv":
        from lsprules.render.csv_out import render_csv

        return render_csv(result)
    if output_format == "markdown":
        from lsprules.render.markdown import render_markdown

        return render_markdown(result, provenance, title=dataset.title, period_kind=kind)
    if output_format == "html":
        from lsprules.render.html import render_html

        return render_html(result, provenance, title=dataset.title, period_kind=kind)
    from lsprules.render.table import render_table

    return render_table(result, provenance, title=dataset.title, color=color)


def check_comparators(rules: RuleSet, dataset: Dataset) -> None:
    """Every area a comparator names must be in the data (E315 at the comparator's line)."""
    known = [a.name for a in dataset.areas]
    problems: list[Diagnostic] = []
    for spec in getattr(rules, "comparators", {}).values():
        for area in spec.areas:
            if area not in known:
                hint = did_you_mean(area, known) or f"the data's areas are: {', '.join(known) or 'none'}"
                problems.append(at_span("E315", f"comparator '{spec.id}' reads area '{area}', which is not in "
                                        f"the data ({dataset.path})", spec.span, spec.line_text, hint))
    if problems:
        raise InputError(problems)


def _check_areas(areas: list[str] | None, dataset: Dataset) -> None:
    if not areas:
        return
    known = [a.name for a in dataset.areas]
    for name in areas:
        if name not in known:
            raise InputError([error("E003", f"--area {name}: the dataset has no such area",
                                    hint=did_you_mean(name, known) or f"its areas are: {', '.join(known)}")])
