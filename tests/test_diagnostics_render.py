"""How a diagnostic shows its source line: the caret stays under the problem whatever the line holds."""

from __future__ import annotations

from lsprules.core.diagnostics import SHOWN_WIDTH, error, render
from lsprules.core.source import Source


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
