"""Reports of many areas written by worker processes (jobs/report_workers.py): the same bytes as one process writes,
in every streamed report format, from either engine's batches; slices of whole areas; how many workers run; and
--jobs on the command line. The workers are real processes started by "spawn", as in a user's run; the thresholds
are lowered so that national S (350 areas) is written by them, in many slices."""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from fastpath_helpers import NATIONAL_RULES, generate
from lsprules.cli.app import app
from lsprules.core.diagnostics import InputError
from lsprules.jobs import report_workers as workers
from lsprules.jobs.evaluate import evaluate_job, evaluate_pages
from test_columnar_differential import needs_gen

FORMATS = ("markdown", "html", "table")


@pytest.fixture
def small_slices(monkeypatch):
    """Workers for any number of areas, given a slice of some 8 areas at a time."""
    monkeypatch.setattr(workers, "PARALLEL_AREAS", 1)
    monkeypatch.setattr(workers, "SLICE_ROWS", 100)


@pytest.fixture(scope="module")
def national_s(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("workers") / "national-S.csv", 350)


@needs_gen
@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("output_format", FORMATS)
def test_workers_write_the_bytes_one_process_writes(national_s, small_slices, engine, output_format):
    options = {"output_format": output_format, "engine": engine, "width": 80}  # 80: the table abbreviates
    alone = evaluate_job(NATIONAL_RULES, national_s, jobs=1, **options)
    together = evaluate_job(NATIONAL_RULES, national_s, jobs=2, **options)
    assert together.text == alone.text
    assert together.text == evaluate_job(NATIONAL_RULES, national_s, **{**options, "engine": "interpreter"}).text
    assert together.notes == ()
    if output_format == "table":  # what the key gathers from the areas came back from the workers
        assert "Tgt — target" in together.text and "Traj — trajectory" in together.text


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@needs_gen
@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_workers_write_the_pages_one_process_writes(national_s, small_slices, tmp_path, engine):
    alone = evaluate_pages(NATIONAL_RULES, national_s, tmp_path / "alone", engine=engine, jobs=1)
    together = evaluate_pages(NATIONAL_RULES, national_s, tmp_path / "together", engine=engine, jobs=2)
    assert together.notes == alone.notes == ()
    pages = _files(tmp_path / "together")
    assert len(pages) == 352  # every area's page, the index and the folder's mark (core/files.FOLDER_MARK)
    assert pages == _files(tmp_path / "alone")
    evaluate_pages(NATIONAL_RULES, national_s, tmp_path / "reference", engine="interpreter")
    assert pages == _files(tmp_path / "reference")


@needs_gen
def test_workers_write_coloured_tables_and_every_period(national_s, small_slices):
    texts = {}
    for name, options in (("colour", {"color": True}), ("wide", {"wide": True})):
        alone = evaluate_job(NATIONAL_RULES, national_s, output_format="table", engine="polars", jobs=1, **options)
        together = evaluate_job(NATIONAL_RULES, national_s, output_format="table", engine="polars", jobs=2,
                                **options)
        assert together.text == alone.text, name
        texts[name] = together.text
    assert "\x1b[" in texts["colour"]
    assert "\x1b[" not in texts["wide"] and "Trajectory" in texts["wide"]


