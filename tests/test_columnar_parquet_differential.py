"""The columnar engine on a Parquet dataset against the reference interpreter on the same file: the same bytes for
CSV and JSON (generated national data, typed columns, several row groups, random rules and data), and the reference
for every file whose cells DuckDB's casts would not give as the reference reader's text, with a note when asked."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpath_helpers import NATIONAL_RULES, find_gen, generate, write
from lsprules.core.diagnostics import InputError
from lsprules.engine.columnar import duck
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.jobs import evaluate as evaluate_module
from lsprules.jobs.evaluate import AUTO_PARQUET_ROWS, evaluate_job
from lsprules.lang.resolve import load_rules
from test_fastpath_differential import data_text, rule_text

needs_gen = pytest.mark.skipif(find_gen() is None, reason="shared/bench/gen.py is not beside the checkout")
COLUMNS = ["area", "indicator", "period", "value"]


def parquet_from_csv(csv_path: Path, out: Path, value_type: str = "VARCHAR", row_group_size: int | None = None) -> Path:
    """A long-form CSV as Parquet, every column VARCHAR but `value` (cast to `value_type`)."""
    groups = f", ROW_GROUP_SIZE {row_group_size}" if row_group_size else ""
    value = "value" if value_type == "VARCHAR" else f"CAST(value AS {value_type}) AS value"
    with duckdb.connect() as connection:
        connection.execute(f"COPY (SELECT area, indicator, period, {value} FROM read_csv('{csv_path}', header = true, "
                           f"all_varchar = true)) TO '{out}' (FORMAT parquet{groups})")
    return out


def table(out: Path, rows: list[list[object]], types: list[str], names: list[str] = COLUMNS) -> Path:
    with duckdb.connect() as connection:
        connection.execute(f"CREATE TABLE t ({', '.join(f'{n} {k}' for n, k in zip(names, types, strict=True))})")
        connection.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(names))})", rows)
        connection.execute(f"COPY t TO '{out}' (FORMAT parquet)")
    return out


OVERFLOW = "a number is too large for exact integer arithmetic in DuckDB"


def agree(rules: Path, data: Path, output_format: str, period: str | None = None) -> str:
    """Assert that `--engine duckdb` ran on the Parquet file and gave the interpreter's bytes; return them."""
    expected = evaluate_job(rules, data, output_format=output_format, period=period, engine="interpreter").text
    got = evaluate_job(rules, data, output_format=output_format, period=period, engine="duckdb")
    assert got.notes == ()
    assert got.text == expected
    return expected


def steps_aside(rules: Path, data: Path, output_format: str = "csv") -> tuple[str, ...]:
    """Assert that `--engine duckdb` left the file to the interpreter (same bytes); return its notes."""
    expected = evaluate_job(rules, data, output_format=output_format, engine="interpreter").text
    got = evaluate_job(rules, data, output_format=output_format, engine="duckdb")
    assert got.notes and got.text == expected
    return got.notes


# --- generated national data --------------------------------------------------------------------------------


@needs_gen
@pytest.mark.parametrize("value_type", ["VARCHAR", "DOUBLE", "DECIMAL(12,2)"])
@pytest.mark.parametrize("output_format", ["csv", "json", "markdown"])
def test_generated_national_parquet_agrees(tmp_path, value_type, output_format):
    csv_path = generate(tmp_path / "national-S.csv", 60)
    data = parquet_from_csv(csv_path, tmp_path / "national.parquet", value_type, row_group_size=2048)
    text = agree(NATIONAL_RULES, data, output_format)
    if output_format == "csv":  # and the same bytes as the interpreter on the CSV file itself
        assert text == evaluate_job(NATIONAL_RULES, csv_path, output_format="csv", engine="interpreter").text


