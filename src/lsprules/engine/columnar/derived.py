"""Derived indicators (`value = ...`) in the columnar plan, computed from their components as the interpreter does.

The plan holds the data's values as integers at the data's one scale; a formula of other indicators' values at the
same area and period with numbers, `+`, `-`, unary `-`, `*`, `/`, `sum()`, `min()`, `max()`, `share_of()` and `as
percent` is compiled to a numerator over the scale times a row's own denominator (Quotient): 1 for a value that
keeps the data's scale, the divisor's value for a division (off_scale says which formulas leave it). A derived
indicator named in another's value is put in place as its own expression. A derived indicator has a known value
where every component has one and no divisor is 0 (the interpreter's Gap otherwise): the plan needs only the known
ones. A field of the indicator's own data (`fields numerator, denominator`) is a component too, read from the rows
whose indicator is its key (field_key: what the plan's input makes of an indicator's rows with that `field`).
`previous()`, `change()`, `percent_change()`, `rolling_sum()` and `rolling_mean()` are formulas of the components
read some periods back as well (shifted_key: the plan reads each such row again, that many periods later); a value
at one period (`x at 2003/04`) is x's formula with each component read at that period, whatever the period
computed (fixed_key: the plan reads it once per area). A year to date (`year_to_date(x)` and its financial form)
is a running sum of x over the area's rows of its year (TO_DATE_SUM: a window, known where x is known at every
period of the year up to the one computed); the period's own part of a cumulative figure (`from_year_to_date(x)`)
is x less x read one period back, but in the year's first period (IN_YEAR, of the period's position in its year:
position_key). A value in a comparator's areas (`x at c`, gap(), ratio()) is x's formula with each component read in
the comparator's area (area_key: the plan gives that area's rows to every area), or the mean of it over the group's
areas. What else a value may use (`min()`/`max()` of a value off the scale, `previous()` in a value at one period, a
year to date read at other periods or of a value off the scale, a comparator's value of one reading other periods
or comparators) is named by `value_words`, and the interpreter runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from lsprules.core.source import Span
from lsprules.lang import nodes
from lsprules.lang.printer import format_expr
from lsprules.lang.resolve import IndicatorSpec, RuleSet, comparator_areas, count_argument, walk

if TYPE_CHECKING:
    from sqlglot import exp

MOST_NODES = 2_000  # the most terms of all derived values put in place (oversized)
MOST_DEPTH = 40  # the deepest nesting of one (engines and sqlglot recurse through it)
# What a formula may use, and the sqlglot node of each (by name: sqlglot and the interpreter are imported only when
# a formula is compiled or folded, so that checking what the plan supports imports neither, and sqlglot can be
# imported while polars reads the file, polars_run.py).
FUNCTIONS = {"sum": "Add", "min": "Least", "max": "Greatest"}  # sum() folds into +
# What takes a value off the data's scale (off_scale): the plan then carries a denominator for each row.
OFF_SCALE = "a division, a product of two values or a number that is not whole"
ARITH = {"+": "Add", "-": "Sub", "*": "Mul"}
FIELD_MARK = "."  # between an indicator and a field in a component's key: an indicator id never holds one
# Between an indicator and a reference level in the key of a row giving that level (a CSV `level` cell): the rows
# of the plan's input giving an area's `target` or `trigger` for a period, read beside its values (level_key).
LEVEL_MARK = "^"
# Functions of a value some periods earlier the plan computes, from each component read that many periods back
# (shifted_key).
EARLIER = {"previous", "change", "percent_change", "rolling_sum", "rolling_mean"}
COMPARED = {"gap": "-", "ratio": "/"}  # a value against a comparator's, and the operator that compares them
SHIFT_MARK = "@"  # between a component's key and how many periods back it is read: never in an id or a field
RELATIVE = "relative change"  # (a - b) / |b| in a formula made by _earlier: no function of the language
# A derived value reading only earlier periods (previous(x)) is known at the periods of its series alone (where one
# of its raw components or fields has a row, with a value or not): the component `PRESENCE_MARK + id`, 0 there.
PRESENCE_MARK = "#"  # an id never starts with one
PRESENT = "present"  # the presence of a derived value's period in a formula made by _earlier: no language function
# Between a component's key and the one period it is read at, whatever the period computed (`x at 2003/04`): never
# in an id, a field or a period's label.
FIXED_MARK = "!"
# Years to date: each function, whether its year is the financial one, and whether it is the period's own part of a
# cumulative figure (`from_`: the value less the one before, but in the year's first period).
TO_DATE = {"year_to_date": (False, False), "financial_year_to_date": (True, False),
           "from_year_to_date": (False, True), "from_financial_year_to_date": (True, True)}
MOST_PER_YEAR = 12  # the most periods in a year (months): the terms a year to date may sum
# A term counted where the period computed is at least so far into its year, else 0 (known there whatever the
# term): IN_YEAR(position, k, term), the position a component keyed POSITION_MARK + "f" (financial) or "c".
IN_YEAR = "in the year"
# The running sum of a value over its year up to the period computed: TO_DATE_SUM(position, value).
TO_DATE_SUM = "sum to date"
POSITION_MARK = "%"  # an id never starts with one
# Before the number of a comparator's area (comparator_areas) and AREA_END in the key of a component read in that area
# (`x at national`, gap(), ratio(): area_key), whatever the area computed: an id never starts with one, and an area's
# name, which may hold any character, is never in a key.
AREA_MARK = "&"
AREA_END = ":"


def field_key(indicator: str, field: str) -> str:
    """The key of an indicator's field among the plan's indicators (its rows' indicator, the plan's input)."""
    return f"{indicator}{FIELD_MARK}{field}"


def level_key(indicator: str, level: str) -> str:
    """The key of the rows giving an indicator's reference level (or target) among the plan's indicators."""
    return f"{indicator}{LEVEL_MARK}{level}"


def is_field_key(name: str) -> bool:
    """Whether a component's name is a field's key (field_key) rather than an indicator's id."""
    return FIELD_MARK in name


