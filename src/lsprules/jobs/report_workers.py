"""A report of many areas written by worker processes: the columnar plan runs in this process, each slice of its
rows (whole areas) goes to a worker, which makes the areas' assessments and writes their text
(render/streamed.py), and the texts are joined here in the plan's order, with what comes before and after the
areas, so the bytes are those the report has when one process writes it.

On national data, making and writing the assessments (Python, one core at a time) is most of a Markdown, HTML or
table report's time; the plan itself already runs on every core. Workers are started by "spawn", never "fork":
polars' and DuckDB's threads are running here, and a forked copy of a process with threads can deadlock.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from lsprules.audit.provenance import Provenance
from lsprules.data.model import Dataset
from lsprules.engine.columnar.report_run import AreaMaker, Batch, Making, ReportAssessments
from lsprules.engine.interpreter import Evaluation
from lsprules.render.context import ContextGathering, ReportStream, Seen
from lsprules.render.streamed import AreaWriter
from lsprules.render.writers import area_writer

# Below this many areas one process writes the report: starting a worker (a new interpreter importing lsprules)
# takes some 0.3 s, which a few thousand areas repay (docs/performance.md).
PARALLEL_AREAS = 2_000
SLICE_ROWS = 16_384  # the rows given to a worker at a time (whole areas: about 1,400 of twelve indicators)
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


@dataclass(frozen=True)
class Task:
    """What every worker is given once: how to make the assessments, the dataset the report's context reads, and
    the format to write with its options."""

    making: Making
    dataset: Dataset
    output_format: str
    options: dict[str, Any]  # area_writer's keyword options


@dataclass(frozen=True)
class Written:
    """A worker's text of a slice of areas, the areas' names (in order), what its context gathering saw of them
    (the key and sources) and what its writer has seen."""

    text: str
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
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                               initargs=(task,))
    try:
        pending: deque[Future[Written]] = deque()
        for piece in slices(assessments.batches):
            pending.append(pool.submit(_write, piece))
            if len(pending) >= AHEAD * workers:
                yield _taken(pending.popleft().result(), gathering, writer, advance)
        while pending:
            yield _taken(pending.popleft().result(), gathering, writer, advance)
    finally:
        pool.shutdown(cancel_futures=True)
    yield writer.tail(gathering.after(), provenance)


def _taken(written: Written, gathering: ContextGathering, writer: AreaWriter, advance: Callable[[str], None]) -> str:
    """A worker's text, once what it saw is taken into this run's gathering and writer."""
    gathering.take(written.gathered)
    writer.take(written.seen)
    for area in written.areas:
        advance(area)
    return written.text


def slices(batches: Iterator[Batch]) -> Iterator[Batch]:
    """The batches cut into slices of whole areas, each of at least SLICE_ROWS rows but the last of a batch (a
    row's first cell tells its area)."""
    for batch in batches:
        if isinstance(batch, list):
            starts = [i for i in range(1, len(batch)) if batch[i][0] != batch[i - 1][0]]
            cuts = _cuts(starts, len(batch))
            yield from (batch[start:end] for start, end in pairwise(cuts))
            continue
        first = batch.get_column(batch.columns[0])
        cuts = _cuts((first != first.shift(1)).arg_true().to_list(), batch.height)  # row 0 compares to null
        yield from (batch.slice(start, end - start) for start, end in pairwise(cuts))


def _cuts(starts: list[int], rows: int) -> list[int]:
    """Where to cut `rows` rows whose areas start at `starts` (after the first): 0, the first start at least
    SLICE_ROWS past the cut before, and so on, then `rows`."""
    cuts = [0]
    for start in starts:
        if start - cuts[-1] >= SLICE_ROWS:
            cuts.append(start)
    return cuts + [rows] if rows > cuts[-1] else cuts


class _Worker:
    """A worker process's state: its maker of assessments (whose memos serve every slice it writes) and writer."""

    def __init__(self, task: Task):
        self.task = task
        self.maker: AreaMaker = task.making.maker()
        self.writer = area_writer(task.output_format, **task.options)

    def write(self, piece: Batch) -> Written:
        """The text of a slice's areas, as the report's one process would write them."""
        making, gathering = self.task.making, ContextGathering(self.task.making.rules, self.task.dataset)
        texts: list[str] = []
        areas: list[str] = []
        for part in self.maker.parts(piece):
            evaluation = Evaluation(making.rules.file, making.at, part.assessments, part.themes)
            texts += self.writer.areas(evaluation, gathering.area(part))
            areas.append(part.assessments[0].area)
        return Written("".join(texts), tuple(areas), gathering.seen(), self.writer.seen())


_worker: _Worker | None = None  # this process's, when it is a worker


def _start(task: Task) -> None:
    """A worker's start: its state, from the task."""
    global _worker
    _worker = _Worker(task)


def _write(piece: Batch) -> Written:
    """A worker's job: one slice's text."""
    assert _worker is not None, "a worker is started with its task"
    return _worker.write(piece)
