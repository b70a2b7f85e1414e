"""The model behind the bands analysis: what an indicator's RAG clauses can see, and how they judge it.

A RAG clause tests the latest value, the target, and facts such as the arrow. For the analysis, a *case* is
one value on the value axis, one target, and one combination of the other facts (arrow, gap, on trajectory,
comparisons with the previous value...). `judge` decides every clause in a case exactly as the interpreter
does (exact fractions, three-valued logic), so that what the analysis proves is what evaluation will do.
Breakpoints are the values where some test changes its answer: between two neighbouring breakpoints every
test answers the same, so one value stands for all of them and the analysis is exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from itertools import combinations, product
from typing import Final

from lsprules.core.numbers import HUNDRED, exact
from lsprules.core.polarity import CLOSER, HIGHER, LOWER, Polarity
from lsprules.lang import nodes
from lsprules.lang.conditions import decide
from lsprules.lang.printer import format_expr
from lsprules.lang.resolve import walk

ARROW_KINDS = ("up", "static", "down", "peak")
OTHER = "other"  # any arrow kind (or gap movement) that no clause names


@dataclass(frozen=True)
class Context:
    """What an indicator's settings fix for its RAG clauses."""

    polarity: Polarity  # which way is better, as the interpreter judges it
    target: Fraction | None  # a constant target, when the rules fix one
    has_target: bool  # False: the indicator has no target at all, so target facts are never known
    trajectory_is_target: bool  # the trajectory equals the target (fixed, flat or profiled targets)
    peak: Fraction | None  # `peak at Q`: the arrow is ★ at or beyond Q
    minimum: Fraction | None  # the lowest possible value (0 for counts)

    @property
    def ideal(self) -> Fraction | None:
        """The ideal value when closer to it is better; None for the other polarities."""
        return self.polarity.ideal if self.polarity.kind == CLOSER else None


@dataclass(frozen=True)
class Line:
    """A breakpoint p × target + q: a constant when p is 0."""

    p: Fraction
    q: Fraction

    def at(self, target: Fraction | None) -> Fraction:
        """The breakpoint's value for a given target."""
        return self.q if self.p == 0 or target is None else self.p * target + self.q


@dataclass(frozen=True)
class Case:
    """One combination of facts other than the value and the target."""

    arrow: str | None = None
    gap: str | None = None  # how the gap moved since the earlier value: 'more', 'equal' or 'less' shortfall before
    on_trajectory: bool | None = None  # when the trajectory is not the target, a free fact
    opaque: tuple[tuple[str, bool], ...] = ()  # answers of comparisons the analysis cannot place on the axis
    previous: bool | None = None  # whether there is a previous value, when a clause asks (`no previous value`)

    def answer(self, key: str) -> bool | None:
        """The answer this case gives to an opaque comparison."""
        return dict(self.opaque).get(key)


# --- linear forms: where a comparison changes its answer ------------------------------------------------


@dataclass(frozen=True)
class Form:
    """a × value + b × target + c: a comparison side that is linear in the value and the target."""

    a: Fraction = Fraction(0)
    b: Fraction = Fraction(0)
    c: Fraction = Fraction(0)

    def __add__(self, other: Form) -> Form:
        return Form(self.a + other.a, self.b + other.b, self.c + other.c)

    def scaled(self, k: Fraction) -> Form:
        """This form times a constant."""
        return Form(self.a * k, self.b * k, self.c * k)

    @property
    def constant(self) -> bool:
        """Whether the form depends on neither the value nor the target."""
        return self.a == 0 and self.b == 0


def linear(expr: nodes.Expr, ctx: Context) -> Form | None:
    """The expression as a linear form, or None when it is not linear or uses other facts."""
    if isinstance(expr, nodes.Quantity):
        return Form(c=exact(expr.value))
    if isinstance(expr, nodes.Ref):
        return _ref_form(expr.which, ctx)
    if isinstance(expr, nodes.Negate):
        inner = linear(expr.operand, ctx)
        return None if inner is None else inner.scaled(Fraction(-1))
    if isinstance(expr, nodes.Arith):
        return _arith_form(expr, ctx)
    if isinstance(expr, nodes.Call):
        return _call_form(expr, ctx)
    return None


