"""The interpreter's semantics, construct by construct, with exact ties at every threshold."""

from fractions import Fraction as F

import pytest

from engine_helpers import assess, evaluate_text, series_yaml

HIGHER = "polarity higher_is_better"
LOWER = "polarity lower_is_better"


def rules(body: str, name: str = "x") -> str:
    return f"indicator {name} {{\n{body}\n}}\n"


# --- arrows ----------------------------------------------------------------------------------


def test_previous_skips_missing_periods():
    a = assess(rules(LOWER), series_yaml({"2003/04": 10, "2004/05": 8, "2005/06": "na", "2006/07": 9}))
    assert (a.previous.period.label, a.previous.value, a.arrow) == ("2004/05", 8, "down")
    assert a.change == 1 and a.change_pct == F(25, 2)


@pytest.mark.parametrize("tolerance, expected", [
    ("static within 1.5 %", "static"),  # the change is exactly 1.5 %: within includes it
    ("static below 1.5 %", "up"),       # ... below does not
    ("static within 0.9", "static"),    # absolute: exactly 0.9
    ("static below 0.9", "up"),
    ("static within 0.9 pp", "static"),
    ("static below 0.9 pp", "up"),
])
def test_tolerance_edges_are_exact(tolerance, expected):
    # 60.0 -> 60.9 is exactly +1.5 %: binary floating point gets this tie wrong.
    data = series_yaml({"2005/06": "60.0", "2006/07": "60.9"})
    assert assess(rules(f"{HIGHER}\nunit percent\narrow {{ {tolerance} }}"), data).arrow == expected


def test_no_tolerance_means_only_an_unchanged_value_is_static():
    assert assess(rules(HIGHER), series_yaml({"2005/06": 5, "2006/07": "5.0"})).arrow == "static"
    assert assess(rules(HIGHER), series_yaml({"2005/06": 5, "2006/07": "5.1"})).arrow == "up"


def test_percent_tolerance_with_zero_earlier_value_gives_no_arrow():
    a = assess(rules(f"{LOWER}\narrow {{ static within 1.5 % }}"), series_yaml({"2005/06": 0, "2006/07": 3}))
    assert a.arrow == "na" and a.change_pct is None
    assert any("non-zero earlier value" in r for r in a.reasons)


def test_same_period_last_year_for_quarters():
    data = series_yaml({"2005-Q2": 10, "2005-Q3": 50, "2006-Q1": 40, "2006-Q2": 12})
    a = assess(rules(f"{LOWER}\narrow {{ compare latest with same period last year }}"), data)
    assert (a.previous.period.label, a.arrow) == ("2005-Q2", "down")


def test_same_period_last_year_missing_gives_no_arrow():
    data = series_yaml({"2005-Q3": 10, "2006-Q2": 12})
    a = assess(rules(f"{LOWER}\narrow {{ compare latest with same period last year }}"), data)
    assert a.arrow == "na" and any("2005-Q2" in r for r in a.reasons)


def test_mean_of_previous_n():
    data = series_yaml({"2002": 1, "2003": 10, "2004": 20, "2005": 30, "2006": 19})
    a = assess(rules(f"{HIGHER}\narrow {{ compare latest with mean of previous 3 }}"), data)
    assert a.previous.value == 20 and a.arrow == "down" and "2003–2005" in a.previous.name
    few = assess(rules(f"{HIGHER}\narrow {{ compare latest with mean of previous 5 }}"), data)
    assert few.arrow == "na"


def test_peak_at_maximum():
    text = rules(f"{HIGHER}\nunit percent\narrow {{ peak at 100 % }}")
    assert assess(text, series_yaml({"2005/06": 100, "2006/07": 100})).arrow == "peak"
    assert assess(text, series_yaml({"2006/07": 100})).arrow == "peak"
    assert assess(text, series_yaml({"2005/06": 98, "2006/07": "99.9"})).arrow == "up"


def test_method_break_between_values_gives_no_arrow():
    extra = "    method_breaks:\n      - {period: 2006/07, reason: new definition}\n"
    a = assess(rules(HIGHER), series_yaml({"2005/06": 45, "2006/07": 77}, extra=extra))
    assert a.arrow == "na" and any("new definition" in r for r in a.reasons)
    later = assess(rules(HIGHER), series_yaml({"2005/06": 45, "2006/07": 77, "2007/08": 80}, extra=extra))
    assert later.arrow == "up"


