"""Formatter goldens, checked three ways: the output equals the golden file, it parses to the same rules as
the input, and formatting it again changes nothing. LSPRULES_UPDATE_GOLDENS=1 rewrites the goldens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsprules.core.files import decode_source
from lsprules.jobs.fmt import format_source
from lsprules.lang.parser import parse_source
from lsprules.lang.printer import format_rule_file

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden" / "fmt"
UPDATE = os.environ.get("LSPRULES_UPDATE_GOLDENS") == "1"


def _parse_file(path: Path):
    return parse_source(decode_source(path.name, path.read_bytes()))


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.rules")))
def test_formatting_matches_the_golden_file(name):
    source = GOLDEN / f"{name}.rules"
    expected = GOLDEN / f"{name}.expected"
    text = format_rule_file(_parse_file(source))
    if UPDATE:
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")
    assert _parse_file(expected) == _parse_file(source)
    assert format_rule_file(_parse_file(expected)) == text


@pytest.mark.parametrize("path", sorted((ROOT / "rules").glob("*.rules")), ids=lambda p: p.name)
def test_every_file_in_rules_is_formatted(path):
    assert format_source(decode_source(path.name, path.read_bytes())).encode("utf-8") == path.read_bytes()