def _ref_form(which: str, ctx: Context) -> Form | None:
    if which == "value":
        return Form(a=Fraction(1))
    if which == "target" or (which == "trajectory" and ctx.trajectory_is_target):
        return Form(c=ctx.target) if ctx.target is not None else Form(b=Fraction(1))
    return None


def _arith_form(expr: nodes.Arith, ctx: Context) -> Form | None:
    left, right = linear(expr.left, ctx), linear(expr.right, ctx)
    if left is None or right is None:
        return None
    if expr.op == "+":
        return left + right
    if expr.op == "-":
        return left + right.scaled(Fraction(-1))
    if expr.op == "*":
        if left.constant:
            return right.scaled(left.c)
        return left.scaled(right.c) if right.constant else None
    return left.scaled(1 / right.c) if right.constant and right.c != 0 else None


def _call_form(expr: nodes.Call, ctx: Context) -> Form | None:
    maybe = [linear(arg, ctx) for arg in expr.args]
    forms = [f for f in maybe if f is not None]
    if len(forms) != len(maybe) or not forms:
        return None
    total = sum(forms[1:], forms[0])
    if expr.func == "sum":
        return total
    if expr.func == "mean":
        return total.scaled(Fraction(1, len(forms)))
    if all(f.constant for f in forms) and expr.func in ("min", "max"):
        pick = min if expr.func == "min" else max
        return Form(c=pick(f.c for f in forms))
    return None


def reaches_as_compare(reaches: nodes.Reaches, ctx: Context) -> nodes.Compare | None:
    """`A reaches B` as the comparison it is for a polarity with a direction; None for closer_to."""
    op = {HIGHER: ">=", LOWER: "<="}.get(ctx.polarity.kind)
    return None if op is None else nodes.Compare(op, reaches.left, reaches.right, span=reaches.span)


def comparison_lines(compare: nodes.Compare, ctx: Context) -> tuple[list[Line], list[Fraction]] | None:
    """Where a comparison changes its answer: value breakpoints and target thresholds; None if opaque."""
    left, right = linear(compare.left, ctx), linear(compare.right, ctx)
    if left is None or right is None:
        return None
    diff = left + right.scaled(Fraction(-1))
    if diff.a != 0:
        return [Line(-diff.b / diff.a, -diff.c / diff.a)], []
    if diff.b != 0:
        return [], [-diff.c / diff.b]
    return [], []


# --- facts: where they change their answer --------------------------------------------------------------


_ZERO = Line(Fraction(0), Fraction(0))


def fact_lines(fact: nodes.Expr, ctx: Context) -> list[Line]:
    """Candidate breakpoints of a fact (a superset is harmless: it only makes the regions finer)."""
    if isinstance(fact, nodes.TargetMet) or (isinstance(fact, nodes.OnTrajectory) and ctx.trajectory_is_target):
        return _around_target(ctx, [_ZERO])
    if isinstance(fact, (nodes.WithinTarget, nodes.TargetExceeded)):
        return _around_target(ctx, [_ZERO, _margin(fact.margin)])
    if isinstance(fact, nodes.Margin) and not free_margin(fact, ctx):
        return _around_target(ctx, [_ZERO, _margin(fact.amount)])
    if isinstance(fact, nodes.GapState):
        return [Line(Fraction(0), _ideal(ctx) if ctx.polarity.kind == CLOSER else Fraction(0))]
    return []


def free_margin(fact: nodes.Margin, ctx: Context) -> bool:
    """A margin the model cannot place, so each case answers it: from a trajectory that is not the target, or
    from a reference level (the data may give it per area and period, whatever the rules declare)."""
    return level_margin(fact) or (fact.reference == "trajectory" and not ctx.trajectory_is_target)


def level_margin(fact: nodes.Margin) -> bool:
    """A margin from a reference level (trigger, floor...), which does not depend on the target."""
    return fact.reference not in ("target", "trajectory")


