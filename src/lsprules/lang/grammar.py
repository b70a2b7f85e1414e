"""The grammar of the rule language as an LALR parser: loaded from the tables shipped with the package (built
from grammar.lark by scripts/build_grammar_tables.py), or built once per process when they do not fit."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token
from lark.grammar import Rule
from lark.lexer import TerminalDef

# Comments are ignored by the grammar but kept for the formatter: the lexer hands them here.
comment_sink: list[Token] = []

# How the parser is built. propagate_positions and lexer_callbacks are given again when tables are loaded (lark
# keeps neither in them); the others are part of the tables.
OPTIONS: dict[str, Any] = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True}
_LOAD_OPTIONS = ("propagate_positions",)


def grammar_text() -> str:
    """The text of grammar.lark."""
    return files("lsprules.lang").joinpath("grammar.lark").read_text(encoding="utf-8")


def fingerprint(grammar: str) -> str:
    """What the shipped tables must have been built from: this grammar, these options and this version of lark
    (the tables are lark's own internal form, so another version builds afresh)."""
    basis = f"{grammar}\n{sorted(OPTIONS.items())!r}\nlark {lark.__version__}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser, made once per process: from the shipped tables when they were built from this grammar
    with this version of lark, else built from grammar.lark (and kept in the user's cache, where possible)."""
    grammar = grammar_text()
    callbacks = {"COMMENT": comment_sink.append}
    from lsprules.lang import grammar_tables

    if grammar_tables.FINGERPRINT == fingerprint(grammar):
        # Loaded as the standalone parsers lark generates load theirs: plain data, no pickle.
        load_options = {name: OPTIONS[name] for name in _LOAD_OPTIONS}
        parser: Lark = Lark._load_from_dict(grammar_tables.DATA, grammar_tables.MEMO,  # type: ignore[no-untyped-call]
                                            lexer_callbacks=callbacks, **load_options)
        return parser
    return Lark(grammar, **OPTIONS, lexer_callbacks=callbacks, cache=_cache_file() or False)


def serialized_tables(grammar: str) -> tuple[dict[str, Any], dict[int, Any]]:
    """The LALR tables of `grammar`, built afresh, as plain data (what grammar_tables.py holds)."""
    from lark.lark import _LOAD_ALLOWED_OPTIONS  # what Lark.save leaves out too: given again on loading

    built = Lark(grammar, **OPTIONS, lexer_callbacks={"COMMENT": comment_sink.append})
    data, memo = built.memo_serialize([TerminalDef, Rule])
    data["options"] = {name: value for name, value in data["options"].items() if name not in _LOAD_ALLOWED_OPTIONS}
    return data, memo


def _cache_file() -> str | None:
    """Where the built parser tables are kept between runs: a private folder of the user's cache.

    Only used when the shipped tables do not fit (another version of lark, or a grammar edited in place).
    Building the tables is a tenth of a second on every run; lark keys the file by a hash of the grammar, the
    options and its own version, and rebuilds when any of them changes. The file is a pickle, so it lives
    only in a folder that the user alone can write (never a shared temporary folder).
    LSPRULES_NO_CACHE=1 turns it off.
    """
    if os.environ.get("LSPRULES_NO_CACHE") == "1":
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lsprules"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = base.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None  # someone else could write here: do not load pickles from it
    except (OSError, RuntimeError):
        return None
    return str(base / "grammar.lark-cache")
