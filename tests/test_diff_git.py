"""diff against git: REV:PATH, --git REV [PATH], clear errors for bad revisions and paths, git drivers."""

import json
import sys

import pytest

from audit_helpers import edit, git, git_repo, run, run_process

TOLERANCE = "profile crime_count: static tolerance within 1.5 % → 2.5 %"


@pytest.fixture()
def repo(tmp_path):
    """A scratch repository: the rules as published, then a commit raising the static tolerance."""
    repo = git_repo(tmp_path)
    edit(repo / "rules" / "crime.rules", "static within 1.5 %\n", "static within 2.5 %\n")
    git(repo, "commit", "-q", "-am", "raise the static tolerance")
    return repo


def test_rev_path_against_the_working_tree(repo):
    # As a user runs it: its own process, inside a git checkout.
    result = run_process("diff", "HEAD~1:rules/crime.rules", "rules/crime.rules", "--exit-code", cwd=repo)
    assert result.returncode == 1 and TOLERANCE in result.stdout
    head_1 = git(repo, "rev-parse", "HEAD~1").strip()
    assert "rules HEAD~1:rules/crime.rules sha256 " in result.stdout and f"git {head_1[:12]} revision" in result.stdout


def test_git_option_with_and_without_a_path(repo):
    named = run("diff", "--git", "HEAD~1", "rules/crime.rules", "-f", "json", cwd=repo)
    (file,) = json.loads(named.stdout)["files"]
    assert file["old"] == "HEAD~1:rules/crime.rules" and file["new"] == "rules/crime.rules"
    assert file["changes"][0]["what"] == "static tolerance within 1.5 % → 2.5 %"
    (repo / "rules" / "extra.rules").write_text("indicator x {\n  polarity lower_is_better\n}\n", encoding="utf-8")
    every = json.loads(run("diff", "--git", "HEAD~1", "-f", "json", cwd=repo).stdout)
    files = {f["new"]: f for f in every["files"]}
    assert files["rules/crime.rules"]["old"] == "HEAD~1:rules/crime.rules"
    assert files["rules/extra.rules"]["old"] == "rules/extra.rules (absent)"
    assert files["rules/extra.rules"]["changes"][0]["what"].startswith("added")
    assert set(files) == {"rules/crime.rules", "rules/extra.rules"}  # files with the same bytes: left alone
    assert all(f["meaning_changed"] for f in files.values())


def test_git_option_leaves_unchanged_files_alone_even_broken_ones(repo):
    (repo / "rules" / "broken.rules").write_bytes(b"indicator \xff {\n")
    git(repo, "add", "rules/broken.rules")
    git(repo, "commit", "-q", "-m", "a fixture that is broken on purpose")
    result = run("diff", "--git", "HEAD", cwd=repo)
    assert result.returncode == 0 and "no rule file differs" in result.stdout


def test_from_a_subfolder_paths_are_relative_to_it(repo):
    result = run("diff", "--git", "HEAD~1", "crime.rules", cwd=repo / "rules")
    assert result.returncode == 0 and TOLERANCE in result.stdout


def test_comment_only_edit_is_no_change_in_meaning(repo):
    edit(repo / "rules" / "crime.rules", "# The ten British Crime Survey", "# The 10 British Crime Survey")
    result = run("diff", "--git", "HEAD", "rules/crime.rules", "--exit-code", cwd=repo)
    assert result.returncode == 0 and "no change in meaning" in result.stdout
    assert "rules rules/crime.rules sha256" in result.stdout and " modified" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("HEAD~5:rules/crime.rules", "rules/crime.rules"), "'HEAD~5' is not a revision of this repository"),
    (("HEAD:rules/nope.rules", "rules/crime.rules"), "path 'rules/nope.rules' does not exist in 'HEAD'"),
    (("--git", "no-such-branch", "rules/crime.rules"), "'no-such-branch' is not a revision"),
    (("--git", "HEAD", "rules/nope.rules"), "no such file in the working tree"),
    (("--git", "--upload-pack=x", "rules/crime.rules"), "is not a revision"),
])
def test_bad_revisions_and_paths_exit_2(repo, args, message):
    result = run("diff", *args, cwd=repo)
    assert result.returncode == 2 and message in result.stderr and "E001" in result.stderr


def test_outside_a_repository_exits_2(tmp_path):
    result = run("diff", "--git", "HEAD", cwd=tmp_path)
    assert result.returncode == 2 and "is not inside a git repository" in result.stderr


def test_textconv_driver_makes_git_diff_show_every_indicator_reached(repo):
    (repo / ".gitattributes").write_text("*.rules diff=lsprules\n", encoding="utf-8")
    git(repo, "config", "diff.lsprules.textconv", f"{sys.executable} -m lsprules diff --textconv")
    shown = git(repo, "diff", "HEAD~1", "HEAD", "--", "rules/crime.rules")
    assert "-indicator robbery: static tolerance within 1.5 %" in shown
    assert "+indicator robbery: static tolerance within 2.5 %" in shown
    assert shown.count("\n+indicator") == 11  # the eleven crime counts, and nothing else
    edit(repo / "rules" / "crime.rules", "# The ten British", "# Ten British")
    assert git(repo, "diff", "--", "rules/crime.rules") == ""  # a comment edit shows no difference at all


def test_diff_driver_and_difftool_run_lsprules_diff(repo):
    (repo / ".gitattributes").write_text("*.rules diff=lsprules\n", encoding="utf-8")
    git(repo, "config", "diff.lsprules.command", f'f() {{ "{sys.executable}" -m lsprules diff "$2" "$5"; }}; f')
    assert TOLERANCE in git(repo, "diff", "--ext-diff", "HEAD~1", "HEAD", "--", "rules/crime.rules")
    tool = git(repo, "difftool", "-y", "-x", f"{sys.executable} -m lsprules diff", "HEAD~1", "HEAD", "--",
               "rules/crime.rules")
    assert TOLERANCE in tool
