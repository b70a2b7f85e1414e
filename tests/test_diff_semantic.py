"""Semantic diff: changes in meaning in domain words, computed on the AST; layout and comments are no change."""

import re

import pytest

from audit_helpers import RULES
from engine_helpers import rules_from
from lsprules.audit.semantic_diff import diff_rule_sets
from lsprules.lang.parser import parse_text
from lsprules.lang.printer import format_rule_file

TEXT = RULES.read_text(encoding="utf-8")
CRIME_COUNTS = ["theft_of_vehicle", "theft_from_vehicle", "vehicle_interference", "domestic_burglary",
                "cycle_theft", "theft_from_person", "robbery", "common_assault", "wounding", "criminal_damage",
                "bcs_comparator_crimes"]


def changes(old: str, new: str) -> list[str]:
    return [c.words() for c in diff_rule_sets(rules_from(old, "old.rules"), rules_from(new, "new.rules")).changes]


def replaced(old: str, new: str, text: str = TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_one_number_in_a_profile_names_the_change_and_every_indicator_it_reaches():
    found = changes(TEXT, replaced("static within 1.5 %\n", "static within 2.5 %\n"))
    assert found == ["profile crime_count: static tolerance within 1.5 % → 2.5 % (affects 11 indicators: "
                     + ", ".join(CRIME_COUNTS) + ")"]


def test_target_change_in_words():
    found = changes(TEXT, replaced("reduce by 17.5 % by 2007/08", "reduce by 15 % by 2007/08"))
    assert found[0].startswith("profile crime_count: target reduce by 17.5 % → 15 % by 2007/08 (affects 11")


def test_reformatting_and_comments_are_no_change_in_meaning():
    scrambled = re.sub(r"\n +", "\n", TEXT).replace(" {\n", "\n{\n")  # no indentation, braces on own lines
    formatted = format_rule_file(parse_text(scrambled))
    assert scrambled != TEXT and changes(TEXT, scrambled) == [] and changes(TEXT, formatted) == []
    no_comments = re.sub(r"#[^\n]*", "", TEXT)
    squashed = re.sub(r"\n\s*\n", "\n", no_comments).replace("  ", "\t")
    assert changes(TEXT, squashed) == []
    # Numbers written differently but equal are the same rule.
    assert changes(TEXT, replaced("static within 1.5 %\n", "static within 1.50 %\n")) == []


def test_an_indicator_override_is_reported_under_the_indicator_only():
    new = replaced('indicator robbery "Robbery" uses crime_count',
                   'indicator robbery "Robbery" uses crime_count {\n    arrow { static within 3 % }\n  }')
    assert changes(TEXT, new) == ["indicator robbery: static tolerance within 1.5 % → 3 %"]
    # A profile change that the overriding indicator does not feel leaves it out of "affects".
    both = replaced("static within 1.5 %\n", "static within 2 %\n", new)
    (profile,) = list(changes(new, both))
    assert "robbery" not in profile and "(affects 10 indicators" in profile


def test_rag_clauses_changed_added_removed_moved():
    base = TEXT
    changed = replaced('amber "improving, but not at a rate sufficient to meet target" when arrow is up\n',
                       'amber "improving, but not at a rate sufficient to meet target" when arrow is not down\n')
    assert changes(base, changed)[0].startswith(
        "profile crime_count: RAG clause 2 changed: `amber when arrow is up` → `amber when arrow is not down`")
    last = '    red "static or retrograde and will not meet target" otherwise\n  }\n}'
    added = replaced(last, "    red when arrow is down\n" + last)
    assert "RAG clause added at position 3: `red when arrow is down`" in changes(base, added)[0]
    removed = replaced('    amber "the gap has narrowed" when gap narrowed  # narrowed, but not closed\n', "")
    assert "profile gap_rate: RAG clause removed (was 2): `amber when gap narrowed`" in changes(base, removed)[0]
    moved = replaced("    GREEN when share(arrow is up) >= 75 %\n    RED when share(arrow is down) >= 75 %",
                     "    RED when share(arrow is down) >= 75 %\n    GREEN when share(arrow is up) >= 75 %")
    assert changes(base, moved) == ["theme crime: rating clause moved from position 2 to 1 (first match wins, "
                                    "so order matters): `RED when share(arrow is down) >= 75 %`"]


def test_a_band_description_is_not_a_change_in_meaning():
    reworded = replaced('green "the gap has closed" when', 'green "closed, or better than the comparator" when')
    assert changes(TEXT, reworded) == []


def test_indicators_groups_and_theme_members():
    new = replaced('  indicator dip_kpi_3 ', '  indicator dip_kpi_4 "New" uses dip_kpi {\n    fields a, b\n'
                   '    value = a / b as percent\n    target 50 %\n  }\n  indicator dip_kpi_3 ')
    new = replaced('indicators psa1, national_gap, deprived_gap, drugs', 'indicators psa1, national_gap, drugs', new)
    new = replaced('group drugs "Progress against Drugs Targets"', 'group drugs "Drugs"', new)
    new = replaced('scale RED < AMBER_RED < AMBER_GREEN < GREEN', 'scale RED < AMBER_RED < AMBER_GREEN < GREEN < BLUE',
                   new)
    found = changes(TEXT, new)
    assert "indicator dip_kpi_4: added: “New” in group drugs, uses dip_kpi" in found
    assert "group drugs: title “Progress against Drugs Targets” → “Drugs”" in found
    assert "theme crime: member group deprived_gap removed" in found
    assert "theme crime: indicators joining through their group: dip_kpi_4" in found
    assert any(f.startswith("theme crime: indicators leaving with their group: deprived_gap_theft_of_vehicle")
               for f in found)
    assert "theme crime: rating scale RED < AMBER_RED < AMBER_GREEN < GREEN → RED < AMBER_RED < AMBER_GREEN < " \
           "GREEN < BLUE" in found


def test_removed_indicator_and_polarity_change():
    old = "indicator x {\n  polarity lower_is_better\n}\nindicator y {\n  polarity lower_is_better\n}\n"
    new = "indicator x {\n  polarity higher_is_better\n}\n"
    assert changes(old, new) == ["indicator x: polarity lower is better → higher is better",
                                 "indicator y: removed"]


@pytest.mark.parametrize("old, new, words", [
    ("target 60 %", "target 65 %", "indicator x: target 60 % → 65 %"),
    ("target 60 %", "target {\n    reach 65 by 2008/09\n  }", "indicator x: target 60 % (removed)"),
])
def test_target_forms(old, new, words):
    body = "indicator x {\n  polarity higher_is_better\n  %s\n}\n"
    assert words in changes(body % old, body % new)


def test_clauses_replaced_by_more_clauses_than_were_there():
    # A replaced run of one clause by two (found by the fuzzer: it crashed pairing the runs strictly).
    old = ('indicator x "X" {\n  polarity lower_is_better\n  rag {\n    green when arrow is up\n    red otherwise\n'
           '  }\n}\n')
    new = old.replace("    green when arrow is up\n",
                      "    green when arrow is static\n    amber when arrow is peak\n")
    found = changes(old, new)
    assert "indicator x: RAG clause 1 changed: `green when arrow is up` → `green when arrow is static`" in found[0]
    assert any("RAG clause added at position 2: `amber when arrow is peak`" in c for c in found), found
