"""What a committee report needs beside the evaluation: the key, the previous theme ratings, the dataset's
comments and sources, counts behind percentages, units and the distance from target.

Built from the rules, the dataset and the evaluation (and the themes one period earlier): for a whole
evaluation at once (report_context), or an area at a time as the areas are assessed (report_stream), the key
and sources gathered on the way; every renderer of a report reads it, so all formats say the same things.
Texts are plain: renderers escape them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from lsprules.core.numbers import ratio_text, shown
from lsprules.core.periods import Period
from lsprules.data.model import Dataset, Missing
from lsprules.engine.interpreter import (
    ARROW_SYMBOLS,
    AreaResults,
    Assessment,
    Evaluation,
    EvaluationStream,
    ThemeResult,
)
from lsprules.lang import nodes
from lsprules.lang.printer import format_expr
from lsprules.lang.resolve import IndicatorSpec, RuleSet

ARROW_MEANINGS = {"up": "improved since the previous value", "static": "static (within the rules' tolerance)",
                  "down": "worse than the previous value", "peak": "at its maximum", "na": "no arrow can be given"}
TRAJECTORY_MEANING = ("where the straight line from the baseline to the target stands at the assessed period; "
                      "a value at or better than it is on trajectory")
PERCENT_UNITS = ("percent", "%")
# What a gathering has seen of its areas (to send to another process): the key's (KeyGathering.seen) and sources.
KeySeen = tuple[tuple[str, ...], tuple[str, ...], bool, bool, bool]
Seen = tuple[KeySeen, tuple[str, ...]]


@dataclass(frozen=True)
class IndicatorFacts:
    """What the dataset and rules add to one assessment: counts, distance from target, sources and notes."""

    counts: str | None = None
    from_target: str | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()


UNTITLED = "lsprules assessment"  # the heading of a report of a dataset without a title


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

    @property
    def heading(self) -> str:
        """The report's heading: the dataset's title, else UNTITLED."""
        return self.title or UNTITLED

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
    gathering = ContextGathering(rules, dataset)
    whole = gathering.area(AreaResults(evaluation.assessments, evaluation.themes),
                           AreaResults((), previous.themes) if previous else None)
    return replace(gathering.after(), previous=whole.previous, facts=whole.facts)


class ContextGathering:
    """The report context gathered an area at a time, for the reports written as the areas are assessed: what
    comes before the areas is known from the rules and dataset alone (`before`), each area's facts and previous
    ratings come with it (`area`), and what comes after them, the key and the sources, is gathered on the way
    (`after`). Memory holds one area's facts, not every area's. With `own`, each area's context also holds the
    key and sources of that area alone (for a page of its own)."""

    def __init__(self, rules: RuleSet, dataset: Dataset, own: bool = False):
        self.own = own
        self.rules = rules
        self.areas = {a.name: a for a in dataset.areas}
        kind = dataset.period_kind.value if dataset.period_kind else None
        groups = tuple((c.title or c.id, c.areas) for c in rules.comparators.values() if c.mean)
        self.before = ReportContext(dataset.title, kind, dataset.source, dataset.notes, comparator_groups=groups)
        self.key = KeyGathering(rules)
        self.sources: dict[str, None] = {}

    def area(self, part: AreaResults, previous: AreaResults | None = None) -> ReportContext:
        """The context of one part of the results (`previous`: the same areas one period earlier): its facts and
        previous theme ratings (with `own`, its own key and sources too); the run's key and sources take it in."""
        facts: dict[tuple[str, str], IndicatorFacts] = {}
        sources: dict[str, None] = {}
        areas = {**self.areas, **{area.name: area for area in part.data}} if part.data else self.areas
        for a in part.assessments:
            spec = self.rules.indicators.get(a.indicator)
            series = areas[a.area].series.get(a.indicator) if a.area in areas else None
            if series is not None and series.source:
                sources[series.source] = None
            facts[(a.area, a.indicator)] = IndicatorFacts(
                counts=_counts(spec, series.fields if series else {}, a),
                from_target=_from_target(spec, a),
                source=series.source if series else None,
                notes=series.notes if series else ())
        self.key.add(part.assessments)
        self.sources.update(sources)
        earlier = {(t.area, t.theme): t for t in previous.themes} if previous else {}
        context = replace(self.before, previous=earlier, facts=facts)
        if not self.own:
            return context
        key = KeyGathering(self.rules)
        key.add(part.assessments)
        return replace(context, key=key.entries(), sources=tuple(sources))

    def after(self) -> ReportContext:
        """The context of the whole run as far as it has been gathered: the key and the sources of every area."""
        return replace(self.before, key=self.key.entries(), sources=tuple(self.sources))

    def seen(self) -> Seen:
        """What has been gathered of the areas so far, to take into another gathering (in another process)."""
        return self.key.seen(), tuple(self.sources)

    def take(self, seen: Seen) -> None:
        """Take in what another gathering has seen of its areas, as if its areas had come here after these."""
        key, sources = seen
        self.key.take(key)
        self.sources.update(dict.fromkeys(sources))