def shifted_key(key: str, back: int) -> str:
    """The key of a component read `back` periods before the period computed (the key itself when 0)."""
    return f"{key}{SHIFT_MARK}{back}" if back else key


def unshifted(key: str) -> tuple[str, int]:
    """A component's key without its shift (shifted_key), and how many periods back it is read."""
    name, mark, back = key.partition(SHIFT_MARK)
    return name, int(back) if mark else 0


def fixed_key(key: str, label: str) -> str:
    """The key of a component read at the period `label` whatever the period computed (a fixed key is never
    shifted)."""
    return f"{key}{FIXED_MARK}{label}"


def unfixed(key: str) -> tuple[str, str | None]:
    """A component's key without its fixed period (fixed_key), and that period's label (None: not fixed)."""
    name, mark, label = key.partition(FIXED_MARK)
    return name, label if mark else None


def is_fixed(key: str) -> bool:
    """Whether a component's key is read at one period (fixed_key)."""
    return FIXED_MARK in key


def area_key(key: str, area: int) -> str:
    """The key of a component read in the comparator area numbered `area` (comparator_areas) at the period computed."""
    return f"{AREA_MARK}{area}{AREA_END}{key}"


def area_of(key: str) -> tuple[int | None, str]:
    """The number of the comparator area a component's key is read in (None: the area computed), and the key in it."""
    if not key.startswith(AREA_MARK):
        return None, key
    number, _, inner = key[len(AREA_MARK):].partition(AREA_END)
    return int(number), inner


def position_key(financial: bool) -> str:
    """The key of the position of the period computed in its year (0: its first period), calendar or financial."""
    return f"{POSITION_MARK}{'f' if financial else 'c'}"


def position_of(key: str) -> bool | None:
    """Whether a key (without its shift or fixed period) is a position in the financial year (position_key; None:
    it is no position)."""
    return key[len(POSITION_MARK):] == "f" if key.startswith(POSITION_MARK) else None


def presence_key(indicator: str) -> str:
    """The key of the presence of a derived indicator's period (PRESENCE_MARK)."""
    return f"{PRESENCE_MARK}{indicator}"


def presence_of(key: str) -> str | None:
    """The derived indicator whose presence a component's key (without its shift) is (None: it is not one)."""
    return key[len(PRESENCE_MARK):] if key.startswith(PRESENCE_MARK) else None


def read_keys(keys: Collection[str]) -> list[str]:
    """The keys of the rows components are read from: each read in a comparator's area (area_key) from the rows of
    its own key, some periods back as it is (those rows are then given to every area, sql_plan's `reach`)."""
    found = []
    for key in keys:
        name, back = unshifted(key)
        found.append(shifted_key(area_of(name)[1], back) if not is_fixed(key) else key)
    return sorted(set(found))


def compared_keys(keys: Collection[str]) -> list[str]:
    """The components read in a comparator's area (area_key) among these keys, without their periods back, sorted."""
    return sorted({name for name in (unshifted(key)[0] for key in keys) if area_of(name)[0] is not None})


def reads_back(keys: Collection[str]) -> list[tuple[int, list[str]]]:
    """Each number of periods back these components' keys read (shifted_key), with the keys read that many back
    (those read at one period, fixed_key, are not among them)."""
    found: dict[int, set[str]] = {}
    for key in keys:
        if is_fixed(key):
            continue
        name, back = unshifted(key)
        found.setdefault(back, set()).add(name)
    return [(back, sorted(names)) for back, names in sorted(found.items())]


def derived_specs(rules: RuleSet) -> list[IndicatorSpec]:
    """The rule set's derived indicators, in rule-file order."""
    return [spec for spec in rules.indicators.values() if spec.value is not None]


def formula(rules: RuleSet, spec: IndicatorSpec, per_year: int = MOST_PER_YEAR) -> nodes.Expr | None:
    """A derived indicator's value as an expression of raw indicators only (`as percent` as `* 100`), for data with
    `per_year` periods a year (a year to date sums no more terms); None when it is never known: it names a derived
    value without components, which the interpreter computes at no period, or reads every component at one period
    (`x at 2003/04`): its series then has no period."""
    assert spec.value is not None
    try:
        found = _within(_inlined(rules, spec), per_year)
    except _NeverKnown:
        return None
    return found if series_components(found) else None


def part_formula(rules: RuleSet, spec: IndicatorSpec, expr: nodes.Expr,
                 per_year: int = MOST_PER_YEAR) -> nodes.Expr | None:
    """A part of a derived indicator's value as formula() makes the whole (None: never known)."""
    try:
        return _within(_replaced(rules, spec, expr), per_year)
    except _NeverKnown:
        return None


