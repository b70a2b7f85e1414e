"""The meaning of rules as flat facts: each setting of a profile, indicator or theme as a keyed, comparable aspect.

Two aspects with the same key are equal exactly when they mean the same: they compare AST nodes, whose
equality ignores source positions, so layout and comments never make a difference. The semantic diff
compares aspects; `describe` prints them one per line for `git diff` (a textconv driver).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeGuard

from lsprules.core.source import Span
from lsprules.lang import nodes
from lsprules.lang.printer import format_expr, format_quantity, format_statement
from lsprules.lang.resolve import ComparatorSpec, IndicatorSpec, RuleSet, ThemeSpec

NBSP = "\u00a0"  # glues a number to its unit while phrases are compared word by word


@dataclass(frozen=True)
class Aspect:
    """One fact of a rule: a stable key, a comparable value, a label and the value in words, and its line."""

    key: str
    value: object
    # Only key and value decide equality: words and line are for people.
    label: str = field(compare=False)
    words: str = field(compare=False)
    line: int | None = field(default=None, compare=False)

    def text(self) -> str:
        """Label and value: 'static tolerance within 1.5 %'."""
        return f"{self.label} {self.words}".strip().replace(NBSP, " ")


class _Spanned(Protocol):
    """An AST node or resolved spec: anything that may know where it was written."""

    @property
    def span(self) -> Span | None: ...


def _line(node: _Spanned) -> int | None:
    span = node.span
    return span.line if span is not None else None


def _quantity(q: nodes.Quantity) -> str:
    return format_quantity(q).replace(" ", NBSP)


# --- aspects of settings as written (a profile, or an indicator's own body) -------------------


def setting_aspects(settings: Iterable[nodes.Setting] | None) -> dict[str, Aspect]:
    """The aspects a body of settings gives, later settings replacing earlier ones (as the resolver merges)."""
    found: dict[str, Aspect] = {}
    for setting in settings or ():
        for aspect in _setting(setting):
            found[aspect.key] = aspect
    return found


def _setting(s: nodes.Setting) -> list[Aspect]:
    if isinstance(s, nodes.ArrowBlock):
        return [_arrow_stmt(x) for x in s.statements]
    if isinstance(s, nodes.TargetBlock):
        periods = tuple(x for x in s.statements if isinstance(x, nodes.PeriodTargetStmt))
        out = [_target_stmt(x) for x in s.statements if not isinstance(x, nodes.PeriodTargetStmt)]
        return out + ([_periods(periods)] if periods else [])
    if isinstance(s, nodes.RagBlock):
        return _rag(s)
    if isinstance(s, nodes.LevelsBlock):
        return [Aspect(f"level.{x.name}", x, f"{x.name} level", _quantity(x.amount), _line(x)) for x in s.statements]
    return [_simple(s)]


def _simple(s: nodes.Setting) -> Aspect:
    line = _line(s)
    if isinstance(s, nodes.UnitSetting):
        words = f"rate per {s.per}" if s.kind == "rate" else s.kind
        return Aspect("unit", s, "unit", words, line)
    if isinstance(s, nodes.PolaritySetting):
        return Aspect("polarity", s, "polarity", polarity_words(s), line)
    if isinstance(s, nodes.ValueSetting):
        words = format_expr(s.expr) + (" as percent" if s.as_percent else "")
        return Aspect("value", s, "value =", words, line)
    if isinstance(s, nodes.FieldsSetting):
        return Aspect("fields", s.names, "fields", ", ".join(s.names), line)
    if isinstance(s, nodes.DecimalsSetting):
        return Aspect("decimals", s.places, "decimals shown", str(s.places), line)
    if isinstance(s, nodes.FixedTarget):
        return Aspect("target.fixed", s, "target", _quantity(s.amount), line)
    if isinstance(s, nodes.DataTarget):
        return Aspect("target.data", s, "target", "from the data, per area and period", line)
    raise TypeError(f"not a simple setting: {type(s).__name__}")


def polarity_words(p: nodes.PolaritySetting) -> str:
    """'lower is better', 'higher is better', 'closer to 0 is better'."""
    if p.kind == "closer_to":
        assert p.ideal is not None  # the parser gives `closer_to` its ideal value
        return f"closer to {_quantity(p.ideal)} is better"
    return p.kind.replace("_", " ")


def _arrow_stmt(s: nodes.ArrowStmt) -> Aspect:
    line = _line(s)
    if isinstance(s, nodes.CompareStmt):
        words = {"previous": "previous", "year": "same period last year",
                 "mean": f"mean of previous {s.count}",
                 "trend": f"the recent trend at {_quantity(s.level) if s.level else ''}"}[s.method]
        return Aspect("arrow.compare", s, "arrow compares latest with", words, line)
    if isinstance(s, nodes.StaticStmt):
        words = f"{'within' if s.inclusive else 'below'} {_quantity(s.tolerance)}"
        return Aspect("arrow.static", s, "static tolerance", words, line)
    return Aspect("arrow.peak", s, "★ peak at", _quantity(s.maximum), line)


def _target_stmt(s: nodes.BaselineStmt | nodes.ChangeStmt | nodes.ReachStmt | nodes.TrajectoryStmt |
                 nodes.AnnualStmt) -> Aspect:
    line = _line(s)
    if isinstance(s, nodes.AnnualStmt):
        return Aspect("target.goal", s, "target", format_statement(s).removeprefix("annual "), line)
    if isinstance(s, nodes.BaselineStmt):
        return Aspect("target.baseline", s, "target baseline", s.period, line)
    if isinstance(s, nodes.ChangeStmt):
        return Aspect("target.goal", s, "target", f"{s.direction} by {_quantity(s.amount)} by {s.period}", line)
    if isinstance(s, nodes.ReachStmt):
        return Aspect("target.goal", s, "target", f"reach {_quantity(s.amount)} by {s.period}", line)
    return Aspect("target.trajectory", s.kind, "trajectory", s.kind, line)


def _periods(stmts: tuple[nodes.PeriodTargetStmt, ...]) -> Aspect:
    words = ", ".join(f"{_quantity(s.amount)} in {s.period}" for s in stmts)
    return Aspect("target.periods", stmts, "targets by period", words, _line(stmts[0]))


def _rag(block: nodes.RagBlock) -> list[Aspect]:
    out = [clauses_aspect("rag.clauses", block.clauses, "RAG clauses", _line(block))]
    if block.scale is not None:
        out.insert(0, Aspect("rag.scale", block.scale.levels, "RAG scale", " < ".join(block.scale.levels),
                             _line(block.scale)))
    return out


def clauses_aspect(key: str, clauses: tuple[nodes.Clause, ...], label: str, line: int | None) -> Aspect:
    """Ordered first-match clauses as one aspect (their order is part of their meaning). A band's description
    is what reports print in their key, not what the clause decides, so it is left out of the meaning."""
    bare = tuple(dataclasses.replace(c, description=None) for c in clauses)
    return Aspect(key, bare, label, "; ".join(clause_words(c) for c in bare), line)


def aspect_clauses(aspect: Aspect) -> tuple[nodes.Clause, ...]:
    """The clauses of an aspect made by `clauses_aspect` (keys ending in 'clauses')."""
    value = aspect.value
    if not _is_clauses(value):
        raise TypeError(f"not a clauses aspect: {aspect.key}")
    return value


def _is_clauses(value: object) -> TypeGuard[tuple[nodes.Clause, ...]]:
    return isinstance(value, tuple) and all(isinstance(c, nodes.Clause) for c in value)


def clause_words(clause: nodes.Clause) -> str:
    """A clause as written: `amber when arrow is up`, `red otherwise`."""
    if clause.condition is None:
        return f"{clause.label} otherwise"
    return f"{clause.label} when {format_expr(clause.condition)}"


# --- aspects of resolved indicators and themes ------------------------------------------------


def indicator_aspects(spec: IndicatorSpec) -> dict[str, Aspect]:
    """Every aspect of an indicator after its profile is merged in."""
    line = _line(spec)
    found = {"title": Aspect("title", spec.title, "title", f"“{spec.title}”", line),
             "group": Aspect("group", spec.group.id if spec.group else None, "in group",
                             spec.group.id if spec.group else "(none)", line),
             "uses": Aspect("uses", spec.profile, "uses profile", spec.profile or "(none)", line),
             **setting_aspects([spec.unit, spec.polarity]),
             **setting_aspects([spec.value] if spec.value else []),
             **setting_aspects([nodes.FieldsSetting(spec.fields)] if spec.fields else []),
             **setting_aspects([nodes.DecimalsSetting(spec.decimals)] if spec.decimals is not None else [])}
    arrow = spec.arrow
    found.update(setting_aspects([nodes.ArrowBlock(tuple(s for s in (arrow.compare, arrow.static, arrow.peak) if s))]))
    found.update(_target_aspects(spec))
    found.update(setting_aspects([nodes.LevelsBlock(spec.levels)] if spec.levels else []))
    if spec.rag is not None:
        found.update({a.key: a for a in _rag(spec.rag)})
    return found


def _target_aspects(spec: IndicatorSpec) -> dict[str, Aspect]:
    target = spec.target
    if target is None:
        return {}
    if target.fixed is not None:
        return setting_aspects([target.fixed])
    if target.from_data:
        return setting_aspects([nodes.DataTarget(span=target.span)])
    statements = [s for s in (target.baseline, target.goal) if s is not None] + list(target.per_period)
    found = setting_aspects([nodes.TargetBlock(tuple(statements))])
    found["target.trajectory"] = Aspect("target.trajectory", target.trajectory, "trajectory", target.trajectory,
                                        _line(target))
    return found


def comparator_aspects(comparator: ComparatorSpec) -> dict[str, Aspect]:
    """A comparator's title and the area(s) it reads, or the areas whose mean it takes."""
    line = _line(comparator)
    areas = ", ".join(f"“{a}”" for a in comparator.areas)
    return {"title": Aspect("title", comparator.title, "title", f"“{comparator.title}”", line),
            "areas": Aspect("areas", (comparator.areas, comparator.mean), "reads",
                            f"the mean of areas {areas}" if comparator.mean else f"area {areas}", line)}


