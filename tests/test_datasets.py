"""Tests for the YAML dataset loader: the seed dataset, exactness, every kind of bad input, and goldens."""

from __future__ import annotations

import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from lsprules.core.diagnostics import InputError, render
from lsprules.core.periods import PeriodKind, parse_period
from lsprules.data.model import Missing
from lsprules.data.readers.yaml_reader import load_dataset, load_dataset_bytes

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "datasets" / "redcar-cleveland-2007.yaml"
DATA = ROOT / "tests" / "data" / "datasets"
GOLDEN = ROOT / "tests" / "golden" / "datasets"

PSA1 = ["theft_of_vehicle", "theft_from_vehicle", "vehicle_interference", "domestic_burglary", "cycle_theft",
        "theft_from_person", "robbery", "common_assault", "wounding", "criminal_damage"]
NATIONAL = ["theft_from_vehicle", "theft_of_vehicle", "vehicle_interference", "domestic_burglary", "robbery",
            "criminal_damage"]


def P(label: str):
    return parse_period(label)


def errors_of(path: Path | str) -> tuple:
    """The diagnostics that loading a file raises (failing the test if it loads)."""
    with pytest.raises(InputError) as info:
        load_dataset(path)
    return info.value.diagnostics


def errors_of_bytes(data: bytes, name: str = "bad.yaml") -> tuple:
    """The diagnostics that loading some bytes raises."""
    with pytest.raises(InputError) as info:
        load_dataset_bytes(name, data)
    return info.value.diagnostics


def only(diagnostics: tuple, code: str, line: int, column: int):
    """Assert exactly one diagnostic, with this code and position; return it."""
    assert len(diagnostics) == 1, [render(d) for d in diagnostics]
    d = diagnostics[0]
    assert (d.code, d.span.line, d.span.column) == (code, line, column), render(d)
    return d


# --- the seed dataset ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed():
    return load_dataset(SEED)


@pytest.fixture(scope="module")
def area(seed):
    return seed.areas[0]


def test_seed_shape(seed, area):
    assert seed.period_kind is PeriodKind.FINANCIAL_YEAR
    assert [str(p) for p in seed.periods()] == ["2003/04", "2004/05", "2005/06", "2006/07"]
    assert area.name == "Redcar & Cleveland"
    assert len(area.series) == 11 + 6 + 11 + 5
    assert set(PSA1) | {"bcs_comparator_crimes"} <= set(area.series)
    assert {f"national_gap_{i}" for i in NATIONAL} <= set(area.series)
    assert {f"deprived_gap_{i}" for i in PSA1 + ["bcs_comparator_crimes"]} <= set(area.series)
    assert seed.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert seed.path == str(SEED)
    assert seed.title.startswith("Redcar & Cleveland Partnership")


def test_seed_themes(area):
    assert area.reported_themes == {"crime": {P("2005/06"): "AMBER_RED", P("2006/07"): "AMBER_GREEN"}}


def test_seed_psa1_values_and_arrows(area):
    theft = area.series["theft_of_vehicle"]
    assert theft.values == {P("2003/04"): Decimal(1029), P("2004/05"): Decimal(721),
                            P("2005/06"): Decimal(640), P("2006/07"): Decimal(547)}
    assert theft.reported.arrow == {P("2006/07"): "up"}
    assert area.series["theft_from_person"].reported.arrow == {P("2006/07"): "static"}
    assert area.series["criminal_damage"].reported.arrow == {P("2006/07"): "down"}


def test_seed_bcs_total_is_reported_as_printed_not_as_values(area):
    bcs = area.series["bcs_comparator_crimes"]
    assert bcs.values == {}
    assert [bcs.reported.value[P(y)] for y in ("2003/04", "2004/05", "2005/06", "2006/07")] == \
        [Decimal(10202), Decimal(9932), Decimal(10797), Decimal(10634)]
    # The report's 2003/04 total is one out: kept as printed, for lsprules to find.
    assert sum(area.series[i].values[P("2003/04")] for i in PSA1) == Decimal(10203)


def test_seed_national_gap_is_exact_with_na_for_2006(area):
    gap = area.series["national_gap_theft_of_vehicle"]
    assert gap.values[P("2004/05")] == Decimal("-0.6")
    assert str(gap.values[P("2004/05")]) == "-0.6"
    assert area.series["national_gap_theft_from_vehicle"].values[P("2003/04")] == Decimal("0.4")
    assert area.series["national_gap_criminal_damage"].values[P("2005/06")] == Decimal("-23.5")
    for name in NATIONAL:
        series = area.series[f"national_gap_{name}"]
        assert series.values[P("2006/07")] is Missing.NA
        assert list(series.reported.arrow) == [P("2005/06")]


