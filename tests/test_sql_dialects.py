"""`lsprules sql`: the compiled query in every dialect parses back, and run where the data lives (DuckDB, and Spark on
a local PySpark) it gives the reference interpreter's assessments of gen.py data, cell for cell."""

from __future__ import annotations

import hashlib
import os
import re
import shutil

import pytest
import sqlglot
from typer.testing import CliRunner

from fastpath_helpers import NATIONAL_RULES, ROOT, find_gen, generate, reference_csv, write
from lsprules.cli.app import app
from lsprules.cli.sql import Dialect, Periods
from lsprules.core.periods import Period, PeriodKind
from lsprules.engine.columnar.sql_plan import BY_PERIOD, DIALECTS, PlanOptions, compile_plan
from lsprules.jobs.evaluate import run_evaluate
from lsprules.jobs.sql import run_sql
from lsprules.lang.resolve import load_rules

needs_gen = pytest.mark.skipif(find_gen() is None, reason="shared/bench/gen.py is not beside the checkout")
# Spark needs Java: without it the test skips on a workstation, but CI (CI=true) must run it.
needs_java = pytest.mark.skipif(shutil.which("java") is None and os.environ.get("CI") != "true",
                                reason="PySpark needs Java (CI installs it)")


def body(text: str) -> str:
    """The query without its comment header."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("-- "))


def test_the_cli_offers_exactly_the_plan_s_dialects_and_the_periods():
    assert tuple(d.value for d in Dialect) == DIALECTS
    assert {p.value for p in Periods} == {k.value for k in PeriodKind}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back_and_names_its_rule_file(dialect):
    result = CliRunner().invoke(app, ["sql", str(NATIONAL_RULES), "--dialect", dialect, "--table", "lsoa_figures"])
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256(NATIONAL_RULES.read_bytes()).hexdigest()
    assert result.stdout.startswith(f"-- lsprules sql: the assessments of {NATIONAL_RULES} (sha256 {sha})\n")
    parsed = sqlglot.parse_one(body(result.stdout).rstrip().rstrip(";"), read=dialect)
    assert isinstance(parsed, sqlglot.exp.Select)
    assert "lsoa_figures" in {t.name for t in parsed.find_all(sqlglot.exp.Table)}
    assert [e.alias_or_name for e in parsed.expressions][:3] == ["area", "indicator", "title"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_columns_asked_for_are_the_query_s_and_parse_back(dialect):
    result = CliRunner().invoke(app, ["sql", str(NATIONAL_RULES), "--dialect", dialect, "--columns", "rag, area,value"])
    assert result.exit_code == 0, result.output
    assert "Output: the columns rag, area, value (in this order) of `lsprules evaluate --format csv`" in result.stdout
    parsed = sqlglot.parse_one(body(result.stdout).rstrip().rstrip(";"), read=dialect)
    assert [e.alias_or_name for e in parsed.expressions] == ["rag", "area", "value"]


def test_a_column_the_csv_report_lacks_is_refused():
    result = CliRunner().invoke(app, ["sql", str(NATIONAL_RULES), "--columns", "area,arow"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "error[E003]: --columns: the CSV report has no column 'arow'" in result.stderr
    assert "did you mean 'arrow'?" in result.stderr


@pytest.mark.parametrize("periods", [k.value for k in PeriodKind])
def test_every_kind_of_period_compiles(periods):
    for dialect in DIALECTS:
        sqlglot.parse_one(body(run_sql(NATIONAL_RULES, dialect, periods=periods)).rstrip().rstrip(";"), read=dialect)


@pytest.mark.parametrize("count", [3, BY_PERIOD + 1])
def test_with_the_data_s_periods_the_plan_picks_by_period_and_parses_back_in_every_dialect(count):
    periods = tuple(Period(PeriodKind.FINANCIAL_YEAR, 2003 + k) for k in range(count))
    for dialect in DIALECTS:
        plan = compile_plan(load_rules(NATIONAL_RULES), PlanOptions(dialect, periods=periods))
        layers = [cte.alias for cte in plan.args["with"].expressions]
        assert ("pivoted" in layers) is (count <= BY_PERIOD) and ("ranked" in layers) is (count > BY_PERIOD)
        sqlglot.parse_one(plan.sql(dialect=dialect), read=dialect)


@needs_gen
def test_the_duckdb_query_picking_by_period_gives_the_reference_assessments(tmp_path):
    import duckdb

    data = generate(tmp_path / "national-S.csv", 350)
    periods = tuple(Period(PeriodKind.FINANCIAL_YEAR, 2003 + k) for k in range(5))
    query = compile_plan(load_rules(NATIONAL_RULES), PlanOptions("duckdb", scale=1, periods=periods)).sql("duckdb")
    connection = duckdb.connect()
    connection.execute("CREATE TABLE observations AS SELECT * FROM read_csv(?, all_varchar = true)", [str(data)])
    got = [",".join(row) for row in connection.execute(query).fetchall()]
    assert sorted(got) == _sorted_lines(reference_csv(NATIONAL_RULES, data))


def test_no_float_and_no_float_division_in_any_dialect():
    for dialect in DIALECTS:
        text = body(run_sql(NATIONAL_RULES, dialect)).upper()
        assert "DOUBLE" not in text and "FLOAT" not in text and "REAL" not in text
        if dialect in ("trino", "snowflake", "spark"):  # integer division as (n - n % d) / d: exact in decimals
            assert " / " in text and set(re.findall(r"(\S) / ", text)) == {")"}  # only (n - n % d) / d
        else:
            assert " / " not in text


def _sorted_lines(text: str) -> list[str]:
    return sorted(text.splitlines()[1:])


@needs_gen
def test_the_duckdb_query_on_the_data_gives_the_reference_assessments(tmp_path):
    import duckdb

    data = generate(tmp_path / "national-S.csv", 350)
    query = run_sql(NATIONAL_RULES, "duckdb", table="observations", scale=1)
    connection = duckdb.connect()
    connection.execute("CREATE TABLE observations AS SELECT * FROM read_csv(?, all_varchar = true)", [str(data)])
    got = [",".join(row) for row in connection.execute(query).fetchall()]
    assert sorted(got) == _sorted_lines(reference_csv(NATIONAL_RULES, data))
    assert [line.split(",")[0] for line in got] == sorted(line.split(",")[0] for line in got)  # areas by name
    chosen = "period,area,rag,change_pct"
    some = [",".join(row) for row in connection.execute(run_sql(NATIONAL_RULES, "duckdb", scale=1,
                                                                columns=chosen)).fetchall()]
    asked = run_evaluate(NATIONAL_RULES, data, output_format="csv", columns=chosen, fast=False)
    assert sorted(some) == _sorted_lines(asked) and asked.startswith(chosen + "\n")
    # One column: each cell as it is ('' when empty); only a CSV file writes a row of one empty cell as '""'.
    (only,) = set(connection.execute(run_sql(NATIONAL_RULES, "duckdb", scale=1, columns="discrepancies")).fetchall())
    assert only == ("",)


@needs_gen
@needs_java
@pytest.mark.slow
def test_the_spark_query_on_local_pyspark_gives_the_reference_assessments(tmp_path):
    from pyspark.sql import SparkSession

    data = generate(tmp_path / "national-S.csv", 350)
    rules = write(tmp_path, "national.rules", NATIONAL_RULES.read_text(encoding="utf-8"))
    query = body(run_sql(rules, "spark", table="observations", scale=1)).rstrip().rstrip(";")
    spark = (SparkSession.builder.master("local[2]").appName("lsprules-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    try:
        frame = spark.read.csv(str(data), header=True, schema="area STRING, indicator STRING, period STRING, "
                                                             "value STRING")
        frame.createOrReplaceTempView("observations")
        got = [",".join(row) for row in spark.sql(query).collect()]
        # and a table with a `level` column (--levels): the LPSA reward key's targets and triggers per area
        lpsa, lpsa_data = ROOT / "rules" / "lpsa.rules", ROOT / "datasets" / "lpsa-2008.csv"
        spark.read.csv(str(lpsa_data), header=True, schema="area STRING, indicator STRING, period STRING, "
                       "value STRING, level STRING").createOrReplaceTempView("lpsa")
        levelled = body(run_sql(lpsa, "spark", table="lpsa", levels=True)).rstrip().rstrip(";")
        got_levels = [",".join(row) for row in spark.sql(levelled).collect()]
    finally:
        spark.stop()
    assert sorted(got) == _sorted_lines(reference_csv(rules, data))
    assert sorted(got_levels) == _sorted_lines(reference_csv(lpsa, lpsa_data))


PLACES_ERROR = "lsprules: a value with more than 1 decimal places (compile the query with a larger --scale): "


@pytest.mark.parametrize("value_type, values, refused", [
    ("VARCHAR", ["1.5", "2.50", "na", "7"], None),  # trailing zeros lose nothing
    ("VARCHAR", ["1.5", "2.25", "3"], "2.25"), ("VARCHAR", ["1.5", "0.000001", "3"], "0.000001"),
    ("DOUBLE", [0.5, 0.00001, 3], "1e-05")])
def test_a_value_with_more_places_than_the_scale_is_an_error_in_the_query_not_a_rounding(value_type, values,
                                                                                         refused):
    import duckdb

    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE observations (area VARCHAR, indicator VARCHAR, period VARCHAR, "
                       f"value {value_type})")
    for year, value in zip((2003, 2004, 2005, 2006), values, strict=False):
        connection.execute("INSERT INTO observations VALUES ('A', 'robbery', ?, ?)", [f"{year}/{year - 1999:02d}",
                                                                                       value])
    query = run_sql(NATIONAL_RULES, "duckdb", scale=1)
    if refused is None:
        robbery = [row for row in connection.execute(query).fetchall() if row[1] == "robbery"]
        assert [row[4:6] for row in robbery] == [("2006/07", "7")]
        return
    with pytest.raises(duckdb.ConversionException, match=re.escape(PLACES_ERROR + refused)):
        connection.execute(query).fetchall()
    assert connection.execute(run_sql(NATIONAL_RULES, "duckdb", scale=6)).fetchall()  # at its scale, it runs


REPEATED_ERROR = "lsprules: a row repeated for one area, indicator and period (the data must have one value for " \
    "each): "


def test_a_row_repeated_for_an_area_indicator_and_period_is_an_error_in_the_query_not_a_pick():
    import duckdb

    connection = duckdb.connect()
    connection.execute("CREATE TABLE observations (area VARCHAR, indicator VARCHAR, period VARCHAR, value VARCHAR)")
    connection.execute("INSERT INTO observations VALUES ('A', 'robbery', '2003/04', '1'), "
                       "('A', 'robbery', '2004/05', '2'), ('B', 'robbery', '2004/05', '2')")
    query = run_sql(NATIONAL_RULES, "duckdb", scale=1)
    assert [row[:2] for row in connection.execute(query).fetchall()][:2] == [("A", "burglary_dwelling"),
                                                                             ("A", "burglary_other")]
    connection.execute("INSERT INTO observations VALUES ('B', 'robbery', '2004/05', '3')")
    with pytest.raises(duckdb.ConversionException, match=re.escape(REPEATED_ERROR + "B, robbery, 2004/05")):
        connection.execute(query).fetchall()
    assert run_sql(NATIONAL_RULES, "duckdb", scale=1, columns="rag").count(REPEATED_ERROR) == 1  # any columns


@needs_java
@pytest.mark.slow
def test_spark_raises_for_a_value_with_more_places_than_the_scale_or_a_repeated_row(tmp_path):
    from pyspark.sql import SparkSession

    rules = write(tmp_path, "national.rules", NATIONAL_RULES.read_text(encoding="utf-8"))
    query = body(run_sql(rules, "spark", table="observations", scale=1)).rstrip().rstrip(";")
    spark = (SparkSession.builder.master("local[1]").appName("lsprules-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1").getOrCreate())
    try:
        spark.createDataFrame([("A", "robbery", "2003/04", "1.5"), ("A", "robbery", "2004/05", "2.25")],
                              "area STRING, indicator STRING, period STRING, value STRING") \
            .createOrReplaceTempView("observations")
        with pytest.raises(Exception, match=re.escape(PLACES_ERROR + "2.25")):
            spark.sql(query).collect()
        spark.createDataFrame([("A", "robbery", "2003/04", "1.5"), ("A", "robbery", "2003/04", "2")],
                              "area STRING, indicator STRING, period STRING, value STRING") \
            .createOrReplaceTempView("observations")
        with pytest.raises(Exception, match=re.escape(REPEATED_ERROR + "A, robbery, 2003/04")):
            spark.sql(query).collect()
    finally:
        spark.stop()


@pytest.mark.parametrize("rules_text, series", [("DIVIDING_RULES", "DIVIDED"), ("EARLIER_RULES", "EARLIER"),
                                                ("ARITHMETIC_RULES", "ARITHMETIC"), ("MEAN_ARROW_RULES", "MEANED"),
                                                ("FIXED_RULES", "EARLIER"), ("TO_DATE_RULES", "TO_DATE_YEARS")])
def test_rule_files_whose_derived_values_divide_or_read_earlier_periods_compile_exactly_for_every_dialect(
        tmp_path, rules_text, series):
    import duckdb

    import test_columnar_differential as cases  # (by name here: it imports this module)
    from test_fastpath_differential import rows

    rules = write(tmp_path, "derived.rules", getattr(cases, rules_text))
    for dialect in DIALECTS:
        text = body(run_sql(rules, dialect))
        assert isinstance(sqlglot.parse_one(text.rstrip().rstrip(";"), read=dialect), sqlglot.exp.Select)
        assert not {"DOUBLE", "FLOAT", "REAL"} & set(re.findall(r"[A-Z]+", text.upper()))
    data = write(tmp_path, "d.csv", rows(getattr(cases, series)))
    connection = duckdb.connect()
    connection.execute("CREATE TABLE observations AS SELECT * FROM read_csv(?, all_varchar = true)", [str(data)])
    got = [",".join(row) for row in connection.execute(run_sql(rules, "duckdb", scale=2)).fetchall()]
    assert sorted(got) == _sorted_lines(reference_csv(rules, data))


def test_rules_reading_fields_compile_for_a_table_with_a_field_column(tmp_path):
    import duckdb

    from test_columnar_differential import FIELD_DATA, FIELD_RULES, field_rows  # (they import this module)

    rules = write(tmp_path, "fields.rules", FIELD_RULES)
    for dialect in DIALECTS:
        text = run_sql(rules, dialect)
        assert "input table observations(area, indicator, field, period, value)" in text.splitlines()[1]
        assert isinstance(sqlglot.parse_one(body(text).rstrip().rstrip(";"), read=dialect), sqlglot.exp.Select)
    data = write(tmp_path, "d.csv", field_rows(FIELD_DATA))  # an empty field cell is read as NULL
    connection = duckdb.connect()
    connection.execute("CREATE TABLE observations AS SELECT * FROM read_csv(?, all_varchar = true)", [str(data)])
    got = [",".join(row) for row in connection.execute(run_sql(rules, "duckdb", scale=2)).fetchall()]
    assert sorted(got) == _sorted_lines(reference_csv(rules, data))
    assert "field" not in run_sql(ROOT / "rules" / "national.rules").splitlines()[1]  # reading none: four columns


def test_rules_the_plan_cannot_express_are_errors_at_their_place():
    result = CliRunner().invoke(app, ["sql", str(ROOT / "rules" / "public-health.rules")])
    assert result.exit_code == 2
    assert "public-health.rules:" in result.stderr and "error[E500]" in result.stderr
    assert "public-health.rules:8:" in result.stderr  # `compare recent trend at 95 %` in the profile
    assert "profile compared_with_england: `compare recent trend at 95 %`" in result.stderr


def test_the_query_reads_comparators_areas_and_refuses_a_table_without_one(tmp_path):
    import duckdb

    from test_columnar_differential import COMPARATOR_DATA, COMPARATOR_RULES  # (it imports this module)

    rules = write(tmp_path, "compared.rules", COMPARATOR_RULES)
    for dialect in DIALECTS:
        assert isinstance(sqlglot.parse_one(body(run_sql(rules, dialect)).rstrip().rstrip(";"), read=dialect),
                          sqlglot.exp.Select)
    assert run_sql(rules).splitlines()[4] == (
        '-- Comparators read the areas "National", "North", "South"; each must be in the table (the query raises an '
        'error naming one that is not); not assessed, what others are measured against: "National".')
    assert not any(line.startswith("-- Comparators") for line in run_sql(NATIONAL_RULES).splitlines())
    data = write(tmp_path, "d.csv", COMPARATOR_DATA)
    connection = duckdb.connect()
    connection.execute("CREATE TABLE observations AS SELECT * FROM read_csv(?, all_varchar = true)", [str(data)])
    query = run_sql(rules, "duckdb", scale=2)
    got = [",".join(cell or "" for cell in row) for row in connection.execute(query).fetchall()]
    assert sorted(got) == _sorted_lines(reference_csv(rules, data))
    connection.execute("DELETE FROM observations WHERE area = 'National'")
    with pytest.raises(duckdb.ConversionException, match="lsprules: an area a comparator names is not in the "
                                                         "table: National"):
        connection.execute(query).fetchall()