def _margin(margin: nodes.Quantity) -> Line:
    """A margin as an offset from the target: absolute, or a share of the target (for |target|, both signs
    of the offset are drawn anyway)."""
    m = exact(margin.value)
    return Line(m / HUNDRED, Fraction(0)) if margin.unit == "%" else Line(Fraction(0), m)


def _around_target(ctx: Context, offsets: list[Line]) -> list[Line]:
    """Lines target ± offset (and their mirror images about the ideal, when closer is better)."""
    bases = [Line(Fraction(1), Fraction(0))]
    if ctx.polarity.kind == CLOSER:
        bases.append(Line(Fraction(-1), 2 * _ideal(ctx)))
    lines = [Line(base.p + sign * off.p, base.q + sign * off.q)
             for base in bases for off in offsets for sign in (1, -1)]
    return [_fix_target(line, ctx) for line in lines]


def _ideal(ctx: Context) -> Fraction:
    """The ideal of a closer_to indicator."""
    return ctx.polarity.ideal


def _fix_target(line: Line, ctx: Context) -> Line:
    """With a constant target, a line is a constant."""
    if ctx.target is None or line.p == 0:
        return line
    return Line(Fraction(0), line.p * ctx.target + line.q)


def context_lines(ctx: Context) -> list[Line]:
    """Breakpoints the context itself brings: the peak (★), the lowest possible value, and the ideal (where
    the arrow cannot be down)."""
    lines = [Line(Fraction(0), ctx.ideal)] if ctx.ideal is not None else []
    if ctx.peak is not None:
        lines.append(Line(Fraction(0), ctx.peak))
        if ctx.polarity.kind == CLOSER:
            lines.append(Line(Fraction(0), 2 * _ideal(ctx) - ctx.peak))
    if ctx.minimum is not None:
        lines.append(Line(Fraction(0), ctx.minimum))
    return lines


def target_thresholds(lines: list[Line], extra: list[Fraction], ctx: Context) -> list[Fraction]:
    """Targets at which the order of the breakpoints can change: where two lines cross, 0 and the ideal."""
    found = set(extra) | {Fraction(0)}
    if ctx.ideal is not None:
        found.add(ctx.ideal)
    for one, two in combinations(set(lines), 2):
        if one.p != two.p:
            found.add((two.q - one.q) / (one.p - two.p))
    return sorted(found)


# A region of values: (low, low_closed, high, high_closed), None for an open end.
Region = tuple[Fraction | None, bool, Fraction | None, bool]


def representatives(points: list[Fraction], minimum: Fraction | None) -> list[tuple[Fraction, Region]]:
    """One value per region between and at the points: (value, (low, low_closed, high, high_closed))."""
    points = sorted({p for p in points if minimum is None or p >= minimum})
    out: list[tuple[Fraction, Region]] = []
    if not points:
        low = minimum
        return [(low if low is not None else Fraction(0), (low, low is not None, None, False))]
    if minimum is None or points[0] > minimum:
        out.append((points[0] - 1 if minimum is None else (minimum + points[0]) / 2,
                    (minimum, minimum is not None, points[0], False)))
    for index, point in enumerate(points):
        out.append((point, (point, True, point, True)))
        if index + 1 < len(points):
            out.append(((point + points[index + 1]) / 2, (point, False, points[index + 1], False)))
    out.append((points[-1] + 1, (points[-1], False, None, False)))
    return out


# --- judging the clauses in one case -------------------------------------------------------------------


