"""`lsprules check` through the CLI: exit codes, output formats, and broken files named at their root cause."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lsprules.cli.app import app

ROOT = Path(__file__).parent.parent
RULES = ROOT / "rules"
DATASET = ROOT / "datasets" / "redcar-cleveland-2007.yaml"
runner = CliRunner()


def check(*args):
    result = runner.invoke(app, ["check", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("rules, data", [("crime.rules", "redcar-cleveland-2007.yaml"),
                                         ("tutorial.rules", "tutorial.yaml"),
                                         ("districts.rules", "districts-2006-07.csv")])
def test_the_bundled_rules_pass_with_and_without_their_data(rules, data):
    assert check(RULES).exit_code == 0
    result = check(RULES / rules, "--data", ROOT / "datasets" / data)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.split("\n")[-2]


def test_json_lists_every_finding_with_position_and_hint(tmp_path):
    path = tmp_path / "gap.rules"
    path.write_text("indicator k {\n  polarity higher_is_better\n  unit percent\n  rag {\n"
                    "    green when value >= 90\n    red when value < 85\n  }\n}\n", encoding="utf-8")
    result = check(path, "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)
    assert finding == {
        "code": "E201", "severity": "error",
        "message": "values from 85 % up to but not including 90 % match no clause of this RAG rule",
        "file": str(path), "line": 4, "column": 3, "end_line": 7, "end_column": 4,
        "hint": "add a clause for them, or end with a catch-all such as `red otherwise`",
    }


def test_github_format_gives_workflow_annotations(tmp_path):
    path = tmp_path / "a,b.rules"
    path.write_text("indicator k {\n  polarity higher_is_better\n  rag {\n    red otherwise\n"
                    "    green when value > 5\n  }\n}\n", encoding="utf-8")
    result = check(path, "--format", "github")
    assert result.exit_code == 1
    name = str(path).replace(":", "%3A").replace(",", "%2C")
    assert result.stdout.startswith(f"::error file={name},line=5,col=5,endLine=5,endColumn=25,title=E205::"
                                    "this clause can never fire")
    assert "%0Ahelp: move `otherwise` to the end" in result.stdout


def test_warnings_alone_exit_0_and_unreadable_input_exits_2(tmp_path):
    unused = tmp_path / "unused.rules"
    unused.write_text("profile p {\n  polarity lower_is_better\n}\n", encoding="utf-8")
    assert check(unused).exit_code == 0
    assert check(tmp_path / "missing.rules").exit_code == 2
    assert check(unused, "--format", "xml").exit_code == 2  # a usage error


def test_folders_are_searched_for_rule_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.rules").write_text("indicator x {\n  polarity lower_is_better\n}\n", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "y.rules").write_text("broken {", encoding="utf-8")
    result = check(tmp_path)
    assert result.exit_code == 0 and "no problems found in 1 file" in result.stdout


def test_data_checks_find_missing_and_unused_series(tmp_path):
    rules = tmp_path / "r.rules"
    rules.write_text("indicator theft_of_vehicle {\n  polarity lower_is_better\n}\n\n"
                     "indicator robery {\n  polarity lower_is_better\n}\n", encoding="utf-8")
    result = check(rules, "--data", DATASET, "--format", "json")
    findings = json.loads(result.stdout)
    codes = {(f["code"], f["message"].split("'")[1]) for f in findings}
    assert ("E320", "robery") in codes
    assert ("E321", "robbery") in codes
    robbery = next(f for f in findings if f["code"] == "E321" and "'robbery'" in f["message"])
    assert robbery["hint"] == "did you mean 'robery'?" and robbery["file"] == str(DATASET)


# --- broken files: the root cause, its position, an exit code, no traceback, within a second ------------

NESTED = "indicator x {\n  polarity lower_is_better\n  fields a\n  value = " + "(" * 10_000 + "a" + ")" * 10_000 + \
    "\n}\n"
BROKEN = {
    "keyword typo": ("profile p {\n  polarty lower_is_better\n}\n", 1, "2:3: error[E101]", "did you mean 'polarity'?"),
    "name typo": ("indicator theft_of_vehicle {\n  polarity lower_is_better\n}\n\nindicator all {\n"
                  "  polarity lower_is_better\n  value = sum(theft_of_vehicel)\n}\n", 1, "7:15: error[E102]",
                  "did you mean 'theft_of_vehicle'?"),
    "gap": ("indicator k {\n  polarity higher_is_better\n  unit percent\n  rag {\n    green when value >= 90\n"
            "    amber when value >= 50 and value < 85\n    red when value < 50\n  }\n}\n", 1, "4:3: error[E201]",
            "values from 85 % up to but not including 90 %"),
    "overlap": ("indicator k {\n  polarity higher_is_better\n  unit percent\n  rag {\n    green when value >= 90\n"
                "    amber when value >= 80 and value <= 90\n    red when value < 80\n  }\n}\n", 0,
                "6:5: warning[E203]", "the value 90 % matches both"),
    "unreachable": ("indicator k {\n  polarity higher_is_better\n  rag {\n    green when value >= 50\n"
                    "    amber when value >= 60\n    red otherwise\n  }\n}\n", 1, "5:5: error[E202]",
                    "every value it matches is taken by line 4"),
    "contradictory target": ("indicator k {\n  polarity higher_is_better\n  target {\n    baseline 2003/04\n"
                             "    reduce by 10 % by 2007/08\n  }\n}\n", 1, "5:5: error[E208]", "higher is better"),
    "truncated in a word": ("profile crime_count {\n  polarity lower_is_better\n  rag {\n    green when on traj",
                            1, "4:19: error[E101]", "did you mean 'trajectory'?"),
    "truncated in a block": ("profile crime_count {\n  polarity lower_is_better\n  rag {\n    green when target met\n",
                             1, "4:26: error[E101]", "missing closing brace '}' of the rag block (opened on line 3)"),
    # byte 0x80 is on line 3: a CR (byte 13) ends a line, in every file lsprules reads
    "binary junk": (bytes(range(256)) * 4, 2, "3:115: error[E002]", "not valid UTF-8"),
    "control characters": ("indicator x {\x00\x01}", 1, "1:14: error[E101]", "control character U+0000"),
    "nested parentheses": (NESTED, 1, "4:3: error[E113]", "nested more than 100 levels deep"),
    "long chain": ("indicator x {\n  polarity lower_is_better\n  fields a\n  value = " + " +\n".join(["a"] * 10_000)
                   + "\n}\n", 1, "4:3: error[E113]", "nested more than 100 levels deep"),
    "nested negations": ("indicator x {\n  polarity lower_is_better\n  fields a\n  value = " + "-(" * 5000 + "a"
                         + ")" * 5000 + "\n}\n", 1, "4:3: error[E113]", "nested more than 100 levels deep"),
    "not chain": ("indicator x {\n  polarity lower_is_better\n  rag {\n    green when " + "not\n" * 5000 + "target met"
                  + "\n    red otherwise\n  }\n}\n", 1, "4:5: error[E113]", ""),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_are_named_at_their_root_cause(name, tmp_path):
    content, exit_code, where, words = BROKEN[name]
    path = tmp_path / "broken.rules"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    start = time.perf_counter()
    result = check(path)
    elapsed = time.perf_counter() - start
    assert result.exit_code == exit_code, result.stdout
    assert where in result.stdout and words in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    # A guard against a hang or a quadratic blow-up (those took minutes), not a benchmark: on a loaded 2-core
    # machine a linear run of these files takes up to ~1.5 s, so the bound leaves room for load.
    assert elapsed < 10.0, f"{name} took {elapsed:.2f}s"


def test_a_separate_process_never_shows_a_traceback(tmp_path):
    path = tmp_path / "nested.rules"
    path.write_text(NESTED.replace("(" * 10_000, "(" * 10_000 + "-", 1), encoding="utf-8")
    junk = tmp_path / "junk.rules"
    junk.write_bytes(bytes(range(256)) * 100)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lsprules", "check", str(path), str(junk)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr and "internal error" not in done.stderr
    assert time.perf_counter() - start < 5


def test_the_pre_commit_hooks_name_real_commands():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"lsprules-check", "lsprules-fmt-check", "lsprules-fmt"}
    for hook in hooks:
        program, *args = hook["entry"].split()
        assert program == "lsprules" and hook["files"] == r"\.rules$"
        assert runner.invoke(app, [*args, "--help"]).exit_code == 0


def test_a_rule_file_that_cannot_be_read_hides_no_data_warnings(tmp_path):
    broken = tmp_path / "crime.rules"
    broken.write_text((RULES / "crime.rules").read_text(encoding="utf-8").replace("polarity lower", "polarty lower"),
                      encoding="utf-8")
    result = check(broken, "--data", DATASET, "--format", "json")
    assert [f["code"] for f in json.loads(result.stdout)] == ["E101"]  # no E321 for data whose rules are broken