@needs_gen
def test_a_report_written_by_workers_goes_to_the_writer_in_order_and_shows_progress(national_s, small_slices,
                                                                                  monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    expected = evaluate_job(NATIONAL_RULES, national_s, output_format="markdown", engine="polars", jobs=1).text
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    pieces: list[str] = []
    ran = evaluate_job(NATIONAL_RULES, national_s, output_format="markdown", engine="polars", jobs=2,
                       write=pieces.append)
    assert ran.text == ""
    assert "".join(pieces) == expected
    assert len(pieces) > 40  # the head, each slice's areas (350 in slices of about 8), the tail
    assert "Assessing" in terminal.getvalue()


def _area_rows(areas: list[int]) -> list[tuple[int, str]]:
    """Rows whose first cell is the area's number, `n` rows for an area of size n, areas in order."""
    return [(number, f"row {i}") for number, size in enumerate(areas) for i in range(size)]


@pytest.mark.parametrize("sizes", [[1], [5, 5, 5], [12, 1, 1, 30, 2, 2, 2, 9], [40], [3] * 17])
def test_slices_hold_whole_areas_every_row_once_in_order(monkeypatch, sizes):
    monkeypatch.setattr(workers, "SLICE_ROWS", 10)
    rows = _area_rows(sizes)
    frame = pl.DataFrame({"ord": [r[0] for r in rows], "cell": [r[1] for r in rows]})
    for batches, as_rows in (([rows, rows[:0]], lambda s: s), ([frame], lambda s: s.rows())):
        pieces = [as_rows(s) for s in workers.slices(iter(batches))]
        assert [row for piece in pieces for row in piece] == rows
        assert all(piece for piece in pieces)
        for before, after in zip(pieces, pieces[1:], strict=False):
            assert before[-1][0] != after[0][0]  # no area is cut
            assert len(before) >= 10  # only a batch's last slice may be short
    assert [len(s) for s in workers.slices(iter([_area_rows([4, 4, 4, 4])]))] == [12, 4]


def test_how_many_workers_write_a_report(monkeypatch):
    monkeypatch.setattr(workers, "_cpus", lambda: 4)
    assert workers.worker_count(None, 35_000) == 4
    assert workers.worker_count(2, 35_000) == 2
    assert workers.worker_count(1, 35_000) == 0
    assert workers.worker_count(None, workers.PARALLEL_AREAS - 1) == 0
    monkeypatch.setattr(workers, "_cpus", lambda: 1)
    assert workers.worker_count(None, 35_000) == 0


@pytest.mark.parametrize("value", ["0", "-1", "two", "257"])
def test_jobs_must_be_a_count_of_processes(value):
    result = CliRunner().invoke(app, ["evaluate", str(NATIONAL_RULES), "datasets/districts-2006-07.csv",
                                      "--jobs", value])
    assert result.exit_code == 2
    assert "--jobs" in result.output
    assert "Traceback" not in result.output


@needs_gen
def test_jobs_on_the_command_line_gives_the_same_report_and_pages(national_s, small_slices, tmp_path):
    runs = {}
    for jobs in ("1", "2"):
        target = tmp_path / f"report-{jobs}.md"
        result = CliRunner().invoke(app, ["evaluate", str(NATIONAL_RULES), str(national_s), "-f", "markdown",
                                          "--engine", "polars", "-j", jobs, "-o", str(target)])
        assert result.exit_code == 0, result.output
        runs[jobs] = target.read_bytes()
        result = CliRunner().invoke(app, ["evaluate", str(NATIONAL_RULES), str(national_s), "-f", "html", "--pages",
                                          "--jobs", jobs, "-o", str(tmp_path / f"pages-{jobs}")])
        assert result.exit_code == 0, result.output
    assert runs["1"] == runs["2"]
    assert runs["1"].startswith(b"# lsprules assessment\n")
    assert _files(tmp_path / "pages-1") == _files(tmp_path / "pages-2")


def test_duckdb_rows_are_regrouped_into_whole_areas():
    from lsprules.engine.columnar.report_run import _whole_areas

    rows = _area_rows([3, 5, 1, 4])
    lists = [rows[0:4], rows[4:6], rows[6:11], rows[11:13]]  # lists of rows that end inside areas, as DuckDB's do
    regrouped = list(_whole_areas(iter(lists)))
    assert [row for batch in regrouped for row in batch] == rows
    assert [[row[0] for row in batch] for batch in regrouped] == [[0, 0, 0], [1, 1, 1, 1, 1, 2], [3, 3, 3, 3]]


@needs_gen
def test_a_worker_killed_midway_is_told_as_e522_not_a_bug(national_s, small_slices):
    killed: list[int] = []

    def write(piece: str) -> None:  # once the workers have begun, the system kills one
        if not killed and multiprocessing.active_children():
            worker = multiprocessing.active_children()[0]
            os.kill(worker.pid, signal.SIGKILL)
            killed.append(worker.pid)

    with pytest.raises(InputError) as raised:
        evaluate_job(NATIONAL_RULES, national_s, output_format="markdown", engine="polars", jobs=2, write=write)
    assert killed
    assert [d.code for d in raised.value.diagnostics] == ["E522"]
    assert "--jobs 1" in (raised.value.diagnostics[0].hint or "")
    assert not [p for p in multiprocessing.active_children() if p.pid == killed[0]]


@needs_gen
def test_workers_that_cannot_be_started_are_told_as_e522(national_s, small_slices, monkeypatch):
    class Unstartable:  # the system refuses new processes (its limit reached)
        def __init__(self, *args, **kwargs):
            pass

        def submit(self, *args, **kwargs):
            raise BlockingIOError(11, "Resource temporarily unavailable")

        def shutdown(self, *args, **kwargs):
            pass

    monkeypatch.setattr(workers, "ProcessPoolExecutor", Unstartable)
    with pytest.raises(InputError) as raised:
        evaluate_job(NATIONAL_RULES, national_s, output_format="html", engine="duckdb", jobs=2)
    assert [d.code for d in raised.value.diagnostics] == ["E522"]
    assert "Resource temporarily unavailable" in raised.value.diagnostics[0].message