@lru_cache(maxsize=256)
def is_percent(unit: str) -> bool:
    """Whether values in this unit are printed with a % sign (asked for every number a report shows, of a few
    units)."""
    return unit.strip().lower() in PERCENT_UNITS


def with_unit(text: str, unit: str) -> str:
    """A printed value with its unit's sign ('55%'); other units are named in the key and headings."""
    return f"{text}%" if text and text[0] in "-0123456789" and is_percent(unit) else text


def _counts(spec: IndicatorSpec | None, fields: Mapping[str, Mapping[Period, Decimal | Missing]],
            a: Assessment) -> str | None:
    """'88 of 160' for a value computed as one field over another, at the assessed value's period."""
    names = spec.counted if spec is not None else None
    if names is None or a.period is None:
        return None
    top, bottom = (fields.get(name, {}).get(a.period) for name in names)
    if not isinstance(top, Decimal) or not isinstance(bottom, Decimal):
        return None
    return f"{top} of {bottom} ({names[0]} of {names[1]})"


def _from_target(spec: IndicatorSpec | None, a: Assessment) -> str | None:
    """How far the value is from the target: '5 pp short of target', '35.6 % better than target'."""
    if spec is None or a.value is None or a.target is None:
        return None
    sign = spec.direction.sign
    if sign is None:  # closer to an ideal is better: how far each is from it
        return _from_target_by_ideal(spec, a)
    # Higher or lower is better: the distance is |value - target|, worked out on integers (every row of a report
    # comes through here, and Fraction arithmetic is Python code): ahead / over is (value - target) x sign.
    value, target = a.value, a.target
    ahead = sign * (value.numerator * target.denominator - target.numerator * value.denominator)
    if ahead == 0:
        return "at target"
    words = "better than target" if ahead > 0 else "short of target"
    amount, over = abs(ahead), value.denominator * target.denominator
    if is_percent(a.unit):
        return f"{ratio_text(amount, over, a.decimals)} pp {words}"
    if target.numerator == 0:
        return f"{ratio_text(amount, over, a.decimals)} {words}"
    # amount / |target| * 100
    return f"{ratio_text(amount * 100 * target.denominator, over * abs(target.numerator), 1)}% {words}"


def _from_target_by_ideal(spec: IndicatorSpec, a: Assessment) -> str:
    """_from_target when closer to an ideal is better, by the polarity's shortfall."""
    assert a.value is not None and a.target is not None
    polarity = spec.direction
    short = polarity.shortfall(a.value, a.target)
    # How far ahead the value is matters only when it is not short (every row of a report comes through here).
    amount, words = (short, "short of target") if short else (polarity.shortfall(a.target, a.value),
                                                              "better than target")
    if amount == 0:
        return "at target"
    if is_percent(a.unit):
        return f"{shown(amount, a.decimals)} pp {words}"
    if a.target == 0:
        return f"{shown(amount, a.decimals)} {words}"
    # amount / |target| * 100, as one Fraction rather than three operations
    share = Fraction(amount.numerator * 100 * a.target.denominator, amount.denominator * abs(a.target.numerator))
    return f"{shown(share, 1)}% {words}"