def _within(expr: nodes.Expr, per_year: int) -> nodes.Expr:
    """A formula with each term of a year to date that a year of `per_year` periods never counts (IN_YEAR as far
    into the year as it has periods, or further) as 0: its components are then never read."""
    def uncounted(node: nodes.Expr) -> nodes.Expr | None:
        if isinstance(node, nodes.Call) and node.func == IN_YEAR:
            far = node.args[1]
            if isinstance(far, nodes.Quantity) and far.value >= per_year:
                return nodes.Quantity(Decimal(0))
        return None

    return _rebuilt(expr, uncounted)


class _NeverKnown(Exception):
    """A derived value named in a formula has no components (`value = 5`): the formula never has a value."""


def _inlined(rules: RuleSet, spec: IndicatorSpec) -> nodes.Expr:
    assert spec.value is not None
    expr = _replaced(rules, spec, spec.value.expr)
    return nodes.Arith("*", expr, nodes.Quantity(Decimal(100))) if spec.value.as_percent else expr


def _replaced(rules: RuleSet, spec: IndicatorSpec, expr: nodes.Expr) -> nodes.Expr:
    """`expr`, a part of `spec`'s value, with its fields as their keys and the derived values it names in place."""
    if isinstance(expr, nodes.Name):
        if expr.id in spec.fields:  # a field is not the indicator of the same name (the interpreter's lookup)
            return nodes.Name(id=field_key(spec.id, expr.id), span=expr.span)
        return _named(rules, expr)
    if isinstance(expr, nodes.Negate):
        return nodes.Negate(_replaced(rules, spec, expr.operand))
    if isinstance(expr, nodes.Arith):
        return nodes.Arith(expr.op, _replaced(rules, spec, expr.left), _replaced(rules, spec, expr.right))
    if isinstance(expr, nodes.AtPeriod):
        return fixed(_named(rules, nodes.Name(expr.indicator, span=expr.span)), expr.period)
    if isinstance(expr, nodes.AtComparator):
        return _at_comparator(rules, expr.indicator, expr.comparator)
    if isinstance(expr, nodes.Call) and expr.func in COMPARED:  # gap(x, c) = x - x at c; ratio(x, c) = x / x at c
        name, other = expr.args
        assert isinstance(name, nodes.Name) and isinstance(other, nodes.Name)  # (the resolver allows nothing else)
        return nodes.Arith(COMPARED[expr.func], _named(rules, name), _at_comparator(rules, name.id, other.id))
    if isinstance(expr, nodes.Call):
        if expr.func in EARLIER:
            return _earlier(expr, _named(rules, expr.args[0]), spec)
        if expr.func in TO_DATE:
            return _to_date(expr.func, _named(rules, expr.args[0]))
        args = tuple(_replaced(rules, spec, a) for a in expr.args)
        if expr.func == "share_of":  # A as a % of B, as the interpreter computes it
            return nodes.Arith("*", nodes.Arith("/", args[0], args[1]), nodes.Quantity(Decimal(100)))
        if expr.func == "mean":  # the sum over how many there are (interpreter._function)
            return nodes.Arith("/", nodes.Call("sum", args), nodes.Quantity(Decimal(len(args))))
        return nodes.Call(expr.func, args)
    return expr


def _named(rules: RuleSet, arg: nodes.Expr) -> nodes.Expr:
    """The indicator a name reads (a function of earlier periods: never a field), a derived one put in place."""
    assert isinstance(arg, nodes.Name)  # the resolver allows nothing else
    named = rules.indicators.get(arg.id)
    if named is not None and named.value is not None:
        inner = _inlined(rules, named)
        if not series_components(inner):  # a series without periods: never a value
            raise _NeverKnown(arg.id)
        return inner
    return arg


def at_comparator(rules: RuleSet, indicator: str, comparator: str) -> nodes.Expr | None:
    """`indicator at comparator` as a formula of components (None: the indicator is never known)."""
    try:
        return _at_comparator(rules, indicator, comparator)
    except _NeverKnown:
        return None


def _at_comparator(rules: RuleSet, indicator: str, comparator: str) -> nodes.Expr:
    """An indicator's value in a comparator's area, or the mean of its values in the comparator's areas
    (AreaEvaluator.comparator_value), as a formula of components read there (area_key)."""
    value = _named(rules, nodes.Name(indicator))
    numbers = comparator_areas(rules)
    areas = rules.comparators[comparator].areas
    terms = tuple(in_area(value, numbers.index(area)) for area in areas)
    return terms[0] if len(terms) == 1 else nodes.Arith("/", nodes.Call("sum", terms),
                                                         nodes.Quantity(Decimal(len(terms))))


def in_area(expr: nodes.Expr, area: int) -> nodes.Expr:
    """A formula of components as it is in the comparator area numbered `area`: each component read there."""
    return _renamed(expr, lambda key: area_key(key, area))


