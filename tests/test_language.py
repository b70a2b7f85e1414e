"""The rule language: every construct parses to the AST it means, and bad rules give positioned errors."""

from decimal import Decimal as D

import pytest

from lsprules.core.diagnostics import InputError
from lsprules.core.source import Source
from lsprules.lang import nodes as n
from lsprules.lang.parser import parse_text
from lsprules.lang.resolve import resolve


def only_item(text: str):
    rule_file = parse_text(text)
    assert len(rule_file.items) == 1
    return rule_file.items[0]


def settings_of(body: str) -> tuple:
    return only_item(f"indicator x {{\n{body}\n}}").settings


def q(value: str, unit: str | None = None) -> n.Quantity:
    return n.Quantity(D(value), unit)


def test_indicator_header_forms():
    assert only_item("indicator x") == n.Indicator("x")
    assert only_item('indicator x "Theft of Vehicle"') == n.Indicator("x", "Theft of Vehicle")
    assert only_item('indicator x "T" uses crime_count') == n.Indicator("x", "T", "crime_count")
    assert only_item("indicator x uses p { }") == n.Indicator("x", None, "p", ())
    assert only_item(r'indicator x "say \"hi\""') == n.Indicator("x", 'say "hi"')


@pytest.mark.parametrize("text, expected", [
    ("unit count", n.UnitSetting("count")),
    ("unit percent", n.UnitSetting("percent")),
    ("unit ratio", n.UnitSetting("ratio")),
    ("unit rate per 1000", n.UnitSetting("rate", D(1000))),
    ("polarity higher_is_better", n.PolaritySetting("higher_is_better")),
    ("polarity lower_is_better", n.PolaritySetting("lower_is_better")),
    ("polarity closer_to -0.5", n.PolaritySetting("closer_to", q("-0.5"))),
    ("polarity closer_to 100 %", n.PolaritySetting("closer_to", q("100", "%"))),
    ("fields assessed, contacts", n.FieldsSetting(("assessed", "contacts"))),
    ("decimals 2", n.DecimalsSetting(2)),
    ("target 60 %", n.FixedTarget(q("60", "%"))),
    ("target -3", n.FixedTarget(q("-3"))),
])
def test_simple_settings(text, expected):
    assert settings_of(text) == (expected,)


def test_value_expressions_and_precedence():
    (setting,) = settings_of("value = a + b * 2 - (c - d) / e")
    a, b, c, d, e = (n.Name(x) for x in "abcde")
    expected = n.Arith("-", n.Arith("+", a, n.Arith("*", b, q("2"))), n.Arith("/", n.Arith("-", c, d), e))
    assert setting == n.ValueSetting(expected)


def test_value_functions_unary_minus_and_as_percent():
    (setting,) = settings_of("value = -sum(a, b) / mean(c, d) as percent")
    expected = n.Arith("/", n.Negate(n.Call("sum", (n.Name("a"), n.Name("b")))),
                       n.Call("mean", (n.Name("c"), n.Name("d"))))
    assert setting == n.ValueSetting(expected, as_percent=True)


@pytest.mark.parametrize("text, expected", [
    ("compare latest with previous", n.CompareStmt("previous")),
    ("compare latest with same period last year", n.CompareStmt("year")),
    ("compare latest with mean of previous 3", n.CompareStmt("mean", 3)),
    ("static within 1.5 %", n.StaticStmt(q("1.5", "%"), inclusive=True)),
    ("static below 2 pp", n.StaticStmt(q("2", "pp"), inclusive=False)),
    ("static within 10", n.StaticStmt(q("10"), inclusive=True)),
    ("peak at 100 %", n.PeakStmt(q("100", "%"))),
])
def test_arrow_statements(text, expected):
    assert settings_of(f"arrow {{ {text} }}") == (n.ArrowBlock((expected,)),)


