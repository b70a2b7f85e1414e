"""The columnar plan extended to write each assessment's JSON object, as render/json_out.json_chunks writes it.

sql_plan.py's layers up to `rated` compute every fact of an assessment; the layers added here turn them into the
text of one JSON object per area × indicator (the key `item`), indented as in the document, in the order of the
CSV plan: the series as an ordered string aggregate, every number in the interpreter's JSON form (exact.py's
digits, rounded half away from zero), and the reasons and clauses written from the deciding clause in the words
of engine/interpreter.Facts. What comes from the rule file (titles, units, clause text, the constant words of a
reason) is escaped here, in Python, once; what comes from the data (areas) is escaped in SQL. A JSON number
that Python writes in exponent form or with fewer digits than its six places (under 10^-4, over 15 digits) is
wrapped in MARK for json_run.py to write as Python would; no JSON string can hold MARK, a control character.

A derived indicator's series is made from its raw components' (and fields') rows grouped by area and period
(`jcomp`): a point wherever one of them has a row, its value where every one is known and no divisor is 0, else why
not in the interpreter's words (the first component or field missing, or a division by zero, in the order the
value reads them, through the derived values it names). A value off the data's scale is written over its row's
denominator (`w`). A value of earlier periods (`percent_change(x)`) reads its components some periods back too
(`jread`, as sql_plan's `read`), and says why it has none as AreaEvaluator._offset and _rolling do, naming the
period that many before.

`json_unsupported` names what a rule set uses beyond the words expressed here (the run then falls back to the
interpreter, like a construct the plan cannot compute).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlglot import exp

from lsprules.core.numbers import HUNDRED, exact
from lsprules.core.periods import PER_YEAR, Period, parse_period
from lsprules.engine.columnar.derived import (
    EARLIER,
    FIELD_MARK,
    TO_DATE,
    area_key,
    at_comparator,
    certain_components,
    children,
    compared_in,
    compared_keys,
    compared_read,
    compiled,
    derived_specs,
    field_key,
    fixed,
    formula,
    in_area,
    is_field_key,
    is_fixed,
    is_position,
    level_key,
    part_formula,
    position_key,
    presence_of,
    raw_components,
    read_keys,
    reads_back,
    shifted,
    unshifted,
    year_start,
)
from lsprules.engine.columnar.exact import (
    Num,
    absolute,
    add,
    compare,
    lit,
    mul,
    number_parts,
    number_text,
    quotient,
)
from lsprules.engine.columnar.sql_plan import (
    Layers,
    PlanOptions,
    _Compiler,
    _grouped,
    _Judge,
    column,
    compile_extended,
    running_layers,
    weight,
)
from lsprules.engine.columnar.support import found_in, reasons, setting_node, unsupported_at
from lsprules.engine.interpreter import (
    Facts,
    _clause_words,
    _goal_words,
    _quantity_words,
    _unit_word,
    annual_profile,
    annual_words,
)
from lsprules.lang import nodes
from lsprules.lang.resolve import LEVEL_NAMES, IndicatorSpec, RuleSet, comparator_areas, count_argument, tests_data

MARK = "\x01"
ITEM = "\n" + " " * 8  # where a list item of an assessment starts (json.dumps at indent 2, three levels deep)
JSON_NUMBERS = ("value", "previous_value", "change", "change_pct", "target", "trajectory")
# The exact numbers a report's assessment holds, each as NAME_n over NAME_d ("pb": the baseline's value).
EXACT_NUMBERS = ("value", "previous_value", "change", "change_pct", "target", "trajectory", "pb")
# The two figures of a value `a / b` a report shows beside it (`96 of 160`), as the data writes them: of `a`, of `b`.
COUNTED = ("counted_a", "counted_b")
# What compile_report_stages gives for each assessment, in this order (report_run.py reads them by place).
# `dt_none`: whether the data gives no target at the latest value's period; then each reference level's number.
REPORT_COLUMNS = ("ord", "position", "area", "lperiod", "eperiod", "arrow", "rag", "line", "met", "on_path",
                  *(f"{name}_{part}" for name in EXACT_NUMBERS for part in ("n", "d")), "rseries", "places",
                  "reasons", "clauses", "dt_none", *(f"m_{name}_{part}" for name in LEVEL_NAMES for part in "nd"),
                  *COUNTED)
# What a rule change's impact compares of each assessment (audit/impact.py): compile_compared_stages gives these.
COMPARED_COLUMNS = ("area", "position", "arrow", "rag", "value_n", "value_d", "target_n", "target_d", "trajectory_n",
                    "trajectory_d")
PLAIN = ("pv", "pe", "pc", "pp", "pt", "pj", "pb")  # numbers in the reasons: interpreter.plain, two places
# The reasons' numbers that are the JSON's, by the JSON's name ("pb", the baseline's value, is the reasons' own).
REASON_NUMBERS = {"pv": "value", "pe": "previous_value", "pc": "change", "pp": "change_pct", "pt": "target",
                  "pj": "trajectory"}
PLACES = 2
# The reasons' numbers a rule's `decimals` fixes (Facts.num): the values, the baseline's, and the computed target and
# trajectory (with one place more where they are not exact at the rule's); the change and % change stay plain.
FIXED = {"pv": False, "pe": False, "pb": False, "pt": True, "pj": True}
MOST_DECIMALS = 5  # a reason's number at 7 places or more is written with an exponent (core/numbers.ratio_text)
PIVOT = 64  # the most periods a series is put together from period by period
# The layers added here are each read once: stored (materialized) in DuckDB they only held memory (national M:
# 660 MB with them stored, 400 MB without, in the same time).
INLINE = frozenset({"jraw", "jderived", "jobs", "jvals", "jpoints", "jseries", "jrated", "jany", "jjoined", "jparts",
                    "jdigits", "jtexts"})
_NEWLINE_KEY = ",\n      "
HELD_SERIES = "jheldseries"  # the area × indicator pairs whose series the data holds without a value (_Json._held)
# The layers after which areas and indicators are text again, for polars, where the plan joins them with text
# (polars_run._lowered): the CSV plan's, and the held series.
TEXT_LAYERS = frozenset({"areas", "compared", "levels", HELD_SERIES})


DECIDED = ("clause", "rag", "line", "unknown")  # what the rules decide, also for an assessment without a value


# Themes are rated from the plan's assessments or compared facts (report_run.evaluate_report with `themes`), not by it.
THEMES = "themes (rated from the plan's results, not by the plan itself)"


def compared_unsupported(rules: RuleSet) -> list[str]:
    """Why the plan cannot give what a diff compares of this rule set's results (compile_compared_stages), one
    reason per construct and place, in rule-file order (empty: it can): the CSV plan's, and themes."""
    return reasons(unsupported_at(rules)) + ([THEMES] if rules.themes else [])


@dataclass(frozen=True)
class _When:
    """The period a part of a derived value is read at, for a row of jcomp: `back` periods before the row's, or
    before the one period `fixed` (a label: `x at 2003/04`) whatever the row's; in the row's area, or in the
    comparator area numbered `area` (derived.comparator_areas)."""

    back: int = 0
    fixed: str | None = None
    area: int | None = None

    def earlier(self, count: int) -> _When:
        """The period `count` periods before this one."""
        return replace(self, back=self.back + count)

    def key(self, name: str) -> str:
        """The key of a component (or field) read at this period (derived.shifted_key, fixed_key)."""
        moved = self.moved(nodes.Name(name))
        assert isinstance(moved, nodes.Name)
        return moved.id

    def moved(self, expr: nodes.Expr) -> nodes.Expr:
        """A formula of components as it is at this period."""
        earlier = shifted(expr, self.back)
        placed = earlier if self.fixed is None else fixed(earlier, self.fixed)
        return placed if self.area is None else in_area(placed, self.area)

    def label(self) -> str:
        """The label of the one period read (for a `fixed` one): the period given, or the one `back` before it."""
        assert self.fixed is not None
        return parse_period(self.fixed).shift(-self.back).label


def json_unsupported(rules: RuleSet) -> list[str]:
    """Why the plan cannot write this rule set's JSON or a report's assessments, one reason per construct and place,
    in rule-file order (empty: it can). Themes are one: the assessments from which report_run rates them (with
    `themes`) are not."""
    found = unsupported_at(rules)
    for spec in rules.indicators.values():
        if spec.decimals is not None and spec.decimals > MOST_DECIMALS:
            setting = setting_node(rules, spec, nodes.DecimalsSetting)
            found.append(found_in(rules, spec, f"`decimals {spec.decimals}`, above {MOST_DECIMALS} (reasons at "
                                  "that many places)", setting.span if setting is not None else None))
        if spec.rag is not None and any(c.span is None for c in spec.rag.clauses):
            found.append(found_in(rules, spec, "a RAG clause without a line", spec.rag.span))
    return reasons(found) + ([THEMES] if rules.themes else [])


def compile_json_plan(rules: RuleSet, options: PlanOptions, periods: Sequence[int] | None = None) -> exp.Select:
    """The query giving the JSON text of every assessment (column `item`) with its place (`ord`, `position`:
    areas in order, indicators in rule-file order). `periods`, the index of every period the data has (when
    there are at most PIVOT of them), lets each series be put together period by period rather than by an
    ordered aggregate, which engines run much more slowly. Build it only for a rule set json_unsupported
    accepts."""
    return compile_extended(rules, options, lambda compiler: _Json(rules, compiler, periods).layers())


def compile_json_stages(rules: RuleSet, options: PlanOptions,
                        periods: Sequence[int] | None = None) -> tuple[exp.Select, exp.Select]:
    """compile_json_plan in two steps, so that the text is made after the facts are sorted: the query giving every
    assessment's facts as text, numbered `k` in the document's order; and the query giving the JSON of those
    (read from the table, or CTE, `jrows`) in order (json_run.py runs both on a batch of areas at a time)."""
    facts, made = _facts(rules, options, periods, report=False)
    return facts, made.items("jrows").select(column("k"), copy=False).order_by(column("k"), copy=False)


def compile_report_stages(rules: RuleSet, options: PlanOptions,
                          periods: Sequence[int] | None = None) -> tuple[exp.Select, exp.Select]:
    """compile_json_stages for the reports (engine/columnar/report_run.py): the second query gives each
    assessment's facts exactly (numbers as numerator and denominator), its series, places, reasons and clauses
    (REPORT_COLUMNS), rather than its JSON, in the document's order."""
    facts, made = _facts(rules, options, periods, report=True)
    return facts, made.report_rows("jrows").order_by(column("k"), copy=False)