def _earlier(call: nodes.Call, value: nodes.Expr, owner: IndicatorSpec) -> nodes.Expr:
    """previous(), change(), percent_change(), rolling_sum() and rolling_mean() of a value (in `owner`'s) as
    formulas of its components at the period and earlier ones, as AreaEvaluator._offset and _rolling compute them
    (a value some periods back is known where every component is then: the interpreter's value_at of it)."""
    count = count_argument(call)
    if call.func == "previous":  # at a period of the owner's series only: it reads no component at the period
        presence = nodes.Call(PRESENT, (nodes.Name(presence_key(owner.id)),))
        return nodes.Arith("+", shifted(value, count), presence)
    if call.func in ("rolling_sum", "rolling_mean"):
        total = nodes.Call("sum", tuple(shifted(value, back) for back in range(count)))
        return total if call.func == "rolling_sum" else nodes.Arith("/", total, nodes.Quantity(Decimal(count)))
    before = shifted(value, count)
    if call.func == "change":
        return nodes.Arith("-", value, before)
    return nodes.Arith("*", nodes.Call(RELATIVE, (value, before)), nodes.Quantity(Decimal(100)))


def _to_date(func: str, value: nodes.Expr) -> nodes.Expr:
    """A year to date of a value (AreaEvaluator._year_to_date and _from_year_to_date): the sum of the value at the
    period and each one before it in its year, or the value less the one before it but in the year's first
    period."""
    financial, part = TO_DATE[func]
    position = nodes.Name(position_key(financial))

    def in_year(back: int) -> nodes.Expr:
        return nodes.Call(IN_YEAR, (position, nodes.Quantity(Decimal(back)), shifted(value, back)))

    if part:
        return nodes.Arith("-", value, in_year(1))
    return nodes.Call(TO_DATE_SUM, (position, value))


def shifted(expr: nodes.Expr, back: int) -> nodes.Expr:
    """A formula of components as it is `back` periods earlier: each component read that many periods further
    back (but those read at one period)."""
    def moved(key: str) -> str:
        if is_fixed(key):
            return key
        name, before = unshifted(key)
        return shifted_key(name, before + back)

    return _renamed(expr, moved)


def fixed(expr: nodes.Expr, label: str) -> nodes.Expr:
    """A formula of components as it is at the period `label` (canonical: lang.lower's) whatever the period
    computed: each component read there, or that many periods before it when read some periods back (one already
    read at a period stays there)."""
    from lsprules.core.periods import parse_period

    period = parse_period(label)

    def moved(key: str) -> str:
        if is_fixed(key):
            return key
        name, back = unshifted(key)
        return fixed_key(name, period.shift(-back).label)

    return _renamed(expr, moved)


def _renamed(expr: nodes.Expr, rename: Callable[[str], str]) -> nodes.Expr:
    """A formula with each component's key renamed."""
    return _rebuilt(expr, lambda node: nodes.Name(id=rename(node.id), span=node.span)
                    if isinstance(node, nodes.Name) else None)


def _rebuilt(expr: nodes.Expr, replaced: Callable[[nodes.Expr], nodes.Expr | None]) -> nodes.Expr:
    """A formula with each node `replaced` gives a node for (None: none) put in its place, the others rebuilt
    around their replaced parts."""
    found = replaced(expr)
    if found is not None:
        return found
    if isinstance(expr, nodes.Negate):
        return nodes.Negate(_rebuilt(expr.operand, replaced))
    if isinstance(expr, nodes.Arith):
        return nodes.Arith(expr.op, _rebuilt(expr.left, replaced), _rebuilt(expr.right, replaced))
    if isinstance(expr, nodes.Call):
        return nodes.Call(expr.func, tuple(_rebuilt(a, replaced) for a in expr.args))
    return expr


def reads_fields(rules: RuleSet) -> bool:
    """Whether a derived value of the rule set reads a field of its indicator's data."""
    return any(isinstance(node, nodes.Name) and node.id in spec.fields
               for spec in derived_specs(rules) if spec.value is not None for node in walk(spec.value.expr))


def oversized(rules: RuleSet) -> list[IndicatorSpec]:
    """The derived indicators from which the plan would grow too large with the derived values they name put in
    place: past MOST_NODES terms for all of them together, or nested past MOST_DEPTH (measured without building
    them, each indicator once: a chain of values each naming the one before twice doubles)."""
    measured: dict[str, tuple[int, int]] = {}

    def measure(expr: nodes.Expr, fields: Collection[str] = ()) -> tuple[int, int]:
        """The size and depth of an expression (a part of the value of an indicator with these `fields`, which are
        not the indicators of the same name) with the derived values it names put in place."""
        if isinstance(expr, nodes.Name) and expr.id not in fields:
            named = rules.indicators.get(expr.id)
            if named is not None and named.value is not None:
                if expr.id not in measured:
                    size, depth = measure(named.value.expr, named.fields)
                    measured[expr.id] = (min(size, MOST_NODES + 1), depth + named.value.as_percent)
                return measured[expr.id]
        if isinstance(expr, nodes.AtPeriod):  # the value named, put in place at one period
            return measure(nodes.Name(expr.indicator))
        read = compared_read(expr)
        if read is not None:  # the value named, put in place in each of the comparator's areas (and its own)
            size, depth = measure(nodes.Name(read[0]))
            copies = len(rules.comparators[read[1]].areas) + isinstance(expr, nodes.Call)
            return 1 + copies * size, 1 + math.ceil(math.log2(copies)) + depth
        if isinstance(expr, nodes.Call) and (expr.func in EARLIER or expr.func in TO_DATE):
            size, depth = measure(expr.args[0])  # copies of the value named, some periods back
            copies = {"previous": 1, "change": 2, "percent_change": 3, "from_year_to_date": 2,
                      "from_financial_year_to_date": 2, "year_to_date": 1, "financial_year_to_date": 1}.get(
                expr.func) or count_argument(expr)
            return 1 + copies * size, 1 + math.ceil(math.log2(copies)) + depth
        parts = [measure(child, fields) for child in children(expr)]
        size = 1 + sum(p[0] for p in parts)
        nesting = math.ceil(math.log2(len(parts))) if isinstance(expr, nodes.Call) and parts else 1
        return size, nesting + max((p[1] for p in parts), default=0)

    found, total = [], 0
    for spec in derived_specs(rules):
        size, depth = measure(nodes.Name(spec.id))
        total += size
        if total > MOST_NODES or depth > MOST_DEPTH:
            found.append(spec)
    return found


