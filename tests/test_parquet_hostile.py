"""Hostile and broken Parquet files: each is refused with exit 2, its stable code, the file's name and a hint, never a
traceback, a hang or a footer's worth of make-believe memory; too many columns is E707 from the footer alone; FLOAT
columns read as the CSV of their shortest decimals.

The files are written by DuckDB, then cut or corrupted byte by byte (scripts/golden_parquet.py's way: a definition
anyone can read, not a binary)."""

from __future__ import annotations

import hashlib
import struct
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bounded_run import measured
from lsprules.core import limits
from lsprules.core.diagnostics import InputError
from lsprules.data.load import load_any
from lsprules.data.readers import parquet_reader
from lsprules.data.readers.parquet_footer import declared_columns, footer_bytes, sizes_problem
from lsprules.data.readers.parquet_reader import load_parquet_bytes
from lsprules.jobs.evaluate import evaluate_job

RULES = "indicator robbery {\n  polarity lower_is_better\n}\n"
ONE_ROW = "SELECT 'X' AS area, 'robbery' AS indicator, '2006/07' AS period, 75 AS value"
ALLOWED = {"E316", "E317", "E318", "E319", "E303", "E306", "E307", "E351", "E700", "E707", "E708"}


def to_parquet(select: str, path: Path, options: str = "") -> Path:
    """Write the rows of a DuckDB query to a Parquet file."""
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet{options})")
    return path


def wide_select(columns: int) -> str:
    """A one-row query of the four long-form columns and `columns - 4` more."""
    extra = ", ".join(f"NULL::VARCHAR AS c{i}" for i in range(columns - 4))
    return f"{ONE_ROW}, {extra}" if extra else ONE_ROW


def refused(path: Path) -> list:
    with pytest.raises(InputError) as caught:
        load_any(path)
    return list(caught.value.diagnostics)


def varint(number: int) -> bytes:
    """Thrift's compact varint (how a footer writes a size)."""
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def with_footer(data: bytes, change) -> bytes:
    """A file's bytes with its footer changed by `change` (footer -> footer) and its length written again."""
    length = struct.unpack("<I", data[-8:-4])[0]
    footer = change(data[-8 - length:-8])
    return data[:-8 - length] + footer + struct.pack("<I", len(footer)) + b"PAR1"


def claims_row_groups(count: int):
    """A change of the footer: its list of row groups (field 4, after num_rows 1) says `count` items."""
    def change(footer: bytes) -> bytes:
        at = footer.index(b"\x16\x02\x19\x1c")  # num_rows = 1 (i64 field 3), then a list of one struct (field 4)
        return footer[:at + 3] + b"\xfc" + varint(count) + footer[at + 4:]
    return change


@pytest.fixture
def one_row(tmp_path) -> bytes:
    return to_parquet(ONE_ROW, tmp_path / "one.parquet").read_bytes()


@pytest.fixture
def no_duckdb(monkeypatch):
    """Fail the test if the reader hands the file to DuckDB: what is refused here is refused from the footer."""
    def read(self, path):
        raise AssertionError("DuckDB was asked to read the file")
    monkeypatch.setattr(parquet_reader._Reader, "read", read)


@pytest.fixture
def limit():
    """Set limits for one test."""
    def set_to(**values: int) -> None:
        limits.set_limits(limits.Limits(**values))
    yield set_to
    limits._current = None


def run(tmp_path: Path, *args: str) -> tuple[int, str, float]:
    """Run the CLI in `tmp_path`: its exit code, its standard error, and its own peak resident memory in MiB."""
    (tmp_path / "r.rules").write_text(RULES, encoding="utf-8")
    found = measured(list(args), tmp_path, timeout=300)
    return found.code, found.stderr, found.mebibytes


# --- columns beyond csv_columns: E707, from the footer --------------------------------------------------------


def test_more_columns_than_the_limit_is_e707_from_the_footer_alone(tmp_path, no_duckdb):
    path = to_parquet(wide_select(1_100), tmp_path / "wide.parquet")
    [found] = refused(path)
    assert (found.code, found.message) == ("E707", f"{path}: the file has 1100 columns, beyond the limit of 1000")
    assert found.hint == ("a long-form Parquet file has a few columns; if this is meant, raise the limit: "
                          "lsprules --limit csv_columns=1100 ...")
    assert found.span is None  # a Parquet file has no header line: placed as E318's column problems are