def test_too_few_points_gives_no_arrow():
    a = assess(rules(HIGHER), series_yaml({"2006/07": 55}))
    assert a.arrow == "na" and a.previous is None


def test_closer_to_polarity():
    text = rules("polarity closer_to 0")
    assert assess(text, series_yaml({"2005/06": "-2.0", "2006/07": "1.5"})).arrow == "up"
    assert assess(text, series_yaml({"2005/06": "-1.0", "2006/07": "1.5"})).arrow == "down"
    assert assess(text, series_yaml({"2005/06": "-1.5", "2006/07": "1.5"})).arrow == "static"


def test_latest_value_up_to_the_assessed_period():
    data = series_yaml({"2004/05": 10, "2005/06": 8, "2006/07": "na"})
    a = assess(rules(LOWER), data)
    assert a.period.label == "2005/06" and a.value == 8
    earlier = assess(rules(LOWER), data, period="2004/05")
    assert earlier.value == 10 and earlier.arrow == "na"


def test_suppressed_values_are_missing_with_reason():
    a = assess(rules(LOWER), series_yaml({"2005/06": "suppressed", "2006/07": 3}))
    assert a.arrow == "na"
    assert a.series[0][1].reason == "x is suppressed for 2005/06"


# --- targets and trajectories ----------------------------------------------------------------


CRIME = f"""{LOWER}
target {{
  baseline 2003/04
  reduce by 17.5 % by 2007/08
}}
rag {{
  green when on trajectory
  amber when arrow is up
  red otherwise
}}"""


def test_linear_trajectory_is_exact_and_ties_meet_it():
    # 1000 -> 825 by 2007/08: 956.25 in 2004/05, 912.5 in 2005/06, 868.75 in 2006/07.
    on_line = assess(rules(CRIME), series_yaml({"2003/04": 1000, "2005/06": 900, "2006/07": "868.75"}))
    assert on_line.trajectory == F("868.75") and on_line.target == 825
    assert on_line.on_trajectory is True and on_line.rag == "green"
    off = assess(rules(CRIME), series_yaml({"2003/04": 1000, "2005/06": 900, "2006/07": "868.76"}))
    assert off.on_trajectory is False and off.rag == "amber"
    worse = assess(rules(CRIME), series_yaml({"2003/04": 1000, "2005/06": 800, "2006/07": 869}))
    assert worse.rag == "red"


def test_trajectory_thirds_stay_exact():
    text = rules(f"{LOWER}\ntarget {{ baseline 2004 reduce by 100 by 2007 }}")
    a = assess(text, series_yaml({"2004": 1000, "2005": 990}))
    assert a.trajectory == F(1000) - F(100, 3)


def test_after_the_target_period_the_trajectory_is_the_target():
    text = rules(f"{HIGHER}\ntarget {{ baseline 2004 increase by 10 % by 2006 }}")
    a = assess(text, series_yaml({"2004": 50, "2008": 54}))
    assert a.target == 55 and a.trajectory == 55 and a.target_met is False


def test_flat_trajectory_and_reach():
    text = rules(f"{LOWER}\ntarget {{ baseline 2004 reach 80 by 2008 trajectory flat }}")
    a = assess(text, series_yaml({"2004": 100, "2006": 85}))
    assert a.trajectory == 80 and a.on_trajectory is False


def test_reach_with_a_linear_trajectory_says_its_goal():
    """`reach Q by P` from a baseline, on the default linear trajectory: once an AttributeError, now words."""
    text = rules(f"{LOWER}\ntarget {{ baseline 2004 reach 80 by 2008 }}\n"
                 "rag { green when on trajectory\n red otherwise }")
    a = assess(text, series_yaml({"2004": 100, "2006": 85}))
    assert a.target == 80 and a.trajectory == 90 and a.on_trajectory is True and a.rag == "green"
    assert any("reach 80" in reason for reason in a.reasons), a.reasons


