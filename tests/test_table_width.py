"""The terminal table fits the terminal: at 80, 120 and 200 columns (goldens), no line wider than the
terminal, no line ending in spaces, no word of a title or note cut in two, and whole period labels."""

import re

import pytest
from rich.cells import cell_len

from test_cli_evaluate import ROOT, check_golden, run

EXAMPLES = {"crime": ("rules/crime.rules", "datasets/redcar-cleveland-2007.yaml"),
            "districts": ("rules/districts.rules", "datasets/districts-2006-07.csv")}


def table(example: str, columns: int, *extra: str) -> str:
    result = run("evaluate", *EXAMPLES[example], *extra, columns=columns)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("example", sorted(EXAMPLES))
@pytest.mark.parametrize("columns", [80, 120, 200])
def test_table_fits_the_width_and_matches_golden(example, columns):
    text = table(example, columns)
    check_golden(f"{example}-{columns}-columns.txt", text)
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= columns
    assert [line for line in lines if line != line.rstrip()] == []


@pytest.mark.parametrize("columns", [80, 120])
def test_no_title_word_is_cut(columns):
    from lsprules.lang.resolve import load_rules

    text = table("crime", columns)
    words = set(re.findall(r"\S+", text))
    for spec in load_rules(ROOT / EXAMPLES["crime"][0]).indicators.values():
        for word in spec.title.split():
            assert word in words, f"{word!r} of {spec.title!r} is cut at {columns} columns"


def test_quarterly_periods_are_whole_and_earlier_ones_give_way_at_80():
    text = table("districts", 80)
    header = next(line for line in text.splitlines() if line.startswith("Indicator"))
    shown = re.findall(r"\d{4}/\d{2}-Q\d", header)
    assert 2 <= len(shown) < 8 and shown[-1] == "2006/07-Q4"  # whole labels, the latest ones
    assert f"the latest {len(shown)} of 8 periods;" in " ".join(text.split())
    assert "Tgt — target" in text and "Traj — trajectory" in text  # abbreviations come with a key


def test_wide_shows_every_period():
    text = table("districts", 80, "--wide")
    header = next(line for line in text.splitlines() if line.startswith("Indicator"))
    assert len(re.findall(r"\d{4}/\d{2}-Q\d", header)) == 8 and "--wide shows" not in text
    assert cell_len(header) > 80


def test_the_committee_report_is_in_the_table():
    text = table("crime", 120)
    assert "2005/06  AMBER RED  → 2006/07  AMBER GREEN" in text
    assert "88 of 160 (assessed of contacts)" in text and "5 pp short of target" in text
    assert "Comments:" in text and "National data for 2006/07 was not yet available" in text
    assert "Sources: Cleveland Police;" in text
    assert "GREEN — improving at a rate sufficient to meet or exceed target" in text
    assert "Narrowing the gap – deprived neighbourhoods and Borough — Vehicle Interference: 2006/07" in text
    assert "     55%" in text and "60%" in text  # percentages carry their sign
