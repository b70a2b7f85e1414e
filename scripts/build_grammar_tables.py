#!/usr/bin/env python3
"""Regenerate src/lsprules/lang/grammar_tables.py from grammar.lark: run it after every change to the grammar.

Usage: python scripts/build_grammar_tables.py [--check]

The tables are plain Python data (no pickle), loaded by lang/grammar.py when their fingerprint matches the grammar,
the options and the installed lark (otherwise it builds the parser from grammar.lark, as before there were tables);
tests/test_grammar_tables.py fails when they are stale. Lark numbers the states differently on each build, so two
runs give different (equivalent) files: --check compares the fingerprint only, and exits 1 if the file is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "lsprules" / "lang" / "grammar_tables.py"
HEADER = '''"""The rule grammar's LALR tables, from grammar.lark by scripts/build_grammar_tables.py; do not edit."""
# ruff: noqa: E501

from typing import Any

'''


def tables_module() -> str:
    """The text of grammar_tables.py for the grammar and the lark installed now."""
    sys.path.insert(0, str(ROOT / "src"))
    import hashlib

    import lark

    from lsprules.lang.grammar import fingerprint, grammar_text, serialized_tables

    grammar = grammar_text()
    data, memo = serialized_tables(grammar)
    return (HEADER + f"FINGERPRINT = {fingerprint(grammar)!r}  # the grammar, the options and lark's version\n"
            + f"GRAMMAR_SHA256 = {hashlib.sha256(grammar.encode('utf-8')).hexdigest()!r}\n"
            + f"LARK_VERSION = {lark.__version__!r}\n"
            + f"DATA: dict[str, Any] = {data!r}\n"
            + f"MEMO: dict[int, Any] = {memo!r}\n")


def shipped_fingerprint() -> str | None:
    """The fingerprint written in grammar_tables.py (None: no such file)."""
    if not TARGET.exists():
        return None
    found = re.search(r"^FINGERPRINT = '([0-9a-f]+)'", TARGET.read_text(encoding="utf-8"), re.M)
    return found.group(1) if found else None


def main() -> None:
    if sys.argv[1:] == ["--check"]:
        sys.path.insert(0, str(ROOT / "src"))
        from lsprules.lang.grammar import fingerprint, grammar_text

        current = shipped_fingerprint() == fingerprint(grammar_text())
        print(f"{TARGET.relative_to(ROOT)} is {'current' if current else 'stale: run scripts/build_grammar_tables.py'}")
        sys.exit(0 if current else 1)
    TARGET.write_text(tables_module(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
