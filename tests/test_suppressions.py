"""Suppression comments and code selection (analysis/suppressions.py), below the CLI."""

from __future__ import annotations

import subprocess
import sys

from lsprules.analysis.suppressions import _comment_start, selected, suppressed
from lsprules.core.diagnostics import Severity, error
from lsprules.core.source import Source


def test_a_comment_starts_at_the_first_hash_outside_a_title():
    assert _comment_start('indicator k "A # title" uses p  # note') == 32
    assert _comment_start('indicator k "A \\" # still a title"') is None
    assert _comment_start("# a whole line") == 0
    assert _comment_start("unit count") is None


def test_a_line_of_many_titles_is_read_in_linear_time():
    """A backtracking pattern took minutes on such lines; a fresh interpreter shows it finishes at once."""
    line = " ".join(f'"t{i}" "u{i}"' for i in range(40))
    code = ("from lsprules.analysis.suppressions import suppressed\nfrom lsprules.core.source import Source\n"
            f"print(suppressed(Source('x.rules', {line!r} + '\\n'), []))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert result.stdout.strip() == "[]"


def test_a_suppression_alone_on_its_line_is_about_the_next_line_of_rules():
    source = Source("x.rules", "a\n# lsprules: ignore[E201] known gap\n\n# more words\nb\n")
    on_b = error("E201", "gap", source, source.text.index("b"))
    on_a = error("E201", "gap", source, 0)
    assert suppressed(source, [on_a, on_b]) == [on_a]


def test_only_the_codes_named_are_silenced_and_unused_ones_are_reported():
    source = Source("x.rules", "b  # lsprules: ignore[E203, E201] bands fixed by the board\n")
    kept = error("E202", "never fires", source, 0)
    silenced = error("E201", "gap", source, 0)
    assert suppressed(source, [kept, silenced]) == [kept]
    [unused] = suppressed(source, [kept])[1:]
    assert unused.code == "E232" and unused.severity is Severity.WARNING


def test_codes_are_selected_and_ignored_by_prefix():
    assert selected("E201") and selected("E201", ["E2"]) and not selected("E101", ["E2"])
    assert not selected("E213", ["E2"], ["E213"]) and selected("E212", ["E2"], ["E213"])
