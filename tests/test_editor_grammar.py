"""The TextMate grammar of editors/vscode, tested with vscode-tmgrammar-test (from npm, installed by .ci/run into
tests/node): the hand-written cases in editors/vscode/tests, and every bundled rule file, whose expected scopes
come from lsprules' own lexer (comments, titles, numbers, periods and keywords where the lexer sees them)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "lsprules.tmLanguage.json"
RUNNER = ROOT / "tests" / "node" / "node_modules" / ".bin" / "vscode-tmgrammar-test"
BUNDLED = sorted((ROOT / "rules").glob("*.rules")) + sorted((ROOT / "tests" / "benchmarks").glob("*.rules"))

DECLARATIONS = {"profile", "indicator", "group", "theme", "comparator"}
CONTROL = {"when", "otherwise"}
LOGICAL = {"and", "or", "not"}


@pytest.fixture(scope="module")
def runner() -> Path:
    """vscode-tmgrammar-test; without it the test is skipped with the reason (and fails in CI)."""
    if not RUNNER.exists():
        reason = "vscode-tmgrammar-test is not installed: run `npm ci --prefix tests/node` (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return RUNNER


def run(runner: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(runner), "--compact", "-g", str(GRAMMAR), *map(str, files)], capture_output=True,
                          text=True, timeout=120)


def expected_scopes(text: str) -> dict[int, list[tuple[int, int, str]]]:
    """By 1-based line: (column, width, scope) of each token whose scope the lexer decides alone."""
    from lsprules.lang.grammar import comment_sink, lark_parser

    comment_sink.clear()
    tokens = list(lark_parser().lex(text))  # comments go to the sink, as when parsing
    comments = list(comment_sink)
    comment_sink.clear()
    found: dict[int, list[tuple[int, int, str]]] = {}
    previous = [None, *(str(t) for t in tokens)]
    for token, before in [*zip(tokens, previous, strict=False), *((c, None) for c in comments)]:
        scope = _scope(token.type, str(token), before)
        if scope is not None:
            found.setdefault(token.line, []).append((token.column, len(str(token)), scope))
    return found


def _scope(kind: str, word: str, previous: str | None) -> str | None:
    if kind == "COMMENT":
        return "comment.line.number-sign.lsprules"
    if kind == "STRING":
        return "string.quoted.double.lsprules"
    if kind in ("NUMBER", "INT"):
        return "constant.numeric.lsprules"
    if kind == "PERIOD" and not word.isdigit():  # a bare year is a number or a period by context alone
        return "constant.numeric.period.lsprules"
    if kind == "QUANTITY_UNIT":
        return "keyword.other.unit.lsprules"
    if previous in DECLARATIONS and (kind == "NAME" or word.isidentifier()):  # a declared id, even `profile`
        return f"entity.name.{previous}.lsprules"
    if kind == "NAME":
        return None
    if not word.isidentifier():
        return None
    if word in DECLARATIONS:
        return "keyword.declaration.lsprules"
    if word == "up" and previous in ("is", "not"):  # the arrow, not the bound `up to`
        return "constant.language.lsprules"
    return ("keyword.control.lsprules" if word in CONTROL else
            "keyword.operator.logical.lsprules" if word in LOGICAL else "keyword.other.lsprules")


def grammar_test(rule_file: Path, folder: Path) -> Path:
    """The rule file as a grammar test: each line followed by assertions of its tokens' scopes."""
    text = rule_file.read_text(encoding="utf-8")
    scopes = expected_scopes(text)
    lines = [f'# SYNTAX TEST "source.lsprules" "{rule_file.name}"']
    for number, line in enumerate(text.split("\n"), start=1):
        lines.append(line)
        for column, width, scope in scopes.get(number, []):
            marker = f"<{'-' * width}" if column == 1 else " " * (column - 2) + "^" * width
            lines.append(f"#{marker} {scope}")
    test = folder / f"{rule_file.stem}.test.rules"
    test.write_text("\n".join(lines), encoding="utf-8")
    return test


def test_the_hand_written_grammar_cases_pass(runner: Path):
    cases = sorted((VSCODE / "tests").glob("*.test.rules"))
    result = run(runner, *cases)
    assert cases and result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("rule_file", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_rule_file_is_highlighted_as_the_lexer_reads_it(runner: Path, rule_file: Path,
                                                                       tmp_path: Path):
    test = grammar_test(rule_file, tmp_path)
    assert test.read_text(encoding="utf-8").count("\n#") > 20  # the file holds assertions to check
    result = run(runner, test)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_grammar_test_can_fail(runner: Path, tmp_path: Path):
    test = grammar_test(ROOT / "rules" / "crime.rules", tmp_path)
    test.write_text(test.read_text(encoding="utf-8").replace("keyword.declaration.lsprules", "keyword.other.lsprules",
                                                             1), encoding="utf-8")
    assert run(runner, test).returncode != 0


def test_the_extension_manifest_names_files_that_exist_and_its_client_is_valid_javascript():
    import json
    import shutil

    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    contributes = manifest["contributes"]
    paths = [contributes["grammars"][0]["path"], contributes["languages"][0]["configuration"], manifest["main"]]
    assert all((VSCODE / path).is_file() for path in paths)
    assert json.loads(GRAMMAR.read_text(encoding="utf-8"))["scopeName"] == contributes["grammars"][0]["scopeName"]
    configuration = json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    assert configuration["comments"]["lineComment"] == "#"
    assert contributes["configuration"]["properties"]["lsprules.command"]["default"] == ["lsprules", "lsp"]
    node = shutil.which("node")
    if node is not None:
        result = subprocess.run([node, "--check", str(VSCODE / "extension.js")], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
