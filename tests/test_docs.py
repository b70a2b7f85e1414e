"""Docs that cannot drift: every shell example in README.md and docs/*.md runs, and prints what the doc shows;
every link to a file or a heading leads somewhere.

The conventions (docs/architecture.md, "Examples in the docs"):

- A fenced block whose first line starts with `$ ` is a transcript: each `$ COMMAND` line is run and its
  output (standard output, then standard error) must be the lines that follow it, up to the next `$ `. A
  line `…` alone stands for any number of lines. A command that should exit with a code other than 0
  ends in `# exit N`.
- A ```sh block is a list of commands: each is run, and must exit 0 (or N, with `# exit N`).
- An HTML comment `<!-- not run: REASON -->` on the line before a block leaves it out, with the reason.
- Commands run in a scratch folder holding a copy of rules/, datasets/ and docs/examples/, in a git
  repository with two commits (so `HEAD~1:PATH` works), with `lsprules` and the environment's `python` on PATH
  and COLUMNS=80.
- SHA-256 digests, git commits and timings are normalised before comparing.

docs/errors.md is left to tests/test_diagnostics_golden.py, which runs each of its examples in
tests/golden/diagnostics and compares it with the golden transcript, byte for byte.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CHECKED_ELSEWHERE = {"errors.md": "tests/test_diagnostics_golden.py runs every example of docs/errors.md"}
COPIED = ("rules", "datasets", "docs/examples", "schemas")
FENCE = re.compile(r"^(?P<before>.*\n)?```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.M | re.S)
NOT_RUN = re.compile(r"<!-- not run: (?P<reason>.+?) -->\s*$")
EXIT = re.compile(r"\s+# exit (\d+)$")


@dataclass(frozen=True)
class Example:
    """One runnable example: where it is, the commands, and the output shown (None: any output)."""

    doc: str
    line: int
    command: str
    exit_code: int
    expected: str | None

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}"


def _blocks(path: Path) -> list[tuple[int, str, str, str | None]]:
    """(line, language, body, reason not run) for every fenced block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    out = []
    for match in re.finditer(r"^```([\w-]*)\n(.*?)^```$", text, re.M | re.S):
        line = text.count("\n", 0, match.start()) + 1
        previous = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = NOT_RUN.search(previous)
        out.append((line, match.group(1), match.group(2), reason.group("reason") if reason else None))
    return out


def _commands(body: str) -> list[str]:
    """The commands of a ```sh block: continuation lines joined, comments and blank lines dropped."""
    joined = body.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def examples() -> list[Example]:
    """Every example to run in README.md and docs/*.md."""
    found = []
    for path in DOCS:
        if path.name in CHECKED_ELSEWHERE:
            continue
        name = str(path.relative_to(ROOT))
        for line, lang, body, reason in _blocks(path):
            if reason is not None:
                continue
            if body.startswith("$ "):
                for offset, command, output in _transcript(body):
                    code = EXIT.search(command)
                    found.append(Example(name, line + 1 + offset, EXIT.sub("", command), int(code.group(1))
                                         if code else 0, output))
            elif lang in ("sh", "console", "bash", "shell"):
                for command in _commands(body):
                    code = EXIT.search(command)
                    found.append(Example(name, line, EXIT.sub("", command), int(code.group(1)) if code else 0,
                                         None))
    return found


def _transcript(body: str) -> list[tuple[int, str, str]]:
    """(line offset, command, output shown) for each `$ ` line of a transcript block."""
    out: list[tuple[int, str, str]] = []
    for offset, line in enumerate(body.splitlines()):
        if line.startswith("$ "):
            out.append((offset, line[2:], ""))
        elif out:
            start, command, shown = out[-1]
            out[-1] = (start, command, shown + line + "\n")
    return out


def normalised(text: str) -> str:
    """Output with what changes from run to run or commit to commit replaced by placeholders."""
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)
    text = re.sub(r"(\bgit )[0-9a-f]{7,40}( (clean|modified|untracked))?", r"\1<commit>", text)
    text = re.sub(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b", "<time>", text)
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines())