def compile_compared_stages(rules: RuleSet, options: PlanOptions,
                            periods: Sequence[int] | None = None) -> tuple[exp.Select, exp.Select]:
    """compile_report_stages for `diff --data`: only what a rule change's impact compares (COMPARED_COLUMNS, numbers
    as numerator and denominator, as the report's rows give them), without the series, reasons and clauses."""
    def extend(compiler: _Compiler) -> tuple[Layers, exp.Select]:
        return [("jcompared", _compared(compiler))], exp.select("*").from_("jcompared")

    facts = compile_extended(rules, options, extend)
    return facts, exp.select(*COMPARED_COLUMNS).from_("jrows").order_by(column("ord"), column("position"))


def _compared(compiler: _Compiler) -> exp.Select:
    """Every area × rule-file indicator with the facts a diff compares (the report's _Json._joined, in short)."""
    indicators = exp.values([(_s(spec.id), exp.Literal.number(position)) for position, spec in
                             enumerate(compiler.specs)], alias="i", columns=["indicator", "position"])
    r = "r"
    on = exp.and_(exp.EQ(this=column("area", r), expression=column("area", "a")),
                  exp.EQ(this=column("indicator", r), expression=column("indicator", "i")))
    area = exp.cast(column("area", "a"), "VARCHAR")
    numbers = compiler.numbers(column("lv", r), column("ev", r), lit(compiler.unit, compiler.int_type))
    compared = [part.copy().as_(f"{name}_{side}") for name in ("value", "target", "trajectory")
                for side, part in zip("nd", numbers[name], strict=True)]
    return (exp.select(column("ord", "a"), column("position", "i"), area.as_("area"), column("arrow", r),
                       compiler.without_value("rag", "i", column("rag", r)).as_("rag"), *compared)
            .from_(exp.alias_(exp.table_("areas"), "a")).join(indicators, join_type="cross")
            .join(exp.alias_(exp.table_("rated"), r), on=on, join_type="left"))


def _facts(rules: RuleSet, options: PlanOptions, periods: Sequence[int] | None,
           report: bool) -> tuple[exp.Select, _Json]:
    """The first stage: every assessment's facts as text, numbered `k` in the document's order; and the layers'
    maker, which writes the second."""
    made: list[_Json] = []

    def extend(compiler: _Compiler) -> tuple[Layers, exp.Select]:
        made.append(_Json(rules, compiler, periods, report))
        ctes, _ = made[0].layers()
        number = exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[
            exp.Ordered(this=column("ord")), exp.Ordered(this=column("position"))]))
        return ctes, exp.select("*").select(number.as_("k"), copy=False).from_("jtexts", copy=False)

    return compile_extended(rules, options, extend, INLINE), made[0]


def fix_marked(text: str) -> str:
    """The numbers wrapped in MARK as json.dumps writes the float of their six-place text."""
    pieces = text.split(MARK)
    for i in range(1, len(pieces), 2):
        digits = pieces[i]
        pieces[i] = repr(float(digits)) if "." in digits else digits
    return "".join(pieces)


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _cat(*parts: exp.Expression | str) -> exp.Expression:
    """Texts joined by one CONCAT (a NULL counts as empty): a chain of || would copy the text made so far at
    every step, and an assessment's text has some sixty pieces."""
    pieces: list[exp.Expression] = []
    for part in parts:
        if type(part) is exp.Concat:  # not CONCAT_WS, a subclass
            pieces.extend(part.expressions)
        elif isinstance(part, str):
            if part:
                pieces.append(_s(part))
        else:
            pieces.append(part)
    return exp.Concat(expressions=pieces)


