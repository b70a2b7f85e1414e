"""The polars lowering of the columnar plan: what it guards against (integers that wrap around), how large a plan's
integers can get (magnitude.py), and what a run says when polars is not installed."""

from __future__ import annotations

import importlib.util

import pytest
from sqlglot import exp

from fastpath_helpers import NATIONAL_RULES, reference_csv, write
from lsprules.core.periods import PeriodKind
from lsprules.engine.columnar import polars_run
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.engine.columnar.magnitude import UNBOUNDED, largest
from lsprules.engine.columnar.sql_plan import PlanOptions, compile_plan
from lsprules.jobs.evaluate import evaluate_job
from lsprules.lang.resolve import load_rules
from test_fastpath_differential import HEADER

pl = pytest.importorskip("polars")
TEXTS = ("area", "indicator", "period")


def test_polars_integers_wrap_around_silently_which_is_why_plans_are_bounded():
    big = pl.DataFrame({"x": pl.Series([2**126], dtype=pl.Int128)})
    wrapped = big.select(pl.col("x") * pl.lit(4, pl.Int128)).item()
    assert wrapped == 0  # 2^128 modulo 2^128: no error, a wrong number


def test_polars_integer_division_leaves_128_bits_so_the_plan_divides_decimals():
    frame = pl.DataFrame({"x": pl.Series([10**30 + 7], dtype=pl.Int128)})
    assert pl.SQLContext(t=frame).execute("SELECT DIV(x, CAST(10 AS INT128)) AS q FROM t", eager=True).item() is None
    plan = compile_plan(load_rules(NATIONAL_RULES), PlanOptions("polars", scale=1, row_number="rn", digits=5))
    text = plan.sql(dialect="postgres")
    assert "DIV(" not in text and "AS DECIMAL(38, 0)) / CAST(" in text and "INT128" in text


def _bound(digits: int, scale: int, kind: PeriodKind = PeriodKind.FINANCIAL_YEAR) -> int:
    plan = compile_plan(load_rules(NATIONAL_RULES), PlanOptions("polars", kind, scale, row_number="rn", digits=digits))
    return largest(plan, {"value": 10 ** (digits - scale), "rn": 10**6}, TEXTS)


def test_the_bound_grows_with_the_data_s_digits_and_covers_the_worst_case():
    bounds = [_bound(digits, 1) for digits in (5, 10, 20, 30)]
    assert bounds == sorted(bounds) and bounds[0] < 2**64 and bounds[-1] > 10**38
    # The trajectory of a value with d digits: (bv × 40 - |bv| × 7) × 4 and more: the bound is at least that.
    assert _bound(20, 0) >= 10**20 * 40 * 4


def test_anything_the_bound_does_not_know_is_unbounded():
    plan = exp.select(exp.func("POWER", exp.column("value"), exp.Literal.number(2)).as_("p")).from_("observations")
    assert largest(plan, {"value": 10}, TEXTS) == UNBOUNDED
    text_to_number = exp.select(exp.cast(exp.column("area"), "INT128").as_("n")).from_("observations")
    assert largest(text_to_number, {}, TEXTS) == UNBOUNDED
    product = exp.select(exp.Mul(this=exp.column("value"), expression=exp.column("value")).as_("n")).from_("o")
    assert largest(product, {"value": 10**20}, TEXTS) == 10**40


def test_without_polars_the_run_says_how_to_install_it(tmp_path, monkeypatch):
    data = write(tmp_path, "d.csv", HEADER + "X,robbery,2003/04,5\nX,robbery,2004/05,4\n")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "polars" else real(name, *a))
    found = polars_run.evaluate_csv(load_rules(NATIONAL_RULES), data)
    assert isinstance(found, Fallback) and found.note and found.reason == polars_run.INSTALL
    assert "polars is not installed" in found.reason and "'lsprules[polars]'" in found.reason
    result = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="polars")
    assert result.text == reference_csv(NATIONAL_RULES, data)
    assert result.notes == (f"the polars engine did not run: {polars_run.INSTALL}; the reference interpreter ran",)


def test_other_formats_say_that_the_polars_engine_writes_csv_and_json(tmp_path):
    data = write(tmp_path, "d.csv", HEADER + "X,robbery,2003/04,5\n")
    result = evaluate_job(NATIONAL_RULES, data, output_format="markdown", engine="polars")
    assert result.notes and result.notes[0].startswith("the polars engine writes CSV and JSON from one CSV dataset")
    assert evaluate_job(NATIONAL_RULES, data, output_format="json", engine="polars").notes == ()  # JSON: it ran
