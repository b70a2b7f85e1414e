"""Parquet datasets read as their CSV reads: the bundled CSV datasets written to Parquet by DuckDB give the same
bytes in every format, random long-form tables agree, typed columns become the CSV's text, and every bad file is a
positioned error with its code."""

from __future__ import annotations

import csv
import io
import math
import struct
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsprules.core.diagnostics import InputError
from lsprules.data.load import load_any
from lsprules.data.model import Missing
from lsprules.data.readers.csv_reader import load_csv_bytes
from lsprules.data.readers.parquet_reader import double_text, float_text, load_parquet_bytes
from lsprules.jobs.evaluate import FORMATS, evaluate_job

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = [("districts.rules", "districts-2006-07.csv"), ("lpsa.rules", "lpsa-2008.csv"),
           ("national.rules", "national-sample.csv")]
RULES = "indicator robbery {\n  polarity lower_is_better\n}\n"


def to_parquet(select: str, path: Path) -> Path:
    """Write the rows of a DuckDB query to a Parquet file."""
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    return path


def csv_to_parquet(csv_path: Path, path: Path, typed: bool) -> Path:
    """A CSV file as Parquet: every column VARCHAR, or with the types DuckDB's own CSV sniffer gives them."""
    options = "header = true" if typed else "header = true, all_varchar = true"
    return to_parquet(f"SELECT * FROM read_csv('{csv_path}', {options})", path)


def table_parquet(path: Path, header: list[str], rows: list[list[object]], types: list[str] | None = None) -> Path:
    """A Parquet file of the given rows (None: NULL), each column of the DuckDB type given (default VARCHAR)."""
    types = types or ["VARCHAR"] * len(header)
    with duckdb.connect() as connection:
        columns = ", ".join(f'"{name}" {kind}' for name, kind in zip(header, types, strict=True))
        connection.execute(f"CREATE TABLE t ({columns})")
        if rows:
            connection.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(header))})", rows)
        connection.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    return path


def codes(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_any(path)
    return [d.code for d in caught.value.diagnostics]


def diagnostics(path: Path) -> list:
    with pytest.raises(InputError) as caught:
        load_any(path)
    return list(caught.value.diagnostics)


# --- the bundled datasets, byte for byte --------------------------------------------------------------------


def output(rules: Path, data: Path, output_format: str) -> bytes:
    """What `evaluate` writes, with the dataset's name and digest as the CSV file's, so that only the data differ."""
    found = evaluate_job(rules, data, output_format=output_format)
    return found.data if found.data is not None else found.text.encode()


def normalised(blob: bytes, output_format: str, parquet: Path, csv_path: Path) -> bytes:
    """An output with the Parquet file's name and digest written as the CSV file's (docx: in every part)."""
    import hashlib

    pairs = [(parquet.name.encode(), csv_path.name.encode()),  # beside each other: only the names differ
             (hashlib.sha256(parquet.read_bytes()).hexdigest().encode(),
              hashlib.sha256(csv_path.read_bytes()).hexdigest().encode())]

    def swap(data: bytes) -> bytes:
        for old, new in pairs:
            data = data.replace(old, new)
        return data

    if output_format != "docx":
        return swap(blob)
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return b"\0".join(name.encode() + b"\0" + swap(archive.read(name)) for name in sorted(archive.namelist()))


@pytest.mark.parametrize("typed", [False, True], ids=["varchar", "typed"])
@pytest.mark.parametrize(("rules", "data"), BUNDLED)
def test_a_bundled_csv_written_to_parquet_evaluates_to_the_same_bytes_in_every_format(tmp_path, rules, data, typed):
    csv_path = tmp_path / data
    csv_path.write_bytes((ROOT / "datasets" / data).read_bytes())
    parquet = csv_to_parquet(csv_path, tmp_path / data.replace(".csv", ".parquet"), typed)
    for output_format in FORMATS:
        expected = output(ROOT / "rules" / rules, csv_path, output_format)
        if output_format == "docx":
            expected = normalised(expected, "docx", csv_path, csv_path)
        got = normalised(output(ROOT / "rules" / rules, parquet, output_format), output_format, parquet, csv_path)
        assert got == expected, output_format


def test_the_bundled_parquet_on_the_command_line_and_on_standard_input(tmp_path):
    csv_path = ROOT / "datasets" / "districts-2006-07.csv"
    parquet = csv_to_parquet(csv_path, tmp_path / "d.parquet", typed=True)
    command = [sys.executable, "-m", "lsprules", "evaluate", "rules/districts.rules"]
    expected = subprocess.run([*command, str(csv_path), "-f", "csv"], cwd=ROOT, capture_output=True, timeout=120)
    from_file = subprocess.run([*command, str(parquet), "-f", "csv"], cwd=ROOT, capture_output=True, timeout=120)
    from_stdin = subprocess.run([*command, "-", "--stdin-filename", "d.parquet", "-f", "csv"], cwd=ROOT,
                                input=parquet.read_bytes(), capture_output=True, timeout=120)
    assert expected.returncode == from_file.returncode == from_stdin.returncode == 0, from_stdin.stderr
    assert from_file.stdout == from_stdin.stdout == expected.stdout
    unnamed = subprocess.run([*command, "-", "-f", "csv"], cwd=ROOT, input=parquet.read_bytes(), capture_output=True,
                             timeout=120)
    assert unnamed.returncode == 2 and b"E603" in unnamed.stderr and b"Traceback" not in unnamed.stderr


# --- random long-form tables: CSV and Parquet agree -------------------------------------------------------

AREAS = st.sampled_from(["North", "South", " East ", "West & Co"])
INDICATORS = st.sampled_from(["robbery", "burglary", "Robbery"])  # one that is not an id: an E318/E305 row
PERIODS = st.sampled_from(["2004/05", "2005/06", "2006/07", "2007/08", "2006-Q1"])
VALUES = st.one_of(st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False).map(str),
                   st.integers(-500, 500).map(str), st.sampled_from(["", "na", "suppressed", "lots", "1,029"]))
