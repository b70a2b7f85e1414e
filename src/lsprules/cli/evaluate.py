"""`lsprules evaluate RULES DATASET...`: the assessment, as a table, JSON, CSV, Markdown or HTML."""

from __future__ import annotations

import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lsprules.cli.common import (
    EXIT_FINDINGS,
    StdinFilename,
    WriteThroughSymlink,
    color_enabled,
    emit,
    input_errors,
    name_stdin,
    output_sink,
    refuse_overwriting_inputs,
    report_diagnostics,
    to_stdout,
)

if TYPE_CHECKING:
    from lsprules.jobs.evaluate import EvaluateOutput


class EvaluateFormat(str, Enum):
    """Output formats of `evaluate`."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    docx = "docx"


class View(str, Enum):
    """What `evaluate` shows: a report per area, or the areas side by side."""

    report = "report"
    areas = "areas"


class Engine(str, Enum):
    """Which evaluator runs."""

    auto = "auto"
    interpreter = "interpreter"
    duckdb = "duckdb"
    polars = "polars"
    spark = "spark"


class Years(str, Enum):
    """How to read year labels when the datasets mix financial and calendar years."""

    financial_year = "financial_year"
    calendar_year = "calendar_year"


def evaluate(
    rules: Annotated[Path, typer.Argument(help="Rule file (.rules).", show_default=False)],
    dataset: Annotated[list[Path], typer.Argument(help="One or more datasets (.yaml, .json, .csv, .xlsx or .parquet); "
                                                  "several are merged, e.g. local data plus a national file.",
                                                  show_default=False)],
    period: Annotated[str | None, typer.Option("--period", "-p", help="Assess at this period, e.g. 2005/06 "
                                                  "(default: the latest in the data).")] = None,
    output_format: Annotated[EvaluateFormat, typer.Option("--format", "-f", help="Output format.")] =
    EvaluateFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (atomically) "
                                                   "instead of standard output.")] = None,
    write_through_symlink: WriteThroughSymlink = False,
    area: Annotated[list[str] | None, typer.Option("--area", help="Only this area (repeatable).")] = None,
    years: Annotated[Years | None, typer.Option("--years", help="Read every year label as this kind, when "
                                                   "the datasets mix financial and calendar years (2006 <-> "
                                                   "2006/07).")] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="auto: the fastest engine the rules and input "
                                           "allow (the fast path or the columnar engine, in polars when installed "
                                           "else DuckDB, for CSV, JSON and the reports of larger files), else the "
                                           "reference interpreter; interpreter: always the reference; duckdb, "
                                           "polars, spark: the columnar engine in DuckDB, polars or Spark, or a "
                                           "note saying why not.")] = Engine.auto,
    fail_on_discrepancy: Annotated[bool, typer.Option("--fail-on-discrepancy", help="Exit 1 when the data's "
                                                      "printed judgements (arrows, RAG, totals, ratings) "
                                                      "contradict the rules.")] = False,
    stdin_filename: StdinFilename = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on a warning: a rule file with nothing to "
                                         "assess, a dataset with no observations.")] = False,
    view: Annotated[View, typer.Option("--view", help="report: a report per area (key, themes, a table per "
                                       "section); areas: the areas side by side, with counts by rating and ranks "
                                       "(any format but json).")] = View.report,
    wide: Annotated[bool, typer.Option("--wide", help="Table: show every period, however wide the lines get "
                                       "(by default the table fits the terminal, or $COLUMNS).")] = False,
    pages: Annotated[bool, typer.Option("--pages", help="HTML as a folder (-o FOLDER), for runs of many areas: "
                                        "index.html lists every area with its ratings and counts by RAG and "
                                        "arrow, to sort and filter, and links a page per area.")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, max=256, metavar="N", show_default=False,
                                             help="Processes that write a Markdown, HTML (or --pages) or table "
                                             "report of thousands of areas from the columnar engine (default: one "
                                             "per CPU; 1: this process alone). The output is the same.")] = None,
    columns: Annotated[list[str] | None, typer.Option("--columns", metavar="NAMES", show_default=False,
                                                      help="CSV: write only these columns, in this order, "
                                                      "comma-separated or the option repeated (e.g. "
                                                      "area,indicator,period,value,arrow,rag; default: all 18, "
                                                      "docs/cli.md).")] = None,
) -> None:
    """Assess every indicator and theme of RULES on DATASET(s), for every area (or those given by --area).

    Forms:
      lsprules evaluate RULES DATASET... [--format table|json|csv|markdown|html] [-o FILE]
      lsprules evaluate RULES DATASET... --format csv --columns NAMES [-o FILE]
      lsprules evaluate RULES DATASET... --format docx -o FILE
      lsprules evaluate RULES DATASET... --view areas [--format table|csv|markdown|html|docx]
      lsprules evaluate RULES DATASET... --format html --pages -o FOLDER

    Examples:
      lsprules evaluate rules/crime.rules datasets/redcar-cleveland-2007.yaml
      lsprules evaluate rules/crime.rules datasets/redcar-cleveland-2007.yaml -f docx -o crime.docx
      lsprules evaluate rules/districts.rules datasets/districts-2006-07.csv --view areas -f html -o areas.html
      lsprules evaluate rules/districts.rules datasets/districts-2006-07.csv -f html --pages -o districts

    Exit codes:
      0  the assessment was produced
      1  with --fail-on-discrepancy: a judgement the data printed contradicts the rules
      2  an input or option is wrong (the message says where, and how to fix it)
    """
    from lsprules.jobs.evaluate import EvaluateOptions, csv_columns, evaluate_job

    name_stdin(stdin_filename)
    listed = ",".join(columns) if columns else None  # --columns a,b --columns c: a,b,c
    if pages:
        with input_errors():
            csv_columns(listed, output_format.value, "pages")  # E003: pages have no CSV columns to choose
            result = _pages(rules, dataset, output_format, output, view, period=period, area=area,
                            years=years.value if years else None, through_symlink=write_through_symlink,
                            engine=engine.value, jobs=jobs)
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        _finish(result, strict, fail_on_discrepancy)
        return
    with input_errors():
        refuse_overwriting_inputs(output, [rules, *dataset],
                                  through_symlink=write_through_symlink)
        options: EvaluateOptions = {
            "period": period, "output_format": output_format.value, "areas": area,
            "color": to_stdout(output) and color_enabled(sys.stdout), "years": years.value if years else None,
            "width": shutil.get_terminal_size((80, 24)).columns, "wide": wide, "view": view.value,
            "engine": engine.value, "jobs": jobs, "columns": listed}
        if output_format is EvaluateFormat.docx:  # a binary file, written whole
            result = evaluate_job(rules, dataset, **options)
            emit(result.data or b"", output, through_symlink=write_through_symlink)
        else:  # text, written as it is rendered (JSON and CSV an area at a time)
            with output_sink(output, through_symlink=write_through_symlink) as write:
                result = evaluate_job(rules, dataset, **options, write=write)
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
    _finish(result, strict, fail_on_discrepancy)


def _finish(result: EvaluateOutput, strict: bool, fail_on_discrepancy: bool) -> None:
    """Warnings on standard error, and exit 1 for them with --strict, or for discrepancies when asked."""
    if result.warnings:
        report_diagnostics(result.warnings)
        if strict:
            raise typer.Exit(EXIT_FINDINGS)
    if fail_on_discrepancy and result.discrepancies:
        many = result.discrepancies != 1
        typer.echo(f"{result.discrepancies} printed judgement{'s' if many else ''} of the source "
                   f"contradict{'' if many else 's'} the rules and data", err=True)
        raise typer.Exit(EXIT_FINDINGS)


def _pages(rules: Path, dataset: list[Path], output_format: EvaluateFormat, output: Path | None, view: View, *,
           period: str | None, area: list[str] | None, years: str | None, through_symlink: bool,
           engine: str, jobs: int | None) -> EvaluateOutput:
    """`--pages`: the HTML report as a folder, checked before anything is read (E003-E006)."""
    from lsprules.core.diagnostics import InputError, error
    from lsprules.core.files import output_folder
    from lsprules.jobs.evaluate import evaluate_pages
    from lsprules.render.pages import WRITTEN

    if output_format is not EvaluateFormat.html or view is not View.report:
        raise InputError([error("E003", "--pages writes the HTML report as a folder of pages",
                                hint="use it with --format html (and the report view)")])
    if to_stdout(output):
        raise InputError([error("E003", "--pages writes a folder, which cannot go to standard output",
                                hint="name the folder with -o, e.g. -o report")])
    assert output is not None  # to_stdout says so
    folder = output_folder(output, [rules, *dataset], written=WRITTEN, through_symlink=through_symlink)
    try:
        return evaluate_pages(rules, dataset, folder, period=period, areas=area, years=years, engine=engine,
                              jobs=jobs)
    except OSError as exc:
        raise InputError([error("E001", f"cannot write '{output}': {exc.strerror or exc}",
                                hint="check that the folder above it exists and is writable")]) from None