class Judge:
    """Decides conditions for one value, one target and one case, as the interpreter would."""

    def __init__(self, ctx: Context, value: Fraction | None, target: Fraction | None, case: Case,
                 opaque: dict[int, str] | None = None):
        self.ctx = ctx
        self.value = value
        self.target = target if ctx.has_target else None
        self.case = case
        self.opaque = opaque or {}
        self.polarity = ctx.polarity

    def condition(self, expr: nodes.Expr) -> bool | None:
        """True, False, or None (unknown), in three-valued logic."""
        return decide(expr, self._leaf)

    def _leaf(self, node: nodes.Expr) -> bool | None:
        if isinstance(node, nodes.Significance):  # decided by the data's counts: a free fact here
            return self.case.answer(self.opaque[id(node)])
        if isinstance(node, nodes.Reaches):
            key = self.opaque.get(id(node))
            if key is not None:  # a level the data may give, or closer_to: the case says how it comes out
                return None if self.number(node.left) is None else self.case.answer(key)
            as_compare = reaches_as_compare(node, self.ctx)
            assert as_compare is not None  # dimensions() makes every Reaches it cannot place opaque
            return self.compare(as_compare)
        return self.compare(node) if isinstance(node, nodes.Compare) else self.fact(node)

    def compare(self, expr: nodes.Compare) -> bool | None:
        """A comparison: exact, or as the case says for one the analysis cannot place on the value axis."""
        left, right = self.number(expr.left), self.number(expr.right)
        if left is None or right is None:
            return None
        key = self.opaque.get(id(expr))
        if key is not None:  # the case says how it comes out
            return self.case.answer(key)
        if left is _OPAQUE or right is _OPAQUE:
            return None
        return {">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right,
                "==": left == right, "!=": left != right}[expr.op]

    def number(self, expr: nodes.Expr) -> Fraction | None | _Opaque:
        """A number, None when unknown, or _OPAQUE when it depends on facts outside the model."""
        if isinstance(expr, nodes.Quantity):
            return exact(expr.value)
        if isinstance(expr, nodes.Ref):
            if expr.which == "value":
                return self.value
            if expr.which == "target" or (expr.which == "trajectory" and self.ctx.trajectory_is_target):
                return self.target
            return _OPAQUE
        if isinstance(expr, nodes.Negate):
            inner = self.number(expr.operand)
            return inner if inner is None or inner is _OPAQUE else -inner
        if isinstance(expr, nodes.Arith):
            return self._arith(expr)
        if isinstance(expr, nodes.Call):
            return self._call(expr)
        return _OPAQUE

    def _arith(self, expr: nodes.Arith) -> Fraction | None | _Opaque:
        left, right = self.number(expr.left), self.number(expr.right)
        if left is _OPAQUE or right is _OPAQUE:
            return _OPAQUE
        if left is None or right is None:
            return None
        if expr.op == "/":
            return None if right == 0 else left / right
        return {"+": left + right, "-": left - right, "*": left * right}[expr.op]

    def _call(self, expr: nodes.Call) -> Fraction | None | _Opaque:
        maybe = [self.number(a) for a in expr.args]
        if any(a is _OPAQUE for a in maybe) or expr.func not in ("sum", "min", "max", "mean"):
            return _OPAQUE
        args = [a for a in maybe if a is not None and a is not _OPAQUE]
        if len(args) != len(maybe):  # some argument is unknown
            return None
        if expr.func == "sum":
            return sum(args, Fraction(0))
        if expr.func == "mean":
            return sum(args, Fraction(0)) / len(args)
        return min(args) if expr.func == "min" else max(args)

    def fact(self, expr: nodes.Expr) -> bool | None:
        """A fact: arrow, trajectory, target, gap, presence."""
        if isinstance(expr, nodes.ArrowIs):
            return self._arrow_is(expr)
        if isinstance(expr, nodes.Presence):
            return self._presence(expr)
        if self.value is None:  # no data: every fact about the value is unknown
            return None
        if isinstance(expr, nodes.OnTrajectory):
            if not self.ctx.trajectory_is_target:
                return self.case.on_trajectory if self.ctx.has_target else None
            return None if self.target is None else self.polarity.better(self.value, self.target) >= 0
        if isinstance(expr, nodes.TargetMet):
            return None if self.target is None else self.polarity.better(self.value, self.target) >= 0
        if isinstance(expr, (nodes.WithinTarget, nodes.TargetExceeded)):
            return self._margin(expr)
        if isinstance(expr, nodes.Margin):
            return self._bounded_margin(expr)
        if isinstance(expr, nodes.GapState):
            return self._gap(expr.state)
        return None

    def _presence(self, expr: nodes.Presence) -> bool | None:
        """As the interpreter: whether there is data is always known; the rest only when there is a value."""
        if expr.thing == "data":
            return (self.value is not None) == expr.present
        if self.value is None:
            return None
        if expr.thing == "target":
            return (self.target is not None) == expr.present
        return None if self.case.previous is None else self.case.previous == expr.present

    def _bounded_margin(self, expr: nodes.Margin) -> bool | None:
        if self.value is None:
            return None
        if level_margin(expr):  # known whatever the target: the case says how it comes out
            key = self.opaque.get(id(expr))
            return None if key is None else self.case.answer(key)
        if self.target is None:
            return None
        key = self.opaque.get(id(expr))
        if key is not None:  # from a trajectory the model cannot place: the case says how it comes out
            return self.case.answer(key)
        amount = exact(expr.amount.value)
        if expr.amount.unit == "%":
            amount = abs(self.target) * amount / HUNDRED
        return self.polarity.by_margin(self.value, self.target, expr.side != "short", expr.bound, amount)

    def _arrow_is(self, expr: nodes.ArrowIs) -> bool | None:
        arrow = self.case.arrow
        if arrow == "na":
            return None if expr.arrow != "na" else not expr.negated
        return (arrow == expr.arrow) != expr.negated

    def _margin(self, expr: nodes.WithinTarget | nodes.TargetExceeded) -> bool | None:
        if self.target is None or self.value is None:
            return None
        margin = exact(expr.margin.value)
        if expr.margin.unit == "%":
            margin = abs(self.target) * margin / HUNDRED
        if isinstance(expr, nodes.WithinTarget):
            return self.polarity.shortfall(self.value, self.target) <= margin
        lead = self.polarity.shortfall(self.target, self.value)
        return lead >= margin and self.polarity.better(self.value, self.target) > 0

    def _gap(self, state: str) -> bool | None:
        if self.value is None:
            return None
        now = self.polarity.gap_shortfall(self.value)
        if state == "closed":
            return now == 0
        if self.case.gap is None:
            return None
        if state == "narrowed":
            return self.case.gap == "more" and now > 0
        return self.case.gap == "less"


