"""A CSV field beyond the size limit (E708) is found without reading the whole file (issue 14: a 1 GB field cost
2.9 GB and 31 s), by every command that reads a CSV dataset, with the diagnostics the reference reader gives for
the whole file. The files here are a few MB at a limit of 1,000 characters; docs/reliability.md has the 1 GB
figures."""

from __future__ import annotations

import importlib
import io
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_helpers import run
from lsprules.core import limits
from lsprules.core.diagnostics import InputError, render
from lsprules.data.readers import csv_guard
from lsprules.data.readers.csv_reader import load_csv, load_csv_bytes

LIMIT = 1_000
SIZE = 10_000_000  # bytes of each hostile file: more than twice what a reader may read of it
HEADER = "area,indicator,period,value\n"
RULES = 'indicator x "X" {\n  polarity lower_is_better\n}\n'
# Every command that reads a CSV dataset, by every path to the file (reference reader, fast path, DuckDB), and
# its exit code for a dataset that cannot be read (`check` reports it among its findings).
COMMANDS = {
    "evaluate": (["evaluate", "r.rules", "d.csv"], 2),
    "evaluate json": (["evaluate", "r.rules", "d.csv", "--format", "json"], 2),
    "evaluate csv": (["evaluate", "r.rules", "d.csv", "--format", "csv"], 2),
    "evaluate csv duckdb": (["evaluate", "r.rules", "d.csv", "--format", "csv", "--engine", "duckdb"], 2),
    "evaluate csv interpreter": (["evaluate", "r.rules", "d.csv", "--format", "csv", "--engine", "interpreter"], 2),
    "check --data": (["check", "r.rules", "--data", "d.csv"], 1),
    "explain": (["explain", "r.rules", "d.csv", "--indicator", "x"], 2),
    "diff --data": (["diff", "r.rules", "r.rules", "--data", "d.csv"], 2),
}


def _one_field(size: int) -> str:
    """Shape 1: the whole file is one unquoted field, with no newline."""
    return "1" * size


