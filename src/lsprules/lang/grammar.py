"""The grammar of the rule language, built once per process into an LALR parser (cached between runs)."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from lark import Lark, Token

# Comments are ignored by the grammar but kept for the formatter: the lexer hands them here.
comment_sink: list[Token] = []


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser, built once per process (and, where possible, loaded from the user's cache)."""
    grammar = files("lsprules.lang").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                lexer_callbacks={"COMMENT": comment_sink.append}, cache=_cache_file() or False)


def _cache_file() -> str | None:
    """Where the built parser tables are kept between runs: a private folder of the user's cache.

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
