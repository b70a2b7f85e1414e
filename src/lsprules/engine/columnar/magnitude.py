"""The largest integer any step of a compiled plan can reach, worked out from the plan's tree before it runs.

An engine whose integers wrap around on overflow (polars: Int128 arithmetic is modular) runs a plan only when
this bound is within its range, so an answer it gives is never a wrapped one. The bound follows the plan layer by
layer: a column's bound is the largest of the expressions that define it, a sum's is the sum of its operands', a
product's their product. Anything it does not know is unbounded: the run then falls back rather than guesses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from sqlglot import exp

from lsprules.engine.columnar.derived import MOST_PER_YEAR

UNBOUNDED = 2**1024  # beyond any engine's integers
SMALL = 2**31  # lengths and positions in text, row numbers of a window: within 32 (or 64) bits in every engine
ROWS = 2**63
# Nodes whose value is text: what counts are the integers inside them; cast to a number, text is as large as the
# type allows (but for a fixed number of digits).
TEXTS = (exp.DPipe, exp.Lower, exp.Upper, exp.Trim, exp.Substring, exp.Pad, exp.Replace, exp.Anonymous,
         exp.GroupConcat, exp.ConcatWs, exp.Concat)
# Nodes whose value is a truth value: again only the integers inside them count.
TRUTHS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.And, exp.Or, exp.Not, exp.Boolean)
CAPACITY = {exp.DataType.Type.INT: SMALL, exp.DataType.Type.BIGINT: ROWS}


def largest(plan: exp.Select, numbers: Mapping[str, int], texts: Iterable[str]) -> int:
    """The largest magnitude of any integer the plan computes, given the largest of each input column that holds
    numbers (written as text or not) and the names of those that hold other text."""
    bounds = _Bounds(dict(numbers), set(texts))
    with_ = plan.args.get("with")
    for cte in with_.expressions if with_ else []:
        bounds.layer(cte.this)
    bounds.layer(plan)
    return bounds.most


class _Bounds:
    def __init__(self, columns: dict[str, int], texts: set[str]):
        self.columns = columns | dict.fromkeys(texts, 0)
        self.texts = texts
        self.most = max(columns.values(), default=0)

    def layer(self, select: exp.Expression) -> None:
        """Every expression of one SELECT; the bound of each output column, for the layers after it."""
        if isinstance(select, exp.Union) and not select.args.get("distinct"):  # UNION ALL: each part's bounds
            self.layer(select.this)
            self.layer(select.expression)
            return
        if not isinstance(select, exp.Select):
            self.most = UNBOUNDED
            return
        for values in select.find_all(exp.Values):
            self._values(values)
        parts: list[exp.Expression | None] = [select.args.get("where"), select.args.get("group"),
                                              select.args.get("order")]
        parts.extend(join.args.get("on") for join in select.args.get("joins") or [])
        for part in parts:
            if part is not None:
                self.of(part)
        for projection in select.expressions:
            if isinstance(projection, exp.Star):
                continue
            name = projection.alias_or_name
            self.columns[name] = max(self.columns.get(name, 0), self.of(projection))
            if self.is_text(projection.this if isinstance(projection, exp.Alias) else projection):
                self.texts.add(name)

    def _values(self, values: exp.Values) -> None:
        names = [c.name for c in values.args["alias"].columns] if values.args.get("alias") else []
        for row in values.expressions:
            for name, cell in zip(names, row.expressions, strict=False):
                bound = _number(cell) if isinstance(cell, exp.Literal) and not cell.is_string else 0
                self.columns[name] = max(self.columns.get(name, 0), bound)

    def of(self, node: exp.Expression) -> int:
        """The bound of one expression (and of every integer inside it, kept in `most`)."""
        bound = self._of(node)
        self.most = max(self.most, bound)
        return bound

    def _of(self, node: exp.Expression) -> int:
        rule = RULES.get(type(node))
        if rule is not None:
            return rule(self, node)
        if isinstance(node, exp.Literal):
            return 0 if node.is_string else _number(node)
        if isinstance(node, exp.Column):
            return self.columns.get(node.name, UNBOUNDED)
        if isinstance(node, (*TRUTHS, *TEXTS)):
            self._all(node.iter_expressions())
            return 0
        return UNBOUNDED

    def _all(self, nodes: Iterable[exp.Expression]) -> list[int]:
        return [self.of(n) for n in nodes]

    def first(self, node: exp.Expression) -> int:
        """The bound of the node's first operand; the others are looked at for their own integers."""
        found = self._all(node.iter_expressions())
        return found[0] if found else 0

    def this(self, node: exp.Expression) -> int:
        """The bound of the node's one operand (an alias: of what it names)."""
        return self.of(node.this)

    def widest(self, node: exp.Expression) -> int:
        """The largest bound among the node's operands (MAX, COALESCE, GREATEST)."""
        return max(self._all(node.iter_expressions()), default=0)

    def case(self, node: exp.Expression) -> int:
        results = [self.of(w.args["true"]) for w in node.args.get("ifs") or []]
        for w in node.args.get("ifs") or []:
            self.of(w.this)
        default = node.args.get("default")
        return max([*results, self.of(default) if default is not None else 0])

    def cast(self, node: exp.Expression) -> int:
        inner, to = node.this, node.args["to"]
        bound = self.of(inner)
        if to.is_type(*exp.DataType.TEXT_TYPES):
            return bound  # a number as text keeps its magnitude, for a cast back
        if isinstance(inner, exp.Substring) and isinstance(inner.args.get("length"), exp.Literal):
            digits: int = 10 ** int(inner.args["length"].name)  # that many digits of a text cell
            return digits
        limit = CAPACITY.get(to.this, UNBOUNDED)
        if to.is_type(exp.DataType.Type.DECIMAL) and len(to.expressions) == 2:
            precision, scale = (int(e.this.name) for e in to.expressions)
            limit = 10 ** (precision - scale)
        return limit if self.is_text(inner) else min(bound, limit)  # text: as large as the type allows

    def is_text(self, node: exp.Expression) -> bool:
        """Whether an expression may be text that is not a number of known magnitude."""
        if isinstance(node, TEXTS) or (isinstance(node, exp.Literal) and node.is_string):
            return True
        if isinstance(node, exp.Column):
            return node.name in self.texts
        if isinstance(node, (exp.Cast, exp.Paren, exp.Coalesce)):
            return self.is_text(node.this)
        if isinstance(node, exp.Case):
            results = [w.args["true"] for w in node.args.get("ifs") or []] + [node.args.get("default")]
            return any(self.is_text(r) for r in results if r is not None)
        return False

    def add(self, node: exp.Expression) -> int:
        return sum(self._all((node.this, node.expression)))

    def mul(self, node: exp.Expression) -> int:
        return self.of(node.this) * self.of(node.expression)

    def mod(self, node: exp.Expression) -> int:
        return min(self._all((node.this, node.expression)))

    def small(self, node: exp.Expression) -> int:
        self._all(node.iter_expressions())
        return SMALL

    def rows(self, node: exp.Expression) -> int:
        return ROWS

    def window(self, node: exp.Expression) -> int:
        """A window's function: a running sum over a year (the plan's only sums over windows: one row per area and
        period, derived.TO_DATE_SUM) is at most its term times the periods of a year; a row number or count, at most
        the rows."""
        function = node.this
        if isinstance(function, exp.Sum):
            return self.of(function.this) * MOST_PER_YEAR
        self._all(function.iter_expressions())
        return ROWS


