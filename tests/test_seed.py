"""Acceptance: the 2007 Crime Theme Assessment, computed from its own tables by rules/crime.rules.

Expected results are derived here from the dataset's numbers by an independent reading of the report's key,
never copied from the report's printed judgements.
"""

from fractions import Fraction
from pathlib import Path

import pytest

from lsprules.core.periods import parse_period
from lsprules.data.model import Missing
from lsprules.data.readers.yaml_reader import load_dataset
from lsprules.engine.interpreter import evaluate
from lsprules.lang.resolve import load_rules

ROOT = Path(__file__).resolve().parents[1]
PSA1 = ["theft_of_vehicle", "theft_from_vehicle", "vehicle_interference", "domestic_burglary", "cycle_theft",
        "theft_from_person", "robbery", "common_assault", "wounding", "criminal_damage"]
NATIONAL = ["theft_from_vehicle", "theft_of_vehicle", "vehicle_interference", "domestic_burglary", "robbery",
            "criminal_damage"]
IDS = (PSA1 + ["bcs_comparator_crimes"] + [f"national_gap_{i}" for i in NATIONAL]
       + [f"deprived_gap_{i}" for i in PSA1 + ["bcs_comparator_crimes"]]
       + ["drug_treatment_total", "drug_treatment_retained_12wk", "dip_kpi_1", "dip_kpi_2", "dip_kpi_3"])


@pytest.fixture(scope="module")
def rules():
    return load_rules(ROOT / "rules" / "crime.rules")


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(ROOT / "datasets" / "redcar-cleveland-2007.yaml")


@pytest.fixture(scope="module")
def latest(rules, dataset):
    return evaluate(rules, dataset)


def by_id(evaluation):
    return {a.indicator: a for a in evaluation.assessments}


def key_arrow(indicator: str, points: list[tuple], breaks) -> str:
    """The report's key read independently: the last two datasets, in the good direction or not.

    Crime counts fall to improve and are static within 1.5 %; the drug count rises to improve, likewise;
    gaps are signed so that a rise is an improvement and only an unchanged gap is static.
    """
    if len(points) < 2:
        return "na"
    (p0, v0), (p1, v1) = points[-2], points[-1]
    if any(p0 < b <= p1 for b in breaks):
        return "na"
    change = v1 - v0
    lower_is_better = indicator in PSA1 or indicator == "bcs_comparator_crimes"
    if "gap" not in indicator and abs(change) * 100 <= Fraction(3, 2) * abs(v0):
        return "static"
    if change == 0:
        return "static"
    improved = change < 0 if lower_is_better else change > 0
    return "up" if improved else "down"


def data_points(dataset, indicator: str, upto):
    area = dataset.areas[0]
    if indicator == "bcs_comparator_crimes":
        periods = sorted(set.intersection(*(set(area.series[c].values) for c in PSA1)))
        return [(p, sum(Fraction(area.series[c].values[p]) for c in PSA1)) for p in periods if p <= upto]
    values = area.series[indicator].values
    return [(p, Fraction(v)) for p, v in sorted(values.items()) if not isinstance(v, Missing) and p <= upto]


def test_every_indicator_of_the_report_is_assessed(latest):
    assessed = by_id(latest)
    assert sorted(assessed) == sorted(IDS)
    assert all(a.period is not None for a in assessed.values())


def test_arrows_agree_with_the_report_unless_its_numbers_contradict_it(latest, dataset):
    contradictions = []
    for indicator, a in by_id(latest).items():
        series = dataset.areas[0].series.get(indicator)
        reported = series.reported.arrow.get(a.period) if series else None
        if reported is None:
            continue
        breaks = series.method_breaks
        expected = key_arrow(indicator, data_points(dataset, indicator, a.period), breaks)
        assert a.arrow == expected, indicator
        arrow_discrepancies = [(d.reported, d.computed) for d in a.discrepancies if d.field == "arrow"]
        if reported == expected:
            assert arrow_discrepancies == [], indicator
        else:
            assert arrow_discrepancies == [(reported, expected)], indicator
            contradictions.append(indicator)
    assert contradictions, "the report contains at least one arrow its own numbers contradict"


def test_the_bcs_total_is_computed_and_the_printed_total_checked(latest, dataset):
    bcs = by_id(latest)["bcs_comparator_crimes"]
    printed = dataset.areas[0].series["bcs_comparator_crimes"].reported.value
    sums = dict(data_points(dataset, "bcs_comparator_crimes", bcs.period))
    assert bcs.value == sums[bcs.period]
    expected = sorted((p.label, str(v), str(sums[p])) for p, v in printed.items() if Fraction(v) != sums[p])
    found = sorted((d.period.label, d.reported, d.computed) for d in bcs.discrepancies if d.field == "value")
    assert found == expected and found, "the report prints one total that does not add up"


@pytest.mark.parametrize("period", ["2006/07", "2005/06"])
def test_theme_rating_agrees_with_the_report(rules, dataset, period):
    at = parse_period(period)
    (theme,) = evaluate(rules, dataset, at).themes
    assert theme.rating == dataset.areas[0].reported_themes["crime"][at]
    assert theme.discrepancies == ()


def test_theme_ratings_come_from_one_rule(rules, dataset):
    lines = {t.rule_line for p in ("2006/07", "2005/06") for t in evaluate(rules, dataset, parse_period(p)).themes}
    (theme,) = rules.themes
    clause_lines = {c.span.line for c in theme.rating.clauses}
    assert lines <= clause_lines and len(rules.themes) == 1


@pytest.mark.parametrize("kpi, numerator, denominator", [
    ("dip_kpi_1", "assessed", "contacts"), ("dip_kpi_2", "caseload", "assessed"), ("dip_kpi_3", "engaged", "caseload"),
])
def test_dip_kpis_are_computed_from_their_components_and_all_missed(latest, dataset, kpi, numerator, denominator):
    a = by_id(latest)[kpi]
    fields = dataset.areas[0].series[kpi].fields
    expected = Fraction(fields[numerator][a.period]) / Fraction(fields[denominator][a.period]) * 100
    assert a.value == expected
    assert a.target_met is False and a.arrow == "na"
    assert not [d for d in a.discrepancies if d.field == "value"], "printed percentages match at their precision"


def test_method_break_gives_no_arrow_for_retention(latest):
    a = by_id(latest)["drug_treatment_retained_12wk"]
    assert a.arrow == "na" and any("method break" in r for r in a.reasons)


def test_national_gaps_use_their_latest_available_year(latest):
    a = by_id(latest)["national_gap_robbery"]
    assert a.period.label == "2005/06" and a.previous.period.label == "2004/05"


def test_every_result_names_its_deciding_clause(latest, rules):
    for a in latest.assessments:
        spec = rules.indicators[a.indicator]
        if a.rag is not None:
            lines = {c.span.line for c in spec.rag.clauses}
            assert a.rule_line in lines and a.reasons