STATUS = st.sampled_from(["", "", "", "na", "break", "nope"])
ROWS = st.lists(st.tuples(AREAS, INDICATORS, PERIODS, VALUES, STATUS), min_size=0, max_size=12)


def csv_text(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def read(load, name: str, data: bytes) -> tuple[str, object]:
    """What a reader makes of a file: ('ok', its areas) or ('error', the codes and rows of its problems)."""
    try:
        dataset = load(name, data)
    except InputError as exc:
        return "error", [(d.code, d.message.split(",")[0]) for d in exc.diagnostics]  # the code and 'row N'
    return "ok", dataset.areas


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, nulls=st.booleans())
def test_random_long_form_tables_read_the_same_from_csv_and_parquet(tmp_path_factory, rows, nulls):
    folder = tmp_path_factory.mktemp("random")
    header = ["area", "indicator", "period", "value", "status"]
    table = [list(row) for row in rows]
    parquet_rows = [[None if nulls and cell == "" else cell for cell in row] for row in table]
    parquet = table_parquet(folder / "t.parquet", header, parquet_rows)
    csv_kind, csv_result = read(load_csv_bytes, "t", csv_text(header, table))
    parquet_kind, parquet_result = read(load_parquet_bytes, "t", parquet.read_bytes())
    assert parquet_kind == csv_kind
    if csv_kind == "ok":
        assert parquet_result == csv_result
    else:  # the same problems at the same rows (CSV counts its header as row 1; E305 is E318 in Parquet)
        shifted = [(code if code != "E305" else "E318", _row_minus_one(where)) for code, where in csv_result]
        assert parquet_result == shifted


def _row_minus_one(where: str) -> str:
    words = where.split()
    return f"row {int(words[1].rstrip(',')) - 1}" if words[:1] == ["row"] else where


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(AREAS.filter(str.strip), PERIODS.filter(lambda p: "Q" not in p),
                               st.decimals(min_value=-999_999, max_value=999_999, places=3, allow_nan=False)),
                     min_size=1, max_size=10, unique_by=lambda r: (r[0], r[1])))
