"""How a diagnostic shows its source line: the caret stays under the problem whatever the line holds; and its hint
stays short whatever the data holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsprules.core.diagnostics import SHOWN_WIDTH, InputError, error, listed, render
from lsprules.core.source import Source
from lsprules.jobs.evaluate import evaluate_job


def _caret_line(text: str, start: int, end: int) -> tuple[str, str]:
    lines = render(error("E101", "m", Source("f", text), start, end)).splitlines()
    return lines[2].split("| ", 1)[1], lines[3].split("| ", 1)[1]


def test_tabs_show_as_spaces_with_the_caret_below():
    shown, caret = _caret_line("\tpolarty x", 1, 8)
    assert shown == "    polarty x" and caret == "    ^^^^^^^"


def test_wide_characters_take_two_columns():
    shown, caret = _caret_line('x "日本" 緑', 7, 8)
    assert caret == " " * 9 + "^^"


def test_control_characters_show_as_replacement_characters():
    shown, caret = _caret_line("ab\x00\x01cd", 2, 3)
    assert shown == "ab\ufffd\ufffdcd" and caret == "  ^"


def test_a_very_long_line_shows_a_window_around_the_caret():
    text = "a" * 5000 + "X" + "b" * 5000
    shown, caret = _caret_line(text, 5000, 5001)
    assert len(shown) <= SHOWN_WIDTH + 2 and shown.startswith("…") and shown.endswith("…")
    assert shown[len(caret) - 1] == "X"


def test_a_diagnostic_without_a_position_has_no_source_line():
    assert render(error("E001", "cannot read 'x'", hint="check the path")) == \
        "error[E001]: cannot read 'x'\n = help: check the path"


def test_a_hint_lists_at_most_a_dozen_names_and_counts_the_rest():
    assert listed([]) == "none"
    assert listed(["North", "South"]) == "North, South"
    names = [f"E{k:08d}" for k in range(35_000)]
    assert listed(names) == ", ".join(names[:12]) + " and 34,988 more"
    assert listed(names[:12]) == ", ".join(names[:12])


def test_an_unknown_area_of_a_national_dataset_is_told_in_a_few_lines(tmp_path):
    data = tmp_path / "national.csv"
    data.write_text("area,indicator,period,value\n" + "".join(f"A{k:05d},robbery,2006/07,{k % 7}\n"
                                                              for k in range(5_000)), encoding="utf-8")
    rules = Path(__file__).resolve().parents[1] / "rules" / "national.rules"
    with pytest.raises(InputError) as raised:
        evaluate_job(rules, data, output_format="markdown", areas=["Nowhere"])
    told = render(raised.value.diagnostics[0])
    assert "--area Nowhere: the dataset has no such area" in told
    assert "A00000, A00001" in told and "and 4,988 more" in told and "A04999" not in told
    assert len(told.splitlines()) <= 3
