"""Labels for syntax errors, in the policy lead's words, from a table of known-bad examples.

As in Lark's own grammar loader (`match_examples`), each label comes with snippets that fail the way a real
file does. A failure is matched on what the parser would have accepted and on the kind of token it found,
not on the parser state alone, so that one example covers every place where the same mistake is possible and
an unrelated error is never mislabelled. Two mistakes are recognised without examples, because they can
happen anywhere: an unclosed block (named, with the line that opened it) and a misspelt keyword.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lark import UnexpectedToken

from lsprules.lang.grammar import lark_parser

# label -> snippets that fail with it. A snippet whose error token is `*` matches any token in that place.
EXAMPLES: dict[str, list[str]] = {
    "`when` needs a condition": [
        "profile p { rag { green when } }", "theme t { rating { A when } }",
        "profile p { rag { green when otherwise } }",
    ],
    "a clause needs `when CONDITION` or `otherwise` after its band": [
        "profile p { rag { green } }", "profile p { rag { green value > 1 } }", "theme t { rating { A } }",
        "profile p { rag { green 5 } }", "profile p { rag { green x } }",
    ],
    "an indicator needs an id before its title": ['indicator "Theft of Vehicle"', "indicator { unit count }"],
    "a profile needs a name": ["profile {", 'profile "crime" {'],
    "`uses` needs the name of a profile": ["indicator a uses {", 'indicator a uses "p"', "indicator a uses }"],
    "`compare latest with` needs previous, same period last year, or mean of previous N": [
        "profile p { arrow { compare latest with } }", "profile p { arrow { compare latest with last } }",
        "profile p { arrow { compare with previous } }", "profile p { arrow { compare latest with 5 } }",
    ],
    "`static` needs `within` or `below` and a tolerance, e.g. `static within 1.5 %`": [
        "profile p { arrow { static 1.5 % } }", "profile p { arrow { static within } }",
    ],
    "a period is needed here, e.g. 2003/04": [
        "profile p { target { baseline } }", "profile p { target { baseline x } }",
        "profile p { target { reduce by 10 % by } }", "profile p { target { reduce by 10 % by x } }",
        "profile p { target { baseline 5.5 } }", "profile p { target { reach 5 by } }",
    ],
    "`value =` needs an expression": ["indicator a { value = }", "indicator a { value = + }",
                                      "indicator a { value = * }"],
    "an expression is incomplete": ["indicator a { value = a + }", "indicator a { value = (a }",
                                    "indicator a { value = sum(a, }", "indicator a { value = a * }",
                                    "profile p { rag { green when value > } }",
                                    "profile p { rag { green when value >= target - } }"],
    "two values need an operator between them, such as + or >=": [
        "indicator a { value = a b }", "profile p { rag { green when value 5 } }",
        "indicator a { value = (a b) }",
    ],
    "`polarity` needs higher_is_better, lower_is_better or closer_to N": [
        "profile p { polarity }", "profile p { polarity x }", "profile p { polarity 5 }",
    ],
    "`unit` needs count, percent, ratio or rate per N": ["profile p { unit }", "profile p { unit x }",
                                                         "profile p { unit 5 }"],
    "say how far beyond the level: `more than`, `at least`, `up to`, `no more than` or `less than`, e.g. "
    "`stretch exceeded by at least 2 %`": ["profile p { rag { green when stretch exceeded by 2 } }",
                                           "profile p { rag { green when trigger exceeded by x } }"],
    "a title goes in double quotes after the id": ["indicator a b", "group g b {"],
    "a setting was expected: unit, polarity, value, fields, decimals, arrow, target or rag": [
        "profile p { colour red }", "profile p { 5 }", "profile p { when }", "profile p { otherwise }",
        "profile p { green when x }",
    ],
    "a rule file holds profile, indicator, group and theme items": [
        "indicater x", "5", "polarity x", "x {", "{", "rag {", "unit count",
    ],
}

# Words that open a block, and how a block is named in messages.
_BLOCK_HEAD = re.compile(r"\b(profile|indicator|group|theme)\s+([A-Za-z_][A-Za-z0-9_]*)|\b(arrow|target|rag|rating)\b")
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[{}]')
_ITEM_KEYWORDS = {"PROFILE", "INDICATOR", "GROUP", "THEME"}


@dataclass(frozen=True)
class Block:
    """A block that is open at some point of a file: what it is and where its `{` is."""

    words: str
    offset: int


def _key(exc: UnexpectedToken) -> tuple[frozenset[str], str]:
    return frozenset(exc.accepts or exc.expected), exc.token.type


@lru_cache(maxsize=1)
def _table() -> dict[tuple[frozenset[str], str], str]:
    """(accepted tokens, found token type) -> label, built once from the examples."""
    table: dict[tuple[frozenset[str], str], str] = {}
    for label, snippets in EXAMPLES.items():
        for snippet in snippets:
            try:
                lark_parser().parse(snippet)
            except UnexpectedToken as exc:
                table.setdefault(_key(exc), label)
            except Exception:  # an example that fails differently labels nothing
                continue
    return table


def label_for(text: str, exc: UnexpectedToken) -> str | None:
    """The label for a syntax error: an unclosed block, a known-bad example, or None."""
    if isinstance(exc, UnexpectedToken):
        unclosed = unclosed_block(text, exc)
        if unclosed is not None:
            return unclosed
        try:
            return _table().get(_key(exc))
        except Exception:  # a labelling failure must never hide the real error
            return None
    return None


def unclosed_block(text: str, exc: UnexpectedToken) -> str | None:
    """'missing closing brace '}' of indicator 'robbery' (opened on line 12)' when that explains the error."""
    accepts = set(exc.accepts or exc.expected)
    if "RBRACE" not in accepts or not (exc.token.type == "$END" or exc.token.type in _ITEM_KEYWORDS):
        return None
    position = len(text) if exc.token.type == "$END" else (exc.token.start_pos or 0)
    blocks = open_blocks(text, position)
    if not blocks:
        return None
    block = blocks[-1]
    line = text.count("\n", 0, block.offset) + 1
    return f"missing closing brace '}}' of {block.words} (opened on line {line})"


def open_blocks(text: str, position: int) -> list[Block]:
    """The blocks still open at `position`, outermost first (strings and comments are skipped)."""
    stack: list[Block] = []
    last_close = 0
    for match in _TOKEN.finditer(text, 0, position):
        token = match.group()
        if token == "{":
            stack.append(Block(_block_words(text[last_close:match.start()]), match.start()))
            last_close = match.end()
        elif token == "}":
            if stack:
                stack.pop()
            last_close = match.end()
    return stack


def _block_words(head: str) -> str:
    """How the block whose head is `head` is named: "indicator 'robbery'", "the rag block"."""
    found = list(_BLOCK_HEAD.finditer(_strip_comments(head)))
    if not found:
        return "a block"
    last = found[-1]
    if last.group(1):
        return f"{last.group(1)} '{last.group(2)}'"
    return f"the {last.group(3)} block"


def _strip_comments(text: str) -> str:
    return re.sub(r'#[^\n]*|"(?:[^"\\\n]|\\.)*"', " ", text)
