"""Builds the Lark parser once and turns rule-file text into an AST, or into diagnostics."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from lark import Lark, Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import nodes
from .diagnostics import Diagnostic, InputError, error
from .source import Source

# Words for terminals, so that a syntax error says what was expected in the policy lead's terms.
TERMINAL_WORDS = {
    "NAME": "a name", "STRING": 'a quoted title such as "Theft of Vehicle"', "NUMBER": "a number",
    "INT": "a whole number", "PERIOD": "a period such as 2007/08", "LBRACE": "'{'", "RBRACE": "'}'",
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "EQUAL": "'='", "COMPARE": "a comparison such as >=",
    "ADD_OP": "'+' or '-'", "MUL_OP": "'*' or '/'", "MINUS": "'-'", "QUANTITY_UNIT": "'%' or 'pp'",
    "UNIT_KIND": "count, percent, ratio or rate per N", "POLARITY_KIND": "higher_is_better, lower_is_better or closer_to",
    "STATIC_KIND": "'within' or 'below'", "CHANGE_KIND": "'reduce' or 'increase'",
    "TRAJECTORY_KIND": "'linear' or 'flat'", "ARROW_KIND": "up, static, down, peak or na",
    "GAP_STATE": "closed, narrowed or widened", "REF": "value, previous, trajectory, baseline or change",
    "LESSTHAN": "'<'", "$END": "the end of the file",
}


# Comments are ignored by the grammar but kept for the formatter: the lexer hands them here.
_comment_sink: list[Token] = []


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The LALR parser, built once per process."""
    grammar = files("lsprules").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                lexer_callbacks={"COMMENT": _comment_sink.append})


def parse_source(source: Source) -> nodes.RuleFile:
    """Parse a rule file into its AST; raise InputError with diagnostics on any syntax problem."""
    from .lower import lower  # the only module that walks Lark trees

    comments: list[Token] = []
    try:
        tree = _parse_collecting(source.text, comments)
    except UnexpectedInput as exc:
        raise InputError([syntax_diagnostic(source, exc)]) from None
    except RecursionError:
        raise InputError([error("E101", "the file is nested too deeply to read", source, 0,
                                hint="split deeply nested parentheses into simpler expressions")]) from None
    return lower(tree, source, comments)


def _parse_collecting(text: str, comments: list[Token]):
    """Parse with a lexer callback that keeps comments (the grammar ignores them)."""
    _comment_sink.clear()
    try:
        return _lark().parse(text)
    finally:
        comments.extend(_comment_sink)
        _comment_sink.clear()


def parse_text(text: str, name: str = "<text>") -> nodes.RuleFile:
    """Parse rule text given directly (tests, generated rules)."""
    return parse_source(Source(name, text.replace("\r\n", "\n")))


def describe_token(token: Token) -> str:
    """A token as words: 'end of file', "'}'", "the name 'robbery'"."""
    if token.type == "$END":
        return "the end of the file"
    if token.type == "NAME":
        return f"the name '{token}'"
    if token.type == "NUMBER":
        return f"the number {token}"
    return f"'{token}'"


def expected_words(expected: set[str]) -> str:
    """A readable list of what the parser would have accepted."""
    words = sorted({TERMINAL_WORDS.get(t, _keyword(t)) for t in expected if not t.startswith("__")})
    if len(words) > 6:
        words = words[:6] + ["…"]
    return ", ".join(words) if words else "something else"


def _keyword(terminal: str) -> str:
    """Lark names anonymous keyword terminals after the keyword itself (e.g. WHEN)."""
    return f"'{terminal.lower()}'"


def syntax_diagnostic(source: Source, exc: UnexpectedInput) -> Diagnostic:
    """Turn a Lark syntax error into one diagnostic: what was found, what was expected, where."""
    from .syntax_labels import label_for

    pos = getattr(exc, "pos_in_stream", None) or 0
    label = label_for(source.text, exc)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        start = token.start_pos if token.start_pos is not None else len(source.text)
        end = token.end_pos if token.end_pos is not None else start + 1
        found = describe_token(token)
        message = label or f"unexpected {found}"
        hint = f"expected {expected_words(set(exc.expected))}"
        if token.type == "$END":
            start = end = len(source.text.rstrip())
            message = label or "the file ends too early"
        return error("E101", message, source, start, max(end, start + 1), hint=hint)
    if isinstance(exc, UnexpectedCharacters):
        char = source.text[pos] if pos < len(source.text) else ""
        message = label or f"unexpected character {char!r}"
        hint = f"expected {expected_words(set(exc.allowed or ()))}"
        return error("E101", message, source, pos, pos + 1, hint=hint)
    if isinstance(exc, UnexpectedEOF):
        end = len(source.text.rstrip())
        return error("E101", label or "the file ends too early", source, end, end + 1,
                     hint=f"expected {expected_words(set(exc.expected))}")
    return error("E101", "syntax error", source, pos)