def test_the_columns_limit_is_honoured_both_ways(tmp_path, limit):
    path = to_parquet(f"{ONE_ROW}, 'a note' AS note", tmp_path / "five.parquet")
    limit(csv_columns=4)
    assert [(d.code, d.message) for d in refused(path)] == [
        ("E707", f"{path}: the file has 5 columns, beyond the limit of 4")]
    limit(csv_columns=5)
    assert load_any(path).areas[0].name == "X"


def test_the_footer_gives_duckdb_s_count_of_columns(tmp_path):
    for select in (ONE_ROW, wide_select(40), f"{ONE_ROW}, {{'a': 1, 'b': [1, 2]}} AS note, [[1]] AS c"):
        path = to_parquet(select, tmp_path / "c.parquet")
        with duckdb.connect() as connection:
            described = connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        footer = footer_bytes(path.read_bytes())
        assert footer is not None and declared_columns(footer) == len(described)
        assert sizes_problem(footer) is None


@pytest.mark.parametrize("engine", ["auto", "duckdb", "interpreter"])
def test_the_cli_refuses_a_wide_file_with_e707_in_every_engine(tmp_path, engine):
    to_parquet(wide_select(1_500), tmp_path / "wide.parquet")
    code, stderr, _ = run(tmp_path, "evaluate", "r.rules", "wide.parquet", "-f", "json", "--engine", engine)
    assert code == 2 and "Traceback" not in stderr
    assert stderr.startswith("error[E707]: wide.parquet: the file has 1500 columns, beyond the limit of 1000\n")
    assert "--limit csv_columns=1500 ..." in stderr
    code, stderr, _ = run(tmp_path, "--limit", "csv_columns=1500", "evaluate", "r.rules", "wide.parquet")
    assert code == 2 and "E707" not in stderr and "error[E318]" in stderr  # now read: c0... are unknown columns


# --- not Parquet, cut short, damaged ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "hint"), [
    ("empty", b"", "write it as Parquet"),
    ("csv", b"area,indicator,period,value\nX,robbery,2006/07,5\n", "name it .csv"),
    ("zip", b"PK\x03\x04" + b"\0" * 60, "write it as Parquet"),
    ("random", bytes(range(256)) * 4, "write it as Parquet"),
    ("ends-only", b"\0" * 20 + b"PAR1", "write it as Parquet"),
])
def test_a_file_that_is_not_parquet_is_e316(tmp_path, no_duckdb, name, data, hint):
    path = tmp_path / f"{name}.parquet"
    path.write_bytes(data)
    [found] = refused(path)
    assert found.code == "E316" and found.message.startswith(f"{path} is not a Parquet file")
    assert hint in (found.hint or "")


