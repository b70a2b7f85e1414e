"""Lowers a Lark parse tree to the AST. The only module that walks `lark.Tree`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from lark import Token, Transformer, Tree, v_args

from lsprules.core.diagnostics import Diagnostic, InputError, error
from lsprules.core.periods import PeriodError, parse_period
from lsprules.core.source import Source
from lsprules.lang import nodes


def lower(tree: Tree, source: Source, comments: list[Token]) -> nodes.RuleFile:
    """Turn a parse tree into a RuleFile; raise InputError for problems only visible after parsing."""
    builder = _Lower(source)
    rule_file = builder.transform(tree)
    if builder.problems:
        raise InputError(builder.problems)
    kept = tuple(_comment(c, source) for c in comments)
    return nodes.RuleFile(rule_file.items, kept, span=rule_file.span)


def _comment(token: Token, source: Source) -> nodes.Comment:
    span = source.span(token.start_pos, token.end_pos)
    code_before = source.line_text(span.line)[:span.column - 1].strip() != ""
    return nodes.Comment(str(token).rstrip(), code_before, span=span)


def _text(token: Token | None) -> str | None:
    return None if token is None else str(token)


@v_args(meta=True)
class _Lower(Transformer):
    """One method per grammar rule, each building one AST node."""

    def __init__(self, source: Source):
        super().__init__(visit_tokens=False)
        self.source = source
        self.problems: list[Diagnostic] = []

    # --- helpers ----------------------------------------------------------------------------

    def _span(self, meta):
        if getattr(meta, "empty", True):
            return None
        return self.source.span(meta.start_pos, meta.end_pos)

    def _tspan(self, token: Token):
        return self.source.span(token.start_pos, token.end_pos)

    def _period(self, token: Token) -> str:
        try:
            return parse_period(str(token)).label
        except PeriodError as exc:
            self.problems.append(error("E109", str(exc), self.source, token.start_pos, token.end_pos,
                                       hint="periods look like 2006/07, 2006, 2006-Q3, 2006/07-Q1 or 2006-09"))
            return str(token)

    def _number(self, token: Token) -> Decimal:
        try:
            return Decimal(str(token))
        except InvalidOperation:  # the grammar only admits digits, so this is defensive
            self.problems.append(error("E110", f"'{token}' is not a number", self.source, token.start_pos,
                                       token.end_pos))
            return Decimal(0)

    # --- file and items ---------------------------------------------------------------------

    def start(self, meta, items):
        return nodes.RuleFile(tuple(items), span=self._span(meta))

    def profile(self, meta, children):
        name, *settings = children
        return nodes.Profile(str(name), tuple(settings), span=self._span(meta))

    def indicator(self, meta, children):
        name, title, uses, body = children
        return nodes.Indicator(str(name), _unquote(title), _text(uses), body, span=self._span(meta))

    def indicator_body(self, meta, settings):
        return tuple(settings)

    def group(self, meta, children):
        name, title, *indicators = children
        return nodes.Group(str(name), _unquote(title), tuple(indicators), span=self._span(meta))

    def theme(self, meta, children):
        name, title, *settings = children
        return nodes.Theme(str(name), _unquote(title), tuple(settings), span=self._span(meta))

    def comparator_area(self, meta, children):
        name, title, area = children
        return nodes.Comparator(str(name), _unquote(title), (_unquote(area),), span=self._span(meta))

    def comparator_mean(self, meta, children):
        name, title, *areas = children
        return nodes.Comparator(str(name), _unquote(title), tuple(_unquote(a) for a in areas), mean=True,
                                span=self._span(meta))

    def members(self, meta, names):
        return nodes.Members(tuple(str(n) for n in names), span=self._span(meta))

    def rating(self, meta, clauses):
        return nodes.Rating(tuple(clauses), span=self._span(meta))

    # --- settings ---------------------------------------------------------------------------

    def unit(self, meta, children):
        return nodes.UnitSetting(str(children[0]), span=self._span(meta))

    def unit_rate(self, meta, children):
        return nodes.UnitSetting("rate", self._number(children[0]), span=self._span(meta))

    def polarity(self, meta, children):
        return nodes.PolaritySetting(str(children[0]), span=self._span(meta))

    def polarity_closer(self, meta, children):
        return nodes.PolaritySetting("closer_to", children[0], span=self._span(meta))

    def value_def(self, meta, children):
        expr, as_percent = children
        return nodes.ValueSetting(expr, as_percent is not None, span=self._span(meta))

    def as_percent(self, meta, children):
        return True

    def fields(self, meta, names):
        return nodes.FieldsSetting(tuple(str(n) for n in names), span=self._span(meta))

    def decimals(self, meta, children):
        return nodes.DecimalsSetting(int(children[0]), span=self._span(meta))

    def arrow(self, meta, statements):
        return nodes.ArrowBlock(tuple(statements), span=self._span(meta))

    def compare_previous(self, meta, children):
        return nodes.CompareStmt("previous", span=self._span(meta))

    def compare_year(self, meta, children):
        return nodes.CompareStmt("year", span=self._span(meta))

    def compare_mean(self, meta, children):
        return nodes.CompareStmt("mean", int(children[0]), span=self._span(meta))

    def static(self, meta, children):
        kind, quantity = children
        return nodes.StaticStmt(quantity, str(kind) == "within", span=self._span(meta))

    def peak(self, meta, children):
        return nodes.PeakStmt(children[0], span=self._span(meta))

    def target_fixed(self, meta, children):
        return nodes.FixedTarget(children[0], span=self._span(meta))

    def target(self, meta, statements):
        return nodes.TargetBlock(tuple(statements), span=self._span(meta))

    def baseline(self, meta, children):
        return nodes.BaselineStmt(self._period(children[0]), span=self._span(meta))

    def change(self, meta, children):
        direction, amount, period = children
        return nodes.ChangeStmt(str(direction), amount, self._period(period), span=self._span(meta))

    def reach(self, meta, children):
        amount, period = children
        return nodes.ReachStmt(amount, self._period(period), span=self._span(meta))

    def period_target(self, meta, children):
        amount, period = children
        return nodes.PeriodTargetStmt(amount, self._period(period), span=self._span(meta))

    def trajectory(self, meta, children):
        return nodes.TrajectoryStmt(str(children[0]), span=self._span(meta))

    def rag(self, meta, children):
        scale, *clauses = children
        return nodes.RagBlock(scale, tuple(clauses), span=self._span(meta))

    def scale(self, meta, levels):
        return nodes.Scale(tuple(str(level) for level in levels), span=self._span(meta))

    def when_clause(self, meta, children):
        label, condition = children
        return nodes.Clause(str(label), condition, span=self._span(meta))

    def otherwise_clause(self, meta, children):
        return nodes.Clause(str(children[0]), None, span=self._span(meta))

    # --- expressions ------------------------------------------------------------------------

    def quantity(self, meta, children):
        number, unit = children
        return nodes.Quantity(self._number(number), _text(unit), span=self._span(meta))

    def signed_quantity(self, meta, children):
        minus, number, unit = children
        value = self._number(number)
        return nodes.Quantity(-value if minus is not None else value, _text(unit), span=self._span(meta))

    def or_(self, meta, children):
        return nodes.Or(children[0], children[1], span=self._span(meta))

    def and_(self, meta, children):
        return nodes.And(children[0], children[1], span=self._span(meta))

    def not_(self, meta, children):
        return nodes.Not(children[0], span=self._span(meta))

    def compare_op(self, meta, children):
        left, op, right = children
        return nodes.Compare(str(op), left, right, span=self._span(meta))

    def arith(self, meta, children):
        left, op, right = children
        return nodes.Arith(str(op), left, right, span=self._span(meta))

    def negate(self, meta, children):
        return nodes.Negate(children[1], span=self._span(meta))

    def name(self, meta, children):
        return nodes.Name(str(children[0]), span=self._span(meta))

    def ref(self, meta, children):
        return nodes.Ref(str(children[0]), span=self._span(meta))

    def target_ref(self, meta, children):
        return nodes.Ref("target", span=self._span(meta))

    def call(self, meta, children):
        func, *args = children
        return nodes.Call(str(func), tuple(args), span=self._span(meta))

    def gap_call(self, meta, args):
        # `gap` is also the keyword of `gap closed`, so gap(...) has its own rule; it is an ordinary call.
        return nodes.Call("gap", tuple(args), span=self._span(meta))

    def at_comparator(self, meta, children):
        indicator, comparator = children
        return nodes.AtComparator(str(indicator), str(comparator), span=self._span(meta))

    def arrow_is(self, meta, children):
        negated, arrow = children
        return nodes.ArrowIs(str(arrow), negated is not None, span=self._span(meta))

    def rag_is(self, meta, children):
        negated, band = children
        return nodes.RagIs(str(band), negated is not None, span=self._span(meta))

    def on_trajectory(self, meta, children):
        return nodes.OnTrajectory(span=self._span(meta))

    def target_met(self, meta, children):
        return nodes.TargetMet(span=self._span(meta))

    def target_exceeded(self, meta, children):
        return nodes.TargetExceeded(children[0], span=self._span(meta))

    def within_target(self, meta, children):
        return nodes.WithinTarget(children[0], span=self._span(meta))

    def gap_state(self, meta, children):
        return nodes.GapState(str(children[0]), span=self._span(meta))


def _unquote(token: Token | None) -> str | None:
    """The text of a quoted title: \\" is a quote and \\\\ a backslash; any other backslash is kept as written."""
    if token is None:
        return None
    body = str(token)[1:-1]
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in '"\\':
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)