def components(expr: nodes.Expr) -> list[str]:
    """The raw indicators and fields (by their keys, field_key) a formula reads, sorted (not the positions in the
    year, position_key, which are no data)."""
    return sorted({node.id for node in walk(expr) if isinstance(node, nodes.Name) and not is_position(node.id)})


def is_position(key: str) -> bool:
    """Whether a component's key is a position in the year (position_key), read some periods back or not."""
    return key.startswith(POSITION_MARK)


def certain_components(expr: nodes.Expr) -> list[str]:
    """The components a formula's value needs wherever it is computed: all but those of a term of a year to date
    (IN_YEAR), needed only where it is counted, and those of a running sum (TO_DATE_SUM), which counts them itself."""
    if isinstance(expr, nodes.Call) and expr.func in (IN_YEAR, TO_DATE_SUM):
        return []
    if isinstance(expr, nodes.Name):
        return components(expr)
    return sorted({name for child in children(expr) for name in certain_components(child)})


def series_components(expr: nodes.Expr) -> list[str]:
    """The components of a formula that give its series periods: all but those read at one period (fixed_key)."""
    return [key for key in components(expr) if not is_fixed(key)]


def raw_components(rules: RuleSet, spec: IndicatorSpec) -> list[str]:
    """The raw indicators and fields (by key) a derived value reads, through the derived values it names, sorted:
    its series has a period wherever one of them has a row (the interpreter's _derived), even where it is never
    known."""
    found: set[str] = set()
    seen: set[str] = set()  # each derived value once: a chain naming the one before twice doubles
    pending = [spec]
    while pending:
        owner = pending.pop()
        assert owner.value is not None
        for name in components(owner.value.expr):
            named = rules.indicators.get(name)
            if name in owner.fields:
                found.add(field_key(owner.id, name))
            elif named is None:  # the comparator of gap(x, c): no component (`x at c` gives periods: compared_in)
                continue
            elif named.value is None:
                found.add(name)
            elif name not in seen:
                seen.add(name)
                pending.append(named)
    return sorted(found)


def compared_in(rules: RuleSet, spec: IndicatorSpec) -> list[tuple[tuple[int, ...], tuple[str, ...]]]:
    """Each indicator a derived value reads as `x at c`, through the derived values it names: the numbers of the
    comparator's areas (comparator_areas), and the keys whose rows give x's periods (x's own, or its
    raw_components). The value's series has a period wherever x's has one in every one of those areas
    (AreaEvaluator._comparator_periods), besides those its raw_components give (gap(x, c) and ratio(x, c) take
    their periods from x in the area computed alone, as the interpreter's _derived does)."""
    numbers = comparator_areas(rules)
    found: dict[tuple[tuple[int, ...], tuple[str, ...]], None] = {}
    seen: set[str] = set()
    pending = [spec]
    while pending:
        owner = pending.pop()
        assert owner.value is not None
        for node in walk(owner.value.expr):
            if isinstance(node, nodes.AtComparator):
                read = rules.indicators[node.indicator]
                keys = tuple(raw_components(rules, read)) if read.value is not None else (read.id,)
                found[(tuple(numbers.index(a) for a in rules.comparators[node.comparator].areas), keys)] = None
            named = rules.indicators.get(node.id) if isinstance(node, nodes.Name) and node.id not in owner.fields \
                else None
            if named is not None and named.value is not None and named.id not in seen:
                seen.add(named.id)
                pending.append(named)
    return list(found)


def compared_read(node: nodes.Expr) -> tuple[str, str] | None:
    """The indicator and the comparator `x at c`, gap(x, c) or ratio(x, c) reads (None: the node is none of them)."""
    if isinstance(node, nodes.AtComparator):
        return node.indicator, node.comparator
    if isinstance(node, nodes.Call) and node.func in COMPARED:
        name, other = node.args
        assert isinstance(name, nodes.Name) and isinstance(other, nodes.Name)
        return name.id, other.id
    return None


def children(expr: nodes.Expr) -> tuple[nodes.Expr, ...]:
    """The operands of an expression, left to right (the order _value_expr evaluates them in)."""
    if isinstance(expr, nodes.Negate):
        return (expr.operand,)
    if isinstance(expr, nodes.Arith):
        return (expr.left, expr.right)
    if isinstance(expr, nodes.Call):
        return expr.args
    return ()


def value_words(rules: RuleSet, spec: IndicatorSpec) -> list[tuple[str, Span | None]]:
    """Each part of a derived indicator's own value the plan cannot express, in the rule file's words, and where
    it is written (empty: it can; the derived indicators it names answer for themselves)."""
    if spec.value is None:
        return []
    if not raw_components(rules, spec) and compared_in(rules, spec):
        return [("a value read only in a comparator's areas", spec.value.span)]
    return list(_unexpressed(rules, spec, spec.value.expr, spec.value.span))