def test_profiled_targets_per_period_with_interpolation():
    text = rules(f"{HIGHER}\ntarget {{ 100 in 2006-Q1 \n 130 in 2006-Q4 }}")
    assert assess(text, series_yaml({"2006-Q1": 90})).target == 100
    assert assess(text, series_yaml({"2006-Q2": 90})).trajectory == 110
    assert assess(text, series_yaml({"2007-Q1": 90})).target == 130
    before = assess(text, series_yaml({"2005-Q4": 90}))
    assert before.target is None


def test_missing_baseline_value_makes_rag_undecidable():
    a = assess(rules(CRIME), series_yaml({"2004/05": 1000, "2005/06": 900}))
    assert a.trajectory is None and a.rag is None
    assert any("no value for the baseline period 2003/04" in r for r in a.reasons)
    assert any("cannot decide `green when on trajectory`" in r for r in a.reasons)


def test_before_the_baseline_the_trajectory_is_unknown():
    a = assess(rules(CRIME), series_yaml({"2002/03": 1200, "2003/04": 1000}), period="2002/03")
    assert a.trajectory is None and a.rag is None


# --- RAG clauses and facts -------------------------------------------------------------------


KPI = f"""{HIGHER}
unit percent
target 60 %
rag {{
  scale red < amber < green < blue
  blue when target exceeded by 10 %
  green when target met
  amber when within 5 pp of target
  red otherwise
}}"""


@pytest.mark.parametrize("value, band", [("66", "blue"), ("65.9", "green"), ("60", "green"),
                                         ("59.9", "amber"), ("55", "amber"), ("54.99", "red")])
def test_bands_around_a_fixed_target(value, band):
    assert assess(rules(KPI), series_yaml({"2006/07": value})).rag == band


def test_within_percent_of_target_and_lower_is_better():
    text = rules(f"{LOWER}\ntarget 200\n"
                 "rag { green when target met\n amber when within 5 % of target\n red otherwise }")
    assert assess(text, series_yaml({"2006/07": 210})).rag == "amber"  # exactly 5 % over
    assert assess(text, series_yaml({"2006/07": 211})).rag == "red"


def test_three_valued_logic():
    base = f"{HIGHER}\nrag {{ green when {{}}\n red otherwise }}"
    one_point = series_yaml({"2006/07": 5})
    # arrow is n/a, so "arrow is up" is unknown; false-and-unknown is false, true-or-unknown is true.
    assert assess(rules(base.replace("{}", "arrow is up")), one_point).rag is None
    assert assess(rules(base.replace("{}", "value > 9 and arrow is up")), one_point).rag == "red"
    assert assess(rules(base.replace("{}", "value > 1 or arrow is up")), one_point).rag == "green"
    assert assess(rules(base.replace("{}", "arrow is na")), one_point).rag == "green"
    assert assess(rules(base.replace("{}", "not arrow is up")), one_point).rag is None


def test_deciding_clause_and_trace():
    a = assess(rules(CRIME), series_yaml({"2003/04": 1000, "2005/06": 1000, "2006/07": 950}))
    assert a.rag == "amber" and a.rule_line == 9
    assert [(c.label, c.line, c.outcome) for c in a.clauses] == [("green", 8, "false"), ("amber", 9, "true")]


def test_value_comparisons_with_refs():
    text = rules(f"{LOWER}\nrag {{ green when value <= previous - 10\n amber when change < 0\n red otherwise }}")
    assert assess(text, series_yaml({"2005": 100, "2006": 90})).rag == "green"
    assert assess(text, series_yaml({"2005": 100, "2006": "90.5"})).rag == "amber"


@pytest.mark.parametrize("values, expected", [
    (("-2.0", "0.0"), "closed"), (("-2.0", "0.4"), "closed"), (("-2.0", "-1.0"), "narrowed"),
    (("-1.0", "-2.0"), "widened"), (("1.0", "-0.5"), "widened"), (("-1.0", "-1.0"), "static"),
])
def test_gap_states(values, expected):
    text = rules(f"{HIGHER}\nrag {{ scale widened < static < narrowed < closed\n closed when gap closed\n"
                 " narrowed when gap narrowed\n widened when gap widened\n static otherwise }")
    assert assess(text, series_yaml(dict(zip(("2005/06", "2006/07"), values, strict=True)))).rag == expected


def test_no_rag_rules_gives_na_with_reason():
    a = assess(rules(HIGHER), series_yaml({"2006/07": 1}))
    assert a.rag is None and any("no RAG clauses" in r for r in a.reasons)


