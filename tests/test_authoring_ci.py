"""The GitHub Actions recipe of docs/authoring.md works: each of its `lsprules` commands, run as the workflow
runs it (bash -e), succeeds on this repository's rules, and the SARIF it uploads is a SARIF log."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "authoring.md"


def workflow() -> dict[str, object]:
    """The workflow in docs/authoring.md, parsed."""
    [block] = re.findall(r"```yaml\n(name: rules\n.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    return dict(yaml.safe_load(block))


def lsprules_steps() -> list[str]:
    """The `run:` lines of the workflow that run lsprules, in order."""
    [job] = workflow()["jobs"].values()  # type: ignore[union-attr]
    return [step["run"] for step in job["steps"] if str(step.get("run", "")).startswith("lsprules ")]


def test_the_recipe_checks_formats_tests_and_uploads_sarif():
    steps = lsprules_steps()
    assert [step.split()[1] for step in steps] == ["check", "fmt", "test", "check"]
    assert "--format github" in steps[0] and "--format sarif" in steps[-1]
    [job] = workflow()["jobs"].values()  # type: ignore[union-attr]
    uploads = [s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert uploads and uploads[0]["with"]["sarif_file"] in steps[-1]


def test_every_lsprules_command_of_the_recipe_passes_on_the_bundled_rules(tmp_path: Path):
    for folder in ("rules", "datasets"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "lsprules"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lsprules "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    for step in lsprules_steps():
        result = subprocess.run(["bash", "-e", "-c", step], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"{step}\n{result.stdout}{result.stderr}"
    log = json.loads((tmp_path / "lsprules.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0" and log["runs"][0]["tool"]["driver"]["name"] == "lsprules"


def test_the_sarif_step_fails_only_when_lsprules_cannot_run(tmp_path: Path):
    """`|| [ $? -eq 1 ]` lets findings through to the upload, but not a run that could not read its input."""
    step = lsprules_steps()[-1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    command = step.replace("lsprules ", f'"{sys.executable}" -m lsprules ', 1)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "gap.rules").write_text("indicator k {\n  polarity higher_is_better\n  rag {\n"
                                                  "    green when value > 5\n  }\n}\n", encoding="utf-8")
    with_findings = subprocess.run(["bash", "-e", "-c", command], cwd=tmp_path, env=env, capture_output=True)
    assert with_findings.returncode == 0
    assert json.loads((tmp_path / "lsprules.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    shutil.rmtree(tmp_path / "rules")
    assert subprocess.run(["bash", "-e", "-c", command], cwd=tmp_path, env=env, capture_output=True).returncode != 0