def matches(shown: str, actual: str) -> bool:
    """Whether the output matches the doc's, where a line `…` in the doc stands for any lines."""
    pattern = "\n".join(".*?" if line.strip() in ("…", "...") else re.escape(line)
                        for line in normalised(shown).splitlines())
    return re.fullmatch(pattern, normalised(actual), re.S) is not None


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A scratch folder: copies of the example inputs, in a git repository with two commits, `lsprules` and `python`."""
    folder = tmp_path_factory.mktemp("docs")
    for name in COPIED:
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, folder / name)
    (folder / ".bin").mkdir()
    # As in a user's active environment (docs/cli.md): `lsprules`, and `python` with what lsprules installs.
    for name, command in (("lsprules", f'"{sys.executable}" -m lsprules'), ("python", f'"{sys.executable}"')):
        tool = folder / ".bin" / name
        tool.write_text(f'#!/bin/sh\nexec {command} "$@"\n', encoding="utf-8")
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    git = ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=folder, check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "examples"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "second"], cwd=folder, check=True)
    return folder


@pytest.mark.parametrize("example", examples(), ids=str)
def test_shell_example_runs_and_prints_what_the_doc_shows(example: Example, scratch: Path):
    env = {**os.environ, "PATH": f"{scratch / '.bin'}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "80",
           "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(["bash", "-c", example.command], cwd=scratch, capture_output=True, text=True,
                            env=env, timeout=240)
    assert result.returncode == example.exit_code, f"{example}: `{example.command}` exited {result.returncode}" \
        f"\n{result.stderr[-3000:]}"
    if example.expected is not None:
        actual = result.stdout + result.stderr
        assert matches(example.expected, actual), f"{example}: `{example.command}` printed\n{actual}"


def test_every_shell_block_runs_or_says_why_not():
    for path in DOCS:
        if path.name in CHECKED_ELSEWHERE:
            continue
        for line, lang, body, reason in _blocks(path):
            if lang in ("sh", "console", "bash", "shell") or body.startswith("$ "):
                assert reason is None or len(reason) > 10, f"{path.name}:{line}: say why the block is not run"
    assert len(examples()) >= 40


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (duplicates numbered as GitHub does)."""
    text = re.sub(r"^```.*?^```$", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        base = slug(heading)
        out.add(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return out


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_link_and_anchor_leads_somewhere(path: Path):
    text = re.sub(r"^```.*?^```$", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address: not fetched by tests
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.exists(), f"{path.name}: the link to {target} names no file"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{path.name}: the link to {target} names no heading"


def test_the_normalisation_hides_only_what_changes():
    shown = "rules a.rules sha256 " + "0" * 64 + " · git 7fa031ac7f54 clean\ntook 0.31 s\n"
    actual = "rules a.rules sha256 " + "f" * 64 + " · git 0123456789ab modified\ntook 1.2 s\n"
    assert matches(shown, actual) and not matches(shown, actual.replace("a.rules", "b.rules"))
    assert matches("first\n…\nlast\n", "first\nsecond\nthird\nlast\n") and not matches("first\n", "first\nx\n")


def language_examples() -> list[tuple[int, str, str]]:
    """(line, rule file text, dataset) for every ```lsprules block of docs/language.md."""
    path = ROOT / "docs" / "language.md"
    out = []
    for line, lang, body, reason in _blocks(path):
        if lang == "lsprules" and reason is None:
            quarterly = re.match(r"# quarterly: run with (\S+)", body)
            out.append((line, body, quarterly.group(1) if quarterly else "docs/examples/example.yaml"))
    return out


@pytest.mark.parametrize("line,rules,data", language_examples(), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_every_language_example_is_a_complete_rule_file_that_runs(line, rules, data, tmp_path):
    example = tmp_path / "example.rules"
    example.write_text(rules, encoding="utf-8")
    for command in (["evaluate", str(example), str(ROOT / data)], ["check", str(example)]):
        result = subprocess.run([sys.executable, "-m", "lsprules", *command], capture_output=True, text=True,
                                cwd=ROOT, timeout=120)
        assert result.returncode == 0, f"docs/language.md:{line}: lsprules {command[0]}\n{result.stdout}" \
            f"{result.stderr}"


def test_every_long_form_csv_example_loads(tmp_path):
    from lsprules.data.load import load_all

    for path in DOCS:
        if path.name in CHECKED_ELSEWHERE:  # errors.md: bad files on purpose, each with its golden error
            continue
        for line, lang, body, _ in _blocks(path):
            if lang == "csv" and body.lower().startswith("area,indicator,period"):
                data = tmp_path / f"{path.stem}-{line}.csv"
                data.write_text(body, encoding="utf-8")
                load_all([data])  # raises InputError with the file, line and column of any problem


def test_the_tutorials_steps_are_the_files_its_outputs_come_from():
    """Sections 3 to 6 of docs/tutorial.md show a rule file growing; the outputs shown are those of
    docs/examples/tutorial-stepN.rules, so each step's file must be exactly the text the section shows."""
    path = ROOT / "docs" / "tutorial.md"
    rule_blocks = [body for _, lang, body, _ in _blocks(path) if lang == "lsprules"]
    appended = re.search(r"Add it to the end of the file:\n\n```text\n(.*?)^```$", path.read_text(encoding="utf-8"),
                         flags=re.M | re.S)
    assert appended, "section 6 no longer shows the lines it adds"
    expected = {3: rule_blocks[0], 4: rule_blocks[1], 5: rule_blocks[2], 6: rule_blocks[2] + "\n" + appended.group(1)}
    for step, text in expected.items():
        shown_in = ROOT / "docs" / "examples" / f"tutorial-step{step}.rules"
        assert shown_in.read_text(encoding="utf-8") == text, f"{shown_in.name} differs from section {step}"
        assert f"$ lsprules evaluate docs/examples/tutorial-step{step}.rules" in path.read_text(encoding="utf-8")
