"""Reference levels and targets in the columnar plan: a rule file's `levels { }`, `reaches`, a level in arithmetic
and in a margin, and the levels and targets a dataset gives per area and period (`level` rows, `target from data`),
against the reference interpreter's bytes on DuckDB, polars and Spark (in CSV here; the JSON module collects these
tests again, comparing JSON, and so does the report module, comparing assessments and reports). What the plan does not
read (a level row the reference must report or reads otherwise) goes to the interpreter, with the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

import test_columnar_differential as csv_cases
from fastpath_helpers import ROOT, reference_csv, write
from lsprules.core.diagnostics import InputError
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.engine.columnar.sql_plan import DIALECTS
from lsprules.engine.columnar.support import unsupported
from lsprules.jobs.evaluate import evaluate_job
from lsprules.jobs.sql import run_sql
from lsprules.lang.resolve import load_rules
from test_columnar_differential import LEVEL_HEADER, by_engine, columnar, with_spark
from test_sql_dialects import _sorted_lines, body

LPSA_RULES, LPSA_DATA = ROOT / "rules" / "lpsa.rules", ROOT / "datasets" / "lpsa-2008.csv"

# Every way a rule may read a level, over every polarity; the data's levels win over these where it gives them.
LEVEL_RULES = """profile reward {
  polarity lower_is_better
  levels {
    trigger 110
    stretch 90.5
  }
  target {
    baseline 2004/05
    reduce by 10 % by 2007/08
  }
  rag {
    green when value reaches stretch and target met
    amber when stretch exceeded by more than 2 %
    amber when more than 10 % better than trigger
    amber when value reaches trigger or value <= benchmark * 1.1 - 3
    red when baseline > 1000
    red when value > ceiling
    red otherwise
  }
}
indicator falls "Falls" uses reward
indicator learners "Learners" uses reward {
  polarity higher_is_better
}
indicator weight "Healthy weight (%)" uses reward {
  polarity closer_to 50
}
indicator rate "Rate per head" uses reward {
  value = falls / learners
}
indicator bare "No levels in the rules" {
  polarity lower_is_better
  target from data
  rag {
    amber when value reaches floor
    green when target met
    red when at least 5 short of target
    red otherwise
  }
}
"""


def level_rows(values: dict[tuple[str, str], list[str]], levels: list[tuple[str, str, str, str, str]]) -> str:
    """A CSV of values (2004/05 onwards) and of level rows (area, indicator, period, value, level)."""
    lines = [f"{area},{indicator},{2004 + k}/{(5 + k) % 100:02},{value},\n"
             for (area, indicator), series in values.items() for k, value in enumerate(series)]
    lines += [",".join(row) + "\n" for row in levels]
    return LEVEL_HEADER + "".join(lines)


VALUES = {("A", "falls"): ["100", "95", "99", "89"], ("A", "learners"): ["40", "44", "", "47"],
          ("A", "weight"): ["47", "48", "52", "51.5"], ("A", "bare"): ["10", "9", "8", "7"],
          ("B", "falls"): ["100", "120", "105", "92.3"], ("B", "learners"): ["40", "44", "45", "na"],
          ("B", "weight"): ["47", "48", "52", "55"], ("B", "bare"): ["10", "9", "8", "12"],
          ("C", "falls"): ["1200", "1100", "1050", "1000"], ("C", "learners"): ["1", "2", "3", "4"],
          ("C", "weight"): ["50", "50", "50", "50"], ("C", "bare"): ["", "", "", ""],
          ("E", "falls"): ["100", "99", "98", "97"], ("E", "bare"): ["10", "9", "8", "14"],
          ("F", "falls"): ["100", "105", "108", "115"]}
LEVELS = [("A", "falls", "2007/08", "95", "target"),  # the data's target replaces the rules' (and their baseline)
          ("A", "falls", "2007/08", "92", "trigger"), ("A", "falls", "2006/07", "1", "stretch"),  # not the latest
          ("A", "learners", "2007/08", "46", "stretch"), ("A", "learners", "2007/08", "200", "ceiling"),
          ("A", "weight", "2007/08", "49", "benchmark"), ("A", "bare", "2007/08", "7", "target"),
          ("A", "bare", "2007/08", "5", "floor"), ("E", "bare", "2007/08", "8", "target"),
          ("E", "bare", "2007/08", "10", "floor"), ("E", "falls", "2007/08", "120", "ceiling"),
          ("C", "falls", "2007/08", "990", "ceiling"), ("F", "falls", "2007/08", "100", "ceiling"),
          ("F", "falls", "2007/08", "50", "benchmark"),
          ("A", "rate", "2007/08", "2", "trigger"),  # a derived value's level
          ("B", "falls", "2007/08", "90.3", "stretch"), ("B", "learners", "2006/07", "45", "target"),
          ("B", "bare", "2007/08", "20", "floor"), ("B", "weight", "2007/08", "-3", "ceiling"),
          ("C", "falls", "2007/08", "900.0", "benchmark"), ("C", "falls", "2009/10", "5", "target"),  # no value then
          ("C", "absent", "2007/08", "3", "target"), ("D", "falls", "2007/08", "3", "target")]  # no values at all


@with_spark
def test_the_lpsa_reward_key_runs_in_the_plan(engine):
    text = csv_cases.agree(LPSA_RULES, LPSA_DATA, engine=engine)
    assert ",960,960,amber,false,false,15," in text  # Northtown's burglaries: past the trigger the data gives


@with_spark
def test_levels_of_the_rules_and_of_the_data_in_every_use(tmp_path, engine):
    rules = write(tmp_path, "levels.rules", LEVEL_RULES)
    assert not unsupported(load_rules(rules))
    text = csv_cases.agree(rules, write(tmp_path, "levels.csv", level_rows(VALUES, LEVELS)), engine=engine)
    by_key = {tuple(line.split(",")[:2]): line.split(",") for line in text.splitlines()[1:]}
    assert by_key["A", "falls"][11:14] == ["95", "95", "green"]  # the data's target, over the rules' 90
    assert by_key["E", "falls"][11:14] == ["90", "90", "amber"]  # the rules' target where the data gives none
    assert by_key["B", "bare"][11:14] == ["", "", "amber"]  # no target; the floor the data gives is reached
    lines = {row[16] for row in by_key.values()}
    assert {"12", "14", "15", "16", "17", "35", "36", "37"} <= lines  # every clause decides somewhere
    assert "na" in {row[13] for row in by_key.values() if row[4]}  # and a level neither gives leaves one n/a


@by_engine
def test_levels_of_chosen_areas_and_at_a_period(tmp_path, engine):
    rules = write(tmp_path, "levels.rules", LEVEL_RULES)
    data = write(tmp_path, "levels.csv", level_rows(VALUES, LEVELS))
    csv_cases.agree(rules, data, areas=["B", "D"], engine=engine)  # D: an area of level rows only
    csv_cases.agree(rules, data, period="2006/07", engine=engine)
    # The reference knows a dataset's periods by its values (2009/10 is only a target's): it says so.
    assert isinstance(columnar(rules, data, period="2009/10", engine=engine), Fallback)
    assert outcome(rules, data, engine, "2009/10") == outcome(rules, data, "interpreter", "2009/10")


@by_engine
def test_levels_of_monthly_data_past_the_periods_picked_by_column(tmp_path, engine):
    """Over sql_plan.BY_PERIOD periods each series' latest value is ranked, not picked by column: its period is the
    one the levels are read at too."""
    rules = write(tmp_path, "levels.rules", LEVEL_RULES)
    months = [f"{year}-{month:02}" for year in (2006, 2007) for month in range(1, 13)]
    values = [f"{area},falls,{month},{100 - k + 7 * (k % 3) * n}," for n, area in enumerate("AB")
              for k, month in enumerate(months) if (area, month) != ("B", "2007-12")]
    levels = ["A,falls,2007-12,90,target", "A,falls,2007-12,80,trigger", "A,falls,2007-11,1,stretch",
              "B,falls,2007-11,110,target", "B,falls,2007-12,1,target"]  # B's latest value is of 2007-11
    text = csv_cases.agree(rules, write(tmp_path, "months.csv", LEVEL_HEADER + "\n".join(values + levels) + "\n"),
                 engine=engine)
    assert ",110,110," in text and ",90,90," in text


@by_engine
def test_rules_with_levels_on_data_without_level_rows(tmp_path, engine):
    rules = write(tmp_path, "levels.rules", LEVEL_RULES)
    values = level_rows(VALUES, []).replace(",\n", "\n").replace(",level\n", "\n")
    csv_cases.agree(rules, write(tmp_path, "values.csv", values), engine=engine)


@pytest.mark.parametrize("row, why", [
    ("A,falls,2007/08,,trigger", "a level without a number"),
    ("A,falls,2007/08,na,trigger", "a missing word for a level"),
    ("A,falls,2007/08,abc,trigger", "text for a level"),
    ("A,falls,2007/08,5,Trigger", "a level the reference reads in lower case"),
    ("A,falls,2007/08,5, trigger", "a level the reference reads without its spaces"),
    ("A,falls,2007/08,5,bonus", "a level the reference reports"),
    ("A,falls,2007/08,92,trigger", "a level row repeated with the same number"),
    ("A,falls,2007/08,93,trigger", "a level row repeated with another number"),
    ("A,falls^trigger,2007/08,5,", "an indicator cell holding the mark of a level's key"),
])
@by_engine
def test_a_level_row_the_reference_reads_otherwise_or_reports_goes_to_it(tmp_path, row, why, engine):
    rules = write(tmp_path, "levels.rules", LEVEL_RULES)
    data = write(tmp_path, "levels.csv", level_rows(VALUES, LEVELS) + row + "\n")
    assert isinstance(columnar(rules, data, engine=engine), Fallback), why
    assert outcome(rules, data, engine) == outcome(rules, data, "interpreter")


def outcome(rules: Path, data: Path, engine: str, period: str | None = None) -> object:
    """The CSV a job prints, or the problems it reports."""
    try:
        return evaluate_job(rules, data, output_format="csv", engine=engine, period=period).text
    except InputError as error:
        return [d.message for d in error.diagnostics]


@by_engine
def test_a_level_row_naming_a_field_too_goes_to_the_interpreter(tmp_path, engine):
    rules = write(tmp_path, "levels.rules", LEVEL_RULES)
    data = write(tmp_path, "levels.csv", "area,indicator,field,period,value,level\nA,falls,,2007/08,5,\n"
                                         "A,falls,count,2007/08,5,trigger\n")
    assert isinstance(columnar(rules, data, engine=engine), Fallback)


@by_engine
def test_reports_and_diffs_of_levels_come_from_the_plan(tmp_path, engine):
    """Every report lists the levels known at the latest value's period, and draws no path of the rules' target
    where the data gives the target: from the plan, with no note, in the interpreter's bytes; a diff of a rule
    change's impact on data with levels is replayed by the plan too."""
    from lsprules.jobs.diff import run_diff
    from lsprules.render.diff_report import render_diff_json, render_diff_text

    rules = write(tmp_path, "levels.rules", LEVEL_RULES)
    data = write(tmp_path, "levels.csv", level_rows(VALUES, LEVELS))
    for output in ("markdown", "html", "table"):
        job = evaluate_job(rules, data, output_format=output, engine=engine)
        assert job.text == evaluate_job(rules, data, output_format=output, engine="interpreter").text
        assert job.notes == ()
    markdown = evaluate_job(rules, data, output_format="markdown", engine=engine).text
    assert "levels: trigger 92, stretch 90.5" in markdown  # A's falls: the data's trigger, the rules' stretch
    assert "levels: trigger 110, stretch 46, ceiling 200" in markdown  # in the language's order
    assert "there is no benchmark level for 2006/07 (neither the rules nor the data give one)" in markdown
    new = write(tmp_path, "new.rules", LEVEL_RULES.replace("trigger 110", "trigger 100").replace(
        "reduce by 10 %", "reduce by 5 %"))
    diffs = [run_diff([str(rules), str(new)], data=[data], engine=name) for name in (engine, "interpreter")]
    assert diffs[0].notes == ()
    assert [render(diffs[0]) for render in (render_diff_text, render_diff_json)] == \
        [render(diffs[1]) for render in (render_diff_text, render_diff_json)]
    assert "RAG" in render_diff_text(diffs[1])  # the new trigger changes a rating


