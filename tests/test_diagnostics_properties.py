"""Property tests: any text either parses or yields diagnostics, and `check` never raises."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmt_strategies import KEYWORDS, rule_files
from lsprules.analysis.rule_checks import check_source
from lsprules.core.diagnostics import InputError, render
from lsprules.core.source import Source
from lsprules.lang.parser import parse_text
from lsprules.lang.printer import format_rule_file

# LSPRULES_EXAMPLES=5000 runs a longer search.
SETTINGS = settings(max_examples=int(os.environ.get("LSPRULES_EXAMPLES", 300)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Token soup: words, numbers and punctuation of the language, so that parsing gets past the first token.
_PIECES = sorted(KEYWORDS) + ["{", "}", "(", ")", ",", "=", ">=", "<", "+", "-", "*", "/", "%", "pp", "\n", "  ",
                             "2006/07", "12.5", "x", "green", '"T"', "# note\n", "\t", "\r\n", "é", "\x00"]
soup = st.lists(st.sampled_from(_PIECES), max_size=40).map(" ".join)
texts = st.one_of(st.text(max_size=200), soup, rule_files.map(format_rule_file))


@SETTINGS
@given(texts)
def test_any_text_parses_or_gives_diagnostics(text):
    try:
        parse_text(text)
    except InputError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.code.startswith("E") and render(d)


@SETTINGS
@given(texts)
def test_check_never_raises_and_sorts_its_findings(text):
    result = check_source(Source("t.rules", text.replace("\r\n", "\n").replace("\r", "\n")))
    keys = [d.sort_key for d in result.diagnostics]
    assert keys == sorted(keys)
    for d in result.diagnostics:
        render(d)


@SETTINGS
@given(soup)
def test_text_that_parses_formats_to_the_same_rules(text):
    try:
        rules = parse_text(text)
    except InputError:
        return
    formatted = format_rule_file(rules)
    assert parse_text(formatted) == rules
    assert format_rule_file(parse_text(formatted)) == formatted
