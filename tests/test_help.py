"""Help that teaches, and a reference that agrees with it: every command's `--help` shows its forms, an
example and its exit codes, names no Python type, and docs/cli.md shows the same forms, examples and options."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["evaluate", "check", "fmt", "diff", "explain", "test", "lsp", "sql"]
CLI_MD = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def help_text(*command: str) -> str:
    result = subprocess.run([sys.executable, "-m", "lsprules", *command, "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def block(text: str, heading: str) -> list[str]:
    """The indented lines under a heading such as 'Examples:' in the help."""
    lines = [line.strip() for line in text.splitlines()]
    if heading not in lines:
        return []
    out = []
    for line in lines[lines.index(heading) + 1:]:
        if not line or line.startswith("╭"):
            break
        out.append(line)
    return out


def section(command: str) -> str:
    """The command's section of docs/cli.md."""
    return CLI_MD.split(f"## `lsprules {command}`", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("command", [[]] + [[c] for c in COMMANDS])
def test_help_has_examples_and_exit_codes_and_no_python_types(command):
    text = help_text(*command)
    assert text.splitlines()[1].strip().startswith(f"Usage: lsprules {' '.join(command)}".rstrip())
    assert block(text, "Examples:") and all(line.startswith(("lsprules ", "git ")) for line in block(text, "Examples:"))
    codes = [line.split()[0] for line in block(text, "Exit codes:")]
    assert codes[0] == "0" and "2" in codes
    for python in ("<bool>", "<str>", "<int>", "list[", "<path>", "{"):
        assert python not in text, f"{python} in the help of {command}"


@pytest.mark.parametrize("command", COMMANDS)
def test_the_reference_shows_the_help_s_forms_examples_and_options(command):
    text, doc = help_text(command), section(command)
    synopsis = doc.split("### Synopsis", 1)[1].split("###", 1)[0]
    for form in block(text, "Forms:"):
        assert form in synopsis, f"docs/cli.md's synopsis of {command} lacks the form `{form}`"
    examples = doc.split("### Examples", 1)[1]
    for example in block(text, "Examples:"):
        assert example in examples, f"docs/cli.md's examples of {command} lack `{example}`"
    options = doc.split("### Options", 1)[1].split("###", 1)[0]
    for option in set(re.findall(r"│ (--[a-z-]+)", text)) - {"--help"}:  # --help: under Global options
        assert f"`{option}`" in options, f"docs/cli.md does not document {command} {option}"
    exits = doc.split("### Exit codes", 1)[1].split("###", 1)[0]
    for line in block(text, "Exit codes:"):
        assert re.search(rf"(^|\D){line.split()[0]}(\D|$)", exits)


def test_diff_usage_shows_every_form():
    forms = block(help_text("diff"), "Forms:")
    assert any(f.startswith("lsprules diff --git REV") for f in forms)
    assert any(f.startswith("lsprules diff --textconv FILE") for f in forms)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_that_writes_a_file_can_write_through_a_symlink(command):
    # E006's hint tells the user to pass --write-through-symlink: every command with --output must take it.
    options = set(re.findall(r"│ (--[a-z-]+)", help_text(command)))
    assert "--output" not in options or "--write-through-symlink" in options, command


def test_every_command_has_a_reference_section():
    listed = re.findall(r"^│ ([a-z]+) ", help_text(), re.M)
    assert set(listed) == set(COMMANDS), "a command of `lsprules --help` is missing from COMMANDS"
