"""The `explain` job as a library function: load, explain one indicator or theme, render with provenance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.diagnostics import InputError, error

if TYPE_CHECKING:
    from lsprules.core.periods import Period
    from lsprules.data.model import Dataset
    from lsprules.lang.resolve import RuleSet

# From this size a plain CSV file's one area is read alone (polars' import and the checks of the whole file cost
# about 0.3 s; the reference reader takes about as long on a file of this size).
AREA_ROWS_BYTES = 4 * 1024 * 1024


def run_explain(rules_path: str | Path, dataset_path: str | Path, *, indicator: str | None = None,
                theme: str | None = None, period: str | None = None, area: str | None = None,
                output_format: str = "text") -> str:
    """Load, explain one indicator or theme, and render as text or JSON with provenance."""
    from lsprules.audit.explanation import explain_indicator, explain_theme
    from lsprules.audit.provenance import provenance_for
    from lsprules.lang.resolve import load_rules
    from lsprules.render.explain_report import render_explanation_json, render_explanation_text

    if (indicator is None) == (theme is None):
        raise InputError([error("E003", "name exactly one of --indicator ID or --theme ID",
                                hint="e.g. --indicator theft_from_vehicle, or --theme crime")])
    rules = load_rules(rules_path)
    dataset, at = _explained_data(rules, Path(dataset_path), period, area)
    if indicator is not None:
        explanation = explain_indicator(rules, dataset, indicator, at, area)
    else:
        assert theme is not None  # exactly one of indicator and theme is given: checked above
        explanation = explain_theme(rules, dataset, theme, at, area)
    provenance = provenance_for(rules, [dataset])
    if output_format == "json":
        return render_explanation_json(explanation, provenance)
    return render_explanation_text(explanation, provenance)


def _explained_data(rules: RuleSet, path: Path, period: str | None, area: str | None) -> tuple[Dataset, Period | None]:
    """The dataset to explain a result of, and the period asked for. One area of a large plain CSV file is read
    alone (engine/columnar/area_rows.py) when the rules assess each area by itself (no comparators); else, and
    for anything its checks do not pass, the whole dataset is read."""
    from lsprules.core.files import file_size
    from lsprules.data.load import load_any
    from lsprules.data.model import resolve_period

    if area is not None and not rules.comparators and path.suffix.lower() == ".csv" \
            and file_size(path) >= AREA_ROWS_BYTES:
        from lsprules.engine.columnar.area_rows import area_rows
        from lsprules.engine.columnar.input_checks import Fallback

        found = area_rows(path, area, period)
        if not isinstance(found, Fallback):
            return found.dataset, found.at
    dataset = load_any(path)
    return dataset, resolve_period(period, dataset)