def sql_rows(rules: Path, data: Path, levels: bool) -> list[str]:
    """The lines `lsprules sql` gives in DuckDB over the dataset as its table, sorted."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("CREATE TABLE observations AS SELECT * FROM read_csv(?, all_varchar = true)", [str(data)])
    return sorted(",".join(row) for row in connection.execute(run_sql(rules, "duckdb", levels=levels)).fetchall())


def test_lsprules_sql_compiles_the_rule_files_levels_and_with_levels_reads_the_tables(tmp_path):
    """Without --levels the query reads the rule file's levels (a target from the data is E500, with a hint); with
    it, the table's `level` rows, as `lsprules evaluate` reads them."""
    rules = write(tmp_path, "levels.rules", LEVEL_RULES.replace("  target from data\n", ""))
    for dialect in DIALECTS:
        for levels in (False, True):
            assert isinstance(sqlglot.parse_one(body(run_sql(rules, dialect, levels=levels)).rstrip().rstrip(";"),
                                                read=dialect), sqlglot.exp.Select)
    values = level_rows(VALUES, []).replace(",\n", "\n").replace(",level\n", "\n")
    assert sql_rows(rules, write(tmp_path, "values.csv", values), False) == \
        _sorted_lines(reference_csv(rules, tmp_path / "values.csv"))
    with pytest.raises(InputError) as refused:
        run_sql(write(tmp_path, "from-data.rules", LEVEL_RULES), "duckdb")
    (diagnostic,) = refused.value.diagnostics
    assert diagnostic.code == "E500" and "indicator bare: `target from data`" in diagnostic.message
    assert "with --levels" in diagnostic.hint
    for rules, data in ((tmp_path / "from-data.rules", write(tmp_path, "levels.csv", level_rows(VALUES, LEVELS))),
                        (LPSA_RULES, LPSA_DATA)):
        assert sql_rows(rules, data, True) == _sorted_lines(reference_csv(rules, data))
    assert "table observations(area, indicator, period, value, level)" in run_sql(LPSA_RULES, levels=True)


