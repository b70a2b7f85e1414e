"""Comparators in the audit commands: gaps explained from both areas, comparator changes diffed and replayed."""

import textwrap

import pytest

from audit_helpers import run

RULES = textwrap.dedent("""\
    comparator national "England & Wales" area "England & Wales"

    indicator robbery_rate "Robbery per 1,000" {
      polarity lower_is_better
      unit rate per 1000
    }

    indicator robbery_gap "Robbery: gap to national" {
      polarity lower_is_better
      unit rate per 1000
      value = gap(robbery_rate, national)
      rag {
        green when gap closed
        amber when gap narrowed
        red otherwise
      }
    }
    """)
DATA = textwrap.dedent("""\
    areas:
      Borough:
        indicators:
          robbery_rate: {values: {2005/06: 1.5, 2006/07: 1.2}}
      "England & Wales":
        indicators:
          robbery_rate: {values: {2005/06: 1.0, 2006/07: 1.0}}
      Wales:
        indicators:
          robbery_rate: {values: {2005/06: 0.5, 2006/07: 1.1}}
    """)


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "gap.rules").write_text(RULES, encoding="utf-8")
    (tmp_path / "data.yaml").write_text(DATA, encoding="utf-8")
    return tmp_path


def test_gap_shows_both_areas_values(folder):
    result = run("explain", "gap.rules", "data.yaml", "-i", "robbery_gap", "--area", "Borough", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "in 2006/07: robbery_rate = 1.2, robbery_rate at national = 1 → 0.2" in result.stdout
    assert "`gap narrowed`: the gap is 0.2, 0.2 from closed; in 2005/06 it was 0.5, 0.5 from closed → yes" \
        in result.stdout
    assert "RAG amber → green at 0 (0.2 lower, −100.0 %)" in result.stdout


def test_comparator_area_is_not_a_default_choice(folder):
    result = run("explain", "gap.rules", "data.yaml", "-i", "robbery_gap", cwd=folder)
    assert result.returncode == 2 and "choose one with --area" in result.stderr  # Borough and Wales remain


def test_comparator_change_is_diffed_and_replayed(folder):
    (folder / "new.rules").write_text(RULES.replace('area "England & Wales"', 'area "Wales"'), encoding="utf-8")
    result = run("diff", "gap.rules", "new.rules", "--data", "data.yaml", cwd=folder)
    assert 'comparator national: reads area “England & Wales” → area “Wales” (affects 1 indicator: robbery_gap)' \
        in result.stdout
    # Borough's gap: 0.2 → 0.1 (closer), and against Wales it narrowed from 1.0 → 0.1 but stays open: amber.
    assert "indicator robbery_gap “Robbery: gap to national”: value 0.2 → 0.1" in result.stdout


def test_boundaries_with_a_comparator(folder):
    result = run("test", "--boundaries", "gap.rules", "--data", "data.yaml", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "robbery_gap “Robbery: gap to national” — Borough, 2006/07: 0.2" in result.stdout