def test_seed_deprived_gap(area):
    assert area.series["deprived_gap_bcs_comparator_crimes"].values[P("2006/07")] == Decimal("-56.7")
    assert area.series["deprived_gap_domestic_burglary"].values[P("2004/05")] == Decimal("-9.0")


def test_seed_drugs(area):
    total = area.series["drug_treatment_total"]
    assert total.values[P("2003/04")] is Missing.NA
    assert total.values[P("2006/07")] == Decimal(568)
    retained = area.series["drug_treatment_retained_12wk"]
    assert list(retained.method_breaks) == [P("2006/07")]
    assert "NTA changed the way" in retained.method_breaks[P("2006/07")]
    assert retained.reported.arrow == {P("2006/07"): "na"}
    kpi1 = area.series["dip_kpi_1"]
    assert kpi1.fields == {"contacts": {P("2006/07"): Decimal(160)}, "assessed": {P("2006/07"): Decimal(88)}}
    assert kpi1.reported.value == {P("2006/07"): Decimal(55)}
    assert set(area.series["dip_kpi_2"].fields) == {"assessed", "caseload"}
    assert set(area.series["dip_kpi_3"].fields) == {"caseload", "engaged"}


def test_no_floats_anywhere(seed):
    def walk(x):
        assert not isinstance(x, float)
        if isinstance(x, dict):
            for k, v in x.items():
                walk(k), walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
    for series in seed.areas[0].series.values():
        walk(dict(series.values)), walk({k: dict(v) for k, v in series.fields.items()})
        walk(dict(series.reported.value))


# --- value forms -----------------------------------------------------------------------------------------------

def test_value_forms_and_arrow_symbols():
    dataset = load_dataset(DATA / "minimal.yaml")
    series = dataset.areas[0].series["widgets"]
    assert dataset.period_kind is PeriodKind.CALENDAR_YEAR  # `2004:` is a label, not a number
    assert series.values == {P("2004"): Decimal("0.1"), P("2005"): Missing.NA, P("2006"): Missing.NA,
                             P("2007"): Missing.SUPPRESSED, P("2008"): Decimal("-0.60"), P("2009"): Decimal("1500")}
    assert str(series.values[P("2004")]) == "0.1"  # exact: not 0.1000000000000000055511151231257827
    assert list(series.reported.arrow.values()) == ["up", "static", "down", "peak", "na"]
    assert series.reported.rag == {P("2009"): "green"}


def test_multi_area_form():
    dataset = load_dataset(DATA / "multi-area.yaml")
    assert [a.name for a in dataset.areas] == ["Redcar & Cleveland", "Middlesbrough"]
    assert dataset.areas[1].series["robbery"].values[P("2006/07")] == Decimal(98)
    assert dataset.areas[0].reported_themes == {"crime": {P("2006/07"): "AMBER_GREEN"}}


def test_bom_and_crlf_still_load():
    text = "area: Testshire\r\nindicators:\r\n  robbery:\r\n    values: {2005/06: 75}\r\n"
    data = b"\xef\xbb\xbf" + text.encode()
    dataset = load_dataset_bytes("bom.yaml", data)
    assert dataset.areas[0].series["robbery"].values == {P("2005/06"): Decimal(75)}
    assert dataset.sha256 == hashlib.sha256(data).hexdigest()  # of the raw bytes, BOM and all


def test_bom_crlf_errors_have_the_right_position():
    data = b"\xef\xbb\xbfarea: Testshire\r\nindicators:\r\n  robbery:\r\n    values: {2005/06: abc}\r\n"
    only(errors_of_bytes(data), "E302", 4, 23)


# --- bad input: every stage -------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    d = only_without_span(errors_of(tmp_path / "nope.yaml"), "E001")
    assert "nope.yaml" in d.message and "No such file" in d.message


def only_without_span(diagnostics: tuple, code: str):
    assert len(diagnostics) == 1 and diagnostics[0].code == code and diagnostics[0].span is None
    return diagnostics[0]


def test_directory_is_unreadable(tmp_path):
    only_without_span(errors_of(tmp_path), "E001")


def test_invalid_utf8_points_at_the_byte():
    d = only(errors_of_bytes(b"area: x\nindicators:\n  caf\xe9: {values: {2006: 1}}\n"), "E002", 3, 6)
    assert "0xe9" in d.message


def test_invalid_yaml():
    d = only(errors_of(DATA / "invalid-yaml.yaml"), "E301", 5, 13)
    assert "line 4" in d.hint


def test_duplicate_key_is_reported_at_the_second():
    d = only(errors_of(DATA / "duplicate-key.yaml"), "E301", 7, 7)
    assert "duplicate key '2005/06'" in d.message and "line 5" in d.message


def test_python_tag_is_refused_and_never_run():
    d = only(errors_of(DATA / "python-tag.yaml"), "E301", 6, 16)
    assert "tags are not allowed" in d.message and "!!python/object/apply:os.system" in d.message