def _unclosed_quote(size: int) -> str:
    """Shape 2: the second line opens a quote that is never closed; ordinary rows follow."""
    rows = "".join(f"E{i:08d},x,2006/07,{i % 97}\n" for i in range(size // 24))
    return HEADER + 'B,x,2006/07,"76\n' + rows


def _middle_field(size: int) -> str:
    """Shape 3: one huge field in the middle line of an otherwise small file."""
    return HEADER + "A,x,2005/06,1\nA,x,2006/07," + "7" * size + "\nA,x,2007/08,3\n"


SHAPES = {"one field": (_one_field, "d.csv:1:1", "row 1"),
          "unclosed quote": (_unclosed_quote, "d.csv:2:1", "row 2"),
          "middle field": (_middle_field, "d.csv:3:1", "row 3")}


@pytest.fixture(autouse=True)
def _limits_restored() -> Iterator[None]:
    before = limits.current()
    yield
    limits.set_limits(before)


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    before = limits.current()
    limits.set_limits(limits.Limits(csv_field_size=limit))
    try:
        yield
    finally:
        limits.set_limits(before)


def _work(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "r.rules").write_text(RULES, encoding="utf-8")
    (tmp_path / "d.csv").write_text(text, encoding="utf-8")
    return tmp_path


def _whole_file_diagnostics(path: Path) -> str:
    """What the reference reader says of the whole file, read at once (as every command did before)."""
    with pytest.raises(InputError) as caught:
        load_csv_bytes("d.csv", path.read_bytes())
    return "\n\n".join(render(d) for d in caught.value.diagnostics)


class _Counted(io.BufferedIOBase):
    """A file that counts the bytes read from it."""

    def __init__(self, stream: io.BufferedIOBase, counts: list[int]):
        super().__init__()
        self.stream, self.counts = stream, counts
        counts.append(0)

    def read(self, size: int | None = -1) -> bytes:
        data = self.stream.read(size)
        self.counts[-1] += len(data)
        return data

    def readinto(self, buffer) -> int:
        count = self.stream.readinto(buffer)
        self.counts[-1] += count
        return count

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.stream.seek(offset, whence)

    def close(self) -> None:
        self.stream.close()
        super().close()


def _engines_imported() -> None:
    """Import what a reader of a large file may import (the columnar plan, sqlglot, polars, DuckDB): a small file
    does not, and their modules' objects (over 10 MB) would count in the peak of reading the large one."""
    for name in ("lsprules.engine.columnar.json_run", "lsprules.engine.columnar.polars_run",
                 "lsprules.engine.columnar.duck", "sqlglot", "polars", "duckdb"):
        importlib.import_module(name)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_field_beyond_the_limit_is_found_having_read_little_of_the_file(tmp_path, shape, command):
    make, where, row = SHAPES[shape]
    args, code = COMMANDS[command]
    run("--limit", f"csv_field_size={LIMIT}", *args, cwd=_work(tmp_path, HEADER + "A,x,2006/07,1\n"))  # imports
    _engines_imported()
    work = _work(tmp_path, make(SIZE))
    counts: list[int] = []
    opened = csv_guard.open_input
    with patch.object(csv_guard, "open_input", lambda p, w: (lambda n, s: (n, _Counted(s, counts)))(*opened(p, w))):
        tracemalloc.start()
        try:
            ran = run("--limit", f"csv_field_size={LIMIT}", *args, cwd=work)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    out = ran.stdout + ran.stderr
    assert ran.returncode == code, out
    assert f"{where}: error[E708]: {row}: a field is longer than the limit of {LIMIT} characters" in out, out
    with _field_limit(LIMIT):
        assert _whole_file_diagnostics(work / "d.csv") in out  # line, excerpt (cut at 100 characters), caret, hint
    # Each reader of the file (fast path, DuckDB, reference) stopped after a few chunks: a chunk or two to find
    # the field, and the prefix up to a little after it, read again.
    assert counts and max(counts) < 4 * csv_guard.CHUNK < SIZE / 2, counts
    assert peak < SIZE, peak  # and nothing else read it whole: that alone would take SIZE bytes


@pytest.mark.parametrize("shape", SHAPES)
def test_the_reference_reader_never_holds_the_file(tmp_path, shape):
    make, _, _ = SHAPES[shape]
    work = _work(tmp_path, make(4 * SIZE))
    with _field_limit(LIMIT):
        (tmp_path / "small.csv").write_text(HEADER + "A,x,2006/07,1\n", encoding="utf-8")
        load_csv(tmp_path / "small.csv")  # what is imported once is not what this test measures
        tracemalloc.start()
        try:
            with pytest.raises(InputError) as caught:
                load_csv(work / "d.csv")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert [d.code for d in caught.value.diagnostics] == ["E708"]
    assert peak < SIZE, peak  # a quarter of the file: reading it whole would take all of it, and more


@pytest.mark.parametrize("quoted", [False, True], ids=["unquoted", "quoted"])
@pytest.mark.parametrize("extra", [0, 1])
def test_a_field_of_exactly_the_limit_is_read_and_one_more_character_is_not(tmp_path, quoted, extra):
    # Far into a file bigger than a chunk, so that the quick test (unquoted) and the csv module (quoted) decide.
    rows = "".join(f"E{i:08d},x,2006/07,{i % 97}\n" for i in range(100_000))
    field = "é" * (LIMIT + extra)  # two bytes a character: the limit counts characters
    value = f'"{field}"' if quoted else field
    work = _work(tmp_path, HEADER + rows + f"A,x,2006/07,{value}\n" + rows.replace("E", "F"))
    with _field_limit(LIMIT):
        with pytest.raises(InputError) as caught:
            load_csv(work / "d.csv")
    codes = [(d.code, d.span.line if d.span else 0) for d in caught.value.diagnostics]
    assert codes == ([("E708", 100_002)] if extra else [("E306", 100_002)])  # not a number: read, and said so


def test_problems_before_the_field_are_reported_with_it_as_for_the_whole_file(tmp_path):
    text = HEADER + "A,x,2005/06,seven\nA,x,2006/07,\xff" + "7" * SIZE + "\n"
    work = _work(tmp_path, text)
    data = text.encode("utf-8").replace("\xff".encode(), b"\xff")  # a byte that is not UTF-8 before the field
    (work / "d.csv").write_bytes(data)
    ran = run("--limit", f"csv_field_size={LIMIT}", "evaluate", "r.rules", "d.csv", cwd=work)
    assert ran.returncode == 2 and "d.csv:3:13: error[E002]" in ran.stderr, ran.stderr
    with _field_limit(LIMIT):
        assert _whole_file_diagnostics(work / "d.csv") in ran.stderr
    (work / "d.csv").write_text(text.replace("\xff", ""), encoding="utf-8")
    ran = run("--limit", f"csv_field_size={LIMIT}", "evaluate", "r.rules", "d.csv", cwd=work)
    with _field_limit(LIMIT):
        assert _whole_file_diagnostics(work / "d.csv") in ran.stderr
    assert ran.stderr.count("error[E306]") == 1 and ran.stderr.count("error[E708]") == 1, ran.stderr


def test_a_limit_in_the_settings_file_applies(tmp_path):
    work = _work(tmp_path, _middle_field(SIZE))
    (work / "lsprules.toml").write_text(f"[limits]\ncsv_field_size = {SIZE + 1}\n", encoding="utf-8")
    ran = run("evaluate", "r.rules", "d.csv", "--format", "csv", cwd=work)
    assert ran.returncode == 2 and "error[E708]" not in ran.stderr and "d.csv:3:13: error[E700]" in ran.stderr, \
        ran.stderr  # the field is read: a number of too many digits
    (work / "lsprules.toml").write_text(f"[limits]\ncsv_field_size = {LIMIT}\n", encoding="utf-8")
    ran = run("evaluate", "r.rules", "d.csv", "--format", "csv", cwd=work)
    assert ran.returncode == 2 and "d.csv:3:1: error[E708]" in ran.stderr, ran.stderr


def test_if_the_guard_were_wrong_the_whole_file_is_read(tmp_path):
    work = _work(tmp_path, HEADER + "A,x,2005/06,1\nA,x,2006/07,2\n")
    with patch.object(csv_guard._Scan, "stop", lambda self: 5):  # claims the reader stops within 5 bytes
        dataset = load_csv(work / "d.csv")
    assert dataset == load_csv_bytes(str(work / "d.csv"), (work / "d.csv").read_bytes())


# --- the guard agrees with the reference reader, whatever the file --------------------------------------------

_CELLS = st.text(alphabet=st.sampled_from('a1,"\n\r é€\x00'), max_size=120)


def _outcome(read) -> object:
    try:
        return read()
    except InputError as exc:
        return [(d.code, d.message, d.span.line if d.span else 0, d.span.column if d.span else 0)
                for d in exc.diagnostics]


@settings(max_examples=400, deadline=None)
@given(body=_CELLS, bom=st.booleans(), limit=st.integers(1, 24), chunk=st.integers(1, 40),
       probe=st.integers(0, 12), margin=st.integers(4, 40), window=st.integers(1, 6))
def test_the_guard_finds_exactly_the_e708_the_whole_file_gives(body, bom, limit, chunk, probe, margin, window):
    data = (b"\xef\xbb\xbf" if bom else b"") + (HEADER + body).encode("utf-8")
    with _field_limit(limit), patch.multiple(csv_guard, CHUNK=chunk, PROBE=probe, MARGIN=margin, MIN_WINDOW=window), \
            patch.object(csv_guard, "open_input", lambda p, w: ("d.csv", io.BytesIO(data))):
        guarded = _outcome(lambda: load_csv("d.csv"))  # the fallback's read_input of d.csv would be an E001
        whole = _outcome(lambda: load_csv_bytes("d.csv", data))
    assert guarded == whole
