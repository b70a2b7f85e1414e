"""`lsprules lsp` end to end: a real LSP client (pytest-lsp) talks to the server over standard input and output.

Every expectation is computed from the rest of lsprules (check, fmt, the interpreter), never copied in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsprules.data.load import load_any
from lsprules.engine.interpreter import evaluate
from lsprules.lang.resolve import load_rules

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
DATASET = ROOT / "datasets" / "redcar-cleveland-2007.yaml"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
ASYNC = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "lsprules", "lsp"],
                                              server_env=ENV), scope="module")
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


_opened = iter(range(1, 10_000))


async def open_text(client: LanguageClient, path: Path, text: str) -> tuple[str, list[types.Diagnostic]]:
    """Open a document under a fresh URI and return its URI and the diagnostics the server publishes."""
    uri = path.with_name(f"{path.stem}-{next(_opened)}{path.suffix}").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "lsprules", 1, text)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return uri, list(client.diagnostics[uri])


def check_json(path: Path) -> list[dict[str, object]]:
    """What `lsprules check --format json` reports for a file (run as a user runs it)."""
    result = subprocess.run([sys.executable, "-m", "lsprules", "check", str(path), "--format", "json"],
                            capture_output=True, text=True, env=ENV, timeout=60)
    return list(json.loads(result.stdout))


def as_check(diagnostic: types.Diagnostic) -> tuple[object, ...]:
    """An LSP diagnostic in check's terms: code, 1-based line and column of start and end."""
    r = diagnostic.range
    return (diagnostic.code, r.start.line + 1, r.start.character + 1, r.end.line + 1, r.end.character + 1)


def position_of(text: str, needle: str, occurrence: int = 0) -> types.Position:
    """The LSP position of the n-th occurrence of `needle` (the rule files' lines are in the BMP)."""
    offset = [m.start() for m in re.finditer(re.escape(needle), text)][occurrence]
    line = text.count("\n", 0, offset)
    return types.Position(line, offset - (text.rfind("\n", 0, offset) + 1))


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """The text after LSP edits (applied from the last to the first)."""
    lines = text.split("\n")
    starts = [sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines))]

    def offset(p: types.Position) -> int:
        return starts[p.line] + p.character if p.line < len(lines) else len(text)

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


# --- diagnostics ------------------------------------------------------------------------------------------


@ASYNC
@pytest.mark.parametrize("name", ["crime.rules", "tutorial.rules", "districts.rules"])
async def test_a_bundled_rule_file_gets_exactly_what_check_reports(client: LanguageClient, name: str):
    path = RULES / name
    _, diagnostics = await open_text(client, path, path.read_text(encoding="utf-8"))
    expected = [(d["code"], d["line"], d["column"], d["end_line"], d["end_column"]) for d in check_json(path)]
    assert [as_check(d) for d in diagnostics] == expected
    assert not [d for d in diagnostics if d.severity == types.DiagnosticSeverity.Error]


@ASYNC
async def test_the_settings_file_s_ignore_applies_as_in_check(client: LanguageClient, tmp_path: Path):
    text = "".join(line for line in (RULES / "crime.rules").read_text(encoding="utf-8").splitlines(keepends=True)
                   if "lsprules: ignore[E206]" not in line)  # the bundled suppression comment taken out
    (tmp_path / "lsprules.toml").write_text('[check]\nignore = ["E206"]\n', encoding="utf-8")
    _, diagnostics = await open_text(client, tmp_path / "crime.rules", text)
    assert diagnostics == []
    bare = tmp_path / "bare" / "crime.rules"
    bare.parent.mkdir()
    bare.write_text(text, encoding="utf-8")
    assert [d["code"] for d in check_json(bare)] == ["E206"]  # what the setting hides


@ASYNC
async def test_a_typo_gives_check_s_diagnostic_at_the_same_range(client: LanguageClient, tmp_path: Path):
    broken = tmp_path / "crime.rules"
    broken.write_text((RULES / "crime.rules").read_text(encoding="utf-8").replace("uses gap_rate", "uses gap_rat", 1),
                      encoding="utf-8")
    _, diagnostics = await open_text(client, broken, broken.read_text(encoding="utf-8"))
    [expected] = [d for d in check_json(broken) if d["severity"] == "error"]
    [found] = [d for d in diagnostics if d.severity == types.DiagnosticSeverity.Error]
    assert as_check(found) == (expected["code"], expected["line"], expected["column"], expected["end_line"],
                               expected["end_column"])
    assert found.message == f"{expected['message']}\nhelp: {expected['hint']}"


