"""Compiles a resolved rule set into one SQL query (a sqlglot tree) that assesses every area × indicator.

The input is a long-form table `(area, indicator, period, value)` with text cells, as in a CSV file; the result
is one row per area and rule-file indicator, in the columns of core/csv_cells.COLUMNS, each cell the exact text
render/csv_out.render_csv writes for the reference interpreter's assessment. Between the two, layers of common
table expressions compute what an assessment holds: the latest and the compared value (picked from one column per
period when the data's periods are known and few, else ranked by a window), the change and % change,
the arrow, target and trajectory, whether each is met, and the deciding RAG clause (`clause`: +k clause k held,
-k clause k could not be decided, 0 none held). Every number is exact (exact.Num); indicators that compile to
the same expression share one CASE branch. Build the plan only for a rule set support.unsupported accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import pairwise
from typing import NamedTuple, TypeVar

import sqlglot
from sqlglot import exp

from lsprules.core.csv_cells import COLUMNS, text_cells
from lsprules.core.numbers import HUNDRED, exact
from lsprules.core.periods import PER_YEAR, Period, PeriodError, PeriodKind, parse_period, year_offset
from lsprules.data.model import DATA_LEVELS
from lsprules.engine.columnar.derived import (
    Quotient,
    area_of,
    certain_components,
    compared_keys,
    compiled,
    components,
    derived_specs,
    formula,
    is_fixed,
    is_position,
    level_key,
    off_scale,
    position_of,
    presence_of,
    raw_components,
    read_keys,
    reads_back,
    unfixed,
    unshifted,
)
from lsprules.engine.columnar.exact import (
    Num,
    absolute,
    add,
    at_least_zero,
    case,
    compare,
    divide,
    extreme,
    lit,
    mul,
    neg,
    number_parts,
    number_text,
)
from lsprules.engine.columnar.input_checks import FIELD, LEVEL, MISSING_WORDS, key_sql
from lsprules.engine.interpreter import annual_profile
from lsprules.lang import nodes
from lsprules.lang.resolve import IndicatorSpec, RuleSet, TargetSpec, assessed_away, comparator_areas

DIALECTS = ("duckdb", "spark", "bigquery", "trino", "postgres", "snowflake")
# Engines lsprules runs the plan in besides DuckDB: polars' SQL engine reads PostgreSQL text (polars_run.py).
TARGETS = (*DIALECTS, "polars")
# The exact integer type by target: 128-bit integers where the engine has them, else 38-digit decimals.
INT_TYPES = {"duckdb": "HUGEINT", "polars": "INT128"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # as core/csv_cells.FORMULA_STARTS
QUOTED = (",", '"', "\n", "\r")
# A row whose only cell is empty, as the csv module writes it: a blank line would be no row at all.
ONLY_CELL_EMPTY = '""'
NUMBERS = ("value", "previous_value", "change", "change_pct", "target", "trajectory")  # COLUMNS that are numbers
Cols = dict[str, exp.Expression]
# Layers whose columns the next layer uses many times: DuckDB would otherwise copy each use's expression.
BY_PERIOD = 12  # the most periods picked by column: the previous value's expression grows as its square
LAYERS = {"compared", "judged", "decided", "rated", "joined", "parts"}
_V = TypeVar("_V")
Layers = list[tuple[str, exp.Query]]  # the plan's named layers (CTEs), in order


@dataclass(frozen=True)
class PlanOptions:
    """What a plan is compiled for: the SQL dialect (one of TARGETS), the data's kind of period and decimal
    places (the scale), the input table, the period assessed (None: every value), the areas (None: all), the
    column numbering the input's rows, if any (areas are listed in the order they first appear; without it, by
    name) and the most digits a value has."""

    dialect: str = "duckdb"
    kind: PeriodKind = PeriodKind.FINANCIAL_YEAR
    scale: int = 6
    table: str = "observations"
    at: Period | None = None
    areas: Sequence[str] | None = None
    row_number: str | None = None
    digits: int = 38  # the most digits a value has: DuckDB reads text as DECIMAL(18) forty times faster
    # The data's periods, when known: with at most BY_PERIOD of them, each series' latest two values are picked
    # from one column per period (one GROUP BY) instead of by a window ranking every row (a sort of all of them).
    periods: Sequence[Period] | None = None
    integers: str | None = None  # the exact integer type, when not the target's own (INT_TYPES)
    # The input's column already holding each value as an integer at the scale (NULL: missing), when the engine
    # parsed the values itself (polars_run.py: faster than the plan's CASE, and for checked values the same).
    values: str | None = None
    columns: tuple[str, ...] = COLUMNS  # the CSV report's columns the plan gives, in order (csv_cells.chosen_columns)
    # The data is not checked before the query runs (`lsprules sql`): a value with more places than the scale, and
    # a repeated row of an area, indicator and period, raise an error in the query instead of changing its answer
    # silently (a value rounded to the scale, one of two values picked).
    unchecked: bool = False
    # The input has a `field` column: a row naming a field holds that field of its indicator (derived.field_key),
    # not the indicator's value; a row with none (NULL or '') holds the value.
    fields: bool = False
    # The keys (derived.level_key) of the rows that give reference levels or targets in the input (`level` rows):
    # the data's level for an area, indicator and period wins over the rule file's, as in interpreter.Facts.level.
    levels: frozenset[str] = frozenset()
    # The input has a `level` column (`lsprules sql --levels`): a row naming a level gives it, its name read as the
    # reference reader reads it (in lower case, without spaces around it); with `unchecked`, a level row the
    # reference reader refuses (no number, an unknown level, a field named too) raises an error in the query.
    level_column: bool = False
    # The keys (derived.field_key) of the rows that give fields in the input: such a row of a raw indicator makes
    # the indicator's series in its area even without a value (the JSON's and the reports' "no data" words).
    field_keys: frozenset[str] = frozenset()
    # The table holding the rows of the areas comparators name, when `table` holds only some areas' rows (a batch of
    # areas, json_run.py): the values read in a comparator's areas (`x at c`) come from it. None: from `table`.
    compared: str | None = None


# The name of a level row's level in `lsprules sql`'s query, as the reference reader reads it (a cell of spaces
# only names none: the row holds a value).
LEVEL_NAME = f"LOWER(TRIM({LEVEL}))"


def compile_plan(rules: RuleSet, options: PlanOptions) -> exp.Select:
    """The query giving the CSV cells of every assessment, areas in order, indicators in rule-file order."""
    return _Compiler(rules, options).query()


def csv_lines(plan: exp.Select) -> exp.Select:
    """The plan's cells joined into CSV lines by the engine (no cell is NULL), so Python handles one string a row."""
    names = plan.named_selects
    line: exp.Expression = exp.column(exp.to_identifier(names[0], quoted=True))
    for name in names[1:]:
        line = exp.DPipe(this=exp.DPipe(this=line, expression=exp.Literal.string(","), safe=True),
                         expression=exp.column(exp.to_identifier(name, quoted=True)), safe=True)
    if len(names) == 1:
        line = exp.Case().when(exp.EQ(this=line.copy(), expression=exp.Literal.string("")),
                               exp.Literal.string(ONLY_CELL_EMPTY)).else_(line)
    return exp.select(line.as_("line")).from_(plan.subquery("assessed"))


def compile_extended(rules: RuleSet, options: PlanOptions,
                     extend: Callable[[_Compiler], tuple[Layers, exp.Select]],
                     inline: frozenset[str] = frozenset()) -> exp.Select:
    """The plan's layers up to `rated`, then the layers and final select `extend` builds on them (json_plan.py),
    those not `inline` materialized in DuckDB: one tree, so every dialect and engine runs it as the CSV plan."""
    compiler = _Compiler(rules, options)
    ctes, final = extend(compiler)
    return compiler.assemble([*compiler.judging(), *ctes], final, frozenset(n for n, _ in ctes if n not in inline))


def column(name: str, table: str | None = None) -> exp.Column:
    """A column reference."""
    return exp.column(name, table=table)