def test_a_file_cut_short_is_e317_saying_so_at_every_length(tmp_path, one_row, no_duckdb):
    for length in [4, 5, 8, len(one_row) // 2, len(one_row) - 4, len(one_row) - 1]:
        path = tmp_path / f"cut-{length}.parquet"
        path.write_bytes(one_row[:length])
        [found] = refused(path)
        assert (found.code, found.message) == (
            "E317", f"{path} cannot be read as a Parquet file: it begins with the bytes PAR1 but does not end with "
                    "them, so it is cut short"), length
        assert found.hint == "write the file again (it may be damaged, encrypted or cut short)"


@pytest.mark.parametrize(("name", "length"), [("zero", 0), ("huge", 0xFFFF_FFF0), ("whole-file", None)])
def test_a_footer_length_the_file_cannot_hold_is_e317(tmp_path, one_row, name, length):
    path = tmp_path / f"{name}.parquet"
    path.write_bytes(one_row[:-8] + struct.pack("<I", len(one_row) if length is None else length) + b"PAR1")
    [found] = refused(path)
    assert found.code == "E317" and found.message.startswith(f"{path} cannot be read as a Parquet file: ")
    assert found.hint and "cut short" in found.hint


@pytest.mark.parametrize("count", [2**20, 2**26, 2**40])
def test_a_footer_claiming_millions_of_row_groups_is_e317_before_duckdb_makes_room_for_them(tmp_path, one_row,
                                                                                             no_duckdb, count):
    # DuckDB sized its list of row groups before reading one: 2**26 of them took 6.4 GB and 15 s.
    path = tmp_path / "claims.parquet"
    path.write_bytes(with_footer(one_row, claims_row_groups(count)))
    [found] = refused(path)
    assert found.code == "E317"
    assert found.message.startswith(f"{path} cannot be read as a Parquet file: its footer declares {count} list items "
                                    "where ")


def test_a_footer_claiming_a_billion_columns_is_e707_before_anything_else(tmp_path, one_row, no_duckdb):
    def change(footer: bytes) -> bytes:
        at = footer.index(b"\x15\x08\x00")  # the root's num_children (zigzag 4), then the first column's element
        return footer[:at + 1] + varint(2 * 10**9) + footer[at + 2:]
    path = tmp_path / "claims.parquet"
    path.write_bytes(with_footer(one_row, change))
    [found] = refused(path)
    assert (found.code, found.message) == ("E707", f"{path}: the file has 1000000000 columns, beyond the limit of 1000")


@pytest.mark.parametrize("engine", ["auto", "duckdb"])
def test_the_cli_refuses_a_claim_of_row_groups_in_bounded_memory(tmp_path, one_row, engine):
    (tmp_path / "claims.parquet").write_bytes(with_footer(one_row, claims_row_groups(2**26)))
    code, stderr, peak_mib = run(tmp_path, "evaluate", "r.rules", "claims.parquet", "-f", "json", "--engine", engine)
    assert code == 2 and "Traceback" not in stderr
    assert stderr.startswith("error[E317]: claims.parquet cannot be read as a Parquet file: its footer declares ")
    assert peak_mib < 512  # was 6.4 GB: DuckDB's room for 2**26 row groups


def test_every_byte_corrupted_gives_a_dataset_or_a_coded_error(tmp_path, one_row):
    # Each byte of a real file turned to its complement, one at a time (every third, to keep the test short): DuckDB
    # or the footer check finds most; none may raise anything but an InputError with a stable code and a hint.
    outcomes = set()
    for at in range(0, len(one_row), 3):
        data = one_row[:at] + bytes([one_row[at] ^ 0xFF]) + one_row[at + 1:]
        try:
            load_parquet_bytes("bad.parquet", data)
            outcomes.add("read")
        except InputError as exc:
            for found in exc.diagnostics:
                assert found.code in ALLOWED and found.hint, (at, found.code, found.message)
                assert "lsprules-parquet-" not in found.message and "Traceback" not in found.message
                outcomes.add(found.code)
    assert {"E316", "E317"} <= outcomes


# --- many row groups, nested columns ----------------------------------------------------------------------------


def test_rows_of_many_row_groups_are_read_in_the_file_s_order(tmp_path):
    path = to_parquet("SELECT 'A' || lpad(i::VARCHAR, 5, '0') AS area, 'robbery' AS indicator, '2006/07' AS period, "
                      "CASE WHEN i = 15000 THEN 'lots' ELSE i::VARCHAR END AS value FROM range(20000) t(i)",
                      tmp_path / "groups.parquet", ", ROW_GROUP_SIZE 2048")
    with duckdb.connect() as connection:
        [(groups,)] = connection.execute("SELECT num_row_groups FROM parquet_file_metadata(?)",
                                         [str(path)]).fetchall()
    assert groups >= 9
    [found] = refused(path)
    assert (found.code, found.span.line, found.message) == (
        "E306", 15001, "row 15001, column 'value': expected a number, found 'lots'")


@pytest.mark.parametrize(("select", "column", "kind"), [
    ("['X'] AS area, 'robbery' AS indicator, '2006/07' AS period, 75 AS value", "area", "VARCHAR[]"),
    ("'X' AS area, 'robbery' AS indicator, '2006/07' AS period, {'a': 75} AS value", "value", "STRUCT(a INTEGER)"),
    ("'X' AS area, 'robbery' AS indicator, '2006/07' AS period, [{'v': 75}] AS value", "value",
     "STRUCT(v INTEGER)[]"),
    ("'X' AS area, 'robbery' AS indicator, '2006/07' AS period, MAP {'a': 75} AS value", "value",
     "MAP(VARCHAR, INTEGER)"),
    ("'X' AS area, 'robbery' AS indicator, '2006/07' AS period, 75 AS value, ['break'] AS status", "status",
     "VARCHAR[]"),
])
def test_a_nested_column_where_a_value_is_expected_is_e319(tmp_path, select, column, kind):
    path = to_parquet(f"SELECT {select}", tmp_path / "nested.parquet")
    [found] = refused(path)
    assert (found.code, found.message) == (
        "E319", f"{path}: column '{column}' is of type {kind}, which lsprules does not read")
    assert found.hint and f"CAST({column} AS VARCHAR)" in found.hint


def test_a_nested_column_that_is_not_a_long_form_column_is_e318(tmp_path):
    path = to_parquet(f"{ONE_ROW}, {{'a': [1]}} AS colour", tmp_path / "extra.parquet")
    assert [(d.code, d.message) for d in refused(path)] == [
        ("E318", f"{path}: column 5 ('colour'): unknown column 'colour'")]


# --- FLOAT columns: the CSV of their shortest decimals ------------------------------------------------------------


def plain(number: Decimal) -> str:
    """A decimal as a CSV cell would hold it: no exponent, no trailing zeros."""
    return format(number.normalize(), "f")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.decimals(min_value=Decimal("-999999"), max_value=Decimal("999999"), places=2, allow_nan=False)
                .filter(lambda d: d == 0 or abs(d) >= Decimal("0.01"))
                .map(lambda d: Decimal(f"{d:.6g}")),  # six significant digits: a 32-bit float keeps them all
                min_size=1, max_size=8))