def _unexpressed(rules: RuleSet, spec: IndicatorSpec, expr: nodes.Expr,
                 span: Span | None) -> Iterator[tuple[str, Span | None]]:
    where = expr.span or span
    words = _words(rules, spec, expr)
    if words is not None:
        yield f"{words} in a derived value", where
        return
    for child in children(expr):
        yield from _unexpressed(rules, spec, child, where)


def _words(rules: RuleSet, spec: IndicatorSpec, expr: nodes.Expr) -> str | None:
    """What the plan cannot express of this node itself (None: it can, given its parts)."""
    if isinstance(expr, nodes.Quantity):
        return f"a number with a unit (`{format_expr(expr)}`)" if expr.unit is not None else None
    if isinstance(expr, (nodes.Name, nodes.Negate)):
        return None
    if isinstance(expr, nodes.AtPeriod):
        return _fixed_words(rules, expr)
    read = compared_read(expr)
    if read is not None:
        return _compared_words(rules, expr, read[0])
    if isinstance(expr, nodes.Arith):
        return None if expr.op in ARITH or expr.op == "/" else f"`{expr.op}`"
    if isinstance(expr, nodes.Call):
        if expr.func in TO_DATE and not TO_DATE[expr.func][1]:
            return _to_date_words(rules, expr)
        if expr.func in EARLIER or expr.func in TO_DATE:
            return _running_words(rules, expr, expr.args[0])
        if expr.func not in FUNCTIONS and expr.func not in ("share_of", "mean"):
            return f"the function `{expr.func}()`"
        if expr.func not in ("sum", "mean") and any(off_scale(rules, a, spec.fields) for a in expr.args):
            return f"a value off the data's scale inside `{expr.func}()` ({OFF_SCALE})"
        return None
    return f"`{format_expr(expr)}`"


def _to_date_words(rules: RuleSet, call: nodes.Call) -> str | None:
    """What the plan cannot express of a running year to date (None: it can): of a value off the data's scale, or
    of one that holds another (a running sum of running sums)."""
    if off_scale(rules, call.args[0]):
        return f"`{format_expr(call)}` of a value off the data's scale ({OFF_SCALE})"
    return _running_words(rules, call, call.args[0])


def _running_words(rules: RuleSet, call: nodes.Expr, arg: nodes.Expr) -> str | None:
    """`call` reads the value `arg` names at other periods than the one computed, or sums it over the year: the plan
    cannot when that value holds a running year to date; nor, when it reads a comparator, at one period, over the
    year, or as `previous()` of a value whose series has a comparator's periods (None: it can)."""
    named = arg.id if isinstance(arg, nodes.Name) else arg.indicator if isinstance(arg, nodes.AtPeriod) else None
    inner = _named_formula(rules, named)
    if inner is None:
        return None
    if any(isinstance(node, nodes.Call) and node.func == TO_DATE_SUM for node in walk(inner)):
        return f"`{format_expr(call)}` of a value holding a year to date"
    if any(area_of(key)[0] is not None for key in components(inner)) and (
            not isinstance(call, nodes.Call) or call.func in TO_DATE or (
                call.func == "previous" and compared_in(rules, rules.indicators[named or ""]))):
        return f"`{format_expr(call)}` of a value read in a comparator's areas"
    return None


def _compared_words(rules: RuleSet, node: nodes.Expr, indicator: str) -> str | None:
    """What the plan cannot express of `x at c`, gap(x, c) or ratio(x, c) (None: it can): x reading one period,
    `previous()`, a year to date or a comparator itself, there (values some periods back it can)."""
    inner = _named_formula(rules, indicator)
    if inner is None:
        return None
    plain = all(not is_fixed(key) and presence_of(unshifted(key)[0]) is None and area_of(key)[0] is None
                for key in components(inner)) and \
        all(node.func in FUNCTIONS or node.func == RELATIVE for node in walk(inner) if isinstance(node, nodes.Call))
    return None if plain else f"`{format_expr(node)}` of a value reading one period, `previous()`, a year to date " \
        "or a comparator"


def _fixed_words(rules: RuleSet, expr: nodes.AtPeriod) -> str | None:
    """What the plan cannot express of a value at one period (None: it can): `previous()` in the derived value it
    names, whose presence at the period the plan does not read, or a running year to date (_running_words)."""
    inner = _named_formula(rules, expr.indicator)
    if inner is not None and any(presence_of(unshifted(key)[0]) is not None for key in components(inner)):
        return f"`{format_expr(expr)}` of a value reading `previous()`"
    return _running_words(rules, expr, expr)


def _named_formula(rules: RuleSet, indicator: str | None) -> nodes.Expr | None:
    """The formula of the derived indicator of that id, put in place (None: none, or never known)."""
    named = rules.indicators.get(indicator) if indicator is not None else None
    if named is None or named.value is None:
        return None
    try:
        return _inlined(rules, named)
    except _NeverKnown:
        return None


