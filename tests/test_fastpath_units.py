"""The fast path's pieces: number and text cells exactly as render/csv_out.py writes them, and the reader's grid."""

from __future__ import annotations

import csv
import io
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from fastpath_helpers import write
from lsprules.core.csv_cells import csv_number, ratio_text, safe_text, text_cells
from lsprules.engine.compiled.grid import read_table


@settings(max_examples=2000, deadline=None)
@given(st.integers(-10**20, 10**20), st.integers(1, 10**12))  # numbers.to_decimal stops at 28 digits
def test_ratio_text_is_csv_number(numerator, denominator):
    assert ratio_text(numerator, denominator) == csv_number(Fraction(numerator, denominator))


def test_ratio_text_rounds_half_away_from_zero():
    assert ratio_text(1, 3) == "0.333333" and ratio_text(2, 3) == "0.666667" and ratio_text(-2, 3) == "-0.666667"
    assert ratio_text(1, 2 * 10**6) == "0.000001" and ratio_text(-1, 2 * 10**6) == "-0.000001"
    assert ratio_text(1, 3 * 10**6) == "0" and ratio_text(-1, 3 * 10**6) == "0"  # never "-0"
    assert ratio_text(2999999999, 10**9) == "3" and ratio_text(-30, 10) == "-3"


def writer_cells(texts) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([safe_text(t) for t in texts] + ["x"])
    return buffer.getvalue()[:-len(",x\n")]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=3))
def test_text_cells_are_what_csv_writer_writes(texts):
    assert text_cells(*texts) == writer_cells(texts)


def test_period_major_and_shuffled_files_give_the_same_grid(tmp_path):
    header = "area,indicator,period,value\n"
    rows = [f"A{a},{i},{p},{a * 10 + len(i) + int(p[:4]) % 7}" for p in ("2005/06", "2006/07", "2004/05")
            for a in range(5) for i in ("x", "yy")]
    aligned = read_table(write(tmp_path, "a.csv", header + "\n".join(rows) + "\n"))
    scattered = read_table(write(tmp_path, "s.csv", header + "\n".join(sorted(rows)) + "\n"))
    assert aligned.series is not None and scattered.series is None  # the two ways of building the grid
    for table in (aligned, scattered):
        assert [p.label for p in table.periods] == ["2004/05", "2005/06", "2006/07"]
    for name, indicator in aligned.indicators.items():
        other = scattered.indicators[name]
        for area in range(5):
            first, second = aligned.offsets(indicator, [area])[0], scattered.offsets(other, [area])[0]
            assert aligned.values[first:first + 3] == scattered.values[second:second + 3]


def test_values_share_one_exact_scale(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "area,indicator,period,value\nA,x,2006,1.25\nA,x,2007,-3\n"
                                                "A,x,2008,\nA,x,2009,0.1\n"))
    assert table.scale == 100 and table.values[:4] == [125, -300, None, 10]


def test_national_rules_compile_and_other_conditions_run_the_reference_facts():
    from engine_helpers import rules_from
    from fastpath_helpers import NATIONAL_RULES
    from lsprules.core.periods import parse_period
    from lsprules.engine.compiled.plan import _Compiled, compile_plan
    from lsprules.lang.resolve import load_rules

    periods = tuple(parse_period(p) for p in ("2003/04", "2004/05"))
    for spec in load_rules(NATIONAL_RULES).indicators.values():
        assert isinstance(compile_plan(spec, periods, 2, 10), _Compiled)
    other = rules_from("indicator x {\n polarity lower_is_better\n target 5\n rag {\n green when value < target\n"
                       " red otherwise\n }\n}\n").indicators["x"]
    assert not isinstance(compile_plan(other, periods, 2, 10), _Compiled)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 64), st.sampled_from(["", "\n", "\n\n\n"]), st.booleans(), st.booleans())
def test_the_file_read_in_blocks_of_any_size_gives_the_same_grid(block, trailing, bom, blank_inside):
    """Blocks are cut at any byte: the grid is the same; blank lines pass only at the end, as the reference's."""
    import tempfile
    from pathlib import Path
    from unittest import mock

    from lsprules.engine.compiled import grid

    rows = [f"A{a},{i},{p},{a + len(i) + int(p[:4]) % 7}.5"
            for p in ("2005/06", "2006/07") for a in range(3) for i in ("x", "yy")]
    if blank_inside:
        rows.insert(5, "")
    text = ("\ufeff" if bom else "") + "area,indicator,period,value\n" + "\n".join(rows) + trailing
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.csv"
        path.write_text(text, encoding="utf-8")
        whole = read_table(path)
        with mock.patch.object(grid, "BLOCK_BYTES", block):
            cut = read_table(path)
    if blank_inside:
        assert whole is None and cut is None
        return
    assert whole is not None and cut is not None
    assert (cut.areas, cut.periods, cut.scale, set(cut.indicators)) == \
           (whole.areas, whole.periods, whole.scale, set(whole.indicators))  # indicators may be numbered apart

    def series(table, name):
        return [table.values[start:start + 2] for start in table.offsets(table.indicators[name], range(3))]

    assert series(cut, "x") == series(whole, "x") == [[45, 55], [55, 65], [65, 75]]  # A0 x: 4.5, 5.5 (scale 10)
    assert series(cut, "yy") == series(whole, "yy") == [[55, 65], [65, 75], [75, 85]]


def test_a_line_longer_than_any_plain_row_sends_the_file_to_the_reference_reader(tmp_path, monkeypatch):
    from lsprules.engine.compiled import grid

    path = write(tmp_path, "d.csv", "area,indicator,period,value\nA,x,2006," + "1" * 40 + "\nA,x,2007,2\n")
    assert read_table(path) is not None
    monkeypatch.setattr(grid, "MAX_LINE_BYTES", 30)
    monkeypatch.setattr(grid, "BLOCK_BYTES", 8)  # the long line is met a few bytes at a time
    assert read_table(path) is None


def test_the_compiled_csv_reaches_the_output_in_pieces_that_join_to_the_interpreters_bytes(tmp_path, monkeypatch):
    from fastpath_helpers import NATIONAL_RULES
    from lsprules.engine.compiled import run
    from lsprules.jobs.evaluate import evaluate_job

    rows = [f"E{a:03d},{name},{year}/{(year + 1) % 100:02d},{a + year % 5}" for year in range(2003, 2008)
            for a in range(40) for name in ("burglary_dwelling", "detection_rate_pct")]
    data = write(tmp_path, "n.csv", "area,indicator,period,value\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(run, "PIECE_TEXTS", 4 * 25)  # 25 rows a piece
    pieces: list[str] = []
    assert evaluate_job(NATIONAL_RULES, data, output_format="csv", write=pieces.append).text == ""
    expected = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="interpreter").text
    assert len(pieces) == -(-40 * 12 // 25)  # 480 rows 25 at a time; the first piece holds the header too
    assert "".join(pieces) == expected and all(len(piece) < len(expected) // 10 for piece in pieces)
