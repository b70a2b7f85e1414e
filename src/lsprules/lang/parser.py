"""Builds the Lark parser once and turns rule-file text into an AST, or into diagnostics."""

from __future__ import annotations

import re
from functools import cache

from lark import Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from lsprules.core.diagnostics import Diagnostic, InputError, did_you_mean, error
from lsprules.core.limits import rules_size_problem
from lsprules.core.source import Source
from lsprules.lang import nodes
from lsprules.lang.grammar import comment_sink, lark_parser

# Words for terminals, so that a syntax error says what was expected in the policy lead's terms.
TERMINAL_WORDS = {
    "NAME": "a name", "STRING": 'a quoted title such as "Theft of Vehicle"', "NUMBER": "a number",
    "INT": "a whole number", "PERIOD": "a period such as 2007/08", "COMPARE": "a comparison such as >=",
    "ADD_OP": "'+' or '-'", "MUL_OP": "'*' or '/'", "QUANTITY_UNIT": "'%' or 'pp'",
    "UNIT_KIND": "count, percent or ratio", "POLARITY_KIND": "higher_is_better or lower_is_better",
    "STATIC_KIND": "'within' or 'below'", "CHANGE_KIND": "'reduce' or 'increase'",
    "TRAJECTORY_KIND": "'linear' or 'flat'", "ARROW_KIND": "up, static, down, peak or na",
    "GAP_STATE": "closed, narrowed or widened",
    "$END": "the end of the file",
}
# Expressions can nest no deeper than this: deeper trees would exhaust Python's stack in later stages,
# and no real rule needs a hundred levels (a long sum is written `sum(a, b, ...)`).
MAX_DEPTH = 100
# After this many syntax errors in one file, stop looking for more.
MAX_SYNTAX_ERRORS = 20
# Lines that start a new item: after a syntax error, parsing resumes at the next one.
_ITEM_START = re.compile(r"^(?:profile|indicator|group|theme)\b", re.MULTILINE)


def parse_source(source: Source) -> nodes.RuleFile:
    """Parse a rule file into its AST; raise InputError with diagnostics for every syntax problem found."""
    from lsprules.lang.lower import lower  # the only module that walks Lark trees

    too_big = rules_size_problem(source)
    if too_big is not None:  # parsing costs seconds a megabyte: refuse before starting
        raise InputError([too_big])
    deep = _deep_parenthesis(source.text)
    if deep is not None:  # found by a scan of the text: parsing thousands of levels would take seconds
        line_start = source.text.rfind("\n", 0, deep) + 1
        statement = line_start + len(source.text[line_start:deep]) - len(source.text[line_start:deep].lstrip())
        raise InputError([_nested_too_deeply(source, statement)])
    long_line = _long_line(source)
    if long_line is not None:
        raise InputError([long_line])
    tree, comments, problems = _parse_recovering(source)
    if problems:
        raise InputError(problems)
    assert tree is not None  # _parse_recovering gives a tree whenever it found no problems
    too_deep = _depth_problem(tree, source)
    if too_deep is not None:
        raise InputError([too_deep])
    try:
        return lower(tree, source, comments)
    except RecursionError:  # MAX_DEPTH should prevent this; never let it become a traceback
        raise InputError([_nested_too_deeply(source, 0)]) from None


def _long_line(source: Source) -> Diagnostic | None:
    """E703 at the first line longer than the limit: found by one scan, before the parser sees the text."""
    from lsprules.core.limits import current

    limit = current().line_length
    found = re.search(f"[^\n]{{{limit + 1}}}", source.text)
    if found is None:
        return None
    line_start = found.start()
    end = source.text.find("\n", line_start)
    length = (end if end >= 0 else len(source.text)) - line_start
    return error("E703", f"a line of {length} characters is beyond the limit of {limit}", source, line_start + limit,
                 hint=f"break the line; if it is meant, raise the limit: lsprules --limit line_length={length} ...")