@needs_gen
def test_auto_runs_the_plan_on_a_parquet_file_of_enough_rows_and_not_on_a_small_one(tmp_path, monkeypatch):
    csv_path = generate(tmp_path / "national.csv", 150)
    big = parquet_from_csv(csv_path, tmp_path / "big.parquet")
    with duckdb.connect() as connection:
        assert connection.execute("SELECT count(*) FROM read_parquet(?)", [str(big)]).fetchone()[0] >= \
            AUTO_PARQUET_ROWS
        connection.execute(f"COPY (FROM read_parquet('{big}') LIMIT 500) TO '{tmp_path / 'small.parquet'}' "
                           "(FORMAT parquet)")
    loads: list[Path] = []
    original = duck.load_checked
    monkeypatch.setattr(duck, "load_checked", lambda connection, path: loads.append(path) or original(connection, path))
    for output_format in ("csv", "json"):
        for name, planned in (("big.parquet", True), ("small.parquet", False)):
            loads.clear()
            data = tmp_path / name
            expected = evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="interpreter").text
            assert evaluate_job(NATIONAL_RULES, data, output_format=output_format).text == expected
            assert loads == ([data] if planned else []), (output_format, name)


# --- typed columns, row groups, random rules and data -----------------------------------------------------------


def test_typed_columns_agree(tmp_path):
    rows = [[1001, "robbery", 2004, Decimal("1.50")], [1001, "robbery", 2005, Decimal("2.25")],
            [1001, "robbery", 2006, None], [1002, "robbery", 2005, Decimal("-0.10")],
            [1002, "robbery", 2006, Decimal("12.00")]]
    data = table(tmp_path / "t.parquet", rows, ["INTEGER", "VARCHAR", "BIGINT", "DECIMAL(6,2)"])
    for output_format in ("csv", "json"):
        agree(NATIONAL_RULES, data, output_format)


VALUES = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.integers(-5, 120).map(float),
                   st.sampled_from([0.1, 75.0, 82.5, 1e-4, 60.9, 1e-5, 1e16, -0.0]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(VALUES, min_size=1, max_size=12))
def test_random_double_values_agree(values):
    rows = [[f"A{i % 3}", "robbery", ["2005/06", "2006/07", "2007/08", "2008/09"][i // 3], v]
            for i, v in enumerate(values)]
    with tempfile.TemporaryDirectory() as folder:
        data = table(Path(folder) / "d.parquet", rows, ["VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE"])
        try:
            evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="interpreter")
        except InputError as exc:  # 1e-134 is beyond the limit number_exponent (E701): so it is for the plan
            with pytest.raises(InputError) as caught:
                evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="duckdb")
            assert caught.value.diagnostics == exc.diagnostics
            return
        # DuckDB writes a DOUBLE of 1e16 or more, or under 1e-4, with an exponent: the reference reads those
        if all(v is None or v == 0 or 1e-4 <= abs(v) < 1e16 for v in values):
            expected = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="interpreter").text
            got = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="duckdb")
            assert got.text == expected
            # A double's shortest decimal can have 16 places: beside a value of a million, the plan's exact
            # integers may pass 38 digits, and then DuckDB steps aside, as it does for the same CSV.
            assert all(OVERFLOW in note for note in got.notes), got.notes
        else:
            steps_aside(NATIONAL_RULES, data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rule_text(), data=data_text(), period=st.sampled_from([None, "2005/06"]))
def test_random_rules_on_random_data_agree_from_parquet(rules, data, period):
    with tempfile.TemporaryDirectory() as folder:
        rules_path = write(Path(folder), "r.rules", rules)
        csv_path = write(Path(folder), "d.csv", data)
        parquet = parquet_from_csv(csv_path, Path(folder) / "d.parquet", row_group_size=4)
        try:
            expected = evaluate_job(rules_path, parquet, output_format="csv", period=period, engine="interpreter")
        except InputError:
            with pytest.raises(InputError):
                evaluate_job(rules_path, parquet, output_format="csv", period=period, engine="duckdb")
            return
        got = evaluate_job(rules_path, parquet, output_format="csv", period=period, engine="duckdb")
        assert got.text == expected.text