# --- derived indicators ----------------------------------------------------------------------


DERIVED = """
indicator a { polarity lower_is_better }
indicator b { polarity lower_is_better }
indicator total { polarity lower_is_better value = sum(a, b) }
indicator share_a { polarity higher_is_better value = a / total as percent }
"""

DERIVED_DATA = """
area: Testshire
indicators:
  a: {values: {"2005/06": 0.1, "2006/07": 1}}
  b: {values: {"2005/06": 0.2, "2006/07": na}}
"""


def test_derived_sum_is_exact():
    result = evaluate_text(DERIVED, DERIVED_DATA, period="2005/06")
    by_id = {a.indicator: a for a in result.assessments}
    assert by_id["total"].value == F(3, 10)  # 0.1 + 0.2 is exactly 0.3
    assert by_id["share_a"].value == F(100, 3)


def test_derived_with_a_missing_component_is_na_with_reason():
    result = evaluate_text(DERIVED, DERIVED_DATA)
    total = next(a for a in result.assessments if a.indicator == "total")
    assert total.period.label == "2005/06"  # 2006/07 is missing a component, so the latest is 2005/06
    assert total.series[-1][1].reason == "component b: b is n/a for 2006/07"


def test_derived_from_fields_as_percent_and_division_by_zero():
    text = "indicator k { polarity higher_is_better fields num, den value = num / den as percent }"
    data = "area: T\nindicators:\n  k:\n    fields: {num: {'2005': 88, '2006': 1}, den: {'2005': 160, '2006': 0}}\n"
    a = assess(text, data, indicator="k", period="2005")
    assert a.value == 55
    b = assess(text, data, indicator="k")
    assert b.period.label == "2005" and b.series[-1][1].reason == "division by zero"


def test_indicator_without_data_is_na_not_an_error():
    a = assess(rules(HIGHER) + "indicator y { polarity lower_is_better }", series_yaml({"2006": 1}), indicator="y")
    assert a.value is None and a.arrow == "na" and a.rag is None
    assert a.reasons == ("no data for y in the dataset", "RAG n/a: the rules give this indicator no RAG clauses")


# --- themes ----------------------------------------------------------------------------------


THEME = """
profile p { polarity higher_is_better }
indicator a uses p
indicator b uses p
indicator c uses p
indicator d uses p
theme t {
  scale RED < AMBER < GREEN
  indicators a, b, c, d
  rating {
    GREEN when share(arrow is up) >= 75 %
    AMBER when count(arrow is up) > count(arrow is down)
    RED otherwise
  }
}
"""


def theme_data(**series) -> str:
    lines = ["area: T", "indicators:"]
    for name, (before, after) in series.items():
        lines.append(f"  {name}: {{values: {{'2005': {before}, '2006': {after}}}}}")
    return "\n".join(lines) + "\n"


def test_share_counts_only_members_that_could_be_judged():
    # a, b, c up; d has no earlier value: 3 of the 3 judged are up = 100 %.
    data = theme_data(a=(1, 2), b=(1, 2), c=(1, 2), d=("na", 1))
    (theme,) = evaluate_text(THEME, data).themes
    assert theme.rating == "GREEN" and theme.rule_line == 11


def test_share_threshold_is_exact():
    # 3 of 4 up is exactly 75 %.
    (theme,) = evaluate_text(THEME, theme_data(a=(1, 2), b=(1, 2), c=(1, 2), d=(2, 1))).themes
    assert theme.rating == "GREEN"
    (theme,) = evaluate_text(THEME, theme_data(a=(1, 2), b=(1, 2), c=(2, 1), d=(2, 2))).themes
    assert theme.rating == "AMBER" and theme.counts["arrow up"] == 2


def test_theme_with_no_judged_member_is_na():
    (theme,) = evaluate_text(THEME, theme_data(a=("na", 2), b=("na", 2), c=("na", 1), d=("na", 1))).themes
    assert theme.rating is None and "cannot decide" in theme.reasons[-1]


# --- checking the source ---------------------------------------------------------------------