def test_a_float_column_gives_the_bytes_of_the_csv_of_its_shortest_decimals(tmp_path_factory, values):
    # Distinct decimals of six significant digits are distinct 32-bit floats, so the shortest decimal of each float
    # is the decimal written: the CSV holding those is the oracle, and every engine must give its bytes.
    folder = tmp_path_factory.mktemp("float")
    (folder / "r.rules").write_text(RULES, encoding="utf-8")
    rows = [(f"A{i}", "robbery", "2006/07", value) for i, value in enumerate(values)]
    (folder / "f.csv").write_text("area,indicator,period,value\n" + "".join(
        f"{a},{ind},{p},{plain(v)}\n" for a, ind, p, v in rows), encoding="utf-8")
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t (area VARCHAR, indicator VARCHAR, period VARCHAR, value FLOAT)")
        connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [(a, i, p, float(v)) for a, i, p, v in rows])
        connection.execute(f"COPY t TO '{folder / 'f.parquet'}' (FORMAT parquet)")
    for output_format in ("csv", "json"):
        expected = evaluate_job(folder / "r.rules", folder / "f.csv", output_format=output_format,
                                engine="interpreter").text
        for engine in ("interpreter", "auto", "duckdb"):
            got = evaluate_job(folder / "r.rules", folder / "f.parquet", output_format=output_format,
                               engine=engine).text
            assert same_data(got, folder) == expected, (output_format, engine)


def same_data(text: str, folder: Path) -> str:
    """An output of f.parquet with the name and digest of f.csv, so that only what was read differs."""
    digest = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in ("f.parquet", "f.csv")}
    return text.replace("f.parquet", "f.csv").replace(digest["f.parquet"], digest["f.csv"])


def test_columns_duckdb_lists_beyond_the_limit_are_e707_when_the_footer_does_not_say(tmp_path, monkeypatch):
    from lsprules.data.readers import parquet_footer

    monkeypatch.setattr(parquet_reader, "declared_columns", lambda footer: None)  # a footer read no further
    assert parquet_footer.declared_columns is not parquet_reader.declared_columns
    path = to_parquet(wide_select(1_001), tmp_path / "wide.parquet")
    assert [(d.code, d.message) for d in refused(path)] == [
        ("E707", f"{path}: the file has 1001 columns, beyond the limit of 1000")]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.lists(st.sampled_from([b"\x1c", b"\x19", b"\xfc\xff\xff\xff\x0f", b"\x00",
                                                           b"\x15\x08", b"\x18\x7f"]), max_size=3000).map(b"".join))
def test_the_footer_reader_returns_on_any_bytes(footer):
    # Random bytes, and structs and lists nested thousands deep: an answer or None, never an exception (a
    # RecursionError, an IndexError) and never a walk longer than the bytes.
    columns = declared_columns(footer)
    assert columns is None or columns >= 0
    problem = sizes_problem(footer)
    assert problem is None or problem.startswith("its footer declares ")


def test_a_footer_nested_thousands_deep_is_e317(tmp_path, one_row):
    path = tmp_path / "deep.parquet"
    path.write_bytes(with_footer(one_row, lambda footer: footer[:2] + b"\x1c" * 100_000 + footer[2:]))
    [found] = refused(path)
    assert found.code == "E317" and found.message.startswith(f"{path} cannot be read as a Parquet file: ")
