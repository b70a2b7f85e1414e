"""A report of many areas written by worker processes: the columnar plan runs in this process, each slice of its
rows (whole areas) goes to a worker, which makes the areas' assessments and writes their text
(render/streamed.py), and the texts are joined here in the plan's order, with what comes before and after the
areas, so the bytes are those the report has when one process writes it.

On national data, making and writing the assessments (Python, one core at a time) is most of a Markdown, HTML or
table report's time; the plan itself already runs on every core. Workers are started by "spawn", never "fork":
polars' and DuckDB's threads are running here, and a forked copy of a process with threads can deadlock.

Ctrl-C reaches every process of the command (a terminal sends SIGINT to them all): the workers ignore it from
the moment they start, and this process, stopping, stops them, so that the user sees one `interrupted` rather than
a traceback from each worker.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Protocol

from lsprules.audit.provenance import Provenance
from lsprules.core.diagnostics import InputError, error
from lsprules.data.model import Dataset
from lsprules.engine.columnar.json_plan import COMPARED_COLUMNS, REPORT_COLUMNS
from lsprules.engine.columnar.json_run import Paired
from lsprules.engine.columnar.report_run import AreaMaker, Batch, Making, ReportAssessments
from lsprules.engine.interpreter import Evaluation
from lsprules.render.context import UNTITLED, ContextGathering, ReportContext, ReportStream, Seen
from lsprules.render.pages import PageWriter
from lsprules.render.writers import area_writer

# Below this many areas one process writes the report: starting a worker (a new interpreter importing lsprules)
# takes some 0.3 s, which a few thousand areas repay (docs/performance.md).
PARALLEL_AREAS = 2_000
SLICE_ROWS = 4_096  # the rows given to a worker at a time (whole areas: about 340 of twelve indicators)
AHEAD = 2  # slices waiting or being written per worker: enough to keep each busy, and all memory holds


def worker_count(jobs: int | None, areas: int) -> int:
    """How many worker processes write a report of `areas` areas: `jobs` (None: one per CPU this process may
    use), or 0 (this process writes it) when that is 1 or the areas are fewer than PARALLEL_AREAS."""
    count = jobs if jobs is not None else _cpus()
    return count if count > 1 and areas >= PARALLEL_AREAS else 0


def _cpus() -> int:
    """The CPUs this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


PAGES = "pages"  # Task.output_format of the HTML report as a folder of pages


@dataclass(frozen=True)
class Task:
    """What every worker is given once: how to make the assessments, the dataset the report's context reads, and
    what to write: a format written an area at a time (render/writers.area_writer, `options` its keywords), or
    PAGES (`options` render/pages.PageWriter's provenance, bands and themes)."""

    making: Making
    dataset: Dataset
    output_format: str
    options: dict[str, Any]


@dataclass(frozen=True)
class Written:
    """A worker's work on a slice of areas: a text (or, for PAGES, an AreaPage) per area, the areas' names (in
    order), what its context gathering saw of them (the key and sources) and what its writer has seen."""

    pieces: tuple[Any, ...]
    areas: tuple[str, ...]
    gathered: Seen
    seen: frozenset[str]


def written_in_workers(assessments: ReportAssessments, task: Task, provenance: Provenance, workers: int,
                       advance: Callable[[str], None]) -> Iterator[str]:
    """The report in pieces, its areas written by `workers` processes (`advance` is called with each area's
    name as its text comes back)."""
    making = assessments.making
    gathering = ContextGathering(making.rules, task.dataset)
    writer = area_writer(task.output_format, **task.options)
    yield writer.head(ReportStream(making.rules.file, making.at, gathering.before, (), gathering.after))
    yield from in_workers(assessments, task, workers, gathering, writer.take, advance)
    yield writer.tail(gathering.after(), provenance)


def in_workers(assessments: ReportAssessments, task: Task, workers: int, gathering: ContextGathering,
               take: Callable[[frozenset[str]], None], advance: Callable[[str], None]) -> Iterator[Any]:
    """The workers' pieces in the plan's order, what they gathered and saw taken into `gathering` and by
    `take` as each slice comes back, `advance` called with each of its areas' names."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                               initargs=(task,))
    try:
        _start_workers(pool, workers)
        pending: deque[Future[Written]] = deque()
        for piece in slices(assessments.batches):
            pending.append(pool.submit(_write, piece))
            if len(pending) >= AHEAD * workers:
                yield from _taken(pending.popleft().result(), gathering, take, advance)
        while pending:
            yield from _taken(pending.popleft().result(), gathering, take, advance)
    except BrokenProcessPool as stopped:  # a worker was killed (out of memory?)
        raise _stopped(stopped) from None
    finally:
        # Stopped early (Ctrl-C, SIGTERM, an error): the slices not begun are dropped, and each worker finishes
        # the one it is writing (a fraction of a second) and ends. Killing them instead could leave a result
        # half sent, which the executor's thread would then wait for forever.
        pool.shutdown(cancel_futures=True)


def _start_workers(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start the pool's `workers` processes now (a task each: while none is idle, each submit starts one), from a
    thread of their own that blocks SIGINT. A process inherits the signal mask of the thread that starts it, so
    Ctrl-C cannot reach a worker while it imports lsprules and unpickles its task, some 0.3 s before _start makes
    it ignore SIGINT (the standard library starts its resource tracker so, bpo-33613); and Python raises
    KeyboardInterrupt in the main thread alone, so Ctrl-C cannot stop a start halfway, which would leave a worker
    to fail reading what it was being sent, with a traceback. Later slices find every worker started."""
    failed: list[OSError] = []

    def start() -> None:
        if hasattr(signal, "pthread_sigmask"):  # not on Windows
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # this thread's alone
        try:
            for _ in range(workers):
                pool.submit(_ready)
        except OSError as error:  # no process could be started (the system's limits)
            failed.append(error)

    starting = threading.Thread(target=start, name="lsprules report workers")
    starting.start()
    try:
        starting.join()
    finally:
        starting.join()  # after Ctrl-C too: a few milliseconds, and then the pool is shut down whole
    if failed:
        raise _stopped(failed[0])


