"""The canonical printer: one layout for every rule file, comments kept where they were.

Printing happens in two passes: `_Printer` turns the AST into lines tagged with the source line they came
from, then `_place_comments` puts each comment back before (or at the end of) the line it belonged to.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import nodes

INDENT = "  "

# Binding strength of each expression node: parentheses are printed only where they are needed.
_LEVEL = {nodes.Or: 1, nodes.And: 2, nodes.Not: 3, nodes.Compare: 4}
_ARITH_LEVEL = {"+": 5, "-": 5, "*": 6, "/": 6}
_UNARY_LEVEL = 7
_ATOM_LEVEL = 8


def format_rule_file(rule_file: nodes.RuleFile) -> str:
    """The canonical text of a rule file, ending with one newline."""
    printer = _Printer()
    printer.file(rule_file)
    lines = _place_comments(printer.lines, rule_file.comments)
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def format_expr(expr: nodes.Expr) -> str:
    """The canonical text of an expression or condition."""
    return _expr(expr)


def format_quantity(q: nodes.Quantity) -> str:
    """A quantity as written: `17.5 %`, `5 pp`, `-0.5`."""
    return _number(q.value) + (f" {q.unit}" if q.unit else "")


@dataclass
class _Line:
    """One printed line: its indent depth, its text, and the source line it came from (if any)."""

    depth: int
    text: str
    source_line: int | None = None
    closes: bool = False


class _Printer:
    """One method per node kind, each appending lines."""

    def __init__(self):
        self.lines: list[_Line] = []

    def emit(self, depth: int, text: str, node: nodes.Node | None = None, closes: bool = False) -> None:
        line = None
        if node is not None and node.span is not None:
            line = node.span.end_line if closes else node.span.line
        self.lines.append(_Line(depth, text, line, closes))

    def block(self, depth: int, head: str, node: nodes.Node, body) -> None:
        self.emit(depth, head + " {", node)
        body(depth + 1)
        self.emit(depth, "}", node, closes=True)

    def file(self, rule_file: nodes.RuleFile) -> None:
        for index, item in enumerate(rule_file.items):
            if index:
                self.lines.append(_Line(0, ""))
            getattr(self, "item_" + type(item).__name__.lower())(item, 0)

    def item_profile(self, profile: nodes.Profile, depth: int) -> None:
        self.block(depth, f"profile {profile.name}", profile, lambda d: self.settings(profile.settings, d))

    def item_indicator(self, ind: nodes.Indicator, depth: int) -> None:
        head = f"indicator {ind.name}"
        if ind.title is not None:
            head += " " + _string(ind.title)
        if ind.uses is not None:
            head += f" uses {ind.uses}"
        if ind.settings is None:
            self.emit(depth, head, ind)
        else:
            self.block(depth, head, ind, lambda d: self.settings(ind.settings, d))

    def item_group(self, group: nodes.Group, depth: int) -> None:
        head = f"group {group.name}" + (f" {_string(group.title)}" if group.title is not None else "")
        self.block(depth, head, group, lambda d: [self.item_indicator(i, d) for i in group.indicators])

    def item_theme(self, theme: nodes.Theme, depth: int) -> None:
        head = f"theme {theme.name}" + (f" {_string(theme.title)}" if theme.title is not None else "")
        self.block(depth, head, theme, lambda d: [self.theme_setting(s, d) for s in theme.settings])

    def item_comparator(self, comparator: nodes.Comparator, depth: int) -> None:
        head = f"comparator {comparator.name}"
        if comparator.title is not None:
            head += " " + _string(comparator.title)
        areas = ", ".join(_string(a) for a in comparator.areas)
        self.emit(depth, f"{head} mean of areas {areas}" if comparator.mean else f"{head} area {areas}", comparator)

    def theme_setting(self, setting, depth: int) -> None:
        if isinstance(setting, nodes.Scale):
            self.emit(depth, _scale(setting), setting)
        elif isinstance(setting, nodes.Members):
            self.emit(depth, "indicators " + ", ".join(setting.names), setting)
        else:
            self.block(depth, "rating", setting, lambda d: self.clauses(setting.clauses, d))

    def settings(self, settings, depth: int) -> None:
        for setting in settings:
            self.setting(setting, depth)

    def setting(self, s: nodes.Setting, depth: int) -> None:
        if isinstance(s, nodes.ArrowBlock):
            self.block(depth, "arrow", s, lambda d: [self.emit(d, _arrow_stmt(x), x) for x in s.statements])
        elif isinstance(s, nodes.TargetBlock):
            self.block(depth, "target", s, lambda d: [self.emit(d, _target_stmt(x), x) for x in s.statements])
        elif isinstance(s, nodes.RagBlock):
            self.block(depth, "rag", s, lambda d: self.rag_body(s, d))
        else:
            self.emit(depth, _simple_setting(s), s)

    def rag_body(self, rag: nodes.RagBlock, depth: int) -> None:
        if rag.scale is not None:
            self.emit(depth, _scale(rag.scale), rag.scale)
        self.clauses(rag.clauses, depth)

    def clauses(self, clauses, depth: int) -> None:
        for clause in clauses:
            text = f"{clause.label} otherwise" if clause.condition is None else \
                f"{clause.label} when {_expr(clause.condition)}"
            self.emit(depth, text, clause)


def _simple_setting(s: nodes.Setting) -> str:
    if isinstance(s, nodes.UnitSetting):
        return f"unit rate per {_number(s.per)}" if s.kind == "rate" else f"unit {s.kind}"
    if isinstance(s, nodes.PolaritySetting):
        return f"polarity closer_to {format_quantity(s.ideal)}" if s.kind == "closer_to" else f"polarity {s.kind}"
    if isinstance(s, nodes.ValueSetting):
        return f"value = {_expr(s.expr)}" + (" as percent" if s.as_percent else "")
    if isinstance(s, nodes.FieldsSetting):
        return "fields " + ", ".join(s.names)
    if isinstance(s, nodes.DecimalsSetting):
        return f"decimals {s.places}"
    if isinstance(s, nodes.FixedTarget):
        return f"target {format_quantity(s.amount)}"
    raise TypeError(f"not a simple setting: {type(s).__name__}")


def _arrow_stmt(s: nodes.ArrowStmt) -> str:
    if isinstance(s, nodes.CompareStmt):
        return {"previous": "compare latest with previous", "year": "compare latest with same period last year",
                "mean": f"compare latest with mean of previous {s.count}"}[s.method]
    if isinstance(s, nodes.StaticStmt):
        return f"static {'within' if s.inclusive else 'below'} {format_quantity(s.tolerance)}"
    return f"peak at {format_quantity(s.maximum)}"


def _target_stmt(s: nodes.TargetStmt) -> str:
    if isinstance(s, nodes.BaselineStmt):
        return f"baseline {s.period}"
    if isinstance(s, nodes.ChangeStmt):
        return f"{s.direction} by {format_quantity(s.amount)} by {s.period}"
    if isinstance(s, nodes.ReachStmt):
        return f"reach {format_quantity(s.amount)} by {s.period}"
    if isinstance(s, nodes.PeriodTargetStmt):
        return f"{format_quantity(s.amount)} in {s.period}"
    return f"trajectory {s.kind}"


def _scale(scale: nodes.Scale) -> str:
    return "scale " + " < ".join(scale.levels)


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value: Decimal) -> str:
    """A decimal as written, without exponent notation."""
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


# --- expressions -----------------------------------------------------------------------------


def _level(expr: nodes.Expr) -> int:
    if isinstance(expr, nodes.Arith):
        return _ARITH_LEVEL[expr.op]
    if isinstance(expr, nodes.Negate):
        return _UNARY_LEVEL
    if isinstance(expr, nodes.Quantity) and expr.value < 0:
        return _UNARY_LEVEL
    return _LEVEL.get(type(expr), _ATOM_LEVEL)


def _wrapped(expr: nodes.Expr, minimum: int) -> str:
    text = _expr(expr)
    return f"({text})" if _level(expr) < minimum else text


def _expr(expr: nodes.Expr) -> str:
    """Print an expression with the fewest parentheses that keep its meaning."""
    if isinstance(expr, nodes.Or):
        return f"{_wrapped(expr.left, 1)} or {_wrapped(expr.right, 2)}"
    if isinstance(expr, nodes.And):
        return f"{_wrapped(expr.left, 2)} and {_wrapped(expr.right, 3)}"
    if isinstance(expr, nodes.Not):
        return f"not {_wrapped(expr.operand, 3)}"
    if isinstance(expr, nodes.Compare):
        return f"{_wrapped(expr.left, 5)} {expr.op} {_wrapped(expr.right, 5)}"
    if isinstance(expr, nodes.Arith):
        level = _ARITH_LEVEL[expr.op]
        return f"{_wrapped(expr.left, level)} {expr.op} {_wrapped(expr.right, level + 1)}"
    if isinstance(expr, nodes.Negate):
        return f"-{_wrapped(expr.operand, _UNARY_LEVEL)}"
    return _atom(expr)


def _atom(expr: nodes.Expr) -> str:
    if isinstance(expr, nodes.Quantity):
        return format_quantity(expr)
    if isinstance(expr, nodes.Name):
        return expr.id
    if isinstance(expr, nodes.Ref):
        return expr.which
    if isinstance(expr, nodes.Call):
        return f"{expr.func}(" + ", ".join(_expr(a) for a in expr.args) + ")"
    if isinstance(expr, nodes.ArrowIs):
        return f"arrow is {'not ' if expr.negated else ''}{expr.arrow}"
    if isinstance(expr, nodes.RagIs):
        return f"rag is {'not ' if expr.negated else ''}{expr.band}"
    if isinstance(expr, nodes.OnTrajectory):
        return "on trajectory"
    if isinstance(expr, nodes.TargetMet):
        return "target met"
    if isinstance(expr, nodes.TargetExceeded):
        return f"target exceeded by {format_quantity(expr.margin)}"
    if isinstance(expr, nodes.WithinTarget):
        return f"within {format_quantity(expr.margin)} of target"
    if isinstance(expr, nodes.GapState):
        return f"gap {expr.state}"
    if isinstance(expr, nodes.AtComparator):
        return f"{expr.indicator} at {expr.comparator}"
    raise TypeError(f"cannot print {type(expr).__name__}")


# --- comments --------------------------------------------------------------------------------


def _place_comments(lines: list[_Line], comments: tuple[nodes.Comment, ...]) -> list[str]:
    """Put comments back: an own-line comment before the first line printed from after it, a trailing
    comment at the end of the last line printed from its source line."""
    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    at_end: list[str] = []
    sources = [line.source_line for line in lines]
    for comment in comments:
        line_no = comment.span.line if comment.span else 0
        if comment.trailing:
            index = _last_from(sources, line_no)
            if index is not None:
                after.setdefault(index, []).append(comment.text)
                continue
        index = next((i for i, s in enumerate(sources) if s is not None and s > line_no), None)
        if index is None:
            at_end.append(comment.text)
        else:
            depth = lines[index].depth + (1 if lines[index].closes else 0)
            before.setdefault(index, []).append(INDENT * depth + comment.text)
    out: list[str] = []
    for index, line in enumerate(lines):
        out.extend(before.get(index, ()))
        text = INDENT * line.depth + line.text if line.text else ""
        out.append("  ".join([text] + after.get(index, [])))
    if at_end:
        out.append("")
        out.extend(at_end)
    return out


def _last_from(sources: list[int | None], line_no: int) -> int | None:
    """The last printed line that came from `line_no`, else the last one from before it."""
    best = None
    for index, source_line in enumerate(sources):
        if source_line is not None and source_line <= line_no:
            best = index
    return best
