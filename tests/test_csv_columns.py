"""`evaluate --format csv --columns NAMES`: only the CSV report's columns named, in their order, from every engine.

Each engine's output is checked against the reference interpreter's whole CSV report, projected here with the csv
module (so quoting, order and every cell are compared); bad lists are refused with E003 before anything is read.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fastpath_helpers import NATIONAL_RULES, ROOT, find_gen, generate, reference_csv, write
from lsprules.cli.app import app
from lsprules.core.csv_cells import COLUMNS, chosen_columns
from lsprules.core.diagnostics import InputError
from lsprules.engine.columnar import polars_run
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.jobs.evaluate import evaluate_job
from lsprules.lang.resolve import load_rules
from test_fastpath_differential import HEADER
from test_sql_dialects import needs_java

WORK = "area,indicator,period,value,change_pct,arrow,trajectory,rag"  # ../shared/bench/WORK.md's output
ENGINES = ["auto", "interpreter", "duckdb", "polars", pytest.param("spark", marks=needs_java)]
needs_gen = pytest.mark.skipif(find_gen() is None, reason="shared/bench/gen.py is not beside the checkout")


def projected(text: str, names: tuple[str, ...]) -> str:
    """The CSV text's columns `names`, in that order, written as the csv module writes them."""
    rows = list(csv.reader(io.StringIO(text)))
    places = [rows[0].index(name) for name in names]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([row[p] for p in places] for row in rows)
    return out.getvalue()


def chosen(rules: Path, data: Path, listed: str, engine: str) -> str:
    """The CSV report of `--columns listed`, asserting that the engine asked for ran (no note)."""
    result = evaluate_job(rules, data, output_format="csv", engine=engine, columns=listed)
    assert result.notes == (), result.notes
    return result.text


# --- the names ----------------------------------------------------------------------------------------------


def test_names_are_read_in_order_with_spaces_around_them_dropped():
    assert chosen_columns(" rag , area,value") == ("rag", "area", "value")
    assert chosen_columns(",".join(COLUMNS)) == COLUMNS


@pytest.mark.parametrize(("listed", "message", "hint"), [
    ("area,valeu", "the CSV report has no column 'valeu'", "did you mean 'value'?"),
    ("area,colour", "the CSV report has no column 'colour'", "its columns are: area, indicator, title"),
    ("area indicator,rag", "no column 'area indicator'", "separate the names with commas"),
    ("area,,rag", "--columns 'area,,rag': an empty column name", "name the columns between commas"),
    ("", "an empty column name", "e.g. --columns area,indicator,value,rag"),
    ("area,rag,area", "'area' is named twice", "name each column once"),
])
def test_a_bad_list_is_refused_with_what_is_wrong_and_how_to_fix_it(listed, message, hint):
    with pytest.raises(InputError) as caught:
        chosen_columns(listed)
    (found,) = caught.value.diagnostics
    assert found.code == "E003" and message in found.message and found.hint is not None and hint in found.hint


