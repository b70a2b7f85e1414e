"""What a user reads when the columnar plan cannot express a rule file (engine/columnar/support.py): the fall-back
note of `evaluate --engine duckdb|polars|spark` and E500 of `lsprules sql` name each construct as the rule file
writes it (never a class of the AST), with the item it is in and its file:line, once per place even when several
indicators share a profile, in the order of the rule file."""

from __future__ import annotations

import inspect
import re
import typing
from decimal import Decimal
from pathlib import Path

import pytest

from fastpath_helpers import ROOT, write
from lsprules.core.diagnostics import InputError
from lsprules.engine.columnar import support
from lsprules.engine.columnar.json_plan import THEMES, compared_unsupported, json_unsupported
from lsprules.engine.columnar.support import condition_words, unsupported, unsupported_at
from lsprules.jobs.evaluate import evaluate_job
from lsprules.jobs.sql import run_sql
from lsprules.lang import nodes, resolve
from lsprules.lang.resolve import load_rules

BUNDLED = sorted((ROOT / "rules").glob("*.rules"))
# The classes and fields a message must never show: the AST's and the resolved specs' (e.g. `Reaches`, `LevelRef`,
# `from_data`), and any identifier in CamelCase.
CLASS_NAMES = {name for module in (nodes, resolve) for name, value in vars(module).items()
               if inspect.isclass(value) and value.__module__ == module.__name__}
FIELD_NAMES = {field for module in (nodes, resolve) for value in vars(module).values()
               if inspect.isclass(value) and value.__module__ == module.__name__
               for field in getattr(value, "__dataclass_fields__", {}) if "_" in field}
CAMEL_CASE = re.compile(r"\b[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*\b")


def leaks(text: str) -> list[str]:
    """The class names, field names and CamelCase identifiers in a message."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return sorted(words & (CLASS_NAMES | FIELD_NAMES) | set(CAMEL_CASE.findall(text)))


def test_the_leak_check_sees_the_old_messages():
    assert leaks("indicator x: Reaches in a RAG condition") == ["Reaches"]
    assert leaks("indicator x: LevelRef in a RAG condition") == ["LevelRef"]
    assert leaks("indicator x: the setting `from_data`, which the plan does not know yet") == ["from_data"]
    assert leaks("profile p: `reaches` in a RAG condition (p.rules:15)") == []


def sql_messages(rules: Path) -> list[str]:
    """The messages of `lsprules sql`'s E500 diagnostics for a rule file (none: it compiles)."""
    try:
        run_sql(rules)
    except InputError as error:
        assert {d.code for d in error.diagnostics} == {"E500"}
        return [f"{d.span.line}: {d.message}" if d.span else d.message for d in error.diagnostics]
    return []


def lines_of(reason: str) -> list[int]:
    found = re.search(r"\(([^()]*):([\d, ]+)\)$", reason)
    return [int(n) for n in found.group(2).split(", ")] if found else []


@pytest.mark.parametrize("rules", BUNDLED, ids=lambda p: p.name)
def test_every_reason_for_a_bundled_rule_file_is_in_the_rule_files_words(rules):
    loaded = load_rules(rules)
    for found in (unsupported(loaded), compared_unsupported(loaded), json_unsupported(loaded), sql_messages(rules)):
        assert [reason for reason in found if leaks(reason)] == []
        assert len(found) == len(set(found))  # each construct once
    placed = [reason for reason in json_unsupported(loaded) if reason != THEMES]
    assert all(lines_of(reason) for reason in placed), placed  # every one at its line
    firsts = [lines_of(reason)[0] for reason in placed]
    assert firsts == sorted(firsts)  # in the order of the rule file
    assert unsupported(load_rules(rules)) == unsupported(loaded)  # and the same each time


def test_a_profile_several_indicators_use_is_named_once_per_place():
    rules = ROOT / "rules" / "lpsa.rules"
    loaded = load_rules(rules)
    assert unsupported(loaded) == json_unsupported(loaded) == compared_unsupported(loaded) == []  # every plan
    assert sql_messages(rules) == [  # the query's table has no `level` column
        "9: the SQL plan cannot express this yet: profile reward_count: `target from data`"]