def test_random_typed_tables_give_the_assessment_of_their_csv(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("typed")
    (folder / "r.rules").write_text(RULES, encoding="utf-8")
    header = ["area", "indicator", "period", "value"]
    table_parquet(folder / "t.parquet", header, [[a, "robbery", p, v] for a, p, v in rows],
                  ["VARCHAR", "VARCHAR", "VARCHAR", "DECIMAL(12,3)"])
    (folder / "t.csv").write_bytes(csv_text(header, [[a, "robbery", p, str(v)] for a, p, v in rows]))
    for output_format in ("csv", "json", "markdown"):
        expected = output(folder / "r.rules", folder / "t.csv", output_format)
        got = output(folder / "r.rules", folder / "t.parquet", output_format)
        assert normalised(got, output_format, folder / "t.parquet", folder / "t.csv") == expected, output_format


# --- typed columns become the CSV's text ---------------------------------------------------------------------


def one_value(tmp_path: Path, kind: str, value: object) -> object:
    """The value read from a one-row file whose value column is of DuckDB type `kind`."""
    path = table_parquet(tmp_path / "v.parquet", ["area", "indicator", "period", "value"],
                         [["X", "robbery", "2006/07", value]], ["VARCHAR", "VARCHAR", "VARCHAR", kind])
    return load_any(path).areas[0].series["robbery"].values[_period("2006/07")]


def _period(label: str):
    from lsprules.core.periods import parse_period

    return parse_period(label)


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("DECIMAL(6,2)", Decimal("1.50"), "1.50"),  # the places are kept, as the CSV text 1.50 keeps them
    ("DECIMAL(38,10)", Decimal("-0.0000000001"), "-1E-10"),
    ("DECIMAL(4,0)", Decimal("1029"), "1029"),
    ("INTEGER", 76, "76"), ("BIGINT", -9_000_000_000, "-9000000000"), ("UTINYINT", 255, "255"),
    ("HUGEINT", 10**30, "1000000000000000000000000000000"),
    ("DOUBLE", 0.1, "0.1"), ("DOUBLE", 75.0, "75"), ("DOUBLE", 1e20, "100000000000000000000"),
    ("DOUBLE", 1.5e-7, "1.5E-7"), ("FLOAT", 0.1, "0.1"), ("FLOAT", 3.03, "3.03"),
    ("VARCHAR", " 42.10 ", "42.10"), ("VARCHAR", "suppressed", "suppressed"),
])
def test_typed_values_read_as_the_csv_text_of_them(tmp_path, kind, value, expected):
    got = one_value(tmp_path, kind, value)
    if expected == "suppressed":
        assert got == Missing.SUPPRESSED
    else:
        assert isinstance(got, Decimal) and str(got) == str(Decimal(expected)) and got.as_tuple() == \
            Decimal(expected).as_tuple()


def test_null_is_a_missing_value_and_an_empty_optional_cell(tmp_path):
    path = table_parquet(tmp_path / "n.parquet", ["area", "indicator", "period", "value", "status", "note"],
                         [["X", "robbery", "2005/06", "75", None, None], ["X", "robbery", "2006/07", None, None, None],
                          [None, None, None, None, None, None]])
    series = load_any(path).areas[0].series["robbery"]
    assert series.values[_period("2005/06")] == Decimal(75)
    assert series.values[_period("2006/07")] == Missing.NA


def test_a_double_that_is_not_a_number_is_an_e306(tmp_path):
    path = table_parquet(tmp_path / "nan.parquet", ["area", "indicator", "period", "value"],
                         [["X", "robbery", "2005/06", math.nan], ["X", "robbery", "2006/07", math.inf]],
                         ["VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE"])
    found = diagnostics(path)
    assert [d.code for d in found] == ["E306", "E306"]
    assert [d.message for d in found] == ["row 1, column 'value': expected a number, found 'nan'",
                                          "row 2, column 'value': expected a number, found 'inf'"]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_double_reads_as_the_shortest_decimal_that_gives_it_back(number):
    text = double_text(number)
    assert "e" not in text.lower() and float(text) == number
    digits = Decimal(text).normalize().as_tuple().digits
    assert len(digits) <= len(Decimal(repr(number)).normalize().as_tuple().digits)


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_a_float_reads_as_the_shortest_decimal_that_gives_the_32_bit_number_back(number):
    text = float_text(number)
    assert "e" not in text.lower() and struct.unpack("<f", struct.pack("<f", float(text)))[0] == number
    shorter = f"{number:.{max(1, len(Decimal(text).normalize().as_tuple().digits) - 1)}g}"
    assert len(Decimal(text).normalize().as_tuple().digits) == 1 or \
        struct.unpack("<f", struct.pack("<f", float(shorter)))[0] != number