def off_scale(rules: RuleSet, expr: nodes.Expr, fields: Collection[str] = (),
              seen: frozenset[str] = frozenset()) -> bool:
    """Whether a formula's value (a part of the value of an indicator with these `fields`) may be off the data's
    scale (OFF_SCALE), so that the plan carries its row denominator, itself or in a derived value it names (each
    named value once)."""
    for node in walk(expr):
        if isinstance(node, nodes.Arith) and (node.op == "/" or (
                node.op == "*" and _constant(node.left) is None and _constant(node.right) is None)):
            return True
        if isinstance(node, nodes.Quantity) and node.value != node.value.to_integral_value():
            return True
        if isinstance(node, nodes.Call) and node.func in ("share_of", "percent_change", "rolling_mean", "mean",
                                                          "ratio"):
            return True
        read = compared_read(node)
        if read is not None and len(rules.comparators[read[1]].areas) > 1:  # a mean of the areas' values
            return True
        named = rules.indicators.get(node.id) if isinstance(node, nodes.Name) and node.id not in fields else \
            rules.indicators.get(node.indicator) if isinstance(node, (nodes.AtPeriod, nodes.AtComparator)) else None
        if named is not None and named.value is not None and named.id not in seen:
            if off_scale(rules, named.value.expr, named.fields, seen | {named.id}):
                return True
    return False


def _constant(expr: nodes.Expr) -> Fraction | None:
    """The value of an expression without names, as the interpreter computes it (None: it has one)."""
    from lsprules.engine.interpreter import Gap, _value_expr

    value = _value_expr(expr, lambda name: Gap(name))
    return value if isinstance(value, Fraction) else None


@dataclass(frozen=True)
class Quotient:
    """A formula's value as SQL: `n` / (unit × `w`), `w` a row's integer (None: 1; of either sign, and 0 where a
    divisor is), known where every one of `conditions` holds (each divisor not 0, each term of a year to date known
    where it counts) besides every one of its certain_components."""

    n: exp.Expression
    w: exp.Expression | None = None
    conditions: tuple[exp.Expression, ...] = ()


def compiled(expr: nodes.Expr, value_of: Callable[[str], exp.Expression],
             number: Callable[[int], exp.Expression], unit: int) -> Quotient:
    """A formula (one value_words accepts) as SQL on the integers at the scale of `unit` (10^places): each
    component's value from `value_of` (a position in the year too), each whole number `number(n)` an integer of the
    plan's type. Without a division, `w` is None, and without a year to date there are no conditions either."""
    from sqlglot import exp

    def part(e: nodes.Expr) -> Quotient:
        return compiled(e, value_of, number, unit)

    constant = _constant(expr)
    if constant is not None:
        return _fraction(constant * unit, number)
    if isinstance(expr, nodes.Name):
        return Quotient(value_of(expr.id))
    if isinstance(expr, nodes.Negate):
        inner = part(expr.operand)
        return Quotient(exp.Neg(this=exp.Paren(this=inner.n)), inner.w, inner.conditions)
    if isinstance(expr, nodes.Arith):
        if _constant(expr.right) is not None and expr.op in "*/" or (
                expr.op == "*" and _constant(expr.left) is not None):
            return _scaled(expr, part, number)  # by a rule's number: the value's own scale
        left, right = part(expr.left), part(expr.right)
        if expr.op == "/":  # a / b = (na × wb × unit) / (unit × nb × wa), known where nb is not 0
            return Quotient(_times(_times(left.n, right.w), number(unit)), _times(right.n, left.w),
                            (*left.conditions, *right.conditions, _not_zero(right.n, number)))
        if expr.op == "*":  # a × b = (na × nb) / (unit × unit × wa × wb)
            w = _times(_times(number(unit), left.w), right.w)
            return Quotient(_times(left.n, right.n), w, (*left.conditions, *right.conditions))
        return _plus(left, right, expr.op)
    assert isinstance(expr, nodes.Call)
    args = [part(a) for a in expr.args]
    if expr.func == "sum":
        return _summed(args)
    if expr.func == RELATIVE:
        return _relative(args[0], args[1], number, unit)
    if expr.func == PRESENT:  # 0 where the period is the owner's
        return args[0]
    if expr.func == IN_YEAR:
        return _in_year(expr, args[2], value_of, number)
    if expr.func == TO_DATE_SUM:
        return _to_date_sum(expr, args[1], value_of, number)
    # Every component is known where the plan computes a value, so GREATEST and LEAST never meet a NULL (on
    # which dialects differ); their arguments hold no division (value_words), so all are at the one scale.
    node_type: type[exp.Expression] = getattr(exp, FUNCTIONS[expr.func])
    n = node_type(this=args[0].n, expressions=[a.n for a in args[1:]]) if len(args) > 1 else args[0].n
    return Quotient(n, None, tuple(c for a in args for c in a.conditions))


def _in_year(expr: nodes.Call, term: Quotient, value_of: Callable[[str], exp.Expression],
             number: Callable[[int], exp.Expression]) -> Quotient:
    """A term of a year to date (IN_YEAR): its value where the period computed is far enough into its year, else 0
    (over 1), known there when the term is."""
    from sqlglot import exp

    position, far, inner = expr.args
    assert isinstance(position, nodes.Name) and isinstance(far, nodes.Quantity)
    counted = exp.GTE(this=value_of(position.id), expression=number(int(far.value)))
    known = exp.and_(*(exp.Not(this=exp.Is(this=value_of(name), expression=exp.null()))
                       for name in certain_components(inner)), *term.conditions)
    w = None if term.w is None else exp.Case().when(counted.copy(), term.w).else_(number(1))
    return Quotient(exp.Case().when(counted, term.n).else_(number(0)), w,
                    (exp.or_(exp.Not(this=exp.Paren(this=counted.copy())), exp.Paren(this=known)),))