@ASYNC
async def test_diagnostics_follow_the_text_as_it_is_typed(client: LanguageClient):
    text = "indicator k {\n  polarity higher_is_better\n  unit count\n}\n"
    uri, diagnostics = await open_text(client, RULES / "typed.rules", text)
    assert diagnostics == []
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text.replace("unit count", "unit cont"))]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.code for d in client.diagnostics[uri]] == ["E101"]


# --- hover, definition, references ------------------------------------------------------------------------


@ASYNC
async def test_hover_shows_resolved_settings_and_with_a_configured_dataset_the_latest_rag(client: LanguageClient,
                                                                                          tmp_path: Path):
    text = (RULES / "crime.rules").read_text(encoding="utf-8")
    (tmp_path / "lsprules.toml").write_text(f'data = ["{DATASET.as_posix()}"]\n', encoding="utf-8")
    uri, _ = await open_text(client, tmp_path / "crime.rules", text)
    at = position_of(text, "theft_of_vehicle")
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), at))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    shown = hover.contents.value
    spec = load_rules(RULES / "crime.rules").indicators["theft_of_vehicle"]
    assert spec.title in shown
    assert f"polarity {spec.polarity.kind}" in shown  # from the profile: the indicator itself says nothing
    assert spec.target is not None and spec.target.goal is not None
    assert f"reduce by {spec.target.goal.amount.value} % by {spec.target.goal.period}" in shown
    assessments = evaluate(load_rules(RULES / "crime.rules"), load_any(DATASET)).assessments
    [latest] = [a for a in assessments if a.indicator == "theft_of_vehicle"]
    assert latest.rag is not None
    assert re.search(rf"\| {re.escape(latest.area)} \| .* \| {latest.rag} \|", shown), shown


@ASYNC
async def test_hover_without_a_configured_dataset_shows_no_assessment(client: LanguageClient, tmp_path: Path):
    text = (RULES / "crime.rules").read_text(encoding="utf-8")
    uri, _ = await open_text(client, tmp_path / "crime.rules", text)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position_of(text, "theft_of_vehicle")))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "lower_is_better" in hover.contents.value and "Latest assessment" not in hover.contents.value


@ASYNC
async def test_go_to_definition_on_a_profile_s_use_lands_on_the_profile(client: LanguageClient):
    text = (RULES / "crime.rules").read_text(encoding="utf-8")
    uri, _ = await open_text(client, RULES / "crime.rules", text)
    found = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), position_of(text, "crime_count", 1)))
    assert isinstance(found, types.Location)
    definition = position_of(text, "profile crime_count")
    assert found.range.start == types.Position(definition.line, definition.character + len("profile "))


@ASYNC
async def test_references_find_every_use_of_a_profile(client: LanguageClient):
    text = (RULES / "crime.rules").read_text(encoding="utf-8")
    uri, _ = await open_text(client, RULES / "crime.rules", text)
    found = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri), position=position_of(text, "crime_count", 3),
        context=types.ReferenceContext(include_declaration=True)))
    uses = [m.start() for m in re.finditer(r"\bcrime_count\b", re.sub(r"#[^\n]*", lambda m: " " * len(m.group()),
                                                                         text))]
    assert found is not None and len(found) == len(uses) > 10
    assert {r.range.start.line for r in found} == {text.count("\n", 0, u) for u in uses}


# --- completion, formatting, outline, rename, quick fixes -------------------------------------------------


@ASYNC
async def test_completion_inside_rag_offers_the_bands_and_condition_keywords(client: LanguageClient):
    text = ("indicator k {\n  polarity higher_is_better\n  unit percent\n  rag {\n    green when value >= 90\n"
            "    \n  }\n}\n")
    uri, _ = await open_text(client, RULES / "completing.rules", text)
    result = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), types.Position(5, 4)))
    assert isinstance(result, types.CompletionList)
    labels = {item.label for item in result.items}
    assert {"red", "amber", "green", "when", "otherwise", "arrow", "on", "trajectory", "target", "gap"} <= labels
    assert {"no", "more", "than", "short", "reaches", "trigger", "significantly"} <= labels  # rule language v2
    assert "polarity" not in labels  # a setting cannot go inside `rag {}`


