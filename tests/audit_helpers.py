"""Helpers for the auditor's-workflow tests: run the CLI, copy inputs outside git, goldens, scratch git repos."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules" / "crime.rules"
DATA = ROOT / "datasets" / "redcar-cleveland-2007.yaml"
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("LSPRULES_UPDATE_GOLDENS") == "1"
GIT_ENV = {"GIT_AUTHOR_NAME": "Auditor", "GIT_AUTHOR_EMAIL": "auditor@example.org",
           "GIT_COMMITTER_NAME": "Auditor", "GIT_COMMITTER_EMAIL": "auditor@example.org",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


@dataclass
class Ran:
    """What a command printed and its exit code."""

    returncode: int
    stdout: str
    stderr: str


def run(*args: str, cwd: Path = ROOT) -> Ran:
    """`lsprules ARGS` run in this process (fast) from folder `cwd`; it must never raise."""
    from typer.testing import CliRunner

    from lsprules.cli.app import app

    before = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(before)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_process(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python -m lsprules ARGS` as its own process, as a user runs it; never a traceback."""
    result = subprocess.run([sys.executable, "-m", "lsprules", *args], cwd=cwd, capture_output=True, text=True,
                            timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def workspace(tmp_path: Path) -> Path:
    """A copy of the bundled rules, tests and dataset in a folder outside any git repository."""
    for folder in ("rules", "datasets"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def masked(text: str) -> str:
    """Output with its sha256 values masked: goldens stay valid when only a comment of an input changes."""
    return re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME (or rewrite it with LSPRULES_UPDATE_GOLDENS=1, then review the diff)."""
    path = GOLDEN / name
    text = masked(text)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def git(cwd: Path, *args: str) -> str:
    """Run git in a scratch repository with a fixed identity; its output."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                            env={**os.environ, **GIT_ENV})
    return result.stdout


def git_repo(tmp_path: Path) -> Path:
    """A scratch repository holding the bundled rules and dataset in one commit."""
    repo = workspace(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rules as published")
    return repo


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact text in a file (it must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
