"""`-o FILE` never replaces one of the run's own inputs, whichever command writes it: E003, exit 2, input intact."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def commands(folder: Path) -> dict[str, tuple[list[str], Path]]:
    """Each command with an `-o` that names one of its inputs, and that input."""
    rules, data, tests = folder / "crime.rules", folder / "crime.yaml", folder / "crime.tests.yaml"
    other = folder / "other.rules"
    return {
        "evaluate: the rules": (["evaluate", str(rules), str(data), "-o", str(rules)], rules),
        "evaluate: the data": (["evaluate", str(rules), str(data), "-o", str(data)], data),
        "explain": (["explain", str(rules), str(data), "--indicator", "robbery", "-o", str(data)], data),
        "diff: the old side": (["diff", str(rules), str(other), "-o", str(rules)], rules),
        "diff: the new side": (["diff", str(rules), str(other), "-o", str(other)], other),
        "diff: the data": (["diff", str(rules), str(other), "--data", str(data), "-o", str(data)], data),
        "diff --textconv": (["diff", "--textconv", str(rules), "-o", str(rules)], rules),
        "test: the test file": (["test", str(tests), "-o", str(tests)], tests),
        "test --boundaries: the rules": (["test", "--boundaries", str(rules), "--data", str(data), "-o", str(rules)],
                                         rules),
        "test --boundaries: the data": (["test", "--boundaries", str(rules), "--data", str(data), "-o", str(data)],
                                        data),
    }


@pytest.mark.parametrize("case", sorted(commands(Path("."))))
def test_an_output_never_replaces_an_input(tmp_path, case):
    shutil.copy(ROOT / "rules" / "crime.rules", tmp_path / "crime.rules")
    shutil.copy(ROOT / "rules" / "crime.rules", tmp_path / "other.rules")
    shutil.copy(ROOT / "datasets" / "redcar-cleveland-2007.yaml", tmp_path / "crime.yaml")
    tests = (ROOT / "rules" / "crime.tests.yaml").read_text(encoding="utf-8")
    (tmp_path / "crime.tests.yaml").write_text(tests.replace("../datasets/redcar-cleveland-2007.yaml", "crime.yaml"),
                                               encoding="utf-8")
    args, victim = commands(tmp_path)[case]
    before = victim.read_bytes()
    result = subprocess.run([sys.executable, "-m", "lsprules", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error[E003]" in result.stderr and "that is one of the input files" in result.stderr
    assert victim.read_bytes() == before


def copy_of_the_repo(folder: Path) -> Path:
    """rules/ and datasets/ as in the repository, in a git repository of their own."""
    for name in ("rules", "datasets"):
        shutil.copytree(ROOT / name, folder / name)
    for command in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=folder, check=True, capture_output=True)
    return folder


@pytest.mark.parametrize("args, victim", [
    (["test", "-o", "rules/crime.tests.yaml"], "rules/crime.tests.yaml"),  # a test file found, not named
    (["test", "rules/crime.tests.yaml", "-o", "rules/crime.rules"], "rules/crime.rules"),  # the rules it tests
    (["test", "-o", "datasets/redcar-cleveland-2007.yaml"], "datasets/redcar-cleveland-2007.yaml"),  # its data
    (["test", "--boundaries", "rules/crime.rules", "-o", "datasets/redcar-cleveland-2007.yaml"],
     "datasets/redcar-cleveland-2007.yaml"),  # the data the rule tests use, found without --data
    (["diff", "--git", "HEAD", "-o", "rules/crime.rules"], "rules/crime.rules"),  # a changed file git found
], ids=["test-file", "tested-rules", "tested-data", "boundaries-data", "diff-git"])
def test_files_a_command_finds_for_itself_are_inputs_too(tmp_path, args, victim):
    repo = copy_of_the_repo(tmp_path)
    rules = repo / "rules" / "crime.rules"
    rules.write_text(rules.read_text(encoding="utf-8").replace("1.5 %", "2 %"), encoding="utf-8")
    before = (repo / victim).read_bytes()
    result = subprocess.run([sys.executable, "-m", "lsprules", *args], cwd=repo, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "error[E003]" in result.stderr, result.stdout + result.stderr
    assert (repo / victim).read_bytes() == before


def test_a_hard_link_to_an_input_is_that_input(tmp_path):
    data = tmp_path / "crime.yaml"
    shutil.copy(ROOT / "datasets" / "redcar-cleveland-2007.yaml", data)
    (tmp_path / "link.yaml").hardlink_to(data)
    before = data.read_bytes()
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", str(ROOT / "rules" / "crime.rules"),
                             str(tmp_path / "link.yaml"), "-o", str(data)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "error[E003]" in result.stderr
    assert data.read_bytes() == before