class _Compiler:
    """Builds the query layer by layer; per-indicator expressions become CASE branches on the indicator."""

    def __init__(self, rules: RuleSet, options: PlanOptions):
        self.rules = rules
        self.o = options
        self.int_type = exp.DataType.build(options.integers or INT_TYPES.get(options.dialect, "DECIMAL(38, 0)"),
                                           dialect="duckdb")
        self.unit = 10 ** options.scale
        self.per_year = PER_YEAR[options.kind] if options.kind is not None else 1  # (a year to date's terms)
        self.specs = list(rules.indicators.values())
        # The reference levels (and the target) the data gives each indicator, in DATA_LEVELS' order.
        self.given = {s.id: tuple(name for name in DATA_LEVELS if level_key(s.id, name) in options.levels)
                      for s in self.specs}
        # Indicators that differ only in name compile to the same expressions: one judge, one CASE branch each.
        shapes = _grouped({s.id: repr((replace(s, id="", title="", group=None, span=None), self.given[s.id]))
                           for s in self.specs})
        # A derived value off the data's scale (a division, ...) has a denominator that varies by row: then every
        # value column (v, lv, ...) has one beside it (weight(): w, lw, ...), 1 for the data's values (exact.Num.w).
        # `compare latest with mean of previous N` (N by indicator): the mean is the sum of N values over N, which
        # the earlier value's row denominator (ew) carries.
        self.means = {s.id: s.arrow.compare.count for s in self.specs
                      if s.arrow.compare.method == "mean" and s.arrow.compare.count}
        self.quotients = bool(self.means) or any(off_scale(rules, s.value.expr, s.fields)
                                                 for s in derived_specs(rules) if s.value is not None)
        self.judges = [(ids, _Judge(rules.indicators[ids[0]], self)) for ids in shapes.values()]

    @property
    def level_names(self) -> list[str]:
        """The levels the data gives some indicator, in DATA_LEVELS' order."""
        return [name for name in DATA_LEVELS if any(name in given for given in self.given.values())]

    @property
    def level_columns(self) -> list[str]:
        """The columns of the levels the data gives (layer `leveled`): l_trigger..."""
        return [f"l_{name}" for name in self.level_names]

    def query(self) -> exp.Select:
        ctes = [*self.judging(), ("joined", self._joined()), ("parts", self._parts())]
        return self.assemble(ctes, self._cells())

    def judging(self) -> Layers:
        """The layers up to `rated`, which holds every assessment's facts (the CSV cells and json_plan.py's JSON
        are written from it)."""
        checks = [("repeated", self._repeated())] if self.o.unchecked else []
        return [("obs", self._obs()), ("areas", self._areas()), *checks, ("area_cells", self._area_cells()),
                *self._knowing(), *self._latest(),
                *self._meaned(), ("compared", self._compared()), *self._leveled(), ("judged", self._judged()),
                ("decided", self._decided()), ("rated", self._rated())]

    def assemble(self, ctes: Layers, final: exp.Select,
                 layers: frozenset[str] = frozenset()) -> exp.Select:
        """The final select over the layers (those in LAYERS or `layers` materialized in DuckDB)."""
        for name, body in ctes:
            materialized = True if self.o.dialect == "duckdb" and (name in LAYERS or name in layers) else None
            final = final.with_(name, as_=body, materialized=materialized, copy=False)  # built here, used once
        return final

    # --- reading ------------------------------------------------------------------------------

    def _obs(self, table: str | None = None) -> exp.Select:
        """The rows of the input `table` (None: the plan's) with each value as an integer and each period's index."""
        v = column(self.o.values) if self.o.values else self._parsed()
        # A row naming a field holds that field, under its key (derived.field_key): `lsprules sql`'s input table.
        keyed = [*([FIELD] if self.o.fields else []), *([LEVEL] if self.o.level_column else [])]
        indicator = sqlglot.parse_one(key_sql(keyed, LEVEL_NAME)).as_("indicator") if keyed else column("indicator")
        select = exp.select(column("area"), indicator, column("period"),
                            self._period_index(column("period")).as_("pidx"), v.as_("v")).from_(table or self.o.table)
        if self.o.row_number:
            select = select.select(column(self.o.row_number).as_("rn"))
        return select

    def _parsed(self) -> exp.Expression:
        """Each value as an integer at the scale: NULL when it is missing."""
        value = exp.cast(column("value"), "VARCHAR")
        missing = exp.or_(exp.Is(this=column("value"), expression=exp.null()),
                          exp.In(this=exp.Lower(this=exp.Trim(this=value)),
                                 expressions=[exp.Literal.string(w) for w in MISSING_WORDS]))
        precision = 18 if self.o.digits <= 18 else 38
        decimal = exp.DataType.build(f"DECIMAL({precision}, {self.o.scale})")
        scaled = exp.cast(exp.Mul(this=exp.cast(value.copy(), decimal),
                                  expression=lit(self.unit, self.int_type)), self.int_type)
        parsed = exp.Case().when(missing, exp.null())
        if self.o.unchecked:
            # Both sides in one type: Spark compares DECIMAL(38, 1) with DECIMAL(38, 18) at 1 place.
            wide = exp.DataType.build("BIGDECIMAL" if self.o.dialect == "bigquery" else "DECIMAL(38, 18)")
            rounded = exp.Cast(this=exp.cast(value.copy(), decimal), to=wide)  # exp.cast would merge the two
            parsed = parsed.when(exp.NEQ(this=rounded,
                                         expression=exp.cast(value.copy(), wide)),
                                 self._refused(f"a value with more than {self.o.scale} decimal places (compile the "
                                               "query with a larger --scale): ", value))
        return parsed.else_(scaled)

    def _refused(self, message: str, cell: exp.Expression) -> exp.Expression:
        """An error raised by the query, naming the cell, in every dialect: text that is not an integer cast to
        one (the engines' own error functions differ)."""
        return exp.cast(exp.DPipe(this=exp.Literal.string(f"lsprules: {message}"), expression=cell.copy(), safe=True),
                        self.int_type)

    def _period_index(self, label: exp.Expression) -> exp.Expression:
        def digits(start: int, length: int) -> exp.Expression:
            return exp.cast(exp.Substring(this=label, start=exp.Literal.number(start),
                                          length=exp.Literal.number(length)), "INT")

        year = digits(1, 4)
        kind = self.o.kind
        if kind in (PeriodKind.FINANCIAL_YEAR, PeriodKind.CALENDAR_YEAR):
            return year
        if kind is PeriodKind.MONTH:
            return exp.Sub(this=exp.Add(this=exp.Mul(this=year, expression=exp.Literal.number(12)),
                                        expression=digits(6, 2)), expression=exp.Literal.number(1))
        quarter = digits(10 if kind is PeriodKind.FINANCIAL_QUARTER else 7, 1)
        return exp.Sub(this=exp.Add(this=exp.Mul(this=year, expression=exp.Literal.number(4)), expression=quarter),
                       expression=exp.Literal.number(1))

    def _areas(self) -> exp.Select:
        """The areas assessed: those asked for, else every one but those single-area comparators name."""
        order = exp.Min(this=column("rn")) if self.o.row_number else exp.Min(this=column("area"))
        select = exp.select(column("area"), order.as_("ord")).from_("obs").group_by(column("area"))
        if self.o.areas is not None:
            select = select.where(exp.In(this=column("area"),
                                         expressions=[exp.Literal.string(a) for a in self.o.areas] or [exp.null()]))
        elif away := assessed_away(self.rules):
            select = select.where(exp.Not(this=exp.In(this=column("area"), expressions=[
                exp.Literal.string(a) for a in away])))
        return select

    def _area_cells(self) -> exp.Select:
        """Each area's CSV cell, once per area rather than once per assessment."""
        ord_: exp.Expression = column("ord")
        if self.o.unchecked:  # the order reads the check of repeated rows (NULL), so that no engine leaves it out
            stop = column("stop", "r")
            ord_ = exp.Add(this=ord_, expression=exp.Coalesce(this=stop, expressions=[lit(0, self.int_type)])) \
                if self.o.row_number else exp.DPipe(this=ord_, expression=exp.Coalesce(
                    this=exp.cast(stop, "VARCHAR"), expressions=[exp.Literal.string("")]), safe=True)
        select = exp.select(column("area"), ord_.as_("ord"), _text_cell(exp.cast(column("area"), "VARCHAR")).as_(
            "c_area")).from_("areas")
        return select.join(exp.alias_(exp.table_("repeated"), "r"), join_type="cross") if self.o.unchecked else select

    def _repeated(self) -> exp.Select:
        """One row: NULL, or (raising an error) a row repeated for an area, indicator and period."""
        keys = [column("area"), column("indicator"), column("period")]
        cell = _joined(exp.cast(keys[0].copy(), "VARCHAR"), ", ", exp.cast(keys[1].copy(), "VARCHAR"), ", ",
                       keys[2].copy())
        repeated = exp.select(*keys).from_("obs").group_by(*keys).having(
            exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        stop = self._refused("a row repeated for one area, indicator and period (the data must have one value for "
                             "each): ", cell)
        checks = [*([self._bad_levels()] if self.o.level_column else []),
                  *([self._absent_comparators()] if comparator_areas(self.rules) else [])]
        if not checks:
            return exp.select(exp.Max(this=stop).as_("stop")).from_(exp.alias_(exp.Subquery(this=repeated), "k"))
        stops = exp.union(exp.select(stop.as_("x")).from_(exp.alias_(exp.Subquery(this=repeated), "k")), *checks,
                          distinct=False)
        return exp.select(exp.Max(this=column("x")).as_("stop")).from_(exp.alias_(exp.Subquery(this=stops), "s"))

    def _absent_comparators(self) -> exp.Select:
        """A row (raising an error) for each area a comparator names that the table has no row of (the reference
        run's E315): its values would otherwise be missing everywhere, silently."""
        named = comparator_areas(self.rules)
        listed = exp.values([(exp.Literal.string(a),) for a in named], alias="m", columns=["area"])
        held = exp.select(column("area")).from_(self.o.table).where(exp.In(this=column("area"), expressions=[
            exp.Literal.string(a) for a in named])).group_by(column("area"))
        return exp.select(self._refused("an area a comparator names is not in the table: ", column("area", "m"))
                          .as_("x")).from_(listed).join(exp.alias_(exp.Subquery(this=held), "t"), on=exp.EQ(
                              this=column("area", "m"), expression=column("area", "t")), join_type="left").where(
            exp.Is(this=column("area", "t"), expression=exp.null()))

    def _bad_levels(self) -> exp.Select:
        """Rows (raising an error) giving a level the reference reader refuses: without a number, of a name the
        language does not know, or naming a field too."""
        given = _filled(column(LEVEL), sqlglot.parse_one(LEVEL_NAME))
        value = exp.Lower(this=exp.Trim(this=exp.cast(column("value"), "VARCHAR")))
        bad = [exp.Is(this=column("value"), expression=exp.null()),
               exp.In(this=value, expressions=[exp.Literal.string(w) for w in MISSING_WORDS]),
               exp.Not(this=exp.In(this=sqlglot.parse_one(LEVEL_NAME), expressions=[
                   exp.Literal.string(name) for name in DATA_LEVELS]))]
        if self.o.fields:
            bad.append(_filled(column(FIELD), column(FIELD)))
        cell = _joined(exp.cast(column("area"), "VARCHAR"), ", ", exp.cast(column("indicator"), "VARCHAR"), ", ",
                       exp.cast(column("period"), "VARCHAR"), ": ", column(LEVEL))
        return exp.select(self._refused("a level row without a number, of a level the language does not know, or "
                                        "naming a field too: ", cell).as_("x")).from_(self.o.table).where(
            exp.and_(given, exp.or_(*bad)))

    def _knowing(self) -> Layers:
        """The layers ending in `known`: every known value up to the period, of the raw indicators (the data's)
        and of the derived ones (computed where every component is known; their rows in the data are not used)."""
        raw = [s.id for s in self.specs if s.value is None]
        # A value without components (`value = 5`), or naming one, is never known: like the interpreter's, none.
        found = {s.id: formula(self.rules, s, self.per_year) for s in derived_specs(self.rules)}
        formulas = {spec_id: f for spec_id, f in found.items() if f is not None and components(f)}
        if not formulas:
            return [("known", self._known(raw, weighted=True))]
        names = sorted({n for f in formulas.values() for n in components(f)})
        computed = [self._derived(spec_id, f, names) for spec_id, f in formulas.items()]
        running = running_layers(computed, "components", "")
        # NULL where a component is unknown, left out of `known` after the union: polars' optimizer fails on a
        # filter straight over the components ("expected filter; this is an optimizer bug", polars 1.44).
        known = exp.union(self._known(raw, weighted=True), exp.select("*").from_("computed").where(_known_value()),
                          distinct=False)
        read = self._read(read_keys(names))
        compared = self._compared_read(names)
        reach = self.reached("read", names, read.named_selects, "cread" if compared else "read")
        return [("read", read), *compared, *([("reach", reach)] if reach is not None else []),
                *self._components(names, "reach" if reach is not None else "read"), *running,
                ("computed", exp.union(*computed, distinct=False) if len(computed) > 1 else computed[0]),
                ("known", known)]

    def _compared_read(self, names: Sequence[str]) -> Layers:
        """When the comparators' areas have a table of their own (PlanOptions.compared), the layers of their rows
        of the components, as `read` holds the areas' rows (none otherwise)."""
        if self.o.compared is None or not compared_keys(names):
            return []
        return [("cobs", self._obs(self.o.compared)), ("cread", self._read(read_keys(names), "cobs"))]

    def _known(self, ids: Sequence[str], weighted: bool = False, back: int | None = None,
               source: str = "obs") -> exp.Select:
        """The known values of these indicators up to the period assessed (of the rows of `source`); with `back`,
        each at the period that many later, with a column `back` saying so (a component read that many periods
        back, derived.shifted_key)."""
        listed = exp.In(this=column("indicator"), expressions=[exp.Literal.string(i) for i in ids] or [exp.null()])
        condition = exp.and_(_known_value(), listed)
        if self.o.at is not None:
            condition = exp.and_(condition, exp.LTE(this=column("pidx"), expression=lit(self.o.at.index,
                                                                                        self.int_type)))
        pidx: exp.Expression = column("pidx")
        if back is not None:
            pidx = exp.Add(this=pidx, expression=lit(back, self.int_type)).as_("pidx")
        select = exp.select(column("area"), column("indicator"), column("period"), pidx, column("v"))
        if back is not None:
            select = select.select(lit(back, self.int_type).as_("back"))
        if weighted and self.quotients:
            select = select.select(lit(1, self.int_type).as_("w"))
        return select.from_(source).where(condition)

    def _read(self, names: Sequence[str], source: str = "obs") -> exp.Query:
        """The rows of the components derived values read (of `source`): once for each number of periods back one
        is read."""
        backs = reads_back(names)
        if len(backs) == 1 and backs[0][0] == 0 and not any(presence_of(key) for key in names):
            return self._known(names, source=source)
        parts = []
        for back, keys in backs:
            values = [key for key in keys if presence_of(key) is None]
            parts += [self._known(values, back=back, source=source)] if values else []
            parts += [self._presence(key, back, source) for key in keys if presence_of(key) is not None]
        return exp.union(*parts, distinct=False) if len(parts) > 1 else parts[0]

    def _presence(self, key: str, back: int, source: str = "obs") -> exp.Select:
        """The periods of a derived indicator's series (derived.presence_key), `back` periods later: a row `key`
        with the value 0 wherever one of its raw components or fields has a row, with a value or not (in the
        columns of _known's rows read back, in their order: the union takes them by place)."""
        spec_id = presence_of(key)
        assert spec_id is not None
        listed: exp.Expression = exp.In(this=column("indicator"), expressions=[
            exp.Literal.string(name) for name in raw_components(self.rules, self.rules.indicators[spec_id])])
        if self.o.at is not None:
            listed = exp.and_(listed, exp.LTE(this=column("pidx"), expression=lit(self.o.at.index, self.int_type)))
        return exp.select(column("area"), exp.Literal.string(key).as_("indicator"), column("period"),
                          exp.Add(this=column("pidx"), expression=lit(back, self.int_type)).as_("pidx"),
                          lit(0, self.int_type).as_("v"), lit(back, self.int_type).as_("back")).from_(source).where(
            listed)

    def _components(self, names: Sequence[str], source: str) -> Layers:
        """The layers ending in `components`: per area and period, each component's known value in its own column
        (c0 the first name's), from the rows of `source`."""
        return self.grouped_components("components", names, source, "obs", lambda k, this: [
            exp.Max(this=exp.Case().when(this, column("v"))).as_(f"c{k}")])

    def reached(self, source: str, names: Sequence[str], columns: Sequence[str],
                compared: str) -> exp.Query | None:
        """The rows of `source` (of these `columns`, area and indicator first) and, for each component read in a
        comparator's area (derived.area_key), that area's rows of its own key in `compared` (a layer of the same
        columns) given to every area assessed, under the component's key (None: no component is read in a
        comparator's area)."""
        keys = compared_keys(names)
        if not keys:
            return None
        areas = comparator_areas(self.rules)
        parts: list[exp.Query] = [exp.select("*").from_(source)]
        for key in keys:
            number, inner = area_of(key)
            assert number is not None
            rows = exp.and_(exp.EQ(this=column("indicator", "s"), expression=exp.Literal.string(inner)),
                            exp.EQ(this=column("area", "s"), expression=exp.Literal.string(areas[number])))
            parts.append(exp.select(column("area", "a"), exp.Literal.string(key).as_("indicator"),
                                    *(column(c, "s") for c in columns[2:]))
                         .from_(exp.alias_(exp.table_(compared), "s"))
                         .join(exp.alias_(exp.table_("areas"), "a"), join_type="cross").where(rows))
        return exp.union(*parts, distinct=False)

    def grouped_components(self, layer: str, names: Sequence[str], source: str, fixed_source: str,
                           cells: Callable[[int, exp.Expression], list[exp.Expression]],
                           where: exp.Expression | None = None) -> Layers:
        """The layers ending in `layer`: the rows of `source` grouped by area and period (by_area_and_period), and
        the cells of each component read at one period (derived.fixed_key), made from `fixed_source`'s rows once
        per area (at any period: the interpreter reads x at 2003/04 even after the period assessed) and joined
        onto each of the area's rows."""
        grouped = self.by_area_and_period(names, source, cells, where)
        held = [(k, name) for k, name in enumerate(names) if is_fixed(name)]
        if not held:
            return [(layer, grouped)]
        keys = sorted({unfixed(name)[0] for _, name in held})
        once = exp.select(column("area")).from_(fixed_source).where(_member(keys)).group_by(column("area"))
        for k, name in held:
            once = once.select(*cells(k, self._at_its_period(name)), copy=False)
        kept = [e.alias_or_name for e in grouped.expressions]
        held_cells = [e.alias_or_name for k, name in held for e in cells(k, exp.true())]
        joined = exp.select(*(column(c, "g") for c in kept), *(column(c, "f") for c in held_cells)).from_(
            exp.alias_(exp.table_(f"{layer}_now"), "g")).join(
            exp.alias_(exp.table_(f"{layer}_fixed"), "f"), on=exp.EQ(this=column("area", "g"),
                                                                   expression=column("area", "f")), join_type="left")
        return [(f"{layer}_now", grouped), (f"{layer}_fixed", once), (layer, joined)]

    def _at_its_period(self, name: str) -> exp.Expression:
        """Whether a row is the component `name` (derived.fixed_key) at its one period (never: the period is not
        the data's kind, as the interpreter's _same_kind_period)."""
        key, label = unfixed(name)
        index = self.same_kind(label or "")
        if index is None:
            return exp.false()
        return exp.and_(exp.EQ(this=column("indicator"), expression=exp.Literal.string(key)),
                        exp.EQ(this=column("pidx"), expression=lit(index, self.int_type)))

    def by_area_and_period(self, names: Sequence[str], source: str,
                           cells: Callable[[int, exp.Expression], list[exp.Expression]],
                           where: exp.Expression | None = None) -> exp.Select:
        """The rows of `source` (of `where`) grouped by area and period, with the `cells(k, this)` of each component
        (the k-th name; `this`: whether a row is that component's); one read some periods back (derived.shifted_key)
        from the rows read back (column `back`), the period's label from the rows at it."""
        back_too = any(unshifted(name)[1] for name in names)
        select = exp.select(column("area"), column("pidx")) if back_too else \
            exp.select(column("area"), column("period"), column("pidx"))
        for k, name in enumerate(names):
            if is_fixed(name):  # read once per area (grouped_components)
                continue
            key, back = unshifted(name)
            this: exp.Expression = exp.EQ(this=column("indicator"), expression=exp.Literal.string(key))
            if back_too:
                this = exp.and_(this, exp.EQ(this=column("back"), expression=lit(back, self.int_type)))
            select = select.select(*cells(k, this), copy=False)
        select = select.from_(source, copy=False)
        if where is not None:
            select = select.where(where, copy=False)
        if not back_too:
            return select.group_by(column("area"), column("period"), column("pidx"), copy=False)
        # Every formula reads a component at the period itself (derived._earlier): its rows give the label.
        now = exp.EQ(this=column("back"), expression=lit(0, self.int_type))
        return select.select(exp.Max(this=exp.Case().when(now, column("period"))).as_("period"), copy=False).group_by(
            column("area"), column("pidx"), copy=False)

    def _derived(self, spec_id: str, expr: nodes.Expr, names: Sequence[str]) -> exp.Select:
        """One derived indicator's values: its formula where every component it reads is known (NULL elsewhere)."""
        def value_of(name: str) -> exp.Expression:
            return self.position(name) if is_position(name) else column(f"c{names.index(name)}")

        t = self.int_type
        n, w, conditions = self.quotient(compiled(expr, value_of, lambda n: lit(n, t), self.unit))
        every = exp.and_(*(_known_value(value_of(name)) for name in certain_components(expr)), *conditions)
        select = exp.select(column("area"), exp.Literal.string(spec_id).as_("indicator"), column("period"),
                            column("pidx"), exp.Case().when(every, n).as_("v"))
        if self.quotients:
            select = select.select(w.as_("w"))
        return select.from_("components")

    def quotient(self, value: Quotient) -> tuple[exp.Expression, exp.Expression, list[exp.Expression]]:
        """A formula's value as the plan's columns: its numerator, its row denominator (w > 0, exact.Num: a negative
        one's sign goes to the numerator; 1 for a value at the data's scale), and where both are known besides its
        certain components (Quotient.conditions)."""
        t, n, w = self.int_type, value.n, value.w
        if w is not None:
            n = exp.Case().when(exp.LT(this=exp.Paren(this=w.copy()), expression=lit(0, t)),
                                exp.Neg(this=exp.Paren(this=n.copy()))).else_(n)
        return n, lit(1, t) if w is None else exp.Abs(this=w), list(value.conditions)

    def position(self, name: str) -> exp.Expression:
        """The position in its year (0: the first period) of the period a row of the components computes, of the one
        some periods before it, or of one period (derived.position_key, shifted or fixed), in the data's kind."""
        key, label = unfixed(name)
        key, back = unshifted(key)
        kind, financial = self.o.kind, bool(position_of(key))
        offset = year_offset(kind, financial) if kind is not None else 0
        if label is not None:
            index = self.same_kind(label)
            return lit(0 if index is None else (index - offset) % self.per_year, self.int_type)
        if self.per_year == 1:
            return lit(0, self.int_type)
        since = exp.Sub(this=column("pidx"), expression=lit(back + offset, self.int_type))
        return exp.Mod(this=exp.Paren(this=since), expression=lit(self.per_year, self.int_type))

    def _latest(self) -> Layers:
        """The layers ending in `series`: per area and indicator, the latest period's index (lp), label (lperiod)
        and value (lv), the previous value's label (pperiod) and value (pv), and the baseline's value (bv)."""
        periods = sorted({p.index: p for p in self.o.periods or ()
                          if self.o.at is None or p.index <= self.o.at.index}.values(), key=lambda p: p.index)
        if not periods or len(periods) > BY_PERIOD:  # no data (or no periods known), or too many periods
            return [("ranked", self._ranked()), ("picked", self._picked()), ("series", self._series())]
        return [("picked", self._by_period(periods)), ("pivoted", self._pivoted(len(periods))),
                ("series", self._from_columns(periods))]

    def _by_period(self, periods: Sequence[Period]) -> exp.Select:
        """Each value in the column of its period (v0 the earliest), and the baseline's in bv."""
        select = exp.select(column("area"), column("indicator"))
        for name in ("v", "w") if self.quotients else ("v",):
            for k, period in enumerate(periods):
                select = select.select(exp.Case().when(exp.EQ(this=column("pidx"), expression=exp.Literal.number(
                    period.index)), column(name)).as_(f"{name}{k}"))
            select = select.select(self._base(name).as_("b" + name))
        return select.from_("known")

    def _pivoted(self, count: int) -> exp.Select:
        """Per series, its value in each period (NULL: none)."""
        names = [*(f"v{k}" for k in range(count)), "bv"]
        if self.quotients:
            names += [*(f"w{k}" for k in range(count)), "bw"]
        return (exp.select(column("area"), column("indicator"), *(exp.Max(this=column(c)).as_(c) for c in names))
                .from_("picked").group_by(column("area"), column("indicator")))

    def _from_columns(self, periods: Sequence[Period]) -> exp.Select:
        """The latest value is in the last column that has one; the previous in the last column before it."""
        def known(k: int) -> exp.Expression:
            return exp.Not(this=exp.Is(this=column(f"v{k}"), expression=exp.null()))

        def latest(before: int, pick: Callable[[int], exp.Expression]) -> exp.Expression | None:
            """Of the columns before `before`, `pick` of the last that has a value (NULL: none has)."""
            node = exp.Case()
            for k in reversed(range(before)):
                node = node.when(known(k), pick(k))
            return node if before else None

        def previous(pick: Callable[[int], exp.Expression]) -> exp.Expression:
            node = exp.Case()
            for k in reversed(range(1, len(periods))):
                earlier = latest(k, pick)
                assert earlier is not None
                node = node.when(known(k), earlier)
            return node if len(periods) > 1 else _null(self.int_type)

        def index(k: int) -> exp.Expression:
            return exp.Literal.number(periods[k].index)

        def label(k: int) -> exp.Expression:
            return exp.Literal.string(periods[k].label)

        def value(k: int) -> exp.Expression:
            return column(f"v{k}")

        def weight_of(k: int) -> exp.Expression:
            return column(f"w{k}")

        count = len(periods)
        lp, lperiod, lv = (latest(count, pick) or _null(self.int_type) for pick in (index, label, value))
        pperiod = previous(label) if count > 1 else _null("VARCHAR")
        select = exp.select(column("area"), column("indicator"), lp.as_("lp"), lperiod.as_("lperiod"), lv.as_("lv"),
                            pperiod.as_("pperiod"), previous(value).as_("pv"), column("bv"))
        if self.quotients:
            lw = latest(count, weight_of) or _null(self.int_type)
            select = select.select(lw.as_("lw"), previous(weight_of).as_("pw"), column("bw"))
        return select.from_("pivoted")

    def _base(self, value: str = "v") -> exp.Expression:
        """The row's value (or its `value` column) when it is the baseline's period of its indicator (NULL
        otherwise)."""
        baselines: list[exp.Expression] = []
        for index, ids in _grouped({s.id: self._baseline_index(s) for s in self.specs}).items():
            if index is not None:
                baselines.append(exp.and_(_member(ids), exp.EQ(this=column("pidx"), expression=lit(index,
                                                                                                 self.int_type))))
        return exp.Case().when(exp.or_(*baselines), column(value)) if baselines else _null(self.int_type)

    def _ranked(self) -> exp.Select:
        window = exp.Window(this=exp.RowNumber(), partition_by=[column("area"), column("indicator")],
                            order=exp.Order(expressions=[exp.Ordered(this=column("pidx"), desc=True)]))
        return exp.select("*").select(window.as_("k")).from_("known")

    def _picked(self) -> exp.Select:
        """The values of the latest two periods and of the baseline, each in its own column on its own row: the
        next layer's aggregates are then plain MAXes, which engines run much faster than a MAX over a CASE."""
        def at_rank(rank: int, name: str) -> exp.Expression:
            return exp.Case().when(exp.EQ(this=column("k"), expression=exp.Literal.number(rank)), column(name))

        base = self._base()
        select = exp.select(column("area"), column("indicator"), at_rank(1, "pidx").as_("lp"),
                            at_rank(1, "period").as_("lperiod"), at_rank(1, "v").as_("lv"),
                            at_rank(2, "period").as_("pperiod"), at_rank(2, "v").as_("pv"), base.as_("bv"))
        if self.quotients:
            select = select.select(at_rank(1, "w").as_("lw"), at_rank(2, "w").as_("pw"), self._base("w").as_("bw"))
        return select.from_("ranked")

    def _series(self) -> exp.Select:
        names = ("lp", "lperiod", "lv", "pperiod", "pv", "bv", *(("lw", "pw", "bw") if self.quotients else ()))
        return (exp.select(column("area"), column("indicator"), *(exp.Max(this=column(c)).as_(c) for c in names))
                .from_("picked").group_by(column("area"), column("indicator")))

    def _meaned(self) -> Layers:
        """For the indicators compared with the mean of their previous N values, per series: the known values
        ranked from the latest (layer `mranked`), then the value (m_K) and period (mp_K) of each rank K from 2 to
        the largest N + 1 (layer `meaned`). Ranks follow one another: where rank N + 1 has a value, so has every
        rank before it."""
        if not self.means:
            return []
        window = exp.Window(this=exp.RowNumber(), partition_by=[column("area"), column("indicator")],
                            order=exp.Order(expressions=[exp.Ordered(this=column("pidx"), desc=True)]))
        ranked = exp.select(column("area"), column("indicator"), column("period"), column("v"),
                            window.as_("k")).from_("known").where(_member(list(self.means)))
        ranks = range(2, self._mean_ranks() + 2)

        def at(rank: int, name: str) -> exp.Expression:
            return exp.Max(this=exp.Case().when(exp.EQ(this=column("k"), expression=exp.Literal.number(rank)),
                                                column(name)))

        meaned = exp.select(column("area"), column("indicator"), *(at(k, "v").as_(f"m_{k}") for k in ranks),
                            *(at(k, "period").as_(f"mp_{k}") for k in ranks)).from_("mranked").group_by(
            column("area"), column("indicator"))
        return [("mranked", ranked), ("meaned", meaned)]

    def _mean_ranks(self) -> int:
        """The most values before the latest that a mean reads: no more than the data's periods before the latest
        (all the means ask for, when the periods are not known: `lsprules sql`)."""
        most = max(self.means.values())
        return min(most, len(self.o.periods) - 1) if self.o.periods else most

    def _mean_of_previous(self, count: int) -> _Earlier:
        """The mean of the `count` values before the latest, as its sum (over `count`, the row denominator) and the
        interpreter's name for it (`mean of 2004/05–2006/07`): NULL where there are fewer."""
        if count > self._mean_ranks():  # no series has that many periods before its latest
            return _Earlier(_null(self.int_type), _null("VARCHAR"), lit(count, self.int_type))
        last = count + 1
        there = exp.Not(this=exp.Is(this=column(f"m_{last}", "m"), expression=exp.null()))
        total: exp.Expression = column("m_2", "m")
        for k in range(3, last + 1):
            total = exp.Add(this=total, expression=column(f"m_{k}", "m"))
        name = exp.Concat(expressions=[exp.Literal.string("mean of "), column(f"mp_{last}", "m"),
                                       exp.Literal.string("–"), column("mp_2", "m")])
        return _Earlier(exp.Case().when(there, total), exp.Case().when(there.copy(), name), lit(count, self.int_type))

    def _compared(self) -> exp.Select:
        """The value each indicator compares with: the previous one, the same period a year earlier, or the mean of
        the previous N."""
        select = exp.select(*(column(c, "s") for c in ("area", "indicator", "lp", "lperiod", "lv", "bv")))
        by_year = [s.id for s in self.specs if s.arrow.compare.method == "year"]
        methods = _grouped({s.id: s.arrow.compare.method for s in self.specs if s.id not in self.means})
        means = {count: self._mean_of_previous(count) for count in set(self.means.values())}
        by_count = _grouped(self.means)

        def earlier(part: str, year: str, previous: str) -> exp.Expression:
            """Of the value compared with, its `part` (an _Earlier field): the column `year` of the row a year
            earlier, `previous` of the series, or the mean's."""
            return self._by_indicator([(ids, column(year, "y") if m == "year" else column(previous, "s"))
                                       for m, ids in methods.items()] + [
                (ids, getattr(means[count], part).copy()) for count, ids in by_count.items()], "s")

        position = self._by_indicator([([s.id], exp.Literal.number(k)) for k, s in enumerate(self.specs)], "s")
        select = select.select(earlier("period", "period", "pperiod").as_("eperiod"),
                               earlier("value", "v", "pv").as_("ev"), position.as_("position"))
        if self.quotients:
            select = select.select(column("lw", "s"), column("bw", "s"), earlier("weight", "w", "pw").as_("ew"))
        select = select.from_(exp.alias_(exp.table_("series"), "s"))
        if self.means:
            on = exp.and_(exp.EQ(this=column("area", "m"), expression=column("area", "s")),
                          exp.EQ(this=column("indicator", "m"), expression=column("indicator", "s")))
            select = select.join(exp.alias_(exp.table_("meaned"), "m"), on=on, join_type="left")
        if by_year:
            shift = exp.Sub(this=column("lp", "s"), expression=exp.Literal.number(PER_YEAR[self.o.kind]))
            on = exp.and_(exp.EQ(this=column("area", "y"), expression=column("area", "s")),
                          exp.EQ(this=column("indicator", "y"), expression=column("indicator", "s")),
                          exp.EQ(this=column("pidx", "y"), expression=shift))
            select = select.join(exp.alias_(exp.table_("known"), "y"), on=on, join_type="left")
        return select

    def _leveled(self) -> Layers:
        """When the data gives reference levels: the layers `level_rows` and `levels`, per area, indicator (by its
        position) and period, a column of each level given (l_trigger...), and `leveled`, `compared` with the levels
        at each assessment's latest period beside it (NULL: none given there)."""
        columns = self.level_columns
        if not columns:
            return []
        position = exp.Case()
        for k, spec in enumerate(self.specs):
            if self.given[spec.id]:
                position = position.when(_member([level_key(spec.id, name) for name in self.given[spec.id]]),
                                         exp.Literal.number(k))
        cells = [exp.Case().when(_member([level_key(i, name) for i, given in self.given.items() if name in given]),
                                 column("v")).as_(f"l_{name}") for name in self.level_names]
        rows = exp.select(column("area"), position.as_("position"), column("pidx"), *cells).from_("obs").where(
            _member([level_key(i, name) for i, given in self.given.items() for name in given]))
        levels = exp.select(column("area"), column("position"), column("pidx"), *(
            exp.Max(this=column(name)).as_(name) for name in columns)).from_("level_rows").group_by(
            column("area"), column("position"), column("pidx"))
        on = exp.and_(*(exp.EQ(this=column(a, "c"), expression=column(b, "l"))
                        for a, b in (("area", "area"), ("position", "position"), ("lp", "pidx"))))
        kept = ("area", "indicator", "lp", "lperiod", "lv", "bv", "eperiod", "ev", "position",
                *(("lw", "bw", "ew") if self.quotients else ()))
        leveled = exp.select(*(column(c, "c") for c in kept), *(column(c, "l") for c in columns)).from_(
            exp.alias_(exp.table_("compared"), "c")).join(exp.alias_(exp.table_("levels"), "l"), on=on,
                                                          join_type="left")
        return [("level_rows", rows), ("levels", levels), ("leveled", leveled)]

    # --- judging --------------------------------------------------------------------------------

    def _judged(self) -> exp.Select:
        return self._layer("leveled" if self.level_columns else "compared",
                           ["position", "lp", "lperiod", "lv", "eperiod", "ev", "bv", *self.level_columns],
                           lambda j: j.columns())

    def _decided(self) -> exp.Select:
        return self._layer("judged", ["position", "lperiod", "lv", "eperiod", "ev", "bv", "arrow", "tn", "jn",
                                      *self.level_columns], lambda j: j.decisions())

    def _rated(self) -> exp.Select:
        kept = ["position", "lperiod", "lv", "eperiod", "ev", "bv", "arrow", "tn", "jn", "met", "on_path", "clause",
                *self.level_columns]
        return self._layer("decided", kept, lambda j: j.ratings())

    def _layer(self, source: str, kept: list[str], make: Callable[[_Judge], Cols]) -> exp.Select:
        if self.quotients:  # each value's row denominator beside it
            kept = [*kept, *(weight(c) for c in kept if c in WEIGHTS)]
        select = exp.select(column("area"), column("indicator"), *(column(c) for c in kept)).from_(source)
        per = [(ids, make(judge)) for ids, judge in self.judges]
        for name in per[0][1]:
            select = select.select(self._by_indicator([(ids, cols[name]) for ids, cols in per]).as_(name))
        return select

    def _by_indicator(self, branches: list[tuple[list[str], exp.Expression]], table: str | None = None
                      ) -> exp.Expression:
        """One CASE branch per group of indicators."""
        node = exp.Case()
        for ids, expr in branches:
            node = node.when(_member(ids, table), expr)
        return node

    def denominator(self, name: str, table: str) -> exp.Expression:
        """The denominator of the number `name` ("tn": the target, "jn": the trajectory) of the indicator in
        `table`'s row, by its judge."""
        return self._by_indicator([(ids, lit(judge.denominators()[name], self.int_type)) for ids, judge in self.judges],
                                  table)

    def without_value(self, name: str, table: str, decided: exp.Expression) -> exp.Expression:
        """`decided` (a column of `rated`: clause, rag, line, unknown), or for an assessment without a value (no
        row in `rated`, or one whose clause is NULL) what its indicator's rules decide without one (_Judge)."""
        branches = [(ids, judge.without_value()[name]) for ids, judge in self.judges]
        if all(isinstance(value, exp.Cast) for _, value in branches):  # NULL for all: no rule tests `no data`
            return decided
        clause = column("clause", decided.table) if isinstance(decided, exp.Column) else column("clause")
        return exp.Case().when(exp.Is(this=clause, expression=exp.null()),
                               self._by_indicator(branches, table)).else_(decided)

    def _baseline_index(self, spec: IndicatorSpec) -> int | None:
        """The period index of the baseline, when the data can have it (its label as the data writes it)."""
        target = spec.target
        if target is None or target.fixed is not None or target.baseline is None:
            return None
        return self.same_kind(target.baseline.period, canonical=True)

    def same_kind(self, label: str, canonical: bool = False) -> int | None:
        """The index of a rule's period label when it is the data's kind of period."""
        try:
            period = parse_period(label)
        except PeriodError:
            return None
        if period.kind is not self.o.kind or (canonical and period.label != label):
            return None
        return period.index

    # --- cells ------------------------------------------------------------------------------------

    def _joined(self) -> exp.Select:
        """Every area × rule-file indicator with its results: text cells, and each number as n / d."""
        rows = [(s.id, position, text_cells(s.id), text_cells(s.title), text_cells(s.group.id if s.group else None))
                for position, s in enumerate(self.specs)]
        indicators = exp.values([tuple(exp.Literal.string(c) if isinstance(c, str) else exp.Literal.number(c)
                                       for c in row) for row in rows], alias="i",
                                columns=["indicator", "position", "c_indicator", "c_title", "c_group"])
        r, t = "r", self.int_type
        on = exp.and_(exp.EQ(this=column("area", r), expression=column("area", "a")),
                      exp.EQ(this=column("position", r), expression=column("position", "i")))
        lv, ev = column("lv", r), column("ev", r)
        unit = lit(self.unit, t)
        numbers = self.numbers(lv, ev, unit)
        texts: dict[str, exp.Expression] = {
            "ord": column("ord", "a"), "position": column("position", "i"),
            "area": column("c_area", "a"),
            "indicator": column("c_indicator", "i"), "title": column("c_title", "i"), "group": column("c_group", "i"),
            "period": exp.Coalesce(this=column("lperiod", r), expressions=[exp.Literal.string("")]),
            "previous_period": exp.Coalesce(this=column("eperiod", r), expressions=[exp.Literal.string("")]),
            "arrow": exp.Coalesce(this=column("arrow", r), expressions=[exp.Literal.string("na")]),
            "rag": exp.Coalesce(this=self.without_value("rag", "i", column("rag", r)),
                                expressions=[exp.Literal.string("na")]),
            "target_met": _bool_cell(column("met", r)), "on_trajectory": _bool_cell(column("on_path", r)),
            "rule_line": exp.Coalesce(this=exp.cast(self.without_value("line", "i", column("line", r)), "VARCHAR"),
                                      expressions=[exp.Literal.string("")])}
        # Only the chosen columns' cells (and the order's): DuckDB materializes this layer whole.
        chosen = {"ord", "position", *self.o.columns}
        select = exp.select(*(e.as_(n, quoted=True) for n, e in texts.items() if n in chosen))
        for name, (n, d) in numbers.items():
            if name in chosen:
                select = select.select(n.as_(f"{name}_n"), d.as_(f"{name}_d"))
        select = select.from_(exp.alias_(exp.table_("area_cells"), "a")).join(indicators, join_type="cross")
        return select.join(exp.alias_(exp.table_("rated"), r), on=on, join_type="left")

    def numbers(self, lv: exp.Column, ev: exp.Column, unit: exp.Expression
                ) -> dict[str, tuple[exp.Expression, exp.Expression]]:
        """Each number of an assessment as n / d, from the columns of `rated` as `r` (lv, ev: the latest and the
        earlier value) and of the indicators as `i`."""
        return self._weighted_numbers(lv, ev, unit) if self.quotients else self._numbers(lv, ev, unit)

    def _numbers(self, lv: exp.Column, ev: exp.Column, unit: exp.Expression
                 ) -> dict[str, tuple[exp.Expression, exp.Expression]]:
        """Each number cell as n / d."""
        t, change = self.int_type, exp.Sub(this=lv, expression=ev)
        return {"value": (lv, unit), "previous_value": (ev, unit), "change": (change, unit),
                "change_pct": (exp.Case().when(exp.NEQ(this=ev, expression=lit(0, t)),
                                               exp.Mul(this=exp.Paren(this=change), expression=lit(100, t))),
                               exp.Abs(this=ev)),
                "target": (column("tn", "r"), self.denominator("tn", "i")),
                "trajectory": (column("jn", "r"), self.denominator("jn", "i"))}

    def _weighted_numbers(self, lv: exp.Column, ev: exp.Column, unit: exp.Expression
                          ) -> dict[str, tuple[exp.Expression, exp.Expression]]:
        """_numbers with each value's row denominator: value lv / (unit × lw), change (lv × ew - ev × lw) / (unit ×
        lw × ew), % change 100 (lv × ew - ev × lw) / (lw × |ev|)."""
        t = self.int_type
        lw, ew, tw, jw = (column(weight(c), "r") for c in ("lv", "ev", "tn", "jn"))

        def times(a: exp.Expression, b: exp.Expression) -> exp.Expression:
            return exp.Mul(this=exp.Paren(this=a.copy()), expression=exp.Paren(this=b.copy()))

        change = exp.Sub(this=times(lv, ew), expression=times(ev, lw))
        return {"value": (lv, times(unit, lw)), "previous_value": (ev, times(unit, ew)),
                "change": (change, times(times(unit, lw), ew)),
                "change_pct": (exp.Case().when(exp.NEQ(this=ev.copy(), expression=lit(0, t)),
                                               exp.Mul(this=exp.Paren(this=change.copy()), expression=lit(100, t))),
                               times(lw, exp.Abs(this=ev.copy()))),
                "target": (column("tn", "r"), times(self.denominator("tn", "i"), tw)),
                "trajectory": (column("jn", "r"), times(self.denominator("jn", "i"), jw))}

    def _parts(self) -> exp.Select:
        select = exp.select("*").from_("joined")
        for name in (n for n in NUMBERS if n in self.o.columns):
            select = select.select(*number_parts(name, column(f"{name}_n"), column(f"{name}_d"), self.o.dialect,
                                                 self.int_type))
        return select

    def _cells(self) -> exp.Select:
        cells = {name: number_text(name, self.o.dialect, self.int_type) if name in NUMBERS
                 # a plain CSV prints no judgements to check
                 else exp.Literal.string("") if name == "discrepancies" else _quoted_column(name)
                 for name in self.o.columns}
        return (exp.select(*(cell.as_(name, quoted=True) for name, cell in cells.items())).from_("parts")
                .order_by(column("ord"), column("position")))


class _Earlier(NamedTuple):
    """The value an arrow compares with, as the plan's columns: its numerator (`ev`), its name (`eperiod`) and its
    row denominator (`ew`)."""

    value: exp.Expression
    period: exp.Expression
    weight: exp.Expression


class _Judge:
    """One indicator's facts as exact SQL: arrow, target and trajectory, target met, on trajectory, RAG."""

    def __init__(self, spec: IndicatorSpec, compiler: _Compiler):
        self.spec = spec
        self.c = compiler
        self.t = compiler.int_type
        unit = compiler.unit
        self.weighted = compiler.quotients

        def value(name: str, d: int) -> Num:
            return Num(column(name), d, column(weight(name)) if self.weighted else None)

        self.lv, self.ev, self.bv = (value(n, unit) for n in ("lv", "ev", "bv"))
        self.known = exp.Not(this=exp.Is(this=column("lv"), expression=exp.null()))
        self.given = compiler.given[spec.id]  # the levels (and target) the data gives this indicator
        target, trajectory = self._target()
        # In the layers after "judged", target and trajectory are its columns tn and jn over these denominators
        # (and their row denominators tw and jw).
        self.target_ref = value("tn", target.d) if target else None
        self.trajectory_ref = value("jn", trajectory.d) if trajectory else None

    # layer "judged": arrow, target (tn / its denominator) and trajectory (jn / its denominator)

    def columns(self) -> Cols:
        target, trajectory = self._target()
        found = {"arrow": self._arrow(), "tn": target.n if target else _null(self.t),
                 "jn": trajectory.n if trajectory else _null(self.t)}
        if self.weighted:
            for name, number in (("tn", target), ("jn", trajectory)):
                found[weight(name)] = number.w if number is not None and number.w is not None else lit(1, self.t)
        return found

    def denominators(self) -> dict[str, int]:
        target, trajectory = self._target()
        return {"tn": target.d if target else 1, "jn": trajectory.d if trajectory else 1}

    def _arrow(self) -> exp.Expression:
        spec, t = self.spec, self.t
        change = add(self.lv, self.ev, t, "-")
        node = exp.Case()
        if spec.arrow.peak is not None:  # at its maximum: the peak, whatever it is compared with
            peak = Num.const(exact(spec.arrow.peak.maximum.value), t)
            node = node.when(exp.and_(self.known, self._better(self.lv, peak, ">=")), exp.Literal.string("peak"))
        node = node.when(exp.Is(this=column("ev"), expression=exp.null()), exp.Literal.string("na"))
        static = spec.arrow.static
        if static is not None:
            amount = exact(static.tolerance.value)
            size, limit = absolute(change), Num.const(amount, t)
            if static.tolerance.unit == "%":
                node = node.when(exp.EQ(this=column("ev"), expression=lit(0, t)), exp.Literal.string("na"))
                size, limit = mul(size, Num.const(HUNDRED, t)), mul(limit, absolute(self.ev))
            node = node.when(compare("<=" if static.inclusive else "<", size, limit, t), exp.Literal.string("static"))
        better = self._better(self.lv, self.ev, ">")
        worse = self._better(self.ev, self.lv, ">")
        return node.when(better, exp.Literal.string("up")).when(worse, exp.Literal.string("down")).else_(
            exp.Literal.string("static"))

    def _better(self, a: Num, b: Num, op: str) -> exp.Expression:
        """polarity.better(a, b) op 0, exactly ('>': a is better; '>=': at or better)."""
        polarity, t = self.spec.direction, self.t
        if polarity.kind == "higher_is_better":
            return compare(op, a, b, t)
        if polarity.kind == "lower_is_better":
            return compare(op, b, a, t)
        ideal = Num.const(polarity.ideal, t)
        return compare(op, absolute(add(b, ideal, t, "-")), absolute(add(a, ideal, t, "-")), t)

    def _target(self) -> tuple[Num | None, Num | None]:
        """Target and trajectory as interpreter.Facts._judge_target works them out (NULL: none): the data's target
        for the latest value's period where it gives one (both), else the rules'."""
        target, trajectory = self._rule_target()
        if "target" not in self.given:
            return target, trajectory
        given, there = self._data_level("target")
        return case([(there, given)], target, self.t), case([(there.copy(), given)], trajectory, self.t)

    def _data_level(self, name: str) -> tuple[Num, exp.Expression]:
        """The data's level of that name at the latest value's period (layer `leveled`), and whether it gives one."""
        level = column(f"l_{name}")
        return Num(level, self.c.unit), exp.Not(this=exp.Is(this=level.copy(), expression=exp.null()))

    def level(self, name: str) -> Num | None:
        """A reference level at the latest value's period, as interpreter.Facts.level: the data's, else the rules'
        (None: neither can give one)."""
        declared = self.spec.level(name)
        rules = self._when_known(Num.const(exact(declared.amount.value), self.t)) if declared is not None else None
        if name not in self.given:
            return rules
        given, there = self._data_level(name)
        return case([(there, given)], rules, self.t)

    def level_number(self, name: str) -> Num:
        """level(), a NULL where neither the rules nor the data can give one."""
        found = self.level(name)
        return found if found is not None else Num(exp.cast(exp.null(), self.t), 1)

    def _rule_target(self) -> tuple[Num | None, Num | None]:
        """Target and trajectory by the rules alone."""
        target, t = self.spec.target, self.t
        if target is None:
            return None, None
        if target.per_period:
            profiled = self._profiled(target)
            return profiled, profiled
        if target.fixed is not None:
            fixed = self._when_known(Num.const(exact(target.fixed.amount.value), t))
            return fixed, fixed
        goal = target.goal
        if goal is None:
            return None, None
        base = self.bv if target.baseline is not None else None
        if isinstance(goal, nodes.AnnualStmt):
            profiled = self._annual(goal, base)
            return profiled, profiled
        amount = Num.const(exact(goal.amount.value), t)
        if isinstance(goal, nodes.ReachStmt):
            end = amount
        elif base is None:
            return None, None
        else:
            step = mul(absolute(base), Num.const(exact(goal.amount.value) / HUNDRED, t)) \
                if goal.amount.unit == "%" else amount
            end = add(base, step, t, "-" if goal.direction == "reduce" else "+")
        end_index = self.c.same_kind(goal.period)
        end = self._when_known(end, base)
        if end_index is None:
            return end, None
        if base is None or target.trajectory == "flat":
            return end, end
        start = self.c._baseline_index(self.spec)
        assert start is not None  # a baseline found in the data has the data's kind of period
        return end, self._linear(base, end, start, end_index)

    def _annual(self, goal: nodes.AnnualStmt, base: Num | None) -> Num | None:
        """interpreter.Facts._annual_target: the part of the year's profile for the latest value's period (NULL
        for a period outside the year; none when the year cannot be profiled over the data's periods)."""
        path = annual_profile(goal, self.c.o.kind)
        if isinstance(path, str):
            return None
        t, lp = self.t, column("lp")
        parts: list[tuple[exp.Expression, Num | None]] = [
            (exp.EQ(this=lp.copy(), expression=lit(period.index, t)), Num.const(value, t)) for period, value in path]
        return self._when_known(case(parts, None, t), base)

    def _profiled(self, target: TargetSpec) -> Num | None:
        """interpreter.Facts._profiled_target at the latest value's period: the value given for it, else the
        straight line between the given periods around it, the last one's after them all, none before the first
        (the baseline's value in the data is one of them, in place of any given for its period)."""
        t, lp = self.t, column("lp")
        given: dict[int, list[Fraction]] = {}
        for statement in target.per_period:
            index = self.c.same_kind(statement.period)
            if index is not None:
                given.setdefault(index, []).append(exact(statement.amount.value))
        # Several values for one period, as the interpreter sorts them: the least is the period's own target and
        # the end of the line from before it, the greatest the start of the line after it.
        points = {index: [Num.const(v, t) for v in sorted(values)] for index, values in given.items()}
        base = None
        if target.baseline is not None:
            start = self.c._baseline_index(self.spec)
            if start is None:  # the data cannot hold the baseline's value: never a target (Facts._baseline_point)
                return None
            base = self.bv
            points[start] = [base]
        if not points:
            return None
        ordered = sorted(points.items())
        parts: list[tuple[exp.Expression, Num | None]] = [(exp.LT(this=lp, expression=lit(ordered[0][0], t)), None)]
        for (index, values), (after, following) in pairwise(ordered):
            parts.append((exp.EQ(this=lp.copy(), expression=lit(index, t)), values[0]))
            parts.append((exp.LT(this=lp.copy(), expression=lit(after, t)),
                          self._along(values[-1], following[0], index, after)))
        return self._when_known(case(parts, ordered[-1][1][-1], t), base)

    def _linear(self, base: Num, end: Num, start: int, finish: int) -> Num:
        """interpreter._linear at the latest value's period: from the baseline's value to the target's."""
        t, lp = self.t, column("lp")
        if finish == start:
            return end
        return case([(exp.LT(this=lp, expression=lit(start, t)), None),
                     (exp.GTE(this=lp.copy(), expression=lit(finish, t)), end)],
                    self._along(base, end, start, finish), t)

    def _along(self, first: Num, last: Num, start: int, finish: int) -> Num:
        """The straight line from `first` at period `start` to `last` at `finish` (later), at the latest value's
        period: first + (last - first) × (lp - start) / (finish - start)."""
        t = self.t
        steps = Num(exp.Sub(this=column("lp"), expression=lit(start, t)), 1)
        along = mul(add(last, first, t, "-"), steps)
        return add(first, Num(along.n, along.d * (finish - start), along.w), t)

    def _when_known(self, value: Num, base: Num | None = None) -> Num:
        """The value where there is a latest value (and the baseline a target is measured from), else NULL."""
        known = self.known if base is None else exp.and_(self.known, exp.Not(this=exp.Is(this=base.n,
                                                                                          expression=exp.null())))
        return case([(known, value)], None, self.t)

    def without_value(self) -> dict[str, exp.Expression]:
        """The deciding clause (as _clause numbers it), rating, line and unknown reason of an assessment without a
        value: the same for every such row of the indicator, as interpreter.Facts decides it with no points (its
        clauses are tried only when they test `no data`; else all four are NULL)."""
        from lsprules.engine.interpreter import Facts

        facts = Facts(self.spec, [], {})
        label, line, traces = facts.rag()
        clause = None if not traces else len(traces) if traces[-1].outcome == "true" else \
            -len(traces) if traces[-1].outcome == "unknown" else 0
        unknown = facts._unknown if clause is not None and clause < 0 else None

        def constant(value: str | int | None, kind: str) -> exp.Expression:
            if value is None:
                return exp.cast(exp.null(), kind)
            return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)

        return {"clause": constant(clause, "INT"), "rag": constant(label, "VARCHAR"),
                "line": constant(line, "INT"), "unknown": constant(unknown, "VARCHAR")}

    # layer "decided": target met, on trajectory, the deciding clause; layer "rated": the rating and its line

    def decisions(self) -> Cols:
        met, on_path = self._reached(self.target_ref), self._reached(self.trajectory_ref)
        return {"met": met, "on_path": on_path, "clause": self._clause()}

    def ratings(self) -> Cols:
        rag, line = exp.Case(), exp.Case()
        for k, c in enumerate(self.spec.rag.clauses if self.spec.rag else (), start=1):
            held = exp.EQ(this=column("clause"), expression=exp.Literal.number(k))
            decided = exp.In(this=column("clause"), expressions=[exp.Literal.number(k), exp.Literal.number(-k)])
            rag = rag.when(held, exp.Literal.string(c.label))
            if c.span is not None:
                line = line.when(decided, exp.Literal.number(c.span.line))
        return {"rag": rag if rag.args.get("ifs") else _null("VARCHAR"),
                "line": line if line.args.get("ifs") else _null("INT")}

    def _reached(self, reference: Num | None) -> exp.Expression:
        """Whether the latest value is at or better than a reference (NULL when there is none)."""
        return _null("BOOLEAN") if reference is None else self._better(self.lv, reference, ">=")

    def _clause(self) -> exp.Expression:
        rag = self.spec.rag
        if rag is None:
            return _null("INT")
        node = exp.Case().when(exp.Not(this=self.known), exp.null())
        for k, clause in enumerate(rag.clauses, start=1):
            if clause.condition is None:
                return node.else_(exp.Literal.number(k))
            truth = self._condition(clause.condition)
            node = node.when(exp.Is(this=exp.Paren(this=truth), expression=exp.null()), exp.Literal.number(-k))
            node = node.when(truth.copy(), exp.Literal.number(k))
        return node.else_(exp.Literal.number(0))

    def _condition(self, expr: nodes.Expr) -> exp.Expression:
        """A condition in SQL's three-valued logic, which is Kleene's, as lang/conditions.decide."""
        if isinstance(expr, nodes.And):
            return exp.And(this=exp.Paren(this=self._condition(expr.left)),
                           expression=exp.Paren(this=self._condition(expr.right)))
        if isinstance(expr, nodes.Or):
            return exp.Or(this=exp.Paren(this=self._condition(expr.left)),
                          expression=exp.Paren(this=self._condition(expr.right)))
        if isinstance(expr, nodes.Not):
            return exp.Not(this=exp.Paren(this=self._condition(expr.operand)))
        if isinstance(expr, nodes.Compare):
            return compare(expr.op, self._number(expr.left), self._number(expr.right), self.t)
        if isinstance(expr, nodes.Reaches):
            return self._better(self._number(expr.left), self._number(expr.right), ">=")
        if isinstance(expr, nodes.ArrowIs):
            equal = exp.EQ(this=column("arrow"), expression=exp.Literal.string(expr.arrow))
            truth = exp.Not(this=equal) if expr.negated else equal
            if expr.arrow == "na":
                return truth
            return exp.Case().when(exp.EQ(this=column("arrow"), expression=exp.Literal.string("na")),
                                   exp.cast(exp.null(), "BOOLEAN")).else_(truth)
        if isinstance(expr, nodes.OnTrajectory):
            return self._reached(self.trajectory_ref)
        if isinstance(expr, (nodes.WithinTarget, nodes.TargetExceeded)):
            return self._margin(expr)
        if isinstance(expr, nodes.Margin):
            return self._bounded(expr)
        if isinstance(expr, nodes.Presence):  # tried for a known value only: without one, see without_value
            present = column({"target": "tn", "data": "lv"}.get(expr.thing, "ev"))
            return exp.Not(this=exp.Is(this=present, expression=exp.null())) if expr.present else \
                exp.Is(this=present, expression=exp.null())
        if isinstance(expr, nodes.GapState):
            return self._gap(expr.state)
        assert isinstance(expr, nodes.TargetMet)  # support.unsupported admits no other leaf
        return self._reached(self.target_ref)

    def _shortfall(self, value: Num, reference: Num) -> Num:
        """polarity.shortfall: how far `value` is worse than `reference` (0 when at or better)."""
        polarity, t = self.spec.direction, self.t
        if polarity.kind == "higher_is_better":
            return at_least_zero(add(reference, value, t, "-"), t)
        if polarity.kind == "lower_is_better":
            return at_least_zero(add(value, reference, t, "-"), t)
        ideal = Num.const(polarity.ideal, t)
        distance = add(absolute(add(value, ideal, t, "-")), absolute(add(reference, ideal, t, "-")), t, "-")
        return at_least_zero(distance, t)

    def _margin(self, expr: nodes.WithinTarget | nodes.TargetExceeded) -> exp.Expression:
        """interpreter.Facts._target_margin: NULL without a target."""
        t, target = self.t, self.target_ref
        if target is None:
            return exp.cast(exp.null(), "BOOLEAN")
        margin = Num.const(exact(expr.margin.value), t)
        if expr.margin.unit == "%":
            margin = mul(absolute(target), Num.const(exact(expr.margin.value) / HUNDRED, t))
        if isinstance(expr, nodes.WithinTarget):
            return compare("<=", self._shortfall(self.lv, target), margin, t)
        return exp.And(this=exp.Paren(this=compare(">=", self._shortfall(target, self.lv), margin, t)),
                       expression=exp.Paren(this=self._better(self.lv, target, ">")))

    def _bounded(self, expr: nodes.Margin) -> exp.Expression:
        """interpreter.Facts._margin, by polarity.by_margin: NULL without the target (or trajectory value, or
        reference level)."""
        t = self.t
        reference = self.reference(expr.reference)
        if reference is None:
            return exp.cast(exp.null(), "BOOLEAN")
        amount = Num.const(exact(expr.amount.value), t)
        if expr.amount.unit == "%":
            amount = mul(absolute(reference), Num.const(exact(expr.amount.value) / HUNDRED, t))
        better = expr.side != "short"
        distance = self._shortfall(reference, self.lv) if better else self._shortfall(self.lv, reference)
        zero = Num.const(Fraction(0), t)
        if expr.bound == "more than":
            return compare(">", distance, amount, t)
        if expr.bound == "at least":
            return exp.and_(exp.Paren(this=compare(">=", distance, amount, t)),
                            exp.Paren(this=compare(">", distance, zero, t)))
        within = compare("<" if expr.bound == "less than" else "<=", distance, amount, t)
        if not better:
            return within
        return exp.and_(exp.Paren(this=self._better(self.lv, reference, ">=")), exp.Paren(this=within))

    def reference(self, name: str) -> Num | None:
        """What a margin is measured from, as interpreter.Facts.reference: the target, the trajectory value, a level."""
        if name == "target":
            return self.target_ref
        return self.trajectory_ref if name == "trajectory" else self.level(name)

    def _gap_shortfall(self, value: Num) -> Num:
        polarity, t = self.spec.direction, self.t
        if polarity.kind == "closer_to":
            return absolute(add(value, Num.const(polarity.ideal, t), t, "-"))
        return self._shortfall(value, Num.const(Fraction(0), t))

    def _gap(self, state: str) -> exp.Expression:
        """interpreter.Facts._gap_state: closed, narrowed or widened against the value compared with."""
        t, zero = self.t, Num.const(Fraction(0), self.t)
        now = self._gap_shortfall(self.lv)
        if state == "closed":
            return compare("==", now, zero, t)
        before = self._gap_shortfall(self.ev)
        truth = (exp.And(this=exp.Paren(this=compare("<", zero, now, t)),
                         expression=exp.Paren(this=compare("<", now, before, t)))
                 if state == "narrowed" else compare(">", now, before, t))
        return exp.Case().when(exp.Is(this=column("ev"), expression=exp.null()),
                               exp.cast(exp.null(), "BOOLEAN")).else_(truth)

    def _number(self, expr: nodes.Expr) -> Num:
        t = self.t
        if isinstance(expr, nodes.Quantity):
            return Num.const(exact(expr.value), t)
        if isinstance(expr, nodes.Negate):
            return neg(self._number(expr.operand))
        if isinstance(expr, nodes.Arith):
            left, right = self._number(expr.left), self._number(expr.right)
            if expr.op == "/":
                return self._divided(left, expr.right, right)
            return mul(left, right) if expr.op == "*" else add(left, right, t, expr.op)
        if isinstance(expr, nodes.Call):  # interpreter._function, unknown when an argument is
            args = [self._number(a) for a in expr.args]
            if expr.func in ("min", "max"):
                return extreme(args, "<=" if expr.func == "min" else ">=", t)
            total = args[0]
            for arg in args[1:]:
                total = add(total, arg, t)
            return total if expr.func == "sum" else mul(total, Num.const(Fraction(1, len(args)), t))
        if isinstance(expr, nodes.LevelRef):
            return self.level_number(expr.name)
        assert isinstance(expr, nodes.Ref)  # support.unsupported admits no other number
        refs: dict[str, Callable[[], Num | None]] = {
            "value": lambda: self.lv, "previous": lambda: self.ev,
            "change": lambda: add(self.lv, self.ev, t, "-"),
            "target": lambda: self.target_ref, "trajectory": lambda: self.trajectory_ref,
            "baseline": self._baseline}
        found = refs[expr.which]()
        return found if found is not None else Num(exp.cast(exp.null(), t), 1)

    def _divided(self, left: Num, divisor: nodes.Expr, right: Num) -> Num:
        """left / right, unknown where right is 0; by a rule's number, a product by its inverse (no row factor)."""
        if isinstance(divisor, nodes.Quantity):
            amount = exact(divisor.value)
            return Num(_null(self.t), 1) if amount == 0 else mul(left, Num.const(1 / amount, self.t))
        return divide(left, right, self.t)

    def _baseline(self) -> Num | None:
        """The baseline's value, as Facts.baseline: none without a baseline period, or where the data gives the
        target (the rules' target, and its baseline, are then not worked out)."""
        if not self._has_baseline():
            return None
        if "target" not in self.given:
            return self.bv
        return case([(exp.Is(this=column("l_target"), expression=exp.null()), self.bv)], None, self.t)

    def _has_baseline(self) -> bool:
        target = self.spec.target
        return target is not None and target.fixed is None and target.baseline is not None