def report_key(rules: RuleSet, evaluation: Evaluation) -> tuple[tuple[str, str], ...]:
    """The report's key, from the rules: what each RAG band, arrow, target column and theme rating means here."""
    key = KeyGathering(rules)
    key.add(evaluation.assessments)
    return key.entries()


class KeyGathering:
    """What the key needs to know of the assessments, gathered part by part: which indicators were assessed (in
    the order first met), which arrows were given, and whether any RAG is n/a, any target or trajectory set."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.used: dict[str, None] = {}
        self.arrows: dict[str, None] = {}
        self.no_rag = self.target = self.trajectory = False

    def add(self, assessments: Iterable[Assessment]) -> None:
        """Take in some more assessments."""
        for a in assessments:
            self.used[a.indicator] = None
            self.arrows[a.arrow] = None
            self.no_rag = self.no_rag or a.rag is None
            self.target = self.target or a.target is not None
            self.trajectory = self.trajectory or a.trajectory is not None

    def seen(self) -> KeySeen:
        """What has been taken in: the indicators and arrows in the order first met, whether any RAG was n/a, any
        target or trajectory set."""
        return tuple(self.used), tuple(self.arrows), self.no_rag, self.target, self.trajectory

    def take(self, seen: KeySeen) -> None:
        """Take in what another gathering has seen, as if its assessments had come after these."""
        used, arrows, no_rag, target, trajectory = seen
        self.used.update(dict.fromkeys(used))
        self.arrows.update(dict.fromkeys(arrows))
        self.no_rag = self.no_rag or no_rag
        self.target = self.target or target
        self.trajectory = self.trajectory or trajectory

    def entries(self) -> tuple[tuple[str, str], ...]:
        """The key of every assessment taken in: (term, meaning) in the order a report prints them."""
        rules = self.rules
        entries: list[tuple[str, str]] = []
        meanings: dict[str, dict[str, list[str]]] = {}
        for indicator in self.used:
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
        if self.no_rag:
            entries.append(("n/a RAG", "no RAG rating: the rules cannot decide one (the notes say why)"))
        entries += [(ARROW_SYMBOLS[k] + (" arrow" if k == "na" else ""), ARROW_MEANINGS[k]) for k in ARROW_MEANINGS
                    if k in self.arrows]
        if self.target:
            entries.append(("Target", "the value the rules aim for by the target date"))
        if self.trajectory:
            entries.append(("Trajectory", TRAJECTORY_MEANING))
        if rules.themes:
            entries.append(("A → B", "a theme's rating at the period before the assessed one, then at the assessed "
                                     "one"))
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



@dataclass(frozen=True)
class ReportStream:
    """A report's results an area at a time, each part with its own context (to be read once), then the context
    of the whole run: `after()` holds the key and sources of every part once the parts have been read."""

    rules_file: str
    period: Period | None
    before: ReportContext
    parts: Iterable[tuple[Evaluation, ReportContext]]
    after: Callable[[], ReportContext]

    @staticmethod
    def of(evaluation: Evaluation, context: ReportContext) -> ReportStream:
        """A whole evaluation and its context as a stream of one part."""
        return ReportStream(evaluation.rules_file, evaluation.period, context, ((evaluation, context),),
                            lambda: context)


def report_stream(rules: RuleSet, dataset: Dataset, stream: EvaluationStream,
                  previous: Iterable[AreaResults | None] | None = None, own: bool = False) -> ReportStream:
    """A report of `stream`, its context gathered part by part; `previous` holds the same areas' results one
    period earlier, part for part (the theme ratings a report shows beside the current ones). With `own`,
    each part's context holds its own key and sources too (see ContextGathering)."""
    gathering = ContextGathering(rules, dataset, own)

    def parts() -> Iterator[tuple[Evaluation, ReportContext]]:
        earlier = iter(previous) if previous is not None else None
        for part in stream.parts:
            before = next(earlier, None) if earlier is not None else None
            yield (Evaluation(stream.rules_file, stream.period, part.assessments, part.themes),
                   gathering.area(part, before))

    return ReportStream(stream.rules_file, stream.period, gathering.before, parts(), gathering.after)
