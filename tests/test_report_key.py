"""A report's key comes from the rules: a band's description when the rule file gives one, else its
condition; every arrow shown; theme rating clauses; and band descriptions survive the formatter."""

from lsprules.data.load import load_all
from lsprules.engine.interpreter import evaluate
from lsprules.lang.parser import parse_text
from lsprules.lang.printer import format_rule_file
from lsprules.lang.resolve import load_rules
from lsprules.render.context import report_context

RULES = '''indicator robbery "Robbery" {
  polarity lower_is_better
  unit count
  arrow {
    compare latest with previous
  }
  rag {
    green "fewer robberies than the year before" when arrow is up
    red otherwise
  }
}

theme safety "Safety" {
  scale RED < GREEN
  indicators robbery
  rating {
    GREEN "most indicators improving" when share(arrow is up) >= 50 %
    RED otherwise
  }
}
'''
DATA = '''title: "Key test"
period_kind: financial_year
area: "Here"
indicators:
  robbery: {values: {2005/06: 80, 2006/07: 70}}
'''


def test_descriptions_and_conditions_make_the_key(tmp_path):
    (tmp_path / "k.rules").write_text(RULES, encoding="utf-8")
    (tmp_path / "k.yaml").write_text(DATA, encoding="utf-8")
    rules = load_rules(tmp_path / "k.rules")
    dataset, _ = load_all([tmp_path / "k.yaml"])
    key = dict(report_context(rules, dataset, evaluate(rules, dataset)).key)
    assert key["GREEN"] == "fewer robberies than the year before"
    assert key["RED"] == "otherwise"
    assert key["▲"].startswith("improved") and "▼" not in key  # only the arrows that occur
    assert key["Safety: GREEN"] == "most indicators improving" and key["Safety: RED"] == "otherwise"


def test_a_description_is_kept_by_the_formatter():
    parsed = parse_text(RULES, "k.rules")
    text = format_rule_file(parsed)
    assert 'green "fewer robberies than the year before" when arrow is up' in text
    assert 'GREEN "most indicators improving" when share(arrow is up) >= 50 %' in text
    assert parse_text(text, "k.rules") == parsed


def test_the_table_s_key_explains_only_the_abbreviated_headings_it_printed(tmp_path):
    from lsprules.jobs.evaluate import run_evaluate

    (tmp_path / "k.rules").write_text(RULES, encoding="utf-8")  # no target: no Target or Trajectory column
    (tmp_path / "k.yaml").write_text(DATA, encoding="utf-8")
    narrow = run_evaluate(tmp_path / "k.rules", tmp_path / "k.yaml", width=80)
    assert "Tgt" not in narrow and "Traj" not in narrow
    targeted = RULES.replace("  rag {", "  target 75\n  rag {", 1)
    (tmp_path / "t.rules").write_text(targeted, encoding="utf-8")
    narrow = run_evaluate(tmp_path / "t.rules", tmp_path / "k.yaml", width=80)
    assert "  Tgt — target\n" in narrow and "  Traj — trajectory\n" in narrow
    wide = run_evaluate(tmp_path / "t.rules", tmp_path / "k.yaml", width=120)
    assert "Tgt" not in wide and "Target" in wide
