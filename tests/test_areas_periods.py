"""Periods as they come: quarters and months, year-to-date (cumulative) figures, rolling twelve months,
the same period last year, targets profiled per quarter, and no silent mixing of kinds of period."""

import io
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

from engine_helpers import assess, rules_from
from lsprules.core.diagnostics import InputError
from lsprules.core.periods import parse_period, year_start
from lsprules.data.readers.csv_reader import load_csv_bytes
from lsprules.engine.interpreter import evaluate
from lsprules.render.progress import progress

ROOT = Path(__file__).resolve().parents[1]


def monthly(values: dict[str, object], indicator: str = "asb") -> str:
    body = ", ".join(f'"{p}": {v}' for p, v in values.items())
    return f"area: Testshire\nindicators:\n  {indicator}:\n    values: {{{body}}}\n"


def series_of(rules: str, yaml_text: str, indicator: str = "x") -> dict[str, object]:
    a = assess(rules, yaml_text, indicator)
    return {p.label: (v if isinstance(v, F) else v.reason) for p, v in a.series}


@pytest.mark.parametrize("label, financial, start", [
    ("2006-09", False, "2006-01"), ("2006-09", True, "2006-04"), ("2007-02", True, "2006-04"),
    ("2006-Q3", False, "2006-Q1"), ("2006-Q1", True, "2005-Q2"), ("2006/07-Q3", False, "2006/07-Q1"),
    ("2006/07", True, "2006/07"),
])
def test_year_start(label, financial, start):
    assert year_start(parse_period(label), financial).label == start


def test_year_to_date_on_months_calendar_and_financial():
    months = {f"2006-{m:02d}": m for m in range(1, 13)}
    rules = "indicator asb { polarity lower_is_better }\n" \
            "indicator x { polarity lower_is_better\n value = year_to_date(asb) }\n" \
            "indicator y { polarity lower_is_better\n value = financial_year_to_date(asb) }\n"
    calendar = series_of(rules, monthly(months), "x")
    assert calendar["2006-03"] == 1 + 2 + 3 and calendar["2006-12"] == 78
    financial = series_of(rules, monthly(months), "y")
    assert financial["2006-04"] == 4 and financial["2006-06"] == 4 + 5 + 6
    assert "asb has no value for 2005-04" in financial["2006-03"]  # the year began before the data


def test_cumulative_figures_back_to_each_period():
    cumulative = {"2006/07-Q1": 30, "2006/07-Q2": 55, "2006/07-Q3": 90, "2006/07-Q4": 120, "2007/08-Q1": 25}
    rules = "indicator asb { polarity lower_is_better }\n" \
            "indicator x { polarity lower_is_better\n value = from_year_to_date(asb) }\n"
    assert series_of(rules, monthly(cumulative), "x") == {"2006/07-Q1": 30, "2006/07-Q2": 25, "2006/07-Q3": 35,
                                                         "2006/07-Q4": 30, "2007/08-Q1": 25}


def test_rolling_twelve_months_needs_every_month():
    months = {f"2006-{m:02d}": 10 for m in range(1, 13)} | {"2007-01": 22, "2007-03": 5}
    rules = "indicator asb { polarity lower_is_better }\n" \
            "indicator x { polarity lower_is_better\n value = rolling_sum(asb, 12) }\n" \
            "indicator y { polarity lower_is_better\n value = rolling_mean(asb, 3) }\n"
    rolling = series_of(rules, monthly(months), "x")
    assert rolling["2006-12"] == 120 and rolling["2007-01"] == 132
    assert rolling["2007-03"] == "asb has no value for 2007-02 (needed for 2006-04–2007-03)"
    assert "2006-11" in rolling["2006-11"]  # fewer than twelve months so far
    assert series_of(rules, monthly(months), "y")["2007-01"] == F(42, 3)


