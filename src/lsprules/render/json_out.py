"""The evaluation as JSON (schemas/assessment.schema.json): stable key order, exact values rounded to 6 places."""

from __future__ import annotations

import json
from fractions import Fraction

from lsprules.audit.provenance import Provenance
from lsprules.core.numbers import json_number
from lsprules.core.periods import Period
from lsprules.engine.interpreter import Assessment, ClauseTrace, Discrepancy, Evaluation, Gap, ThemeResult


def evaluation_dict(evaluation: Evaluation, provenance: Provenance) -> dict[str, object]:
    """The whole evaluation as plain JSON-ready data."""
    return {
        "period": _label(evaluation.period),
        "themes": [_theme(t, evaluation.rules_file) for t in evaluation.themes],
        "assessments": [_assessment(a, evaluation.rules_file) for a in evaluation.assessments],
        "provenance": provenance.to_dict(),
    }


def render_json(evaluation: Evaluation, provenance: Provenance) -> str:
    """Deterministic JSON text: the same inputs give the same bytes."""
    return json.dumps(evaluation_dict(evaluation, provenance), ensure_ascii=False, indent=2) + "\n"


def _label(period: Period | None) -> str | None:
    return period.label if period is not None else None


def _rule(file: str, line: int | None) -> dict[str, object] | None:
    return {"file": file, "line": line} if line is not None else None


def _assessment(a: Assessment, rules_file: str) -> dict[str, object]:
    out = _assessment_fields(a, rules_file)
    if a.levels:  # only where the rules or the data give reference levels: other outputs are unchanged
        out["levels"] = {name: json_number(value) for name, value in a.levels}
    return out


def _assessment_fields(a: Assessment, rules_file: str) -> dict[str, object]:
    return {
        "area": a.area,
        "indicator": a.indicator,
        "title": a.title,
        "group": a.group,
        "unit": a.unit,
        "period": _label(a.period),
        "value": json_number(a.value),
        "series": [_point(p, v) for p, v in a.series],
        "previous": {"period": a.previous.name, "value": json_number(a.previous.value)} if a.previous else None,
        "change": json_number(a.change),
        "change_pct": json_number(a.change_pct),
        "arrow": a.arrow,
        "rag": a.rag or "na",
        "target": json_number(a.target),
        "trajectory": json_number(a.trajectory),
        "target_met": a.target_met,
        "on_trajectory": a.on_trajectory,
        "reasons": list(a.reasons),
        "rule": _rule(rules_file, a.rule_line),
        "clauses": [_clause(c) for c in a.clauses],
        "discrepancies": [_discrepancy(d) for d in a.discrepancies],
    }


def _point(period: Period, value: Fraction | Gap) -> dict[str, object]:
    if isinstance(value, Gap):
        return {"period": period.label, "value": None, "missing": value.reason}
    return {"period": period.label, "value": json_number(value)}


def _clause(c: ClauseTrace) -> dict[str, object]:
    out: dict[str, object] = {"label": c.label, "line": c.line, "outcome": c.outcome}
    if c.detail:
        out["detail"] = c.detail
    return out


def _discrepancy(d: Discrepancy) -> dict[str, object]:
    return {"field": d.field, "period": d.period.label, "reported": d.reported, "computed": d.computed}


def _theme(t: ThemeResult, rules_file: str) -> dict[str, object]:
    return {
        "area": t.area,
        "theme": t.theme,
        "title": t.title,
        "period": _label(t.period),
        "rating": t.rating or "na",
        "rule": _rule(rules_file, t.rule_line),
        "reasons": list(t.reasons),
        "counts": dict(t.counts),
        "reported": t.reported,
        "clauses": [_clause(c) for c in t.clauses],
        "discrepancies": [_discrepancy(d) for d in t.discrepancies],
    }