# --- what the plan leaves to the reference --------------------------------------------------------------------


def test_a_float_value_column_goes_to_the_reference_with_a_note(tmp_path):
    data = table(tmp_path / "f.parquet", [["X", "robbery", "2006/07", 372150.62]], ["VARCHAR", "VARCHAR", "VARCHAR",
                                                                                      "FLOAT"])
    assert steps_aside(NATIONAL_RULES, data) == (
        "the duckdb engine did not run: a FLOAT column value (the reference reader reads it); the reference "
        "interpreter ran",)
    found = duck.evaluate_csv(load_rules(NATIONAL_RULES), data)
    assert isinstance(found, Fallback)


@pytest.mark.parametrize(("names", "types", "row"), [
    (COLUMNS + ["note"], ["VARCHAR"] * 5, ["X", "robbery", "2006/07", "5", "hello"]),  # another column
    (COLUMNS, ["DOUBLE", "VARCHAR", "VARCHAR", "VARCHAR"], [1.5, "robbery", "2006/07", "5"]),  # a DOUBLE area
    (COLUMNS, ["VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE"], ["X", "robbery", "2006/07", 1e20]),  # an exponent
    (COLUMNS, ["VARCHAR"] * 4, [" X ", "robbery", "2006/07", "5"]),  # spaces the reference reader strips
])
def test_files_the_plan_does_not_take_still_agree(tmp_path, names, types, row):
    data = table(tmp_path / "o.parquet", [row], types, names)
    steps_aside(NATIONAL_RULES, data)


@pytest.mark.parametrize(("make", "code"), [
    (lambda path: path.write_text("area,indicator,period,value\n", encoding="utf-8"), "E316"),
    (lambda path: table(path, [["X", "robbery", "2006/07", "lots"]], ["VARCHAR"] * 4), "E306"),
    (lambda path: table(path, [["X", "robbery", "2006/07", "x" * 100_001]], ["VARCHAR"] * 4), "E708"),
])
def test_bad_files_are_reported_by_the_reference_reader(tmp_path, make, code):
    data = tmp_path / "bad.parquet"
    make(data)
    for output_format in ("csv", "json"):
        with pytest.raises(InputError) as caught:
            evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="duckdb")
        assert [d.code for d in caught.value.diagnostics] == [code]


def test_polars_is_handed_a_parquet_file_as_read_and_spark_leaves_it_with_a_note(tmp_path):
    data = table(tmp_path / "p.parquet", [["X", "robbery", "2006/07", "5"]], ["VARCHAR"] * 4)
    expected = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="interpreter").text
    polars = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="polars")
    assert polars.text == expected and polars.notes == ()  # the reader's observations (tests/test_dataset_handover.py)
    spark = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="spark")
    assert spark.text == expected
    assert spark.notes[0].startswith("the spark engine writes CSV from one CSV dataset (without")
    asked = evaluate_job(NATIONAL_RULES, [data, data], output_format="csv", engine="duckdb")
    assert asked.text == evaluate_job(NATIONAL_RULES, [data, data], output_format="csv", engine="interpreter").text
    assert asked.notes == ()
    assert evaluate_module.PARQUET_ENGINES == ("auto", "duckdb")


@pytest.mark.parametrize("where", ["year=2006/d.parquet", "d[1].parquet", "d*.parquet"])
def test_a_path_duckdb_would_read_as_a_pattern_or_a_partition_reads_as_the_one_file_it_names(tmp_path, where):
    data = tmp_path / where
    data.parent.mkdir(parents=True, exist_ok=True)
    table(data, [["X", "robbery", "2006/07", "5"]], ["VARCHAR"] * 4)
    table(tmp_path / "d1.parquet", [["Y", "robbery", "2006/07", "6"]], ["VARCHAR"] * 4)  # what d[1] would match
    expected = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="interpreter").text
    assert "\nX,robbery," in expected and "\nY," not in expected
    got = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="duckdb")
    assert got.text == expected
