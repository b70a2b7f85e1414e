"""The polars lowering of the columnar plan: what it guards against (integers that wrap around), how large a plan's
integers can get (magnitude.py), and what a run says when polars is not installed."""

from __future__ import annotations

import importlib.util

import pytest
from sqlglot import exp

from fastpath_helpers import NATIONAL_RULES, reference_csv, write
from lsprules.core.periods import PeriodKind, parse_period
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


def _checked(digits: int, scale: int = 1) -> polars_run.Checked:
    periods = {label: parse_period(label) for label in ("2003/04", "2004/05")}
    return polars_run.Checked(PeriodKind.FINANCIAL_YEAR, scale, digits, periods, {"E01"})


def test_a_plan_runs_in_64_bit_integers_only_when_its_bound_is_under_10_to_the_18():
    rules = load_rules(NATIONAL_RULES)
    small = polars_run._bounded_plan(rules, _checked(5), None, None, 100)
    large = polars_run._bounded_plan(rules, _checked(15), None, None, 100)
    assert small is not None and large is not None
    assert "BIGINT" in small.sql(dialect="postgres") and "INT128" not in small.sql(dialect="postgres")
    assert largest(small, {"value": 10**4, "rn": 100}, TEXTS) < 10**18
    assert "INT128" in large.sql(dialect="postgres")  # 15 digits: products beyond 10^18
    assert polars_run._bounded_plan(rules, _checked(36), None, None, 100) is None  # beyond 10^38: the interpreter


def test_a_64_bit_plan_and_a_128_bit_plan_give_the_same_bytes(tmp_path, monkeypatch):
    values = {1: ("9.5", "9.97", "9.25"), 2: ("120.25", "-3", "118"), 3: ("-4", "na", "0.125")}
    rows = [f"E0{a},{i},{p},{v}" for a, vs in values.items() for i in ("robbery", "arson", "detection_rate_pct")
            for p, v in zip(("2003/04", "2004/05", "2005/06"), vs, strict=True)]
    data = write(tmp_path, "d.csv", HEADER + "\n".join(rows) + "\n")
    wide = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="polars")
    assert not wide.notes
    monkeypatch.setattr(polars_run, "INTEGERS", polars_run.INTEGERS[1:])  # 128 bits only, as before
    assert evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="polars").text == wide.text
    wide = wide.text
    assert wide == reference_csv(NATIONAL_RULES, data)


def test_the_plan_lowered_to_text_keys_gives_the_same_cells(tmp_path):
    rows = [f"E0{a},{i},{p},{a * 3 + k}" for a in (1, 2) for i in ("robbery", "detection_rate_pct")
            for k, p in enumerate(("2003/04", "2004/05", "2005/06"))]
    data = write(tmp_path, "d.csv", HEADER + "\n".join(rows) + "\n")
    frame = polars_run._read(data)
    assert not isinstance(frame, Fallback)
    found = polars_run._checked(frame)
    assert not isinstance(found, Fallback)
    plan = polars_run._bounded_plan(load_rules(NATIONAL_RULES), found, None, None, frame.height)
    assert plan is not None

    def cells(query: exp.Select) -> list[tuple]:
        context = pl.SQLContext(observations=frame.lazy().with_row_index("rn", offset=1))
        return context.execute(query.sql(dialect="postgres")).collect().rows()

    assert cells(polars_run._lowered(plan)) == cells(plan)
    assert [r[0] for r in cells(plan)] == ["E01"] * 12 + ["E02"] * 12


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


def test_the_polars_engine_writes_every_format(tmp_path):
    data = write(tmp_path, "d.csv", HEADER + "X,robbery,2003/04,5\n")
    word = evaluate_job(NATIONAL_RULES, data, output_format="docx", engine="polars")
    assert word.notes == () and word.data == evaluate_job(NATIONAL_RULES, data, output_format="docx",
                                                          engine="interpreter").data
    for output_format in ("json", "markdown", "html", "table"):  # it ran
        assert evaluate_job(NATIONAL_RULES, data, output_format=output_format, engine="polars").notes == ()


def _cells(data, values: str | None) -> str:
    """The polars run's CSV text, values parsed by polars (values: its column) or by the plan (None)."""
    frame = polars_run._read(data)
    assert not isinstance(frame, Fallback)
    found = polars_run._checked(frame)
    assert not isinstance(found, Fallback)
    bounded = polars_run._narrowest(load_rules(NATIONAL_RULES), found, None, None, frame.height, values)
    assert bounded is not None
    text = polars_run._collected(polars_run._query(bounded, frame, found), frame.height)
    assert not isinstance(text, Fallback)
    return "".join(text)


