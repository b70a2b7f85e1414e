"""Long-form CSV in (exact, validated by row and column) and CSV out (numbers stay numbers, text cannot run)."""

from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from engine_helpers import rules_from
from lsprules.core.diagnostics import InputError
from lsprules.core.periods import parse_period
from lsprules.data.model import Missing
from lsprules.data.readers.csv_reader import load_csv_bytes
from lsprules.engine.interpreter import evaluate
from lsprules.render.csv_out import csv_number, render_csv, safe_text


def load(text: str):
    return load_csv_bytes("t.csv", text.encode("utf-8"))


def codes(text: str) -> list[tuple[str, int, int]]:
    with pytest.raises(InputError) as caught:
        load(text)
    return [(d.code, d.span.line, d.span.column) for d in caught.value.diagnostics]


def test_long_form_with_optional_columns():
    text = ("area,indicator,period,value,status,note,field,reported_arrow\n"
            "North,robbery,2005/06,0.1,,,,\n"
            "North,robbery,2006/07,,,,,▼\n"
            "North,kpi,2006/07,88,,,assessed,\n"
            "North,kpi,2006/07,160,,,contacts,\n"
            "South,robbery,2005/06,,suppressed,,,\n"
            "South,robbery,2006/07,7,break,new counting rules,,\n")
    dataset = load(text)
    north, south = dataset.areas
    assert north.series["robbery"].values == {parse_period("2005/06"): D("0.1"), parse_period("2006/07"): Missing.NA}
    assert north.series["robbery"].reported.arrow == {parse_period("2006/07"): "down"}
    assert north.series["kpi"].fields["contacts"] == {parse_period("2006/07"): D(160)}
    assert south.series["robbery"].values[parse_period("2005/06")] is Missing.SUPPRESSED
    assert south.series["robbery"].method_breaks == {parse_period("2006/07"): "new counting rules"}


def test_bom_crlf_and_quoted_cells():
    dataset = load('\ufeffarea,indicator,period,value\r\n"Ynys Môn, North",robbery,2006,"1,029"\r\n')
    (area,) = dataset.areas
    assert area.name == "Ynys Môn, North" and area.series["robbery"].values == {parse_period("2006"): D(1029)}


@pytest.mark.parametrize("text, expected", [
    ("area,indicator,period\n", [("E305", 1, 1)]),
    ("area,indicator,period,value\nX,robbery,2006/07,abc\n", [("E306", 2, 19)]),
    ("area,indicator,period,value\nX,robbery,2006/07,1\nX,robbery,2006/07,2\n", [("E307", 3, 19)]),
    ("area,indicator,period,value\nX,robbery,2006/08,1\n", [("E303", 2, 11)]),
    ("area,indicator,period,value\nX,Robbery!,2006,1\n", [("E305", 2, 3)]),
    ("area,indicator,period,value,status\nX,r,2006,1,dunno\n", [("E305", 2, 12)]),
    ("", [("E305", 1, 1)]),
])
def test_malformed_csv_names_row_and_column(text, expected):
    assert codes(text) == expected


def test_duplicate_rows_with_the_same_value_are_accepted():
    dataset = load("area,indicator,period,value\nX,r,2006,1\nX,r,2006,1.0\n")
    assert dataset.areas[0].series["r"].values == {parse_period("2006"): D(1)}


def test_csv_numbers_and_safe_text():
    assert csv_number(F(-3, 5)) == "-0.6" and csv_number(F(1, 3)) == "0.333333" and csv_number(F(7)) == "7"
    assert csv_number(None) == ""
    assert safe_text("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_text("-1+2") == "'-1+2" and safe_text("\tcmd") == "'\tcmd" and safe_text("Redcar") == "Redcar"


def test_rendered_csv_keeps_numbers_and_neutralises_formulas():
    rules = rules_from("indicator r { polarity lower_is_better }")
    dataset = load('area,indicator,period,value\n"=HYPERLINK(""http://evil"")",r,2005,-2\n'
                   '"=HYPERLINK(""http://evil"")",r,2006,-3\n')
    text = render_csv(evaluate(rules, dataset))
    header, row = text.splitlines()
    assert row.startswith("\"'=HYPERLINK(\"\"http://evil\"\")\",r,r,,2006,-3,2005,-2,-1,-50,up,")


@pytest.mark.parametrize("cell, expected", [('"1,029"', [("ok", D(1029))]),
                                            ('"12,345,678.5"', [("ok", D("12345678.5"))]),
                                           ('"10,29"', "E306"), ('"6,5,0"', "E306"), ('"1.029,5"', "E306")])
def test_only_true_thousands_separators_are_read(cell, expected):
    text = f"area,indicator,period,value\nX,r,2006,{cell}\n"
    if expected == "E306":
        assert [c for c, _, _ in codes(text)] == ["E306"]
    else:
        assert [("ok", v) for v in load(text).areas[0].series["r"].values.values()] == expected