def theme_aspects(theme: ThemeSpec) -> dict[str, Aspect]:
    """Every aspect of a theme: title, scale, members (groups expanded), rating clauses and required coverage."""
    line = _line(theme)
    return {"title": Aspect("title", theme.title, "title", f"“{theme.title}”", line),
            "scale": Aspect("scale", theme.scale, "rating scale", " < ".join(theme.scale), line),
            "members": Aspect("members", frozenset(theme.members), "members", ", ".join(theme.members), line),
            "rating.clauses": clauses_aspect("rating.clauses", theme.rating.clauses, "rating clauses",
                                             _line(theme.rating)),
            "coverage": Aspect("coverage", theme.coverage.minimum if theme.coverage else None,
                               "members that must be assessed",
                               f"at least {_quantity(theme.coverage.minimum)}" if theme.coverage else "any number",
                               _line(theme.coverage) if theme.coverage else line)}


# --- the whole rule set, one fact per line ----------------------------------------------------


def describe(rules: RuleSet) -> list[str]:
    """The resolved meaning of a rule set, one fact per line, in a stable order (a git textconv)."""
    # No file name in the header: git hands textconv a temporary copy, whose name would show as a change.
    lines = ["# resolved meaning, one fact per line (lsprules diff --textconv)"]
    for comparator in rules.comparators.values():
        lines.extend(_fact_lines(f"comparator {comparator.id}", comparator_aspects(comparator)))
    for group in rules.groups:
        lines.append(f"group {group.id}: title “{group.title or group.id}”")
    for spec in rules.indicators.values():
        lines.extend(_fact_lines(f"indicator {spec.id}", indicator_aspects(spec)))
    for theme in rules.themes:
        lines.extend(_fact_lines(f"theme {theme.id}", theme_aspects(theme)))
    return lines


def _fact_lines(subject: str, aspects: dict[str, Aspect]) -> list[str]:
    out: list[str] = []
    for aspect in aspects.values():
        if aspect.key.endswith("clauses"):
            out.extend(f"{subject}: {aspect.label[:-1]} {i + 1}: {clause_words(c)}"
                       for i, c in enumerate(aspect_clauses(aspect)))
        else:
            out.append(f"{subject}: {aspect.text()}")
    return out