def _number(literal: exp.Literal) -> int:
    try:
        return int(abs(Decimal(literal.name)).to_integral_value(rounding="ROUND_CEILING"))
    except ArithmeticError:
        return UNBOUNDED


RULES: dict[type[exp.Expression], Callable[[_Bounds, exp.Expression], int]] = {
    exp.Paren: _Bounds.first, exp.Neg: _Bounds.first, exp.Abs: _Bounds.first, exp.Alias: _Bounds.this,
    exp.Where: _Bounds.first, exp.Identifier: _Bounds.widest,
    exp.IntDiv: _Bounds.first, exp.Div: _Bounds.first,  # the plan divides only by positive whole numbers
    exp.Max: _Bounds.widest, exp.Min: _Bounds.widest, exp.Coalesce: _Bounds.widest, exp.Greatest: _Bounds.widest,
    exp.Least: _Bounds.widest,
    exp.Null: _Bounds.widest, exp.Case: _Bounds.case, exp.Cast: _Bounds.cast, exp.Add: _Bounds.add,
    exp.Sub: _Bounds.add, exp.Mul: _Bounds.mul, exp.Mod: _Bounds.mod, exp.Length: _Bounds.small,
    exp.StrPosition: _Bounds.small, exp.Window: _Bounds.window, exp.Group: _Bounds.widest, exp.Order: _Bounds.widest,
    exp.Ordered: _Bounds.first,
}
