"""Impact of a rule change on data: both rule sets evaluated on the same dataset at the same period, compared.

Only results that differ are listed: an assessment's value, arrow, RAG band, target or trajectory, or a theme's
rating. Values are compared exactly, so a change too small to print is still a change (and is shown exactly).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from lsprules.audit.provenance import Provenance
from lsprules.audit.semantic_diff import RuleDiff
from lsprules.audit.wording import arrow_text, band_text, exact_text
from lsprules.core.periods import Period
from lsprules.data.model import Dataset
from lsprules.engine.interpreter import EvaluationStream, evaluate_stream
from lsprules.lang.resolve import RuleSet

ASSESSMENT_FIELDS = ("value", "arrow", "rag", "target", "trajectory")


@dataclass(frozen=True)
class FieldChange:
    """One field of one result, before → after, in words."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ResultChange:
    """One assessment or theme rating that comes out differently under the new rules."""

    area: str
    kind: str  # "indicator" or "theme"
    subject: str
    title: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Impact:
    """Every result that changes on one dataset at one period, and how many were compared."""

    dataset: str
    period: Period | None
    changes: tuple[ResultChange, ...]
    assessed: int
    themes: int

    def counts(self) -> dict[str, int]:
        """How many results change, and how many of each field ('arrow': 2, 'rag': 1, ...)."""
        counts = {"assessments": sum(1 for c in self.changes if c.kind == "indicator"),
                  "themes": sum(1 for c in self.changes if c.kind == "theme")}
        for change in self.changes:
            for f in change.fields:
                counts[f.field] = counts.get(f.field, 0) + 1
        return counts

    def summary(self) -> str:
        """'3 of 33 assessments change (2 arrows, 1 RAG); theme ratings unchanged'."""
        counts = self.counts()
        parts = [f"{counts.get(f, 0)} {_plural(f, counts.get(f, 0))}" for f in (*ASSESSMENT_FIELDS, "assessed")
                 if counts.get(f)]
        text = f"{counts['assessments']} of {self.assessed} assessments change"
        text += f" ({', '.join(parts)})" if parts else ""
        themes = counts["themes"]
        text += f"; {themes} of {self.themes} theme ratings change" if themes else "; theme ratings unchanged"
        return text


_WORDS = {"value": ("value", "values"), "arrow": ("arrow", "arrows"), "rag": ("RAG", "RAG"),
          "target": ("target", "targets"), "trajectory": ("trajectory", "trajectories"),
          "assessed": ("added or removed", "added or removed")}


def _plural(field: str, n: int) -> str:
    one, many = _WORDS[field]
    return one if n == 1 else many


class Compared(NamedTuple):
    """What impact() compares of one assessment (ASSESSMENT_FIELDS), with its area, indicator and title."""

    area: str
    indicator: str
    title: str
    value: Fraction | None
    arrow: str
    rag: str | None
    target: Fraction | None
    trajectory: Fraction | None


class Rated(NamedTuple):
    """What impact() compares of one theme result: its rating, with its area, theme and title."""

    area: str
    theme: str
    title: str
    rating: str | None


@dataclass(frozen=True)
class Results:
    """One rule set's results on a dataset as impact() compares them, to be read once: the period assessed, and
    the compared fields of the assessments and theme ratings, a part (some areas) at a time."""

    period: Period | None
    parts: Iterable[tuple[Iterable[Compared], Iterable[Rated]]]


def results(stream: EvaluationStream) -> Results:
    """An evaluation's results as impact() compares them, read an area at a time."""
    parts = (((Compared(a.area, a.indicator, a.title, a.value, a.arrow, a.rag, a.target, a.trajectory)
               for a in part.assessments),
              (Rated(t.area, t.theme, t.title, t.rating) for t in part.themes)) for part in stream.parts)
    return Results(stream.period, parts)