def test_reported_judgements_are_checked_not_adopted():
    extra = ("    reported:\n      arrow: {'2006': up}\n      rag: {'2006': red}\n"
             "      value: {'2005': 2.0, '2006': 5}\n")
    text = rules(f"{LOWER}\nrag {{ green when arrow is up\n red otherwise }}")
    a = assess(text, series_yaml({"2005": 2, "2006": 3}, extra=extra))
    assert a.arrow == "down" and a.rag == "red"
    assert [(d.field, d.period.label, d.reported, d.computed) for d in a.discrepancies] == [
        ("value", "2006", "5", "3"), ("arrow", "2006", "up", "down")]


def test_printed_values_are_compared_at_their_printed_precision():
    text = "indicator k { polarity higher_is_better fields n, d value = n / d as percent }"
    data = ("area: T\nindicators:\n  k:\n    fields: {n: {'2006': 55}, d: {'2006': 76}}\n"
            "    reported: {value: {'2006': 72}}\n")
    assert assess(text, data, indicator="k").discrepancies == ()  # 72.37 prints as 72
    wrong = data.replace("72}", "72.5}")
    (d,) = assess(text, wrong, indicator="k").discrepancies
    assert (d.reported, d.computed) == ("72.5", "72.4")


def test_data_values_of_a_derived_indicator_are_checked_as_printed_figures():
    data = DERIVED_DATA + "  total: {values: {'2005/06': 0.4}}\n"
    result = evaluate_text(DERIVED, data, period="2005/06")
    total = next(a for a in result.assessments if a.indicator == "total")
    assert total.value == F(3, 10)
    assert [(d.field, d.reported, d.computed) for d in total.discrepancies] == [("value", "0.4", "0.3")]


def test_theme_summary_counts_members_in_words():
    data = theme_data(a=(1, 2), b=(1, 2), c=(1, 2), d=(2, 1))
    one = THEME.replace("indicators a, b, c, d", "indicators a")
    (theme,) = evaluate_text(one, data).themes
    assert theme.reasons[0] == "1 member, 1 assessed: 1 arrow up, 1 rag na"


def test_shown_values_round_half_away_from_zero_at_any_size():
    from lsprules.core.numbers import to_decimal

    assert str(to_decimal(F(-25, 10), 0)) == "-3" and str(to_decimal(F(25, 10), 0)) == "3"
    assert str(to_decimal(F(-1, 100), 1)) == "0.0"  # never "-0.0"
    assert str(to_decimal(F(10**40) + F(1, 3), 3)) == "1" + "0" * 40 + ".333"  # beyond 28 digits


def test_rounding_is_the_exact_arithmetic_of_fractions_at_any_size():
    # to_decimal works on the numerator and denominator directly; this is the Fraction arithmetic it replaced.
    import random
    from decimal import Decimal

    from lsprules.core.numbers import to_decimal

    def by_fractions(value: F, places: int) -> Decimal:
        scaled = abs(value) * 10 ** places
        whole, remainder = divmod(scaled.numerator, scaled.denominator)
        whole += remainder * 2 >= scaled.denominator
        digits = tuple(int(d) for d in str(whole).rjust(places + 1, "0"))
        return Decimal((0 if value >= 0 or whole == 0 else 1, digits, -places))

    rng = random.Random(11)
    for _ in range(20000):
        value = F(rng.randint(-10 ** rng.randint(0, 40), 10 ** rng.randint(0, 40)),
                  rng.choice([1, 2, 3, 8, 10, 10 ** rng.randint(1, 30), rng.randint(1, 10 ** rng.randint(1, 30))]))
        places = rng.randint(0, 10)
        got, expected = to_decimal(value, places), by_fractions(value, places)
        assert got.as_tuple() == expected.as_tuple() and str(got) == str(expected), (value, places)


def test_a_percentage_reduction_of_a_negative_baseline_lowers_it():
    # -10 reduced by 15 % is -11.5: the target is below the baseline, as "reduce" says, whatever the sign.
    text = rules(f"{LOWER}\ntarget {{ baseline 2004 reduce by 15 % by 2006 }}\nrag {{ green when target met\n"
                 " red otherwise }")
    a = assess(text, series_yaml({"2004": -10, "2006": "-9.9"}))
    assert a.target == F(-23, 2) and a.rag == "red"
    up = rules(f"{HIGHER}\ntarget {{ baseline 2004 increase by 10 % by 2006 }}")
    assert assess(up, series_yaml({"2004": -20, "2006": -19})).target == -18
