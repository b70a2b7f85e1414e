#!/usr/bin/env python3
"""Regenerate src/lsprules/lang/grammar_tables.json from grammar.lark: run it after every change to the grammar.

Usage: python scripts/build_grammar_tables.py [--check]

The tables are plain data (JSON, no pickle), loaded by lang/grammar.py when their fingerprint matches the grammar,
the options and the installed lark (otherwise it builds the parser from grammar.lark, as before there were tables);
tests/test_grammar_tables.py fails when they are stale. Lark numbers the states differently on each build, so two
runs give different (equivalent) files: --check compares the fingerprint only, and exits 1 if the file is stale.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "lsprules" / "lang" / "grammar_tables.json"
sys.path.insert(0, str(ROOT / "src"))

import lark  # noqa: E402

from lsprules.lang.grammar import encoded, fingerprint, grammar_text, serialized_tables  # noqa: E402


def tables_text() -> str:
    """The text of grammar_tables.json for the grammar and the lark installed now."""
    grammar = grammar_text()
    data, memo = serialized_tables(grammar)
    tables = {"comment": "the rule grammar's LALR tables, from grammar.lark by scripts/build_grammar_tables.py",
              "fingerprint": fingerprint(grammar),  # the grammar, the options and lark's version
              "grammar_sha256": hashlib.sha256(grammar.encode("utf-8")).hexdigest(),
              "lark_version": lark.__version__, "data": encoded(data), "memo": encoded(memo)}
    return json.dumps(tables, ensure_ascii=False, separators=(",", ":")) + "\n"


def shipped_fingerprint() -> str | None:
    """The fingerprint written in grammar_tables.json (None: no such file, or none in it)."""
    if not TARGET.exists():
        return None
    found = json.loads(TARGET.read_text(encoding="utf-8")).get("fingerprint")
    return found if isinstance(found, str) else None


def main() -> None:
    if sys.argv[1:] == ["--check"]:
        current = shipped_fingerprint() == fingerprint(grammar_text())
        print(f"{TARGET.relative_to(ROOT)} is {'current' if current else 'stale: run scripts/build_grammar_tables.py'}")
        sys.exit(0 if current else 1)
    TARGET.write_text(tables_text(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
