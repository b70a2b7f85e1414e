"""The `evaluate` job as a library function: load, evaluate, render. The CLI is a thin layer over it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from lsprules.core.csv_cells import COLUMNS, chosen_columns
from lsprules.core.diagnostics import Diagnostic, InputError, Severity, at_span, did_you_mean, error, listed
from lsprules.core.files import file_sha256, file_size
from lsprules.core.periods import Period, PeriodKind
from lsprules.core.source import Span
from lsprules.data.model import Dataset, resolve_period

if TYPE_CHECKING:
    from lsprules.audit.provenance import Provenance
    from lsprules.engine.columnar.report_run import ReportAssessments
    from lsprules.engine.interpreter import AreaResults, Evaluation, EvaluationStream
    from lsprules.lang.resolve import RuleSet
    from lsprules.render.context import ReportContext, ReportStream
    from lsprules.render.pages import Page

FORMATS = ("table", "json", "csv", "markdown", "html", "docx")
STREAMED = ("json", "csv")  # the formats rendered an area at a time, as the areas are assessed (report view)
# the reports rendered an area at a time too, their context (key, sources) gathered on the way (report view)
STREAMED_REPORTS = ("table", "markdown", "html")
VIEWS = ("report", "areas")
AREA_FORMATS = ("table", "csv", "markdown", "html", "docx")  # the formats of --view areas
# auto: the compiled engines where they apply, else the interpreter; duckdb, polars and spark run the columnar plan
ENGINES = ("auto", "interpreter", "duckdb", "polars", "spark")
COLUMNAR = ("duckdb", "polars", "spark")  # the engines that run the columnar plan when asked by name
# what each columnar engine writes
WRITES = {"duckdb": "every format", "polars": "every format", "spark": "CSV"}
PARQUET_ENGINES = ("auto", "duckdb")  # the engines whose plan reads a Parquet dataset itself (DuckDB)
Write = Callable[[str], None]  # where a text output goes, piece by piece


@dataclass(frozen=True)
class EvaluateOutput:
    """The rendered output, and how many printed judgements of the source the rules contradict. `data` holds
    the bytes of a binary format (docx); `text` is then empty."""

    text: str
    discrepancies: int = 0
    data: bytes | None = None
    warnings: tuple[Diagnostic, ...] = ()  # an input with nothing in it (E010, E352): a report of nothing
    notes: tuple[str, ...] = ()  # why the engine asked for did not run (the reference interpreter did)


@dataclass(frozen=True)
class Given:
    """A dataset already loaded, its observations handed to the plan as a file (engine/columnar/dataset_input.py):
    the dataset itself (for a report's title, source and notes) and the provenance of the files it was read from."""

    dataset: Dataset
    provenance: Provenance


@dataclass(frozen=True)
class _Asked:
    """What a run of evaluate_job asks of its output (as evaluate_job's options say)."""

    output_format: str
    view: str
    period: str | None
    areas: list[str] | None
    columns: tuple[str, ...]
    jobs: int | None
    color: bool
    width: int
    wide: bool
    write: Write | None


# auto writes JSON with the columnar plan from CSV files of at least this size, and the Markdown, HTML and table
# reports from files of at least the second: below them the interpreter is as fast or faster (national data, 3.9 MB:
# JSON 0.98 s in polars and 1.41 s in DuckDB against 3.20 s; Markdown 1.53 s and 2.27 s against 2.35 s; 1.6 MB:
# JSON 0.80 s in polars against 1.37 s, Markdown 1.06 s against 1.04 s, docs/performance.md)
AUTO_JSON_BYTES = 2 * 1024 * 1024
AUTO_REPORT_BYTES = 4 * 1024 * 1024
# auto runs the plan in polars on CSV files of a size in this range (for CSV out): there it is the faster (national L,
# 75 MiB: 1.76 s against the fast path's 2.47 s); the fast path is faster on smaller files (polars' fixed cost) and
# keeps larger ones in less memory (polars holds the whole file: some 11 times its size), docs/performance.md
AUTO_POLARS_CSV_BYTES = range(32 * 1024 * 1024, 96 * 1024 * 1024)
# auto runs the plan on a Parquet file of at least this many rows, for CSV and JSON alike: below it the interpreter is
# faster (national rules: 3,600 rows 1.43 s against 1.61 s for CSV; 9,000 rows 1.74 s against 1.60 s, and JSON likewise)
AUTO_PARQUET_ROWS = 8_000
# auto hands the plan the observations of a dataset another reader loaded (YAML, JSON, a workbook, several files)
# from this many on for the CSV report, which the fast path then writes (national S as JSON, 21,000: 0.71 s against
# the interpreter's 0.95 s); for JSON, from as many as a national CSV file (about 37 bytes a row) of AUTO_JSON_BYTES
# holds, below which auto would leave the file written to the interpreter anyway (docs/performance.md)
AUTO_DATASET_OBSERVATIONS = 20_000
NATIONAL_ROW_BYTES = 37


class EvaluateOptions(TypedDict, total=False):
    """The keyword options of evaluate_job."""

    period: str | None
    output_format: str
    areas: list[str] | None
    color: bool
    years: str | None
    fast: bool
    width: int
    wide: bool
    view: str
    engine: str
    jobs: int | None
    columns: str | None


def run_evaluate(rules_path: Path, dataset_path: Path | Sequence[Path], **options: Unpack[EvaluateOptions]) -> str:
    """Evaluate a rule file on one or more datasets (merged) and return the rendered output."""
    return evaluate_job(rules_path, dataset_path, **options).text


def evaluate_job(rules_path: Path, dataset_path: Path | Sequence[Path], *, period: str | None = None,
                 output_format: str = "table", areas: list[str] | None = None, color: bool = False,
                 years: str | None = None, fast: bool = True, width: int = 80, wide: bool = False,
                 view: str = "report", engine: str = "auto", jobs: int | None = None,
                 columns: str | None = None, write: Write | None = None) -> EvaluateOutput:
    """Evaluate a rule file on one or more datasets (merged): the rendered output and its discrepancies.

    CSV output of one long-form CSV dataset runs the compiled fast path (lsprules.engine.compiled), else the
    columnar engine (lsprules.engine.columnar, DuckDB) when the rules are within what its plan expresses; JSON
    output of one runs the columnar engine (in polars when installed) when the plan also has the words of every
    reason, and the Markdown, HTML and table reports of one take their assessments from it likewise;
    all give the same bytes as the reference interpreter, which runs for everything else, and always for
    `engine="interpreter"` (or `fast=False`). With `engine="duckdb"`, `"polars"` or `"spark"` (the same plan
    run in polars or on Spark), a run the columnar engine cannot do says why in `notes`. A plain CSV has no
    columns for printed judgements, so it has no discrepancies. A dataset of another form (YAML, JSON, a workbook,
    several files, `years`) that holds values only is read by its reader and handed to those engines as the CSV file
    of its observations (handed_file): whenever duckdb or polars is named; by auto for CSV and JSON of many.
    The table is laid out `width` columns wide (`wide`: every period, however wide that is). `view` "areas"
    shows the areas side by side instead of a report per area (in every format but JSON). `jobs`: the worker
    processes that write a report of many areas from the plan (None: one per CPU; 1: none, jobs/report_workers.py).
    `columns`: the CSV report's columns to write, comma-separated, in that order (None: all; E003 when a name is
    not one of them, or for another format or view).
    With `write`, a text output goes to it in pieces as it is rendered (the STREAMED and STREAMED_REPORTS formats
    of the report view an area at a time, so that memory does not grow with the output) and `text` is empty.
    """
    from lsprules.lang.resolve import load_rules

    if view == "areas" and output_format not in AREA_FORMATS:
        raise InputError([error("E521", f"--view areas has no {output_format} form",
                                hint=f"use --format {', '.join(AREA_FORMATS)}; the JSON of the report view "
                                     "already holds every area's results")])
    chosen = csv_columns(columns, output_format, view)
    paths = [dataset_path] if isinstance(dataset_path, (str, Path)) else list(dataset_path)
    rules = load_rules(rules_path)
    notes: list[str] = []
    if not fast:
        engine = "interpreter"
    asked = _Asked(output_format, view, period, areas, chosen, jobs, color, width, wide, write)
    single = one_file(paths, years, engine)
    if engine != "interpreter" and single:
        ran = _compiled_output(rules, paths, engine, asked, notes)
        if ran is not None:
            return ran
    from lsprules.audit.provenance import provenance_for
    from lsprules.data.load import load_all

    dataset, files = load_all(paths, PeriodKind(years) if years else None)
    at = resolve_period(period, dataset)
    _check_areas(areas, dataset)
    check_comparators(rules, dataset)
    provenance = provenance_for(rules, files)
    warnings = empty_inputs(rules, files)
    if engine != "interpreter" and not single:
        least = _auto_observations(rules, dataset, output_format, view) if engine == "auto" else None
        with handed_file(dataset, engine, notes, least) as handed:
            ran = None if handed is None else \
                _compiled_output(rules, [handed], engine, asked, notes, Given(dataset, provenance))
        if ran:
            return replace(ran, warnings=warnings)
    if view == "report" and output_format in STREAMED:
        found, text = _streamed(output_format, rules, dataset, at, areas, provenance, write, chosen)
        return EvaluateOutput(text, found, warnings=warnings, notes=tuple(notes))
    if view == "report" and output_format in STREAMED_REPORTS:
        found, text = _streamed_report(output_format, rules, dataset, at, areas, provenance, write,
                                       color=color, width=width, wide=wide)
        return EvaluateOutput(text, found, warnings=warnings, notes=tuple(notes))
    if view == "areas":
        counted = [0]
        with _reported(rules, dataset, at, areas, counted) as report:
            text, data = _areas(output_format, report, provenance, color=color, width=width, wide=wide)
        return EvaluateOutput(_deliver([text], write) if data is None else "", counted[0], data=data,
                              warnings=warnings, notes=tuple(notes))
    found, result, context = _evaluated(rules, dataset, at, areas)  # the Word report, written whole
    from lsprules.render.docx_out import render_docx

    return EvaluateOutput("", found, data=render_docx(result, provenance, context), warnings=warnings,
                          notes=tuple(notes))


def _compiled_output(rules: RuleSet, paths: list[Path], engine: str, asked: _Asked, notes: list[str],
                     given: Given | None = None) -> EvaluateOutput | None:
    """The output from a compiled evaluator reading the one file of `paths` (a file the plan was handed for a
    dataset already loaded: `given`), or None when none ran (the interpreter then runs)."""
    if asked.view == "areas" or asked.output_format in ("docx", *STREAMED_REPORTS):
        planned = planned_report(rules, paths, asked.period, asked.areas, engine, notes, given=given)
        if planned is None:
            return None
        if asked.view == "report" and asked.output_format in STREAMED_REPORTS:
            chunks = _planned_chunks(asked.output_format, planned, asked.jobs, color=asked.color, width=asked.width,
                                     wide=asked.wide)
            return EvaluateOutput(_deliver(chunks, asked.write), notes=tuple(notes))
        text, data = _planned_held(asked.output_format, asked.view, planned, color=asked.color, width=asked.width,
                                   wide=asked.wide)
        return EvaluateOutput(_deliver([text], asked.write) if data is None else "", data=data, notes=tuple(notes))
    if asked.output_format == "json":
        pieces = _compiled_json(rules, paths, asked.period, asked.areas, engine, notes, given)
    else:
        pieces = _with_rows(_compiled_csv(rules, paths, asked.period, asked.areas, engine, notes, asked.columns))
    return None if pieces is None else EvaluateOutput(_deliver(pieces, asked.write), notes=tuple(notes))


@contextmanager
def handed_file(dataset: Dataset, engine: str, notes: list[str], least: int | None) -> Iterator[Path | None]:
    """The long-form CSV file of the observations of a dataset another reader loaded (several files, --years, YAML,
    JSON, a workbook), for a compiled evaluator to read while the block runs (engine/columnar/dataset_input.py); or
    None, noting why when a columnar engine was asked for. auto hands over a dataset of `least` observations or more
    (None: never), and its thresholds by file size then apply to the file written."""
    from lsprules.engine.columnar.dataset_input import observation_count, observations_file
    from lsprules.engine.columnar.input_checks import Fallback

    if engine == "spark":  # its executors, perhaps on other machines, could not read a temporary file here
        notes.append(f"{_reads_only(engine)}; the reference interpreter ran")
        yield None
        return
    if engine == "auto" and (least is None or observation_count(dataset) < least):
        yield None
        return
    with observations_file(dataset) as path:
        if isinstance(path, Fallback):
            if engine in COLUMNAR:
                notes.append(f"the {engine} engine did not run: {path.reason}; the reference interpreter ran")
            yield None
            return
        yield path


def _auto_observations(rules: RuleSet, dataset: Dataset, output_format: str, view: str) -> int | None:
    """The observations from which auto hands this dataset to the plan for this output (None: never). Only the CSV
    and JSON reports gain by it, when the plan expresses the rules; the others take as long, in more memory (national
    M as JSON, docs/performance.md). A small dataset is never asked about the rules (which imports the compiler)."""
    from lsprules.engine.columnar.dataset_input import observation_count

    if view != "report" or output_format not in ("csv", "json") or \
            observation_count(dataset) < AUTO_DATASET_OBSERVATIONS:
        return None
    if output_format == "csv":
        from lsprules.engine.columnar.support import unsupported

        return None if unsupported(rules) else AUTO_DATASET_OBSERVATIONS
    from lsprules.engine.columnar.json_plan import json_unsupported

    return None if json_unsupported(rules) else max(AUTO_DATASET_OBSERVATIONS, AUTO_JSON_BYTES // NATIONAL_ROW_BYTES)


def _evaluated(rules: RuleSet, dataset: Dataset, at: Period | None,
               areas: list[str] | None) -> tuple[int, Evaluation, ReportContext]:
    """The whole evaluation, its discrepancies and the report's context."""
    from lsprules.engine.interpreter import assessed_areas, evaluate
    from lsprules.render.context import report_context
    from lsprules.render.progress import progress

    with progress("Assessing", len(assessed_areas(rules, dataset, areas))) as advance:
        result = evaluate(rules, dataset, at, areas, progress=advance)
    found = sum(len(a.discrepancies) for a in result.assessments) + sum(len(t.discrepancies) for t in result.themes)
    before = previous_period(result.period, dataset)
    previous = evaluate(rules, dataset, before, areas) if before is not None and rules.themes else None
    return found, result, report_context(rules, dataset, result, previous)


def _streamed(output_format: str, rules: RuleSet, dataset: Dataset, at: Period | None, areas: list[str] | None,
              provenance: Provenance, write: Write | None, columns: tuple[str, ...]) -> tuple[int, str]:
    """A STREAMED format rendered an area at a time as the areas are assessed: its discrepancies, and its text
    (empty when it went to `write`)."""
    from lsprules.render.csv_out import csv_chunks
    from lsprules.render.json_out import json_chunks

    found = [0]
    with _assessing(rules, dataset, at, areas, found) as stream:
        text = _deliver(json_chunks(stream, provenance) if output_format == "json" else csv_chunks(stream, columns),
                        write)
    return found[0], text


def _streamed_report(output_format: str, rules: RuleSet, dataset: Dataset, at: Period | None,
                     areas: list[str] | None, provenance: Provenance, write: Write | None, *, color: bool,
                     width: int, wide: bool) -> tuple[int, str]:
    """A STREAMED_REPORTS format rendered an area at a time as the areas are assessed, each area with its
    context (and its theme ratings one period earlier, assessed alongside): its discrepancies, and its text
    (empty when it went to `write`)."""
    found = [0]
    with _reported(rules, dataset, at, areas, found) as report:
        text = _deliver(_report_chunks(output_format, report, provenance, color=color, width=width, wide=wide),
                        write)
    return found[0], text


def _report_chunks(output_format: str, report: ReportStream, provenance: Provenance, *, color: bool, width: int,
                   wide: bool) -> Iterator[str]:
    """A STREAMED_REPORTS format's text in pieces, an area at a time."""
    from lsprules.render.streamed import written
    from lsprules.render.writers import area_writer

    return written(area_writer(output_format, color=color, width=width, wide=wide), report, provenance)


def _planned_chunks(output_format: str, planned: PlannedReport, jobs: int | None, *, color: bool, width: int,
                    wide: bool) -> Iterator[str]:
    """A STREAMED_REPORTS format's text in pieces from the plan's assessments, with a progress bar: written by
    worker processes for many areas when there is more than one CPU (jobs/report_workers.py), else here."""
    from lsprules.jobs.report_workers import Task, worker_count, written_in_workers
    from lsprules.render.progress import progress

    workers = worker_count(jobs, planned.areas)
    with progress("Assessing", planned.areas) as advance:
        if workers:
            task = Task(planned.assessments.making, planned.dataset, output_format,
                        {"color": color, "width": width, "wide": wide})
            yield from written_in_workers(planned.assessments, task, planned.provenance, workers, advance)
            return
        from lsprules.render.context import report_stream

        stream, previous = planned.assessments.reported()
        yield from _report_chunks(output_format, report_stream(planned.assessments.making.rules, planned.dataset,
                                                                _advanced(stream, advance), previous),
                                  planned.provenance, color=color, width=width, wide=wide)


def _planned_held(output_format: str, view: str, planned: PlannedReport, *, color: bool, width: int,
                  wide: bool) -> tuple[str, bytes | None]:
    """What is written whole (--view areas, the Word report) from the plan's assessments: the text of a text
    format, or the Word document's bytes."""
    from lsprules.render.context import report_context, report_stream
    from lsprules.render.progress import progress

    making = planned.assessments.making
    with progress("Assessing", planned.areas) as advance:
        stream, previous = planned.assessments.reported()
        stream = _advanced(stream, advance)
        if view == "areas":
            return _areas(output_format, report_stream(making.rules, planned.dataset, stream, previous),
                          planned.provenance, color=color, width=width, wide=wide)
        from lsprules.engine.interpreter import Evaluation, gathered

        result = gathered(stream)
    earlier = None if previous is None else Evaluation(
        making.rules.file, making.before, (), tuple(t for part in previous if part is not None for t in part.themes))
    from lsprules.render.docx_out import render_docx

    return "", render_docx(result, planned.provenance, report_context(making.rules, planned.dataset, result, earlier))


@contextmanager
def _reported(rules: RuleSet, dataset: Dataset, at: Period | None, areas: list[str] | None,
              found: list[int]) -> Iterator[ReportStream]:
    """The report of the evaluation an area at a time (_assessing), the theme ratings one period earlier assessed
    alongside."""
    from lsprules.engine.interpreter import evaluate_stream
    from lsprules.render.context import report_stream

    with _assessing(rules, dataset, at, areas, found) as stream:
        before = previous_period(stream.period, dataset) if rules.themes else None
        previous = evaluate_stream(rules, dataset, before, areas).parts if before is not None else None
        yield report_stream(rules, dataset, stream, previous)


@contextmanager
def _assessing(rules: RuleSet, dataset: Dataset, at: Period | None, areas: list[str] | None,
               found: list[int]) -> Iterator[EvaluationStream]:
    """The evaluation an area at a time, with a progress bar, counting into `found[0]` the printed judgements
    the rules contradict as the parts are read."""
    from lsprules.engine.interpreter import assessed_areas, evaluate_stream
    from lsprules.render.progress import progress

    def counted(parts: Iterable[AreaResults]) -> Iterator[AreaResults]:
        for part in parts:
            found[0] += sum(len(a.discrepancies) for a in part.assessments)
            found[0] += sum(len(t.discrepancies) for t in part.themes)
            yield part

    with progress("Assessing", len(assessed_areas(rules, dataset, areas))) as advance, _inputs_kept_aside():
        stream = evaluate_stream(rules, dataset, at, areas, progress=advance)
        yield replace(stream, parts=counted(stream.parts))


def _advanced(stream: EvaluationStream, advance: Callable[[str], None]) -> EvaluationStream:
    """The stream, calling `advance` with each area's name once it is read (a progress bar's)."""
    def advanced(parts: Iterable[AreaResults]) -> Iterator[AreaResults]:
        for part in parts:
            yield part
            advance(part.assessments[0].area if part.assessments else "")

    return replace(stream, parts=advanced(stream.parts))


@contextmanager
def _inputs_kept_aside() -> Iterator[None]:
    """Python's cyclic garbage collector leaves what is already loaded (the rules, the dataset) out of its passes
    while the areas are assessed, and takes it back after. Those objects live to the end of the run, and at
    national scale (millions of them) every full pass scanned them all again: a tenth of a national report's
    time. Nothing is kept from one run to the next (gc.unfreeze)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def evaluate_pages(rules_path: Path, dataset_path: Path | Sequence[Path], folder: Path, *,
                   period: str | None = None, areas: list[str] | None = None,
                   years: str | None = None, engine: str = "auto", jobs: int | None = None) -> EvaluateOutput:
    """The HTML report as a folder of pages (render/pages.py), written atomically to `folder`, which
    core.files.output_folder must have allowed: index.html and a page per area, each written as its area is
    assessed. The assessments come from the columnar plan as for the one-page report (planned_report), else from
    the reference interpreter (a columnar `engine` asked for then says why in `notes`); `text` is empty. `jobs`:
    as for evaluate_job."""
    from lsprules.lang.resolve import load_rules

    paths = [dataset_path] if isinstance(dataset_path, (str, Path)) else list(dataset_path)
    rules = load_rules(rules_path)
    notes: list[str] = []

    def planned_pages(file: Path, given: Given | None = None) -> bool:
        planned = planned_report(rules, [file], period, areas, engine, notes, given=given)
        if planned is not None:
            _write_pages(folder, _planned_pages(rules, planned, jobs))
        return planned is not None

    single = one_file(paths, years, engine)
    if engine != "interpreter" and single and planned_pages(paths[0]):
        return EvaluateOutput("", notes=tuple(notes))
    from lsprules.audit.provenance import provenance_for
    from lsprules.data.load import load_all
    from lsprules.engine.interpreter import evaluate_stream
    from lsprules.render.context import report_stream
    from lsprules.render.pages import html_pages

    dataset, files = load_all(paths, PeriodKind(years) if years else None)
    at = resolve_period(period, dataset)
    _check_areas(areas, dataset)
    check_comparators(rules, dataset)
    provenance = provenance_for(rules, files)
    warnings = empty_inputs(rules, files)
    if engine != "interpreter" and not single:
        with handed_file(dataset, engine, notes, None) as handed:
            ran = handed is not None and planned_pages(handed, Given(dataset, provenance))
        if ran:
            return EvaluateOutput("", warnings=warnings, notes=tuple(notes))
    found = [0]
    with _assessing(rules, dataset, at, areas, found) as stream:
        before = previous_period(stream.period, dataset) if rules.themes else None
        previous = evaluate_stream(rules, dataset, before, areas).parts if before is not None else None
        report = report_stream(rules, dataset, stream, previous, own=True)
        _write_pages(folder, html_pages(report, provenance, *_index_columns(rules)))
    return EvaluateOutput("", found[0], warnings=warnings, notes=tuple(notes))


def _planned_pages(rules: RuleSet, planned: PlannedReport, jobs: int | None) -> Iterator[Page]:
    """The pages of the plan's assessments, with a progress bar: written by worker processes for many areas when
    there is more than one CPU (jobs/report_workers.py), else here."""
    from lsprules.jobs.report_workers import PAGES, Task, in_workers, worker_count
    from lsprules.render.context import ContextGathering, ReportStream, report_stream
    from lsprules.render.pages import folder_pages, html_pages
    from lsprules.render.progress import progress

    bands, themes = _index_columns(rules)
    workers = worker_count(jobs, planned.areas)
    with progress("Assessing", planned.areas) as advance:
        if not workers:
            stream, previous = planned.assessments.reported()
            yield from html_pages(report_stream(rules, planned.dataset, _advanced(stream, advance), previous, own=True),
                                  planned.provenance, bands, themes)
            return
        making = planned.assessments.making
        task = Task(making, planned.dataset, PAGES,
                    {"provenance": planned.provenance, "bands": bands, "themes": themes})
        gathering = ContextGathering(rules, planned.dataset)
        made = in_workers(planned.assessments, task, workers, gathering, lambda seen: None, advance)
        report = ReportStream(rules.file, making.at, gathering.before, (), gathering.after)
        yield from folder_pages(made, report, planned.provenance, bands, themes)


def _index_columns(rules: RuleSet) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The index page's columns: the RAG bands the rules can give, and each theme's id and title."""
    bands = tuple(dict.fromkeys(c.label for spec in rules.indicators.values() if spec.rag for c in spec.rag.clauses))
    return bands, tuple((t.id, t.title) for t in rules.themes)


def _write_pages(folder: Path, pages: Iterable[Page]) -> None:
    """The pages written into `folder`, atomically, each as it comes."""
    from lsprules.core.files import atomic_folder

    with atomic_folder(folder) as temp:
        made: set[Path] = set()
        for page in pages:
            target = temp / page.path
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            with open(target, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(page.chunks)


def _deliver(chunks: Iterable[str], write: Write | None) -> str:
    """The text: joined, or given to `write` piece by piece (and then empty)."""
    if write is None:
        return "".join(chunks)
    for chunk in chunks:
        write(chunk)
    return ""


def _with_rows(pieces: Iterator[str] | None) -> Iterator[str] | None:
    """The pieces of a compiled CSV report, or None when they hold no row (the rules or the data are empty: the
    interpreter runs, to warn of that)."""
    if pieces is None:
        return None
    start = ""
    while start.count("\n") < 2:  # the header and a row
        piece = next(pieces, None)
        if piece is None:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # a columnar engine's generator closes its connection
            return None
        start += piece
    return chain([start], pieces)


def _reads_only(engine: str) -> str:
    """What a columnar engine asked for writes, from what (a note when it cannot run)."""
    also = " or Parquet file" if engine in PARQUET_ENGINES else ""
    return f"the {engine} engine writes {WRITES[engine]} from one CSV dataset{also} (without --years) so far"


def one_file(paths: list[Path], years: str | None, engine: str) -> bool:
    """Whether the datasets are one file a compiled evaluator reads: a CSV file, or a Parquet file for DuckDB."""
    suffix = Path(paths[0]).suffix.lower() if len(paths) == 1 else ""
    return years is None and (suffix == ".csv" or (suffix == ".parquet" and engine in PARQUET_ENGINES))


def _compiled_csv(rules: RuleSet, paths: list[Path], period: str | None, areas: list[str] | None, engine: str,
                  notes: list[str], columns: tuple[str, ...]) -> Iterator[str] | None:
    """The CSV report from a compiled evaluator in pieces, or None (noting why, when a columnar engine was asked
    for).

    auto tries the plan in polars on a CSV file of tens of MiB (AUTO_POLARS_CSV_BYTES, when polars is installed),
    then the hand-written fast path (the faster on smaller files, the leaner on larger ones, docs/performance.md;
    it writes every column), then the columnar engine in DuckDB; every one gives the interpreter's bytes.
    """
    path = Path(paths[0])
    csv_file = path.suffix.lower() == ".csv"
    if engine == "auto" and not csv_file and not _large(path, AUTO_JSON_BYTES):
        return None  # a small Parquet file: the interpreter is done before DuckDB is ready
    if engine == "auto" and csv_file:
        pieces = _auto_polars_csv(rules, path, period, areas, columns)
        if pieces is not None:
            return pieces
    if engine == "auto" and csv_file and not rules.comparators and columns == COLUMNS:
        from lsprules.engine.compiled import fast_csv

        pieces = fast_csv(rules, paths[0], period=period, areas=areas)
        if pieces is not None:
            return pieces
    if engine == "auto" and csv_file and not _large(path, AUTO_JSON_BYTES):
        return None  # rules the fast path cannot run (margins, `no data`): on a small file the interpreter is quicker
    from lsprules.engine.columnar.input_checks import Fallback

    if engine == "polars":
        from lsprules.engine.columnar.polars_run import evaluate_csv
    elif engine == "spark":
        from lsprules.engine.columnar.spark_run import evaluate_csv
    else:
        from lsprules.engine.columnar.duck import evaluate_csv
    found = evaluate_csv(rules, paths[0], period=period, areas=areas, columns=columns)
    if not isinstance(found, Fallback):
        return iter(found)
    if engine != "auto" or found.note:
        name = "duckdb" if engine == "auto" else engine
        notes.append(f"the {name} engine did not run: {found.reason}; the reference interpreter ran")
    return None


def _auto_polars_csv(rules: RuleSet, path: Path, period: str | None, areas: list[str] | None,
                     columns: tuple[str, ...]) -> Iterator[str] | None:
    """auto's first try on a CSV file of a size in AUTO_POLARS_CSV_BYTES: the plan in polars when it is installed,
    else None, silently (the fast path or DuckDB then runs, and says what a user must be told)."""
    if file_size(path) not in AUTO_POLARS_CSV_BYTES:
        return None
    from lsprules.engine.columnar.input_checks import Fallback
    from lsprules.engine.columnar.polars_run import evaluate_csv

    found = evaluate_csv(rules, path, period=period, areas=areas, columns=columns)
    return None if isinstance(found, Fallback) else iter(found)


def _compiled_json(rules: RuleSet, paths: list[Path], period: str | None, areas: list[str] | None, engine: str,
                   notes: list[str], given: Given | None = None) -> Iterator[str] | None:
    """The JSON report from the columnar plan (auto: polars when installed, else DuckDB) in pieces, or None (noting
    why, when a columnar engine was asked for). It gives the interpreter's bytes (engine/columnar/json_plan.py);
    the provenance is that of the file read, or of the files of the dataset `given`."""
    if engine == "spark":
        notes.append(f"{_reads_only(engine)}; the reference interpreter ran")
        return None
    if engine == "auto" and not _large(Path(paths[0]), AUTO_JSON_BYTES):
        return None  # small (or unreadable, which the reader reports): the interpreter is done before DuckDB is ready
    from lsprules.audit.provenance import input_file, provenance_of
    from lsprules.core.source import display_name
    from lsprules.engine.columnar.input_checks import Fallback

    name = engine if engine in ("duckdb", "polars") else _auto_json_engine(Path(paths[0]))

    def provenance() -> Provenance:  # of a file the engine has read (one it cannot read, the reader reports)
        return given.provenance if given is not None else provenance_of(
            [input_file("rules", rules.file, rules.sha256),
             input_file("dataset", display_name(paths[0]), file_sha256(Path(paths[0])))])

    if rules.themes:  # rated from the plan's assessments, which the interpreter's renderer writes
        from lsprules.engine.columnar.report_run import evaluate_report
        from lsprules.render.json_out import json_chunks

        rated = evaluate_report(rules, paths[0], name, period=period, areas=areas, themes=True)
        if not isinstance(rated, Fallback):
            return json_chunks(rated.stream(), provenance())
        stepped_aside = rated
    else:
        from lsprules.engine.columnar.json_run import evaluate_json
        from lsprules.render.json_out import json_document

        found = evaluate_json(rules, paths[0], name, period=period, areas=areas)
        if not isinstance(found, Fallback):
            return json_document(found.period, found.pieces, provenance())
        stepped_aside = found
    if engine != "auto" or stepped_aside.note:
        notes.append(f"the {name} engine did not run: {stepped_aside.reason}; the reference interpreter ran")
    return None


@dataclass(frozen=True)
class PlannedReport:
    """A report's assessments from the columnar plan, with what its context and provenance are made of: the
    dataset as the reader would name it (a plain CSV or Parquet file has no title, source, notes or fields, so
    the report context needs none of its areas) and the provenance of the run."""

    assessments: ReportAssessments
    dataset: Dataset
    provenance: Provenance
    areas: int  # how many the assessments hold


def planned_report(rules: RuleSet, paths: list[Path], period: str | None, areas: list[str] | None, engine: str,
                   notes: list[str], compared_only: bool = False, given: Given | None = None) -> PlannedReport | None:
    """The assessments of a Markdown, HTML or table report (or the HTML pages) from the columnar plan, as the JSON
    report gets them (auto: a file of AUTO_REPORT_BYTES or more, in polars when installed, else DuckDB), or None
    (noting why, when a columnar engine was asked for). The plan gives the interpreter's assessments
    (engine/columnar/report_run.py); the report itself is rendered as the interpreter's is. `compared_only`: only
    what `diff --data` compares of them (ReportAssessments.compared). `given`: the dataset whose observations the
    file holds, loaded (its title, source, notes and provenance are the report's)."""
    if engine == "spark":
        notes.append(f"{_reads_only(engine)}; the reference interpreter ran")
        return None
    path = Path(paths[0])
    if engine == "auto" and not _large(path, AUTO_REPORT_BYTES):
        return None  # small (or unreadable, which the reader reports): the interpreter is done before the plan
    from lsprules.audit.provenance import provenance_for
    from lsprules.core.source import display_name
    from lsprules.engine.columnar.input_checks import Fallback
    from lsprules.engine.columnar.report_run import evaluate_report

    name = engine if engine in ("duckdb", "polars") else _auto_json_engine(path)
    found = evaluate_report(rules, path, name, period=period, areas=areas, compared_only=compared_only,
                            themes=True, earlier=not compared_only)
    if isinstance(found, Fallback):
        if engine != "auto" or found.note:
            notes.append(f"the {name} engine did not run: {found.reason}; the reference interpreter ran")
        return None
    if given is not None:
        return PlannedReport(found, replace(given.dataset, areas=()), given.provenance, found.areas)
    dataset = Dataset(display_name(path), (), found.kind, sha256=file_sha256(path))
    return PlannedReport(found, dataset, provenance_for(rules, [dataset]), found.areas)


def _auto_json_engine(path: Path) -> str:
    """The engine auto writes JSON and the reports with: for a CSV file under the end of AUTO_POLARS_CSV_BYTES,
    polars when it is installed (national M and L: about two thirds of DuckDB's time, in no more memory); else
    DuckDB, which reads Parquet and holds at most json_run.MEMORY_LIMIT of a larger file, where polars holds it
    whole (10×L: 1.7 GiB for JSON and more for a report, docs/performance.md)."""
    import importlib.util

    if path.suffix.lower() == ".parquet" or file_size(path) >= AUTO_POLARS_CSV_BYTES.stop:
        return "duckdb"
    return "polars" if importlib.util.find_spec("polars") is not None else "duckdb"


def _large(path: Path, csv_bytes: int) -> bool:
    """Whether auto runs the columnar plan on one file: a CSV file of `csv_bytes` (AUTO_JSON_BYTES for JSON,
    AUTO_REPORT_BYTES for the reports; the fast path comes first for CSV), a Parquet file of AUTO_PARQUET_ROWS rows."""
    if path.suffix.lower() == ".parquet":
        from lsprules.engine.columnar.parquet_input import row_count

        return row_count(path) >= AUTO_PARQUET_ROWS
    return file_size(path) >= csv_bytes


def empty_inputs(rules: RuleSet, datasets: Sequence[Dataset]) -> tuple[Diagnostic, ...]:
    """Warnings for a rule file with nothing to assess (E010) and a dataset with no observations (E352):
    the run succeeds, but its report says nothing, which is rarely what was meant."""
    found = []
    if not rules.indicators and not rules.themes:
        found.append(at_span("E010", "the rule file has no indicators or themes: there is nothing to assess",
                             Span(rules.file, 1, 1, 1, 1), "", "check that this is the rule file meant",
                             severity=Severity.WARNING))
    for dataset in datasets:
        if not any(series.values or series.fields for area in dataset.areas for series in area.series.values()):
            found.append(at_span("E352", "the dataset holds no observations (no values or fields)",
                                 Span(dataset.path, 1, 1, 1, 1), "", "check that this is the dataset meant, and "
                                 "that its rows were saved", severity=Severity.WARNING))
    return tuple(found)


def previous_period(period: Period | None, dataset: Dataset) -> Period | None:
    """The dataset's period just before `period` (None when there is none), for the previous theme ratings."""
    earlier = [p for p in dataset.periods() if period is not None and p < period and p.kind == period.kind]
    return earlier[-1] if earlier else None


def _areas(output_format: str, report: ReportStream, provenance: Provenance, *, color: bool, width: int,
           wide: bool) -> tuple[str, bytes | None]:
    """--view areas of a report, read a part at a time: the text of a text format, or the Word document's bytes."""
    from lsprules.render.areas import areas_view

    view, context = areas_view(report)
    if output_format == "docx":
        from lsprules.render.docx_out import render_areas_docx

        return "", render_areas_docx(view, provenance, context)
    if output_format == "csv":
        from lsprules.render.csv_out import render_areas_csv

        return render_areas_csv(view), None
    if output_format == "markdown":
        from lsprules.render.markdown import render_areas_markdown

        return render_areas_markdown(view, provenance, context), None
    if output_format == "html":
        from lsprules.render.html import render_areas_html

        return render_areas_html(view, provenance, context), None
    from lsprules.render.table import render_areas_table

    return render_areas_table(view, provenance, context, width=width, color=color, wide=wide), None


def check_comparators(rules: RuleSet, dataset: Dataset) -> None:
    """Every area a comparator names must be in the data (E315 at the comparator's line)."""
    known = [a.name for a in dataset.areas]
    problems: list[Diagnostic] = []
    for spec in getattr(rules, "comparators", {}).values():
        for area in spec.areas:
            if area not in known:
                hint = did_you_mean(area, known) or f"the data's areas are: {listed(known)}"
                problems.append(at_span("E315", f"comparator '{spec.id}' reads area '{area}', which is not in "
                                        f"the data ({dataset.path})", spec.span, spec.line_text, hint))
    if problems:
        raise InputError(problems)


def csv_columns(listed: str | None, output_format: str, view: str) -> tuple[str, ...]:
    """The CSV report's columns to write (all when none are listed); E003 for a format or view without them.
    `view`: "report", "areas", or "pages" (the CLI's --pages, HTML as a folder)."""
    if listed is None:
        return COLUMNS
    if view != "report":  # --view areas, or --pages (HTML)
        shown = "--view areas" if view == "areas" else "--pages"
        raise InputError([error("E003", f"--columns chooses the columns of the CSV report, not of {shown}",
                                hint=f"leave out --columns (or leave out {shown} and write the report as "
                                     "--format csv)")])
    if output_format != "csv":
        raise InputError([error("E003", f"--columns chooses the columns of the CSV report, not of {output_format}",
                                hint="use it with --format csv")])
    return chosen_columns(listed)


def _check_areas(areas: list[str] | None, dataset: Dataset) -> None:
    if not areas:
        return
    known = [a.name for a in dataset.areas]
    for name in areas:
        if name not in known:
            raise InputError([error("E003", f"--area {name}: the dataset has no such area",
                                    hint=did_you_mean(name, known) or f"its areas are: {listed(known)}")])
