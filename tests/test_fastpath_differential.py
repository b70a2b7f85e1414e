"""The fast path against the reference interpreter: the same bytes, on generated national data, on hand-made
exact ties and gaps, and on random rules and data; and it steps aside for anything it does not handle."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpath_helpers import NATIONAL_RULES, agree, find_gen, generate, reference_csv, write
from lsprules.core.diagnostics import InputError
from lsprules.engine.compiled import fast_csv
from lsprules.lang.resolve import load_rules

# gen.py is the benchmark's own generator in ../shared (beside the checkout here and in CI); a checkout on
# its own still runs the hand-made and random differential cases below.
needs_gen = pytest.mark.skipif(find_gen() is None, reason="shared/bench/gen.py is not beside the checkout")

HEADER = "area,indicator,period,value\n"
YEARS = ["2003/04", "2004/05", "2005/06", "2006/07", "2007/08"]


def rows(series: dict[tuple[str, str], list[str]]) -> str:
    """Long CSV, period-major: {(area, indicator): [value per year]}."""
    lines = [f"{area},{indicator},{YEARS[p]},{values[p]}"
             for p in range(len(YEARS)) for (area, indicator), values in series.items() if p < len(values)]
    return HEADER + "\n".join(lines) + "\n"


# --- generated national data (gen.py) ---------------------------------------------------------------


@needs_gen
def test_generated_small_national_dataset_agrees(tmp_path):
    text = agree(NATIONAL_RULES, generate(tmp_path / "national-S.csv", 350))
    assert text.count("\n") == 350 * 12 + 1
    arrows = {line.split(",")[10] for line in text.splitlines()[1:]}
    rags = {line.split(",")[13] for line in text.splitlines()[1:]}
    assert arrows == {"up", "static", "down", "na"} and rags == {"green", "amber", "red", "na"}


@needs_gen
@pytest.mark.slow
def test_generated_medium_national_dataset_agrees(tmp_path):
    agree(NATIONAL_RULES, generate(tmp_path / "national-M.csv", 3500))


@needs_gen
def test_generated_data_in_any_row_order_agrees(tmp_path):
    data = generate(tmp_path / "national.csv", 40)
    header, *body = data.read_text(encoding="utf-8").splitlines(keepends=True)
    random.Random(7).shuffle(body)
    agree(NATIONAL_RULES, write(tmp_path, "shuffled.csv", header + "".join(body)))
    agree(NATIONAL_RULES, data, period="2005/06", areas=["E01000003", "E01000001"])


# --- hand-made: exact ties, gaps, zeros --------------------------------------------------------------


def test_national_rules_on_exact_ties_and_gaps(tmp_path):
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
        ("other", "not_in_the_rules"): ["1", "2", "3", "4", "5"],
        ("=HYPERLINK(1)", "robbery"): ["1", "2", "3", "4", "5"],  # formula-looking area: quoted with '
        (" spaced ", "robbery"): [" 1", "2 ", " 3 ", "4", "5"],
    }
    text = agree(NATIONAL_RULES, write(tmp_path, "ties.csv", rows(series)))
    by_key = {tuple(line.split(",")[:2]): line.split(",") for line in text.splitlines()[1:]}
    assert by_key["tie_up", "detection_rate_pct"][9:11] == ["1.5", "up"]
    assert by_key["tie_down", "detection_rate_pct"][9:11] == ["-1.5", "down"]
    assert by_key["on_path", "robbery"][12:16] == ["91.25", "green", "false", "true"]
    assert by_key["zero_previous", "arson"][9:14] == ["", "na", "0.825", "0.825", "red"]
    assert by_key["no_baseline", "robbery"][13] == "na"
    assert by_key["'=HYPERLINK(1)", "robbery"][4] == "2007/08"


def test_other_constructs_agree(tmp_path):
    rules = write(tmp_path, "other.rules", """\
        indicator near "Near 50, \\"quoted\\", with commas" {
          polarity closer_to 50
          arrow {
            compare latest with same period last year
            static within 2 pp
            peak at 100
          }
          target {
            reach 45 by 2007/08
            trajectory flat
          }
          rag {
            green when target met
            amber when not (arrow is down)
            red otherwise
          }
        }
        indicator mean2 {
          polarity higher_is_better
          arrow {
            compare latest with mean of previous 2
            static within 1
          }
          target 55
          rag {
            green when on trajectory and arrow is up
            amber when arrow is static or arrow is up
            red otherwise
          }
        }
        indicator plain { polarity lower_is_better }
        indicator profiled {
          polarity lower_is_better
          target {
            baseline 2003/04
            80 in 2005/06
            70 in 2007/08
          }
          rag {
            green when on trajectory
            red otherwise
          }
        }
        indicator banded {
          polarity higher_is_better
          arrow { static below 1.5 % }
          target {
            baseline 2003/04
            increase by 10 % by 2007/08
          }
          rag {
            scale red < amber < green < blue
            blue when target exceeded by 5 %
            green when value >= target
            amber when within 5 pp of target and change > 0
            red when gap widened
            red otherwise
          }
        }
        group extra "Extra" {
          indicator peaked {
            polarity higher_is_better
            arrow { peak at 100 % }
            target { reach 90 by 2007 }
            rag { green when arrow is peak }
          }
        }
        """)
    values = ["60.0", "60.9", "100", "", "44.5", "45", "50", "55.5", "0", "81", "79"]
    rng = random.Random(3)
    series = {(f"area{a}", name): [rng.choice(values) for _ in YEARS]
              for a in range(40) for name in ("near", "mean2", "plain", "profiled", "banded", "peaked")}
    data = write(tmp_path, "other.csv", rows(series))
    agree(rules, data)
    agree(rules, data, period="2006/07")


def quarterly_visits(folder: Path, rng: random.Random) -> tuple[Path, str]:
    """The quarterly case both compiled evaluators are held to: an arrow against the same quarter a year
    earlier, a target from a quarter's baseline, and 30 areas of random quarterly values (from `rng`)."""
    rules = write(folder, "q.rules", """\
        indicator visits {
          polarity higher_is_better
          arrow {
            compare latest with same period last year
            static within 1.5 %
          }
          target {
            baseline 2005-Q1
            increase by 10 % by 2006-Q4
          }
          rag {
            green when on trajectory
            amber when arrow is up
            red otherwise
          }
        }
        """)
    quarters = [f"{y}-Q{q}" for y in (2005, 2006, 2007) for q in (1, 2, 3, 4)]
    text = HEADER + "".join(f"A{a},visits,{q},{rng.choice(['', '100', '101.5', '98.5', '110'])}\n"
                            for q in quarters for a in range(30))
    return rules, text


