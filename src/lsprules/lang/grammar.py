"""The grammar of the rule language as an LALR parser: loaded from the tables shipped with the package
(grammar_tables.json, built from grammar.lark by scripts/build_grammar_tables.py), or built once per process
when they do not fit."""

from __future__ import annotations

import hashlib
import json
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
# JSON has neither tuples nor integer keys; lark's tables have both. They are written as {TUPLE: [...]} and
# {INT_KEYS: [[key, value], ...]}, and read back exactly (tests/test_grammar_tables.py).
TUPLE, INT_KEYS = "__tuple__", "__int_keys__"


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
    tables = shipped_tables()
    if tables.get("fingerprint") == fingerprint(grammar):
        # Loaded as the standalone parsers lark generates load theirs: plain data, no pickle.
        load_options = {name: OPTIONS[name] for name in _LOAD_OPTIONS}
        parser: Lark = Lark._load_from_dict(tables["data"], tables["memo"],  # type: ignore[no-untyped-call]
                                            lexer_callbacks=callbacks, **load_options)
        return parser
    return Lark(grammar, **OPTIONS, lexer_callbacks=callbacks, cache=_cache_file() or False)


def shipped_tables() -> dict[str, Any]:
    """grammar_tables.json: the fingerprint, the grammar's sha256, lark's version, and the tables (data, memo)."""
    text = files("lsprules.lang").joinpath("grammar_tables.json").read_text(encoding="utf-8")
    tables: dict[str, Any] = json.loads(text, object_hook=_decoded)
    return tables


def _decoded(obj: dict[str, Any]) -> Any:
    """A JSON object as it was before encoded() wrote it."""
    if len(obj) == 1 and TUPLE in obj:
        return tuple(obj[TUPLE])
    if len(obj) == 1 and INT_KEYS in obj:
        return dict(obj[INT_KEYS])
    return obj


def encoded(value: Any) -> Any:
    """`value` (lark's serialised tables) in JSON's terms, so that reading it back with _decoded gives it exactly."""
    if isinstance(value, tuple):
        return {TUPLE: [encoded(item) for item in value]}
    if isinstance(value, list):
        return [encoded(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            if TUPLE in value or INT_KEYS in value:
                raise ValueError(f"a key that is a marker: {sorted(value)}")
            return {key: encoded(item) for key, item in value.items()}
        if all(isinstance(key, int) and not isinstance(key, bool) for key in value):
            return {INT_KEYS: [[key, encoded(item)] for key, item in value.items()]}
        raise ValueError(f"keys of mixed kinds: {list(value)[:5]}")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"a value JSON cannot hold: {type(value).__name__}")


def serialized_tables(grammar: str) -> tuple[dict[str, Any], dict[int, Any]]:
    """The LALR tables of `grammar`, built afresh, as plain data (what grammar_tables.json holds, encoded)."""
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
