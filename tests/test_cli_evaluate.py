"""`lsprules evaluate` end to end: outputs, goldens, determinism, and errors with exit code 2."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules" / "crime.rules"
DATA = ROOT / "datasets" / "redcar-cleveland-2007.yaml"
GOLDEN = ROOT / "tests" / "golden" / "evaluate"
UPDATE = os.environ.get("LSPRULES_UPDATE_GOLDENS") == "1"


def run(*args: str, cwd: Path = ROOT, columns: int = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns)}  # the table fits the terminal: goldens fix its width
    return subprocess.run([sys.executable, "-m", "lsprules", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env=env)


def check_golden(name: str, text: str) -> None:
    # A file's git state (commit, clean) changes with every commit: goldens keep everything but that.
    text = re.sub(r" · git \S+ \w+$", "", text, flags=re.M)
    text = re.sub(r"^ +git \S+ \w+\n", "", text, flags=re.M)  # on a line of its own in a narrow table
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("period", ["2006/07", "2005/06"])
def test_table_matches_golden(period):
    result = run("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "--period", period)
    assert result.returncode == 0, result.stderr
    check_golden(f"crime-{period.replace('/', '-')}.txt", result.stdout)


def test_json_follows_the_schema_and_is_deterministic(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        result = run("evaluate", str(RULES), str(DATA), "--format", "json", "-o", str(out))
        assert result.returncode == 0 and result.stdout == ""
    assert first.read_bytes() == second.read_bytes()
    document = json.loads(first.read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "schemas" / "assessment.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    files = {f["role"]: f for f in document["provenance"]["inputs"]}
    import hashlib

    assert files["rules"]["sha256"] == hashlib.sha256(RULES.read_bytes()).hexdigest()
    assert files["dataset"]["sha256"] == hashlib.sha256(DATA.read_bytes()).hexdigest()


def test_json_assessment_fields():
    result = run("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-f", "json")
    document = json.loads(result.stdout)
    theft = next(a for a in document["assessments"] if a["indicator"] == "theft_from_vehicle")
    assert theft["previous"] == {"period": "2005/06", "value": 1082} and theft["value"] == 1126
    assert theft["arrow"] == "down" and theft["rule"] == {"file": "rules/crime.rules", "line": theft["rule"]["line"]}
    (theme,) = document["themes"]
    assert theme["theme"] == "crime" and theme["rating"] == theme["reported"]


def test_table_marks_discrepancies_and_reads_without_colour():
    result = run("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml")
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes, RAG still in words
    assert "● GREEN" in result.stdout and "■ RED" in result.stdout and "◆ AMBER" in result.stdout
    note = next(line for line in result.stdout.splitlines() if "⚠ 2003/04" in line)
    assert "⚠ 2003/04: the report" in note and "compute 10203" in result.stdout and "printed 10202," in result.stdout


def test_output_file_is_written_atomically_keeping_its_permissions(tmp_path):
    out = tmp_path / "report.txt"
    out.write_text("old")
    out.chmod(0o644)
    assert run("evaluate", str(RULES), str(DATA), "-o", str(out)).returncode == 0
    assert "Theme: Crime" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
    assert out.stat().st_mode & 0o777 == 0o644


def error_run(tmp_path, rules_text: str | None = None, data_text: str | None = None, *extra: str):
    rules = RULES
    data = DATA
    if rules_text is not None:
        rules = tmp_path / "bad.rules"
        rules.write_text(rules_text, encoding="utf-8")
    if data_text is not None:
        data = tmp_path / "bad.yaml"
        data.write_text(data_text, encoding="utf-8")
    result = run("evaluate", str(rules), str(data), *extra)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    return result.stderr


def test_syntax_error_exits_2_with_position(tmp_path):
    stderr = error_run(tmp_path, "indicator x {\n  unit count\n  polarity lower_is_better\n  rag { green when }\n}\n")
    assert "bad.rules:4:20: error[E101]: " in stderr
    assert "4 |   rag { green when }\n" in stderr and "^" in stderr


def test_unknown_indicator_exits_2_with_suggestion(tmp_path):
    text = RULES.read_text(encoding="utf-8").replace("sum(theft_of_vehicle,", "sum(theft_of_vehicel,")
    stderr = error_run(tmp_path, text)
    assert "error[E102]: unknown indicator or field 'theft_of_vehicel'" in stderr
    assert "did you mean 'theft_of_vehicle'?" in stderr


def test_bad_dataset_exits_2_naming_the_place(tmp_path):
    stderr = error_run(tmp_path, None, "area: X\nindicators:\n  robbery:\n    values: {2006/07: lots}\n")
    assert "bad.yaml:4:23: error[E302]" in stderr


@pytest.mark.parametrize("extra, message", [
    (("--period", "2009/10"), "E304"), (("--period", "next year"), "E003"), (("--area", "Middlesbrough"), "E003"),
])
def test_bad_options_exit_2(tmp_path, extra, message):
    assert message in error_run(tmp_path, None, None, *extra)


def test_unknown_format_is_a_usage_error():
    result = run("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "--format", "pdf")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_unwritable_output_exits_2_without_partial_file(tmp_path):
    stderr = error_run(tmp_path, None, None, "-o", str(tmp_path / "missing-folder" / "out.txt"))
    assert "E001" in stderr and not (tmp_path / "missing-folder").exists()


@pytest.mark.parametrize("args", [
    ["evaluate", "/nonexistent.rules", "/nonexistent.yaml"],
    ["--version"],
])
def test_other_entry_points_never_trace(args):
    result = run(*args)
    assert "Traceback" not in result.stderr
    assert result.returncode == (0 if args == ["--version"] else 2)


def test_fail_on_discrepancy_exits_1_only_when_the_source_is_contradicted(tmp_path):
    out = tmp_path / "out.json"
    found = run("evaluate", str(RULES), str(DATA), "-f", "json", "-o", str(out), "--fail-on-discrepancy")
    assert found.returncode == 1 and "2 printed judgements of the source contradict" in found.stderr
    assert out.exists()  # the report is still written: the findings are in it
    clean = run("evaluate", "rules/districts.rules", "datasets/districts-2006-07.csv", "--fail-on-discrepancy")
    assert clean.returncode == 0, clean.stderr
    assert run("evaluate", str(RULES), str(DATA)).returncode == 0  # without the option, findings are reported only