def _inner(text: str) -> str:
    """A text as it is inside a JSON string (escaped, without the quotes)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=e, expression=exp.null())


def _when(condition: exp.Expression, then: exp.Expression | str, otherwise: exp.Expression | str = "") -> exp.Case:
    return exp.Case().when(condition, _s(then) if isinstance(then, str) else then).else_(
        _s(otherwise) if isinstance(otherwise, str) else otherwise)


class _Json:
    """The layers after `rated`: the series, the facts' words, the numbers' text, and each assessment's JSON."""

    def __init__(self, rules: RuleSet, compiler: _Compiler, periods: Sequence[int] | None, report: bool = False):
        self.rules = rules
        self.report = report  # also each series as "index:value" items and its places (report_rows)
        at = compiler.o.at
        shown = sorted({p for p in periods or () if at is None or p <= at.index})
        # polars runs the ordered aggregate well, and the pivot's maximum of texts very slowly (national M: 39 s)
        pivot = periods is not None and 0 < len(shown) <= PIVOT and compiler.o.dialect != "polars"
        self.periods = shown if pivot else None
        self.c = compiler
        self.o = compiler.o
        self.t = compiler.int_type
        self.ids = [s.id for s in compiler.specs]
        # The derived indicators with a series: those reading raw indicators (a value without any has no periods).
        self.reads = {s.id: raw_components(rules, s) for s in derived_specs(rules)}
        self.derived = [spec_id for spec_id, reads in self.reads.items() if reads]
        self.names = sorted({name for spec_id in self.derived for name in self.reads[spec_id]})
        self.raw = [s.id for s in compiler.specs if s.value is None]
        # The fields read (derived.field_key), in the row's area or a comparator's
        self.compared = {spec_id: compared_in(rules, rules.indicators[spec_id]) for spec_id in self.derived}
        self.fields = sorted({name for name in (*self.names, *(key for reads in self.compared.values()
                                                                for _, keys in reads for key in keys))
                              if is_field_key(name)})
        self.by_year = [s.id for s in compiler.specs if s.arrow.compare.method == "year"]
        # Whether a value of a series may be other than a whole number: the data has decimals, or a derived value is
        # off the data's scale (over its row's denominator).
        self.fractional = bool(self.o.scale) or compiler.quotients
        # The reference levels an assessment may list (the rules declare them, or the data gives them): a JSON
        # number each (m_trigger...), and `pg`, the data's target as interpreter.plain writes it in a reason.
        self.listed = [name for name in LEVEL_NAMES
                       if any(s.level(name) is not None or name in compiler.given[s.id] for s in compiler.specs)]
        self.levels = [f"m_{name}" for name in self.listed]
        self.json_numbers = (*JSON_NUMBERS, *self.levels)
        # The keys of the rows of each indicator (by position) that make its series without a value (_held).
        self.held = {k: keys for k, spec in enumerate(compiler.specs) if (keys := self._held_keys(spec))}
        self.plain = (*PLAIN, "pg") if "target" in compiler.level_names else PLAIN
        # The values `a / b` whose two figures a report shows beside them (`96 of 160`): IndicatorSpec.counted.
        self.counted = {spec.id: names for spec in compiler.specs if report and (names := spec.counted) is not None}

    def layers(self) -> tuple[Layers, exp.Select]:
        """The new layers and the final select."""
        raw = self._raw()
        ctes: Layers = [("jraw", raw)]
        if self.derived:  # each derived value's components by area and period, from which its rows are made
            # (made first: they name the components read some periods back, which jcomp then holds)
            derived = [self._derived(spec_id) for spec_id in self.derived]
            running = running_layers(derived, "jcomp", "j")
            if any(is_fixed(name) for name in self.names):  # every row of a component read at one period
                ctes.append(("jall", self.c._obs().select(column("value").as_("raw"))))
            ctes += [*self._components(raw), *running,
                     ("jderived", exp.union(*derived, distinct=False) if len(derived) > 1 else derived[0])]
        ctes.append(("jobs", self._jobs()))
        if self.fractional:  # otherwise every value is a whole number, written as it is
            ctes += [("jvals", self._jvals())]
        ctes += [("jpoints", self._points()), ("jseries", self._series()), ("jrated", self._jrated())]
        if self.held:  # the series with rows but no value (a series without values says so otherwise)
            ctes += [("jheld", self._held()), (HELD_SERIES, exp.select(column("area"), column("position")).from_(
                "jheld").group_by(column("area"), column("position")))]
        if self.o.at is not None:
            ctes.append(("jany", self._any()))
        if self.by_year:
            ctes.append(("jyear", self._year_gaps()))
        if self.counted:
            ctes += [(f"j{side}", self._figures(side)) for side in COUNTED]
        ctes += [("jjoined", self._joined()), ("jparts", self._parts()), ("jdigits", self._digits()),
                 ("jtexts", self._texts())]
        return ctes, self.items("jtexts").order_by(column("ord"), column("position"), copy=False)

    # --- the series -----------------------------------------------------------------------------

    def _raw(self, table: str | None = None) -> exp.Select:
        """The rows of the rule file's raw indicators, and of the fields derived values read, up to the period
        assessed, with their value's text (of the input `table`; None: the plan's)."""
        select = self.c._obs(table).select(column("value").as_("raw"))
        read = [*self.raw, *self.fields]
        condition: exp.Expression = exp.In(this=column("indicator"), expressions=[_s(i) for i in read] or [exp.null()])
        if self.o.at is not None:
            condition = exp.and_(condition, exp.LTE(this=self.c._period_index(column("period")),
                                                    expression=lit(self.o.at.index, self.t)))
        return select.where(condition)

    def _figures(self, side: str) -> exp.Query:
        """The cells of the data's rows of the field each value `a / b` divides on this side (COUNTED: `a`, then
        `b`), as they are written, by area, indicator and period: what a report shows beside the value (the
        interpreter's dataset holds the field, read from any row naming it, whether the rules read it or not)."""
        index = COUNTED.index(side)
        selects = []
        for spec_id, names in self.counted.items():
            named = exp.EQ(this=column("indicator"), expression=_s(field_key(spec_id, names[index])))
            texts = [exp.cast(column(name), "VARCHAR").as_(alias) for name, alias in (("area", "carea"),
                                                                                       ("period", "at"))]
            selects.append(self.c._obs().select(_s(spec_id).as_("counted"), *texts, column("value").as_(side))
                           .where(named))
        return exp.union(*selects, distinct=False) if len(selects) > 1 else selects[0]

    def _held_keys(self, spec: IndicatorSpec) -> list[str]:
        """The keys of the rows the data gives of the indicator other than its values that make its series: its
        reference levels, and the fields of a raw indicator."""
        fields = [key for key in sorted(self.o.field_keys) if key.partition(FIELD_MARK)[0] == spec.id] \
            if spec.value is None else []
        return [*(level_key(spec.id, name) for name in self.c.given[spec.id]), *fields]

    def _held(self) -> exp.Select:
        """The rows the data holds of a series without its value: of its reference levels, and of the fields of a raw
        indicator (either makes the indicator's series in its area, for the interpreter), by area and position."""
        position = exp.Case()
        for k, keys in self.held.items():
            position = position.when(_member(keys), exp.Literal.number(k))
        return exp.select(column("area"), position.as_("position")).from_("obs").where(
            _member([key for keys in self.held.values() for key in keys]))

    def _jobs(self) -> exp.Query:
        """The rows of every series: the raw rows, with why a value is missing (`why`: NULL when it is not) in the
        interpreter's words (AreaEvaluator._raw), then each derived indicator's."""
        suppressed = exp.EQ(this=exp.Lower(this=column("raw")), expression=_s("suppressed"))
        why = exp.Case().when(_null(column("v")), _cat(column("indicator"), " is ",
                                                     _when(suppressed, "suppressed", "n/a"), " for ", column("period")))
        kept = ("area", "indicator", "period", "pidx", "v", "raw")
        rows = exp.select(*(column(c) for c in kept), why.as_("why")).from_("jraw")
        if self.fields:  # a field's rows are its derived value's components, not a series
            rows = rows.where(_member(self.raw), copy=False)
        weighted = ("w",) if self.c.quotients else ()  # each value's row denominator (a raw value's: 1)
        if weighted:
            rows = rows.select(lit(1, self.t).as_("w"), copy=False)
        if not self.derived:
            return rows
        # Left out after the union, not by each derived indicator's select: polars' optimizer fails on a filter
        # straight over the grouped components ("expected filter; this is an optimizer bug", polars 1.44).
        derived = exp.select(*(column(c) for c in (*kept, "why", *weighted))).from_("jderived").where(
            column("present"))
        return exp.union(rows, derived, distinct=False)

    def _shifted(self) -> bool:
        """Whether a derived value reads a component some periods back (derived.shifted_key)."""
        return any(unshifted(name)[1] for name in self.names)  # (one read at one period is not shifted)

    def _read(self, source: str = "jraw") -> exp.Query:
        """The rows of the components (of `source`), once for each number of periods back one is read, at the
        period that many later (with `back`), as sql_plan's `read`."""
        parts = [exp.select(column("area"), column("indicator"), column("period"),
                            exp.Add(this=column("pidx"), expression=lit(back, self.t)).as_("pidx"),
                            lit(back, self.t).as_("back"), column("v"), column("raw")).from_(source).where(
            _member(keys)) for back, keys in reads_back(read_keys(self.names))]
        return exp.union(*parts, distinct=False) if len(parts) > 1 else parts[0]

    def _components(self, raw: exp.Select) -> Layers:
        """The layers ending in jcomp: per area and period at which a component of a derived value has a row, each
        component's known value (c0 the first name's) and its state (s0: NULL without a row, 0 known, 1 n/a, 2
        suppressed); one read some periods back, from the row that many periods earlier (jread, made here); one read
        at one period, from the area's row at it (jall). `raw`: the select of jraw."""
        state = (exp.Case().when(exp.Not(this=_null(column("v"))), exp.Literal.number(0))
                 .when(exp.EQ(this=exp.Lower(this=column("raw")), expression=_s("suppressed")), exp.Literal.number(2))
                 .else_(exp.Literal.number(1)))

        def cells(k: int, this: exp.Expression) -> list[exp.Expression]:
            return [exp.Max(this=exp.Case().when(this, column("v"))).as_(f"c{k}"),
                    exp.Max(this=exp.Case().when(this.copy(), state.copy())).as_(f"s{k}")]

        shifted = self._shifted()
        source, rows = ("jread", self._read()) if shifted else ("jraw", raw)  # (jraw: the layer `raw` holds)
        layers: Layers = [("jread", rows)] if shifted else []
        compared = source
        if self.o.compared is not None and compared_keys(self.names):  # the comparators' rows from their table
            layers.append(("jcraw", self._raw(self.o.compared)))
            layers += [("jcread", self._read("jcraw"))] if shifted else []
            compared = "jcread" if shifted else "jcraw"
        reach = self.c.reached(source, self.names, rows.named_selects, compared)
        layers += [("jreach", reach)] if reach is not None else []
        source = "jreach" if reach is not None else source
        if shifted:
            return [*layers, *self.c.grouped_components("jcomp", self.names, source, "jall", cells)]
        now = [name for name in self.names if not is_fixed(name)]
        return [*layers, *self.c.grouped_components("jcomp", self.names, source, "jall", cells, _member(now))]

    def _derived(self, spec_id: str) -> exp.Select:
        """A derived indicator's rows: one at every period at which a raw indicator or field it reads has a row (in
        its area), with its value where every one is known and no divisor is 0, else NULL and why
        (AreaEvaluator._derived_at); the others, at the other periods of jcomp, with `present` false."""
        spec = self.rules.indicators[spec_id]
        assert spec.value is not None
        found = formula(self.rules, spec, self.c.per_year)
        value: exp.Expression = exp.cast(exp.null(), self.t)
        w: exp.Expression = lit(1, self.t)
        if found is not None:
            n, w, nonzero = self.c.quotient(compiled(found, self._known, lambda n: lit(n, self.t), self.c.unit))
            every = exp.and_(*(exp.EQ(this=self._state(name), expression=exp.Literal.number(0))
                               for name in certain_components(found)), *nonzero)
            value = exp.Case().when(every, n, copy=False)
        why = self._gap(spec, spec.value.expr, _When())
        assert why is not None  # it reads raw indicators
        # (copy=False: the parts are made here, and copying a year to date's reasons costs seconds)
        select = exp.select(column("area"), _s(spec_id).as_("indicator"), column("period"), column("pidx"),
                            value.as_("v", copy=False), exp.cast(exp.null(), "VARCHAR").as_("raw"),
                            why.as_("why", copy=False), self._present(spec_id, _When()).as_("present", copy=False),
                            copy=False)
        if self.c.quotients:
            select = select.select(w.as_("w", copy=False), copy=False)
        return select.from_("jcomp", copy=False)

    def _column(self, prefix: str, name: str) -> exp.Expression:
        """A column of jcomp: a component's known value (c) or state (s); one not held yet is added (a component
        read some periods back or at one period, named as the derived rows are made). The presence of a derived
        value's period (derived.presence_key) is 0 for both where its series has the period, else NULL."""
        key, back = unshifted(name)
        owner = presence_of(key)
        if owner is not None:
            return exp.Case().when(self._present(owner, _When(back)), lit(0, self.t))
        if is_position(key):
            return self.c.position(name)
        if name not in self.names:
            self.names.append(name)
        return column(f"{prefix}{self.names.index(name)}")

    def _known(self, name: str) -> exp.Expression:
        return self._column("c", name)

    def _state(self, name: str) -> exp.Expression:
        return self._column("s", name)

    def _present(self, spec_id: str, when: _When) -> exp.Expression:
        """Whether a derived indicator's series has the period `when` reads (FALSE: it has none): one of its raw
        components has a row there, or an indicator it reads in a comparator's areas has a period there in each of
        them (derived.compared_in)."""
        def held(keys: Sequence[str]) -> list[exp.Expression]:
            return [exp.Not(this=_null(self._state(when.key(name)))) for name in keys]

        compared = [exp.Paren(this=exp.and_(*(exp.Paren(this=exp.or_(*held([area_key(k, n) for k in keys])))
                                              for n in numbers)))
                    for numbers, keys in self.compared.get(spec_id, ())]
        found = [*held(self.reads[spec_id]), *compared]
        return exp.Paren(this=exp.or_(*found)) if self.reads[spec_id] else exp.false()

    def _label(self, when: _When) -> exp.Expression:
        """The label of the period `when` reads: a row's own, the one some periods before it (a CASE over the data's
        periods: a derived value's row is at one of them), or one period's."""
        if when.fixed is not None:
            return _s(when.label())
        back = when.back
        if not back:
            return column("period")
        assert self.o.periods is not None, "json_run gives the plan the data's periods"
        node = exp.Case()
        for period in sorted(self.o.periods, key=lambda p: p.index):
            node = node.when(exp.EQ(this=column("pidx"), expression=lit(period.index, self.t)),
                             _s(period.shift(-back).label))
        return node if node.args.get("ifs") else exp.cast(exp.null(), "VARCHAR")

    def _gap(self, spec: IndicatorSpec, expr: nodes.Expr, when: _When) -> exp.Expression | None:
        """Why a derived value (a part of `spec`'s) is unknown at the period `when` reads, as _value_expr finds it:
        the first component missing, or division by zero, left to right, as text (NULL: none is; None: it can be
        neither)."""
        if isinstance(expr, nodes.Name):
            return self._field_missing(spec, expr.id, when) if expr.id in spec.fields else \
                self._missing(expr.id, when)
        if isinstance(expr, nodes.Call) and expr.func in EARLIER:
            return self._earlier_gap(expr, when)
        if isinstance(expr, nodes.Call) and expr.func in TO_DATE:
            return self._to_date_gap(expr, when) if TO_DATE[expr.func][1] else self._running_gap(expr, when)
        if isinstance(expr, nodes.AtPeriod):
            return self._fixed_gap(expr)
        read = compared_read(expr)
        if read is not None:
            return self._compared_gap(expr, read, when)
        found = [gap for gap in (self._gap(spec, child, when) for child in children(expr)) if gap is not None]
        divisor = _divisor(expr)
        if divisor is not None:  # after both sides: the interpreter divides once it has both
            zero = self._zero(spec, divisor, when)
            found += [zero] if zero is not None else []
        return _first(found)

    def _zero(self, spec: IndicatorSpec, divisor: nodes.Expr, when: _When) -> exp.Expression | None:
        """"division by zero" where the divisor, a part of `spec`'s value, is 0 at the period `when` reads (None:
        never)."""
        part = part_formula(self.rules, spec, divisor, self.c.per_year)
        if part is None:  # never known: its own gap comes first
            return None
        return exp.Case().when(self._is_zero(part, when), _s("division by zero"))

    def _is_zero(self, part: nodes.Expr, when: _When) -> exp.Expression:
        """Whether a formula (of components, derived.formula's) is 0 at the period `when` reads."""
        value = compiled(when.moved(part), self._known, lambda n: lit(n, self.t), self.c.unit)
        return exp.EQ(this=exp.Paren(this=value.n), expression=lit(0, self.t))

    def _earlier_gap(self, call: nodes.Call, when: _When) -> exp.Expression | None:
        """Why a function of earlier periods (derived.EARLIER) of an indicator has no value at the period `when`
        reads, in AreaEvaluator._offset's and _rolling's words."""
        assert isinstance(call.args[0], nodes.Name)
        name, count = call.args[0].id, count_argument(call)
        before = when.earlier(count)
        if call.func == "previous":
            return self._value_at(name, before)
        if call.func in ("change", "percent_change"):
            found = [self._value_at(name, before), self._value_at(name, when)]
            named = self.rules.indicators[name]
            value = formula(self.rules, named, self.c.per_year) if named.value is not None else nodes.Name(name)
            if call.func == "percent_change" and value is not None:
                found.append(exp.Case().when(self._is_zero(value, before),
                                             _cat(f"no % change: {name} is 0 in ", self._label(before))))
            return _first(found)
        span = _cat(" (needed for ", self._label(when.earlier(count - 1)), "\u2013", self._label(when), ")")
        # || is NULL where the reason is (CONCAT is not): the span is written after a reason only.
        return _first([exp.DPipe(this=self._value_at(name, when.earlier(k)), expression=span.copy(), safe=True)
                       for k in reversed(range(count))])

    def _to_date_gap(self, call: nodes.Call, when: _When) -> exp.Expression | None:
        """Why the period's own part of a cumulative figure (`from_year_to_date(x)`) has no value at the period `when`
        reads, in AreaEvaluator._from_year_to_date's words: the value, or the one before it but in the year's first
        period, has none."""
        assert isinstance(call.args[0], nodes.Name) and TO_DATE[call.func][1]
        name, financial = call.args[0].id, TO_DATE[call.func][0]
        position = self._known(when.key(position_key(financial)))
        counted = exp.GTE(this=position, expression=lit(1, self.t))
        before = exp.Case().when(counted, self._value_at(name, when.earlier(1)))
        return _first([self._value_at(name, when), before])

    def _running_gap(self, call: nodes.Call, when: _When) -> exp.Expression:
        """Why a running year to date (`year_to_date(x)`) has no value at a row's period, in AreaEvaluator._span_sum's
        words: x has none at a period of the year up to it — the first, whether x's series lacks it (its position the
        lowest not in a mask of the positions of the rows that have it) or x has a reason of its own there (the year's
        first such row's) —, then the periods needed. Aggregates over the whole year, not running ones: the first
        period of the year without a value, where it is not after the row's, is the first up to the row's (x may lack
        the row's own period: the row is there for another component)."""
        assert isinstance(call.args[0], nodes.Name) and when == _When()  # (value_words refuses one read elsewhere)
        name, financial = call.args[0].id, TO_DATE[call.func][0]
        position = self._known(position_key(financial))
        start = year_start(position)

        def over_year(total: exp.Expression) -> exp.Expression:
            return exp.Window(this=total, partition_by=[column("area"), start.copy()])

        # A row of jcomp at which x's series has no period is one without x (nor, maybe, a label of its own).
        spec = self.rules.indicators[name]
        held = exp.Not(this=_null(self._state(name))) if spec.value is None else self._present(name, when)
        why = self._value_at(name, when)
        # Each reason behind its row's position (100 to 111, in the positions' order): the least is the year's first
        # (polars has no running or ordered minimum of texts).
        coded = over_year(exp.Min(this=exp.Case().when(exp.and_(held, exp.Not(this=_null(why)), copy=False), _cat(
            exp.cast(exp.Add(this=position.copy(), expression=lit(100, self.t)), "VARCHAR"), why), copy=False)))
        first_reason = exp.Sub(this=exp.cast(exp.Substring(this=coded, start=exp.Literal.number(1),
                                                           length=exp.Literal.number(3)), self.t),
                               expression=lit(100, self.t))
        mask = exp.Case(this=position.copy())
        for k in range(self.c.per_year):
            mask.when(lit(k, self.t), lit(2 ** k, self.t), copy=False)
        held_at = over_year(exp.Sum(this=exp.Case().when(held.copy(), mask, copy=False)))
        first_absent = self._lowest_unset(exp.Coalesce(this=held_at, expressions=[lit(0, self.t)]))  # (none: NULL)
        absent_first = exp.and_(exp.LTE(this=first_absent, expression=position.copy()), exp.or_(
            _null(coded.copy()), exp.LT(this=first_absent.copy(), expression=first_reason), copy=False), copy=False)
        absent = _cat(f"{name} has no value for ", self._index_label(exp.Add(this=start.copy(),
                                                                               expression=first_absent.copy())))
        reason = exp.Substring(this=coded.copy(), start=exp.Literal.number(4))
        missing = exp.Case().when(absent_first, absent, copy=False).when(
            exp.LTE(this=first_reason.copy(), expression=position.copy()), reason, copy=False)
        needed = _cat(" (needed for ", self._index_label(start.copy()), "\u2013", column("period"), ")")
        return exp.DPipe(this=missing, expression=needed, safe=True)  # (NULL where nothing is missing)

    def _lowest_unset(self, mask: exp.Expression) -> exp.Expression:
        """The lowest position of a year whose bit is not set in `mask` (per_year: all are)."""
        lowest = exp.Case()
        for k in range(self.c.per_year):
            below = 2 ** (k + 1)
            lowest.when(exp.NEQ(this=exp.Mod(this=exp.Paren(this=mask.copy()), expression=lit(below, self.t)),
                                expression=lit(below - 1, self.t)), lit(k, self.t), copy=False)
        return lowest.else_(lit(self.c.per_year, self.t), copy=False)

    def _index_label(self, index: exp.Expression) -> exp.Expression:
        """The label of the period of an index, for one from a year before the data's first period to its last."""
        assert self.o.periods is not None, "json_run gives the plan the data's periods"
        if not self.o.periods or self.o.kind is None:  # no data: no row to label
            return exp.cast(exp.null(), "VARCHAR")
        indices = [p.index for p in self.o.periods]
        node = exp.Case(this=index)
        for k in range(min(indices) - self.c.per_year, max(indices) + 1):
            node.when(lit(k, self.t), _s(Period(self.o.kind, k).label), copy=False)
        return node

    def _compared_gap(self, node: nodes.Expr, read: tuple[str, str], when: _When) -> exp.Expression | None:
        """Why `x at c`, gap(x, c) or ratio(x, c) has no value at the period `when` reads, in
        AreaEvaluator._series_value's words: x has none (gap, ratio), or x has none in an area of c, or (ratio) is 0
        there (NULL: none of these)."""
        name, comparator = read
        numbers = comparator_areas(self.rules)
        other = _first([exp.DPipe(this=_s(_inner(f"{comparator} ({area}): ")),
                                  expression=self._value_at(name, replace(when, area=numbers.index(area))), safe=True)
                        for area in self.rules.comparators[comparator].areas])
        if isinstance(node, nodes.AtComparator):
            return other
        found = [self._value_at(name, when), other]
        divisor = at_comparator(self.rules, name, comparator) if isinstance(node, nodes.Call) and \
            node.func == "ratio" else None
        if divisor is not None:
            found.append(exp.Case().when(self._is_zero(divisor, when), _s("division by zero")))
        return _first([gap for gap in found if gap is not None])

    def _fixed_gap(self, node: nodes.AtPeriod) -> exp.Expression:
        """Why `x at 2003/04` has no value, whatever the period computed (AreaEvaluator._series_value): the period is
        not the data's kind, or x has none there (NULL: it has)."""
        if self.c.same_kind(node.period) is None:
            return _s(f"{node.period} is not the kind of period the data uses")
        return self._value_at(node.indicator, _When(fixed=node.period))

    def _value_at(self, name: str, when: _When) -> exp.Expression:
        """Why an indicator has no value at the period `when` reads (AreaEvaluator.value_at; NULL: it has)."""
        spec = self.rules.indicators[name]
        absent = f"{name} has no value for "
        if spec.value is None:
            return self._row_missing(when.key(name), absent, f"{name} is ", self._label(when))
        return self._derived_missing(name, _cat(absent, self._label(when)), "", when)

    def _field_missing(self, spec: IndicatorSpec, field: str, when: _When) -> exp.Expression:
        """Why `spec`'s field is missing at the period `when` reads, in AreaEvaluator._derived_at's words (NULL: it
        is not)."""
        words = f"field '{field}'"
        return self._row_missing(when.key(field_key(spec.id, field)), f"{words} has no value for ",
                                 f"{words} is ", self._label(when))

    def _row_missing(self, name: str, absent: str, held: str, period: exp.Expression | None = None) -> exp.Expression:
        """Why the raw component or field `name` (a column of jcomp) is missing at a row: `absent` and the period
        without a row of it, `held` and "n/a" or "suppressed for" the period with a row but no value (NULL: known).
        `period`: the label of the period meant (the row's, when None)."""
        state, period = self._state(name), column("period") if period is None else period
        return (exp.Case().when(_null(state), _cat(absent, period))
                .when(exp.EQ(this=state.copy(), expression=exp.Literal.number(1)),
                      _cat(f"{held}n/a for ", period.copy()))
                .when(exp.EQ(this=state.copy(), expression=exp.Literal.number(2)),
                      _cat(f"{held}suppressed for ", period.copy())))

    def _missing(self, name: str, when: _When) -> exp.Expression:
        """Why the component `name` is missing at the period `when` reads, in AreaEvaluator._derived_at's words
        (NULL: it is not): it has no row there, or its value (its own reason, after `component name: `) is
        missing."""
        spec = self.rules.indicators[name]
        absent = f"component {name} has no value for "
        if spec.value is None:
            return self._row_missing(when.key(name), absent, f"component {name}: {name} is ", self._label(when))
        return self._derived_missing(name, _cat(absent, self._label(when)), f"component {name}: ", when)

    def _derived_missing(self, name: str, absent: exp.Expression, before: str, when: _When) -> exp.Expression:
        """Why the derived indicator `name` has no value at the period `when` reads: `absent` where its series has
        no such period, else its own reason after `before`."""
        spec = self.rules.indicators[name]
        assert spec.value is not None
        inner = self._gap(spec, spec.value.expr, when)
        if inner is None or not self.reads[name]:  # never a period of its own: never a value
            return absent
        if before:  # || is NULL where the inner reason is (CONCAT is not): the inner reason is written once
            inner = exp.DPipe(this=_s(before), expression=inner, safe=True)
        return exp.Case().when(exp.Not(this=self._present(name, when)), absent, copy=False).else_(inner, copy=False)

    def _jvals(self) -> exp.Select:
        unit = lit(self.c.unit, self.t)
        d = exp.Mul(this=unit, expression=column("w")) if self.c.quotients else unit
        return exp.select("*").select(*self._number_parts("sv", column("v"), d)).from_("jobs")

    def _points(self) -> exp.Select:
        """Each row's point of the series as text, and its gap's key (period and s/n) when it has no value: made
        row by row here, so that the aggregate in jseries only joins texts (polars evaluates an expression inside
        an aggregate group by group: national M, 0.9 s of the plan's 1.3 s)."""
        suppressed = exp.EQ(this=exp.Lower(this=column("raw")), expression=_s("suppressed"))
        missing = _cat('null,\n          "missing": "', column("why"), '"')
        value = self._number("sv") if self.fractional else exp.cast(column("v"), "VARCHAR")
        point = _cat("{\n          \"period\": \"", column("period"), '",\n          "value": ',
                     exp.Case().when(_null(column("v")), missing).else_(value), "\n        }")
        # The period first: the greatest key is the latest period's (labels of one kind sort as their periods).
        gap = exp.Case().when(_null(column("v")), _cat(column("period"), column("why")))
        area, indicator = self._texts_of("area", "indicator")
        select = exp.select(area.as_("area"), indicator.as_("indicator"), column("pidx"), point.as_("point"),
                            gap.as_("gapkey")).from_("jvals" if self.fractional else "jobs")
        if self.report:  # a derived point without a value with its reason (after "g"): it names a component
            code = exp.Case()
            if self.derived:
                code = code.when(exp.and_(_null(column("v")), _member(self.derived)), _cat("g", column("why")))
            value = exp.cast(column("v"), "VARCHAR")
            if self.c.quotients:  # over its row denominator: "n/w"
                value = _cat(value, "/", exp.cast(column("w"), "VARCHAR"))
            code = code.when(_null(column("v")), _when(suppressed.copy(), "s", "n")).else_(value)
            select = select.select(_cat(exp.cast(column("pidx"), "VARCHAR"), ":", code).as_("rpoint"),
                                   _places().as_("rplaces"), copy=False)
        return select

    def _series(self) -> exp.Select:
        point = column("point")
        if self.periods is not None:
            at = [exp.Max(this=exp.Case().when(exp.EQ(this=column("pidx"), expression=exp.Literal.number(p)),
                                               point.copy())) for p in self.periods]
            points: exp.Expression = exp.ConcatWs(expressions=[_s("," + ITEM), *at])
        else:
            points = exp.GroupConcat(this=exp.Order(this=point, expressions=[exp.Ordered(this=column("pidx"))]),
                                     separator=_s("," + ITEM))
        series = _cat("[" + ITEM, points, "\n      ]")
        select = exp.select(column("area"), column("indicator"), series.as_("series"),
                            exp.Max(this=column("gapkey")).as_("gap"))
        if self.report:
            rseries = exp.GroupConcat(this=exp.Order(this=column("rpoint"),
                                                     expressions=[exp.Ordered(this=column("pidx"))]), separator=_s(","))
            select = select.select(rseries.as_("rseries"), exp.Max(this=column("rplaces")).as_("places"), copy=False)
        return select.from_("jpoints").group_by(column("area"), column("indicator"))

    def _any(self) -> exp.Select:
        """The area × indicator pairs with rows at all (with --period: some may lie after it)."""
        area, indicator = self._texts_of("area", "indicator")
        ids = exp.In(this=column("indicator"), expressions=[_s(i) for i in self.ids])
        if self.report:  # with the places of every value, as the interpreter counts them (after the period too)
            rows = self.c._obs().select(column("value").as_("raw"), copy=False).where(ids)
            return (exp.select(area.as_("area"), indicator.as_("indicator"), exp.Max(this=_places()).as_("places"))
                    .from_(rows.subquery("r")).group_by(column("area"), column("indicator")))
        return exp.select(area.as_("area"), indicator.as_("indicator")).distinct().from_("obs").where(ids)

    def _year_gaps(self) -> exp.Select:
        """The rows without a value of the indicators compared with the same period a year earlier, with why
        (`why`): why such a comparison may have nothing to compare with."""
        area, indicator = self._texts_of("area", "indicator")
        return (exp.select(area.as_("area"), indicator.as_("indicator"), column("period"), column("why"))
                .from_("jobs").where(exp.and_(_null(column("v")), _member(self.by_year))))

    def _texts_of(self, *names: str) -> list[exp.Expression]:
        """Columns of areas or indicators as text (polars' are categories, joined here with text)."""
        return [exp.cast(column(n), "VARCHAR") if self.o.dialect == "polars" else column(n) for n in names]

    # --- facts in words -------------------------------------------------------------------------------

    def _jrated(self) -> exp.Select:
        """`rated` with whether the change is inside a static tolerance and why the deciding clause is unknown."""
        select = exp.select("*").from_("rated")
        within, unknown = exp.Case(), exp.Case()
        for ids, judge in self.c.judges:
            words = _Words(judge)
            within = within.when(_member(ids), words.within())
            unknown = unknown.when(_member(ids), words.unknown())
        select = select.select(within.as_("within"), unknown.as_("unknown"), copy=False)
        for name in self.listed:  # each level's numerator (its denominator: _level_denominator)
            numerators = [(ids, judge.level_number(name).n) for ids, judge in self.c.judges]
            select = select.select(self.c._by_indicator(numerators).as_(f"m_{name}"), copy=False)
        if self.by_year:
            select = select.select(self._year_ago().as_("yperiod"), copy=False)
        return select

    def _level_denominator(self, name: str) -> exp.Expression:
        """The denominator of the level `name` of the indicator in the row of `i`, by its judge."""
        denominators = [(ids, lit(judge.level_number(name).d, self.t)) for ids, judge in self.c.judges]
        return self.c._by_indicator(denominators, "i")

    def _year_ago(self) -> exp.Expression:
        """The label of the period a year before the latest value's, for the indicators compared with it: a CASE
        over the data's periods (their labels are what the plan knows of them)."""
        per_year = PER_YEAR[self.o.kind]
        node = exp.Case()
        for period in sorted(self.o.periods or (), key=lambda p: p.index):
            node = node.when(exp.EQ(this=column("lperiod"), expression=_s(period.label)),
                             _s(period.shift(-per_year).label))
        return node if node.args.get("ifs") else exp.cast(exp.null(), "VARCHAR")

    def _joined(self) -> exp.Select:
        rows = []
        for position, spec in enumerate(self.c.specs):
            head = (f'"indicator": {json.dumps(spec.id)}{_NEWLINE_KEY}"title": '
                    f"{json.dumps(spec.title, ensure_ascii=False)}{_NEWLINE_KEY}\"group\": "
                    f"{json.dumps(spec.group.id if spec.group else None, ensure_ascii=False)}{_NEWLINE_KEY}"
                    f'"unit": {json.dumps(_unit_word(spec.unit), ensure_ascii=False)}{_NEWLINE_KEY}')
            rows.append((_s(spec.id), exp.Literal.number(position), _s(head)))
        indicators = exp.values(rows, alias="i", columns=["indicator", "position", "head"])
        r, t, unit = "r", self.t, lit(self.c.unit, self.t)
        area = column("area", "a")
        escaped = exp.func("REPLACE", exp.func("REPLACE", area, _s("\\"), _s("\\\\")), _s('"'), _s('\\"'))
        lv, ev, bv = column("lv", r), column("ev", r), column("bv", r)
        numbers = self.c.numbers(lv, ev, unit)
        numbers |= {plain: numbers[name] for plain, name in REASON_NUMBERS.items()}
        numbers["pb"] = (bv, exp.Mul(this=unit.copy(), expression=column(weight("bv"), r)) if self.c.quotients
                         else unit.copy())
        if "pg" in self.plain:  # the data's target, as its reason writes it: interpreter.plain, whatever the `decimals`
            numbers["pg"] = numbers["target"]
        for name in self.listed:
            numbers[f"m_{name}"] = (column(f"m_{name}", r), self._level_denominator(name))
        kept = ["lperiod", "eperiod", "arrow", "rag", "line", "clause", "met", "on_path", "within", "unknown"]
        select = exp.select(column("ord", "a"), column("position", "i"), column("indicator", "i"),
                            column("head", "i"), _cat('"', escaped, '"').as_("area_json"),
                            *(self._decided(c, r) for c in kept), *(_null(c.copy()).as_(f"{n}_none") for n, c in
                                                            (("lv", lv), ("ev", ev), ("bv", bv))),
                            exp.EQ(this=ev.copy(), expression=lit(0, t)).as_("ev_zero"),
                            _null(column("jn", r)).as_("jn_none"),
                            column("series", "s"), column("gap", "s"))
        for name, (n, d) in numbers.items():
            select = select.select(n.copy().as_(f"{name}_n"), d.copy().as_(f"{name}_d"), copy=False)
        if "pg" in self.plain:  # whether the data gives no target at the latest value's period
            select = select.select(_null(column("l_target", r)).as_("dt_none"), copy=False)
        if self.o.at is not None:
            select = select.select(exp.Not(this=_null(column("indicator", "y"))).as_("rows"), copy=False)
        if self.report:
            select = select.select(exp.cast(column("area", "a"), "VARCHAR").as_("area"), column("rseries", "s"),
                                   column("places", "s" if self.o.at is None else "y"), copy=False)
        on = {alias: exp.and_(exp.EQ(this=column("area", alias), expression=column("area", "a")),
                              exp.EQ(this=column("indicator", alias), expression=column("indicator", "i")))
              for alias in (r, "s", "y", "g")}
        select = (select.from_(exp.alias_(exp.table_("areas"), "a")).join(indicators, join_type="cross")
                  .join(exp.alias_(exp.table_("jrated"), r), on=on[r], join_type="left")
                  .join(exp.alias_(exp.table_("jseries"), "s"), on=on["s"], join_type="left"))
        if self.o.at is not None:
            select = select.join(exp.alias_(exp.table_("jany"), "y"), on=on["y"], join_type="left")
        if self.by_year:
            on_year = exp.and_(on["g"], exp.EQ(this=column("period", "g"), expression=column("yperiod", r)))
            select = select.select(self._no_earlier(r), copy=False).join(
                exp.alias_(exp.table_("jyear"), "g"), on=on_year, join_type="left")
        if self.held:
            on_levels = exp.and_(exp.EQ(this=column("area", "v"), expression=column("area", "a")),
                                 exp.EQ(this=column("position", "v"), expression=column("position", "i")))
            select = select.select(exp.Not(this=_null(column("position", "v"))).as_("lrows"), copy=False).join(
                exp.alias_(exp.table_(HELD_SERIES), "v"), on=on_levels, join_type="left")
        for side in COUNTED if self.counted else ():  # the figures at the latest value's period
            at = exp.and_(*(exp.EQ(this=column(name, side), expression=column(other, r)) for name, other in (
                ("carea", "area"), ("counted", "indicator"), ("at", "lperiod"))))  # (text on both sides, in polars)
            select = select.select(column(side, side), copy=False).join(
                exp.alias_(exp.table_(f"j{side}"), side), on=at, join_type="left")
        return select

    def _no_earlier(self, r: str) -> exp.Expression:
        """Facts._comparison_point's reason when nothing a year earlier compares (an empty value there, or none)."""
        ago = column("yperiod", r)
        ahead = _cat("no arrow: there is no value for ", ago, " (same period a year earlier) to compare with")
        return exp.Case().when(exp.Not(this=_null(column("period", "g"))), _cat(ahead, ": ", column("why", "g"))) \
            .else_(_cat(ahead.copy(), " (too few data points)")).as_("no_earlier")

    def _decided(self, name: str, table: str) -> exp.Expression:
        """The column `name` of `table`; of what the rules decide (DECIDED), that of an assessment without a value
        too, where the rules decide one (sql_plan._Compiler.without_value)."""
        found = column(name, table)
        decided = self.c.without_value(name, "i", found) if name in DECIDED else found
        return found if decided is found else decided.as_(name)

    def _parts(self) -> exp.Select:
        select = exp.select("*").from_("jjoined")
        for name in self.json_numbers:
            select = select.select(*self._number_parts(name, column(f"{name}_n"), column(f"{name}_d")), copy=False)
        for name in self.plain:
            n, d = column(f"{name}_n"), column(f"{name}_d")
            places, scale = self._places(name, n, d)
            scaled = exp.Add(this=exp.Mul(this=exp.Mul(this=lit(2, self.t), expression=exp.Abs(this=n)),
                                          expression=scale), expression=exp.Paren(this=d))
            two_d = exp.Mul(this=lit(2, self.t), expression=exp.Paren(this=d.copy()))
            select = select.select(exp.LT(this=n.copy(), expression=lit(0, self.t)).as_(f"{name}_neg"),
                                   quotient(scaled, two_d, self.o.dialect, self.t).as_(f"{name}_q"), copy=False)
            if not isinstance(places, exp.Literal):
                select = select.select(places.as_(f"{name}_places"), copy=False)
        return select

    def _places(self, name: str, n: exp.Expression, d: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
        """How many places a reason shows the number `name` (n / d) at, row by row, and 10 to that power: PLACES,
        or the indicator's `decimals` (Facts.num: one more for a computed number not exact at them)."""
        fixed = self._fixed() if name in FIXED else {}
        if not fixed:
            return exp.Literal.number(PLACES), lit(10 ** PLACES, self.t)
        places, scale = exp.Case(), exp.Case()
        for decimals, ids in fixed.items():
            if FIXED[name]:
                exact_there = exp.EQ(this=exp.Mod(this=exp.Mul(this=exp.Paren(this=n.copy()),
                                                               expression=lit(10 ** decimals, self.t)),
                                                  expression=exp.Paren(this=d.copy())), expression=lit(0, self.t))
                places = places.when(exp.and_(_member(ids), exact_there), exp.Literal.number(decimals))
                scale = scale.when(exp.and_(_member(ids), exact_there.copy()), lit(10 ** decimals, self.t))
                decimals += 1
            places = places.when(_member(ids), exp.Literal.number(decimals))
            scale = scale.when(_member(ids), lit(10 ** decimals, self.t))
        return places.else_(exp.Literal.number(PLACES)), scale.else_(lit(10 ** PLACES, self.t))

    def _places_column(self, name: str) -> exp.Expression:
        """How many places the reasons show the number `name` at (the column _parts made, where rules vary it)."""
        return column(f"{name}_places") if name in FIXED and self._fixed() else exp.Literal.number(PLACES)

    def _fixed(self) -> dict[int, list[str]]:
        """The indicators whose rules set `decimals`, by it."""
        return _grouped({spec.id: spec.decimals for spec in self.c.specs if spec.decimals is not None})

    def _digits(self) -> exp.Select:
        select = exp.select("*")
        for name in self.plain:
            digits = exp.cast(column(f"{name}_q"), "VARCHAR")
            places = self._places_column(name)
            least = exp.Literal.number(PLACES + 1) if isinstance(places, exp.Literal) else \
                exp.Add(this=places, expression=exp.Literal.number(1))
            width = exp.cast(exp.Greatest(this=exp.Length(this=digits), expressions=[least]), "INT")
            select = select.select(exp.func("LPAD", digits.copy(), width, _s("0")).as_(f"{name}_digits"), copy=False)
        return select.from_("jparts")

    def _texts(self) -> exp.Select:
        """Each JSON number's text and each reason number's (interpreter.plain; `s`: signed as _signed)."""
        kept = ["ord", "position", "indicator", "head", "area_json", "lperiod", "eperiod", "arrow", "rag", "line",
                "clause", "met", "on_path", "within", "unknown", "lv_none", "ev_none", "bv_none", "ev_zero",
                "jn_none", "series", "gap"] + (["rows"] if self.o.at is not None else []) + \
            (["no_earlier"] if self.by_year else []) + (["lrows"] if self.held else []) + \
            (["dt_none"] if "pg" in self.plain else []) + [f"m_{name}_null" for name in self.listed]
        if self.report:
            kept += ["area", "rseries", "places", *(f"{name}_{part}" for name in (*EXACT_NUMBERS, *self.levels)
                                                    for part in "nd"), *(COUNTED if self.counted else ())]
        select = exp.select(*(column(c) for c in kept))
        select = select.select(*(self._number(name).as_(f"j_{name}") for name in self.json_numbers), copy=False)
        for name in self.plain:
            digits, places = column(f"{name}_digits"), self._places_column(name)
            cut = exp.Sub(this=exp.Length(this=digits), expression=places)
            text = _cat(exp.Substring(this=digits, start=exp.Literal.number(1), length=cut), ".",
                        exp.Substring(this=digits.copy(), start=exp.Add(this=cut.copy(),
                                                                        expression=exp.Literal.number(1))))
            trimmed: exp.Expression = exp.Trim(this=exp.Trim(this=text, expression=_s("0"), position="TRAILING"),
                                               expression=_s("."), position="TRAILING")
            fixed = [i for ids in self._fixed().values() for i in ids] if name in FIXED else []
            if fixed:  # at the rule's places, untrimmed (Facts.num): with none, the digits alone
                whole = exp.EQ(this=places.copy(), expression=exp.Literal.number(0))
                trimmed = (exp.Case().when(exp.and_(_member(fixed), whole), digits.copy())
                           .when(_member(fixed), text.copy()).else_(trimmed))
            negative = column(f"{name}_neg")
            shown = exp.Case().when(exp.and_(negative, exp.NEQ(this=column(f"{name}_q"), expression=lit(0, self.t))),
                                    _cat("-", trimmed)).else_(trimmed.copy())
            select = select.select(shown.as_(f"p_{name}"), copy=False)
            if name in ("pc", "pp"):
                signed = exp.Case().when(negative.copy(), shown.copy()).else_(_cat("+", shown.copy()))
                select = select.select(signed.as_(f"s_{name}"), copy=False)
        return select.from_("jdigits")

    def _number_parts(self, name: str, n: exp.Expression, d: exp.Expression) -> list[exp.Expression]:
        """exact.number_parts (NAME_neg, NAME_q), and whether the number is unknown (NAME_null) or whole
        (NAME_whole): Python writes a whole Fraction as an integer, any other as a float."""
        whole = exp.EQ(this=exp.Mod(this=exp.Paren(this=n.copy()), expression=exp.Paren(this=d.copy())),
                       expression=lit(0, self.t))
        return [*number_parts(name, n, d, self.o.dialect, self.t), _null(n.copy()).as_(f"{name}_null"),
                whole.as_(f"{name}_whole")]

    def _number(self, name: str) -> exp.Expression:
        """A JSON number's text ('null' when unknown), wrapped in MARK where Python writes it otherwise."""
        q = column(f"{name}_q")
        odd = exp.and_(exp.Not(this=column(f"{name}_whole")), exp.NEQ(this=q, expression=lit(0, self.t)),
                       exp.or_(exp.LT(this=q.copy(), expression=lit(100, self.t)),
                               exp.GTE(this=q.copy(), expression=lit(10**15, self.t))))
        text = number_text(name, self.o.dialect, self.t)
        return (exp.Case().when(column(f"{name}_null"), _s("null"))
                .when(odd, _cat(MARK, text, MARK)).else_(text.copy()))

    # --- the objects ------------------------------------------------------------------------------

    def _words(self) -> tuple[exp.Case, exp.Case]:
        """The reasons (the items of a JSON list) and the clause traces (a JSON list), by indicator."""
        reasons, clauses = exp.Case(), exp.Case()
        for ids, judge in self.c.judges:
            words = _Words(judge, bool(self.held))
            reasons = reasons.when(_member(ids), words.reasons(self.o.at is not None))
            clauses = clauses.when(_member(ids), words.clauses())
        return reasons, clauses

    def items(self, source: str) -> exp.Select:
        """Each assessment's JSON (`item`) from the facts as text in the table `source`."""
        reasons, clauses = self._words()
        rule = exp.Case().when(_null(column("line")), _s("null")).else_(
            _cat('{\n        "file": ' + json.dumps(self.rules.file, ensure_ascii=False) + ',\n        "line": ',
                 exp.cast(column("line"), "VARCHAR"), "\n      }"))
        previous = exp.Case().when(column("ev_none"), _s("null")).else_(
            _cat('{\n        "period": "', column("eperiod"), '",\n        "value": ', column("j_previous_value"),
                 "\n      }"))

        def text(name: str) -> exp.Expression:
            return exp.Case().when(_null(column(name)), _s("null")).else_(_cat('"', column(name), '"'))

        def truth(name: str) -> exp.Expression:
            return (exp.Case().when(column(name), _s("true")).when(exp.Not(this=column(name)), _s("false"))
                    .else_(_s("null")))

        k = _NEWLINE_KEY
        item = _cat("{\n      \"area\": ", column("area_json"), k, column("head"), '"period": ', text("lperiod"),
                    k + '"value": ', column("j_value"), k + '"series": ',
                    exp.Coalesce(this=column("series"), expressions=[_s("[]")]), k + '"previous": ', previous,
                    k + '"change": ', column("j_change"), k + '"change_pct": ', column("j_change_pct"),
                    k + '"arrow": "', exp.Coalesce(this=column("arrow"), expressions=[_s("na")]),
                    '"' + k + '"rag": "', exp.Coalesce(this=column("rag"), expressions=[_s("na")]),
                    '"' + k + '"target": ', column("j_target"), k + '"trajectory": ', column("j_trajectory"),
                    k + '"target_met": ', truth("met"), k + '"on_trajectory": ', truth("on_path"),
                    k + '"reasons": [' + ITEM, reasons, "\n      ]" + k + '"rule": ', rule,
                    k + '"clauses": ', clauses, k + '"discrepancies": []', self._levels(), "\n    }")
        return exp.select(item.as_("item"), column("ord"), column("position")).from_(source)

    def _levels(self) -> exp.Expression:
        """The `levels` object, of those known at the latest value's period (Facts.levels), when one is."""
        if not self.listed:
            return _s("")
        known = _cat(*(_when(column(f"m_{name}_null"), "", _cat(f',\n        "{name}": ', column(f"j_m_{name}")))
                       for name in self.listed))
        listed = _cat(',\n      "levels": {', exp.Substring(this=known.copy(), start=exp.Literal.number(2)),
                      "\n      }")
        return _when(exp.EQ(this=known, expression=_s("")), "", listed)

    def report_rows(self, source: str) -> exp.Select:
        """Each assessment's facts for a report (REPORT_COLUMNS) from the facts as text in the table `source`: the
        reasons as the items of a JSON list, the clauses as a JSON list."""
        reasons, clauses = self._words()
        made: dict[str, exp.Expression] = {"reasons": reasons, "clauses": clauses}
        if "pg" not in self.plain:  # no data target anywhere
            made["dt_none"] = exp.true()
        made |= {f"m_{name}_{part}": exp.null() for name in LEVEL_NAMES if name not in self.listed for part in "nd"}
        if not self.counted:
            made |= {side: exp.null() for side in COUNTED}
        return exp.select(*(made[name].as_(name) if name in made else column(name) for name in REPORT_COLUMNS)
                          ).from_(source)


def _places() -> exp.Expression:
    """How many places a value's text (`raw`, checked as input_checks.NUMBER_PATTERN) has after its point, as
    core/numbers.places_of counts them; NULL for a missing value."""
    # Without STRPOS, which polars reads as a pattern: the digits after the point are those a trailing trim of
    # digits takes off, when the text has a point at all.
    raw = column("raw")
    pointed = exp.LT(this=exp.Length(this=exp.func("REPLACE", raw, _s("."), _s(""))),
                     expression=exp.Length(this=raw.copy()))
    trimmed = exp.Trim(this=raw.copy(), expression=_s("0123456789"), position="TRAILING")
    after = exp.Sub(this=exp.Length(this=raw.copy()), expression=exp.Length(this=trimmed))
    return exp.Case().when(_null(column("v")), exp.null()).when(pointed, after).else_(exp.Literal.number(0))


def _first(found: Sequence[exp.Expression]) -> exp.Expression | None:
    """The first of these texts that is not NULL (None: there are none)."""
    if len(found) > 1:
        return exp.Coalesce(this=found[0], expressions=list(found[1:]))
    return found[0] if found else None


def _divisor(expr: nodes.Expr) -> nodes.Expr | None:
    """What a node of a value divides by (None: it does not divide)."""
    if isinstance(expr, nodes.Arith) and expr.op == "/":
        return expr.right
    if isinstance(expr, nodes.Call) and expr.func == "share_of":
        return expr.args[1]
    return None


def _member(ids: Sequence[str]) -> exp.Expression:
    return exp.In(this=column("indicator"), expressions=[_s(i) for i in ids])


class _Words:
    """One indicator's reasons and clause traces in the interpreter's words, as SQL text (escaped for JSON)."""

    def __init__(self, judge: _Judge, held: bool = False):
        """`held`: whether the plan knows the series the data holds without values (_Json._held)."""
        self.j = judge
        self.held = held
        self.spec: IndicatorSpec = judge.spec
        self.t = judge.t

    # layer jrated (the columns of `rated`)

    def within(self) -> exp.Expression:
        """Whether the change is inside the static tolerance, as sql_plan._Judge._arrow decides it."""
        static = self.spec.arrow.static
        if static is None:
            return exp.cast(exp.null(), "BOOLEAN")
        j, t = self.j, self.t
        size, limit = absolute(add(j.lv, j.ev, t, "-")), Num.const(exact(static.tolerance.value), t)
        if static.tolerance.unit == "%":
            size, limit = mul(size, Num.const(HUNDRED, t)), mul(limit, absolute(j.ev))
        return compare("<=" if static.inclusive else "<", size, limit, t)

    def unknown(self) -> exp.Expression:
        """Why the deciding clause could not be decided: the first reason Facts.unknown records."""
        node = exp.Case()
        for k, clause in enumerate(self.spec.rag.clauses if self.spec.rag else (), start=1):
            if clause.condition is not None:
                node = node.when(exp.EQ(this=column("clause"), expression=exp.Literal.number(-k)),
                                 self._first_unknown(clause.condition))
        return node.else_(exp.cast(exp.null(), "VARCHAR")) if node.args.get("ifs") else \
            exp.cast(exp.null(), "VARCHAR")

    def _first_unknown(self, expr: nodes.Expr) -> exp.Expression:
        """lang/conditions.decide's walk: the right side only when the left does not settle it."""
        if isinstance(expr, (nodes.And, nodes.Or)):
            left = self.j._condition(expr.left)
            goes_on = (exp.Coalesce(this=exp.Paren(this=left), expressions=[exp.true()]) if isinstance(expr, nodes.And)
                       else exp.Not(this=exp.Coalesce(this=exp.Paren(this=left), expressions=[exp.false()])))
            return exp.Coalesce(this=self._first_unknown(expr.left),
                                expressions=[exp.Case().when(goes_on, self._first_unknown(expr.right))])
        if isinstance(expr, nodes.Not):
            return self._first_unknown(expr.operand)
        if isinstance(expr, (nodes.Compare, nodes.Reaches)):
            return self._number_unknown([expr.left, expr.right])
        reasons: list[tuple[exp.Expression, str | exp.Expression]] = []
        if isinstance(expr, nodes.ArrowIs):
            if expr.arrow != "na":
                reasons.append((exp.EQ(this=column("arrow"), expression=_s("na")), "the arrow is n/a"))
        elif isinstance(expr, nodes.OnTrajectory):
            reasons.append((_null(column("jn")), "there is no trajectory value"))
        elif isinstance(expr, (nodes.TargetMet, nodes.WithinTarget, nodes.TargetExceeded)):
            reasons.append((_null(column("tn")), "there is no target"))
        elif isinstance(expr, nodes.Margin):
            reasons.append(self._no_reference(expr.reference))
        elif isinstance(expr, nodes.GapState) and expr.state != "closed":
            reasons.append((_null(column("ev")), "there is no earlier value to compare the gap with"))
        return self._first(reasons)

    def _number_unknown(self, exprs: list[nodes.Expr]) -> exp.Expression:
        """Facts.number's reasons for the references it finds unknown, in the order it reads them."""
        refs = {"value": "lv", "previous": "ev", "change": "ev", "target": "tn", "trajectory": "jn", "baseline": "bv"}
        reasons: list[tuple[exp.Expression, str | exp.Expression]] = []
        for expr in exprs:
            for node in _in_order(expr):
                if isinstance(node, nodes.LevelRef):
                    reasons.append(self._no_reference(node.name))
                if isinstance(node, nodes.Arith):  # a division: both operands known, the divisor 0
                    left, right = self.j._number(node.left), self.j._number(node.right)
                    zero = exp.EQ(this=exp.Paren(this=right.n), expression=lit(0, self.j.t))
                    reasons.append((exp.and_(exp.Not(this=_null(left.n)), zero), "division by zero"))
                if isinstance(node, nodes.Ref):
                    missing: exp.Expression = _null(column(refs[node.which]))
                    if node.which == "baseline":  # (none where the data gives the target: Facts.baseline)
                        baseline = self.j._baseline()
                        missing = exp.true() if baseline is None else _null(baseline.n)
                    which = "there is no value" if node.which == "value" else f"there is no {node.which} value"
                    reasons.append((missing, which))
        return self._first(reasons)

    def _no_reference(self, name: str) -> tuple[exp.Expression, str | exp.Expression]:
        """Facts.no_reference: where what a margin is measured from (the target, the trajectory value, a level) is
        unknown, and the words."""
        if name == "target":
            return _null(column("tn")), "there is no target"
        if name == "trajectory":
            return _null(column("jn")), "there is no trajectory value"
        return _null(self.j.level_number(name).n), _cat(f"there is no {name} level for ", column("lperiod"),
                                                        " (neither the rules nor the data give one)")

    @staticmethod
    def _first(reasons: list[tuple[exp.Expression, str | exp.Expression]]) -> exp.Expression:
        if not reasons:
            return exp.cast(exp.null(), "VARCHAR")
        node = exp.Case()
        for condition, words in reasons:
            node = node.when(condition, _s(_inner(words)) if isinstance(words, str) else words)
        return node

    # layer jtexts -> the items

    def reasons(self, with_period: bool) -> exp.Expression:
        """The reasons, each a JSON string, joined as the list's items."""
        no_rag = self.spec.rag is None
        rag_none = ',' + ITEM + '"RAG n/a: the rules give this indicator no RAG clauses"' if no_rag else ""
        nothing: exp.Expression = _cat('"no data for ', column("indicator"), ' in the dataset"')
        if self.spec.value is not None:  # AreaEvaluator._no_data_reason: a derived series is never in the data
            nothing = _s('"no value up to the assessed period"')
        elif with_period or self.held:  # rows at any period, or level or field rows, make a series
            series = [*([column("rows")] if with_period else []), *([column("lrows")] if self.held else [])]
            nothing = exp.Case().when(exp.or_(*series), _s('"no value up to the assessed period"')).else_(nothing)
        width = len(Period(self.j.c.o.kind, 0).label)  # the gap's key: the period's label, then why
        gaps = _cat('"no value to assess: ', exp.Substring(this=column("gap"), start=exp.Literal.number(width + 1)),
                    '"')
        absent = _cat(exp.Case().when(exp.Not(this=_null(column("gap"))), gaps).else_(nothing), rag_none,
                      *([self._rag()] if tests_data(self.spec.rag) else []))  # rules that rate having no data
        known = _cat('"latest value ', column("p_pv"), " in ", column("lperiod"), '"', self._peak(), self._arrow(),
                     self._target(), self._rag() if not no_rag else _s(rag_none))
        return exp.Case().when(column("lv_none"), absent).else_(known)

    def _peak(self) -> exp.Expression:
        peak = self.spec.arrow.peak
        if peak is None:
            return _s("")
        return _when(exp.EQ(this=column("arrow"), expression=_s("peak")),
                     _cat("," + ITEM + '"★ peak: ', column("p_pv"), " is at its maximum of "
                          + _inner(_quantity_words(peak.maximum)) + '"'))

    def _arrow(self) -> exp.Expression:
        static = self.spec.arrow.static
        comparison = _cat(column("p_pv"), " (", column("lperiod"), ") against ", column("p_pe"), " (",
                          column("eperiod"), "): change ", column("s_pc"),
                          _when(exp.Not(this=column("ev_zero")), _cat(" (", column("s_pp"), " %)")))
        polarity = _inner(Facts(self.spec, [], {})._polarity_words())
        word = (exp.Case().when(exp.EQ(this=column("arrow"), expression=_s("up")), _s("▲ improved"))
                .when(exp.EQ(this=column("arrow"), expression=_s("down")), _s("▼ worse")).else_(_s("◀▶ static")))
        compare = self.spec.arrow.compare
        earlier = f"mean of the previous {compare.count} values" if compare.method == "mean" else \
            "previous available value"  # Facts._comparison_point's words
        none: exp.Expression = _s("," + ITEM + f'"no arrow: there is no {earlier} to compare with (too few data '
                                  'points)"')
        if compare.method == "year":
            none = _cat("," + ITEM + '"', column("no_earlier"), '"')
        node = (exp.Case().when(column("ev_none"), none)
                .when(exp.EQ(this=column("arrow"), expression=_s("peak")), _s("")))
        outside = ""
        if static is not None:
            tolerance = _inner(f"static {'within' if static.inclusive else 'below'} "
                               f"{_quantity_words(static.tolerance)}")
            if static.tolerance.unit == "%":
                node = node.when(column("ev_zero"), _cat("," + ITEM + '"no arrow: ', comparison,
                                                         '; a % tolerance needs a non-zero earlier value"'))
            node = node.when(column("within"), _cat("," + ITEM + '"◀▶ static: ', comparison.copy(),
                                                    f', inside the tolerance ({tolerance})"'))
            outside = f", outside the tolerance ({tolerance})"
        return node.else_(_cat("," + ITEM + '"', word, ": ", comparison.copy(), f'{outside}; {polarity}"'))

    def _target(self) -> exp.Expression:
        """Facts._judge_target's reason: the data's target for the latest value's period where it gives one (the
        rules' target is then not worked out), else the rules'."""
        target = self.spec.target
        if target is not None and target.from_data:
            words = _cat("," + ITEM + '"no target: the dataset gives none for ', column("lperiod"),
                         ' (target from data)"')
        else:
            words = self._rule_target()
        if "target" not in self.j.given:
            return words
        given = _cat("," + ITEM + '"target ', column("p_pg"), " for ", column("lperiod"), ' (from the dataset)"')
        return exp.Case().when(column("dt_none"), words).else_(given)

    def _rule_target(self) -> exp.Expression:
        target, c = self.spec.target, self.j.c
        if target is None:
            return _s("," + ITEM + '"no target is set"')
        if target.fixed is not None:
            return _s("," + ITEM + '"' + _inner(f"target {_quantity_words(target.fixed.amount)}") + '"')
        goal = target.goal
        words: exp.Expression = _s("")
        if target.per_period:  # its trajectory value is its target: known where the target is
            words = _when(column("jn_none"),
                          _cat("," + ITEM + '"no target is set for ', column("lperiod"), '"'),
                          _cat("," + ITEM + '"target for ', column("lperiod"), ": ", column("p_pt"),
                               ' (profiled by period)"'))
        elif isinstance(goal, nodes.AnnualStmt):
            words = self._annual(goal)
        elif goal is not None and isinstance(goal, nodes.ChangeStmt) and target.baseline is None:
            words = _s("," + ITEM + '"no target: a change target needs a baseline period"')
        elif goal is not None:
            period = _inner(goal.period)
            if c.same_kind(goal.period) is None:
                words = _s("," + ITEM + f'"no trajectory: the target period {period} is not the kind of period '
                           'the data uses"')
            elif target.baseline is None or target.trajectory == "flat":
                words = _cat("," + ITEM + '"target ', column("p_pt"), f' by {period}"')
            else:
                base = _inner(target.baseline.period)
                words = _when(column("jn_none"),
                              _cat("," + ITEM + '"no trajectory: ', column("lperiod"),
                                   f' is before the baseline period {base}"'),
                              _cat("," + ITEM + '"target ', column("p_pt"),
                                   f" by {period} ({_inner(_goal_words(_change_or_reach(goal)))} from ",
                                   column("p_pb"),
                                   f" in {base}); linear trajectory value for ", column("lperiod"), ": ",
                                   column("p_pj"), '"'))
        if target.baseline is None:
            return words
        missing = _inner(f"no trajectory: no value for the baseline period {target.baseline.period}")
        return _when(column("bv_none"), "," + ITEM + '"' + missing + '"', words)

    def _annual(self, goal: nodes.AnnualStmt) -> exp.Expression:
        """interpreter.Facts._annual_target's reason: the words of each period of the profile, and for any other
        period those of one outside the year, around its label (the interpreter's own words, annual_words)."""
        path = annual_profile(goal, self.j.c.o.kind)
        if isinstance(path, str):
            return _s("," + ITEM + '"' + _inner(f"no target: {path}") + '"')
        node = exp.Case()
        for period, _ in path:
            node = node.when(exp.EQ(this=column("lperiod"), expression=_s(period.label)),
                             _s("," + ITEM + '"' + _inner(annual_words(goal, path, period.label)) + '"'))
        before, after = annual_words(goal, path, MARK).split(MARK)
        return node.else_(_cat("," + ITEM + '"' + _inner(before), column("lperiod"), _inner(after) + '"'))

    def _rag(self) -> exp.Expression:
        assert self.spec.rag is not None
        node = exp.Case()
        for k, clause in enumerate(self.spec.rag.clauses, start=1):
            assert clause.span is not None  # json_unsupported refuses a clause without a line
            line, detail = clause.span.line, _inner(_clause_words(clause))
            node = node.when(exp.EQ(this=column("clause"), expression=exp.Literal.number(k)),
                             _s("," + ITEM + f'"RAG {_inner(clause.label)}: `{detail}` holds (line {line})"'))
            node = node.when(exp.EQ(this=column("clause"), expression=exp.Literal.number(-k)),
                             _cat("," + ITEM + f'"RAG n/a: cannot decide `{detail}` (line {line}): ',
                                  column("unknown"), '"'))
        return node.when(exp.EQ(this=column("clause"), expression=exp.Literal.number(0)),
                         _s("," + ITEM + '"RAG n/a: no clause holds (add an `otherwise` clause)"')).else_(_s(""))

    def clauses(self) -> exp.Expression:
        """The clauses as tried: false up to the deciding one, which holds or cannot be decided."""
        rag = self.spec.rag
        if rag is None:
            return _s("[]")

        def trace(clause: nodes.Clause, outcome: str) -> str:
            assert clause.span is not None
            return (f'{{\n          "label": {json.dumps(clause.label, ensure_ascii=False)},\n          "line": '
                    f'{clause.span.line},\n          "outcome": "{outcome}"')

        node = exp.Case()
        tried = ""
        for k, clause in enumerate(rag.clauses, start=1):
            before = "[" + ITEM + tried
            node = node.when(exp.EQ(this=column("clause"), expression=exp.Literal.number(k)),
                             _s(before + trace(clause, "true") + "\n        }\n      ]"))
            detail = _when(exp.Coalesce(this=column("unknown"), expressions=[_s("")]).neq(_s("")),
                           _cat(',\n          "detail": "', column("unknown"), '"'))
            node = node.when(exp.EQ(this=column("clause"), expression=exp.Literal.number(-k)),
                             _cat(before + trace(clause, "unknown"), detail, "\n        }\n      ]"))
            tried += trace(clause, "false") + "\n        }," + ITEM
        everything = "[" + ITEM + tried[:-len("," + ITEM)] + "\n      ]" if tried else "[]"
        return node.when(exp.EQ(this=column("clause"), expression=exp.Literal.number(0)), _s(everything)).else_(
            _s("[]"))


def _change_or_reach(goal: object) -> nodes.ChangeStmt | nodes.ReachStmt:
    assert isinstance(goal, (nodes.ChangeStmt, nodes.ReachStmt))  # support.py refuses an annual target
    return goal


def _in_order(expr: nodes.Expr) -> list[nodes.Expr]:
    """The nodes of a number as Facts.number reads them: left before right, depth first, each argument of a
    function in turn, and a division after both its operands (whose divisor it then tests for 0)."""
    if isinstance(expr, nodes.Arith):
        operands = [*_in_order(expr.left), *_in_order(expr.right)]
        return [*operands, expr] if expr.op == "/" else operands
    if isinstance(expr, nodes.Negate):
        return _in_order(expr.operand)
    if isinstance(expr, nodes.Call):
        return [node for arg in expr.args for node in _in_order(arg)]
    return [expr]