def test_alias_is_refused():
    only(errors_of(DATA / "alias.yaml"), "E301", 5, 11)


def test_recursive_alias_does_not_loop():
    errors_of_bytes(b"area: x\nindicators: &a {b: *a}\n")


def test_empty_file():
    d = only(errors_of(DATA / "empty.yaml"), "E302", 1, 1)
    assert "found an empty file" in d.message
    only(errors_of_bytes(b""), "E302", 1, 1)


def test_not_a_mapping():
    d = only(errors_of(DATA / "not-a-mapping.yaml"), "E302", 1, 1)
    assert d.message.endswith("found a list")


def test_unknown_key_suggests_the_right_one():
    d = only(errors_of(DATA / "unknown-key.yaml"), "E302", 5, 5)
    assert d.message == "indicators.robbery: unknown key 'valeus'"
    assert d.hint == "did you mean 'values'?"


def test_text_in_a_value_cell():
    d = only(errors_of(DATA / "text-in-value.yaml"), "E302", 4, 36)
    assert d.message == ("indicators.robbery.values.2006/07: expected a number, 'na', 'N/A' or 'suppressed', "
                         "found 'abc'")


@pytest.mark.parametrize("cell, hint", [
    ('"547"', "without quotes"),
    ("72%", "72"),
    ("1_000", "plain decimal"),
    (".inf", "plain decimal"),
    ("0x1F", "plain decimal"),
    ("NA", "did you mean 'na'?"),
    ("", "write na"),
])
def test_non_numbers_in_value_cells(cell, hint):
    data = f"area: x\nindicators:\n  a:\n    values:\n      2006: {cell}\n".encode()
    d = only(errors_of_bytes(data), "E302", 5, 7 if cell == "" else 13)
    assert hint in d.hint


def test_both_forms_at_once():
    diagnostics = errors_of(DATA / "both-forms.yaml")
    assert [(d.code, d.span.line) for d in diagnostics] == [("E302", 1), ("E302", 2)]
    assert "cannot be used together with 'areas'" in diagnostics[0].message


def test_neither_form():
    diagnostics = errors_of_bytes(b"title: nothing here\n")
    assert sorted(d.message for d in diagnostics) == ["top level: missing key 'area'",
                                                      "top level: missing key 'indicators'"]


def test_bad_period_label():
    d = only(errors_of(DATA / "bad-period.yaml"), "E303", 6, 7)
    assert "not a financial year" in d.message


def test_mixed_period_kinds():
    diagnostics = errors_of(DATA / "mixed-periods.yaml")
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("E303", 5, 41), ("E303", 9, 18)]
    assert diagnostics[0].message == "period 2006 is a calendar year, but this dataset's periods are financial years"


def test_declared_period_kind_wins():
    d = only(errors_of(DATA / "declared-kind.yaml"), "E303", 5, 14)
    assert d.message == "period 2005/06 is a financial year, but this dataset declares period_kind: calendar_year"


def test_every_schema_error_is_reported_in_order():
    diagnostics = errors_of(DATA / "golden-schema.yaml")
    positions = [(d.span.line, d.span.column) for d in diagnostics]
    assert len(diagnostics) == 7 and positions == sorted(positions)
    assert {d.code for d in diagnostics} == {"E302"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abn:-{}[]&*!|>'\"#%@ \n\t,.?/0123456789_~é▲")), max_size=80))
def test_any_text_loads_or_gives_diagnostics(text):
    for data in (text.encode(), ("area: x\nindicators:\n  a:\n    values: " + text).encode()):
        try:
            load_dataset_bytes("fuzz.yaml", data)
        except InputError as exc:
            assert exc.diagnostics


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=60))
def test_any_bytes_load_or_give_diagnostics(data):
    try:
        load_dataset_bytes("fuzz.yaml", data)
    except InputError as exc:
        assert exc.diagnostics


# --- the schema itself ---------------------------------------------------------------------------------------------

def test_schema_is_valid_draft_2020_12():
    schema = json.loads((ROOT / "schemas" / "dataset.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert all("description" in d for d in schema["$defs"].values())


# --- goldens: the exact rendered diagnostics -------------------------------------------------------------------

def assert_golden(name: str, text: str) -> None:
    """Compare with tests/golden/datasets/<name>.txt; LSPRULES_UPDATE_GOLDENS=1 rewrites it (review the diff)."""
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("LSPRULES_UPDATE_GOLDENS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with LSPRULES_UPDATE_GOLDENS=1 and review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["golden-schema", "python-tag", "mixed-periods"])
def test_rendered_diagnostics_golden(name):
    display = f"tests/data/datasets/{name}.yaml"  # stable, whatever the working directory
    diagnostics = errors_of_bytes((DATA / f"{name}.yaml").read_bytes(), display)
    assert_golden(name, "\n\n".join(render(d) for d in diagnostics) + "\n")
