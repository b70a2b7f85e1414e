"""The parser tables shipped in lang/grammar_tables.json: current with grammar.lark, read back exactly, used when
they fit, and parsing exactly as a parser built from the grammar does (trees, positions, comments, syntax errors)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import lark
import pytest
from lark import Lark, Token, Tree, UnexpectedInput

from lsprules.lang import grammar

SHIPPED = grammar.shipped_tables()
ROOT = Path(__file__).resolve().parents[1]
RULE_FILES = sorted(p for p in ROOT.rglob("*.rules") if ".git" not in p.parts)
BROKEN = ["profile p {\n  polarity\n}\n", "indicator x uses\n", "theme t {\n  members a b\n  rating {\n",
          "profile p { arrow { compare latest with } }", "indicator i \"T\" uses p\n@\n", "profile\n"]


def test_the_tables_are_built_from_this_grammar():
    current = hashlib.sha256(grammar.grammar_text().encode("utf-8")).hexdigest()
    assert SHIPPED["grammar_sha256"] == current, "grammar.lark changed: run scripts/build_grammar_tables.py"


def same(a: object, b: object) -> bool:
    """Equal, and of the same types all the way down (a tuple is not a list, 1 is not True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_the_tables_are_read_back_exactly_as_lark_wrote_them():
    data, memo = grammar.serialized_tables(grammar.grammar_text())
    assert any(isinstance(k, int) for k in memo) and "parser" in data
    for value in (data, memo):
        assert same(json.loads(json.dumps(grammar.encoded(value)), object_hook=grammar._decoded), value)
    assert not same((1, [2]), [1, [2]]) and not same({1: True}, {1: 1})


def test_what_json_cannot_hold_exactly_is_refused():
    for value in ({"__tuple__": 1}, {1: "a", "b": 2}, {1.5}, b"bytes"):
        with pytest.raises(ValueError):
            grammar.encoded(value)


def test_the_build_script_says_whether_they_are_current():
    result = subprocess.run([sys.executable, "scripts/build_grammar_tables.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    fits = SHIPPED["lark_version"] == lark.__version__
    assert result.returncode == (0 if fits else 1), result.stdout + result.stderr
    assert ("is current" if fits else "is stale") in result.stdout


@pytest.fixture
def fresh_parser(monkeypatch):
    """lark_parser() made again (and forgotten afterwards), from the user's cache never."""
    monkeypatch.setenv("LSPRULES_NO_CACHE", "1")
    grammar.lark_parser.cache_clear()
    yield grammar.lark_parser
    grammar.lark_parser.cache_clear()


@pytest.mark.skipif(SHIPPED["lark_version"] != lark.__version__,
                    reason=f"the tables are for lark {SHIPPED['lark_version']}: the parser is built instead")
def test_the_shipped_tables_are_used_when_they_fit(fresh_parser):
    assert fresh_parser().source_path == "<deserialized>"


def test_a_grammar_the_tables_do_not_fit_is_built(fresh_parser, monkeypatch):
    monkeypatch.setattr(grammar, "shipped_tables", lambda: {**SHIPPED, "fingerprint": "stale"})
    parser = fresh_parser()
    assert parser.source_path != "<deserialized>"
    assert parser.parse("profile p {\n  polarity lower_is_better\n}\n").data == "start"


def built() -> Lark:
    """A parser built from grammar.lark, as the tables' fallback builds it."""
    return Lark(grammar.grammar_text(), **grammar.OPTIONS, lexer_callbacks={"COMMENT": grammar.comment_sink.append})


def shape(tree: Tree[Token] | Token) -> object:
    """A tree with every token's type, text and position (lark's own == looks at the text alone)."""
    if isinstance(tree, Token):
        return (tree.type, str(tree), tree.start_pos, tree.line, tree.column, tree.end_line, tree.end_column)
    if tree is None:
        return None
    meta = (tree.meta.line, tree.meta.column, tree.meta.end_line, tree.meta.end_column) if not tree.meta.empty else ()
    return (tree.data, meta, [shape(child) for child in tree.children])


def outcome(parser: Lark, text: str) -> object:
    """What parsing `text` gives: the tree and the comments, or the error and what it expected."""
    grammar.comment_sink.clear()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as exc:
        return (type(exc).__name__, exc.line, exc.column, sorted(getattr(exc, "expected", ()) or ()),
                sorted(getattr(exc, "allowed", ()) or ()))
    return shape(tree), [(c.type, str(c), c.line) for c in grammar.comment_sink]


def test_the_tables_parse_every_rule_file_as_the_grammar_does(fresh_parser):
    assert len(RULE_FILES) > 50
    shipped, reference = fresh_parser(), built()
    for path in RULE_FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert outcome(shipped, text) == outcome(reference, text), path


@pytest.mark.parametrize("text", BROKEN)
def test_the_tables_report_syntax_errors_as_the_grammar_does(fresh_parser, text):
    assert outcome(fresh_parser(), text) == outcome(built(), text)
