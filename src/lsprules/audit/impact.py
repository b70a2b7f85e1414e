"""Impact of a rule change on data: both rule sets evaluated on the same dataset at the same period, compared.

Only results that differ are listed: an assessment's value, arrow, RAG band, target or trajectory, or a theme's
rating. Values are compared exactly, so a change too small to print is still a change (and is shown exactly).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from lsprules.audit.provenance import Provenance
from lsprules.audit.semantic_diff import RuleDiff
from lsprules.audit.wording import arrow_text, band_text, exact_text
from lsprules.core.periods import Period
from lsprules.data.model import Dataset
from lsprules.engine.interpreter import Assessment, Evaluation, ThemeResult, evaluate
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


def impact(old: RuleSet, new: RuleSet, dataset: Dataset, at: Period | None) -> Impact:
    """Evaluate both rule sets on `dataset` at `at` (default: its latest period) and list what differs."""
    before, after = evaluate(old, dataset, at), evaluate(new, dataset, at)
    changes = [*_assessment_changes(before, after), *_theme_changes(before, after)]
    assessed = len({(a.area, a.indicator) for a in (*before.assessments, *after.assessments)})
    themes = len({(t.area, t.theme) for t in (*before.themes, *after.themes)})
    return Impact(dataset.path, after.period, tuple(changes), assessed, themes)


def _assessment_changes(before: Evaluation, after: Evaluation) -> list[ResultChange]:
    old = {(a.area, a.indicator): a for a in before.assessments}
    new = {(a.area, a.indicator): a for a in after.assessments}
    out = []
    for key in list(dict.fromkeys([*new, *old])):
        a, b = old.get(key), new.get(key)
        fields = _fields(a, b)
        if fields:
            shown = b or a
            assert shown is not None  # every key comes from one side or the other
            out.append(ResultChange(shown.area, "indicator", shown.indicator, shown.title, tuple(fields)))
    return out


def _fields(a: Assessment | None, b: Assessment | None) -> list[FieldChange]:
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


def _theme_changes(before: Evaluation, after: Evaluation) -> list[ResultChange]:
    old = {(t.area, t.theme): t for t in before.themes}
    new = {(t.area, t.theme): t for t in after.themes}
    out = []
    for key in list(dict.fromkeys([*new, *old])):
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and a.rating == b.rating:
            continue
        shown = b or a
        assert shown is not None  # every key comes from one side or the other
        out.append(ResultChange(shown.area, "theme", shown.theme, shown.title,
                                (FieldChange("rating", _rating(a), _rating(b)),)))
    return out


def _rating(result: ThemeResult | None) -> str:
    return "not rated" if result is None else band_text(result.rating)


@dataclass(frozen=True)
class FileDiff:
    """The comparison of one rule file: its semantic diff and its impact on each dataset."""

    diff: RuleDiff
    impacts: tuple[Impact, ...]


@dataclass(frozen=True)
class DiffReport:
    """Every file compared, and the provenance of everything read."""

    files: tuple[FileDiff, ...]
    provenance: Provenance

    @property
    def meaning_changed(self) -> bool:
        """Whether any file changed in meaning."""
        return any(f.diff.meaning_changed for f in self.files)