def test_integer_periods_and_areas_read_as_their_digits(tmp_path):
    path = table_parquet(tmp_path / "i.parquet", ["area", "indicator", "period", "value"],
                         [[1001, "robbery", 2006, 5]], ["INTEGER", "VARCHAR", "INTEGER", "INTEGER"])
    dataset = load_any(path)
    assert dataset.areas[0].name == "1001"
    assert list(dataset.areas[0].series["robbery"].values) == [_period("2006")]


# --- every problem: its code, its row and column ------------------------------------------------------------


def test_not_a_parquet_file_is_e316(tmp_path):
    text = tmp_path / "t.parquet"
    text.write_text("area,indicator,period,value\nX,robbery,2006/07,5\n", encoding="utf-8")
    empty = tmp_path / "e.parquet"
    empty.write_bytes(b"")
    for path in (text, empty):
        [found] = diagnostics(path)
        assert found.code == "E316" and found.message.startswith(f"{path} is not a Parquet file")
    assert "name it .csv" in (diagnostics(text)[0].hint or "")


def test_a_damaged_parquet_file_is_e317_naming_the_file_not_a_temporary_copy(tmp_path):
    whole = table_parquet(tmp_path / "w.parquet", ["area", "indicator", "period", "value"],
                          [["X", "robbery", "2006/07", "5"]]).read_bytes()
    for name, data in (("cut.parquet", whole[:40] + whole[-40:]), ("junk.parquet", b"PAR1" + b"\x07" * 64 + b"PAR1")):
        path = tmp_path / name
        path.write_bytes(data)
        [found] = diagnostics(path)
        assert found.code == "E317", found.message
        assert found.message.startswith(f"{path} cannot be read as a Parquet file: ")
        assert "lsprules-parquet-" not in found.message


def test_header_problems_are_e318_naming_the_column(tmp_path):
    path = table_parquet(tmp_path / "h.parquet", ["area", "indicatr", "period", "value", "colour"], [])
    found = diagnostics(path)
    assert [(d.code, d.message) for d in found] == [
        ("E318", f"{path}: column 2 ('indicatr'): unknown column 'indicatr'"),
        ("E318", f"{path}: column 5 ('colour'): unknown column 'colour'")]
    assert found[0].hint == "did you mean 'indicator'?"
    missing = table_parquet(tmp_path / "m.parquet", ["area", "indicator", "period"], [])
    [found_missing] = diagnostics(missing)
    assert (found_missing.code, found_missing.message) == ("E318", f"{missing}: missing column: value")
    assert found_missing.hint == "a long-form Parquet file needs the columns area, indicator, period, value"


def test_row_problems_name_the_row_in_the_file_s_order_and_the_column(tmp_path):
    path = table_parquet(tmp_path / "r.parquet", ["area", "indicator", "period", "value", "status"], [
        ["X", "robbery", "2005/06", "75", ""],
        ["", "robbery", "2006/07", "1", ""],          # row 2: no area
        ["X", "Robbery", "2006/07", "1", ""],         # row 3: not an id
        ["X", "robbery", "2006/08", "1", ""],         # row 4: not a period
        ["X", "robbery", "2006/07", "lots", ""],      # row 5: not a number
        ["X", "robbery", "2006/07", "76", "nope"],    # row 6: unknown status
        ["X", "robbery", "2005/06", "74", ""],        # row 7: conflicts with row 1
        ["X", "robbery", "2006/07", "٧٦", ""],        # row 8: other digits
        ["X", "robbery", "2006/07", "1" * 60, ""],    # row 9: beyond number_digits
    ])
    found = [(d.code, d.message.split(":")[0], d.span.line, d.span.column) for d in diagnostics(path)]
    assert found == [("E318", "row 2, column 'area'", 2, 1), ("E318", "row 3, column 'indicator'", 3, 2),
                     ("E303", "row 4, column 'period'", 4, 3), ("E306", "row 5, column 'value'", 5, 4),
                     ("E318", "row 6, column 'status'", 6, 5), ("E307", "row 7, column 'value'", 7, 4),
                     ("E351", "row 8, column 'value'", 8, 4), ("E700", "row 9, column 'value'", 9, 4)]
    assert all(d.span.file == str(path) for d in diagnostics(path))


