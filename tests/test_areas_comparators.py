"""Many areas and comparators: every indicator for every area, gaps and ratios derived from the data, so
that 'gap closed / narrowed / widened' is computed rather than typed in."""

import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

from engine_helpers import dataset_from, rules_from
from lsprules.core.diagnostics import InputError
from lsprules.engine.interpreter import evaluate
from lsprules.lang import nodes as n
from lsprules.lang.parser import parse_text
from lsprules.lang.printer import format_rule_file

ROOT = Path(__file__).resolve().parents[1]

COMPARATORS = '''
comparator national "England & Wales" area "England & Wales"
comparator similar "Most similar group" mean of areas "North", "South"
'''

GAP_RULES = COMPARATORS + '''
indicator rate "Robbery per 1,000" {
  polarity lower_is_better
}
indicator gap_national "Robbery: gap to national" {
  polarity lower_is_better
  value = gap(rate, national)
  rag {
    green when gap closed
    amber when gap narrowed
    red otherwise
  }
}
indicator ratio_similar "Robbery: ratio to the most similar group" {
  polarity lower_is_better
  value = ratio(rate, similar)
}
indicator national_rate "National robbery rate" {
  polarity lower_is_better
  value = rate at national
}
'''


def areas_yaml(values: dict[str, tuple]) -> str:
    """A multi-area dataset: area -> (rate 2005, rate 2006)."""
    lines = ["areas:"]
    for area, (before, after) in values.items():
        lines.append(f'  "{area}": {{indicators: {{rate: {{values: {{"2005": {before}, "2006": {after}}}}}}}}}')
    return "\n".join(lines) + "\n"


def results(values: dict[str, tuple], rules: str = GAP_RULES, areas=None) -> dict:
    evaluation = evaluate(rules_from(rules), dataset_from(areas_yaml(values)), areas=areas)
    return {(a.area, a.indicator): a for a in evaluation.assessments}


# --- the language ------------------------------------------------------------------------------------


def test_comparators_parse_to_the_ast():
    items = parse_text(COMPARATORS).items
    assert items == (n.Comparator("national", "England & Wales", ("England & Wales",)),
                     n.Comparator("similar", "Most similar group", ("North", "South"), mean=True))
    (setting,) = parse_text("indicator x { value = rate at national - gap(rate, similar) }").items[0].settings
    assert setting.expr == n.Arith("-", n.AtComparator("rate", "national"),
                                   n.Call("gap", (n.Name("rate"), n.Name("similar"))))


def test_new_syntax_formats_canonically_and_round_trips():
    text = GAP_RULES + "indicator ytd {\n  polarity lower_is_better\n  value = rolling_sum(rate, 12) / 12\n}\n"
    formatted = format_rule_file(parse_text(text))
    assert 'comparator similar "Most similar group" mean of areas "North", "South"\n' in formatted
    assert "  value = gap(rate, national)\n" in formatted and "  value = rate at national\n" in formatted
    assert parse_text(formatted) == parse_text(text) and format_rule_file(parse_text(formatted)) == formatted


@pytest.mark.parametrize("body, code, words", [
    ("value = gap(rate, nationl)", "E131", "unknown comparator 'nationl'"),
    ("value = rate at regional", "E131", "unknown comparator 'regional'"),
    ("value = rtae at national", "E102", "unknown indicator 'rtae'"),
    ("value = gap(rate)", "E112", "gap(...) takes 2 arguments, not 1"),
    ("value = ratio(2, national)", "E112", "the first argument of ratio(...) names an indicator"),
    ("value = gap(rate, 2)", "E112", "the second argument of gap(...) names a comparator"),
    ("value = rolling_sum(rate, 2.5)", "E110", "needs a whole number of periods"),
    ("value = rolling_mean(rate, 0)", "E110", "needs a whole number of periods"),
    ("rag {\n green when rate at national > 1\n red otherwise\n }", "E112", "`at` reads a comparator's value"),
    ("rag {\n green when year_to_date(rate) > 1\n red otherwise\n }", "E112", "works on a whole series"),
])
def test_bad_comparator_use_is_reported(body, code, words):
    text = (COMPARATORS + "indicator rate { polarity lower_is_better }\n"
            f"indicator x {{\n polarity lower_is_better\n {body}\n}}\n")
    with pytest.raises(InputError) as caught:
        rules_from(text)
    (d,) = caught.value.diagnostics
    assert d.code == code and words in d.message and d.hint


def test_self_reference_through_a_comparator_is_a_cycle():
    with pytest.raises(InputError) as caught:
        rules_from(COMPARATORS + "indicator x {\n polarity lower_is_better\n value = x at national\n}\n")
    assert caught.value.diagnostics[0].code == "E105"