class _Opaque(Enum):
    """The one marker of a number that depends on facts outside the model."""

    OPAQUE = "opaque"


_OPAQUE: Final = _Opaque.OPAQUE


def opaque_key(expr: nodes.Compare | nodes.Reaches) -> str:
    """The identity of an opaque comparison: the same text gives the same answer in one case."""
    return format_expr(expr)


# --- which cases exist --------------------------------------------------------------------------------


@dataclass
class Dimensions:
    """The facts other than the value that the clauses test, and the answers each can give."""

    arrows: tuple[str, ...]  # kinds named by clauses, plus OTHER (and 'na' when a clause tests it)
    gaps: tuple[str, ...]  # empty unless a clause tests narrowed or widened
    trajectory: bool  # whether `on trajectory` is a free fact
    opaque: tuple[str, ...]  # comparisons whose breakpoints are not known: each case answers them
    opaque_nodes: dict[int, str]  # id of each opaque comparison node -> its key
    previous: bool = False  # whether a clause asks if there is a previous value

    def count(self) -> int:
        """How many cases there are at most."""
        answers: int = 2 ** len(self.opaque)  # (int ** int is typed Any: the exponent could be negative)
        return max(1, len(self.arrows)) * max(1, len(self.gaps)) * (2 if self.trajectory else 1) * answers * \
            (2 if self.previous else 1)

    @property
    def independent(self) -> bool:
        """Whether any combination of answers can really happen, whatever the value (so a gap that
        appears in only some cases is a real gap): true when at most one kind of fact varies."""
        varying = [bool(self.arrows), bool(self.gaps), self.trajectory, bool(self.opaque), self.previous]
        return sum(varying) <= 1 and not self.trajectory and not self.opaque and not self.previous


