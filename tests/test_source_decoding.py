"""One decoder for every input file: a byte-order mark, CRLF or CR line ends, and an invalid byte reported at the
byte, line and column a user sees, the same for rule files, YAML, JSON and CSV (on the command line too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lsprules.core.diagnostics import InputError, render
from lsprules.core.files import decode_source

ROOT = Path(__file__).resolve().parents[1]
BOM = b"\xef\xbb\xbf"

# Each file: a first line, then a second line whose 19th character is a Latin-1 'é' (byte 0xe9), not UTF-8.
FILES = {
    "rules": ("bad.rules", b"# Rules for Ynys Mon\nindicator robbery \"R\xe9bbery\" { polarity lower_is_better }\n"),
    "csv": ("bad.csv", b"area,indicator,period,value,note\nNorth,robbery,2006,12,caf\xe9 closed\n"),
    "json": ("bad.json", b'{"area": "North",\n "title": "Crime\xe9", "indicators": {}}\n'),
    "yaml": ("bad.yaml", b"area: North\ntitle: Crime and dis\xe9order\nindicators: {}\n"),
}


def expected_column(name: str) -> int:
    """The column of the bad byte on line 2, counted in characters from the file's own text."""
    line = FILES[name][1].split(b"\n")[1]
    return len(line[:line.index(b"\xe9")].decode("ascii")) + 1


def message_for(data: bytes, name: str = "f") -> str:
    with pytest.raises(InputError) as caught:
        decode_source(name, data)
    (diagnostic,) = caught.value.diagnostics
    return render(diagnostic)


@pytest.mark.parametrize("kind", sorted(FILES))
@pytest.mark.parametrize("bom", [b"", BOM], ids=["no-bom", "bom"])
def test_an_invalid_byte_is_named_at_its_line_and_column(kind, bom):
    name, data = FILES[kind]
    column = expected_column(kind)
    text = message_for(bom + data, name)
    assert text.startswith(f"{name}:2:{column}: error[E002]: the file is not valid UTF-8: byte 0xe9 at line 2, "
                           f"column {column}\n"), text
    assert f"\n  |{' ' * column}^\n" in text  # the caret stands under the bad byte, the BOM not counted


def test_the_bom_column_is_the_character_not_the_byte():
    """The case of the bug report: a BOM and a multi-byte character before the bad byte on the same line."""
    data = BOM + "indicator x \"Ynys Môn\" ".encode() + b"\xe9\n"
    text = message_for(data)
    assert text.startswith("f:1:24: error[E002]: the file is not valid UTF-8: byte 0xe9 at line 1, column 24"), text


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_crlf_and_cr_end_lines_as_lf_does(newline):
    data = newline.join([b"first", b"second", b"th\xffird", b"fourth", b"fifth"])
    text = message_for(data)
    assert text.startswith("f:3:3: error[E002]: the file is not valid UTF-8: byte 0xff at line 3, column 3"), text
    assert "\n3 | th\ufffdird\n" in text  # the line shown is the bad line alone, whatever ends it
    assert "fourth" not in text


def test_the_hint_fits_the_kind_of_file():
    assert "most editors offer this under 'Save as'" in message_for(b"\xff", "crime.rules")
    assert "in Excel: 'CSV UTF-8'" in message_for(b"\xff", "data.csv")


def test_a_good_file_loses_its_bom_and_its_carriage_returns():
    source = decode_source("f", BOM + b"a\r\nb\rc\n")
    assert source.text == "a\nb\nc\n"
    assert source.line_text(3) == "c"


@pytest.mark.parametrize("kind", ["rules", "csv", "json"])
def test_the_command_line_reports_the_same_position(tmp_path, kind):
    name, data = FILES[kind]
    path = tmp_path / name
    path.write_bytes(BOM + data)
    rules = path if kind == "rules" else ROOT / "rules" / "crime.rules"
    dataset = path if kind != "rules" else ROOT / "datasets" / "redcar-cleveland-2007.yaml"
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", str(rules), str(dataset)],
                            capture_output=True, text=True, timeout=120)
    column = expected_column(kind)
    assert result.returncode == 2
    assert f"{name}:2:{column}: error[E002]: the file is not valid UTF-8: byte 0xe9 at line 2, column {column}" \
        in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