def test_quarters_compared_with_the_same_quarter_a_year_earlier(tmp_path):
    rules, text = quarterly_visits(tmp_path, random.Random(5))
    agree(rules, write(tmp_path, "q.csv", text))


# --- random rules on random data ---------------------------------------------------------------------

ARROW = st.tuples(st.sampled_from(["", "compare latest with previous", "compare latest with same period last year",
                                   "compare latest with mean of previous 2", "compare latest with mean of previous 1"]),
                  st.sampled_from(["", "static within 1.5 %", "static below 1.5 %", "static within 2 pp",
                                   "static below 1", "static within 0"]),
                  st.sampled_from(["", "peak at 100", "peak at 60 %"]))
TARGET = st.sampled_from([
    "", "target 50", "target {\n baseline 2003/04\n reduce by 17.5 % by 2007/08\n trajectory linear\n }",
    "target {\n baseline 2004/05\n increase by 10 % by 2006/07\n }",
    "target {\n reach 40 by 2006/07\n trajectory flat\n }",
    "target {\n baseline 2003/04\n 80 in 2005/06\n 70 in 2007/08\n }", "target {\n increase by 5 % by 2007/08\n }",
    "target {\n baseline 2009/10\n reduce by 5 by 2010/11\n }", "target {\n baseline 2005/06\n reach 45 by 2007\n }",
    "target {\n baseline 2003/04\n increase by 3 by 2005/06\n }"])
