"""A hostile repository configuration runs nothing: provenance reads git state with plumbing only, and every
setting that could start a program is overridden (docs/reliability.md, threat model)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HOSTILE_CONFIG = """
[core]
    fsmonitor = {script}
    hooksPath = {hooks}
    pager = {script}
    sshCommand = {script}
[diff]
    external = {script}
[diff "evil"]
    textconv = {script}
[filter "evil"]
    clean = {script}
    smudge = {script}
    process = {script}
[log]
    showSignature = true
[gpg]
    program = {script}
"""


@pytest.fixture
def hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository of the bundled rules and data whose .git/config, hooks and attributes would run a script
    that touches a marker file; returns (the repository, the marker)."""
    repo, marker = tmp_path / "repo", tmp_path / "ran"
    for name in ("rules", "datasets"):
        shutil.copytree(ROOT / name, repo / name)
    (repo / "datasets" / "crime.tests.yaml").write_text(
        (ROOT / "rules" / "crime.tests.yaml").read_text(encoding="utf-8")
        .replace("rules: crime.rules", "rules: ../rules/crime.rules")
        .replace("../datasets/redcar-cleveland-2007.yaml", "redcar-cleveland-2007.yaml"), encoding="utf-8")
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=repo, check=True)
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\ncat\n", encoding="utf-8")
    script.chmod(0o755)
    hooks = repo / ".git" / "hooks"
    for hook in ("post-index-change", "pre-auto-gc", "post-checkout", "reference-transaction"):
        shutil.copy(script, hooks / hook)
    with (repo / ".git" / "config").open("a", encoding="utf-8") as config:
        config.write(HOSTILE_CONFIG.format(script=script, hooks=hooks))
    os.utime(repo / "rules" / "crime.rules")  # a changed stat makes `git status` compare contents (and filter)
    other = "indicator robbery {\n  polarity lower_is_better\n}\n"
    (repo / "rules" / "other.rules").write_text(other, encoding="utf-8")
    return repo, marker


COMMANDS = {
    "evaluate": ["evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-f", "json"],
    "explain": ["explain", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "--indicator", "robbery"],
    "diff": ["diff", "rules/crime.rules", "rules/other.rules", "--data", "datasets/redcar-cleveland-2007.yaml"],
    "diff --git": ["diff", "--git", "HEAD", "rules/crime.rules"],
    "diff REV:PATH": ["diff", "HEAD:rules/crime.rules", "rules/other.rules"],
    "test": ["test", "datasets/crime.tests.yaml"],
    "test --boundaries": ["test", "--boundaries", "rules/crime.rules", "--data",
                          "datasets/redcar-cleveland-2007.yaml"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_hostile_git_config_runs_nothing(hostile_repo, command):
    repo, marker = hostile_repo
    src = os.environ.get("LSPRULES_SRC", str(ROOT / "src"))  # another src/ shows the test failing there
    result = subprocess.run([sys.executable, "-m", "lsprules", *COMMANDS[command]], cwd=repo, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": src})
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert not marker.exists(), f"{command} ran a program named by the repository's configuration"


def test_the_provenance_is_still_read(hostile_repo):
    from lsprules.audit.git import file_state

    repo, marker = hostile_repo
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    state = file_state(repo / "rules" / "crime.rules")
    assert state is not None and (state.commit, state.status) == (head, "clean")
    assert file_state(repo / "rules" / "other.rules").status == "untracked"
    (repo / "rules" / "crime.rules").write_text("indicator x\n", encoding="utf-8")
    assert file_state(repo / "rules" / "crime.rules").status == "modified"
    assert not marker.exists()


def test_the_hostile_configuration_is_live(hostile_repo):
    # The test proves something only if plain git would run the script here.
    repo, marker = hostile_repo
    subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, timeout=60)
    assert marker.exists()


def test_a_file_named_like_a_pattern_names_only_itself(tmp_path):
    from lsprules.audit.git import file_state

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "a.rules").write_text("x\n", encoding="utf-8")
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=tmp_path, check=True)
    (tmp_path / "*.rules").write_text("y\n", encoding="utf-8")  # untracked, but the pattern matches a.rules
    state = file_state(tmp_path / "*.rules")
    assert state is not None and state.status == "untracked"
