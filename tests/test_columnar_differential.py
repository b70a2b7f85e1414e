"""The columnar engine (one SQL plan, run in DuckDB, in polars and on Spark) against the reference interpreter: the
same bytes on generated national data, hand-made exact ties, random rules and data; explicit fall-backs for what its
plan cannot express yet. Every case runs through DuckDB and polars; all but the random and the medium ones on a local
Spark too (each Spark query takes seconds)."""

from __future__ import annotations

import csv
import io
import random
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpath_helpers import NATIONAL_RULES, ROOT, find_gen, generate, reference_csv, write
from lsprules.core.diagnostics import InputError
from lsprules.data.model import DATA_LEVELS
from lsprules.engine.columnar import duck, polars_run, spark_run
from lsprules.engine.columnar.derived import off_scale
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.engine.columnar.support import unsupported
from lsprules.jobs.evaluate import FORMATS, evaluate_job, run_evaluate
from lsprules.jobs.sql import run_sql
from lsprules.lang.resolve import load_rules
from test_fastpath_differential import HEADER, POLARITY, YEARS, quarterly_visits, rows
from test_sql_dialects import needs_java

FIELD_HEADER = "area,indicator,field,period,value\n"
LEVEL_HEADER = "area,indicator,period,value,level\n"
needs_gen = pytest.mark.skipif(find_gen() is None, reason="shared/bench/gen.py is not beside the checkout")
RUNNERS = {"duckdb": duck.evaluate_csv, "polars": polars_run.evaluate_csv, "spark": spark_run.evaluate_csv}
by_engine = pytest.mark.parametrize("engine", ["duckdb", "polars"])
with_spark = pytest.mark.parametrize("engine", ["duckdb", "polars", pytest.param("spark", marks=needs_java)])


def columnar(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None,
             engine: str = "duckdb") -> str | Fallback:
    """The columnar engine's CSV text, or why it stepped aside."""
    found = RUNNERS[engine](load_rules(rules), data, period=period, areas=areas)
    return found if isinstance(found, Fallback) else "".join(found)


TOO_LARGE = "a number is too large for exact integer arithmetic"
POLARS_BOUND = f"{TOO_LARGE} in polars (38 digits)"


def off_scale_somewhere(rules: Path) -> bool:
    """Whether a derived value of the rules is off the data's scale (a division...)."""
    loaded = load_rules(rules)
    return any(off_scale(loaded, spec.value.expr, spec.fields) for spec in loaded.indicators.values()
               if spec.value is not None)


def agree(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None,
          engine: str = "duckdb") -> str:
    """Assert that the columnar engine ran and gave the reference interpreter's bytes; return them."""
    expected = reference_csv(rules, data, period, areas)
    if engine != "spark":  # a Spark query takes seconds: the job's run below shows that it ran (no note) and agreed
        got = columnar(rules, data, period, areas, engine)
        assert not isinstance(got, Fallback), got
        assert got == expected
    via_job = evaluate_job(rules, data, period=period, output_format="csv", areas=areas, engine=engine)
    assert via_job.text == expected and via_job.notes == ()
    return expected


# --- generated national data (gen.py) ---------------------------------------------------------------


@needs_gen
@with_spark
def test_generated_small_national_dataset_agrees(tmp_path, engine):
    text = agree(NATIONAL_RULES, generate(tmp_path / "national-S.csv", 350), engine=engine)
    lines = text.splitlines()[1:]
    assert len(lines) == 350 * 12
    assert {line.split(",")[10] for line in lines} == {"up", "static", "down", "na"}
    assert {line.split(",")[13] for line in lines} == {"green", "amber", "red", "na"}


@needs_gen
@pytest.mark.slow
@by_engine
def test_generated_medium_national_dataset_agrees(tmp_path, engine):
    agree(NATIONAL_RULES, generate(tmp_path / "national-M.csv", 3500), engine=engine)


@needs_gen
@with_spark
def test_any_row_order_a_period_and_chosen_areas_agree(tmp_path, engine):
    data = generate(tmp_path / "national.csv", 40)
    header, *body = data.read_text(encoding="utf-8").splitlines(keepends=True)
    random.Random(11).shuffle(body)
    agree(NATIONAL_RULES, write(tmp_path, "shuffled.csv", header + "".join(body)), engine=engine)
    agree(NATIONAL_RULES, data, period="2005/06", areas=["E01000003", "E01000001"], engine=engine)
    agree(NATIONAL_RULES, data, areas=[], engine=engine)


# --- hand-made: exact ties, gaps, zeros, cells that need quoting --------------------------------------


@with_spark
def test_exact_ties_gaps_and_zeros(tmp_path, engine):
    series = {
        ("tie_up", "detection_rate_pct"): ["50.0", "55", "57", "60.0", "60.9"],  # +1.5 % exactly: not static
        ("tie_static", "detection_rate_pct"): ["50.0", "55", "57", "60.0", "60.8"],
        ("tie_down", "detection_rate_pct"): ["50.0", "55", "57", "60.0", "59.1"],  # -1.5 % exactly: down
        ("on_path", "robbery"): ["100", "96", "91.25"],  # exactly the trajectory value for 2005/06: green
        ("off_path", "robbery"): ["100", "96", "91.26"],
        ("on_path", "public_confidence_pct"): ["50.0", "51", "52", "53.75"],  # 50 + 5 x 3/4
        ("zero_previous", "arson"): ["1", "2", "1", "0", "3"],  # no arrow (0 before): red, not n/a
        ("zero_previous", "robbery"): ["4", "2", "1", "0", "0"],
        ("no_baseline", "robbery"): ["", "5", "6", "7", "8"],  # RAG n/a without a baseline value
        ("baseline_only", "robbery"): ["5", "", "na", "suppressed", "N/A"],  # latest is the baseline
        ("all_missing", "robbery"): ["", "", "", "", ""],
        ("gaps", "burglary_dwelling"): ["10", "", "9", "", ""],  # previous available value skips gaps
        ("negative", "criminal_damage"): ["-4", "-2", "-3", "-3.5", "-2"],
        ("thirds", "arson"): ["3", "3", "3", "3", "1"],  # -66.666667 %: rounded half away from zero
        ("tiny", "arson"): ["0.0000004", "0.0000001", "0.0000001", "0.0000001", "0.0000003"],  # rounds to 0
        ("other", "not_in_the_rules"): ["1", "2", "3", "4", "5"],
        ("=HYPERLINK(1)", "robbery"): ["1", "2", "3", "4", "5"],  # formula-looking area: quoted with '
        ("-minus", "robbery"): ["1", "2", "3", "4", "5"],
        ("Ynys Môn", "robbery"): ["1", "2", "3", "4", "5"],
    }
    text = agree(NATIONAL_RULES, write(tmp_path, "ties.csv", rows(series)), engine=engine)
    by_key = {tuple(line.split(",")[:2]): line.split(",") for line in text.splitlines()[1:]}
    assert by_key["tie_up", "detection_rate_pct"][9:11] == ["1.5", "up"]
    assert by_key["tie_static", "detection_rate_pct"][10] == "static"
    assert by_key["tie_down", "detection_rate_pct"][9:11] == ["-1.5", "down"]
    assert by_key["on_path", "robbery"][12:16] == ["91.25", "green", "false", "true"]
    assert by_key["off_path", "robbery"][13] != "green"
    assert by_key["thirds", "arson"][9] == "-66.666667"
    assert by_key["'=HYPERLINK(1)", "robbery"][4] == "2007/08"


@with_spark
def test_text_cells_are_quoted_as_the_csv_module_quotes_them(tmp_path, engine):
    rules = write(tmp_path, "q.rules", 'indicator x "Title, with \\"quotes\\"" { polarity lower_is_better }\n'
                                       'group g "G" { indicator y "=1+1" { polarity higher_is_better } }\n')
    data = write(tmp_path, "d.csv", HEADER + "@area,x,2006/07,1\n+plus,y,2006/07,2\n")
    text = agree(rules, data, engine=engine)
    assert '"Title, with ""quotes"""' in text and "'=1+1" in text and "'@area" in text


@with_spark
def test_quarters_compared_with_the_same_quarter_a_year_earlier(tmp_path, engine):
    rng = random.Random(5)
    rules, text = quarterly_visits(tmp_path, rng)
    agree(rules, write(tmp_path, "q.csv", text), engine=engine)
    months = HEADER + "".join(f"A{a},visits,2006-{m:02},{rng.choice(['', '1', '2.5'])}\n"
                              for m in range(1, 13) for a in range(5))
    agree(rules, write(tmp_path, "m.csv", months), engine=engine)


@with_spark
def test_a_year_earlier_empty_or_absent_is_said_as_the_interpreter_says_it(tmp_path, engine):
    """`compare latest with same period last year` with nothing a year earlier: suppressed, n/a, no row at all (the
    JSON and the reports say which, cases re-collected there)."""
    rules = write(tmp_path, "r.rules", "indicator visits {\n polarity higher_is_better\n arrow {\n"
                  "  compare latest with same period last year\n }\n}\n"
                  "indicator calls {\n polarity lower_is_better\n}\n")
    series = {"suppressed": ["SUPPRESSED", "4"], "na": ["N/A", "5"], "blank": ["", "6"], "absent": [None, "7"],
              "both": ["3", "8"], "earlier": ["3", None]}
    lines = [f"{area},{indicator},{quarter},{value}\n" for area, values in series.items()
             for indicator in ("visits", "calls") for quarter, value in zip(("2006-Q3", "2007-Q3"), values, strict=True)
             if value is not None]
    data = write(tmp_path, "d.csv", HEADER + "".join(lines) + "both,visits,2007-Q2,9\n")
    for period in (None, "2007-Q2"):
        agree(rules, data, period=period, engine=engine)


ANNUAL = """indicator helped {
 polarity higher_is_better
 target {
  annual 1200 in 2007/08 profiled by 20 %, 25 %, 25 %, 30 % cumulative
 }
 rag {
  green when target met
  amber when within 10 % of target
  red otherwise
 }
}
indicator burglaries {
 polarity lower_is_better
 target {
  annual 400.5 in 2007 profiled evenly
 }
 rag {
  green when target met
  red when has target
 }
}
indicator wrong_shares {
 polarity lower_is_better
 target {
  annual 90 in 2007/08 profiled by 5 %, 5 %, 10 %, 10 %, 10 %, 10 %, 10 %, 10 %, 10 %, 10 %, 5 %, 5 %
 }
 rag {
  green when target met
  red when no target
 }
}
indicator from_baseline {
 polarity higher_is_better
 target {
  baseline QUARTER
  annual 99999999999 in 2007/08 profiled by 10 %, 20 %, 30 %, 40 %
 }
 rag {
  green when more than 5 % better than target
  amber when target met
  red otherwise
 }
}
"""


