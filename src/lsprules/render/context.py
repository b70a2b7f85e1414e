"""What a committee report needs beside the evaluation: the key, the previous theme ratings, the dataset's
comments and sources, counts behind percentages, units and the distance from target.

Built once per run from the rules, the dataset and the evaluation (and the themes one period earlier); every
renderer of a report reads it, so all formats say the same things. Texts are plain: renderers escape them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from lsprules.core.numbers import shown
from lsprules.core.periods import Period
from lsprules.data.model import Dataset, Missing
from lsprules.engine.interpreter import ARROW_SYMBOLS, Assessment, Evaluation, ThemeResult
from lsprules.lang import nodes
from lsprules.lang.printer import format_expr
from lsprules.lang.resolve import IndicatorSpec, RuleSet

ARROW_MEANINGS = {"up": "improved since the previous value", "static": "static (within the rules' tolerance)",
                  "down": "worse than the previous value", "peak": "at its maximum", "na": "no arrow can be given"}
TRAJECTORY_MEANING = ("where the straight line from the baseline to the target stands at the assessed period; "
                      "a value at or better than it is on trajectory")
PERCENT_UNITS = ("percent", "%")


@dataclass(frozen=True)
class IndicatorFacts:
    """What the dataset and rules add to one assessment: counts, distance from target, sources and notes."""

    counts: str | None = None
    from_target: str | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportContext:
    """Everything a report prints that is not in the evaluation itself."""

    title: str | None = None
    period_kind: str | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()
    key: tuple[tuple[str, str], ...] = ()
    previous: Mapping[tuple[str, str], ThemeResult] = field(default_factory=dict)
    facts: Mapping[tuple[str, str], IndicatorFacts] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    comparator_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (title, member areas) of mean comparators

    def of(self, a: Assessment) -> IndicatorFacts:
        """The facts of one assessment (empty when there are none)."""
        return self.facts.get((a.area, a.indicator), _NO_FACTS)

    def previous_of(self, theme: ThemeResult) -> ThemeResult | None:
        """The same theme in the same area one period earlier, if it was assessed."""
        return self.previous.get((theme.area, theme.theme))


_NO_FACTS = IndicatorFacts()


def report_context(rules: RuleSet, dataset: Dataset, evaluation: Evaluation,
                   previous: Evaluation | None = None) -> ReportContext:
    """The context of one run's report; `previous` is the evaluation one period earlier (for theme ratings)."""
    areas = {a.name: a for a in dataset.areas}
    facts: dict[tuple[str, str], IndicatorFacts] = {}
    sources: dict[str, None] = {}
    for a in evaluation.assessments:
        spec = rules.indicators.get(a.indicator)
        series = areas[a.area].series.get(a.indicator) if a.area in areas else None
        if series is not None and series.source:
            sources[series.source] = None
        facts[(a.area, a.indicator)] = IndicatorFacts(
            counts=_counts(spec, series.fields if series else {}, a),
            from_target=_from_target(spec, a),
            source=series.source if series else None,
            notes=series.notes if series else ())
    kind = dataset.period_kind.value if dataset.period_kind else None
    earlier = {(t.area, t.theme): t for t in previous.themes} if previous else {}
    groups = tuple((c.title or c.id, c.areas) for c in rules.comparators.values() if c.mean)
    return ReportContext(dataset.title, kind, dataset.source, dataset.notes, report_key(rules, evaluation), earlier,
                         facts, tuple(sources), groups)


def is_percent(unit: str) -> bool:
    """Whether values in this unit are printed with a % sign."""
    return unit.strip().lower() in PERCENT_UNITS


def with_unit(text: str, unit: str) -> str:
    """A printed value with its unit's sign ('55%'); other units are named in the key and headings."""
    return f"{text}%" if text and text[0] in "-0123456789" and is_percent(unit) else text


def _counts(spec: IndicatorSpec | None, fields: Mapping[str, Mapping[Period, Decimal | Missing]],
            a: Assessment) -> str | None:
    """'88 of 160' for a value computed as one field over another, at the assessed value's period."""
    if spec is None or spec.value is None or a.period is None:
        return None
    expr = spec.value.expr
    if not (isinstance(expr, nodes.Arith) and expr.op == "/" and isinstance(expr.left, nodes.Name)
            and isinstance(expr.right, nodes.Name)):
        return None
    top = fields.get(expr.left.id, {}).get(a.period)
    bottom = fields.get(expr.right.id, {}).get(a.period)
    if not isinstance(top, Decimal) or not isinstance(bottom, Decimal):
        return None
    return f"{top} of {bottom} ({expr.left.id} of {expr.right.id})"


def _from_target(spec: IndicatorSpec | None, a: Assessment) -> str | None:
    """How far the value is from the target: '5 pp short of target', '35.6 % better than target'."""
    if spec is None or a.value is None or a.target is None:
        return None
    polarity = spec.direction
    short = polarity.shortfall(a.value, a.target)
    ahead = polarity.shortfall(a.target, a.value)
    if short == 0 and ahead == 0:
        return "at target"
    amount, words = (short, "short of target") if short else (ahead, "better than target")
    if is_percent(a.unit):
        return f"{shown(amount, a.decimals)} pp {words}"
    if a.target == 0:
        return f"{shown(amount, a.decimals)} {words}"
    return f"{shown(amount / abs(a.target) * 100, 1)}% {words}"


def report_key(rules: RuleSet, evaluation: Evaluation) -> tuple[tuple[str, str], ...]:
    """The report's key, from the rules: what each RAG band, arrow, target column and theme rating means here."""
    entries: list[tuple[str, str]] = []
    used = dict.fromkeys(a.indicator for a in evaluation.assessments)
    meanings: dict[str, dict[str, list[str]]] = {}
    for indicator in used:
        spec = rules.indicators.get(indicator)
        if spec is None or spec.rag is None:
            continue
        where = spec.group.title or spec.group.id if spec.group else spec.title
        for clause in spec.rag.clauses:
            places = meanings.setdefault(clause.label, {}).setdefault(_meaning(clause), [])
            if where not in places:
                places.append(where)
    for band, by_meaning in meanings.items():
        entries.append((band.upper(), _joined(by_meaning)))
    if any(a.rag is None for a in evaluation.assessments):
        entries.append(("n/a RAG", "no RAG rating: the rules cannot decide one (the notes say why)"))
    arrows = dict.fromkeys(a.arrow for a in evaluation.assessments)
    entries += [(ARROW_SYMBOLS[k] + (" arrow" if k == "na" else ""), ARROW_MEANINGS[k]) for k in ARROW_MEANINGS
                if k in arrows]
    if any(a.target is not None for a in evaluation.assessments):
        entries.append(("Target", "the value the rules aim for by the target date"))
    if any(a.trajectory is not None for a in evaluation.assessments):
        entries.append(("Trajectory", TRAJECTORY_MEANING))
    if rules.themes:
        entries.append(("A → B", "a theme's rating at the period before the assessed one, then at the assessed one"))
    for theme in rules.themes:
        for clause in theme.rating.clauses:
            entries.append((f"{theme.title}: {clause.label.replace('_', ' ')}", _meaning(clause)))
    return tuple(entries)


def _meaning(clause: nodes.Clause) -> str:
    if clause.description is not None:
        return clause.description
    return "otherwise" if clause.condition is None else f"when {format_expr(clause.condition)}"


def _joined(by_meaning: dict[str, list[str]]) -> str:
    if len(by_meaning) == 1:
        return next(iter(by_meaning))
    return "; ".join(f"{meaning} ({', '.join(places)})" for meaning, places in by_meaning.items())