@dataclass(frozen=True)
class Held:
    """One rule set's results held as impact() compares them, by (area, id) in their order: only the compared
    fields are kept, so that memory grows with the number of results, not with their assessments (national data
    has hundreds of thousands)."""

    assessments: dict[tuple[str, str], Compared]
    themes: dict[tuple[str, str], Rated]


def held(found: Results) -> Held:
    """Every result, read."""
    kept = Held({}, {})
    for assessments, themes in found.parts:
        kept.assessments.update(((a.area, a.indicator), a) for a in assessments)
        kept.themes.update(((t.area, t.theme), t) for t in themes)
    return kept


def impact(old: Held, new: Results, dataset: str) -> Impact:
    """What differs between the old rules' results (held) and the new rules' (read a part at a time) on the dataset
    named `dataset`, at one period."""
    left, left_themes = dict(old.assessments), dict(old.themes)  # at the end: what only the old rules assessed
    changes: list[ResultChange] = []
    theme_changes: list[ResultChange] = []
    assessed = themes = 0
    for assessments, ratings in new.parts:
        for b in assessments:
            assessed += 1
            fields = _fields(left.pop((b.area, b.indicator), None), b)
            if fields:
                changes.append(ResultChange(b.area, "indicator", b.indicator, b.title, tuple(fields)))
        for t in ratings:
            themes += 1
            was = left_themes.pop((t.area, t.theme), None)
            if was is None or was.rating != t.rating:
                theme_changes.append(_rating_change(was, t))
    for a in left.values():  # after what the new rules assessed, in the old rules' order
        changes.append(ResultChange(a.area, "indicator", a.indicator, a.title, tuple(_fields(a, None))))
    theme_changes.extend(_rating_change(was, None) for was in left_themes.values())
    return Impact(dataset, new.period, (*changes, *theme_changes), assessed + len(left), themes + len(left_themes))


def impact_of(old: RuleSet, new: RuleSet, dataset: Dataset, at: Period | None) -> Impact:
    """impact() of both rule sets evaluated by the reference interpreter on `dataset` at `at` (default: its latest
    period)."""
    return impact(held(results(evaluate_stream(old, dataset, at))), results(evaluate_stream(new, dataset, at)),
                  dataset.path)


def _fields(a: Compared | None, b: Compared | None) -> list[FieldChange]:
    if a is None or b is None:
        return [FieldChange("assessed", "not assessed" if a is None else "assessed",
                            "not assessed" if b is None else "assessed")]
    out = []
    for name in ASSESSMENT_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x != y:
            out.append(FieldChange(name, _words(name, x), _words(name, y)))
    return out


def _words(field: str, value: Fraction | str | None) -> str:
    if field == "arrow":
        assert isinstance(value, str)  # an assessment always has an arrow ('na' when none)
        return arrow_text(value)
    if field == "rag":
        assert not isinstance(value, Fraction)  # a band, or None
        return band_text(value)
    return exact_text(value) if isinstance(value, Fraction) else "–"


def _rating_change(before: Rated | None, after: Rated | None) -> ResultChange:
    shown = after or before
    assert shown is not None  # a change has one side or the other
    return ResultChange(shown.area, "theme", shown.theme, shown.title,
                        (FieldChange("rating", _rating(before), _rating(after)),))


def _rating(rated: Rated | None) -> str:
    return "not rated" if rated is None else band_text(rated.rating)


@dataclass(frozen=True)
class FileDiff:
    """The comparison of one rule file: its semantic diff and its impact on each dataset."""

    diff: RuleDiff
    impacts: tuple[Impact, ...]


@dataclass(frozen=True)
class DiffReport:
    """Every file compared, the provenance of everything read, and notes on how the rules were replayed (a
    columnar engine asked for that could not run)."""

    files: tuple[FileDiff, ...]
    provenance: Provenance
    notes: tuple[str, ...] = ()

    @property
    def meaning_changed(self) -> bool:
        """Whether any file changed in meaning."""
        return any(f.diff.meaning_changed for f in self.files)