def cases(dims: Dimensions, judge_value: Fraction, ctx: Context) -> Iterator[Case]:
    """Every case that can happen at this value."""
    arrow_choices: list[str | None] = [a for a in dims.arrows if _arrow_possible(a, dims, judge_value, ctx)] or [None]
    gap_choices: list[str | None] = [g for g in dims.gaps if _gap_possible(g, judge_value, ctx)] or [None]
    trajectory_choices = [True, False] if dims.trajectory else [None]
    previous_choices = [True, False] if dims.previous else [None]
    for arrow, gap, on_traj, answers, previous in product(arrow_choices, gap_choices, trajectory_choices,
                                                          product((True, False), repeat=len(dims.opaque)),
                                                          previous_choices):
        if previous is False and arrow not in (None, "na"):
            continue  # with no previous value there is no arrow (★ aside, which this model leaves out)
        if previous is False and gap in ("more", "less"):
            continue  # nor an earlier gap to have narrowed or widened from
        yield Case(arrow, gap, on_traj, tuple(zip(dims.opaque, answers, strict=True)), previous)


def possible_arrows(value: Fraction, ctx: Context) -> set[str]:
    """The arrow kinds that can happen at this value (★ is forced at or beyond the peak)."""
    if ctx.peak is not None and ctx.polarity.better(value, ctx.peak) >= 0:
        return {"peak"}
    kinds = {"up", "static", "down"}
    at_floor = ctx.minimum is not None and value == ctx.minimum
    if ctx.polarity.kind == HIGHER and at_floor:
        kinds.discard("up")  # nothing lower to improve from
    if ctx.polarity.kind == LOWER and at_floor:
        kinds.discard("down")
    if ctx.polarity.kind == CLOSER and value == ctx.ideal:
        kinds.discard("down")
    return kinds


def _arrow_possible(arrow: str, dims: Dimensions, value: Fraction, ctx: Context) -> bool:
    if arrow == "na":
        return not (ctx.peak is not None and ctx.polarity.better(value, ctx.peak) >= 0)
    kinds = possible_arrows(value, ctx)
    if arrow == OTHER:
        return bool(kinds - set(dims.arrows))
    return arrow in kinds


def _gap_possible(gap: str, value: Fraction, ctx: Context) -> bool:
    if gap == "less":  # a smaller shortfall before needs a shortfall now
        return ctx.polarity.gap_shortfall(value) > 0
    return True


def dimensions(conditions: list[nodes.Expr], ctx: Context) -> Dimensions:
    """The facts the conditions test, beyond the value and the target."""
    arrows: set[str] = set()
    gaps = False
    trajectory = False
    opaque: dict[int, str] = {}
    previous = False
    for condition in conditions:
        for node in walk(condition):
            if isinstance(node, nodes.Presence) and node.thing == "previous value":
                previous = True
            elif isinstance(node, nodes.ArrowIs):
                arrows.add(node.arrow)
            elif isinstance(node, nodes.GapState) and node.state != "closed":
                gaps = True
            elif isinstance(node, nodes.OnTrajectory) and not ctx.trajectory_is_target and ctx.has_target:
                trajectory = True
            elif isinstance(node, nodes.Compare) and comparison_lines(node, ctx) is None:
                opaque[id(node)] = opaque_key(node)  # previous, change... or not linear: a free answer
            elif isinstance(node, nodes.Margin) and free_margin(node, ctx) and (ctx.has_target or level_margin(node)):
                opaque[id(node)] = format_expr(node)
            elif isinstance(node, nodes.Significance):
                opaque[id(node)] = format_expr(node)
            elif isinstance(node, nodes.Reaches):
                as_compare = reaches_as_compare(node, ctx)
                if as_compare is None or comparison_lines(as_compare, ctx) is None:
                    opaque[id(node)] = format_expr(node)
    arrow_dim = tuple(sorted(a for a in arrows if a != "na")) + ((OTHER,) if arrows else ()) + \
        (("na",) if "na" in arrows else ())
    gap_dim = ("more", "equal", "less") if gaps else ()
    if previous and arrow_dim and "na" not in arrow_dim:
        arrow_dim += ("na",)  # with no previous value the arrow is n/a
    return Dimensions(arrow_dim, gap_dim, trajectory, tuple(dict.fromkeys(opaque.values())), opaque, previous)
