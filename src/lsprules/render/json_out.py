"""The evaluation as JSON (schemas/assessment.schema.json): stable key order, exact values rounded to 6 places."""

from __future__ import annotations

import json

from lsprules.audit.provenance import Provenance
from lsprules.core.numbers import json_number
from lsprules.engine.interpreter import Assessment, ClauseTrace, Discrepancy, Evaluation, Gap, ThemeResult


def evaluation_dict(evaluation: Evaluation, provenance: Provenance) -> dict:
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


def _label(period) -> str | None:
    return period.label if period is not None else None


def _rule(file: str, line: int | None) -> dict | None:
    return {"file": file, "line": line} if line is not None else None


def _assessment(a: Assessment, rules_file: str) -> dict:
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


def _point(period, value) -> dict:
    if isinstance(value, Gap):
        return {"period": period.label, "value": None, "missing": value.reason}
    return {"period": period.label, "value": json_number(value)}


def _clause(c: ClauseTrace) -> dict:
    out = {"label": c.label, "line": c.line, "outcome": c.outcome}
    if c.detail:
        out["detail"] = c.detail
    return out


def _discrepancy(d: Discrepancy) -> dict:
    return {"field": d.field, "period": d.period.label, "reported": d.reported, "computed": d.computed}


def _theme(t: ThemeResult, rules_file: str) -> dict:
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
