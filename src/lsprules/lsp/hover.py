"""What hovering over a name shows, in Markdown: an indicator's settings as resolved after its profile, and
its latest assessment on the configured dataset; a profile's users; a group's or theme's members."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.diagnostics import InputError
from lsprules.lang import nodes
from lsprules.lang.printer import format_quantity, format_statement
from lsprules.lang.resolve import IndicatorSpec, RuleSet
from lsprules.lsp.document import Definition, Document

if TYPE_CHECKING:
    from lsprules.engine.interpreter import Evaluation


def hover_text(document: Document, name: str, data: Sequence[Path] = ()) -> str | None:
    """Markdown for a name defined in the file (None for any other word)."""
    definition = document.definition_of(name)
    rules = document.checked.rules
    if definition is None or rules is None:
        return None
    if definition.kind == "indicator" and name in rules.indicators:
        spec = rules.indicators[name]
        return "\n".join([*indicator_lines(spec), *latest_lines(rules, name, data)])
    return "\n".join(_item_lines(definition, rules))


def indicator_lines(spec: IndicatorSpec) -> list[str]:
    """An indicator's title and its settings after its profile: polarity, unit, arrow, target, RAG."""
    lines = [f"**{spec.title}** — indicator `{spec.id}`", ""]
    where = [f"profile `{spec.profile}`" if spec.profile else "", f"group `{spec.group.id}`" if spec.group else ""]
    if any(where):
        lines += [" · ".join(w for w in where if w), ""]
    lines += ["```lsprules", format_statement(spec.polarity), format_statement(spec.unit)]
    if spec.value is not None:
        lines.append(format_statement(spec.value))
    lines.append("arrow: " + "; ".join(format_statement(s) for s in _arrow_statements(spec)))
    if spec.target is not None:
        lines.append("target: " + _target_words(spec))
    if spec.rag is not None:
        lines.append("rag: " + "; ".join(_clause(c) for c in spec.rag.clauses))
    lines.append("```")
    return lines


def _arrow_statements(spec: IndicatorSpec) -> list[nodes.Node]:
    arrow = spec.arrow
    return [s for s in (arrow.compare, arrow.static, arrow.peak) if s is not None]


def _target_words(spec: IndicatorSpec) -> str:
    target = spec.target
    assert target is not None
    if target.fixed is not None:
        return format_quantity(target.fixed.amount)
    parts = [format_statement(s) for s in (target.baseline, target.goal, *target.per_period) if s is not None]
    return "; ".join([*parts, f"trajectory {target.trajectory}"])


def _clause(clause: nodes.Clause) -> str:
    if clause.condition is None:
        return f"{clause.label} otherwise"
    return f"{clause.label} when {format_statement(clause.condition)}"


def latest_lines(rules: RuleSet, indicator: str, data: Sequence[Path]) -> list[str]:
    """The indicator's latest assessment in each area of the configured datasets: value, arrow and RAG."""
    if not data:
        return []
    from lsprules.audit.wording import arrow_text, band_text, exact_text
    from lsprules.data.load import load_all
    from lsprules.engine.interpreter import evaluate

    key = (rules.ast, tuple((str(p), _modified(p)) for p in data))
    if key not in _EVALUATED:
        try:
            dataset, _ = load_all(list(data))
            _EVALUATED.clear()  # one evaluation is kept: hovers over one file at one state of the data
            _EVALUATED[key] = evaluate(rules, dataset)
        except InputError as exc:
            return ["", f"_The configured dataset cannot be used: {exc.diagnostics[0].message}_"]
    evaluation = _EVALUATED[key]
    rows = [a for a in evaluation.assessments if a.indicator == indicator]
    if not rows:
        return ["", "_No data for this indicator in the configured dataset._"]
    period = evaluation.period.label if evaluation.period else "the latest period"
    lines = ["", f"Latest assessment ({period}):", "", "| area | value | arrow | RAG |", "| --- | --- | --- | --- |"]
    lines += [f"| {a.area} | {exact_text(a.value)} | {arrow_text(a.arrow)} | {band_text(a.rag)} |" for a in rows]
    return lines


_EVALUATED: dict[tuple[object, ...], Evaluation] = {}


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _item_lines(definition: Definition, rules: RuleSet) -> list[str]:
    """A profile (and the indicators that use it), a group or a theme (and its members), a comparator."""
    item, name = definition.item, definition.name.text
    title = getattr(item, "title", None)
    lines = [f"**{title}** — {definition.kind} `{name}`" if title else f"{definition.kind} `{name}`", ""]
    if isinstance(item, nodes.Profile):
        users = [s.id for s in rules.indicators.values() if s.profile == name]
        lines.append(f"used by {len(users)} indicator{'s' if len(users) != 1 else ''}: "
                     + ", ".join(f"`{u}`" for u in users) if users else "used by no indicator")
    elif isinstance(item, nodes.Group):
        lines.append("indicators: " + ", ".join(f"`{i.name}`" for i in item.indicators))
    elif isinstance(item, nodes.Theme):
        theme = next((t for t in rules.themes if t.id == name), None)
        if theme is not None:
            lines += ["members: " + ", ".join(f"`{m}`" for m in theme.members), "",
                      "scale: " + " < ".join(theme.scale)]
    return lines