def test_the_fall_back_note_names_the_constructs_as_written(tmp_path):
    """Each construct once, at its line, named as the rule file writes it, though four indicators use its profile."""
    data = ROOT / "datasets" / "lpsa-2008.csv"
    text = (ROOT / "rules" / "lpsa.rules").read_text(encoding="utf-8")
    clause = "    amber when value reaches trigger  # past the trigger: a share of the grant\n"
    assert clause in text
    added = "    red when significantly worse than benchmark\n    red when significantly better than benchmark\n"
    rules = write(tmp_path, "lpsa.rules", text.replace(clause, added + clause))
    for ran in ("csv", "json"):
        assert "did not run: the plan cannot" in evaluate_job(rules, data, output_format=ran, engine="duckdb").notes[0]
    asked = evaluate_job(rules, data, output_format="markdown", engine="duckdb")
    (note,) = asked.notes
    assert note.startswith("the duckdb engine did not run: the plan cannot ")
    assert note.endswith(f"profile reward_count: `significantly worse than benchmark` in a RAG condition "
                         f"({rules}:15); profile reward_count: `significantly better than benchmark` in a RAG "
                         f"condition ({rules}:16); the reference interpreter ran")
    assert leaks(note) == [] and note.count("reward_count") == 2


EVERY = """comparator family "Family group" mean of areas "A", "B"

profile shared {
  polarity lower_is_better
  target from data
  levels {
    trigger 10
    stretch 5
  }
  rag {
    green when value reaches stretch
    amber when more than 10 % better than trigger
    red when significantly worse than benchmark
    red when value reaches trigger
  }
}

indicator a "A" uses shared
indicator b "B" uses shared
indicator c "C" {
  polarity higher_is_better
  decimals 6
  arrow {
    compare latest with mean of previous 2
  }
  target {
    baseline 2003/04
    80 in 2005/06
  }
  rag {
    green when value / 2 > 1
    amber when max(value, 1) > 1
    red otherwise
  }
}

indicator d "D" {
  polarity higher_is_better
  value = c at family
  arrow {
    compare recent trend at 95 %
  }
  target {
    annual 400 in 2007/08 profiled evenly
  }
}

indicator e "E" {
  polarity higher_is_better
  arrow {
    compare latest with same period last year
  }
}
"""


def test_a_rule_file_using_every_construct_the_plan_cannot_express(tmp_path):
    rules = write(tmp_path, "every.rules", EVERY)
    expected = [
        "profile shared: `significantly worse than benchmark` in a RAG condition (FILE:13)",
        "indicator c: `decimals 6`, above 5 (reasons at that many places) (FILE:22)",
        "indicator d: a value read only in a comparator's areas (FILE:39)",
        "indicator d: `compare recent trend at 95 %` (FILE:41)"]
    assert json_unsupported(load_rules(rules)) == [reason.replace("FILE", str(rules)) for reason in expected]
    assert unsupported(load_rules(rules)) == [reason.replace("FILE", str(rules)) for reason in expected
                                              if "decimals" not in reason]
    found = unsupported_at(load_rules(rules))
    assert len(found) == len(set(found)) == 3  # once per place: a and b share the profile's
    assert sql_messages(rules)[0] == "5: the SQL plan cannot express this yet: profile shared: `target from data`"
    assert [message for message in sql_messages(rules) if leaks(message)] == []


# A condition of each kind of the AST, as the resolver would refuse some of them in an indicator's RAG rules (a
# name, a function of a theme, `x at c`): the words for them must still be the rule file's.
Q = nodes.Quantity(Decimal(5))
SAMPLES: dict[type, nodes.Expr] = {
    nodes.Name: nodes.Name("robbery"), nodes.Call: nodes.Call("share", (nodes.Name("robbery"),)),
    nodes.RagIs: nodes.RagIs("green"), nodes.AtComparator: nodes.AtComparator("robbery", "family"),
    nodes.AtPeriod: nodes.AtPeriod("robbery", "2003/04"), nodes.Significance: nodes.Significance("different", Q),
}


@pytest.mark.parametrize("kind", typing.get_args(nodes.Expr), ids=lambda kind: kind.__name__)
def test_every_kind_of_condition_the_plan_cannot_express_has_words(kind):
    if kind not in SAMPLES:  # a new kind of node: add it to SAMPLES if the plan cannot express it
        assert issubclass(kind, support.CONDITION_NODES), kind
        return
    words = condition_words(SAMPLES[kind])
    assert words is not None and leaks(words) == [] and kind.__name__ not in words
