"""`lsprules sql RULES`: the rule file compiled into one SQL query, for running the rules where the data lives."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lsprules.cli.common import WriteThroughSymlink, emit, input_errors, refuse_overwriting_inputs


class Dialect(str, Enum):
    """SQL dialects the query is written in (the same plan, transpiled by sqlglot)."""

    duckdb = "duckdb"
    spark = "spark"
    bigquery = "bigquery"
    trino = "trino"
    postgres = "postgres"
    snowflake = "snowflake"


class Periods(str, Enum):
    """How the input table writes its periods."""

    financial_year = "financial_year"
    calendar_year = "calendar_year"
    quarter = "quarter"
    financial_quarter = "financial_quarter"
    month = "month"


def sql(
    rules: Annotated[Path, typer.Argument(help="Rule file (.rules).", show_default=False)],
    dialect: Annotated[Dialect, typer.Option("--dialect", "-d", help="SQL dialect of the warehouse.")] =
    Dialect.duckdb,
    table: Annotated[str, typer.Option("--table", help="Input table: area, indicator, period, value (long form, "
                                       "as a CSV dataset).")] = "observations",
    periods: Annotated[Periods, typer.Option("--periods", help="How the table writes periods.")] =
    Periods.financial_year,
    scale: Annotated[int, typer.Option("--scale", min=0, max=18, metavar="N",
                                       help="The most decimal places a value has.")] = 6,
    columns: Annotated[list[str] | None, typer.Option("--columns", metavar="NAMES", show_default=False,
                                                      help="Only these columns of the CSV report, in this order, "
                                                      "comma-separated or the option repeated (e.g. "
                                                      "area,indicator,value,rag; default: all 18).")] = None,
    levels: Annotated[bool, typer.Option("--levels", help="The table has a `level` column: a row naming a level "
                                         "(target, trigger, floor, stretch, ceiling, benchmark) gives that level of "
                                         "its indicator for its area and period, over the rule file's.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (atomically) instead "
                                                   "of standard output.")] = None,
    write_through_symlink: WriteThroughSymlink = False,
) -> None:
    """Print the SQL query that assesses every area and indicator of RULES, as `evaluate --format csv` does.

    Forms:
      lsprules sql RULES [--dialect DIALECT] [--table NAME] [--periods KIND] [--scale N] [--columns NAMES] [-o FILE]
      lsprules sql RULES --levels [...]    (the table has a `level` column too)

    Examples:
      lsprules sql rules/community-safety-plan.rules --dialect spark -o assess.sql
      lsprules sql rules/community-safety-plan.rules --table my_dataset.figures --scale 2
      lsprules sql rules/national.rules --dialect bigquery --columns area,indicator,period,value,arrow,rag
      lsprules sql rules/lpsa.rules --levels --table lpsa_figures

    Exit codes:
      0  the query was printed
      2  the rule file cannot be read, has errors, or uses what the query cannot express yet (E500); a bad option
    """
    from lsprules.jobs.sql import run_sql

    with input_errors():
        refuse_overwriting_inputs(output, [rules], through_symlink=write_through_symlink)
        listed = ",".join(columns) if columns else None  # --columns a,b --columns c: a,b,c
        emit(run_sql(rules, dialect.value, table, periods.value, scale, listed, levels), output,
             through_symlink=write_through_symlink)
