"""Exact numbers in SQL: an integer numerator expression over a positive denominator, never a float.

Data values are integers at one scale (value × 10^scale); rule numbers are fractions; sums bring both sides to a
common denominator and comparisons are cross-multiplied, so every test is decided on integers. A product grows
the denominator; nothing ever divides a row value. The denominator is a constant, times, for a value computed by
a division (a derived indicator's `a / b`), a positive integer that varies by row (`w`, a column beside the
value's): cross-multiplying by a positive number keeps every comparison's direction. Integer overflow is an
error in every engine lsprules runs (DuckDB's HUGEINT and Spark's ANSI decimals raise), never a wrong answer;
polars wraps around, so it runs a plan only when magnitude.py proves that no integer can overflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

from sqlglot import exp

# Dialects whose integer division sqlglot lowers to a float division: there a quotient is (n - n % d) / d.
FLOAT_INT_DIV = {"trino", "snowflake"}
# Dialects whose integer division is not exact on the plan's integers: n // d as a division of decimals, then
# cast to the plan's integer type.
DECIMAL_DIV = {"polars": exp.DataType.build("INT128"), "spark": exp.DataType.build("DECIMAL(38, 0)")}
PLACES = 6  # as core/csv_cells.csv_number rounds


def lit(value: int, int_type: exp.DataType) -> exp.Expression:
    """An integer literal of the wide integer type: an engine folding two small literals into a product must
    not overflow a 32-bit integer, nor read a long one as a float."""
    literal = exp.cast(exp.Literal.number(abs(value)), int_type)
    return exp.Neg(this=literal) if value < 0 else literal


@dataclass(frozen=True)
class Num:
    """An exact value: `n` (an integer SQL expression, NULL when unknown) divided by the constant `d` > 0 and by
    `w`, an integer expression > 0 on every row (None: 1)."""

    n: exp.Expression
    d: int
    w: exp.Expression | None = None

    @staticmethod
    def const(value: Fraction, int_type: exp.DataType) -> Num:
        """A rule's number."""
        return Num(lit(value.numerator, int_type), value.denominator)

    def over(self, d: int, int_type: exp.DataType) -> exp.Expression:
        """The numerator of this value over denominator `d` × w, `d` a multiple of its own."""
        factor = d // self.d
        return self.n if factor == 1 else exp.Mul(this=_paren(self.n), expression=lit(factor, int_type))


def _common(a: Num, b: Num, int_type: exp.DataType) -> tuple[exp.Expression, exp.Expression, int,
                                                                exp.Expression | None]:
    """The numerators of a and b over one denominator, that denominator's constant and its row factor."""
    d = lcm(a.d, b.d)
    left, right = a.over(d, int_type), b.over(d, int_type)
    if a.w is None and b.w is None:
        return left, right, d, None
    if a.w is not None and a.w == b.w:  # the same factor (a value and a target worked out from it)
        return left, right, d, a.w
    if b.w is None:
        return left, _times(right, a.w), d, a.w
    if a.w is None:
        return _times(left, b.w), right, d, b.w
    return _times(left, b.w), _times(right, a.w), d, exp.Mul(this=_paren(a.w), expression=_paren(b.w))


def _times(n: exp.Expression, w: exp.Expression | None) -> exp.Expression:
    return n if w is None else exp.Mul(this=_paren(n), expression=_paren(w.copy()))


def add(a: Num, b: Num, int_type: exp.DataType, op: str = "+") -> Num:
    """a + b (or a - b)."""
    left, right, d, w = _common(a, b, int_type)
    node = exp.Add if op == "+" else exp.Sub
    return Num(node(this=_paren(left), expression=_paren(right)), d, w)


def mul(a: Num, b: Num) -> Num:
    """a × b."""
    w = a.w if b.w is None else b.w if a.w is None else exp.Mul(this=_paren(a.w), expression=_paren(b.w))
    return Num(exp.Mul(this=_paren(a.n), expression=_paren(b.n)), a.d * b.d, w)


def neg(a: Num) -> Num:
    """-a."""
    return Num(exp.Neg(this=_paren(a.n)), a.d, a.w)


def absolute(a: Num) -> Num:
    """|a| (w > 0: the numerator's)."""
    return Num(exp.Abs(this=a.n), a.d, a.w)


def at_least_zero(a: Num, int_type: exp.DataType) -> Num:
    """max(0, a), unknown when a is (GREATEST would skip a NULL in most engines)."""
    return Num(exp.Case().when(exp.LT(this=_paren(a.n), expression=lit(0, int_type)), lit(0, int_type))
               .else_(a.n), a.d, a.w)