def _parse_recovering(source: Source) -> tuple[Tree[Token] | None, list[Token], list[Diagnostic]]:
    """Parse; after a syntax error, resume at the next line that starts an item, to report every error."""
    comments: list[Token] = []
    problems: list[Diagnostic] = []
    start = 0
    while True:
        resume: int | None
        try:
            tree = _parse_collecting(_blank_before(source.text, start), comments)
        except UnexpectedInput as exc:
            problems.append(syntax_diagnostic(source, exc))
            resume = _resume_point(source.text, _error_offset(source, exc), start)
        except RecursionError:
            problems.append(_nested_too_deeply(source, start))
            resume = None
        else:
            return (None if problems else tree), comments, problems
        if resume is None or len(problems) >= MAX_SYNTAX_ERRORS:
            return None, comments, problems
        start = resume
        comments.clear()


def _blank_before(text: str, start: int) -> str:
    """The text with everything before `start` blanked out, so that positions stay where they were."""
    if start == 0:
        return text
    return re.sub(r"[^\n]", " ", text[:start]) + text[start:]


def _error_offset(source: Source, exc: UnexpectedInput) -> int:
    token: Token | None = getattr(exc, "token", None)  # UnexpectedToken and UnexpectedEOF carry one
    if token is not None and token.type == "$END":
        return len(source.text)
    if token is not None and token.start_pos is not None:
        return token.start_pos
    position: int | None = getattr(exc, "pos_in_stream", None)
    return position or 0


def _resume_point(text: str, error_at: int, start: int) -> int | None:
    """The next line that starts an item, at or after the error (None when there is none)."""
    for match in _ITEM_START.finditer(text):
        if match.start() > start and match.start() >= error_at:
            return match.start()
    return None


def _depth_problem(tree: Tree[Token], source: Source) -> Diagnostic | None:
    """An E113 at the setting or clause that nests deeper than MAX_DEPTH, found without recursion."""
    stack: list[tuple[Tree[Token], int, int]] = [(tree, 1, 0)]
    while stack:
        node, depth, anchor = stack.pop()
        meta = node.meta
        if node.data in _ANCHORS and not getattr(meta, "empty", True):
            anchor = meta.start_pos
        if depth > MAX_DEPTH:
            return _nested_too_deeply(source, anchor)
        stack.extend((child, depth + 1, anchor) for child in node.children if isinstance(child, Tree))
    return None


def _deep_parenthesis(text: str) -> int | None:
    """The offset of the first '(' nested deeper than MAX_DEPTH, outside titles and comments, or None.
    Jumps from one character that matters to the next (a regular expression scans in C): linear and quick
    even for a 50 MB title."""
    depth, position, length = 0, 0, len(text)
    while position < length:
        found = _SIGNIFICANT.search(text, position)
        if found is None:
            return None
        position, ch = found.start(), found.group()
        if ch == "#":
            end = text.find("\n", position)
            position = length if end < 0 else end
        elif ch == '"':
            position = _string_end(text, position)
        elif ch == "(":
            depth += 1
            if depth > MAX_DEPTH:
                return position
        else:
            depth = max(0, depth - 1)
        position += 1
    return None


_SIGNIFICANT = re.compile(r'[#"()]')
_STRING_BODY = re.compile(r'[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*')  # unrolled: one tight loop per run of text


def _string_end(text: str, start: int) -> int:
    """The offset of the quote closing the title that opens at `start` (or of the line end, if unclosed)."""
    end = _STRING_BODY.match(text, start + 1)
    assert end is not None  # the pattern matches the empty string
    return end.end()


# Statements an E113 points at: the one holding the expression that is too deep.
_ANCHORS = {"value_def", "when_clause", "otherwise_clause", "members"}


def _nested_too_deeply(source: Source, offset: int) -> Diagnostic:
    return error("E113", f"this is nested more than {MAX_DEPTH} levels deep", source, offset,
                 hint="write long sums as sum(a, b, ...), drop needless parentheses, or split the expression "
                      "into derived indicators")


def _parse_collecting(text: str, comments: list[Token]) -> Tree[Token]:
    """Parse with a lexer callback that keeps comments (the grammar ignores them)."""
    comment_sink.clear()
    try:
        return lark_parser().parse(text)
    finally:
        comments.extend(comment_sink)
        comment_sink.clear()


def parse_text(text: str, name: str = "<text>") -> nodes.RuleFile:
    """Parse rule text given directly (tests, generated rules)."""
    return parse_source(Source(name, text.replace("\r\n", "\n")))