# The value columns of the layers and the column of each one's row denominator (when a derived value weighted).
WEIGHTS = {"v": "w", "lv": "lw", "pv": "pw", "ev": "ew", "bv": "bw", "tn": "tw", "jn": "jw"}


def weight(name: str) -> str:
    """The column of a value column's row denominator."""
    return WEIGHTS[name]


def _text_cell(text: exp.Expression) -> exp.Expression:
    """core/csv_cells.safe_text, then the csv module's minimal quoting."""
    first = exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Literal.number(1))
    safe = exp.Case().when(exp.In(this=first, expressions=[exp.Literal.string(c) for c in FORMULA_STARTS]),
                           exp.DPipe(this=exp.Literal.string("'"), expression=text, safe=True)).else_(text)
    special = exp.or_(*(exp.GT(this=exp.StrPosition(this=safe.copy(), substr=exp.Literal.string(c)),
                               expression=exp.Literal.number(0)) for c in QUOTED))
    quoted = exp.DPipe(this=exp.DPipe(this=exp.Literal.string('"'),
                                      expression=exp.func("REPLACE", safe.copy(), exp.Literal.string('"'),
                                                          exp.Literal.string('""')), safe=True),
                       expression=exp.Literal.string('"'), safe=True)
    return exp.Case().when(special, quoted).else_(safe.copy())


