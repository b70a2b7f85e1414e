"""The `explain` job as a library function: load, explain one indicator or theme, render with provenance."""

from __future__ import annotations

from pathlib import Path

from lsprules.core.diagnostics import InputError, error


def run_explain(rules_path: str | Path, dataset_path: str | Path, *, indicator: str | None = None,
                theme: str | None = None, period: str | None = None, area: str | None = None,
                output_format: str = "text") -> str:
    """Load, explain one indicator or theme, and render as text or JSON with provenance."""
    from lsprules.audit.explanation import explain_indicator, explain_theme
    from lsprules.audit.provenance import provenance_for
    from lsprules.data.load import load_any
    from lsprules.data.model import resolve_period
    from lsprules.lang.resolve import load_rules
    from lsprules.render.explain_report import render_explanation_json, render_explanation_text

    if (indicator is None) == (theme is None):
        raise InputError([error("E003", "name exactly one of --indicator ID or --theme ID",
                                hint="e.g. --indicator theft_from_vehicle, or --theme crime")])
    rules = load_rules(rules_path)
    dataset = load_any(dataset_path)
    at = resolve_period(period, dataset)
    if indicator is not None:
        explanation = explain_indicator(rules, dataset, indicator, at, area)
    else:
        assert theme is not None  # exactly one of indicator and theme is given: checked above
        explanation = explain_theme(rules, dataset, theme, at, area)
    provenance = provenance_for(rules, [dataset])
    if output_format == "json":
        return render_explanation_json(explanation, provenance)
    return render_explanation_text(explanation, provenance)