def _stopped(cause: Exception) -> InputError:
    """E522: the workers cannot finish the report."""
    return InputError([error("E522", f"a worker process writing the report stopped before it finished "
                                     f"({cause or type(cause).__name__})",
                             hint="it may have run out of memory: run again with --jobs 1 to write the report in "
                                  "one process, which needs less")])


def _taken(written: Written, gathering: ContextGathering, take: Callable[[frozenset[str]], None],
           advance: Callable[[str], None]) -> tuple[Any, ...]:
    """A worker's pieces, once what it saw is taken in."""
    gathering.take(written.gathered)
    take(written.seen)
    for area in written.areas:
        advance(area)
    return written.pieces


def slices(batches: Iterator[Batch]) -> Iterator[Batch]:
    """The batches cut into slices of whole areas, each of at least SLICE_ROWS rows but the last of a batch (a
    row's first cell tells its area); a Paired batch's earlier rows go with the slice of their areas."""
    for batch in batches:
        if isinstance(batch, Paired):
            earlier = _by_area(batch.before)
            yield from (Paired(now, earlier(now)) for now in slices(iter([batch.now])))
            continue
        if isinstance(batch, list):
            starts = [i for i in range(1, len(batch)) if batch[i][0] != batch[i - 1][0]]
            cuts = _cuts(starts, len(batch))
            yield from (batch[start:end] for start, end in pairwise(cuts))
            continue
        first = batch.get_column(batch.columns[0])
        cuts = _cuts((first != first.shift(1)).arg_true().to_list(), batch.height)  # row 0 compares to null
        yield from (batch.slice(start, end - start) for start, end in pairwise(cuts))


def _by_area(batch: list[tuple[Any, ...]] | Any) -> Callable[[Any], Any]:
    """The rows of a Paired batch's earlier half (COMPARED_COLUMNS) of the areas of a slice of its other half
    (REPORT_COLUMNS): each names its area in its column `area`."""
    now, before = REPORT_COLUMNS.index("area"), COMPARED_COLUMNS.index("area")
    if isinstance(batch, list):
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for row in batch:
            rows.setdefault(row[before], []).append(row)
        return lambda piece: [row for name in dict.fromkeys(row[now] for row in piece) for row in rows.get(name, ())]
    import polars as pl

    return lambda piece: batch.filter(pl.col("area").is_in(piece.get_column("area").unique().to_list()))


def _cuts(starts: list[int], rows: int) -> list[int]:
    """Where to cut `rows` rows whose areas start at `starts` (after the first): 0, the first start at least
    SLICE_ROWS past the cut before, and so on, then `rows`."""
    cuts = [0]
    for start in starts:
        if start - cuts[-1] >= SLICE_ROWS:
            cuts.append(start)
    return cuts + [rows] if rows > cuts[-1] else cuts


class _AreasWriter(Protocol):
    """What a worker writes with: an AreaWriter (texts) or a PageWriter (pages)."""

    def areas(self, evaluation: Evaluation, context: ReportContext) -> Iterable[Any]:
        """Each area's text or page."""

    def seen(self) -> frozenset[str]:
        """What the text after the areas needs to know of them."""


class _Worker:
    """A worker process's state: its maker of assessments (whose memos serve every slice it writes) and writer."""

    def __init__(self, task: Task):
        self.task = task
        self.maker: AreaMaker = task.making.maker()
        self.own = task.output_format == PAGES  # a page's context holds the key and sources of its area alone
        self.writer: _AreasWriter
        if self.own:
            self.writer = PageWriter(heading=task.dataset.title or UNTITLED, **task.options)
        else:
            self.writer = area_writer(task.output_format, **task.options)

    def write(self, piece: Batch) -> Written:
        """The texts (or pages) of a slice's areas, as the report's one process would write them."""
        making, gathering = self.task.making, ContextGathering(self.task.making.rules, self.task.dataset, self.own)
        pieces: list[Any] = []
        areas: list[str] = []
        for part, earlier in self.maker.paired(piece):
            evaluation = Evaluation(making.rules.file, making.at, part.assessments, part.themes)
            pieces += self.writer.areas(evaluation, gathering.area(part, earlier))
            areas.append(part.assessments[0].area)
        return Written(tuple(pieces), tuple(areas), gathering.seen(), self.writer.seen())


_worker: _Worker | None = None  # this process's, when it is a worker


def _start(task: Task) -> None:
    """A worker's start: Ctrl-C left to the main process, which stops the workers when it stops; its state, from
    the task."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked since the worker started (_start_workers): ignored from now
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _worker = _Worker(task)


def _ready() -> None:
    """A worker's first task: none (submitting it starts the worker, _start_workers)."""


def _write(piece: Batch) -> Written:
    """A worker's job: one slice's text."""
    assert _worker is not None, "a worker is started with its task"
    return _worker.write(piece)