def _to_date_sum(expr: nodes.Call, value: Quotient, value_of: Callable[[str], exp.Expression],
                 number: Callable[[int], exp.Expression]) -> Quotient:
    """A running year to date (TO_DATE_SUM) of a value on the data's scale (value_words): the sum of its known values
    over the rows of the area's year up to the period computed (rows of one area and period each: sql_plan's
    components), known where they are as many as the period is far into its year, plus one (a period without a row,
    or without a value, is missing)."""
    from sqlglot import exp

    position, inner = expr.args
    assert isinstance(position, nodes.Name) and value.w is None
    at = value_of(position.id)
    known = exp.and_(*(exp.Not(this=exp.Is(this=value_of(name), expression=exp.null()))
                       for name in certain_components(inner)), *value.conditions)

    def running(total: exp.Expression) -> exp.Expression:
        return exp.Window(this=total, partition_by=[exp.column("area"), year_start(at)],
                          order=exp.Order(expressions=[exp.Ordered(this=exp.column("pidx"))]))

    counted = running(exp.Count(this=exp.Case().when(known.copy(), number(1))))
    return Quotient(running(exp.Sum(this=exp.Case().when(known, value.n))), None,
                    (exp.EQ(this=counted, expression=exp.Add(this=at.copy(), expression=number(1))),))


def year_start(position: exp.Expression) -> exp.Expression:
    """The index of the first period of a row's year, from the row's position in its year (sql_plan.position): the
    partition of a year's windows, written one way wherever one is made (sql_plan.running_layers makes it a column
    once for them all)."""
    from sqlglot import exp

    return exp.Sub(this=exp.column("pidx"), expression=exp.Paren(this=position.copy()))


def _not_zero(n: exp.Expression, number: Callable[[int], exp.Expression]) -> exp.Expression:
    from sqlglot import exp

    return exp.NEQ(this=exp.Paren(this=n.copy()), expression=number(0))


def _fraction(value: Fraction, number: Callable[[int], exp.Expression]) -> Quotient:
    """A rule's number (already times unit): its numerator over its denominator (a constant w) unless whole."""
    if value.denominator == 1:
        return Quotient(number(value.numerator))
    return Quotient(number(value.numerator), number(value.denominator))


def _scaled(expr: nodes.Arith, part: Callable[[nodes.Expr], Quotient],
            number: Callable[[int], exp.Expression]) -> Quotient:
    """A value times or divided by a rule's number p / q: its numerator times p (q), its w times q (p) (a
    negative divisor's sign goes to the numerator; a divisor 0 leaves it never known)."""
    from sqlglot import exp

    if expr.op == "*":
        factor, other = (expr.left, expr.right) if _constant(expr.left) is not None else (expr.right, expr.left)
    else:
        factor, other = expr.right, expr.left
    value, inner = _constant(factor), part(other)
    assert value is not None
    times, over = (value.numerator, value.denominator) if expr.op == "*" else (value.denominator, value.numerator)
    if over == 0:
        return Quotient(inner.n, inner.w, (*inner.conditions, exp.false()))
    if over < 0:
        times, over = -times, -over
    n = inner.n if times == 1 else exp.Mul(this=exp.Paren(this=inner.n), expression=number(times))
    w = inner.w if over == 1 else number(over) if inner.w is None else _times(inner.w, number(over))
    return Quotient(n, w, inner.conditions)


def _relative(a: Quotient, b: Quotient, number: Callable[[int], exp.Expression], unit: int) -> Quotient:
    """(a - b) / |b|, known where b is not 0: (na wb - nb wa) / (wa |nb| sign(wb)) over the scale, which spares
    the factor wb of a - b over |b| worked out one step at a time (and so the engine's integers)."""
    from sqlglot import exp

    change = _plus(a, b, "-")
    w = _times(exp.Abs(this=b.n.copy()), a.w)
    if b.w is not None:
        negative = exp.LT(this=exp.Paren(this=b.w.copy()), expression=number(0))
        w = exp.Case().when(negative, exp.Neg(this=exp.Paren(this=w))).else_(w.copy())
    return Quotient(_times(change.n, number(unit)), w, (*change.conditions, _not_zero(b.n, number)))


def _times(a: exp.Expression, b: exp.Expression | None) -> exp.Expression:
    """a × b, where None is 1."""
    from sqlglot import exp

    return a if b is None else exp.Mul(this=exp.Paren(this=a), expression=exp.Paren(this=b.copy()))


def _plus(a: Quotient, b: Quotient, op: str) -> Quotient:
    """a + b (or a - b) over the product of their w."""
    from sqlglot import exp

    arith: type[exp.Expression] = getattr(exp, ARITH[op])
    w = b.w if a.w is None else _times(a.w, b.w)
    return Quotient(arith(this=exp.Paren(this=_times(a.n, b.w)), expression=exp.Paren(this=_times(b.n, a.w))), w,
                    (*a.conditions, *b.conditions))


def _summed(terms: list[Quotient]) -> Quotient:
    """The sum of the terms as a balanced tree: nested as deep as the logarithm of their number, not the number."""
    from sqlglot import exp

    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    total = _plus(_summed(terms[:middle]), _summed(terms[middle:]), "+")
    return Quotient(exp.Paren(this=total.n), total.w, total.conditions)