def running_layers(selects: Sequence[exp.Select], source: str, prefix: str) -> Layers:
    """The layers computing once each window over years the selects (reading `source`) hold: running years to date
    (derived._to_date_sum), and a year's other aggregates, partitioned by plain columns (`years`: the first period of
    each row's year, derived.year_start) — the engines then sort the rows once, not once per window and value. The
    selects then read the last layer (`to_date`), the windows' columns in place of the windows. `prefix`: of the
    layers' names."""
    starts: dict[exp.Expression, exp.Alias] = {}  # (by their trees: equal trees hash alike, and cheaper than text)
    windows: dict[exp.Expression, exp.Alias] = {}
    for select in selects:
        for window in list(select.find_all(exp.Window)):
            for part in window.args.get("partition_by") or []:
                if not isinstance(part, exp.Column):
                    if part not in starts:
                        starts[part] = exp.alias_(part.copy(), f"y{len(starts)}", copy=False)
                    part.replace(column(starts[part].alias))
            if window not in windows:
                windows[window] = exp.alias_(window.copy(), f"r{len(windows)}", copy=False)
            window.replace(column(windows[window].alias))
    if not windows:
        return []
    for select in selects:
        select.from_(f"{prefix}to_date", copy=False)
    return [(f"{prefix}years", exp.select("*", *starts.values()).from_(source)),
            (f"{prefix}to_date", exp.select("*", *windows.values()).from_(f"{prefix}years"))]


