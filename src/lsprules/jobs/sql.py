"""The `sql` job: a rule file compiled into one SQL query for a warehouse, with a header saying where it came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.core.csv_cells import COLUMNS, chosen_columns
from lsprules.core.diagnostics import InputError, at_span
from lsprules.core.files import decode_source, read_rule_file
from lsprules.core.periods import PeriodKind

if TYPE_CHECKING:
    from lsprules.lang.resolve import RuleSet

DEFAULT_SCALE = 6


def run_sql(rules_path: Path, dialect: str = "duckdb", table: str = "observations",
            periods: str = PeriodKind.FINANCIAL_YEAR.value, scale: int = DEFAULT_SCALE,
            columns: str | None = None, levels: bool = False) -> str:
    """The compiled query, pretty-printed in `dialect`, after a comment header naming the rule file and its sha256.
    `columns`: the CSV report's columns the query gives, comma-separated, in that order (None: all). `levels`: the
    table has a `level` column, whose rows give reference levels and targets (sql_plan.PlanOptions.level_column).

    Raises InputError (E003) for a bad list of columns, and (E500 at each place) when the rules use a construct the
    plan cannot express yet.
    """
    from lsprules.data.model import DATA_LEVELS
    from lsprules.engine.columnar.derived import level_key, reads_fields
    from lsprules.engine.columnar.support import data_targets, placed, unsupported_at
    from lsprules.lang.resolve import load_rules

    chosen = COLUMNS if columns is None else chosen_columns(columns)
    rules = load_rules(rules_path)
    # Without a `level` column in the table, a target only the data gives cannot reach the query.
    found = placed([*unsupported_at(rules), *([] if levels else data_targets(rules))])
    if found:
        source = decode_source(*read_rule_file(rules_path))
        raise InputError([at_span("E500", f"the SQL plan cannot express this yet: {f.message}", f.span,
                                  source.line_text(f.span.line) if f.span else "", _hint(f.what)) for f in found])
    from lsprules.engine.columnar.sql_plan import PlanOptions, compile_plan

    fields = reads_fields(rules)
    given = frozenset(level_key(i, name) for i in rules.indicators for name in DATA_LEVELS) if levels else frozenset()
    plan = compile_plan(rules, PlanOptions(dialect=dialect, kind=PeriodKind(periods), scale=scale, table=table,
                                           columns=chosen, unchecked=True, fields=fields, levels=given,
                                           level_column=levels))
    output = "the columns" if columns is None else \
        f"the column {chosen[0]}" if len(chosen) == 1 else f"the columns {', '.join(chosen)} (in this order)"
    header = [
        f"-- lsprules sql: the assessments of {rules.file} (sha256 {rules.sha256})",
        f"-- dialect {dialect}; input table {table}({', '.join(_columns(fields, levels))}), one row per "
        f"{_row(fields, levels)};",
        f"-- periods written as {periods} labels (e.g. {_example(periods)}); values as text or numbers with at most "
        f"{scale} decimal places",
        f"-- ('', na, n/a, suppressed or NULL: missing). Output: {output} of `lsprules evaluate --format csv`, "
        "exact, areas by name.",
        *_comparators(rules),
    ]
    return "\n".join(header) + "\n" + plan.sql(dialect=dialect, pretty=True) + ";\n"


def _comparators(rules: RuleSet) -> list[str]:
    """The header's line on the areas the rules' comparators read (none without comparators)."""
    from lsprules.lang.resolve import assessed_away, comparator_areas

    def listed(areas: list[str]) -> str:  # quoted as JSON strings: a name's line break cannot end the comment
        return ", ".join(json.dumps(area, ensure_ascii=False) for area in areas)

    named = comparator_areas(rules)
    if not named:
        return []
    away = assessed_away(rules)
    return [f"-- Comparators read the areas {listed(named)}; each must be in the table (the query raises an error "
            "naming one that is not)" + (f"; not assessed, what others are measured against: {listed(away)}."
                                         if away else ".")]


def _hint(what: str) -> str:
    """How to do without a construct the query cannot express."""
    from lsprules.engine.columnar.support import DATA_TARGET

    if what == DATA_TARGET:
        return "with --levels the query reads each area's target from the table's `level` column (rows naming " \
               "`target`); `lsprules evaluate` runs these rules too"
    return "`lsprules evaluate` runs these rules with the reference interpreter; for SQL, leave the construct out " \
           "or wait for the plan to support it"


def _columns(fields: bool, levels: bool) -> list[str]:
    """The input table's columns."""
    return ["area", "indicator", *(["field"] if fields else []), "period", "value", *(["level"] if levels else [])]


def _row(fields: bool, levels: bool) -> str:
    """What one row of the input table holds, in words."""
    held = "area, indicator, field and period (field empty or NULL: the indicator's own value)" if fields else \
        "area, indicator and period"
    if levels:
        held += "; a row naming a level (target, trigger, floor, stretch, ceiling, benchmark) gives it"
    return held


def _example(kind: str) -> str:
    return {"financial_year": "2006/07", "calendar_year": "2006", "quarter": "2006-Q3",
            "financial_quarter": "2006/07-Q1", "month": "2006-09"}.get(kind, kind)
