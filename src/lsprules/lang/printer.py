"""The canonical printer: one layout for every rule file, comments and blank lines kept where they were.

Printing happens in two passes: `_Printer` turns the AST into lines tagged with the source lines they came
from, then `_layout` puts each comment back before (or at the end of) the line it belonged to and keeps a
single blank line wherever the source had one or more. Items are always separated by one blank line.

Lists (a call's arguments, a theme's members) are printed on one line, or one entry per line when the author
broke the line after the list's start (as Prettier does with objects): so a long `sum(...)` can be kept one
component per line, and adding a component shows in a diff as one added line, while a file that is already
laid out this way never moves a line.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from lsprules.core.source import Span
from lsprules.lang import nodes

INDENT = "  "

# Binding strength of each expression node: parentheses are printed only where they are needed.
_LEVEL = {nodes.Or: 1, nodes.And: 2, nodes.Not: 3, nodes.Compare: 4, nodes.Reaches: 4}
_ARITH_LEVEL = {"+": 5, "-": 5, "*": 6, "/": 6}
_UNARY_LEVEL = 7
_ATOM_LEVEL = 8

_Stmt = TypeVar("_Stmt", bound=nodes.Node)


def format_rule_file(rule_file: nodes.RuleFile) -> str:
    """The canonical text of a rule file, ending with one newline."""
    printer = _Printer()
    printer.file(rule_file)
    occupied = printer.occupied | {c.span.line for c in rule_file.comments if c.span}
    lines = _layout(printer.lines, rule_file.comments, occupied)
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return text + "\n" if text else ""


def format_expr(expr: nodes.Expr) -> str:
    """The canonical text of an expression or condition."""
    return _expr(expr)


def format_quantity(q: nodes.Quantity) -> str:
    """A quantity as written: `17.5 %`, `5 pp`, `-0.5`."""
    return _number(q.value) + (f" {q.unit}" if q.unit else "")


@dataclass
class _Line:
    """One printed line: indent depth, text, the source lines it came from, and its role in the layout."""

    depth: int
    text: str
    first: int | None = None  # source line it starts at: comments and blank lines are placed by it
    closes: bool = False  # a closing line: comments before it sit one level deeper, no blank line before it
    opens: bool = False  # an opening line: no blank line after it
    item: bool = False  # the head of a top-level item: always one blank line before it (and its comments)


class _Printer:
    """One method per node kind, each appending lines and noting which source lines hold code."""

    def __init__(self) -> None:
        self.lines: list[_Line] = []
        self.occupied: set[int] = set()

    def emit(self, depth: int, text: str, span: Span | None = None, *, closes: bool = False,
             opens: bool = False, item: bool = False, whole: bool = True) -> None:
        """Append a line printed from the code at `span`; `whole` says the line stands for all its lines."""
        first = None
        if span is not None:
            first = span.end_line if closes else span.line
            if whole and not (opens or closes):
                self.occupied.update(range(span.line, span.end_line + 1))
            else:
                self.occupied.add(first)
        self.lines.append(_Line(depth, text, first, closes, opens, item))

    def block(self, depth: int, head: str, node: nodes.Node, body: Callable[[int], None], item: bool = False) -> None:
        """`head {`, the body one level deeper, then `}`."""
        self.emit(depth, head + " {", node.span, opens=True, item=item)
        body(depth + 1)
        self.emit(depth, "}", node.span, closes=True)

    def file(self, rule_file: nodes.RuleFile) -> None:
        """Every item of the file, in order."""
        for item in rule_file.items:
            getattr(self, "item_" + type(item).__name__.lower())(item, 0, True)

    def item_profile(self, profile: nodes.Profile, depth: int, item: bool = False) -> None:
        """`profile NAME { settings }`."""
        self.block(depth, f"profile {profile.name}", profile, lambda d: self.settings(profile.settings, d), item)

    def item_indicator(self, ind: nodes.Indicator, depth: int, item: bool = False) -> None:
        """`indicator NAME ["title"] [uses PROFILE] [{ settings }]`."""
        head = f"indicator {ind.name}"
        if ind.title is not None:
            head += " " + _string(ind.title)
        if ind.uses is not None:
            head += f" uses {ind.uses}"
        settings = ind.settings
        if settings is None:
            self.emit(depth, head, ind.span, item=item)
        else:
            self.block(depth, head, ind, lambda d: self.settings(settings, d), item)

    def item_group(self, group: nodes.Group, depth: int, item: bool = False) -> None:
        """`group NAME ["title"] { indicators }`."""
        head = f"group {group.name}" + (f" {_string(group.title)}" if group.title is not None else "")

        def body(d: int) -> None:
            for i in group.indicators:
                self.item_indicator(i, d)

        self.block(depth, head, group, body, item)

    def item_theme(self, theme: nodes.Theme, depth: int, item: bool = False) -> None:
        """`theme NAME ["title"] { scale, indicators, rating }`."""
        head = f"theme {theme.name}" + (f" {_string(theme.title)}" if theme.title is not None else "")

        def body(d: int) -> None:
            for s in theme.settings:
                self.theme_setting(s, d)

        self.block(depth, head, theme, body, item)

    def item_comparator(self, comparator: nodes.Comparator, depth: int, item: bool = False) -> None:
        """`comparator NAME ["title"] area "A"` or `mean of areas "A", "B"`."""
        head = f"comparator {comparator.name}"
        if comparator.title is not None:
            head += " " + _string(comparator.title)
        areas = ", ".join(_string(a) for a in comparator.areas)
        self.emit(depth, f"{head} mean of areas {areas}" if comparator.mean else f"{head} area {areas}",
                  comparator.span, item=item)

    def theme_setting(self, setting: nodes.ThemeSetting, depth: int) -> None:
        """One setting of a theme."""
        if isinstance(setting, nodes.Scale):
            self.emit(depth, _scale(setting), setting.span)
        elif isinstance(setting, nodes.Coverage):
            self.emit(depth, f"require at least {format_quantity(setting.minimum)} assessed", setting.span)
        elif isinstance(setting, nodes.Members):
            self.listing(depth, "indicators", setting.names, setting, [None] * len(setting.names), "", "",
                         _spread(setting.span))
        else:
            self.block(depth, "rating", setting, lambda d: self.clauses(setting.clauses, d))

    def settings(self, settings: tuple[nodes.Setting, ...], depth: int) -> None:
        """The settings of a profile or indicator, in their written order."""
        for setting in settings:
            self.setting(setting, depth)

    def setting(self, s: nodes.Setting, depth: int) -> None:
        """One setting: a block, a list, or a single line."""
        if isinstance(s, nodes.ArrowBlock):
            self.block(depth, "arrow", s, lambda d: self.statements(d, s.statements, _arrow_stmt))
        elif isinstance(s, nodes.TargetBlock):
            self.block(depth, "target", s, lambda d: self.statements(d, s.statements, _target_stmt))
        elif isinstance(s, nodes.RagBlock):
            self.block(depth, "rag", s, lambda d: self.rag_body(s, d))
        elif isinstance(s, nodes.LevelsBlock):
            self.block(depth, "levels", s, lambda d: self.statements(d, s.statements, _level_stmt))
        elif isinstance(s, nodes.ValueSetting) and isinstance(s.expr, nodes.Call):
            suffix = " as percent" if s.as_percent else ""
            self.listing(depth, f"value = {s.expr.func}(", [_expr(a) for a in s.expr.args], s,
                         [a.span for a in s.expr.args], ")", suffix, _spread(s.span, s.expr.args[0].span))
        else:
            self.emit(depth, _simple_setting(s), s.span)

    def statements(self, depth: int, statements: Sequence[_Stmt], text: Callable[[_Stmt], str]) -> None:
        """The statements of an arrow or target block, one per line."""
        for statement in statements:
            self.emit(depth, text(statement), statement.span)

    def listing(self, depth: int, head: str, entries: Sequence[str], node: nodes.Node, spans: Sequence[Span | None],
                close: str, suffix: str, spread: bool) -> None:
        """`head a, b, c close suffix` on one line, or (when spread) one entry per line."""
        if not spread:
            gap = "" if head.endswith("(") else " "
            self.emit(depth, f"{head}{gap}{', '.join(entries)}{close}{suffix}", node.span)
            return
        self.emit(depth, head, node.span, whole=False)
        for index, (entry, span) in enumerate(zip(entries, spans, strict=True)):
            self.emit(depth + 1, entry + ("," if index < len(entries) - 1 else ""), span)
        if close or suffix:
            self.emit(depth, close + suffix, node.span, closes=True)
        if node.span is not None:
            self.occupied.update(range(node.span.line, node.span.end_line + 1))

    def rag_body(self, rag: nodes.RagBlock, depth: int) -> None:
        """The optional scale, then the clauses."""
        if rag.scale is not None:
            self.emit(depth, _scale(rag.scale), rag.scale.span)
        self.clauses(rag.clauses, depth)

    def clauses(self, clauses: tuple[nodes.Clause, ...], depth: int) -> None:
        """First-match clauses, one per line, in their order (which is their meaning)."""
        for clause in clauses:
            label = clause.label + (f" {_string(clause.description)}" if clause.description is not None else "")
            text = f"{label} otherwise" if clause.condition is None else f"{label} when {_expr(clause.condition)}"
            self.emit(depth, text, clause.span)


def _spread(span: Span | None, first: Span | None = None) -> bool:
    """Whether a list was written one entry per line: its first entry (or its end) is below its start."""
    if span is None:
        return False
    return (first.line if first is not None else span.end_line) > span.line


def format_statement(node: nodes.Node) -> str:
    """One line of a rule file as the formatter writes it: a setting, an arrow or target statement, or an
    expression."""
    if isinstance(node, (nodes.CompareStmt, nodes.StaticStmt, nodes.PeakStmt)):
        return _arrow_stmt(node)
    if isinstance(node, (nodes.BaselineStmt, nodes.ChangeStmt, nodes.ReachStmt, nodes.PeriodTargetStmt,
                         nodes.TrajectoryStmt, nodes.AnnualStmt)):
        return _target_stmt(node)
    if isinstance(node, (nodes.UnitSetting, nodes.PolaritySetting, nodes.ValueSetting, nodes.FieldsSetting,
                         nodes.DecimalsSetting, nodes.FixedTarget, nodes.DataTarget)):
        return _simple_setting(node)
    if isinstance(node, nodes.LevelStmt):
        return _level_stmt(node)
    if isinstance(node, nodes.Expr):
        return format_expr(node)
    raise TypeError(f"cannot print {type(node).__name__}")  # what _atom says of any other node


def _simple_setting(s: nodes.Setting) -> str:
    if isinstance(s, nodes.UnitSetting):
        if s.kind != "rate":
            return f"unit {s.kind}"
        assert s.per is not None  # lowering gives every `unit rate` its `per N`
        return f"unit rate per {_number(s.per)}"
    if isinstance(s, nodes.PolaritySetting):
        if s.kind != "closer_to":
            return f"polarity {s.kind}"
        assert s.ideal is not None  # lowering gives every `polarity closer_to` its quantity
        return f"polarity closer_to {format_quantity(s.ideal)}"
    if isinstance(s, nodes.ValueSetting):
        return f"value = {_expr(s.expr)}" + (" as percent" if s.as_percent else "")
    if isinstance(s, nodes.FieldsSetting):
        return "fields " + ", ".join(s.names)
    if isinstance(s, nodes.DecimalsSetting):
        return f"decimals {s.places}"
    if isinstance(s, nodes.FixedTarget):
        return f"target {format_quantity(s.amount)}"
    if isinstance(s, nodes.DataTarget):
        return "target from data"
    raise TypeError(f"not a simple setting: {type(s).__name__}")


def _arrow_stmt(s: nodes.ArrowStmt) -> str:
    if isinstance(s, nodes.CompareStmt):
        return {"previous": "compare latest with previous", "year": "compare latest with same period last year",
                "mean": f"compare latest with mean of previous {s.count}",
                "trend": f"compare recent trend at {format_quantity(s.level) if s.level else ''}"}[s.method]
    if isinstance(s, nodes.StaticStmt):
        return f"static {'within' if s.inclusive else 'below'} {format_quantity(s.tolerance)}"
    return f"peak at {format_quantity(s.maximum)}"


def _level_stmt(s: nodes.LevelStmt) -> str:
    return f"{s.name} {format_quantity(s.amount)}"


def _annual(s: nodes.AnnualStmt) -> str:
    shares = ("by " + ", ".join(format_quantity(q) for q in s.shares)) if s.shares else "evenly"
    cumulative = " cumulative" if s.cumulative else ""
    return f"annual {format_quantity(s.amount)} in {s.period} profiled {shares}{cumulative}"


def _target_stmt(s: nodes.TargetStmt) -> str:
    if isinstance(s, nodes.AnnualStmt):
        return _annual(s)
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


def margin_words(margin: nodes.Margin) -> str:
    """`more than 5 pp short of target`, `target exceeded by at least 10 %`."""
    amount = f"{margin.bound} {format_quantity(margin.amount)}"
    if margin.side == "exceeded":
        return f"{margin.reference} exceeded by {amount}"
    return f"{amount} {'short of' if margin.side == 'short' else 'better than'} {margin.reference}"


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
    if isinstance(expr, nodes.Reaches):
        return f"{_wrapped(expr.left, 5)} reaches {_wrapped(expr.right, 5)}"
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
    if isinstance(expr, nodes.AtPeriod):
        return f"{expr.indicator} at {expr.period}"
    if isinstance(expr, nodes.Presence):
        return f"{'has' if expr.present else 'no'} {expr.thing}"
    if isinstance(expr, nodes.Margin):
        return margin_words(expr)
    if isinstance(expr, nodes.LevelRef):
        return expr.name
    if isinstance(expr, nodes.Significance):
        at = f" at {format_quantity(expr.level)}" if expr.level is not None else ""
        words = f"significantly {expr.outcome} {'from' if expr.outcome == 'different' else 'than'}"
        return f"{words} benchmark{at}"
    raise TypeError(f"cannot print {type(expr).__name__}")


# --- layout: comments and blank lines ------------------------------------------------------


def _layout(lines: list[_Line], comments: tuple[nodes.Comment, ...], occupied: set[int]) -> list[str]:
    """Put comments back among the printed lines, then keep the source's blank lines."""
    return _assemble(_with_comments(lines, comments), occupied)


