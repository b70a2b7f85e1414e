"""The evaluation as JSON (schemas/assessment.schema.json): stable key order, exact values rounded to 6 places."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from fractions import Fraction

from lsprules.audit.provenance import Provenance
from lsprules.core.numbers import json_number
from lsprules.core.periods import Period
from lsprules.engine.interpreter import (
    Assessment,
    ClauseTrace,
    Discrepancy,
    Evaluation,
    EvaluationStream,
    Gap,
    ThemeResult,
)

# The assessments' text waits here while the themes, which the document prints first, are gathered: in memory
# up to this many characters, then in a temporary file.
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_READ = 1024 * 1024
_THEMES_A_PIECE = 256


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
    return "".join(json_chunks(evaluation.stream(), provenance))


def json_chunks(evaluation: EvaluationStream, provenance: Provenance) -> Iterator[str]:
    """The JSON text in pieces, a piece per part of the stream: the bytes of `json.dumps(evaluation_dict(...),
    ensure_ascii=False, indent=2)` and a newline, without ever holding the whole document."""
    rules_file = evaluation.rules_file
    yield '{\n  "period": ' + _dumps(_label(evaluation.period), 1) + ',\n  "themes": '
    if not evaluation.themed:
        yield "[]"
        yield ',\n  "assessments": '
        yield from _array([_assessment(a, rules_file) for a in part.assessments] for part in evaluation.parts)
    else:
        yield from _themes_first(evaluation, rules_file)
    yield ',\n  "provenance": ' + _dumps(provenance.to_dict(), 1) + "\n}\n"


def json_document(period: str | None, assessments: Iterable[str], provenance: Provenance) -> Iterator[str]:
    """json_chunks' document for an evaluation without themes whose list of assessments is already text (the
    columnar engine's, engine/columnar/json_run.py)."""
    yield '{\n  "period": ' + _dumps(period, 1) + ',\n  "themes": [],\n  "assessments": '
    yield from assessments
    yield ',\n  "provenance": ' + _dumps(provenance.to_dict(), 1) + "\n}\n"


def _themes_first(evaluation: EvaluationStream, rules_file: str) -> Iterator[str]:
    """The themes, then the assessments: a theme's rating needs its members' assessments, so the assessments'
    text is spooled while the (much smaller) theme results are gathered."""
    themes: list[ThemeResult] = []

    def assessments() -> Iterator[list[dict[str, object]]]:
        for part in evaluation.parts:
            themes.extend(part.themes)
            yield [_assessment(a, rules_file) for a in part.assessments]

    with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY, mode="w+", encoding="utf-8", newline="") as spool:
        for chunk in _array(assessments()):
            spool.write(chunk)
        yield from _array([_theme(t, rules_file) for t in themes[i:i + _THEMES_A_PIECE]]
                          for i in range(0, len(themes), _THEMES_A_PIECE))
        yield ',\n  "assessments": '
        spool.seek(0)
        while chunk := spool.read(_READ):
            yield chunk


def _array(parts: Iterable[list[dict[str, object]]]) -> Iterator[str]:
    """A list that is a value of the document's top object, as json.dumps lays it out at indent 2, a piece
    per part: `[]` when empty, else each item on its own lines, indented four spaces."""
    opened = False
    for items in parts:
        pieces = []
        for item in items:
            pieces.append((",\n    " if opened else "[\n    ") + _dumps(item, 2))
            opened = True
        if pieces:
            yield "".join(pieces)
    yield "\n  ]" if opened else "[]"


def _dumps(value: object, depth: int) -> str:
    """A value as json.dumps writes it `depth` levels deep at indent 2 (its first line unindented: it follows a
    key or the indentation already written). JSON strings hold no raw newline, so every newline is layout."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)


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
