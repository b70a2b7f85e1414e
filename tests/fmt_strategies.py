"""Hypothesis strategies that build rule-file ASTs (nodes.py) the grammar can express."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from lsprules.core.periods import Period, PeriodKind
from lsprules.lang import nodes
from lsprules.lang.grammar import lark_parser
from lsprules.lang.parser import keyword_choices
from lsprules.lang.resolve import LEVEL_NAMES

KEYWORDS = {w for t in lark_parser().terminals for w in keyword_choices(t.name)}

names = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True).filter(lambda n: n not in KEYWORDS)
labels = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in KEYWORDS)
titles = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=20)
numbers = st.builds(lambda n, places: Decimal(n).scaleb(-places), st.integers(0, 10**7), st.integers(0, 3))
signed_numbers = st.builds(lambda n, minus: -n if minus else n, numbers, st.booleans())
units = st.sampled_from([None, "%", "pp"])
quantities = st.builds(nodes.Quantity, numbers, units)
signed_quantities = st.builds(nodes.Quantity, signed_numbers, units)
_years = st.integers(1990, 2040)
periods = st.one_of(
    _years.map(lambda y: Period(PeriodKind.FINANCIAL_YEAR, y).label),
    _years.map(lambda y: Period(PeriodKind.CALENDAR_YEAR, y).label),
    st.builds(lambda y, q: Period(PeriodKind.QUARTER, y * 4 + q).label, _years, st.integers(0, 3)),
    st.builds(lambda y, q: Period(PeriodKind.FINANCIAL_QUARTER, y * 4 + q).label, _years, st.integers(0, 3)),
    st.builds(lambda y, m: Period(PeriodKind.MONTH, y * 12 + m).label, _years, st.integers(0, 11)),
)

refs = st.builds(nodes.Ref, st.sampled_from(["value", "previous", "trajectory", "baseline", "change", "target"]))
level_refs = st.builds(nodes.LevelRef, st.sampled_from(LEVEL_NAMES))
numeric_atoms = st.one_of(quantities, st.builds(nodes.Name, names), refs, st.builds(nodes.AtPeriod, names, periods),
                          level_refs)


def _numeric(children):
    return st.one_of(
        st.builds(nodes.Negate, children),
        st.builds(nodes.Arith, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(nodes.Call, names, st.lists(children, min_size=1, max_size=3).map(tuple)),
        # previous(...) and change(...) share their names with named values: their calls have their own rules
        st.builds(nodes.Call, st.sampled_from(["previous", "change"]),
                  st.lists(children, min_size=1, max_size=2).map(tuple)),
    )


numeric = st.recursive(numeric_atoms, _numeric, max_leaves=8)

facts = st.one_of(
    st.builds(nodes.ArrowIs, st.sampled_from(["up", "static", "down", "peak", "na"]), st.booleans()),
    st.builds(nodes.RagIs, labels, st.booleans()),
    st.builds(nodes.OnTrajectory), st.builds(nodes.TargetMet),
    st.builds(nodes.TargetExceeded, quantities), st.builds(nodes.WithinTarget, quantities),
    st.builds(nodes.GapState, st.sampled_from(["closed", "narrowed", "widened"])),
    st.builds(nodes.Presence, st.sampled_from(["target", "data", "previous value"]), st.booleans()),
    st.builds(nodes.Margin, st.sampled_from(["short", "better"]), st.sampled_from(nodes.BOUNDS), quantities,
              st.sampled_from(["target", "trajectory", *LEVEL_NAMES])),
    st.builds(nodes.Margin, st.just("exceeded"), st.sampled_from(nodes.BOUNDS), quantities,
              st.sampled_from(["target", *LEVEL_NAMES])),
    st.builds(nodes.Significance, st.sampled_from(["better", "worse", "different"]), st.one_of(st.none(), quantities)),
)
comparisons = st.one_of(
    st.builds(nodes.Compare, st.sampled_from([">=", "<=", "==", "!=", ">", "<"]), numeric, numeric),
    st.builds(nodes.Reaches, numeric, numeric),
)


def _conditions(children):
    return st.one_of(st.builds(nodes.And, children, children), st.builds(nodes.Or, children, children),
                     st.builds(nodes.Not, children))


conditions = st.recursive(st.one_of(facts, comparisons), _conditions, max_leaves=6)

clauses = st.builds(nodes.Clause, labels, st.one_of(st.none(), conditions), st.one_of(st.none(), titles))
scales = st.builds(nodes.Scale, st.lists(labels, min_size=2, max_size=4).map(tuple))

arrow_statements = st.one_of(
    st.builds(nodes.CompareStmt, st.just("previous")), st.builds(nodes.CompareStmt, st.just("year")),
    st.builds(nodes.CompareStmt, st.just("mean"), st.integers(0, 12)),
    st.builds(nodes.StaticStmt, signed_quantities, st.booleans()), st.builds(nodes.PeakStmt, signed_quantities),
)
target_statements = st.one_of(
    st.builds(nodes.BaselineStmt, periods),
    st.builds(nodes.ChangeStmt, st.sampled_from(["reduce", "increase"]), signed_quantities, periods),
    st.builds(nodes.ReachStmt, signed_quantities, periods),
    st.builds(nodes.PeriodTargetStmt, signed_quantities, periods),
    st.builds(nodes.TrajectoryStmt, st.sampled_from(["linear", "flat"])),
    st.builds(nodes.AnnualStmt, signed_quantities, periods, st.lists(quantities, max_size=4).map(tuple), st.booleans()),
)
settings = st.one_of(
    st.builds(nodes.UnitSetting, st.sampled_from(["count", "percent", "ratio"])),
    st.builds(nodes.UnitSetting, st.just("rate"), numbers),
    st.builds(nodes.PolaritySetting, st.sampled_from(["higher_is_better", "lower_is_better"])),
    st.builds(nodes.PolaritySetting, st.just("closer_to"), signed_quantities),
    st.builds(nodes.ValueSetting, numeric, st.booleans()),
    st.builds(nodes.FieldsSetting, st.lists(names, min_size=1, max_size=3).map(tuple)),
    st.builds(nodes.DecimalsSetting, st.integers(0, 6)),
    st.builds(nodes.ArrowBlock, st.lists(arrow_statements, max_size=3).map(tuple)),
    st.builds(nodes.TargetBlock, st.lists(target_statements, max_size=4).map(tuple)),
    st.builds(nodes.FixedTarget, signed_quantities),
    st.builds(nodes.DataTarget),
    st.builds(nodes.RagBlock, st.one_of(st.none(), scales), st.lists(clauses, min_size=1, max_size=4).map(tuple)),
    st.builds(nodes.LevelsBlock, st.lists(st.builds(nodes.LevelStmt, st.one_of(st.sampled_from(LEVEL_NAMES), names),
                                                    signed_quantities), max_size=3).map(tuple)),
)
setting_lists = st.lists(settings, max_size=4).map(tuple)

indicators = st.builds(nodes.Indicator, names, st.one_of(st.none(), titles), st.one_of(st.none(), names),
                       st.one_of(st.none(), setting_lists))
theme_settings = st.one_of(scales, st.builds(nodes.Members, st.lists(names, min_size=1, max_size=4).map(tuple)),
                           st.builds(nodes.Rating, st.lists(clauses, min_size=1, max_size=4).map(tuple)),
                           st.builds(nodes.Coverage, quantities))
items = st.one_of(
    st.builds(nodes.Profile, names, setting_lists),
    indicators,
    st.builds(nodes.Group, names, st.one_of(st.none(), titles), st.lists(indicators, max_size=3).map(tuple)),
    st.builds(nodes.Theme, names, st.one_of(st.none(), titles), st.lists(theme_settings, max_size=3).map(tuple)),
)
rule_files = st.builds(nodes.RuleFile, st.lists(items, max_size=5).map(tuple))