@pytest.mark.parametrize("digits", [3, 16])  # 64-bit integers, and 128-bit ones (a value of 16 digits)
def test_values_parsed_by_polars_are_the_plan_s_own_parse(tmp_path, digits):
    # Every way the reference reader writes a number (signs, leading zeros, fewer places than the scale, zero)
    # and every missing word, in any case.
    values = ["+5", "007", "-0.5", "1.25", "-0", "0.10", "na", "N/A", "", "Suppressed", "12", "-3.5",
              "9" * (digits - 2) + ".25"]
    rows = [f"E0{k // 3},{('robbery', 'arson', 'detection_rate_pct')[k % 3]},{p},{v}"
            for k, v in enumerate(values) for p in ("2003/04", "2004/05") if v or p == "2004/05"]
    data = write(tmp_path, "d.csv", HEADER + "\n".join(rows) + "\n")
    parsed = _cells(data, polars_run.VALUES)
    assert parsed == _cells(data, None)
    assert parsed == reference_csv(NATIONAL_RULES, data)


@pytest.mark.parametrize("cell", ["lots", " 5", "1e3"])
def test_a_bad_value_found_beside_the_compile_leaves_the_plan_unused(tmp_path, cell):
    data = write(tmp_path, "d.csv", HEADER + f"E01,robbery,2003/04,5\nE01,robbery,2004/05,{cell}\n")
    found = polars_run.evaluate_csv(load_rules(NATIONAL_RULES), data)
    assert found == Fallback(polars_run.REFUSED)


def test_a_repeated_row_found_beside_the_compile_leaves_the_plan_unused(tmp_path):
    data = write(tmp_path, "d.csv", HEADER + "E01,robbery,2003/04,5\nE01,arson,2003/04,4\nE01,robbery,2003/04,6\n")
    assert polars_run.evaluate_csv(load_rules(NATIONAL_RULES), data) == Fallback(polars_run.REFUSED)


def test_when_polars_fails_beside_the_compile_the_checks_alone_decide(tmp_path, monkeypatch):
    good = write(tmp_path, "good.csv", HEADER + "E01,robbery,2003/04,5\nE01,robbery,2004/05,4\n")
    bad = write(tmp_path, "bad.csv", HEADER + "E01,robbery,2003/04,5\nE01,robbery,2004/05,lots\n")
    calls = []
    real = polars_run._checked_run
    monkeypatch.setattr(polars_run._Collecting, "run", lambda self: None)  # as if polars raised: no counts
    monkeypatch.setattr(polars_run, "_checked_run", lambda *a: calls.append(a) or real(*a))
    rules = load_rules(NATIONAL_RULES)
    found = polars_run.evaluate_csv(rules, good)
    assert not isinstance(found, Fallback) and "".join(found) == reference_csv(NATIONAL_RULES, good)
    assert polars_run.evaluate_csv(rules, bad) == Fallback(polars_run.REFUSED)
    assert len(calls) == 2


def test_an_unknown_period_asked_for_is_said_after_the_checks_as_before(tmp_path):
    data = write(tmp_path, "d.csv", HEADER + "E01,robbery,2003/04,5\nE01,robbery,2004/05,lots\n")
    assert polars_run.evaluate_csv(load_rules(NATIONAL_RULES), data, period="2009/10") == \
        Fallback(polars_run.REFUSED)  # the bad value first, as the checks alone say it


def test_the_streaming_engine_gives_the_same_bytes(tmp_path, monkeypatch):
    values = {1: ("9.5", "9.97", "na"), 2: ("120.25", "-3", "118"), 3: ("-4", "", "0.125"), 4: ("0", "0", "7")}
    rows = [f"E0{a},{i},{p},{v}" for a, vs in values.items() for i in ("robbery", "arson", "detection_rate_pct")
            for p, v in zip(("2003/04", "2004/05", "2005/06"), vs, strict=True)]
    data = write(tmp_path, "d.csv", HEADER + "\n".join(rows[::-1]) + "\n")  # areas in order of first row: 4 first
    in_memory = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="polars")
    monkeypatch.setattr(polars_run, "STREAMING_ROWS", 0)
    streamed = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="polars")
    assert not in_memory.notes and not streamed.notes
    assert streamed.text == in_memory.text == reference_csv(NATIONAL_RULES, data)


@pytest.mark.parametrize("piece", [1, 5, 1 << 20])
def test_the_commas_are_counted_across_pieces_of_the_file(tmp_path, monkeypatch, piece):
    monkeypatch.setattr(polars_run, "COUNTED_BYTES", piece)
    good = write(tmp_path, "good.csv", HEADER + "".join(f"E0{a},robbery,2006/07,{a}\n" for a in range(40)))
    short = write(tmp_path, "short.csv", good.read_text(encoding="utf-8") + "E99,robbery,2006/07\n")
    text = polars_run.evaluate_csv(load_rules(NATIONAL_RULES), good)
    assert not isinstance(text, Fallback) and "".join(text) == reference_csv(NATIONAL_RULES, good)
    assert polars_run.evaluate_csv(load_rules(NATIONAL_RULES), short) == \
        Fallback("a row with fewer cells than the header")