RAG = st.sampled_from([
    "", "rag {\n green when on trajectory\n red when arrow is na\n amber when arrow is up\n red otherwise\n }",
    "rag {\n green when target met\n amber when not (arrow is down)\n red otherwise\n }",
    "rag {\n green when on trajectory or arrow is peak\n red when arrow is not up\n amber otherwise\n }",
    "rag {\n green when arrow is up\n }",
    "rag {\n green when value >= target\n amber when within 5 pp of target\n red when gap widened\n red otherwise\n }",
    "rag {\n green when target exceeded by 2 %\n amber when previous < value - 1\n red otherwise\n }",
    # rule language v2: missing things as facts and bounded margins (the per-series plan runs them)
    "rag {\n scale grey < red < amber < green < blue\n grey when no target\n"
    " blue when target exceeded by more than 10 %\n green when at least 0 % better than target or value == target\n"
    " amber when no more than 5 pp short of target\n red when less than 1 short of target or has previous value\n"
    " red otherwise\n }",
    # ... and a rating for no data, which the fast path leaves to the reference
    "rag {\n scale grey < red < green\n grey when no data or no previous value\n"
    " green when up to 2 % short of trajectory\n red otherwise\n }"])
POLARITY = st.sampled_from(["higher_is_better", "lower_is_better", "closer_to 50"])
VALUE = st.one_of(st.sampled_from(["", "na", "N/A", "suppressed", "0", "0.0", "60.0", "60.9", "59.1", "100",
                                   "82.5", "91.25", " 7 ", "-3"]),
                  st.integers(-5, 120).map(str), st.decimals(-10, 120, places=2).map(str))


@st.composite
def rule_text(draw) -> str:
    compare, static, peak = draw(ARROW)
    arrow = "\n".join(s for s in (compare, static, peak) if s)
    body = [f"polarity {draw(POLARITY)}", f"arrow {{\n{arrow}\n}}" if arrow else "", draw(TARGET), draw(RAG)]
    return "indicator x {\n" + "\n".join(b for b in body if b) + "\n}\nindicator y { polarity lower_is_better }\n"


@st.composite
def data_text(draw) -> str:
    areas = draw(st.lists(st.sampled_from(["North", "South", "=cmd", "Ynys Mon", "E01000001"]), min_size=1,
                          max_size=3, unique=True))
    years = draw(st.lists(st.sampled_from(YEARS), min_size=1, max_size=5, unique=True))
    lines = [f"{a},{i},{p},{draw(VALUE)}" for p in years for a in areas for i in ("x", "y")
             if draw(st.integers(0, 9))]  # now and then a row is absent
    if draw(st.booleans()):
        draw(st.randoms()).shuffle(lines)
    return HEADER + "".join(line + "\n" for line in lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rule_text(), data=data_text(), period=st.sampled_from([None, None, "2005/06", "2007/08"]))
def test_random_rules_on_random_data_agree(rules, data, period):
    with tempfile.TemporaryDirectory() as folder:
        rules_path, data_path = write(Path(folder), "r.rules", rules), write(Path(folder), "d.csv", data)
        try:
            reference_csv(rules_path, data_path, period)
        except InputError:  # a --period the data lacks: the reference reports it, the fast path steps aside
            assert fast_csv(load_rules(rules_path), data_path, period=period) is None
            return
        agree(rules_path, data_path, period, fast="no data" not in rules)


# --- what the fast path leaves to the reference ------------------------------------------------------


@pytest.mark.parametrize("text", [
    HEADER + '"Ynys Môn, North",robbery,2006/07,5\n',  # quoted cells
    HEADER.replace("\n", "\r\n") + "X,robbery,2006/07,5\r\n",  # CRLF line ends
    HEADER + "X,robbery,2006/07,5\n\nX,robbery,2007/08,6\n",  # a blank line
    HEADER + "X,robbery,2006/07,5\nX,robbery,2006/07,5.0\n",  # a duplicate with the same value: accepted
    HEADER.replace("value", "value,note") + "X,robbery,2006/07,5,hello\n",  # another column
    HEADER + "X,robbery,2006/07,5\nX,arson,2007/08,6,\n",  # a blank extra cell
])
def test_files_the_fast_reader_does_not_take_still_agree(tmp_path, text):
    data = write(tmp_path, "d.csv", text)
    agree(NATIONAL_RULES, data, fast=False)