def test_completion_knows_every_keyword_of_the_grammar():
    """A keyword added to the language is offered somewhere (a guard against the word lists drifting)."""
    from lsprules.lang.grammar import lark_parser
    from lsprules.lsp import completion

    words = {t.pattern.value for t in lark_parser().terminals
             if t.pattern.type == "str" and t.pattern.value.isidentifier()}
    offered = {w for block in completion.BLOCK_WORDS.values() for w in block} | set(completion.CONDITION_WORDS) | \
        set(completion.NAME_AFTER)
    assert words - offered == set()


@ASYNC
async def test_completion_after_uses_offers_the_profiles(client: LanguageClient):
    text = (RULES / "crime.rules").read_text(encoding="utf-8") + "\nindicator extra uses \n"
    uri, _ = await open_text(client, RULES / "crime.rules", text)
    end = text.rstrip("\n").split("\n")
    result = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), types.Position(len(end) - 1, len(end[-1]))))
    assert isinstance(result, types.CompletionList)
    assert {item.label for item in result.items} == set(re.findall(r"^profile (\w+)", text, re.M))


@ASYNC
async def test_formatting_returns_fmt_s_text(client: LanguageClient):
    text = (RULES / "crime.rules").read_text(encoding="utf-8").replace("  polarity lower_is_better",
                                                                        "      polarity    lower_is_better")
    uri, _ = await open_text(client, RULES / "crime.rules", text)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        types.TextDocumentIdentifier(uri), types.FormattingOptions(tab_size=2, insert_spaces=True)))
    fmt = subprocess.run([sys.executable, "-m", "lsprules", "fmt", "-"], input=text, capture_output=True, text=True,
                         env=ENV, timeout=60)
    assert fmt.returncode == 0 and fmt.stdout != text
    assert edits and apply(text, edits) == fmt.stdout


@ASYNC
async def test_document_symbols_are_the_file_s_outline(client: LanguageClient):
    text = (RULES / "crime.rules").read_text(encoding="utf-8")
    uri, _ = await open_text(client, RULES / "crime.rules", text)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri)))
    assert symbols is not None
    top = [s.name for s in symbols if isinstance(s, types.DocumentSymbol)]
    assert top == re.findall(r"^(?:profile|indicator|group|theme|comparator) (\w+)", text, re.M)
    [psa1] = [s for s in symbols if isinstance(s, types.DocumentSymbol) and s.name == "psa1"]
    assert psa1.children is not None and "theft_of_vehicle" in [c.name for c in psa1.children]


@ASYNC
async def test_rename_of_an_indicator_changes_its_definition_and_every_use(client: LanguageClient, tmp_path: Path):
    text = (RULES / "crime.rules").read_text(encoding="utf-8")
    uri, _ = await open_text(client, RULES / "crime.rules", text)
    edit = await client.text_document_rename_async(types.RenameParams(
        types.TextDocumentIdentifier(uri), position_of(text, "theft_of_vehicle"), "vehicle_theft"))
    assert edit is not None and edit.changes is not None
    renamed = apply(text, edit.changes[uri])
    assert len(edit.changes[uri]) == len(re.findall(r"(?<![\w#])theft_of_vehicle\b", text)) >= 2
    assert "vehicle_theft" in load_rules_text(tmp_path, renamed).indicators
    assert "theft_of_vehicle" not in load_rules_text(tmp_path, renamed).indicators


def load_rules_text(folder: Path, text: str):
    path = folder / "renamed.rules"
    path.write_text(text, encoding="utf-8")
    return load_rules(path)


@ASYNC
async def test_a_quick_fix_applies_the_did_you_mean_hint(client: LanguageClient):
    text = "profile crime {\n  polarity higher_is_better\n  unit count\n}\nindicator k uses crme\n"
    uri, diagnostics = await open_text(client, RULES / "fixing.rules", text)
    [problem] = [d for d in diagnostics if d.code == "E103"]
    assert "did you mean 'crime'?" in problem.message
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), problem.range, types.CodeActionContext([problem])))
    assert actions is not None
    [action] = actions
    assert isinstance(action, types.CodeAction) and action.edit is not None and action.edit.changes is not None
    fixed = apply(text, action.edit.changes[uri])
    assert fixed == text.replace("uses crme", "uses crime")
    _, after = await open_text(client, RULES / "fixing.rules", fixed)
    assert after == []
