"""Every rule-file example of docs/language.md passes `check`, evaluates on the page's own datasets, and the
examples of the v2 constructs give the results the page states.

docs/language.md says every ```lsprules block is a complete rule file to run on `example.yaml` (or, when it
starts with `# quarterly`, on `quarters.yaml`); both datasets are blocks of the page itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lsprules.analysis.rule_checks import check_source
from lsprules.core.diagnostics import Severity
from lsprules.core.source import Source
from lsprules.data.readers.yaml_reader import load_dataset_bytes
from lsprules.engine.interpreter import Evaluation, evaluate
from lsprules.lang.parser import parse_text
from lsprules.lang.resolve import resolve

DOC = Path(__file__).parent.parent / "docs" / "language.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```lsprules\n(.*?)^```$", TEXT, flags=re.MULTILINE | re.DOTALL)
DATASETS = {m.group(1): m.group(0) for m in re.finditer(r"^# (\w+\.yaml)\n.*?(?=^```$)", TEXT,
                                                         flags=re.MULTILINE | re.DOTALL)}


def _line(block: str) -> int:
    return TEXT[:TEXT.index(block)].count("\n") + 1


def run(block: str) -> Evaluation:
    """The block evaluated on its dataset, as the page says to run it."""
    name = "quarters.yaml" if block.startswith("# quarterly") else "example.yaml"
    rules = resolve(parse_text(block, "example.rules"), Source("example.rules", block))
    return evaluate(rules, load_dataset_bytes(name, DATASETS[name].encode("utf-8")))


def test_the_page_has_its_examples_and_datasets():
    assert len(BLOCKS) >= 23 and set(DATASETS) == {"example.yaml", "quarters.yaml"}


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line-{_line(b)}" for b in BLOCKS])
def test_every_example_passes_check_and_evaluates(block):
    found = check_source(Source("example.rules", block)).diagnostics
    assert not [d for d in found if d.severity is Severity.ERROR], [d.message for d in found]
    result = run(block)
    assert result.assessments or result.themes


def _block(starting: str) -> str:
    (found,) = [b for b in BLOCKS if b.startswith(starting)]
    return found


def _results(starting: str) -> dict[str, tuple[str | None, str | None]]:
    result = run(_block(starting))
    return {a.indicator: (a.arrow, a.rag) for a in result.assessments} | \
        {t.theme: (None, t.rating) for t in result.themes}


# The results the page states under each example of a v2 construct, worked out there by hand.
STATED = {
    "# Missing things": {"satisfaction": "grey", "dip_kpi_1": "green", "hate_crime": "grey"},
    "# Margins:": {"theft_of_vehicle": "blue", "robbery": "red", "domestic_burglary": "amber"},
    "# Margins from levels": {"domestic_burglary": "blue", "robbery": "amber"},
    "# Earlier periods": {"robbery_change": "red"},
    "# Theme coverage": {"crime": "n/a"},
}


@pytest.mark.parametrize("starting", sorted(STATED))
def test_the_v2_examples_give_the_results_the_page_states(starting):
    results = _results(starting)
    for name, band in STATED[starting].items():
        assert (results[name][1] or "n/a") == band, name


def test_the_earlier_periods_example_computes_what_the_page_says():
    from fractions import Fraction

    values = {a.indicator: a.value for a in run(_block("# Earlier periods")).assessments}
    robbery, theft_of_vehicle, robbery_2003 = 76, 547, 77  # example.yaml, 2006/07 and 2003/04
    assert values["robbery_change"] == Fraction(76 - 75, 75) * 100
    assert values["robbery_since_2003"] == robbery - robbery_2003
    assert values["robbery_share"] == Fraction(robbery, robbery + theft_of_vehicle) * 100


def test_the_theme_coverage_example_gives_the_reason_the_page_quotes():
    (theme,) = run(_block("# Theme coverage")).themes
    assert "only 1 of 3 members were assessed; the theme requires at least 60 % assessed" in theme.reasons[1]