@pytest.mark.parametrize("text, expected", [
    ("baseline 2003/04", n.BaselineStmt("2003/04")),
    ("reduce by 17.5 % by 2007/08", n.ChangeStmt("reduce", q("17.5", "%"), "2007/08")),
    ("increase by 40 by 2010", n.ChangeStmt("increase", q("40"), "2010")),
    ("reach 8000 by 2008-Q4", n.ReachStmt(q("8000"), "2008-Q4")),
    ("600 in 2006-04", n.PeriodTargetStmt(q("600"), "2006-04")),
    ("trajectory linear", n.TrajectoryStmt("linear")),
    ("trajectory flat", n.TrajectoryStmt("flat")),
])
def test_target_statements(text, expected):
    assert settings_of(f"target {{ {text} }}") == (n.TargetBlock((expected,)),)


@pytest.mark.parametrize("condition, expected", [
    ("on trajectory", n.OnTrajectory()),
    ("target met", n.TargetMet()),
    ("target exceeded by 10 %", n.TargetExceeded(q("10", "%"))),
    ("within 5 pp of target", n.WithinTarget(q("5", "pp"))),
    ("gap closed", n.GapState("closed")),
    ("gap narrowed", n.GapState("narrowed")),
    ("gap widened", n.GapState("widened")),
    ("arrow is up", n.ArrowIs("up")),
    ("arrow is not down", n.ArrowIs("down", negated=True)),
    ("arrow is na", n.ArrowIs("na")),
    ("value >= target - 5 pp", n.Compare(">=", n.Ref("value"), n.Arith("-", n.Ref("target"), q("5", "pp")))),
    ("previous != baseline", n.Compare("!=", n.Ref("previous"), n.Ref("baseline"))),
    ("change < 0", n.Compare("<", n.Ref("change"), q("0"))),
    ("value <= trajectory", n.Compare("<=", n.Ref("value"), n.Ref("trajectory"))),
    ("not target met or arrow is up and gap closed",
     n.Or(n.Not(n.TargetMet()), n.And(n.ArrowIs("up"), n.GapState("closed")))),
    ("not (target met or arrow is up)", n.Not(n.Or(n.TargetMet(), n.ArrowIs("up")))),
    ("value > -1", n.Compare(">", n.Ref("value"), n.Negate(q("1")))),
])
def test_rag_conditions(condition, expected):
    (rag,) = settings_of(f"rag {{ green when {condition}\n red otherwise }}")
    assert rag == n.RagBlock(None, (n.Clause("green", expected), n.Clause("red")))


def test_rag_scale_with_more_bands():
    (rag,) = settings_of("rag { scale red < amber < green < blue\n blue when target exceeded by 10 %\n red otherwise }")
    assert rag.scale == n.Scale(("red", "amber", "green", "blue"))


def test_profile_group_and_theme():
    text = """
    profile p { polarity lower_is_better }
    group g "Group" { indicator a uses p indicator b uses p }
    theme t "Theme" {
      scale RED < GREEN
      indicators g, a
      rating {
        GREEN when share(arrow is up) >= 75 % and count(rag is not red) > 1
        RED otherwise
      }
    }
    """
    profile, group, theme = parse_text(text).items
    assert profile == n.Profile("p", (n.PolaritySetting("lower_is_better"),))
    assert group == n.Group("g", "Group", (n.Indicator("a", None, "p"), n.Indicator("b", None, "p")))
    condition = n.And(n.Compare(">=", n.Call("share", (n.ArrowIs("up"),)), q("75", "%")),
                      n.Compare(">", n.Call("count", (n.RagIs("red", negated=True),)), q("1")))
    assert theme == n.Theme("t", "Theme", (n.Scale(("RED", "GREEN")), n.Members(("g", "a")),
                                           n.Rating((n.Clause("GREEN", condition), n.Clause("RED")))))


def test_comments_are_allowed_anywhere_and_kept():
    text = "# head\nindicator x # after name\n{ # open\n unit # mid\n count # end\n} # close\n# tail\n"
    rule_file = parse_text(text)
    assert rule_file.items == (n.Indicator("x", None, None, (n.UnitSetting("count"),)),)
    assert [c.text for c in rule_file.comments] == ["# head", "# after name", "# open", "# mid", "# end",
                                                     "# close", "# tail"]


