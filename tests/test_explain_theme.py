"""`lsprules explain --theme`: members counted, every rating clause with its numbers, and how far each rating is."""

import itertools
import json

import pytest

from audit_helpers import DATA, RULES, check_golden, run, workspace
from engine_helpers import dataset_from, rules_from
from lsprules.audit.explanation import explain_theme
from lsprules.audit.theme_whatif import ThemeWhatIf
from lsprules.core.periods import parse_period
from lsprules.data.readers.yaml_reader import load_dataset
from lsprules.engine.interpreter import AreaEvaluator, assess_theme, evaluate
from lsprules.lang.resolve import load_rules


def test_crime_theme_2006_07(tmp_path):
    result = run("explain", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "--theme", "crime",
                 cwd=workspace(tmp_path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "arrow ▲ improved (15):" in text and "arrow ▼ worse (11):" in text and "arrow n/a (no arrow) (4):" in text
    assert "`share(arrow is up)` = ≈51.7241 % (15 of the 29 members for whom it is known)" in text
    assert "`count(arrow is up) > count(arrow is down)`: 15 > 11" in text
    assert "rating: AMBER_GREEN (the report printed AMBER_GREEN)" in text
    # 22 of 29 judged members improving is the least share at or above 75 %: 7 more.
    assert "GREEN (better): 7 members would need to change" in text
    # 15 up against 11 down: two members turning from up to down make it 13 against 13.
    assert "AMBER_RED (worse): 2 members would need to change, e.g. 2 × ▲ improved → ▼ worse" in text
    check_golden("explain/theme-crime-2006-07.txt", text)


def test_theme_json():
    result = run("explain", str(RULES), str(DATA), "--theme", "crime", "--period", "2005/06", "-f", "json")
    document = json.loads(result.stdout)
    assert document["rating"] == "AMBER_RED" and document["counts"]["arrow up"] == 9
    assert {r["rating"]: r["members"] for r in document["reach"]} == {"RED": 3, "AMBER_GREEN": 6, "GREEN": 14}


THEME_RULES = """
profile count {
  polarity lower_is_better
  arrow {
    static within 1 %
  }
  rag {
    green when arrow is up
    red otherwise
  }
}
indicator a uses count
indicator b uses count
indicator c uses count
indicator d uses count
theme t "T" {
  scale LOW < MID < HIGH < TOP
  indicators a, b, c, d
  rating {
    TOP when share(arrow is up) >= 75 % and count(arrow is static) == 0
    LOW when count(arrow is down) >= 2
    HIGH when count(arrow is up) > count(arrow is down)
    MID otherwise
  }
}
"""
MOVES = {"up": 90, "static": 100, "down": 110}  # latest values after 100: improved, unchanged, worse


def theme_rating(rules, arrows):
    body = "".join(f"  {name}: {{values: {{2005/06: 100, 2006/07: {MOVES[arrow]}}}}}\n"
                   for name, arrow in zip("abcd", arrows, strict=False))
    result = evaluate(rules, dataset_from("area: X\nindicators:\n" + body))
    return result.themes[0].rating


@pytest.mark.parametrize("start", [("up", "up", "static", "down"), ("down", "down", "static", "static"),
                                   ("up", "up", "up", "up")])
def test_fewest_member_changes_match_brute_force(start):
    rules = rules_from(THEME_RULES)
    # Brute force, independent of the search: every combination of arrows, its rating, its distance.
    fewest: dict[str, int] = {}
    for combo in itertools.product(MOVES, repeat=4):
        rating = theme_rating(rules, combo)
        distance = sum(1 for x, y in zip(start, combo, strict=True) if x != y)
        fewest[rating] = min(distance, fewest.get(rating, 99))
    current = theme_rating(rules, start)
    body = "".join(f"  {n}: {{values: {{2005/06: 100, 2006/07: {MOVES[a]}}}}}\n"
                   for n, a in zip("abcd", start, strict=False))
    dataset = dataset_from("area: X\nindicators:\n" + body)
    area = dataset.areas[0]
    results = AreaEvaluator(rules, area).assess_all(None)
    members = [results[m] for m in "abcd"]
    reach = ThemeWhatIf(rules, rules.themes[0], area, members, dataset.periods()[-1]).reach()
    assert {r.rating: r.members for r in reach} == {k: v for k, v in fewest.items() if k != current}
    # And each suggested set of changes does reach its rating.
    for r in reach:
        arrows = list(start)
        for change in r.changes:
            for _ in range(change.count):
                arrows[arrows.index(change.before[0])] = change.after[0]
        assert theme_rating(rules, arrows) == r.rating


def test_theme_members_and_clauses_in_words():
    rules, dataset = load_rules(RULES), load_dataset(DATA)
    explanation = explain_theme(rules, dataset, "crime", parse_period("2005/06"))
    rating = "\n".join(explanation.sections[1].lines)
    assert "`AMBER_RED otherwise`" in rating and "holds → decides AMBER_RED" in rating
    assert "`count(arrow is up) > count(arrow is down)`: 9 > 20" in rating
    results = AreaEvaluator(rules, dataset.areas[0]).assess_all(parse_period("2005/06"))
    assert assess_theme(rules.themes[0], dataset.areas[0], results, parse_period("2005/06")).rating == "AMBER_RED"


def test_changes_of_band_are_counted_when_the_rating_looks_at_bands():
    from dataclasses import replace

    rules = rules_from(THEME_RULES.replace("count(arrow is static) == 0", "count(rag is red) == 0"))
    dataset = dataset_from("area: X\nindicators:\n" + "".join(
        f"  {n}: {{values: {{2005/06: 100, 2006/07: 90}}}}\n" for n in "abcd"))
    area = dataset.areas[0]
    results = AreaEvaluator(rules, area).assess_all(None)
    members = [results[m] for m in "abcd"]
    reach = ThemeWhatIf(rules, rules.themes[0], area, members, dataset.periods()[-1]).reach()
    # All four improving and green: TOP. One red band breaks TOP (HIGH); two declining give LOW; MID needs
    # at most one declining and no more improving than declining, so three of the four must change.
    assert {r.rating: r.members for r in reach} == {"LOW": 2, "MID": 3, "HIGH": 1}
    for r in reach:  # applying the suggested arrows and bands to the members gives the rating claimed
        changed = dict(results)
        for change in r.changes:
            for _ in range(change.count):
                name = next(m for m in "abcd" if (changed[m].arrow, changed[m].rag) == change.before)
                changed[name] = replace(changed[name], arrow=change.after[0], rag=change.after[1])
        assert assess_theme(rules.themes[0], area, changed, dataset.periods()[-1]).rating == r.rating