def describe_token(token: Token) -> str:
    """A token as words: 'the end of the file', "'}'", "the name 'robbery'", "the number 17.5"."""
    if token.type == "$END":
        return "the end of the file"
    if token.type == "NAME":
        return f"the name '{token}'"
    if token.type in ("NUMBER", "INT"):
        return f"the number {token}"
    if token.type == "STRING":
        return f"the title {token}"
    return f"'{token}'"


def expected_words(expected: set[str]) -> str:
    """A readable list of what the parser would have accepted: "'otherwise' or 'when'"."""
    words = sorted({_terminal_words(t) for t in expected})
    if len(words) > 8:
        words = words[:8] + ["…"]
    if not words:
        return "something else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _terminal_words(terminal: str) -> str:
    """A terminal in words: its description, else the keyword or symbol it stands for."""
    if terminal in TERMINAL_WORDS:
        return TERMINAL_WORDS[terminal]
    words = keyword_choices(terminal)
    if words:
        return " or ".join(f"'{w}'" for w in words)
    try:
        pattern = lark_parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return f"'{pattern.value}'" if isinstance(pattern, PatternStr) else terminal.lower()


@cache
def keyword_choices(terminal: str) -> tuple[str, ...]:
    """The words a keyword terminal matches: ('polarity',) or ('higher_is_better', 'lower_is_better')."""
    try:
        pattern = lark_parser().get_terminal(terminal).pattern
    except KeyError:
        return ()
    if isinstance(pattern, PatternStr):
        return (pattern.value,) if pattern.value.isidentifier() else ()
    match = re.fullmatch(r"\(\?:([a-z_|]+)\)", pattern.value)
    return tuple(sorted(match.group(1).split("|"))) if match else ()


def keyword_hint(token: Token, expected: set[str]) -> str | None:
    """'did you mean 'otherwise'?' when the word found is a misspelling of a keyword allowed here."""
    if not str(token).isidentifier():
        return None
    word = str(token)
    candidates = [w for t in expected for w in keyword_choices(t)]
    started = [w for w in candidates if len(word) >= 3 and w.startswith(word)]  # a word cut short
    return f"did you mean '{started[0]}'?" if len(started) == 1 else did_you_mean(word, candidates)


def syntax_diagnostic(source: Source, exc: UnexpectedInput) -> Diagnostic:
    """Turn a Lark syntax error into one diagnostic: what was found, what was expected, where, and a fix."""
    if isinstance(exc, UnexpectedToken):
        return _unexpected_token(source, exc)
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(source, exc)
    if isinstance(exc, UnexpectedEOF):
        end = len(source.text.rstrip())
        return error("E101", "the file ends too early", source, end, end + 1,
                     hint=f"expected {expected_words(set(exc.expected))}")
    pos = getattr(exc, "pos_in_stream", None) or 0
    return error("E101", "syntax error", source, pos)


def _unexpected_token(source: Source, exc: UnexpectedToken) -> Diagnostic:
    from lsprules.lang.syntax_errors import label_for

    token = exc.token
    expected = set(exc.accepts or exc.expected)
    misread = _misread_keyword(source, exc) or _word_after_condition(source, exc) or _quoted_level(source, exc) \
        or _split_word(source, exc)
    if misread is not None:
        return misread
    label = label_for(source.text, exc)
    found_expected = f"expected {expected_words(expected)}, found {describe_token(token)}"
    hint = keyword_hint(token, expected)
    if token.type == "$END":
        start = end = len(source.text.rstrip())
        hint = "add '}' where the block ends" if label else f"expected {expected_words(expected)}"
        return error("E101", label or "the file ends too early", source, start, end + 1, hint=hint)
    start = token.start_pos if token.start_pos is not None else len(source.text)
    end = token.end_pos if token.end_pos is not None else start + 1
    if label is None:
        return error("E101", found_expected, source, start, max(end, start + 1), hint=hint)
    if label.startswith("missing closing brace"):
        hint = "add '}' where the block ends"
    return error("E101", label, source, start, max(end, start + 1), hint=hint or found_expected)


def _misread_keyword(source: Source, exc: UnexpectedToken) -> Diagnostic | None:
    """Keywords are not reserved, so `green when` followed by `red otherwise` reads `red` as the condition and
    `otherwise` as the next band's name: point at that `otherwise`, where the mistake shows."""
    history = getattr(exc, "token_history", None) or []
    last = history[-1] if history else None
    if last is None or last.type != "NAME" or str(last) not in ("otherwise", "when") or last.start_pos is None:
        return None
    return error("E101", f"`{last}` was read as the name of a band: the clause before it has no condition",
                 source, last.start_pos, last.end_pos,
                 hint="give the clause before it a condition: `green when value >= 90`")


