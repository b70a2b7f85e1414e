"""Arranges an evaluation the way a report reads: per area its theme ratings, then one section per group.

Shared by the Markdown and HTML reports, which differ only in how they print the same pieces. Every text
here is plain (unescaped): each renderer escapes for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from lsprules.core.numbers import shown
from lsprules.core.periods import Period
from lsprules.engine.interpreter import ARROW_SYMBOLS, Assessment, Discrepancy, Evaluation, Gap, ThemeResult
from lsprules.render.context import IndicatorFacts

ARROW_WORDS = {"up": "improved", "static": "static", "down": "worse", "peak": "at its maximum", "na": "no arrow"}
# RAG is shown by colour *and* by word and shape, so that it reads without colour too.
BAND_SHAPES = {"green": "●", "amber": "◆", "red": "■", "blue": "★", "grey": "○", "gray": "○", "purple": "◈",
               "dark_green": "◉", "light_green": "◐", "amber_green": "◑", "amber_red": "◒", "yellow": "▣"}
UNKNOWN_BAND_SHAPE = "◇"


@dataclass(frozen=True)
class Section:
    """One group of indicators: its heading, the periods its rows span, and its rows."""

    title: str
    periods: tuple[Period, ...]
    rows: tuple[Assessment, ...]


@dataclass(frozen=True)
class AreaReport:
    """Everything reported for one area."""

    area: str
    themes: tuple[ThemeResult, ...]
    sections: tuple[Section, ...]


def arrange(evaluation: Evaluation) -> list[AreaReport]:
    """Areas in the order assessed; within each, groups in rule-file order. One pass over the results, so a
    report of many areas takes time in proportion to its rows."""
    rows: dict[str, dict[str | None, list[Assessment]]] = {}
    for a in evaluation.assessments:
        rows.setdefault(a.area, {}).setdefault(a.group, []).append(a)
    themes: dict[str, list[ThemeResult]] = {}
    for t in evaluation.themes:
        themes.setdefault(t.area, []).append(t)
    return [AreaReport(name, tuple(themes.get(name, ())), tuple(_section(g) for g in rows.get(name, {}).values()))
            for name in dict.fromkeys([*rows, *themes])]


def _section(members: list[Assessment]) -> Section:
    periods = tuple(sorted({p for a in members for p, _ in a.series}))
    return Section(members[0].group_title or members[0].group or "Indicators", periods, tuple(members))


def value_text(value: Fraction | Gap | None, places: int) -> str:
    """A table cell: the value at its decimal places, N/A, supp. (suppressed), or '' when absent."""
    if value is None:
        return ""
    if isinstance(value, Gap):
        return "supp." if "suppressed" in value.reason else "N/A"
    return shown(value, places)


def number_text(value: Fraction | None, places: int) -> str:
    """A target or trajectory cell ('' when there is none): at the data's precision when exact there, else one
    place more, so that a value that misses a trajectory never looks equal to it."""
    if value is None:
        return ""
    # Exact at `places` when its (lowest-terms) denominator divides 10^places: no Fraction made to ask.
    return shown(value, places if 10 ** places % value.denominator == 0 else places + 1)


def band_label(rag: str | None) -> str:
    """The RAG band as shape and word: '● GREEN', or 'n/a'."""
    if rag is None:
        return "n/a"
    return f"{BAND_SHAPES.get(rag, UNKNOWN_BAND_SHAPE)} {rag.upper()}"


def rating_label(rating: str | None) -> str:
    """A theme rating as words: 'AMBER GREEN', or 'n/a'."""
    return rating.replace("_", " ") if rating else "n/a"


def discrepancy_text(d: Discrepancy) -> str:
    """A printed judgement the rules contradict, in words."""
    if d.field == "value":
        return f"{d.period}: the report printed {d.reported}, the rules compute {d.computed}"
    if d.field.startswith("stated "):
        stated = d.field.removeprefix("stated ")
        what = {"change_pct": "% change", "profile total": "a profile adding up to",
                "total": "a total for the year to date of"}.get(stated, stated)
        if stated.startswith("share of "):
            return f"{d.period}: the source states a {stated} of {d.reported} %, the rules and data give " \
                   f"{d.computed}{' %' if d.computed != 'n/a' else ''}"
        return f"{d.period}: the source states {what} {d.reported}, the rules and data give {d.computed}"
    if d.field == "arrow":
        return (f"{d.period}: the report printed {ARROW_SYMBOLS.get(d.reported, d.reported)}, the rules give "
                f"{ARROW_SYMBOLS.get(d.computed, d.computed)}")
    return f"{d.period}: the report printed {d.field} {rating_label(d.reported)}, the rules give " \
           f"{rating_label(d.computed)}"


def comments(a: Assessment) -> list[str]:
    """What a reader needs beside the figures: contradictions of the report, and why a judgement is n/a."""
    out = [f"⚠ {discrepancy_text(d)}" for d in a.discrepancies]
    if a.period is not None and a.assessed_at is not None and a.period != a.assessed_at:
        out.append(f"latest value: {a.period}")
    if a.levels:  # reference levels the rules or the data give: what the clauses measured the value against
        out.append("levels: " + ", ".join(f"{name} {number_text(value, a.decimals)}" for name, value in a.levels))
    if a.arrow == "na" or a.rag is None:
        why = next((r for r in a.reasons if r.startswith(("no arrow", "RAG n/a", "no value", "no data"))), None)
        if why:
            out.append(why)
    return out


def notes_for(a: Assessment, facts: IndicatorFacts) -> list[str]:
    """Everything said below or beside a row: counts, distance from target, the data's notes, then comments."""
    out = [text for text in (facts.counts, facts.from_target) if text]
    return out + list(facts.notes) + comments(a)


def qualified_discrepancies(report: AreaReport) -> list[tuple[str, str]]:
    """Every contradiction of the printed report in one area, each named with its section ('Section — Row'),
    since rows of different sections may share a title."""
    found = [(f"{t.title} theme", discrepancy_text(d)) for t in report.themes for d in t.discrepancies]
    return found + [(f"{s.title} — {a.title}", discrepancy_text(d)) for s in report.sections for a in s.rows
                    for d in a.discrepancies]


def theme_summary(theme: ThemeResult) -> str:
    """'27 members: 15 improved, 3 static, 11 worse, 4 without an arrow'."""
    counts = theme.counts
    total = sum(v for k, v in counts.items() if k.startswith("arrow "))
    parts = [f"{counts[f'arrow {k}']} {ARROW_SYMBOLS[k]} {ARROW_WORDS[k]}" if k != "na" else
             f"{counts[f'arrow {k}']} without an arrow" for k in ARROW_WORDS if counts.get(f"arrow {k}", 0)]
    return f"{total} indicators: " + ", ".join(parts) if parts else f"{total} indicators"


def theme_verdict(theme: ThemeResult) -> str | None:
    """How the computed rating compares with the one the report printed (None when it printed none)."""
    if theme.reported is None:
        return None
    if theme.discrepancies:
        return f"⚠ the report printed {rating_label(theme.reported)}"
    return "✓ agrees with the rating the report printed"