def test_quarters_compare_with_the_same_quarter_last_year():
    data = monthly({"2005-Q3": 100, "2005-Q4": 80, "2006-Q1": 70, "2006-Q2": 75, "2006-Q3": 90})
    rules = "indicator asb {\n polarity lower_is_better\n arrow {\n  compare latest with same period last year\n }\n}\n"
    a = assess(rules, data, "asb")
    assert a.previous.name == "2005-Q3" and a.arrow == "up" and a.change == -10


def test_targets_profiled_per_quarter():
    data = monthly({"2006/07-Q1": 21, "2006/07-Q2": 22, "2006/07-Q3": 26}, "det")
    rules = ("indicator det {\n polarity higher_is_better\n unit percent\n"
             " target {\n  22 % in 2006/07-Q1\n  24 % in 2006/07-Q3\n  25 % in 2006/07-Q4\n }\n"
             " rag {\n  green when target met\n  red otherwise\n }\n}\n")
    assert assess(rules, data, "det").target == 24  # the target of the quarter assessed
    earlier = assess(rules, data, "det", period="2006/07-Q2")
    assert earlier.target == 23 and earlier.rag == "red"  # between two profiled quarters: on the straight line
    assert [(p.label, v) for p, v in earlier.target_path] == [("2006/07-Q1", 22), ("2006/07-Q3", 24),
                                                              ("2006/07-Q4", 25)]


def test_mixing_financial_and_calendar_years_in_one_file_is_refused():
    with pytest.raises(InputError) as caught:
        load_csv_bytes("m.csv", b"area,indicator,period,value\nX,r,2005/06,1\nX,r,2006,2\n")
    (d,) = caught.value.diagnostics
    assert d.code == "E303" and "period 2006 is a calendar year" in d.message


def test_years_option_reads_calendar_labels_as_financial_years(tmp_path):
    rules = tmp_path / "r.rules"
    rules.write_text('comparator national "National" area "National"\n'
                     "indicator r { polarity lower_is_better }\n"
                     "indicator g {\n polarity lower_is_better\n value = gap(r, national)\n}\n", encoding="utf-8")
    local = tmp_path / "local.csv"
    local.write_text("area,indicator,period,value\nNorth,r,2005/06,5\nNorth,r,2006/07,4\n", encoding="utf-8")
    national = tmp_path / "national.csv"  # a publisher that labels its financial years by their first year
    national.write_text("area,indicator,period,value\nNational,r,2005,3\nNational,r,2006,3\n", encoding="utf-8")
    base = [sys.executable, "-m", "lsprules", "evaluate", str(rules), str(local), str(national), "-f", "markdown"]
    refused = subprocess.run(base, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert refused.returncode == 2 and "error[E314]" in refused.stderr and "--years financial_year" in refused.stderr
    told = subprocess.run(base + ["--years", "financial_year"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert told.returncode == 0, told.stderr
    assert "| g | 2 | **1** | ▲ |" in told.stdout and "periods are financial years" in told.stdout


# --- progress ------------------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_unless_on_a_terminal():
    quiet = io.StringIO()
    with progress("Assessing", 5, stream=quiet) as advance:
        for area in "abcde":
            advance(area)
    assert quiet.getvalue() == ""
    terminal = FakeTerminal()
    with progress("Assessing", 5, stream=terminal) as advance:
        for area in "abcde":
            advance(area)
    assert "Assessing" in terminal.getvalue()


def test_progress_reports_each_area():
    seen = []
    rules = rules_from("indicator r { polarity lower_is_better }")
    from engine_helpers import dataset_from

    data = dataset_from('areas:\n  A: {indicators: {r: {values: {"2006": 1}}}}\n'
                        '  B: {indicators: {r: {values: {"2006": 2}}}}\n')
    evaluate(rules, data, progress=seen.append)
    assert seen == ["A", "B"]


def test_piped_runs_show_no_progress():
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", "rules/districts.rules",
                             "datasets/districts-2006-07.csv", "-f", "csv"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