def _word_after_condition(source: Source, exc: UnexpectedToken) -> Diagnostic | None:
    """`grey when target missing`: the parser ends the condition at `target` and takes `missing` for the next
    clause's band, so the error shows on the next line. A band name never follows code on its own line:
    point at that word instead."""
    history = getattr(exc, "token_history", None) or []
    last = history[-1] if history else None
    expected = set(exc.accepts or exc.expected)
    if last is None or last.type != "NAME" or not {"WHEN", "OTHERWISE"} <= expected or last.start_pos is None \
            or last.line is None or exc.token.type in ("RBRACE", "$END"):
        return None  # before `}` the word may well be a band whose `when` or `otherwise` is missing
    line = source.line_text(last.line)
    if not line[:(last.column or 1) - 1].strip():
        return None  # the word starts its line: it really is the next clause's band
    start = last.start_pos
    while start > 0 and (source.text[start - 1].isalnum() or source.text[start - 1] == "_"):
        start -= 1  # `no targets`: the keyword `target` was read from the front of the word
    word = source.text[start:last.end_pos]
    if start < last.start_pos:
        return _unknown_word(source, word, start, last.start_pos)
    return error("E101", f"`{word}` does not belong in this condition", source, start, last.end_pos,
                 hint="a condition ends before it; to test for something missing, write `no target`, `no data` "
                      "or `no previous value`; to join two conditions, use `and` or `or`")


def _split_word(source: Source, exc: UnexpectedToken) -> Diagnostic | None:
    """`no targets`: where no name can follow, the lexer reads the keyword `target` from the front of the word
    and leaves `s`. Report the whole word, and the keyword it begins with."""
    history = getattr(exc, "token_history", None) or []
    last, token = (history[-1] if history else None), exc.token
    if last is None or last.end_pos is None or last.end_pos != token.start_pos or last.start_pos is None:
        return None
    word = str(last) + str(token)
    if not (word.replace("_", "a").isalnum() and str(last).isidentifier()):
        return None
    return _unknown_word(source, word, last.start_pos, token.start_pos)


def _unknown_word(source: Source, word: str, start: int, split: int) -> Diagnostic:
    """A word the lexer split after a keyword at its front (`targets`, `mets`): name it whole."""
    keyword = source.text[start:split]
    return error("E101", f"`{word}` is not a word the rule language knows here", source, start, start + len(word),
                 hint=f"did you mean `{keyword}`?")


def _quoted_level(source: Source, exc: UnexpectedToken) -> Diagnostic | None:
    """`scale red < "amber" < green`: levels of a scale are names, not titles."""
    history = getattr(exc, "token_history", None) or []
    last = history[-1] if history else None
    token = exc.token
    if token.type != "STRING" or last is None or str(last) not in ("scale", "<") or token.start_pos is None:
        return None
    return error("E101", "the levels of a scale are names, written without quotes", source, token.start_pos,
                 token.end_pos, hint=f"write {str(token)[1:-1].strip() or 'the name'} without the quotes, e.g. "
                                     "`scale red < amber < green`")


def _unexpected_character(source: Source, exc: UnexpectedCharacters) -> Diagnostic:
    pos = exc.pos_in_stream or 0
    char = source.text[pos] if pos < len(source.text) else ""
    message, hint = _character_words(char, source.text, pos)
    return error("E101", message, source, pos, pos + 1,
                 hint=hint or f"expected {expected_words(set(exc.allowed or ()))}")


def _character_words(char: str, text: str, pos: int) -> tuple[str, str | None]:
    """Why a character cannot start a token here, and what to do about it."""
    if char == '"':
        return "this title has no closing quote", 'end it with " on the same line'
    if char.isalpha() and not char.isascii():
        return (f"'{char}' cannot be used in an id",
                "ids use the letters a-z, digits and _ (e.g. ynys_mon); put the name as written in the quoted title")
    if not char.isprintable() and char not in "\t\n":
        return (f"unexpected control character U+{ord(char):04X}",
                "this does not look like a rule file (is it a binary file?)")
    return f"unexpected character '{char}'", None