@pytest.mark.parametrize(("args", "other", "hint"), [
    (["--format", "json"], "json", "use it with --format csv"),
    (["--format", "markdown"], "markdown", "use it with --format csv"),
    (["--format", "csv", "--view", "areas"], "--view areas", "leave out --columns (or leave out --view areas"),
    (["--format", "html", "--pages", "-o", "{out}"], "--pages", "leave out --columns (or leave out --pages"),
])
def test_formats_without_csv_columns_refuse_the_option_before_reading(tmp_path, args, other, hint):
    data = write(tmp_path, "d.csv", HEADER + "X,robbery,2006/07,5\n")
    command = ["evaluate", str(NATIONAL_RULES), str(data), "--columns", "area,rag",
               *(a.format(out=tmp_path / "pages") for a in args)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"error[E003]: --columns chooses the columns of the CSV report, not of {other}\n" in result.stderr
    assert f" = help: {hint}" in result.stderr
    assert not (tmp_path / "pages").exists()


def test_the_option_repeated_adds_its_names_in_order(tmp_path):
    data = write(tmp_path, "d.csv", HEADER + "X,robbery,2005/06,5\nX,robbery,2006/07,4\n")
    runner = CliRunner()
    repeated = runner.invoke(app, ["evaluate", str(NATIONAL_RULES), str(data), "-f", "csv", "--columns", "rag",
                                   "--columns", "area,arrow"])
    assert repeated.exit_code == 0 and repeated.stdout.startswith("rag,area,arrow\n")
    twice = runner.invoke(app, ["evaluate", str(NATIONAL_RULES), str(data), "-f", "csv", "--columns", "rag",
                                "--columns", "rag"])
    assert twice.exit_code == 2 and "'rag' is named twice" in twice.stderr


def test_the_command_line_writes_the_columns_asked_for(tmp_path):
    rules, data, out = ROOT / "rules" / "crime.rules", ROOT / "datasets" / "redcar-cleveland-2007.yaml", tmp_path / "o"
    result = CliRunner().invoke(app, ["evaluate", str(rules), str(data), "-f", "csv", "--columns",
                                      "rag, indicator,arrow", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0 and result.stderr == ""
    expected = projected(reference_csv(rules, data), ("rag", "indicator", "arrow"))
    assert out.read_text(encoding="utf-8") == expected and expected.startswith("rag,indicator,arrow\n")


# --- every engine -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_writes_the_reference_s_cells_of_the_columns_asked_for(tmp_path, engine):
    rules = write(tmp_path, "q.rules", 'indicator x "Title, with \\"quotes\\"" { polarity lower_is_better }\n'
                                       'group g "G" { indicator y "=1+1" { polarity higher_is_better } }\n')
    data = write(tmp_path, "d.csv", HEADER + "@area,x,2005/06,2\n@area,x,2006/07,1\n+plus,y,2006/07,2.5\n"
                                             "+plus,x,2006/07,\n")
    names = ("title", "rag", "area", "value", "discrepancies", "group", "change_pct", "target_met", "rule_line")
    text = chosen(rules, data, ",".join(names), engine)
    assert text == projected(reference_csv(rules, data), names)
    assert '"Title, with ""quotes"""' in text and "'=1+1" in text and "'@area" in text
    # A row of one empty cell is written '""', as the csv module writes it: an empty line would be no row at all.
    only = chosen(rules, data, "group", engine)
    assert only == projected(reference_csv(rules, data), ("group",)) and only.count('\n""\n') == 2


@needs_gen
@pytest.mark.parametrize("engine", ENGINES)
def test_the_benchmark_s_columns_on_generated_national_data(tmp_path, engine):
    data = generate(tmp_path / "national.csv", 120)
    text = chosen(NATIONAL_RULES, data, WORK, engine)
    assert text == projected(reference_csv(NATIONAL_RULES, data), tuple(WORK.split(",")))
    assert text.count("\n") == 120 * 12 + 1


def test_auto_on_a_small_file_leaves_the_fast_path_which_writes_every_column(tmp_path, monkeypatch):
    from lsprules.engine import compiled

    data = write(tmp_path, "d.csv", HEADER + "X,robbery,2005/06,5\nX,robbery,2006/07,4\n")
    calls = []
    original = compiled.fast_csv
    monkeypatch.setattr(compiled, "fast_csv", lambda *a, **k: calls.append(1) or original(*a, **k))
    whole = evaluate_job(NATIONAL_RULES, data, output_format="csv").text
    assert calls == [1]
    assert chosen(NATIONAL_RULES, data, "arrow,area", "auto") == projected(whole, ("arrow", "area"))
    assert calls == [1]  # not run again for the chosen columns: on a file this small the interpreter wrote them


def test_the_plan_computes_only_the_numbers_of_the_columns_asked_for(tmp_path):
    from lsprules.engine.columnar.sql_plan import PlanOptions, compile_plan

    rules = load_rules(NATIONAL_RULES)
    whole = compile_plan(rules, PlanOptions()).sql(dialect="duckdb")
    some = compile_plan(rules, PlanOptions(columns=("area", "value", "rag"))).sql(dialect="duckdb")
    assert "change_pct_q" in whole and "target_q" in whole
    assert "change_pct" not in some and "target_n" not in some and "value_q" in some


def test_a_file_that_changes_while_polars_reads_it_goes_to_the_reference(tmp_path, monkeypatch):
    data = write(tmp_path, "d.csv", HEADER + "X,robbery,2006/07,5\n")
    versions = iter([(1, 1), (1, 2)])
    monkeypatch.setattr(polars_run, "_version", lambda path: next(versions))
    assert polars_run.evaluate_csv(load_rules(NATIONAL_RULES), data) == Fallback("the file changed while it was read")


# --- any columns, any order ---------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=len(COLUMNS), unique=True),
       engine=st.sampled_from(["duckdb", "polars", "interpreter"]))
def test_any_columns_in_any_order_are_the_reference_s_projection(tmp_path_factory, names, engine):
    folder = tmp_path_factory.mktemp("columns")
    data = write(folder, "d.csv", HEADER + "A,robbery,2004/05,10\nA,robbery,2005/06,8\nA,robbery,2006/07,8.1\n"
                                           "B,detection_rate_pct,2003/04,40\nB,detection_rate_pct,2007/08,44\n"
                                           "B,robbery,2007/08,\n")
    text = chosen(NATIONAL_RULES, data, ",".join(names), engine)
    assert text == projected(reference_csv(NATIONAL_RULES, data), tuple(names))