def _with_comments(lines: list[_Line], comments: tuple[nodes.Comment, ...]) -> list[_Line]:
    """An own-line comment goes before the first line printed from after it (at that line's depth, one deeper
    before a closing brace); a trailing comment goes at the end of the last line printed from its line or
    before. The blank line that separates items moves above the comments that lead an item."""
    starts = _starts(lines)
    before: dict[int, list[nodes.Comment]] = {}
    trailing: dict[int, list[str]] = {}
    for comment in comments:
        line_no = comment.span.line if comment.span else 0
        index = bisect_right(starts, line_no)
        if comment.trailing and index > 0:
            trailing.setdefault(index - 1, []).append(comment.text)
        else:
            before.setdefault(index, []).append(comment)
    out: list[_Line] = []
    for index, line in enumerate(lines + [_Line(0, "")]):
        depth = line.depth + (1 if line.closes else 0) if index < len(lines) else 0
        for position, comment in enumerate(before.get(index, [])):
            out.append(_Line(depth, comment.text, comment.span.line if comment.span else None,
                             item=line.item and position == 0))
        if index < len(lines):
            text = "  ".join([line.text] + trailing.get(index, []))
            out.append(_Line(line.depth, text, line.first, line.closes, line.opens,
                             line.item and index not in before))
    return out


