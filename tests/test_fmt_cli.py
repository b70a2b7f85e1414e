"""`lsprules fmt` through the CLI: writing, --check, --diff, standard input, errors; meaning never changes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from lsprules.cli.app import app

ROOT = Path(__file__).parent.parent
CRIME = ROOT / "rules" / "crime.rules"
DATASET = ROOT / "datasets" / "redcar-cleveland-2007.yaml"
MESSY = "indicator robbery {polarity lower_is_better\n   unit count}\n"
TIDY = "indicator robbery {\n  polarity lower_is_better\n  unit count\n}\n"
runner = CliRunner()


def fmt(*args, input=None):
    result = runner.invoke(app, ["fmt", *map(str, args)], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_fmt_rewrites_files_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "r.rules"
    path.write_text(MESSY, encoding="utf-8")
    result = fmt(tmp_path)
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == TIDY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.rules"]
    assert "reformatted" in result.stderr and "1 file reformatted" in result.stderr


def test_check_shows_the_diff_writes_nothing_and_exits_1(tmp_path):
    path = tmp_path / "r.rules"
    path.write_text(MESSY, encoding="utf-8")
    result = fmt("--check", path)
    assert result.exit_code == 1
    assert "+  polarity lower_is_better" in result.stdout and "error[E401]" in result.stderr
    assert path.read_text(encoding="utf-8") == MESSY
    path.write_text(TIDY, encoding="utf-8")
    assert fmt("--check", path).exit_code == 0


def test_diff_shows_changes_without_writing(tmp_path):
    path = tmp_path / "r.rules"
    path.write_text(MESSY, encoding="utf-8")
    result = fmt("--diff", path)
    assert result.exit_code == 0 and result.stdout.startswith("--- ")
    assert path.read_text(encoding="utf-8") == MESSY


def test_crlf_and_a_byte_order_mark_count_as_unformatted(tmp_path):
    path = tmp_path / "r.rules"
    path.write_bytes(b"\xef\xbb\xbf" + TIDY.replace("\n", "\r\n").encode("utf-8"))
    result = fmt("--check", path)
    assert result.exit_code == 1 and "line endings" in result.stdout
    assert fmt(path).exit_code == 0 and path.read_bytes() == TIDY.encode("utf-8")


def test_standard_input_is_formatted_to_standard_output():
    result = fmt("-", input=MESSY)
    assert result.exit_code == 0 and result.stdout == TIDY


def test_files_that_do_not_parse_are_left_alone_and_exit_2(tmp_path):
    broken = tmp_path / "broken.rules"
    broken.write_text("indicator x {\n  polarty lower_is_better\n}\n", encoding="utf-8")
    good = tmp_path / "good.rules"
    good.write_text(MESSY, encoding="utf-8")
    result = fmt(tmp_path)
    assert result.exit_code == 2 and "error[E101]" in result.stderr
    assert broken.read_text(encoding="utf-8").startswith("indicator x {\n  polarty")
    assert good.read_text(encoding="utf-8") == TIDY  # the other files are still formatted
    assert fmt(tmp_path / "missing.rules").exit_code == 2


def test_formatting_twice_changes_nothing(tmp_path):
    path = tmp_path / "r.rules"
    path.write_text(MESSY, encoding="utf-8")
    fmt(path)
    once = path.read_bytes()
    assert fmt(path).exit_code == 0 and path.read_bytes() == once


def _scrambled(text: str) -> str:
    """The same rules laid out badly: no indentation, doubled spaces outside titles and comments."""
    lines = []
    for line in text.splitlines():
        code, hash_, comment = line.partition("#")
        parts = re.split(r'("[^"]*")', code.strip())
        code = "".join(p if p.startswith('"') else p.replace(" ", "  ") for p in parts)
        lines.append(code + (" " + hash_ + comment if hash_ else ""))
    return "\n".join(lines) + "\n\n\n"


def _evaluate(rules: Path) -> dict:
    result = runner.invoke(app, ["evaluate", str(rules), str(DATASET), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout.replace(json.dumps(str(rules))[1:-1], "RULES"))
    data.pop("provenance")
    return data


def test_reformatting_never_changes_an_evaluation_result(tmp_path):
    scrambled = tmp_path / "crime.rules"
    scrambled.write_text(_scrambled(CRIME.read_text(encoding="utf-8")), encoding="utf-8")
    before = _evaluate(scrambled)
    assert fmt(scrambled).exit_code == 0
    assert scrambled.read_bytes() == CRIME.read_bytes()  # the bundled file is the canonical layout
    assert _evaluate(scrambled) == before == _evaluate(CRIME)
