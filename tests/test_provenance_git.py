"""Provenance on every output: engine, sha256 of each input, git commit and clean state; byte-for-byte stable."""

import hashlib
import json

import jsonschema
import pytest

from audit_helpers import ROOT, edit, git, git_repo, run, workspace
from lsprules.audit.git import file_state

OUTPUTS = [
    ("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-f", "json"),
    ("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml"),
    ("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-f", "markdown"),
    ("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-f", "html"),
    ("explain", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-i", "robbery"),
    ("explain", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-t", "crime", "-f", "json"),
    ("diff", "rules/crime.rules", "rules/crime.rules", "--data", "datasets/redcar-cleveland-2007.yaml", "-f",
     "markdown"),
    ("test", "--coverage"),
    ("test", "-f", "json"),
    ("test", "--boundaries", "rules/crime.rules"),
]


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("args", OUTPUTS, ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_every_output_names_its_inputs_by_sha256_and_git_state(tmp_path, args):
    repo = git_repo(tmp_path)
    first, second = run(*args, cwd=repo), run(*args, cwd=repo)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout  # deterministic: no timestamps, no temporary names
    head = git(repo, "rev-parse", "HEAD").strip()
    assert sha(repo / "rules" / "crime.rules") in first.stdout
    assert head in first.stdout or head[:12] in first.stdout
    assert "lsprules 0.1.0" in first.stdout


def test_evaluate_json_follows_the_schema_with_git_state(tmp_path):
    repo = git_repo(tmp_path)
    result = run("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-f", "json", cwd=repo)
    document = json.loads(result.stdout)
    schema = json.loads((ROOT / "schemas" / "assessment.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    rules, data = document["provenance"]["inputs"]
    head = git(repo, "rev-parse", "HEAD").strip()
    assert rules == {"role": "rules", "path": "rules/crime.rules", "sha256": sha(repo / "rules" / "crime.rules"),
                     "git": {"commit": head, "clean": True, "status": "clean"}}
    assert data["sha256"] == sha(repo / "datasets" / "redcar-cleveland-2007.yaml")


def test_commit_is_the_last_change_of_the_file_and_dirty_files_say_so(tmp_path):
    repo = git_repo(tmp_path)
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "notes.txt").write_text("unrelated\n", encoding="utf-8")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-q", "-m", "an unrelated commit")
    assert file_state(repo / "rules" / "crime.rules").commit == first  # not HEAD: the file did not change
    edit(repo / "rules" / "crime.rules", "static within 1.5 %", "static within 2 %")
    state = file_state(repo / "rules" / "crime.rules")
    assert (state.commit, state.clean, state.status) == (first, False, "modified")
    (repo / "rules" / "new.rules").write_text("", encoding="utf-8")
    assert file_state(repo / "rules" / "new.rules").status == "untracked"
    (repo / ".gitignore").write_text("*.tmp\n", encoding="utf-8")
    (repo / "x.tmp").write_text("", encoding="utf-8")
    assert file_state(repo / "x.tmp").status == "untracked"


def test_outside_git_there_is_no_git_state(tmp_path):
    ws = workspace(tmp_path)
    assert file_state(ws / "rules" / "crime.rules") is None
    result = run("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "-f", "json", cwd=ws)
    assert all(f["git"] is None for f in json.loads(result.stdout)["provenance"]["inputs"])


def test_table_footer_has_full_sha256_unwrapped(tmp_path, monkeypatch):
    repo = git_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD").strip()
    rules_sha = sha(repo / 'rules' / 'crime.rules')
    monkeypatch.setenv("COLUMNS", "200")  # room for a whole provenance line
    footer = run("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", cwd=repo).stdout
    footer = footer.splitlines()[-3:]
    assert footer[0] == "provenance: lsprules 0.1.0"
    assert footer[1] == f"  rules rules/crime.rules sha256 {rules_sha} · git {head[:12]} clean"
    assert footer[2].startswith("  dataset datasets/redcar-cleveland-2007.yaml sha256 ")
    monkeypatch.setenv("COLUMNS", "80")  # too narrow: the line breaks before the digest, which stays whole
    narrow = run("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", cwd=repo).stdout
    assert f"  rules rules/crime.rules\n    sha256 {rules_sha}\n    git {head[:12]} clean\n" in narrow