def _starts(lines: list[_Line]) -> list[int]:
    """The source line each printed line starts at, a line from no source taking the one before it."""
    starts: list[int] = []
    last = 0
    for line in lines:
        last = line.first if line.first is not None else last
        starts.append(last)
    return starts


def _assemble(entries: list[_Line], occupied: set[int]) -> list[str]:
    """The text: one blank line before each item (but within a run of one-line items) and wherever the source
    had blank lines (not after an opening line, nor before a closing one)."""
    out: list[str] = []
    previous: _Line | None = None
    for entry in entries:
        forced = entry.item and not (_one_line_item(entry) and previous is not None and _one_line_item(previous))
        wanted = forced or (not entry.closes and _blank_in_source(entry.first, occupied, previous))
        if wanted and out and out[-1] != "":
            out.append("")
        out.append(INDENT * entry.depth + entry.text if entry.text else "")
        previous = entry
    return out


def _one_line_item(line: _Line) -> bool:
    """A top-level item written on one line (`indicator x uses p`, a comparator): a run of them stays together."""
    return line.depth == 0 and not line.opens and not line.closes and bool(line.text) and \
        not line.text.startswith("#")


def _blank_in_source(line_no: int | None, occupied: set[int], previous: _Line | None) -> bool:
    """Whether the source had a blank line just before `line_no` (never right after an opening line)."""
    if line_no is None or previous is None or previous.opens:
        return False
    return line_no > 1 and (line_no - 1) not in occupied