def divide(a: Num, b: Num, int_type: exp.DataType) -> Num:
    """a / b, NULL where b is 0 (the interpreter's `division by zero`) or unknown: (na × db × wb) / (da × wa × |nb|),
    with b's sign on the numerator, so that the row factor stays > 0."""
    top = _times(a.n.copy(), b.w)
    if b.d != 1:
        top = exp.Mul(this=_paren(top), expression=lit(b.d, int_type))
    signed = exp.Case().when(exp.GT(this=_paren(b.n.copy()), expression=lit(0, int_type)), top).when(
        exp.LT(this=_paren(b.n.copy()), expression=lit(0, int_type)), exp.Neg(this=_paren(top.copy())))
    w = exp.Abs(this=b.n.copy())
    return Num(signed, a.d, w if a.w is None else exp.Mul(this=_paren(a.w.copy()), expression=_paren(w)))


def extreme(values: list[Num], op: str, int_type: exp.DataType) -> Num:
    """The greatest (op ">=") or least ("<=") of values, NULL when any is unknown (a GREATEST skips a NULL in most
    engines): the first that is op every later one, else the last."""
    if len(values) == 1:
        return values[0]
    unknown = exp.or_(*(exp.Is(this=_paren(v.n.copy()), expression=exp.null()) for v in values))
    whens: list[tuple[exp.Expression, Num | None]] = [(unknown, None)]
    for k, value in enumerate(values[:-1]):
        wins = exp.and_(*(exp.Paren(this=compare(op, _copy(value), _copy(later), int_type))
                          for later in values[k + 1:]))
        whens.append((wins, _copy(value)))
    return case(whens, _copy(values[-1]), int_type)


def _copy(a: Num) -> Num:
    """The same value in new nodes: a node of a syntax tree has one place in it."""
    return Num(a.n.copy(), a.d, a.w.copy() if a.w is not None else None)


COMPARISONS: dict[str, type[exp.Expression]] = {
    ">=": exp.GTE, "<=": exp.LTE, ">": exp.GT, "<": exp.LT, "==": exp.EQ, "!=": exp.NEQ}


def compare(op: str, a: Num, b: Num, int_type: exp.DataType) -> exp.Expression:
    """a op b, cross-multiplied: NULL when either side is unknown, as three-valued logic wants."""
    left, right, _, _ = _common(a, b, int_type)
    return COMPARISONS[op](this=_paren(left), expression=_paren(right))


def case(whens: list[tuple[exp.Expression, Num | None]], default: Num | None, int_type: exp.DataType) -> Num:
    """CASE over exact values (None: unknown), brought to one constant denominator; the row factor, when they
    share none, a CASE of its own (1 where a value has none, or is unknown)."""
    values = [n for _, n in whens if n is not None] + ([default] if default is not None else [])
    d = lcm(*(n.d for n in values), 1)
    node = exp.Case()
    for condition, value in whens:
        node = node.when(condition, value.over(d, int_type) if value is not None else exp.null())
    if default is not None:
        node = node.else_(default.over(d, int_type))
    factors = [n.w for n in values]
    if all(w is None for w in factors):
        return Num(node, d)
    if all(w is not None and w == factors[0] for w in factors):  # one row factor (a target from the baseline)
        return Num(node, d, factors[0])
    factor = exp.Case()
    for condition, value in whens:
        factor = factor.when(condition.copy(), _factor(value, int_type))
    return Num(node, d, factor.else_(_factor(default, int_type)))


def _factor(value: Num | None, int_type: exp.DataType) -> exp.Expression:
    return value.w.copy() if value is not None and value.w is not None else lit(1, int_type)


def quotient(n: exp.Expression, d: exp.Expression, dialect: str,
             int_type: exp.DataType | None = None) -> exp.Expression:
    """n // d for n >= 0 and d > 0, in integers (of `int_type`, for polars), in any dialect."""
    if dialect == "polars" and int_type is not None and int_type.is_type(exp.DataType.Type.BIGINT):
        return exp.IntDiv(this=_paren(n), expression=_paren(d))  # polars' DIV gives 64 bits: all there is
    if dialect in DECIMAL_DIV:
        # polars' integer division casts its result to 64 bits (NULL beyond) and `/` is a float division; Spark's
        # DIV gives a 64-bit integer that wraps around silently, even in ANSI mode (a test caught it). A division
        # of 38-digit decimals is exact here: (n - n % d) is a multiple of d.
        decimal = exp.DataType.build("DECIMAL(38, 0)")
        whole = exp.Sub(this=_paren(n), expression=exp.Mod(this=_paren(n), expression=_paren(d)))
        return exp.cast(exp.Div(this=exp.cast(whole, decimal), expression=exp.cast(d, decimal), typed=True),
                        int_type or DECIMAL_DIV[dialect])
    if dialect in FLOAT_INT_DIV:
        remainder = exp.Mod(this=_paren(n), expression=_paren(d))
        # typed: the operands are exact numbers and the quotient is whole, so no engine may make it a float
        return exp.Div(this=exp.Paren(this=exp.Sub(this=_paren(n), expression=remainder)), expression=_paren(d),
                       typed=True)
    return exp.IntDiv(this=_paren(n), expression=_paren(d))