# --- evaluation --------------------------------------------------------------------------------------


def test_gaps_are_derived_and_judged_for_every_area():
    found = results({"North": (5, 4), "South": (3, 3.6), "West": (4, 2.5), "England & Wales": (3, 3)})
    assert found["North", "gap_national"].value == 1 and found["North", "gap_national"].rag == "amber"  # 2 -> 1
    assert found["South", "gap_national"].rag == "red"  # 0 -> 0.6: widened
    assert found["West", "gap_national"].value == F(-1, 2) and found["West", "gap_national"].rag == "green"
    assert found["North", "ratio_similar"].value == F(4) / ((F(4) + F(36, 10)) / 2)  # mean of North and South
    assert found["West", "national_rate"].value == 3
    assert ("England & Wales", "rate") not in found  # the comparator is not itself assessed


def test_gap_reasons_say_what_was_compared():
    a = results({"North": (5, 4), "England & Wales": (3, 3)})["North", "gap_national"]
    assert a.previous.value == 2 and "RAG amber: `amber when gap narrowed` holds" in a.reasons[-1]


def test_a_comparator_area_can_be_asked_for():
    found = results({"North": (5, 4), "England & Wales": (3, 3)}, areas=["England & Wales"])
    assert found["England & Wales", "gap_national"].value == 0 and len({k[0] for k in found}) == 1


def test_missing_comparator_value_is_a_reason_not_a_crash():
    text = areas_yaml({"North": (5, 4)}) + '  "England & Wales": {indicators: {rate: {values: {"2005": 3}}}}\n'
    evaluation = evaluate(rules_from(GAP_RULES), dataset_from(text))
    gap = next(a for a in evaluation.assessments if a.indicator == "gap_national")
    assert gap.value == 2 and gap.arrow == "na"
    assert [p.label for p, v in gap.series if not isinstance(v, F)] == ["2006"]
    assert "England & Wales" in dict(gap.series)[sorted(dict(gap.series))[-1]].reason


def test_cli_reports_a_comparator_area_missing_from_the_data(tmp_path):
    rules = tmp_path / "r.rules"
    rules.write_text(GAP_RULES, encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("area,indicator,period,value\nNorth,rate,2006,4\nSouth,rate,2006,3\nEngland,rate,2006,3\n",
                    encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", str(rules), str(data), "-f", "html",
                             "-o", str(tmp_path / "out.html")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2 and not (tmp_path / "out.html").exists()
    assert ("r.rules:2:1: error[E315]: comparator 'national' reads area 'England & Wales', which is not in the data"
            in result.stderr)
    assert '2 | comparator national "England & Wales" area "England & Wales"' in result.stderr
    assert "= help: did you mean 'England'?" in result.stderr


def test_local_and_national_files_merge(tmp_path):
    local = tmp_path / "local.csv"
    local.write_text("area,indicator,period,value\nNorth,rate,2005,5\nNorth,rate,2006,4\n", encoding="utf-8")
    national = tmp_path / "national.json"
    national.write_text('{"area": "England & Wales", "indicators": {"rate": {"values": {"2005": 3, "2006": 3}}}}',
                        encoding="utf-8")
    rules = tmp_path / "r.rules"
    rules.write_text(GAP_RULES.replace('mean of areas "North", "South"', 'mean of areas "North"'), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", str(rules), str(local), str(national),
                             "-f", "csv"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    gap = next(line for line in result.stdout.splitlines() if ",gap_national," in line)
    assert gap.startswith("North,gap_national,Robbery: gap to national,,2006,1,2005,2,-1,-50,up,")
    assert "dataset" in subprocess.run([sys.executable, "-m", "lsprules", "evaluate", str(rules), str(local),
                                        str(national), "-f", "json"], capture_output=True, text=True, cwd=ROOT,
                                       timeout=120).stdout.split('"provenance"')[1]


def test_bundled_multi_area_example():
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", "rules/districts.rules",
                             "datasets/districts-2006-07.csv", "-f", "json"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    import json

    document = json.loads(result.stdout)
    assert [t["area"] for t in document["themes"]] == ["Northby", "Southby", "Eastmoor", "Westvale"]
    assert len(document["assessments"]) == 4 * 9
    westvale = {a["indicator"]: a for a in document["assessments"] if a["area"] == "Westvale"}
    assert westvale["burglary_gap"]["rag"] == "red"
    assert westvale["burglaries_ytd"]["arrow"] == "na"  # a suppressed quarter last year: no like-for-like
    assert any("suppressed" in r for r in westvale["burglaries_ytd"]["reasons"])