@with_spark
@pytest.mark.parametrize("kind", ["financial_quarter", "quarter", "month", "financial_year"])
def test_annual_targets_profiled_over_the_year(tmp_path, engine, kind):
    """Each part of the year's target, or its total to date; a period outside the year, shares that do not fit the
    data's periods, a baseline that must have a value, a target too big for 64 bits: as the interpreter judges."""
    periods = {"financial_quarter": [f"{y}/{(y + 1) % 100:02}-Q{q}" for y in (2006, 2007, 2008) for q in (1, 2, 3, 4)],
               "quarter": [f"{y}-Q{q}" for y in (2006, 2007, 2008) for q in (1, 2, 3, 4)],
               "month": [f"{y}-{m:02}" for y in (2007, 2008) for m in range(1, 13)],
               "financial_year": YEARS}[kind]
    rules = write(tmp_path, "r.rules", ANNUAL.replace("QUARTER", periods[2]))
    rng = random.Random(7)
    values = ["", "na", "100", "240", "239.9", "540", "600", "900", "1200", "1320", "1321", "100.125", "200.25",
              "10000000000", "49999999999.5"]
    lines = [f"A{a},{i},{p},{rng.choice(values)}\n" for a in range(12) for i in ("helped", "burglaries",
             "wrong_shares", "from_baseline") for p in periods if rng.random() < 0.8]
    data = write(tmp_path, "d.csv", HEADER + "".join(lines))
    assert unsupported(load_rules(rules)) == []
    for period in (None, periods[len(periods) // 2], periods[-1]):
        agree(rules, data, period=period, engine=engine)


PROFILED = """indicator referrals {
 polarity higher_is_better
 target {
  12 in PERIOD1
  25 in PERIOD3
  37.5 in PERIOD5
  50 in PERIOD6
 }
 rag {
  green when target met
  amber when within 10 % of target
  red when has target
 }
}
indicator from_baseline {
 polarity lower_is_better
 decimals 2
 target {
  baseline PERIOD2
  80 in PERIOD2
  40 in PERIOD5
  99999999999.5 in PERIOD8
 }
 rag {
  green when on trajectory
  amber when up to 5 % short of target
  red otherwise
 }
}
indicator twice "The same period twice, and a period of another kind" {
 polarity higher_is_better
 target {
  30 in PERIOD4
  10 in PERIOD4
  20 in 2001
  60 in PERIOD7
 }
 rag {
  green when value >= target
  red when no target
 }
}
"""


@with_spark
@pytest.mark.parametrize("kind", ["financial_quarter", "financial_year"])
def test_targets_profiled_by_period(tmp_path, engine, kind):
    """The value given for the latest value's period, the straight line between the given periods around it (the
    baseline's value in the data one of them), the last after them, none before; a period given twice, one of
    another kind: as the interpreter judges, at every period assessed."""
    periods = {"financial_quarter": [f"{y}/{(y + 1) % 100:02}-Q{q}" for y in (2006, 2007) for q in (1, 2, 3, 4)],
               "financial_year": YEARS + ["2008/09", "2009/10", "2010/11"]}[kind]
    text = PROFILED
    for k in range(8, 0, -1):
        text = text.replace(f"PERIOD{k}", periods[k - 1])
    rules = write(tmp_path, "r.rules", text)
    rng = random.Random(11)
    values = ["", "na", "10", "12", "24.5", "30", "37.5", "41", "80", "100.25", "10000000000"]
    lines = [f"A{a},{i},{p},{rng.choice(values)}\n" for a in range(14) for i in ("referrals", "from_baseline",
             "twice") for p in periods if rng.random() < 0.7]
    data = write(tmp_path, "d.csv", HEADER + "".join(lines))
    assert unsupported(load_rules(rules)) == []
    for period in (None, periods[0], periods[2], periods[3], periods[5]):
        agree(rules, data, period=period, engine=engine)


ARITHMETIC_RULES = """indicator visits {
 polarity higher_is_better
 target 40
 rag {
  green when value / previous >= 1.1
  amber when max(value, previous, target) == value or min(value / 4, target / (previous - 30)) > 5
  red when mean(value, previous) / (value - previous) < -3
  amber otherwise
 }
}
indicator waits {
 polarity lower_is_better
 rag {
  green when sum(value, 0.5, -previous) / 3 <= 0
  red when value / 0 > 1
 }
}
"""


ARITHMETIC = {("A", "visits"): ["30", "33"], ("B", "visits"): ["30", "32.9"], ("C", "visits"): ["31", "30"],
              ("D", "visits"): ["30", "40"], ("E", "visits"): ["-8", "-1"], ("F", "visits"): ["", "12"],
              ("G", "visits"): ["20", "20"], ("H", "visits"): ["50", "4"], ("A", "waits"): ["3", "2.5"],
              ("B", "waits"): ["3", "4"], ("C", "waits"): ["na", "1"], ("D", "waits"): ["1", "1.5"]}


@with_spark
def test_division_and_functions_in_rag_conditions(tmp_path, engine):
    """`/` and sum/min/max/mean in conditions, exactly: a divisor of 0 (a value, or the rule's), negative divisors,
    ties between arguments, unknown arguments; the reason the interpreter gives for an undecided clause."""
    rules = write(tmp_path, "r.rules", ARITHMETIC_RULES)
    assert unsupported(load_rules(rules)) == []
    text = agree(rules, write(tmp_path, "d.csv", rows(ARITHMETIC)), engine=engine)
    rag = {tuple(row[:2]): row[13] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert rag["A", "visits"] == "green" and rag["A", "waits"] == "green"  # 33 / 30 = 1.1; (2.5 + .5 - 3) / 3 = 0
    assert rag["B", "visits"] == "na" and rag["B", "waits"] == "na"  # 40 / (30 - 30); (4 + .5 - 3) / 3 > 0, 4 / 0


MEAN_ARROW_RULES = """indicator visits {
 polarity higher_is_better
 arrow {
  compare latest with mean of previous 3
  static within 2 %
 }
 target 40
 rag {
  green when arrow is up and target met
  amber when arrow is static or previous > value
  red otherwise
 }
}
indicator waits {
 polarity lower_is_better
 decimals 1
 arrow {
  compare latest with mean of previous 2
  peak at 5
 }
 rag {
  green when change < -1 / 3
  red when arrow is na
 }
}
indicator calls "More values asked for than the data's periods" {
 polarity lower_is_better
 arrow {
  compare latest with mean of previous 9
 }
}
indicator both "A derived value on the data's scale" {
 polarity lower_is_better
 value = visits + waits * 2
 arrow {
  compare latest with mean of previous 2
 }
}
"""


MEANED = {("T", "visits"): ["10", "20", "31", "22"], ("Z", "visits"): ["0", "0", "0", "5"],
          ("T", "waits"): ["4", "", "6.5", "7", "5"], ("Z", "waits"): ["1", "2"], ("T", "calls"): ["1", "2", "3"]}


@with_spark
def test_arrows_against_the_mean_of_previous_values(tmp_path, engine):
    """`compare latest with mean of previous N`: the mean of the N known values before the latest, whatever gaps lie
    between them, exactly (a third is no decimal); too few values, a mean of 0 against a % tolerance, more values
    asked for than there are periods: as the interpreter judges, at every period assessed."""
    rng = random.Random(5)
    values = ["", "na", "0", "10", "11", "12.5", "30", "40", "41.3", "-5", "4"]
    lines = [f"A{a},{i},{p},{rng.choice(values)}\n" for a in range(24) for i in ("visits", "waits", "calls")
             for p in YEARS if rng.random() < 0.8]
    data = write(tmp_path, "d.csv", HEADER + "".join(lines) + rows(MEANED).removeprefix(HEADER))
    rules = write(tmp_path, "r.rules", MEAN_ARROW_RULES)
    assert unsupported(load_rules(rules)) == []
    for period in (None, YEARS[1], YEARS[3]):
        text = agree(rules, data, period=period, engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["T", "visits"][6:8] == ["mean of 2003/04–2005/06", "20.333333"]  # 61 / 3, against 22 in 2006/07
    assert cells["Z", "visits"][10] == "na"  # a % tolerance of a mean of 0


DERIVED_RULES = """
indicator robbery { polarity lower_is_better }
indicator arson { polarity lower_is_better }
indicator total "Robbery and arson" {
  polarity lower_is_better
  value = sum(robbery, arson)
  target {
    baseline 2003/04
    reduce by 10 % by 2007/08
  }
  rag {
    green when on trajectory
    amber when arrow is up
    red otherwise
  }
}
indicator spread {
  polarity closer_to 0
  value = max(robbery, arson) - min(robbery, arson) * 2 + 1
}
indicator points { polarity lower_is_better
  value = -robbery + 3 * (arson - 1) as percent
}
indicator rest "Total less robbery: arson, where both are known" {
  polarity lower_is_better
  value = total - robbery
}
"""


@with_spark
def test_derived_values_computed_where_every_component_is_known(tmp_path, engine):
    series = {("A", "robbery"): ["10", "12.5", "", "9", "8"], ("A", "arson"): ["4", "na", "3", "3.5", "suppressed"],
              ("B", "robbery"): ["1", "2", "3"], ("B", "arson"): ["2", "2", "3", "4"],  # only arson at the latest
              ("C", "robbery"): ["-2", "0", "0.25"], ("C", "arson"): ["0", "0", "-0.25"],
              ("D", "arson"): ["1", "1"]}  # no robbery at all: no total, no spread
    rules = write(tmp_path, "derived.rules", DERIVED_RULES)
    assert unsupported(load_rules(rules)) == []
    text = agree(rules, write(tmp_path, "d.csv", rows(series)), engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["A", "total"][4:8] == ["2006/07", "12.5", "2003/04", "14"]  # 9 + 3.5; 2004/05 and 2005/06 lack one
    assert cells["B", "total"][4:6] == ["2005/06", "6"]
    assert cells["C", "rest"][4:6] == ["2005/06", "-0.25"]
    assert cells["D", "spread"][4:6] == ["", ""]
    assert cells["A", "points"][5] == "-150" and cells["A", "spread"][5] == "3"  # (-9 + 3 x 2.5) x 100; 9 - 7 + 1


DIVIDING_RULES = """indicator crimes { polarity lower_is_better }
indicator population { polarity higher_is_better }
indicator rate "Crimes per 1,000" {
 polarity lower_is_better
 value = crimes / population * 1000
 target 30
 arrow {
  static within 2 %
 }
 rag {
  green when value <= target
  amber when arrow is static
  red otherwise
 }
}
indicator crime_share {
 polarity higher_is_better
 value = crimes / (crimes + population) as percent
 target {
  baseline 2003/04
  reduce by 10 % by 2007/08
  trajectory linear
 }
 rag {
  green when on trajectory
  amber when within 1 pp of target
  red otherwise
 }
}
"""
# A division of divisions: its cross-multiplied products grow with each (no engine reduces fractions), so that
# polars (and Spark), which prove a bound before they run, leave it to the interpreter on most data.
NESTED_DIVISIONS = DIVIDING_RULES + """indicator nested {
 polarity lower_is_better
 value = rate / (crimes / 3) - crime_share / -4
 arrow {
  static below 0.5
 }
}
"""
DIVIDED = {("Tie", "crimes"): ["3", "3.06", "3"], ("Tie", "population"): ["100", "100", "100"],  # 30, 30.6, 30
           ("Zero", "crimes"): ["5", "7", "2"], ("Zero", "population"): ["40", "35", "0"],  # 2005/06 divides by 0
           ("Negative", "crimes"): ["1", "2", "-3"], ("Negative", "population"): ["-3", "6", "7"],
           ("Sixth", "crimes"): ["1", "1", "2"], ("Sixth", "population"): ["3", "6", "3"],
           ("Gone", "crimes"): ["0", "0"], ("Gone", "population"): ["9", "9"]}  # crimes 0: `nested` never known


@with_spark
def test_derived_values_that_divide_stay_exact(tmp_path, engine):
    rules = write(tmp_path, "dividing.rules", DIVIDING_RULES)
    assert unsupported(load_rules(rules)) == []
    data = write(tmp_path, "d.csv", rows(DIVIDED))
    text = agree(rules, data, engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["Tie", "rate"][4:6] == ["2005/06", "30"] and cells["Tie", "rate"][10] == "static"  # -1.960784 %
    assert cells["Tie", "rate"][13] == "green"  # 30 <= 30 exactly: 3 / 100 x 1000 has no rounding on the way
    assert cells["Zero", "rate"][4:8] == ["2004/05", "200", "2003/04", "125"]  # 2005/06 has none: / 0
    assert cells["Negative", "rate"][5:8] == ["-428.571429", "2004/05", "333.333333"]  # the sign of -3 / 7
    assert cells["Sixth", "rate"][5:8] == ["666.666667", "2004/05", "166.666667"]
    if engine == "spark":
        return  # a Spark query takes seconds
    for period in ("2004/05", "2005/06"):  # the plan's columns of the earlier periods, and its window otherwise
        agree(rules, data, period=period, engine=engine)
    agree(rules, data, areas=["Negative", "Sixth"], engine=engine)


MEAN_RULES = """indicator crimes { polarity lower_is_better }
indicator population { polarity higher_is_better }
indicator average "Mean of the two" {
 polarity lower_is_better
 value = mean(crimes, population)
 target 51.5
 rag {
  green when value <= target
  red otherwise
 }
}
indicator mixed "A mean over a division and a number" {
 polarity higher_is_better
 value = mean(crimes / population, average, 7) as percent
}
"""


@with_spark
def test_a_mean_of_values_is_their_sum_over_how_many_exactly(tmp_path, engine):
    """mean() as interpreter._function computes it: the sum of its values (a division's among them) over how many
    there are, missing where one is (the first missing named), at the places of its components."""
    rules = write(tmp_path, "mean.rules", MEAN_RULES)
    assert unsupported(load_rules(rules)) == []
    text = agree(rules, write(tmp_path, "d.csv", rows(DIVIDED)), engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["Tie", "average"][4:6] == ["2005/06", "51.5"] and cells["Tie", "average"][13] == "green"  # a tie
    assert cells["Sixth", "average"][5] == "2.5"
    assert cells["Sixth", "mixed"][5] == "338.888889"  # (2/3 + 2.5 + 7) / 3 as a %
    assert cells["Zero", "mixed"][4] == "2004/05"  # 2005/06 divides by 0


EARLIER_RULES = """indicator burglary { polarity lower_is_better }
indicator rate { polarity lower_is_better
 value = burglary / 4
}
indicator on_year "Domestic burglary, % change on the year before" {
 polarity lower_is_better
 unit percent
 value = percent_change(burglary)
 target -5 %
 rag {
  green when target met
  red otherwise
 }
}
indicator two_years { polarity lower_is_better
 value = change(burglary, 2)
}
indicator three_years { polarity lower_is_better
 value = rolling_sum(burglary, 3) - rolling_mean(rate, 2) as percent
}
indicator of_a_division { polarity lower_is_better
 value = percent_change(rate, 2) + on_year
}
indicator last_year { polarity lower_is_better
 value = previous(burglary)
}
"""
# Each area's burglaries by year (YEARS): a 0 before a change, negative ones, a year absent, missing values.
EARLIER = {("A", "burglary"): ["10", "12", "0", "7", "8.5"], ("B", "burglary"): ["-4", "", "5", "na", "3"],
           ("C", "burglary"): ["3", "6", "suppressed", "4.25", "2"], ("D", "burglary"): ["", "", "", "", "1"],
           ("E", "burglary"): ["-4", "-2"]}


@with_spark
def test_values_of_earlier_periods_are_read_from_those_periods(tmp_path, engine):
    rules = write(tmp_path, "earlier.rules", EARLIER_RULES)
    assert unsupported(load_rules(rules)) == []
    data = write(tmp_path, "d.csv", rows(EARLIER))
    text = agree(rules, data, engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["A", "on_year"][4:8] == ["2007/08", "21.428571", "2005/06", "-100"]  # 2006/07: after a 0, none
    assert cells["A", "on_year"][13] == "red"  # a rise is not the 5 % fall targeted
    assert cells["E", "on_year"][4:6] == ["2004/05", "50"]  # -4 to -2: a rise of half of |-4|
    assert cells["B", "on_year"][4:6] == ["", ""]  # 2007/08: 2006/07 is n/a; 2005/06: 2004/05 is absent
    assert cells["B", "two_years"][4:8] == ["2007/08", "-2", "2005/06", "9"]  # 3 - 5; 5 - (-4)
    assert cells["C", "two_years"][4:6] == ["2006/07", "-1.75"]  # 2007/08 reads the suppressed 2005/06
    assert cells["A", "three_years"][4:6] == ["2007/08", "1356.25"]  # (0 + 7 + 8.5 - (7 + 8.5) / 4 / 2) x 100
    assert cells["A", "of_a_division"][4:6] == ["2005/06", "-200"]  # later ones divide by 2005/06's 0
    assert cells["C", "of_a_division"][4:6] == cells["D", "on_year"][4:6] == ["", ""]
    # at the periods of burglary's rows, with a value or not: B's 2004/05 has none, yet reads 2003/04's -4
    assert cells["B", "last_year"][4:8] == ["2006/07", "5", "2004/05", "-4"]  # 2007/08 reads the n/a 2006/07
    assert cells["C", "last_year"][4:8] == ["2007/08", "4.25", "2005/06", "6"]  # the suppressed 2005/06 reads 6
    assert cells["E", "last_year"][4:6] == ["2004/05", "-4"]  # and never past the series' last row
    if engine == "spark":
        return  # a Spark query takes seconds
    for period in ("2005/06", "2006/07"):
        agree(rules, data, period=period, engine=engine)
    agree(rules, data, areas=["B", "D"], engine=engine)


FIXED_RULES = """indicator burglary { polarity lower_is_better }
indicator rate { polarity lower_is_better
 value = burglary / 4
}
indicator since_base "Burglary as a % of 2004/05's" { polarity lower_is_better
 value = burglary / (burglary at 2004/05) as percent
}
indicator from_start { polarity lower_is_better
 value = rate - rate at 2003/04
}
indicator to_last { polarity lower_is_better
 value = burglary - burglary at 2007/08
}
indicator other_kind { polarity lower_is_better
 value = burglary - burglary at 2005
}
indicator only_fixed { polarity lower_is_better
 value = burglary at 2005/06
}
indicator of_only_fixed { polarity lower_is_better
 value = burglary + only_fixed
}
indicator changed { polarity lower_is_better
 value = change(burglary)
}
indicator change_then { polarity lower_is_better
 value = burglary + changed at 2007/08
}
indicator nested { polarity lower_is_better
 value = from_start at 2005/06 + burglary
}
"""


@with_spark
def test_values_at_one_period_are_read_there_whatever_the_period_computed(tmp_path, engine):
    rules = write(tmp_path, "fixed.rules", FIXED_RULES)
    assert unsupported(load_rules(rules)) == []
    data = write(tmp_path, "d.csv", rows(EARLIER))
    text = agree(rules, data, engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["A", "since_base"][4:8] == ["2007/08", "70.833333", "2006/07", "58.333333"]  # 8.5 / 12, 7 / 12
    assert cells["B", "since_base"][4:6] == ["", ""]  # B's 2004/05 has no value: never one
    assert cells["A", "to_last"][4:8] == ["2007/08", "0", "2006/07", "-1.5"]
    assert cells["C", "to_last"][4:8] == ["2007/08", "0", "2006/07", "2.25"]  # 4.25 - 2
    assert cells["E", "to_last"][4:6] == ["", ""]  # E has no 2007/08 row
    assert cells["A", "from_start"][4:6] == ["2007/08", "-0.375"]  # 8.5 / 4 - 10 / 4
    assert cells["A", "change_then"][4:8] == ["2007/08", "10", "2006/07", "8.5"]  # + (8.5 - 7)
    assert cells["A", "nested"][4:6] == ["2007/08", "6"]  # 8.5 + (0 / 4 - 10 / 4)
    for name in ("other_kind", "only_fixed", "of_only_fixed"):  # 2005 is not a financial year; no series
        assert {cells[area, name][5] for area in "ABCDE"} == {""}
    if engine == "spark":
        return  # a Spark query takes seconds
    early = agree(rules, data, period="2005/06", engine=engine)  # read at 2007/08 all the same
    assert "A,to_last,to_last,,2005/06,-8.5," in early
    agree(rules, data, period="2004/05", engine=engine)
    agree(rules, data, areas=["C", "A"], engine=engine)


# Values read in comparators' areas: one area's (not assessed unless asked for), a mean of two areas (each assessed),
# a mean of one; raw and derived values, gaps, ratios (by a mean of 0 too) and values at a comparator in arithmetic,
# a derived value naming one that reads a comparator, values of earlier periods of such values and in them, and
# beside them (polars panicked on such JSON plans: json_run._polars_runs).
COMPARATOR_RULES = """comparator national "National" area "National"
comparator group "Group & co" mean of areas "North", "South"
comparator alone "South alone" mean of areas "South"
indicator crimes { polarity lower_is_better }
indicator population { polarity higher_is_better }
indicator rate { polarity lower_is_better
 value = crimes / population * 1000
}
indicator rate_gap { polarity lower_is_better
 value = gap(rate, national)
 rag {
  green when gap closed
  amber when gap narrowed
  red otherwise
 }
}
indicator crimes_ratio { polarity lower_is_better
 value = ratio(crimes, group)
}
indicator vs_national { polarity higher_is_better
 value = crimes at national - crimes
}
indicator mixed { polarity higher_is_better
 value = gap(crimes, group) + rate at national
}
indicator doubled_mixed { polarity higher_is_better
 value = mixed * 2 + crimes at alone
}
indicator rolling { polarity lower_is_better
 value = rolling_sum(crimes, 2)
}
indicator rolling_gap { polarity lower_is_better
 value = gap(rolling, group)
}
indicator changes { polarity lower_is_better
 value = change(vs_national, 2) - percent_change(vs_national, 2)
}
indicator ratio_before { polarity lower_is_better
 value = previous(crimes_ratio, 2)
}
indicator gap_less_before { polarity lower_is_better
 value = gap(crimes, national) - previous(crimes)
}
"""
# National has no crimes in 2005/06 (suppressed) and no population in 2003/04; North has no crimes in 2006/07 and
# a population of 0 in 2005/06; the group's crimes are 0 in 2003/04; East has rows in 2006/07 only, West in 2003/04.
COMPARATOR_DATA = """area,indicator,period,value
National,crimes,2003/04,480
National,crimes,2004/05,500
National,population,2004/05,10000
National,crimes,2005/06,suppressed
National,population,2005/06,10000
National,crimes,2006/07,450
National,population,2006/07,10100
North,crimes,2003/04,5
North,population,2003/04,900
North,crimes,2004/05,50
North,population,2004/05,1000
North,crimes,2005/06,55
North,population,2005/06,0
North,population,2006/07,1000
South,crimes,2003/04,-5
South,crimes,2004/05,40
South,population,2004/05,800
South,crimes,2005/06,-40
South,population,2005/06,800
South,crimes,2006/07,30
South,population,2006/07,800
East,crimes,2006/07,20
East,population,2006/07,700
West,crimes,2003/04,5
"""


@with_spark
def test_values_read_in_comparators_areas(tmp_path, engine):
    rules = write(tmp_path, "compared.rules", COMPARATOR_RULES)
    assert unsupported(load_rules(rules)) == []
    data = write(tmp_path, "d.csv", COMPARATOR_DATA)
    text = agree(rules, data, engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert "National" not in {area for area, _ in cells}  # what the others are measured against
    # 30 / 800 × 1000 - 450 / 10100 × 1000; the national 2005/06 is suppressed: the gap before is 2004/05's, 50 - 50
    assert cells["South", "rate_gap"][4:8] == ["2006/07", "-7.054455", "2004/05", "0"]
    assert cells["East", "vs_national"][4:6] == ["2006/07", "430"]
    # 40 / 45 (North has no 2006/07 crimes); for North, 5 / 0 in 2003/04 has no value
    assert cells["South", "crimes_ratio"][6:8] == ["2004/05", "0.888889"]
    assert cells["North", "crimes_ratio"][4:8] == ["2005/06", "7.333333", "2004/05", "1.111111"]
    if engine == "spark":
        return  # a Spark query takes seconds
    agree(rules, data, period="2005/06", engine=engine)
    agree(rules, data, period="2003/04", engine=engine)
    agree(rules, data, areas=["National", "North"], engine=engine)  # asked for, a comparator's area is assessed
    agree(rules, data, areas=["East"], engine=engine)


@by_engine
def test_a_comparator_area_missing_from_the_data_is_the_interpreter_s_error(tmp_path, engine):
    rules = write(tmp_path, "compared.rules", COMPARATOR_RULES)
    data = write(tmp_path, "d.csv", "".join(line + "\n" for line in COMPARATOR_DATA.splitlines()
                                            if not line.startswith("National,")))
    found = columnar(rules, data, engine=engine)
    assert isinstance(found, Fallback) and found.reason == "a comparator's area the data does not have"
    with pytest.raises(InputError, match="comparator 'national' reads area 'National', which is not in the data") \
            as raised:
        evaluate_job(rules, data, output_format="csv", engine=engine)
    assert [d.code for d in raised.value.diagnostics] == ["E315"]


TO_DATE_RULES = """indicator visits { polarity higher_is_better }
indicator doubled { polarity higher_is_better
 value = visits * 2
}
indicator changed { polarity higher_is_better
 value = change(visits)
}
indicator so_far { polarity higher_is_better
 value = year_to_date(visits)
}
indicator financial_so_far { polarity higher_is_better
 value = financial_year_to_date(doubled)
}
indicator changes_so_far { polarity higher_is_better
 value = year_to_date(changed) - 1
}
indicator of_the_year { polarity higher_is_better
 value = so_far / financial_so_far as percent
}
"""
# The period's own part of a cumulative figure, read at other periods too (every format).
PART_RULES = """indicator visits { polarity higher_is_better }
indicator this_month { polarity higher_is_better
 value = from_year_to_date(visits)
}
indicator this_financial_month { polarity higher_is_better
 value = from_financial_year_to_date(visits) + 1
}
indicator before_and_now { polarity higher_is_better
 value = previous(this_month) + visits
}
indicator then { polarity higher_is_better
 value = visits - this_month at 2006-08
}
"""
# Each area's visits by year (YEARS), for a year to date of years: every year is its own first period.
TO_DATE_YEARS = {("A", "visits"): ["10", "12", "", "7", "8.5"], ("B", "visits"): ["4", "na", "5"]}


def to_date_months(rng: random.Random) -> str:
    """Four areas of random monthly visits over three years (rows absent, missing, suppressed, 0, negative), and E
    with each month's number as its visits in 2006 and 2007."""
    lines = [f"{area},visits,{year}-{month:02},{rng.choice(['', 'na', 'suppressed', '0', '3', '7.5', '12', '-2'])}\n"
             for area in "ABCD" for year in (2005, 2006, 2007) for month in range(1, 13) if rng.random() < 0.9]
    lines += [f"E,visits,{year}-{month:02},{month}\n" for year in (2006, 2007) for month in range(1, 13)]
    return HEADER + "".join(lines)


@with_spark
def test_years_to_date_sum_the_year_up_to_the_period(tmp_path, engine):
    rules = write(tmp_path, "to-date.rules", TO_DATE_RULES)
    assert unsupported(load_rules(rules)) == []
    data = write(tmp_path, "months.csv", to_date_months(random.Random(5)))
    text = agree(rules, data, engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["E", "so_far"][4:8] == ["2007-12", "78", "2007-11", "66"]  # 1 + 2 + ... + 12
    assert cells["E", "financial_so_far"][4:8] == ["2007-12", "144", "2007-11", "120"]  # 2 x (4 + ... + 12)
    assert cells["E", "changes_so_far"][4:6] == ["2007-12", "-1"]  # January -11 (1 - 12), then 11 rises of 1, less 1
    if engine == "spark":
        return  # a Spark query takes seconds
    january = agree(rules, data, period="2007-01", engine=engine)  # a calendar year's first month
    assert "E,so_far,so_far,,2007-01,1,2006-12,78," in january
    assert "E,financial_so_far,financial_so_far,,2007-01,146," in january  # 2 x (4 + ... + 12 + 1)
    agree(rules, data, period="2007-04", engine=engine)  # a financial year's first month
    agree(rules, data, areas=["C", "E"], engine=engine)
    agree(rules, write(tmp_path, "years.csv", rows(TO_DATE_YEARS)), engine=engine)


@by_engine
def test_the_periods_own_part_of_a_cumulative_figure(tmp_path, engine):
    rules = write(tmp_path, "part.rules", PART_RULES)
    assert unsupported(load_rules(rules)) == []
    data = write(tmp_path, "months.csv", to_date_months(random.Random(6)))
    text = agree(rules, data, engine=engine)
    assert "E,this_month,this_month,,2007-12,1,2007-11,1," in text  # 12 - 11
    assert "E,this_financial_month,this_financial_month,,2007-12,2," in text  # 12 - 11, + 1
    assert "E,then,then,,2007-12,11," in text  # 12 - (8 - 7)
    april = agree(rules, data, period="2007-04", engine=engine)  # a financial year's first month
    assert "E,this_financial_month,this_financial_month,,2007-04,5," in april  # 4 itself, + 1
    assert "E,this_month,this_month,,2007-04,1," in april  # 4 - 3
    agree(rules, data, period="2007-01", engine=engine)
    agree(rules, write(tmp_path, "years.csv", rows(TO_DATE_YEARS)), engine=engine)


@by_engine
@pytest.mark.parametrize("labels", [lambda y, q: f"{y}-Q{q}", lambda y, q: f"{y}/{(y + 1) % 100:02}-Q{q}"])
def test_years_to_date_of_quarters(tmp_path, engine, labels):
    rng = random.Random(7)
    lines = [f"{a},visits,{labels(y, q)},{rng.choice(['', 'na', '0', '5', '8', '12.5'])}\n"
             for a in ("A", "B", "C") for y in (2005, 2006, 2007) for q in (1, 2, 3, 4) if rng.random() < 0.85]
    data = write(tmp_path, "q.csv", HEADER + "".join(lines))
    for text in (TO_DATE_RULES, PART_RULES.replace("2006-08", labels(2006, 3))):
        rules = write(tmp_path, "to-date.rules", text)
        agree(rules, data, engine=engine)
        agree(rules, data, period=labels(2006, 2), engine=engine)


def test_each_running_sum_is_computed_once_whichever_values_read_it(tmp_path):
    rules = write(tmp_path, "to-date.rules", TO_DATE_RULES)
    plan = sqlglot.parse_one(run_sql(rules, "duckdb", periods="month"), read="duckdb")
    windows = [w for w in plan.find_all(sqlglot.exp.Window) if isinstance(w.this, (sqlglot.exp.Sum, sqlglot.exp.Count))]
    # so_far's sum and count are read by so_far and of_the_year, financial_so_far's by it and of_the_year: each once
    assert len(windows) == len({w.sql() for w in windows}) == 6
    assert all(isinstance(part, sqlglot.exp.Column) for w in windows for part in w.args["partition_by"])


def test_a_year_to_date_the_plan_cannot_run_is_named_where_it_is(tmp_path):
    rules = write(tmp_path, "r.rules", TO_DATE_RULES +
                  "indicator rate { polarity higher_is_better\n value = visits / 4\n}\n"
                  "indicator a { polarity higher_is_better\n value = year_to_date(rate)\n}\n"
                  "indicator b { polarity higher_is_better\n value = previous(so_far) + so_far at 2006-08\n}\n"
                  "indicator c { polarity higher_is_better\n value = year_to_date(changes_so_far)\n}\n")
    off = "(a division, a product of two values or a number that is not whole)"
    assert unsupported(load_rules(rules)) == [
        f"indicator a: `year_to_date(rate)` of a value off the data's scale {off} in a derived value ({rules}:24)",
        f"indicator b: `previous(so_far)` of a value holding a year to date in a derived value ({rules}:27)",
        f"indicator b: `so_far at 2006-08` of a value holding a year to date in a derived value ({rules}:27)",
        f"indicator c: `year_to_date(changes_so_far)` of a value holding a year to date in a derived value "
        f"({rules}:30)"]


@by_engine
@pytest.mark.parametrize("labels", [lambda y, q: f"{y}-Q{q}", lambda y, q: f"{y}/{(y + 1) % 100:02}-Q{q}"])
def test_quarters_back_cross_the_year(tmp_path, engine, labels):
    rules = write(tmp_path, "q.rules", "indicator visits { polarity higher_is_better }\n"
                  "indicator on_year { polarity higher_is_better\n value = percent_change(visits, 4)\n}\n"
                  "indicator year { polarity higher_is_better\n value = rolling_sum(visits, 4)\n}\n")
    quarters = [(y, q) for y in (2005, 2006, 2007) for q in (1, 2, 3, 4)]
    rng = random.Random(11)
    lines = [f"{a},visits,{labels(y, q)},{rng.choice(['', 'na', '0', '5', '8', '12.5'])}\n"
             for a in ("A", "B", "C", "D") for y, q in quarters if rng.random() < 0.85]
    lines += [f"E,visits,{labels(y, q)},{4 * y + q - 8000}\n" for y, q in quarters]  # one more each quarter
    data = write(tmp_path, "d.csv", HEADER + "".join(lines))
    text = agree(rules, data, engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["E", "year"][4:6] == [labels(2007, 4), str(sum(4 * 2007 + q - 8000 for q in (1, 2, 3, 4)))]
    assert cells["E", "on_year"][5] == "14.285714"  # 2006's fourth quarter 28, 2007's 32: 4 / 28
    agree(rules, data, period=labels(2007, 1), engine=engine)


FIELD_RULES = """indicator crimes { polarity lower_is_better }
indicator assessed_rate "Adults assessed, of those in contact" {
 polarity higher_is_better
 unit percent
 fields contacts, assessed
 value = assessed / contacts as percent
 target 60 %
 rag {
  green when value >= target
  amber when arrow is up
  red otherwise
 }
}
indicator adjusted "Crimes plus the field crimes (not the indicator)" {
 polarity lower_is_better
 fields crimes
 value = crimes + assessed_rate
}
"""
# area, indicator, field, period, value ("" field: the indicator's own value)
FIELD_DATA = [
    ("Met", "assessed_rate", "contacts", "2005/06", "100"), ("Met", "assessed_rate", "assessed", "2005/06", "55"),
    ("Met", "assessed_rate", "contacts", "2006/07", "160"), ("Met", "assessed_rate", "assessed", "2006/07", "96"),
    ("Met", "crimes", "", "2005/06", "10"), ("Met", "crimes", "", "2006/07", "12"),
    ("Met", "adjusted", "crimes", "2006/07", "3"),
    ("Zero", "assessed_rate", "contacts", "2006/07", "0"), ("Zero", "assessed_rate", "assessed", "2006/07", "5"),
    ("Zero", "assessed_rate", "contacts", "2005/06", "3"), ("Zero", "assessed_rate", "assessed", "2005/06", "1"),
    ("Zero", "crimes", "", "2006/07", "7"), ("Zero", "adjusted", "crimes", "2005/06", "-0.5"),
    ("Gaps", "assessed_rate", "assessed", "2006/07", "suppressed"),
    ("Gaps", "assessed_rate", "contacts", "2006/07", "40"),
    ("Gaps", "assessed_rate", "assessed", "2004/05", "2"), ("Gaps", "crimes", "", "2004/05", "na"),
    ("Only", "assessed_rate", "contacts", "2006/07", "12")]  # an area with nothing but one field


def field_rows_of(data: Path) -> set[str]:
    """The indicators of which a test's CSV file has rows naming a field (in the `field` column of FIELD_HEADER)."""
    text = data.read_text(encoding="utf-8")
    if not text.startswith(FIELD_HEADER):
        return set()
    return {cells[1] for cells in (line.split(",") for line in text.splitlines()[1:]) if cells[2]}


def field_rows(found: list[tuple[str, str, str, str, str]]) -> str:
    """A long-form CSV with a `field` column."""
    return FIELD_HEADER + "".join(",".join(row) + "\n" for row in found)


@with_spark
def test_fields_of_derived_values_are_read_from_the_field_column(tmp_path, engine):
    rules = write(tmp_path, "fields.rules", FIELD_RULES)
    assert unsupported(load_rules(rules)) == []
    data = write(tmp_path, "d.csv", field_rows(FIELD_DATA))
    text = agree(rules, data, engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["Met", "assessed_rate"][4:8] == ["2006/07", "60", "2005/06", "55"]  # 96 / 160; 55 / 100
    assert cells["Met", "assessed_rate"][13] == "green"
    assert cells["Met", "adjusted"][4:6] == ["2006/07", "63"]  # its field crimes (3), not the indicator (12)
    assert cells["Zero", "assessed_rate"][4:6] == ["2005/06", "33.333333"]  # 2006/07 divides by 0
    assert cells["Gaps", "assessed_rate"][4:6] == ["", ""] and cells["Only", "assessed_rate"][4:6] == ["", ""]
    if engine == "spark":
        return  # a Spark query takes seconds
    agree(rules, data, period="2005/06", engine=engine)
    agree(rules, data, areas=["Only", "Zero"], engine=engine)


@with_spark
def test_rows_of_fields_are_not_values_for_rules_that_read_none(tmp_path, engine):
    rules = write(tmp_path, "plain.rules", DERIVED_RULES)
    found = [("A", "robbery", "", "2005/06", "10"), ("A", "robbery", "", "2006/07", "8"),
             ("A", "arson", "", "2005/06", "2"), ("A", "arson", "", "2006/07", "3"),
             ("A", "robbery", "numerator", "2007/08", "40"), ("A", "arson", "denominator", "2006/07", "900"),
             ("B", "total", "numerator", "2006/07", "4"), ("C", "arson", "numerator", "2006/07", "1"),
             ("A", "arson", "numerator", "2006/07", "999")]
    text = agree(rules, write(tmp_path, "d.csv", field_rows(found)), engine=engine)
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert cells["A", "robbery"][4:6] == ["2006/07", "8"] and cells["A", "total"][5] == "11"  # not 999
    assert cells["C", "arson"][4:6] == ["", ""]  # its one row is a field's: C is listed, without values


@by_engine
def test_a_field_named_as_its_own_or_another_derived_indicator(tmp_path, engine):
    """A field is not the indicator of the same name, even a derived one (which names the first back): each is
    measured, put in place and computed as the interpreter reads it (once a RecursionError)."""
    rules = write(tmp_path, "named.rules", "indicator k {\n polarity lower_is_better\n fields k\n value = k * 2\n}\n"
                  "indicator m {\n polarity lower_is_better\n fields y\n value = y / 2\n}\n"
                  "indicator y {\n polarity lower_is_better\n value = m + 1\n}\n")
    assert unsupported(load_rules(rules)) == [] and "m.y" in run_sql(rules)
    data = write(tmp_path, "d.csv", field_rows([("A", "k", "k", "2003/04", "10"), ("A", "m", "y", "2003/04", "3"),
                                                ("A", "m", "y", "2004/05", "5")]))
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(agree(rules, data, engine=engine))))[1:]}
    assert cells["A", "k"][5] == "20" and cells["A", "m"][5] == "2.5" and cells["A", "y"][5] == "3.5"


@pytest.mark.parametrize("cell", [" contacts", "contacts ", "   ", '"contacts"'])
@by_engine
def test_a_field_cell_the_reference_reads_otherwise_goes_to_it(tmp_path, cell, engine):
    """The reference strips a cell's spaces (a field of spaces is none) and unquotes a quoted one: the engine steps
    aside for such a cell, and the job prints the reference's assessment."""
    rules = write(tmp_path, "fields.rules", FIELD_RULES)
    found = [*FIELD_DATA, ("Spaced", "assessed_rate", cell, "2006/07", "50"),
             ("Spaced", "assessed_rate", "assessed", "2006/07", "20")]
    data = write(tmp_path, "d.csv", field_rows(found))
    assert isinstance(columnar(rules, data, engine=engine), Fallback)
    assert evaluate_job(rules, data, output_format="csv", engine=engine).text == reference_csv(rules, data)


@by_engine
def test_products_of_two_values_and_numbers_that_are_not_whole_stay_exact(tmp_path, engine):
    rules = write(tmp_path, "products.rules", "indicator a { polarity lower_is_better }\n"
                  "indicator b { polarity lower_is_better }\nindicator weighted {\n polarity lower_is_better\n"
                  " value = a * 1.5 + b * 0.25 - 0.125\n target 10\n"
                  " rag {\n  green when target met\n  red otherwise\n }\n}\n"
                  "indicator product {\n polarity higher_is_better\n value = a * b\n"
                  " arrow {\n  static within 0.01\n }\n}\n")
    assert unsupported(load_rules(rules)) == []
    data = write(tmp_path, "d.csv", rows({("X", "a"): ["2", "6.25", "6.5"], ("X", "b"): ["0.5", "2.5", "1.5"],
                                          ("Y", "a"): ["-0.1", "0.1"], ("Y", "b"): ["0.1", "-0.1"]}))
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(agree(rules, data, engine=engine))))[1:]}
    assert cells["X", "weighted"][5] == "10" and cells["X", "weighted"][13] == "green"  # 9.75 + 0.375 - 0.125
    assert cells["X", "product"][5:8] == ["9.75", "2004/05", "15.625"] and cells["Y", "product"][10] == "static"


def test_divisions_of_divisions_run_in_duckdb(tmp_path):
    rules = write(tmp_path, "nested.rules", NESTED_DIVISIONS)
    data = write(tmp_path, "d.csv", rows(DIVIDED))
    cells = {tuple(row[:2]): row for row in list(csv.reader(io.StringIO(agree(rules, data))))[1:]}
    assert cells["Gone", "nested"][4:6] == ["", ""]  # 0 / 3 is a divisor 0
    assert cells["Sixth", "nested"][5] == "1010"  # 2 / 3 x 1000 / (2 / 3) - (2 / 5 x 100) / -4
    stepped_aside = columnar(rules, data, engine="polars")  # its bound for 4 digits passes 38
    assert isinstance(stepped_aside, Fallback) and stepped_aside.reason == POLARS_BOUND


@by_engine
def test_a_division_whose_products_pass_38_digits_is_left_to_the_interpreter(tmp_path, engine):
    rules = write(tmp_path, "nested.rules", NESTED_DIVISIONS)
    data = write(tmp_path, "d.csv", rows({("Big", "crimes"): ["0.5", "7.5", "0.5"],
                                          ("Big", "population"): ["1000000000", "3", "1999999999.5"]}))
    found = columnar(rules, data, engine=engine)
    assert isinstance(found, Fallback) and found.reason.startswith("a number is too large for exact integer")
    asked = evaluate_job(rules, data, output_format="csv", engine=engine)
    assert asked.text == reference_csv(rules, data) and "too large for exact integer" in asked.notes[0]


@by_engine
def test_a_year_of_quarters_of_a_division_compares_the_same_quarter(tmp_path, engine):
    quarters = [f"{year}-Q{q}" for year in (2021, 2022, 2023) for q in (1, 2, 3, 4)]  # 12: columns; 13: a window
    for count in (12, 13):
        lines = [f"{area},{name},{quarter},{value}" for k, quarter in enumerate(([*quarters, "2024-Q1"])[:count])
                 for area, name, value in (("A", "crimes", 30 + k % 5), ("A", "population", 1000 + 7 * k),
                                           ("B", "crimes", k % 3), ("B", "population", (k * 13) % 5 - 2))]
        data = write(tmp_path, f"q{count}.csv", HEADER + "".join(line + "\n" for line in lines))
        rules = write(tmp_path, "q.rules", DIVIDING_RULES.replace("  static within 2 %",
                                                                  "  compare latest with same period last year"))
        agree(rules, data, engine=engine)


@by_engine
def test_figures_of_a_derived_indicator_in_the_data_go_to_the_interpreter(tmp_path, engine):
    rules = write(tmp_path, "derived.rules", DERIVED_RULES)
    data = write(tmp_path, "d.csv", rows({("A", "robbery"): ["1", "2"], ("A", "arson"): ["1", "2"],
                                          ("A", "total"): ["2", "5"]}))
    found = columnar(rules, data, engine=engine)
    assert isinstance(found, Fallback) and "the derived indicator total" in found.reason
    asked = evaluate_job(rules, data, output_format="csv", engine=engine)
    assert asked.text == reference_csv(rules, data) and "reported 5, computed 4" in asked.text
    assert "the data has figures of the derived indicator total" in asked.notes[0]


@by_engine
def test_a_derived_value_naming_one_without_components_is_never_known(tmp_path, engine):
    rules = write(tmp_path, "r.rules", "indicator a { polarity lower_is_better }\n"
                  "indicator k {\n polarity lower_is_better\n value = 5 as percent\n}\n"
                  "indicator s {\n polarity lower_is_better\n value = max(k, a) - 3\n}\n")
    text = agree(rules, write(tmp_path, "d.csv", HEADER + "X,a,2006/07,12\n"), engine=engine)
    assert "X,s,s,,,,," in text  # as the interpreter: k has no value at 2006/07, so s has none


def test_long_sums_and_chains_of_derived_values(tmp_path):
    names = ", ".join(["a"] * 1900)
    long_sum = write(tmp_path, "sum.rules", "indicator a { polarity lower_is_better }\n"
                     f"indicator s {{\n polarity lower_is_better\n value = sum({names})\n}}\n")
    data = write(tmp_path, "d.csv", HEADER + "X,a,2005/06,1.5\nX,a,2006/07,2\n")
    assert unsupported(load_rules(long_sum)) == []
    assert "X,s,s,,2006/07,3800," in agree(long_sum, data, engine="polars")  # summed as a balanced tree
    for dialect in ("duckdb", "spark", "bigquery", "trino", "postgres", "snowflake"):
        assert sqlglot.parse(run_sql(long_sum, dialect), read=dialect)  # within Python's recursion limit
    chain = "indicator d0 { polarity lower_is_better }\n" + "".join(
        f"indicator d{k} {{\n polarity lower_is_better\n value = -(d{k - 1} + 1)\n}}\n" for k in range(1, 60))
    chained = write(tmp_path, "chain.rules", chain)
    first = 2 + 4 * 19  # d20's first line: nested past MOST_DEPTH, it and every link after it are named
    assert unsupported(load_rules(chained))[0] == f"indicator d20: a derived value too large for one query with " \
        f"the derived values it names put in place (past 2000 terms in all, or nested past 40 deep) " \
        f"({chained}:{first + 2})"
    result = evaluate_job(chained, data, output_format="csv", engine="duckdb")
    assert result.text == reference_csv(chained, data) and "too large for one query" in result.notes[0]


READING = "of a value reading one period, `previous()`, a year to date or a comparator"


@pytest.mark.parametrize("value, words", [
    ("max(robbery / arson, 1)", "a value off the data's scale inside `max()` (a division, a product of two values "
                                "or a number that is not whole) in a derived value"),
    ("last at 2003/04", "`last at 2003/04` of a value reading `previous()` in a derived value"),
    ("previous(against)", "`previous(against)` of a value read in a comparator's areas in a derived value"),
    ("against at 2005/06", "`against at 2005/06` of a value read in a comparator's areas in a derived value"),
    ("year_to_date(gapped)", "`year_to_date(gapped)` of a value read in a comparator's areas in a derived value"),
    ("gap(last, national)", f"`gap(last, national)` {READING} in a derived value"),
    ("gapped at national", f"`gapped at national` {READING} in a derived value"),
    ("ratio(so_far, national)", f"`ratio(so_far, national)` {READING} in a derived value")])
def test_what_a_derived_value_cannot_use_in_the_plan_is_named_where_it_is(tmp_path, value, words):
    rules = write(tmp_path, "r.rules", "indicator robbery { polarity lower_is_better }\n"
                  "indicator arson { polarity lower_is_better }\n"
                  f"indicator x {{\n polarity lower_is_better\n value = sum(robbery, 1) + {value}\n}}\n"
                  "indicator last {\n polarity lower_is_better\n value = previous(robbery) + 1\n}\n"
                  "indicator gapped {\n polarity lower_is_better\n value = gap(robbery, national)\n}\n"
                  "indicator so_far {\n polarity lower_is_better\n value = year_to_date(robbery)\n}\n"
                  "indicator against {\n polarity lower_is_better\n value = robbery at national - robbery\n}\n"
                  'comparator national "National" area "N"\n')
    assert unsupported(load_rules(rules)) == [f"indicator x: {words} ({rules}:5)"]


def test_a_value_read_only_in_a_comparator_s_areas_is_named(tmp_path):
    rules = write(tmp_path, "r.rules", 'comparator national "National" area "N"\n'
                  "indicator robbery { polarity lower_is_better }\n"
                  "indicator x {\n polarity lower_is_better\n value = robbery at national + 1\n}\n")
    assert unsupported(load_rules(rules)) == [f"indicator x: a value read only in a comparator's areas ({rules}:5)"]


# --- random rules on random data: every construct the plan expresses ------------------------------------

ARROW = st.tuples(st.sampled_from(["", "compare latest with previous", "compare latest with same period last year",
                                   "compare latest with mean of previous 2"]),
                  st.sampled_from(["", "static within 1.5 %", "static below 1.5 %", "static within 2 pp",
                                   "static below 1", "static within 0", "static below 0.1 %"]),
                  st.sampled_from(["", "", "peak at 100", "peak at 60 %"]))
TARGET = st.sampled_from([
    "", "target 50", "target 2.5 %",
    "target {\n baseline 2003/04\n reduce by 17.5 % by 2007/08\n trajectory linear\n }",
    "target {\n baseline 2004/05\n increase by 10 % by 2006/07\n }",
    "target {\n reach 40 by 2006/07\n trajectory flat\n }", "target {\n increase by 5 % by 2007/08\n }",
    "target {\n baseline 2009/10\n reduce by 5 by 2010/11\n }", "target {\n baseline 2005/06\n reach 45 by 2007\n }",
    "target {\n baseline 2003/04\n increase by 3 by 2005/06\n }",
    "target {\n baseline 2005/06\n reach 45 by 2005/06\n }",
    "target {\n annual 60 in 2006/07 profiled evenly\n }",  # no target: a year of years cannot be profiled
    "target {\n 40 in 2004/05\n 55.5 in 2006/07\n }", "target {\n baseline 2004/05\n 30 in 2007/08\n }"])
RAG = st.sampled_from([
    "", "rag {\n green when on trajectory\n red when arrow is na\n amber when arrow is up\n red otherwise\n }",
    "rag {\n green when target met\n amber when not (arrow is down)\n red otherwise\n }",
    "rag {\n green when on trajectory or arrow is static\n red when arrow is not up\n amber otherwise\n }",
    "rag {\n green when arrow is up\n }",
    "rag {\n green when value >= target\n amber when change > 0 and previous != 0\n red otherwise\n }",
    "rag {\n green when value - baseline <= -2 * 1.5\n amber when previous < value - 1\n red otherwise\n }",
    "rag {\n green when not (trajectory > value or arrow is na)\n amber when -value < -50\n }",
    "rag {\n scale red < amber < green < blue\n blue when value == 60.9\n green when target met and on trajectory\n"
    " red otherwise\n }",
    "rag {\n scale red < amber < green < blue\n blue when target exceeded by 5 %\n green when target exceeded by 2\n"
    " amber when within 5 pp of target\n red when within 10 % of target or arrow is peak\n }",
    "rag {\n green when gap closed\n amber when gap narrowed\n red when gap widened\n amber otherwise\n }",
    "rag {\n green when not (gap widened) and within 0 of target\n red otherwise\n }",
    "rag {\n scale red < amber_red < amber < green < blue\n blue when more than 10 % better than target\n"
    " green when target met\n amber when less than 5 % short of target\n"
    " amber_red when no more than 10 % short of target\n red otherwise\n }",
    "rag {\n green when at least 2 better than trajectory or at least 0 % better than target\n"
    " amber when up to 5 % better than trajectory and no more than 1.5 short of target\n"
    " red when no target or no previous value\n amber when has target and has previous value\n }",
    "rag {\n green when target exceeded by more than 1\n amber when target exceeded by up to 0 %\n"
    " red when more than 0 short of trajectory\n amber when less than 2.5 % better than trajectory\n }",
    "rag {\n scale grey < red < amber < green\n grey when no data or no target\n green when target met\n"
    " amber when up to 5 % short of target\n red otherwise\n }",
    "rag {\n green when has data and arrow is up\n amber when value > 50 or no data\n red when no previous value\n }",
    "rag {\n green when value / previous <= 0.95\n amber when max(value, target) / 2 < min(previous, 60)\n"
    " red when value / (previous - 60) > mean(value, 1, -2.5)\n amber otherwise\n }",
    "rag {\n green when sum(value, -target) / trajectory < 0\n amber when value / 0 > 1 or value / 3 >= 20\n"
    " red otherwise\n }"])
# Keys that read reference levels, of the rules (LEVELS) or of the data's `level` rows (data_text): drawn for the
# CSV report only, so far (the JSON and the reports leave levels to the interpreter).
RAG_LEVELS = st.sampled_from([
    "rag {\n green when value reaches stretch\n amber when value reaches trigger\n red otherwise\n }",
    "rag {\n green when more than 10 % better than benchmark\n amber when value <= ceiling - 1 and not (value "
    "reaches floor)\n red when at least 2 short of trigger\n amber otherwise\n }",
    "rag {\n green when target met\n amber when stretch exceeded by up to 5 %\n red when baseline > trigger\n"
    " red otherwise\n }"])
LEVELS = st.sampled_from(["", "levels {\n trigger 50\n }", "levels {\n stretch 60.5\n floor 10\n benchmark 45\n }",
                          "target from data"])
THEME = st.sampled_from([  # a theme's rating of x's and y's assessments (JSON; a CSV report has no themes)
    "", "", "theme t {\n scale red < amber < green\n indicators x, y\n rating {\n"
    "  green when share(rag is green) >= 50 %\n  red when count(arrow is down) > 0\n  amber otherwise\n }\n}\n",
    "theme t {\n scale red < green\n indicators x, y\n require at least 2 assessed\n rating {\n"
    "  green when share(arrow is up or rag is not red) > 50 %\n  red otherwise\n }\n}\n"])
DECIMALS = st.sampled_from(["", "", "decimals 0", "decimals 1", "decimals 3"])  # the reasons' numbers at fixed places
VALUE = st.one_of(st.sampled_from(["", "na", "N/A", "suppressed", "0", "0.0", "60.0", "60.9", "59.1", "100",
                                   "82.5", "91.25", "-3", "+4", "007"]),
                  st.integers(-5, 120).map(str), st.decimals(-10, 120, places=3).map(str))


# A derived indicator z of x and y (the data's z rows, when drawn, send the run to the interpreter, which checks
# them as printed figures), and sometimes w of z: numbers, +, -, *, sum, min, max, percent, and divisions (by a
# value of either sign or 0, by a rule's number, of a sum, nested), mean, values of earlier periods and values at
# one period.
RUNNING = "value = year_to_date(x) - financial_year_to_date(y)"
DERIVED = st.sampled_from([
    "", "", "value = sum(x, y)", "value = x - y", "value = -x + 2 * y - 3", "value = max(x, y, 50) * 2",
    "value = min(x, -y) as percent", "value = sum(x, max(x, y), 1) - (y - 4) * 3", "value = x * 0 + 7",
    "value = x / y", "value = (x - y) / (x + y) as percent", "value = -x / y * 1000 + 1 / 3",
    "value = sum(x / 4, y / -3, 10 / 4)", "value = x / (y / (x - 60))", "value = max(x, y) / 7 - x / -2",
    "value = x * (1 / 3) / (y - y)", "value = (x + 1) / (y + 2) - (x + 2) / (y + 1)", "value = x * y",
    "value = x * 1.5 - 0.25", "value = (x + 0.5) * (y - 1) / 100 as percent", "value = share_of(x, x - y)",
    # fields of z's own data (a field `y` is not the indicator y: the interpreter reads the field)
    "fields a\nvalue = a + x", "fields a, y\nvalue = a / y as percent", "fields y\nvalue = sum(y, x) - 1",
    "fields a\nvalue = a * 2 - y",
    # values of earlier periods (the data's years are drawn with gaps)
    "value = percent_change(x)", "value = change(x, 2) - rolling_sum(y, 3)", "value = rolling_mean(x, 2) as percent",
    "fields y\nvalue = y - change(y)", "value = previous(x) - y", "value = previous(y, 2)",
    # means, of values off the data's scale too
    "value = mean(x, y)", "value = mean(x, y / 3, 7) - 1",
    # values at one period, before, at or after the one assessed, or of another kind
    "value = x - x at 2005/06", "value = y / (x at 2003/04) as percent", "value = x + y at 2007/08",
    "value = x - x at 2005", "value = change(x) + y at 2004/05", "fields y\nvalue = y - y at 2004/05",
    # the period's own part of a cumulative figure, and years to date (of years: each its year's first period)
    "value = from_year_to_date(x) - from_financial_year_to_date(y)", RUNNING,
    # values in comparators' areas (COMPARATORS): one area's, a mean of two
    "value = gap(x, nat) + y", "value = ratio(y, grp) * 2", "value = x at grp - x at nat + y",
    "fields a\nvalue = a - y at nat"])
COMPARATORS = 'comparator nat "National" area "North"\ncomparator grp "Group" mean of areas "South", "E01000001"\n'
# w's value, of z (and x): put in place, read some periods back, read at one period, and in comparators' areas
LATER = st.sampled_from(["z - x", "z - x", "percent_change(z)", "rolling_sum(z, 2) - change(z)", "previous(z)",
                         "mean(z, x)", "z at 2005/06 + x", "z - z at 2004/05", "gap(z, grp)", "z at nat - x"])


@st.composite
def rule_text(draw: st.DrawFn, levels: bool = False) -> str:
    text = "indicator x {\n" + draw(indicator_body(levels)) + "\n}\nindicator y { polarity lower_is_better }\n"
    derived = draw(DERIVED)
    if derived:
        # (no mean of previous values for z: of a value off the data's scale the plan leaves it to the interpreter)
        text += f"indicator z {{\n{draw(indicator_body(levels, means=False))}\n{derived}\n}}\n"
        if draw(st.booleans()):
            later = draw(LATER)
            if " at " in later and "previous(" in derived:  # (the plan leaves that to the interpreter)
                later = "z - x"
            if derived == RUNNING and later not in ("z - x", "mean(z, x)"):  # (a year to date read elsewhere: too)
                later = "z - x"
            # (the plan leaves to the interpreter a comparator's value of one reading one period, `previous()`, a
            # year to date or a comparator, and one read in a comparator's areas at one period, or `previous()` of it)
            if _compares(later) and re.search(r"previous|\bat\b|year_to_date", derived):
                later = "z - x"
            if _compares(derived) and (_compares(later) or " at 20" in later or (
                    later == "previous(z)" and " at " in derived)):
                later = "z - x"
            text += f"indicator w {{\n polarity higher_is_better\n {draw(RAG)}\n value = {later}\n}}\n"
    if _compares(text):
        text = COMPARATORS + text
    return text + draw(THEME)


def _compares(text: str) -> bool:
    """Whether rules read a value in a comparator's areas (COMPARATORS)."""
    return re.search(r"\b(nat|grp)\b", text) is not None


@st.composite
def indicator_body(draw: st.DrawFn, levels: bool = False, means: bool = True) -> str:
    compare, static, peak = draw(ARROW)
    if not means and "mean" in compare:
        compare = "compare latest with previous"
    arrow = "\n".join(s for s in (compare, static, peak) if s)
    target = draw(LEVELS) if levels else ""
    target = target if target == "target from data" else "\n".join(t for t in (target, draw(TARGET)) if t)
    body = [f"polarity {draw(POLARITY)}", draw(DECIMALS), f"arrow {{\n{arrow}\n}}" if arrow else "", target,
            draw(st.one_of(RAG, RAG_LEVELS) if levels else RAG)]
    return "\n".join(b for b in body if b)


@st.composite
def data_text(draw: st.DrawFn, levels: bool = False) -> str:
    areas = draw(st.lists(st.sampled_from(["North", "South", "=cmd", "Ynys Mon", "E01000001", "a,b"]),
                          min_size=1, max_size=3, unique=True))
    years = draw(st.lists(st.sampled_from(YEARS), min_size=1, max_size=5, unique=True))
    indicators = ("x", "y", "z") if draw(st.integers(0, 9)) == 0 else ("x", "y")  # z: figures of a derived one
    named = [(a, i, "", p) for p in years for a in areas if a != "a,b" for i in indicators
             if draw(st.integers(0, 9))]  # now and then a row is absent
    fielded = draw(st.integers(0, 3)) == 0
    if fielded:  # a `field` column: fields of z (a, y) and of x (which nothing reads)
        named += [(a, i, f, p) for p in years for a in areas if a != "a,b"
                  for i, f in (("z", "a"), ("z", "y"), ("x", "a")) if draw(st.integers(0, 3))]
    lines = [",".join((a, i, f, p) if fielded else (a, i, p)) + f",{draw(VALUE)}" for a, i, f, p in named]
    header = FIELD_HEADER if fielded else HEADER
    if levels and not fielded and draw(st.booleans()):  # a `level` column: levels of x and z, for some periods
        number = st.one_of(st.integers(-5, 120).map(str), st.decimals(-10, 120, places=2).map(str))
        lines = [line + "," for line in lines] + [
            f"{a},{i},{p},{draw(number)},{name}" for p in years for a in areas if a != "a,b" for i in ("x", "z")
            for name in draw(st.lists(st.sampled_from(DATA_LEVELS), max_size=3, unique=True))]
        header = LEVEL_HEADER
    if draw(st.booleans()):
        draw(st.randoms()).shuffle(lines)
    return header + "".join(line + "\n" for line in lines)


def random_rules_test(max_examples: int, levels: bool = False):
    """The random differential test, drawing `max_examples` rule files and data per engine (with `levels`, rules
    and data with reference levels too).

    The JSON and report modules collect it again with fewer examples: each of their examples costs several
    times a CSV one, and the rules and data they draw are the same.
    """

    @settings(max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rules=rule_text(levels), data=data_text(levels), period=st.sampled_from([None, None, "2005/06", "2007/08"]))
    @by_engine
    def test_random_rules_on_random_data_agree(rules, data, period, engine):
        random_rules_agree(rules, data, period, engine)

    return test_random_rules_on_random_data_agree


def random_rules_agree(rules: str, data: str, period: str | None, engine: str) -> None:
    """One random rule file and dataset: the engine prints what the reference does, or steps aside saying why."""
    with tempfile.TemporaryDirectory() as folder:
        rules_path, data_path = write(Path(folder), "r.rules", rules), write(Path(folder), "d.csv", data)
        assert unsupported(load_rules(rules_path)) == []
        try:
            reference_csv(rules_path, data_path, period)
        except InputError:  # a --period the data lacks: the reference reports it, the engine steps aside
            assert isinstance(columnar(rules_path, data_path, period, engine=engine), Fallback)
            return
        if "indicator z" in rules and any(_own_row(line, "z", data) for line in data.splitlines()[1:]):
            printed = columnar(rules_path, data_path, period, engine=engine)
            assert isinstance(printed, Fallback) and "derived indicator z" in printed.reason
            return
        if off_scale_somewhere(rules_path):
            found = columnar(rules_path, data_path, period, engine=engine)
            if isinstance(found, Fallback) and found.reason.startswith(TOO_LARGE):
                # A division's cross-multiplied products can pass 38 digits: polars, whose integers wrap around,
                # leaves the run to the interpreter before it runs (POLARS_BOUND), DuckDB when it stops at the
                # overflow (a percent_change() of a division, at three places); each says so.
                assert engine != "polars" or found.reason == POLARS_BOUND
                via_job = evaluate_job(rules_path, data_path, period=period, output_format="csv", engine=engine)
                assert via_job.text == reference_csv(rules_path, data_path, period)
                # (which product DuckDB meets first, and so its message, may differ from run to run)
                assert via_job.notes[0].startswith(f"the {engine} engine did not run: {TOO_LARGE}")
                return
        agree(rules_path, data_path, period, engine=engine)


def _own_row(line: str, indicator: str, data: str) -> bool:
    """Whether a data line holds a value of `indicator` (not one of its fields or levels)."""
    cells = line.split(",")
    return cells[1] == indicator and (not data.startswith(FIELD_HEADER) or cells[2] == "") and \
        (not data.startswith(LEVEL_HEADER) or cells[-1] == "")


test_random_rules_on_random_data_agree = random_rules_test(200, levels=True)


# --- what falls back, and how it says so -----------------------------------------------------------------


def test_constructs_the_plan_cannot_express_are_named():
    # crime.rules: bcs_comparator_crimes' sum() compiles, and the DIP KPIs' divisions of their fields
    assert unsupported(load_rules(ROOT / "rules" / "crime.rules")) == []
    assert unsupported(load_rules(ROOT / "rules" / "districts.rules")) == []  # comparators, quarters, years to date
    assert unsupported(load_rules(NATIONAL_RULES)) == []
    assert unsupported(load_rules(ROOT / "rules" / "five-band.rules")) == []  # margins from the target
    # `grey when no data` and burglary_change's percent_change() compile
    assert unsupported(load_rules(ROOT / "rules" / "tolerance.rules")) == []


def test_a_construct_in_several_clauses_is_named_once_with_its_lines(tmp_path):
    rules = write(tmp_path, "r.rules", "indicator x {\n polarity higher_is_better\n unit percent\n rag {\n"
                  "  green when significantly better than benchmark and value > 10\n"
                  "  amber when significantly better than benchmark\n"
                  "  red when value > 0 or significantly better than benchmark\n }\n}\n")
    assert unsupported(load_rules(rules)) == [
        f"indicator x: `significantly better than benchmark` in a RAG condition ({rules}:5, 6, 7)"]


NO_DATA = """indicator burglary {
 polarity lower_is_better
 target 50
 rag {
  scale grey < red < amber < green
  grey when no data or no target
  green when target met
  red otherwise
 }
}
indicator robbery {
 polarity lower_is_better
 rag {
  green when value < 10 and no data
  red when no data
 }
}
indicator theft {
 polarity lower_is_better
 rag {
  green when has data
 }
}
"""


@by_engine
@pytest.mark.parametrize("period", [None, "2005/06"])
def test_rules_that_rate_having_no_data_rate_it_in_the_plan_as_the_interpreter_does(tmp_path, engine, period):
    rules = write(tmp_path, "r.rules", NO_DATA)
    data = write(tmp_path, "d.csv", HEADER + "A,burglary,2005/06,40\nA,burglary,2006/07,na\nB,burglary,2006/07,60\n"
                 "A,robbery,2006/07,5\nB,robbery,2005/06,suppressed\n")
    asked = evaluate_job(rules, data, output_format="csv", engine=engine, period=period)
    assert asked.notes == () and asked.text == reference_csv(rules, data, period)
    rated = {(row["area"], row["indicator"]): (row["rag"], row["rule_line"])
             for row in csv.DictReader(io.StringIO(asked.text))}
    # B has no burglary value up to 2005/06; robbery's first clause is unknown without a value; no theft data at all
    assert rated[("B", "burglary")] == (("grey", "6") if period else ("red", "8"))
    assert rated[("B", "robbery")] == ("na", "14") and rated[("A", "theft")] == ("na", "")


@by_engine
def test_the_five_band_key_runs_in_the_plan_as_the_interpreter_rates_it(engine):
    rules, data = ROOT / "rules" / "five-band.rules", ROOT / "datasets" / "five-band.yaml"
    asked = evaluate_job(rules, data, output_format="csv", engine=engine)
    assert asked.notes == () and asked.text == evaluate_job(rules, data, output_format="csv",
                                                            engine="interpreter").text
    assert {"blue", "amber_red"} <= {row["rag"] for row in csv.DictReader(io.StringIO(asked.text))}


def test_a_setting_the_plan_does_not_know_falls_back(monkeypatch):
    from lsprules.engine.columnar import support

    rules = load_rules(NATIONAL_RULES)
    assert unsupported(rules) == []
    known = dict(support.KNOWN_FIELDS, ArrowSpec={"compare", "static"})  # as if `peak` were new
    monkeypatch.setattr(support, "KNOWN_FIELDS", known)
    peaked = load_rules(ROOT / "rules" / "national.rules")
    spec = next(iter(peaked.indicators.values()))
    from dataclasses import replace

    from lsprules.lang import nodes

    arrow = replace(spec.arrow, peak=nodes.PeakStmt(nodes.Quantity(Decimal(100))))
    peaked.indicators[spec.id] = replace(spec, arrow=arrow)
    assert spec.span is not None  # the statement was made here, without a place: the indicator's is given
    assert unsupported(peaked) == [f"indicator {spec.id}: `peak at 100` ({NATIONAL_RULES}:{spec.span.line})"]


@pytest.mark.parametrize("construct", [
    "arrow { compare latest with mean of previous 121 }", "arrow {\n compare recent trend at 95 %\n }"])
@by_engine
def test_each_unsupported_construct_falls_back_with_a_note_when_asked(tmp_path, construct, engine):
    rules = write(tmp_path, "r.rules", f"indicator x {{\n polarity higher_is_better\n target 5\n {construct}\n}}\n"
                  .replace("target 5\n target", "target"))
    data = write(tmp_path, "d.csv", HEADER + "A,x,2003/04,1\nA,x,2005/06,4\nA,x,2006/07,6\n")
    assert unsupported(load_rules(rules)) != []
    assert isinstance(columnar(rules, data, engine=engine), Fallback)
    expected = reference_csv(rules, data)
    asked = evaluate_job(rules, data, output_format="csv", engine=engine)
    assert asked.text == expected and "the plan cannot express" in asked.notes[0]
    assert evaluate_job(rules, data, output_format="csv").notes == ()  # auto: silently the best path


@pytest.mark.parametrize("text", [
    HEADER + '"Ynys Môn, North",robbery,2006/07,5\n',  # quoted cells
    HEADER + '"North",robbery,2006/07,5\n',  # a quoted cell: the reference unquotes it
    HEADER + "X,robbery,2006/07\n",  # a row too short
    HEADER + "X,robbery,2006/07,5,6\n",  # a row too long
    HEADER + "X,robbery,2006/07,5\nX,robbery,2006/07,5.0\n",  # a duplicate with the same value: accepted
    HEADER.replace("value", "value,note") + "X,robbery,2006/07,5,hello\n",  # another column
    HEADER + " X ,robbery,2006/07, 5\n",  # spaces around cells
    HEADER + "X,robbery,2006/07,5\nX,robbery,2007,6\n",  # two kinds of period: the reference reports it
    "Value, Period ,AREA,indicator\n5,2006/07,X,robbery\n",  # a header the reference reads
    HEADER + "X,robbery,2006/07,5\nX,robbery.count,2006/07,5\n",  # not an id, though it looks like a field's key
    FIELD_HEADER + "X,robbery,,2006/07,5\nX,robbery.count,,2006/07,5\n",  # the same with a field column
])
@with_spark
def test_files_the_engine_does_not_check_go_to_the_reference(tmp_path, text, engine):
    data = write(tmp_path, "d.csv", text)
    assert isinstance(columnar(NATIONAL_RULES, data, engine=engine), Fallback)
    try:
        expected = reference_csv(NATIONAL_RULES, data)
    except InputError as error:
        with pytest.raises(InputError) as caught:
            evaluate_job(NATIONAL_RULES, data, output_format="csv", engine=engine)
        assert caught.value.diagnostics == error.diagnostics
        return
    assert evaluate_job(NATIONAL_RULES, data, output_format="csv", engine=engine).text == expected


@pytest.mark.parametrize("output_format", ["csv", "json", "markdown"])
def test_a_file_name_that_looks_like_a_pattern_is_the_one_file_it_names(tmp_path, output_format):
    """DuckDB and Spark read data[1].csv as a pattern (here matching data1.csv): they step aside for it, and polars
    reads the file named."""
    named = generate(tmp_path / "data[1].csv", 30) if find_gen() else write(tmp_path, "data[1].csv", HEADER + (
        "E01,robbery,2005/06,5\nE01,robbery,2006/07,4\n"))
    decoy = write(tmp_path, "data1.csv", HEADER + "Decoy,robbery,2006/07,7\n")
    expected = run_evaluate(NATIONAL_RULES, named, output_format=output_format, fast=False)
    assert "Decoy" not in expected
    for engine in ("duckdb", "polars", "auto"):
        ran = evaluate_job(NATIONAL_RULES, named, output_format=output_format, engine=engine)
        assert ran.text == expected, engine
        assert ran.notes == (() if engine != "duckdb" else (
            "the duckdb engine did not run: a file name DuckDB would read as a pattern of files (* ? [ {); the "
            "reference interpreter ran",))
    assert isinstance(duck.evaluate_csv(load_rules(NATIONAL_RULES), named), Fallback)
    assert isinstance(spark_run.evaluate_csv(load_rules(NATIONAL_RULES), named), Fallback)
    assert decoy.exists()


@pytest.mark.parametrize("output_format", ["csv", "json"])
def test_a_panic_inside_polars_is_a_note_and_the_interpreters_result(tmp_path, monkeypatch, output_format):
    import polars as pl

    def panics(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise pl.exceptions.PanicException("expected filter; this is an optimizer bug")

    data = write(tmp_path, "d.csv", rows({("A", "robbery"): ["1", "2", "3"], ("B", "arson"): ["4", "5"]}))
    expected = evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="interpreter").text
    monkeypatch.setattr(pl.LazyFrame, "collect", panics)
    result = evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="polars")
    assert result.text == expected
    assert "polars could not check the file (PanicException)" in result.notes[0]
    if output_format == "csv":  # the checks pass, and the plan's run panics

        class Panicking:
            collect = panics

        monkeypatch.undo()
        monkeypatch.setattr(polars_run, "_query", lambda *args: Panicking())
        result = evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="polars")
        assert result.text == expected and "polars could not run the plan (PanicException)" in result.notes[0]


@with_spark
def test_a_number_too_large_for_exact_integers_falls_back_with_a_note(tmp_path, engine):
    huge = "9" * 36
    data = write(tmp_path, "d.csv", HEADER + f"X,robbery,2003/04,{huge}\nX,robbery,2004/05,1{huge}\n")
    found = columnar(NATIONAL_RULES, data, engine=engine)
    assert isinstance(found, Fallback) and found.note and "too large" in found.reason
    result = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine=engine)
    assert result.text == reference_csv(NATIONAL_RULES, data) and "too large" in result.notes[0]
    assert evaluate_job(NATIONAL_RULES, data, output_format="csv").text == result.text
    places = write(tmp_path, "p.csv", HEADER + "X,robbery,2003/04,0." + "1" * 19 + "\n")
    found = columnar(NATIONAL_RULES, places, engine=engine)
    assert isinstance(found, Fallback) and found.note
    assert evaluate_job(NATIONAL_RULES, places, output_format="csv").text == reference_csv(NATIONAL_RULES, places)


@with_spark
def test_big_values_within_range_stay_exact(tmp_path, engine):
    big = "12345678901234567.5"  # 18 digits: read as DECIMAL(38), no float anywhere
    data = write(tmp_path, "d.csv", HEADER + f"X,robbery,2003/04,{big}\nX,robbery,2004/05,12345678901234567.4\n")
    text = agree(NATIONAL_RULES, data, engine=engine)
    assert "2004/05,12345678901234567.4,2003/04,12345678901234567.5,-0.1,0,static,10185185093518518.1875," in text


# --- the bundled examples: every format, whichever engine is asked for -----------------------------------


BUNDLED = [("crime.rules", "redcar-cleveland-2007.yaml"), ("districts.rules", "districts-2006-07.csv"),
           ("tutorial.rules", "tutorial.yaml"), ("tolerance.rules", "tolerance.yaml")]


@pytest.mark.parametrize("rules, data", BUNDLED)
@pytest.mark.parametrize("output_format", FORMATS)
def test_bundled_examples_are_unchanged_in_every_format(rules, data, output_format):
    rules_path, data_path = ROOT / "rules" / rules, ROOT / "datasets" / data
    expected = evaluate_job(rules_path, data_path, output_format=output_format, engine="interpreter")
    for engine in ("auto", "duckdb", "polars"):
        got = evaluate_job(rules_path, data_path, output_format=output_format, engine=engine)
        assert (got.text, got.discrepancies) == (expected.text, expected.discrepancies)


def test_auto_runs_the_plan_in_polars_on_csv_files_of_tens_of_mib_only(tmp_path, monkeypatch):
    import importlib.util

    from lsprules.engine import compiled
    from lsprules.jobs import evaluate as job

    calls: list[str] = []
    real_polars, real_fast = polars_run.evaluate_csv, compiled.fast_csv

    def polars_spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("polars")
        return real_polars(*args, **kwargs)

    def fast_spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("fast path")
        return real_fast(*args, **kwargs)

    monkeypatch.setattr(polars_run, "evaluate_csv", polars_spy)
    monkeypatch.setattr(compiled, "fast_csv", fast_spy)
    data = write(tmp_path, "a.csv", rows({("A", "robbery"): ["1", "2", "3"], ("B", "arson"): ["4", "", "2"]}))
    expected = reference_csv(NATIONAL_RULES, data)

    def auto(path: Path = data) -> str:
        result = evaluate_job(NATIONAL_RULES, path, output_format="csv")
        assert result.notes == ()  # auto: silently the best path
        return result.text

    assert auto() == expected and calls == ["fast path"]  # a small file: the fast path alone
    size = data.stat().st_size
    monkeypatch.setattr(job, "AUTO_POLARS_CSV_BYTES", range(size + 1, 10**12))
    calls.clear()
    assert auto() == expected and calls == ["fast path"]  # below the range
    monkeypatch.setattr(job, "AUTO_POLARS_CSV_BYTES", range(0, size))
    calls.clear()
    assert auto() == expected and calls == ["fast path"]  # above it: the fast path, in less memory
    monkeypatch.setattr(job, "AUTO_POLARS_CSV_BYTES", range(0, 10**12))
    calls.clear()
    assert auto() == expected and calls == ["polars"]  # within it: polars (installed for the tests)
    huge = write(tmp_path, "h.csv", HEADER + f"X,robbery,2003/04,{'9' * 36}\nX,robbery,2004/05,1{'9' * 36}\n")
    calls.clear()
    assert auto(huge) == reference_csv(NATIONAL_RULES, huge) and calls == ["polars", "fast path"]  # polars steps aside
    bad = write(tmp_path, "b.csv", HEADER + "X,robbery,2003/04,five\n")
    with pytest.raises(InputError) as caught:
        auto(bad)
    with pytest.raises(InputError) as reference:
        reference_csv(NATIONAL_RULES, bad)
    assert caught.value.diagnostics == reference.value.diagnostics  # a bad file is told as the reference tells it
    real_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "polars" else real_spec(name, *a))
    calls.clear()
    assert auto() == expected and calls == ["polars", "fast path"]  # without polars: the fast path, silently


def test_auto_leaves_a_small_file_the_fast_path_cannot_run_to_the_interpreter(tmp_path, monkeypatch):
    from lsprules.jobs import evaluate as job

    calls: list[str] = []
    real = duck.evaluate_csv
    monkeypatch.setattr(duck, "evaluate_csv", lambda *a, **k: calls.append("duckdb") or real(*a, **k))
    rules = write(tmp_path, "r.rules", NO_DATA)  # `no data`: the plan runs it, the hand-written fast path does not
    data = write(tmp_path, "d.csv", HEADER + "A,burglary,2006/07,70\nA,burglary,2007/08,90\nB,robbery,2007/08,4\n")
    expected = evaluate_job(rules, data, output_format="csv", engine="interpreter").text
    assert evaluate_job(rules, data, output_format="csv").text == expected and calls == []  # DuckDB's start: 0.5 s
    monkeypatch.setattr(job, "AUTO_JSON_BYTES", 1)  # as if the file were of some MiB
    assert evaluate_job(rules, data, output_format="csv").text == expected and calls == ["duckdb"]