def number_parts(name: str, n: exp.Expression, d: exp.Expression, dialect: str,
                 int_type: exp.DataType) -> list[exp.Expression]:
    """First step of a number cell n / d (d > 0): columns NAME_neg (n < 0) and NAME_q (|n| / d × 10^6 rounded half
    away from zero; NULL when n is). In a layer of its own, so that no engine copies a big expression."""
    size = exp.Abs(this=n.copy())
    two_d = exp.Mul(this=lit(2, int_type), expression=_paren(d.copy()))
    scaled = exp.Add(this=exp.Mul(this=exp.Mul(this=lit(2, int_type), expression=size),
                                  expression=lit(10**PLACES, int_type)), expression=_paren(d.copy()))
    return [exp.LT(this=_paren(n.copy()), expression=lit(0, int_type)).as_(f"{name}_neg"),
            quotient(scaled, two_d, dialect, int_type).as_(f"{name}_q")]


def number_text(name: str, dialect: str, int_type: exp.DataType) -> exp.Expression:
    """Second step: the text core/csv_cells.csv_number gives the value: whole values as they are, others rounded
    half away from zero to at most six places, trailing zeros dropped; '' when unknown. A whole n / d has
    NAME_q = |n| / d × 10^6 exactly, so its text is its integer part."""
    q, unit = exp.column(f"{name}_q"), lit(10**PLACES, int_type)
    text = exp.DataType.build("VARCHAR")
    if dialect == "polars" and int_type.is_type(exp.DataType.Type.BIGINT):
        return _decimal_text(q, exp.column(f"{name}_neg"))
    whole = exp.cast(quotient(q.copy(), unit.copy(), dialect, int_type), text)
    fraction = exp.Mod(this=q.copy(), expression=unit.copy())
    # the six places with their zeros in front: 10^6 + fraction, less its leading 1
    places = exp.Substring(this=exp.cast(exp.Add(this=fraction.copy(), expression=unit.copy()), text),
                           start=exp.Literal.number(2), length=exp.Literal.number(PLACES))
    trimmed = exp.Trim(this=places, expression=exp.Literal.string("0"), position="TRAILING")
    dotted = exp.Case().when(exp.EQ(this=fraction, expression=lit(0, int_type)), exp.Literal.string("")).else_(
        exp.DPipe(this=exp.Literal.string("."), expression=trimmed, safe=True))
    sign = exp.Case().when(exp.column(f"{name}_neg"), exp.Literal.string("-")).else_(exp.Literal.string(""))
    return (exp.Case().when(exp.Is(this=q.copy(), expression=exp.null()), exp.Literal.string(""))
            .when(exp.EQ(this=q.copy(), expression=lit(0, int_type)), exp.Literal.string("0"))
            .else_(exp.DPipe(this=exp.DPipe(this=sign, expression=whole, safe=True), expression=dotted, safe=True)))


def _decimal_text(q: exp.Expression, negative: exp.Expression) -> exp.Expression:
    """number_text in polars, for q < 10^18: polars writes a DECIMAL(38, 6) with all six places, so q / 10^6 as
    one, less its trailing zeros and then a trailing point, is the text, in three steps on text instead of eight."""
    signed = exp.Case().when(negative, exp.Neg(this=q.copy())).else_(q.copy())
    decimal = exp.Div(this=exp.cast(signed, exp.DataType.build(f"DECIMAL(38, {PLACES})")),
                      expression=exp.cast(exp.Literal.number(10**PLACES), exp.DataType.build("DECIMAL(38, 0)")),
                      typed=True)
    written = exp.cast(decimal, exp.DataType.build("VARCHAR"))
    trimmed = exp.Trim(this=exp.Trim(this=written, expression=exp.Literal.string("0"), position="TRAILING"),
                       expression=exp.Literal.string("."), position="TRAILING")
    return exp.Coalesce(this=trimmed, expressions=[exp.Literal.string("")])


def _paren(node: exp.Expression) -> exp.Expression:
    if isinstance(node, (exp.Column, exp.Literal, exp.Paren, exp.Case, exp.Abs, exp.Cast, exp.Null)):
        return node
    return exp.Paren(this=node)
