"""Runs the report plan (json_plan.compile_report_stages) on one long-form CSV file: the interpreter's assessments,
an area at a time, for the Markdown, HTML and table reports.

The plan decides every fact exactly, as for the JSON report; Python only turns each row into the
engine/interpreter.Assessment the interpreter makes (numbers as Fractions of the plan's numerators and
denominators, the reasons and clause traces read from the plan's JSON text), so that every renderer prints the
same bytes. tests/test_report_plan.py holds each assessment equal to the interpreter's. The run is that of the
JSON report (json_run.py): the same checks of the file, batches of whole areas, and the same reasons to step aside.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby
from pathlib import Path
from typing import Any

from lsprules.core.periods import Period, PeriodKind
from lsprules.engine.columnar.input_checks import Checked, Fallback
from lsprules.engine.interpreter import (
    AreaResults,
    Assessment,
    ClauseTrace,
    EvaluationStream,
    Gap,
    Point,
    _same_kind_period,
    _unit_word,
)
from lsprules.lang import nodes
from lsprules.lang.resolve import IndicatorSpec, RuleSet

MISSING = {"s": "suppressed", "n": "n/a"}  # a series item's code for a missing value: interpreter._missing_word


@dataclass(frozen=True)
class ReportAssessments:
    """The assessments of a report from the plan: the stream of areas, and the data's kind of period."""

    stream: EvaluationStream
    kind: PeriodKind


def evaluate_report(rules: RuleSet, path: str | Path, engine: str = "polars", period: str | None = None,
                    areas: Sequence[str] | None = None) -> ReportAssessments | Fallback:
    """`evaluate_stream(rules, dataset, period, areas)` of a plain long-form CSV, from the plan run in `engine`
    ("polars" or "duckdb"); or why not (json_run.evaluate_json's reasons)."""
    from lsprules.engine.columnar.json_plan import compile_report_stages, json_unsupported
    from lsprules.engine.columnar.json_run import run_stages

    reasons = json_unsupported(rules)
    if reasons:
        return Fallback("the plan cannot write the reasons of " + "; ".join(reasons))
    ran = run_stages(rules, Path(path), engine, period, areas, compile_report_stages)
    if isinstance(ran, Fallback):
        return ran
    found, at = ran.found, ran.at
    assessed = at if at is not None else max(found.periods.values(), default=None)
    rows = (row for batch in ran.batches for row in (batch if isinstance(batch, list) else batch.rows()))
    maker = _Maker(rules, found, assessed)
    parts = (AreaResults(tuple(maker.assessment(row) for row in area), ())
             for _, area in groupby(rows, key=lambda row: row[0]))
    return ReportAssessments(EvaluationStream(rules.file, assessed, False, parts), found.kind)


class _Maker:
    """Turns the plan's rows into assessments: what depends only on the indicator is worked out once."""

    def __init__(self, rules: RuleSet, found: Checked, at: Period | None):
        """`at`: the period assessed (the latest, when none was asked for)."""
        self.kind = kind = found.kind
        self.periods = found.periods
        self.unit = 10 ** found.scale  # the plan's values are integers at the data's scale
        self.at = at
        self.specs = list(rules.indicators.values())
        self.units = [_unit_word(spec.unit) for spec in self.specs]
        self.paths = [_path_ends(spec, kind) for spec in self.specs]

    def assessment(self, row: tuple[Any, ...]) -> Assessment:
        """The interpreter's assessment of one row of REPORT_COLUMNS."""
        (_, position, area, lperiod, eperiod, arrow, rag, line, met, on_path, vn, vd, en, ed, cn, cd, pn, pd, tn, td,
         jn, jd, bn, bd, series, places, reasons, clauses) = row
        spec = self.specs[position]
        value = _fraction(vn, vd)
        period = None if lperiod is None else self.periods[lperiod]
        previous = None if en is None else Point(self.periods[eperiod], Fraction(en, ed))
        target = _fraction(tn, td)
        path: tuple[tuple[Period, Fraction], ...] = ()
        ends = self.paths[position]
        if ends is not None and value is not None and bn is not None and target is not None:
            path = ((ends[0], Fraction(bn, bd)), (ends[1], target))
        return Assessment(
            area=area, indicator=spec.id, title=spec.title, group=spec.group.id if spec.group else None,
            group_title=spec.group.title if spec.group else None, unit=self.units[position], period=period,
            value=value, series=self._series(spec.id, series), previous=previous, change=_fraction(cn, cd),
            change_pct=_fraction(pn, pd), arrow=arrow or "na", rag=rag, target=target,
            trajectory=_fraction(jn, jd), target_met=met, on_trajectory=on_path,
            reasons=tuple(json.loads(f"[{reasons}]")), rule_line=line,
            clauses=tuple(ClauseTrace(c["label"], c["line"], c["outcome"], c.get("detail", ""))
                          for c in json.loads(clauses)),
            discrepancies=(), decimals=places or 0, target_path=path, assessed_at=self.at)

    def _series(self, indicator: str, text: str | None) -> tuple[tuple[Period, Fraction | Gap], ...]:
        """The series from its items "index:value" (an integer at the data's scale) or "index:s", "index:n" (a
        missing value: suppressed, n/a)."""
        if not text:
            return ()
        out: list[tuple[Period, Fraction | Gap]] = []
        for item in text.split(","):
            index, _, code = item.partition(":")
            period = Period(self.kind, int(index))
            out.append((period, Gap(f"{indicator} is {MISSING[code]} for {period.label}") if code in MISSING
                        else Fraction(int(code), self.unit)))
        return tuple(out)


def _fraction(n: int | None, d: int | None) -> Fraction | None:
    return None if n is None or d is None else Fraction(n, d)


def _path_ends(spec: IndicatorSpec, kind: PeriodKind) -> tuple[Period, Period] | None:
    """The periods of the straight line a linear target is drawn along (interpreter.Facts._goal_target's
    target_path: from the baseline to the target period), or None when the indicator has none."""
    target = spec.target
    if (target is None or target.fixed is not None or target.baseline is None or target.trajectory == "flat"
            or not isinstance(target.goal, (nodes.ChangeStmt, nodes.ReachStmt))):
        return None
    like = Period(kind, 0)
    start, end = _same_kind_period(target.baseline.period, like), _same_kind_period(target.goal.period, like)
    return None if start is None or end is None else (start, end)