@pytest.mark.parametrize(("kind", "value"), [
    ("DATE", "2006-09-01"), ("TIMESTAMP", "2006-09-01 00:00:00"), ("INTEGER[]", [1, 2]),
    ("STRUCT(a INTEGER)", {"a": 1}), ("BLOB", b"75"), ("BOOLEAN", True), ("INTERVAL", "1 day"),
])
def test_a_column_of_another_type_is_e319(tmp_path, kind, value):
    path = table_parquet(tmp_path / "k.parquet", ["area", "indicator", "period", "value"],
                         [["X", "robbery", "2006/07", value]], ["VARCHAR", "VARCHAR", "VARCHAR", kind])
    [found] = diagnostics(path)
    assert found.code == "E319"
    assert found.message.startswith(f"{path}: column 'value' is of type ")
    assert "which lsprules does not read" in found.message and found.hint


def test_a_date_period_is_refused_with_a_hint_to_write_its_label(tmp_path):
    path = table_parquet(tmp_path / "d.parquet", ["area", "indicator", "period", "value"],
                         [["X", "robbery", "2006-09-01", "5"]], ["VARCHAR", "VARCHAR", "DATE", "VARCHAR"])
    [found] = diagnostics(path)
    assert found.code == "E319" and "strftime(period, '%Y-%m')" in (found.hint or "")


def test_problems_stop_at_a_hundred(tmp_path):
    rows = [["X", "robbery", f"{2000 + i % 50}", "lots"] for i in range(300)]
    path = table_parquet(tmp_path / "many.parquet", ["area", "indicator", "period", "value"], rows)
    assert codes(path) == ["E306"] * 100


def test_an_empty_table_reads_as_a_dataset_with_no_observations_as_its_csv_does(tmp_path):
    path = table_parquet(tmp_path / "z.parquet", ["area", "indicator", "period", "value"], [])
    assert load_any(path).areas == load_csv_bytes("z", b"area,indicator,period,value\n").areas


def test_the_cli_reports_a_bad_parquet_without_a_traceback(tmp_path):
    (tmp_path / "r.rules").write_text(RULES, encoding="utf-8")
    table_parquet(tmp_path / "b.parquet", ["area", "indicator", "period", "value"],
                  [["X", "robbery", "2006/07", "lots"]])
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", "r.rules", "b.parquet"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("b.parquet:1:4: error[E306]: row 1, column 'value': expected a number")


def test_the_golden_parquet_files_hold_what_their_script_writes(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import golden_parquet
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    golden = ROOT / "tests" / "golden" / "diagnostics"

    def content(path: Path) -> tuple[list, list]:
        with duckdb.connect() as connection:
            return (connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall(),
                    connection.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall())

    written = golden_parquet.write(tmp_path)
    assert {p.name for p in written} == {p.name for p in golden.glob("*.parquet")}
    for path in written:
        if path.stem in golden_parquet.BYTES:
            assert (golden / path.name).read_bytes() == path.read_bytes()
        else:
            assert content(golden / path.name) == content(path)


def test_a_cell_beyond_csv_field_size_is_e708_as_in_csv_and_only_that_much_reaches_python(tmp_path):
    from lsprules.core import limits

    path = table_parquet(tmp_path / "long.parquet", ["area", "indicator", "period", "value"],
                         [["X", "robbery", "2005/06", "1"], ["X" * 50, "robbery", "2006/07", "2"],
                          ["X", "robbery", "2006/07", " " * 40 + "3"]])
    limits.set_limits(limits.Limits(csv_field_size=40))
    try:
        found = diagnostics(path)
    finally:
        limits._current = None
    assert [(d.code, d.message) for d in found] == [
        ("E708", "row 2, column 'area': a cell is longer than the limit of 40 characters"),
        ("E708", "row 3, column 'value': a cell is longer than the limit of 40 characters")]
    assert "--limit csv_field_size=" in (found[0].hint or "")
    assert load_any(path).areas[0].name == "X"  # the default limit: every row is read
    assert not list(tmp_path.glob("spill")) and not (Path.cwd() / ".tmp").exists()
