"""Property tests: generated rule files survive format → parse unchanged, and formatting is idempotent."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from fmt_strategies import rule_files
from lsprules.lang.parser import parse_text
from lsprules.lang.printer import format_rule_file

# LSPRULES_EXAMPLES=5000 runs a longer search.
SETTINGS = settings(max_examples=int(os.environ.get("LSPRULES_EXAMPLES", 300)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rule_files)
def test_format_then_parse_gives_the_same_ast(rule_file):
    text = format_rule_file(rule_file)
    assert parse_text(text) == rule_file


@SETTINGS
@given(rule_files)
def test_formatting_twice_changes_nothing(rule_file):
    once = format_rule_file(rule_file)
    assert format_rule_file(parse_text(once)) == once