def _known_value(value: exp.Expression | None = None) -> exp.Expression:
    """`value IS NOT NULL` (of the column v by default)."""
    return exp.Not(this=exp.Is(this=value or column("v"), expression=exp.null()))


def _null(to: str | exp.DataType) -> exp.Expression:
    """A NULL of a type: an engine that types a column by its values (polars) must not find a column of NULLs
    untyped when no indicator has, say, a target."""
    return exp.cast(exp.null(), to)


def _quoted_column(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _bool_cell(truth: exp.Expression) -> exp.Expression:
    return (exp.Case().when(truth, exp.Literal.string("true"))
            .when(exp.Not(this=truth.copy()), exp.Literal.string("false")).else_(exp.Literal.string("")))


def _filled(cell: exp.Expression, text: exp.Expression) -> exp.Condition:
    """Whether a cell names something: not NULL, and its `text` (the cell, or as read) not empty."""
    return exp.and_(exp.Not(this=exp.Is(this=cell, expression=exp.null())),
                    exp.NEQ(this=text, expression=exp.Literal.string("")))


def _joined(*parts: exp.Expression | str) -> exp.Expression:
    """Texts joined by `||` (strings as literals), as the cell an error names."""
    found = [exp.Literal.string(part) if isinstance(part, str) else part for part in parts]
    joined = found[0]
    for part in found[1:]:
        joined = exp.DPipe(this=joined, expression=part, safe=True)
    return joined


def _member(ids: Sequence[str], table: str | None = None) -> exp.Expression:
    return exp.In(this=column("indicator", table), expressions=[exp.Literal.string(i) for i in ids])



def _grouped(items: dict[str, _V]) -> dict[_V, list[str]]:
    groups: dict[_V, list[str]] = {}
    for key, value in items.items():
        groups.setdefault(value, []).append(key)
    return groups

