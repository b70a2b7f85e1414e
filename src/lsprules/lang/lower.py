"""Lowers a Lark parse tree to the AST. The only module that walks `lark.Tree`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import overload

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from lsprules.core.diagnostics import Diagnostic, InputError, error
from lsprules.core.limits import current, number_problem, text_problem
from lsprules.core.periods import PeriodError, parse_period
from lsprules.core.source import Source, Span
from lsprules.lang import nodes


def lower(tree: Tree[Token], source: Source, comments: list[Token]) -> nodes.RuleFile:
    """Turn a parse tree into a RuleFile; raise InputError for problems only visible after parsing."""
    builder = _Lower(source)
    rule_file = builder.transform(tree)
    if builder.problems:
        raise InputError(builder.problems)
    kept = tuple(_comment(c, source) for c in comments)
    return nodes.RuleFile(rule_file.items, kept, span=rule_file.span)


def _comment(token: Token, source: Source) -> nodes.Comment:
    span = source.span(*_positions(token))
    code_before = source.line_text(span.line)[:span.column - 1].strip() != ""
    return nodes.Comment(str(token).rstrip(), code_before, span=span)


def _positions(token: Token) -> tuple[int, int]:
    """Where a token starts and ends in the text: the lexer sets both on every token it makes."""
    assert token.start_pos is not None and token.end_pos is not None
    return token.start_pos, token.end_pos


@overload
def _text(token: Token) -> str: ...
@overload
def _text(token: Token | None) -> str | None: ...
def _text(token: Token | None) -> str | None:
    return None if token is None else str(token)


@v_args(meta=True, inline=True)
class _Lower(Transformer[Token, nodes.RuleFile]):
    """One method per grammar rule, each building one AST node."""

    def __init__(self, source: Source) -> None:
        super().__init__(visit_tokens=False)
        self.source = source
        self.problems: list[Diagnostic] = []

    # --- helpers ----------------------------------------------------------------------------

    def _span(self, meta: Meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return self.source.span(meta.start_pos, meta.end_pos)

    def _period(self, token: Token) -> str:
        try:
            return parse_period(str(token)).label
        except PeriodError as exc:
            self.problems.append(error("E109", str(exc), self.source, *_positions(token),
                                       hint="periods look like 2006/07, 2006, 2006-Q3, 2006/07-Q1 or 2006-09"))
            return str(token)

    def _number(self, token: Token) -> Decimal:
        try:
            number = Decimal(str(token))
        except InvalidOperation:  # the grammar only admits digits, so this is defensive
            self.problems.append(error("E110", f"'{token}' is not a number", self.source, *_positions(token)))
            return Decimal(0)
        problem = number_problem(number)
        if problem:
            self._limit(problem, token)
            return Decimal(0)
        return number

    def _whole(self, token: Token, limit: int, name: str, code: str, what: str) -> int:
        """A whole number token at most `limit` (else `code`, and the limit is used); never int() of a huge text."""
        text = str(token)
        if len(text) > len(str(limit)) or int(text) > limit:
            shown = text if len(text) <= 20 else f"a number of {len(text)} digits"
            self._limit((code, f"{what} {shown} is beyond the limit of {limit}",
                         f"if this is meant, raise the limit: lsprules --limit {name}={text[:20]} COMMAND ..."),
                        token)
            return limit
        return int(text)

    def _name(self, token: Token) -> str:
        """An identifier, at most text_length characters (E704)."""
        problem = text_problem(str(token), "an identifier")
        if problem:
            self._limit(problem, token)
        return str(token)

    def _title(self, token: Token | None) -> str | None:
        """A quoted title, at most text_length characters (E704)."""
        title = _unquote(token)
        if token is not None and title is not None and (problem := text_problem(title, "a title")):
            self._limit(problem, token)
        return title

    def _limit(self, problem: tuple[str, str, str], token: Token) -> None:
        code, message, hint = problem
        start, end = _positions(token)
        self.problems.append(error(code, message, self.source, start, min(end, start + 80), hint=hint))

    # --- file and items ---------------------------------------------------------------------
    # Each method takes the children of its grammar rule as arguments (v_args inline): terminals stay Tokens,
    # an absent optional part is None (maybe_placeholders), and subtrees arrive already lowered.

    def start(self, meta: Meta, *items: nodes.Item) -> nodes.RuleFile:
        return nodes.RuleFile(tuple(items), span=self._span(meta))

    def profile(self, meta: Meta, name: Token, *settings: nodes.Setting) -> nodes.Profile:
        return nodes.Profile(self._name(name), tuple(settings), span=self._span(meta))

    def indicator(self, meta: Meta, name: Token, title: Token | None, uses: Token | None,
                  body: tuple[nodes.Setting, ...] | None) -> nodes.Indicator:
        return nodes.Indicator(self._name(name), self._title(title), _text(uses), body, span=self._span(meta))

    def indicator_body(self, meta: Meta, *settings: nodes.Setting) -> tuple[nodes.Setting, ...]:
        return tuple(settings)

    def group(self, meta: Meta, name: Token, title: Token | None, *indicators: nodes.Indicator) -> nodes.Group:
        return nodes.Group(self._name(name), self._title(title), tuple(indicators), span=self._span(meta))

    def theme(self, meta: Meta, name: Token, title: Token | None, *settings: nodes.ThemeSetting) -> nodes.Theme:
        return nodes.Theme(self._name(name), self._title(title), tuple(settings), span=self._span(meta))

    def comparator_area(self, meta: Meta, name: Token, title: Token | None, area: Token) -> nodes.Comparator:
        return nodes.Comparator(self._name(name), self._title(title), (self._title(area) or "",),
                                span=self._span(meta))

    def comparator_mean(self, meta: Meta, name: Token, title: Token | None, *areas: Token) -> nodes.Comparator:
        return nodes.Comparator(self._name(name), self._title(title), tuple(self._title(a) or "" for a in areas),
                                mean=True,
                                span=self._span(meta))

    def members(self, meta: Meta, *names: Token) -> nodes.Members:
        return nodes.Members(tuple(str(n) for n in names), span=self._span(meta))

    def rating(self, meta: Meta, *clauses: nodes.Clause) -> nodes.Rating:
        return nodes.Rating(tuple(clauses), span=self._span(meta))

    def coverage(self, meta: Meta, number: Token, unit: Token | None) -> nodes.Coverage:
        return nodes.Coverage(nodes.Quantity(self._number(number), _text(unit)), span=self._span(meta))

    # --- settings ---------------------------------------------------------------------------

    def unit(self, meta: Meta, kind: Token) -> nodes.UnitSetting:
        return nodes.UnitSetting(str(kind), span=self._span(meta))

    def unit_rate(self, meta: Meta, per: Token) -> nodes.UnitSetting:
        return nodes.UnitSetting("rate", self._number(per), span=self._span(meta))

    def polarity(self, meta: Meta, kind: Token) -> nodes.PolaritySetting:
        return nodes.PolaritySetting(str(kind), span=self._span(meta))

    def polarity_closer(self, meta: Meta, ideal: nodes.Quantity) -> nodes.PolaritySetting:
        return nodes.PolaritySetting("closer_to", ideal, span=self._span(meta))

    def value_def(self, meta: Meta, expr: nodes.Expr, as_percent: bool | None) -> nodes.ValueSetting:
        return nodes.ValueSetting(expr, as_percent is not None, span=self._span(meta))

    def as_percent(self, meta: Meta) -> bool:
        return True

    def fields(self, meta: Meta, *names: Token) -> nodes.FieldsSetting:
        return nodes.FieldsSetting(tuple(str(n) for n in names), span=self._span(meta))

    def decimals(self, meta: Meta, places: Token) -> nodes.DecimalsSetting:
        return nodes.DecimalsSetting(self._whole(places, current().decimals, "decimals", "E702", "decimals"),
                                     span=self._span(meta))

    def arrow(self, meta: Meta, *statements: nodes.ArrowStmt) -> nodes.ArrowBlock:
        return nodes.ArrowBlock(tuple(statements), span=self._span(meta))

    def compare_previous(self, meta: Meta) -> nodes.CompareStmt:
        return nodes.CompareStmt("previous", span=self._span(meta))

    def compare_year(self, meta: Meta) -> nodes.CompareStmt:
        return nodes.CompareStmt("year", span=self._span(meta))

    def compare_mean(self, meta: Meta, count: Token) -> nodes.CompareStmt:
        return nodes.CompareStmt("mean", self._whole(count, 10 ** current().number_digits - 1, "number_digits",
                                                     "E700", "a count"), span=self._span(meta))

    def compare_trend(self, meta: Meta, level: nodes.Quantity) -> nodes.CompareStmt:
        return nodes.CompareStmt("trend", level=level, span=self._span(meta))

    def static(self, meta: Meta, kind: Token, quantity: nodes.Quantity) -> nodes.StaticStmt:
        return nodes.StaticStmt(quantity, str(kind) == "within", span=self._span(meta))

    def peak(self, meta: Meta, maximum: nodes.Quantity) -> nodes.PeakStmt:
        return nodes.PeakStmt(maximum, span=self._span(meta))

    def target_fixed(self, meta: Meta, amount: nodes.Quantity) -> nodes.FixedTarget:
        return nodes.FixedTarget(amount, span=self._span(meta))

    def target_from_data(self, meta: Meta) -> nodes.DataTarget:
        return nodes.DataTarget(span=self._span(meta))

    def target(self, meta: Meta, *statements: nodes.TargetStmt) -> nodes.TargetBlock:
        return nodes.TargetBlock(tuple(statements), span=self._span(meta))

    def baseline(self, meta: Meta, period: Token) -> nodes.BaselineStmt:
        return nodes.BaselineStmt(self._period(period), span=self._span(meta))

    def change(self, meta: Meta, direction: Token, amount: nodes.Quantity, period: Token) -> nodes.ChangeStmt:
        return nodes.ChangeStmt(str(direction), amount, self._period(period), span=self._span(meta))

    def reach(self, meta: Meta, amount: nodes.Quantity, period: Token) -> nodes.ReachStmt:
        return nodes.ReachStmt(amount, self._period(period), span=self._span(meta))

    def period_target(self, meta: Meta, amount: nodes.Quantity, period: Token) -> nodes.PeriodTargetStmt:
        return nodes.PeriodTargetStmt(amount, self._period(period), span=self._span(meta))

    def annual(self, meta: Meta, amount: nodes.Quantity, period: Token, shares: tuple[nodes.Quantity, ...],
               cumulative: Token | None) -> nodes.AnnualStmt:
        return nodes.AnnualStmt(amount, self._period(period), shares, cumulative is not None, span=self._span(meta))

    def profile_even(self, meta: Meta) -> tuple[nodes.Quantity, ...]:
        return ()

    def profile_by(self, meta: Meta, *shares: nodes.Quantity) -> tuple[nodes.Quantity, ...]:
        return tuple(shares)

    def trajectory(self, meta: Meta, kind: Token) -> nodes.TrajectoryStmt:
        return nodes.TrajectoryStmt(str(kind), span=self._span(meta))

    def levels(self, meta: Meta, *statements: nodes.LevelStmt) -> nodes.LevelsBlock:
        return nodes.LevelsBlock(tuple(statements), span=self._span(meta))

    def level_stmt(self, meta: Meta, name: Token, amount: nodes.Quantity) -> nodes.LevelStmt:
        return nodes.LevelStmt(str(name), amount, span=self._span(meta))

    def rag(self, meta: Meta, scale: nodes.Scale | None, *clauses: nodes.Clause) -> nodes.RagBlock:
        return nodes.RagBlock(scale, tuple(clauses), span=self._span(meta))

    def scale(self, meta: Meta, *levels: Token) -> nodes.Scale:
        return nodes.Scale(tuple(str(level) for level in levels), span=self._span(meta))

    def when_clause(self, meta: Meta, label: Token, description: Token | None,
                    condition: nodes.Expr) -> nodes.Clause:
        return nodes.Clause(str(label), condition, _unquote(description), span=self._span(meta))

    def otherwise_clause(self, meta: Meta, label: Token, description: Token | None) -> nodes.Clause:
        return nodes.Clause(str(label), None, _unquote(description), span=self._span(meta))

    # --- expressions ------------------------------------------------------------------------

    def quantity(self, meta: Meta, number: Token, unit: Token | None) -> nodes.Quantity:
        return nodes.Quantity(self._number(number), _text(unit), span=self._span(meta))

    def signed_quantity(self, meta: Meta, minus: Token | None, number: Token, unit: Token | None) -> nodes.Quantity:
        value = self._number(number)
        return nodes.Quantity(-value if minus is not None else value, _text(unit), span=self._span(meta))

    def or_(self, meta: Meta, left: nodes.Expr, right: nodes.Expr) -> nodes.Or:
        return nodes.Or(left, right, span=self._span(meta))

    def and_(self, meta: Meta, left: nodes.Expr, right: nodes.Expr) -> nodes.And:
        return nodes.And(left, right, span=self._span(meta))

    def not_(self, meta: Meta, operand: nodes.Expr) -> nodes.Not:
        return nodes.Not(operand, span=self._span(meta))

    def compare_op(self, meta: Meta, left: nodes.Expr, op: Token, right: nodes.Expr) -> nodes.Compare:
        return nodes.Compare(str(op), left, right, span=self._span(meta))

    def reaches(self, meta: Meta, left: nodes.Expr, right: nodes.Expr) -> nodes.Reaches:
        return nodes.Reaches(left, right, span=self._span(meta))

    def level_ref(self, meta: Meta, word: Token) -> nodes.LevelRef:
        return nodes.LevelRef(str(word), span=self._span(meta))

    def arith(self, meta: Meta, left: nodes.Expr, op: Token, right: nodes.Expr) -> nodes.Arith:
        return nodes.Arith(str(op), left, right, span=self._span(meta))

    def negate(self, meta: Meta, minus: Token, operand: nodes.Expr) -> nodes.Negate:
        return nodes.Negate(operand, span=self._span(meta))

    def name(self, meta: Meta, name: Token) -> nodes.Name:
        return nodes.Name(str(name), span=self._span(meta))

    def value_ref(self, meta: Meta) -> nodes.Ref:
        return nodes.Ref("value", span=self._span(meta))

    def previous_ref(self, meta: Meta) -> nodes.Ref:
        return nodes.Ref("previous", span=self._span(meta))

    def trajectory_ref(self, meta: Meta) -> nodes.Ref:
        return nodes.Ref("trajectory", span=self._span(meta))

    def baseline_ref(self, meta: Meta) -> nodes.Ref:
        return nodes.Ref("baseline", span=self._span(meta))

    def change_ref(self, meta: Meta) -> nodes.Ref:
        return nodes.Ref("change", span=self._span(meta))

    def target_ref(self, meta: Meta) -> nodes.Ref:
        return nodes.Ref("target", span=self._span(meta))

    def previous_call(self, meta: Meta, *args: nodes.Expr) -> nodes.Call:
        # `previous` and `change` are also named values of conditions, so their calls have their own rules.
        return nodes.Call("previous", tuple(args), span=self._span(meta))

    def change_call(self, meta: Meta, *args: nodes.Expr) -> nodes.Call:
        return nodes.Call("change", tuple(args), span=self._span(meta))

    def at_period(self, meta: Meta, indicator: Token, period: Token) -> nodes.AtPeriod:
        return nodes.AtPeriod(str(indicator), self._period(period), span=self._span(meta))

    def presence(self, meta: Meta, *words: Token) -> str:
        return " ".join(str(w) for w in words)

    def no_fact(self, meta: Meta, thing: str) -> nodes.Presence:
        return nodes.Presence(thing, False, span=self._span(meta))

    def has_fact(self, meta: Meta, thing: str) -> nodes.Presence:
        return nodes.Presence(thing, True, span=self._span(meta))

    def more_than(self, meta: Meta) -> str:
        return "more than"

    def at_least(self, meta: Meta) -> str:
        return "at least"

    def less_than(self, meta: Meta) -> str:
        return "less than"

    def up_to(self, meta: Meta) -> str:
        return "up to"

    def no_more_than(self, meta: Meta) -> str:
        return "no more than"

    def reference(self, meta: Meta, word: Token) -> str:
        return str(word)

    def short_of(self, meta: Meta, bound: str, amount: nodes.Quantity, reference: str) -> nodes.Margin:
        return nodes.Margin("short", bound, amount, reference, span=self._span(meta))

    def better_than(self, meta: Meta, bound: str, amount: nodes.Quantity, reference: str) -> nodes.Margin:
        return nodes.Margin("better", bound, amount, reference, span=self._span(meta))

    def exceeded_bound(self, meta: Meta, bound: str, amount: nodes.Quantity) -> nodes.Margin:
        return nodes.Margin("exceeded", bound, amount, span=self._span(meta))

    def level_exceeded_bound(self, meta: Meta, level: nodes.LevelRef, bound: str,
                             amount: nodes.Quantity) -> nodes.Margin:
        return nodes.Margin("exceeded", bound, amount, level.name, span=self._span(meta))

    def call(self, meta: Meta, func: Token, *args: nodes.Expr) -> nodes.Call:
        return nodes.Call(str(func), tuple(args), span=self._span(meta))

    def gap_call(self, meta: Meta, *args: nodes.Expr) -> nodes.Call:
        # `gap` is also the keyword of `gap closed`, so gap(...) has its own rule; it is an ordinary call.
        return nodes.Call("gap", tuple(args), span=self._span(meta))

    def at_comparator(self, meta: Meta, indicator: Token, comparator: Token) -> nodes.AtComparator:
        return nodes.AtComparator(str(indicator), str(comparator), span=self._span(meta))

    def arrow_is(self, meta: Meta, negated: Token | None, arrow: Token) -> nodes.ArrowIs:
        return nodes.ArrowIs(str(arrow), negated is not None, span=self._span(meta))

    def rag_is(self, meta: Meta, negated: Token | None, band: Token) -> nodes.RagIs:
        return nodes.RagIs(str(band), negated is not None, span=self._span(meta))

    def on_trajectory(self, meta: Meta) -> nodes.OnTrajectory:
        return nodes.OnTrajectory(span=self._span(meta))

    def target_met(self, meta: Meta) -> nodes.TargetMet:
        return nodes.TargetMet(span=self._span(meta))

    def target_exceeded(self, meta: Meta, margin: nodes.Quantity) -> nodes.TargetExceeded:
        return nodes.TargetExceeded(margin, span=self._span(meta))

    def within_target(self, meta: Meta, margin: nodes.Quantity) -> nodes.WithinTarget:
        return nodes.WithinTarget(margin, span=self._span(meta))

    def significance(self, meta: Meta, outcome: Token, level: nodes.Quantity | None) -> nodes.Significance:
        return nodes.Significance(str(outcome), level, span=self._span(meta))

    def significantly_different(self, meta: Meta, level: nodes.Quantity | None) -> nodes.Significance:
        return nodes.Significance("different", level, span=self._span(meta))

    def gap_state(self, meta: Meta, state: Token) -> nodes.GapState:
        return nodes.GapState(str(state), span=self._span(meta))


@overload
def _unquote(token: Token) -> str: ...
@overload
def _unquote(token: Token | None) -> str | None: ...
def _unquote(token: Token | None) -> str | None:
    """The text of a quoted title: \\" is a quote and \\\\ a backslash; any other backslash is kept as written."""
    if token is None:
        return None
    body = str(token)[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in '"\\':
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)