def test_with_levels_the_query_reads_a_level_as_the_reference_does_or_stops(tmp_path):
    """A level written `Trigger` or ` trigger ` is the trigger, as the reference reader reads it; a level row the
    reference refuses stops the query with an error naming it, rather than changing its answer silently."""
    import duckdb

    rules = write(tmp_path, "levels.rules", LEVEL_RULES)
    spelt = [row if row[4] != "trigger" else (*row[:4], " Trigger ") for row in LEVELS]
    data = write(tmp_path, "spelt.csv", level_rows(VALUES, spelt))
    assert sql_rows(rules, data, True) == _sorted_lines(reference_csv(rules, write(
        tmp_path, "levels.csv", level_rows(VALUES, LEVELS))))
    blank = write(tmp_path, "blank.csv", level_rows(VALUES, LEVELS) + "E,falls,2008/09,96,  \n")  # a value row
    assert sql_rows(rules, blank, True) == _sorted_lines(reference_csv(rules, blank))
    assert any(line.startswith("E,falls,Falls,,2008/09,96,") for line in sql_rows(rules, blank, True))
    for row, named in (("A,falls,2007/08,,trigger", "A, falls, 2007/08: trigger"),
                       ("A,falls,2007/08,na,stretch", "A, falls, 2007/08: stretch"),
                       ("A,falls,2007/08,5,bonus", "A, falls, 2007/08: bonus")):
        bad = write(tmp_path, "bad.csv", level_rows(VALUES, LEVELS) + row + "\n")
        with pytest.raises(duckdb.Error, match=f"a level row without a number, .*: {named}"):
            sql_rows(rules, bad, True)
        with pytest.raises(InputError):  # and the reference reader reports it
            reference_csv(rules, bad)
