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