@pytest.mark.parametrize("text, where", [
    (HEADER + "X,robbery,2006/07,5\nX,robbery,2007/08,lots\n", "row 3, column 4"),
    (HEADER + "X,robbery,2006/07,5\nX,robbery,2006/07,6\n", "row 3, column 4"),
    (HEADER + "X,robbery,2006/07,5\nX,Robbery!,2007/08,6\n", "row 3, column 2"),
    (HEADER + "X,robbery,2006/07,5\n,robbery,2007/08,6\n", "row 3, column 1"),
    (HEADER + "X,robbery,2006/07,5\nX,robbery,2007,6\n", "row 3, column 3"),
    (HEADER + "X,robbery,2006/07,5\nX,robbery,2007/09,6\n", "row 3, column 3"),
])
def test_bad_rows_are_reported_by_the_reference_reader(tmp_path, text, where):
    data = write(tmp_path, "d.csv", text)
    assert fast_csv(load_rules(NATIONAL_RULES), data) is None
    with pytest.raises(InputError) as caught:
        reference_csv(NATIONAL_RULES, data)
    assert where in caught.value.diagnostics[0].message


def test_derived_indicators_and_other_formats_use_the_reference(tmp_path):
    rules = write(tmp_path, "d.rules", "indicator a { polarity lower_is_better }\n"
                                       "indicator b { polarity lower_is_better\n value = a * 2 }\n")
    data = write(tmp_path, "d.csv", HEADER + "X,a,2006/07,5\n")
    agree(rules, data, fast=False)
    assert fast_csv(load_rules(NATIONAL_RULES), Path("datasets/redcar-cleveland-2007.yaml")) is None


def test_unknown_period_or_area_is_left_to_the_reference(tmp_path):
    data = write(tmp_path, "d.csv", HEADER + "X,robbery,2006/07,5\n")
    rules = load_rules(NATIONAL_RULES)
    assert fast_csv(rules, data, period="2009/10") is None and fast_csv(rules, data, period="soon") is None
    assert fast_csv(rules, data, areas=["Y"]) is None
    assert fast_csv(rules, tmp_path / "missing.csv") is None


def test_empty_dataset_and_header_only(tmp_path):
    agree(NATIONAL_RULES, write(tmp_path, "h.csv", HEADER))
    agree(NATIONAL_RULES, write(tmp_path, "p.csv", "Value, Period ,AREA,indicator\n5,2006/07,X,robbery\n"))


@pytest.mark.parametrize("chunk, first_block", [(64, 1 << 20), (1000, 1 << 20), (300, 50)])
def test_small_chunks_straddling_blocks_agree(tmp_path, monkeypatch, chunk, first_block):
    from lsprules.engine.compiled import grid as reader

    monkeypatch.setattr(reader, "CHUNK_CHARS", chunk)
    monkeypatch.setattr(reader, "MAX_FIRST_BLOCK", first_block)
    rng = random.Random(chunk)
    series = {(f"A{a}", name): [rng.choice(["", "3", "4", "5.5", "0"]) for _ in YEARS]
              for a in range(30) for name in ("robbery", "detection_rate_pct", "arson")}
    text = rows(series)
    agree(NATIONAL_RULES, write(tmp_path, "aligned.csv", text))
    header, *body = text.splitlines(keepends=True)
    body[5], body[200] = body[200], body[5]  # one pair swapped: blocks no longer repeat row for row
    agree(NATIONAL_RULES, write(tmp_path, "swapped.csv", header + "".join(body)))
    one_period = HEADER + "".join(line for line in body if ",2003/04," in line)
    agree(NATIONAL_RULES, write(tmp_path, "one.csv", one_period))