def test_spans_are_ignored_by_equality_but_present():
    parsed = only_item("indicator x")
    assert parsed == n.Indicator("x") and parsed.span is not None
    assert (parsed.span.line, parsed.span.column) == (1, 1)


def errors_of(text: str, name: str = "bad.rules"):
    with pytest.raises(InputError) as caught:
        rule_file = parse_text(text, name)
        resolve(rule_file, Source(name, text))
    return caught.value.diagnostics


def test_syntax_error_has_position_and_words():
    (d,) = errors_of("indicator x {\n  unit count\n")
    assert d.code == "E101" and "brace" in d.message
    (d,) = errors_of("profile p {\n  rag {\n    green when\n  }\n}\n")
    assert d.code == "E101" and d.span.line == 4 and "`when` needs a condition" in d.message


def test_bad_period_is_reported_at_its_position():
    (d,) = errors_of("indicator x { target { baseline 2003/05 } }")
    assert d.code == "E109" and d.span.column == 33


def test_unknown_names_with_suggestions():
    text = ("profile crime_count { polarity lower_is_better }\n"
            "indicator theft_of_vehicle uses crime_count\n"
            "indicator total uses crime_cuont { value = sum(theft_of_vehicel) }\n")
    diagnostics = errors_of(text)
    assert [d.code for d in diagnostics] == ["E103", "E102"]
    assert diagnostics[0].hint == "did you mean 'crime_count'?"
    assert diagnostics[1].hint == "did you mean 'theft_of_vehicle'?"
    assert (diagnostics[1].span.line, diagnostics[1].span.column) == (3, 48)


@pytest.mark.parametrize("text, code", [
    ("indicator a { polarity lower_is_better }\nindicator a { polarity lower_is_better }", "E104"),
    ("indicator a { polarity lower_is_better value = b }\nindicator b { polarity lower_is_better value = a }",
     "E105"),
    ("indicator a { polarity lower_is_better value = foo(b) fields b }", "E106"),
    ("indicator a { polarity lower_is_better rag { purple otherwise } }", "E107"),
    ("indicator a { polarity lower_is_better unit count unit percent }", "E108"),
    ("indicator a { unit count }", "E111"),
    ("indicator value { polarity lower_is_better }", "E114"),
    ("indicator a { polarity lower_is_better fields target }", "E114"),
    ("theme t { indicators a }", "E111"),
    ("indicator a { polarity lower_is_better rag { green when value } }", "E112"),
    ("indicator a { polarity lower_is_better rag { green when rag is red } }", "E112"),
    ("indicator a { polarity lower_is_better value = value + 1 }", "E112"),
    ("indicator a { polarity lower_is_better target 5 rag { green when value >= target - 5 % } }", "E112"),
    ("indicator a { polarity lower_is_better fields p value = p * 100 % }", "E112"),
    ("indicator a { polarity lower_is_better arrow { static within 1 } arrow { static within 2 } }", "E108"),
    ("indicator a { polarity lower_is_better target 5 target { baseline 2004 } }", "E108"),
    ("indicator a { polarity lower_is_better target { 100 in 2006 reduce by 5 % by 2008 } }", "E108"),
    ("indicator a { polarity lower_is_better }\ntheme t { scale A < B indicators a rating { B otherwise } "
     "rating { A otherwise } }", "E108"),
    ("indicator a { polarity lower_is_better }\ntheme t { scale A < B indicators a rating { B when arrow is up "
     "A otherwise } }", "E112"),
    ("indicator a { polarity lower_is_better }\ntheme t { scale A < B indicators a rating { "
     "B when count(on trajectory) > 1 A otherwise } }", "E112"),
    ("indicator a { polarity lower_is_better }\ntheme t { scale A < B indicators a rating { "
     "B when count(count(arrow is up) > 1) > 1 A otherwise } }", "E112"),
])
def test_resolution_errors(text, code):
    assert code in [d.code for d in errors_of(text)]


def test_every_problem_in_a_file_is_reported_sorted():
    text = "indicator a uses nope\nindicator b uses nada\n"
    diagnostics = errors_of(text)
    assert [(d.code, d.span.line) for d in diagnostics] == [("E103", 1), ("E103", 2)]
