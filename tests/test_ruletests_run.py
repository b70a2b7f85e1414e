"""`lsprules test`: the shipped rule tests pass with full coverage; failures show expected, actual and values."""

import json
import textwrap

import pytest

from audit_helpers import check_golden, run, workspace


@pytest.fixture()
def ws(tmp_path):
    return workspace(tmp_path)


def write(ws, name: str, text: str):
    path = ws / "rules" / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_shipped_tests_pass_and_exercise_every_clause_of_crime_rules(ws):
    result = run("test", "--coverage", "rules/crime.tests.yaml", cwd=ws)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout
    assert "16 of 16 clauses exercised — every clause" in result.stdout
    assert "never exercised" not in result.stdout
    for line in ("bands never produced: none", "arrows never produced: none", "theme ratings never produced: none"):
        assert line in result.stdout
    check_golden("ruletests/crime-coverage.txt", result.stdout)


def test_coverage_json_lists_every_clause_of_the_file(ws):
    document = json.loads(run("test", "--coverage", "-f", "json", "rules/crime.tests.yaml", cwd=ws).stdout)
    (coverage,) = document["coverage"]
    assert coverage["complete"] is True and document["failed"] == 0
    text = (ws / "rules" / "crime.rules").read_text(encoding="utf-8").splitlines()
    clause_lines = [i for i, line in enumerate(text, 1)
                    if " when " in line.split("#")[0] or line.split("#")[0].strip().endswith("otherwise")]
    assert sorted(c["line"] for c in coverage["clauses"]) == clause_lines


@pytest.mark.parametrize("name", ["five-band", "tolerance"])
def test_every_shipped_example_passes_its_tests_with_every_clause_exercised(ws, name):
    document = json.loads(run("test", "--coverage", "-f", "json", f"rules/{name}.tests.yaml", cwd=ws).stdout)
    (coverage,) = document["coverage"]
    assert document["failed"] == 0 and document["passed"] >= 3
    assert coverage["complete"] is True and all(c["decided"] for c in coverage["clauses"])


def test_a_missing_case_shows_up_as_a_clause_never_exercised(ws):
    tests = ws / "rules" / "crime.tests.yaml"
    text = tests.read_text(encoding="utf-8")
    start = text.index("  - name: exactly 75 % of members improving")
    end = text.index("  - name: exactly 75 % of members declining")
    tests.write_text(text[:start] + text[end:], encoding="utf-8")
    result = run("test", "--coverage", "rules/crime.tests.yaml", cwd=ws)
    assert result.returncode == 0
    assert "15 of 16 clauses exercised" in result.stdout
    clause = "GREEN when share(arrow is up) >= 75 %"
    lines = (ws / "rules" / "crime.rules").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, start=1) if clause in text)
    assert f"✗ never exercised line {line} theme crime: {clause}" in result.stdout
    assert "theme ratings never produced: crime GREEN" in result.stdout


def test_failures_show_expected_actual_and_the_values(ws):
    write(ws, "wrong.tests.yaml", """\
        rules: crime.rules
        cases:
          - name: off trajectory but called green
            data:
              indicators:
                theft_of_vehicle: {values: {2003/04: 1000, 2005/06: 900, 2006/07: 869}}
            expect:
              theft_of_vehicle: {arrow: down, rag: green}
              crime: {rating: RED}
              theft_of_vehicel: {rag: red}
        """)
    result = run("test", "rules/wrong.tests.yaml", cwd=ws)
    assert result.returncode == 1
    assert ("theft_of_vehicle: expected arrow ▼ worse, got ▲ improved; expected rag green, got amber — value 869 "
            "(2006/07), previous 900 (2005/06), change −31 (−3.4 %), arrow ▲ improved, trajectory 868.75") \
        in result.stdout
    assert "crime: expected rating RED, got GREEN" in result.stdout
    assert "theft_of_vehicel: no such indicator or theme in the rules — did you mean 'theft_of_vehicle'?" \
        in result.stdout
    assert "1 case: 0 passed, 1 failed" in result.stdout


def test_with_settings_for_one_case(ws):
    # Baseline 50 reduced by 17.5 %: trajectory 43.4 in 2006/07, so 55 is off it (amber, having improved);
    # with a fixed target of 60 instead, 55 is better than the target (green).
    write(ws, "with.tests.yaml", """\
        rules: crime.rules
        cases:
          - name: a fixed target
            with: {robbery: "target 60"}
            data: {indicators: {robbery: {values: {2003/04: 50, 2005/06: 60, 2006/07: 55}}}}
            expect: {robbery: {rag: green}}
          - name: without it, the profile's target
            data: {indicators: {robbery: {values: {2003/04: 50, 2005/06: 60, 2006/07: 55}}}}
            expect: {robbery: {rag: amber}}
          - name: unknown indicator in with
            with: {robbrey: "target 50"}
            data: {indicators: {robbery: {values: {2006/07: 1}}}}
            expect: {robbery: {rag: red}}
        """)
    result = run("test", "rules/with.tests.yaml", cwd=ws)
    assert "✓ a fixed target" in result.stdout and "✓ without it, the profile's target" in result.stdout
    assert "`with` names unknown indicator 'robbrey'" in result.stdout and result.returncode == 1


def test_values_compare_at_the_precision_written(ws):
    write(ws, "values.tests.yaml", """\
        rules: crime.rules
        cases:
          - name: one third
            data: {indicators: {dip_kpi_1: {fields: {contacts: {2006/07: 3}, assessed: {2006/07: 1}}}}}
            expect: {dip_kpi_1: {value: 33.3}}
          - name: too precise
            data: {indicators: {dip_kpi_1: {fields: {contacts: {2006/07: 3}, assessed: {2006/07: 1}}}}}
            expect: {dip_kpi_1: {value: 33.4}}
        """)
    result = run("test", "rules/values.tests.yaml", cwd=ws)
    assert "✓ one third" in result.stdout and "expected value 33.4, got ≈33.3333" in result.stdout


@pytest.mark.parametrize("text, message", [
    ("rules: crime.rules\ncases:\n  - name: x\n    data: {}\n    expect: {robbery: {arow: up}}\n",
     "with.tests.yaml:5:23: error[E302]: cases.0.expect.robbery: Additional properties are not allowed"),
    ("rules: crime.rules\ncases: [\n", "error[E301]: the test file is not valid YAML"),
    ("rules: missing.rules\ncases:\n  - {name: x, data: {}, expect: {a: {rag: red}}}\n", "E001"),
])
def test_bad_test_files_exit_2(ws, text, message):
    (ws / "rules" / "with.tests.yaml").write_text(text, encoding="utf-8")
    result = run("test", "rules/with.tests.yaml", cwd=ws)
    assert result.returncode == 2 and message in result.stderr


def test_no_tests_found_exits_2(tmp_path):
    (tmp_path / "rules").mkdir()
    result = run("test", cwd=tmp_path)
    assert result.returncode == 2 and "no rule tests (*.tests.yaml) found in rules" in result.stderr


def test_with_settings_merge_into_the_indicators_own_blocks(ws):
    # dip_kpi_1 has its own fixed target; drug_treatment_total its own arrow block (compare + 1.5 %).
    write(ws, "merge.tests.yaml", """\
        rules: crime.rules
        cases:
          - name: a lower fixed target replaces the indicator's own
            with: {dip_kpi_1: "target 50 %"}
            data: {indicators: {dip_kpi_1: {fields: {contacts: {2006/07: 100}, assessed: {2006/07: 55}}}}}
            expect: {dip_kpi_1: {rag: green}}
          - name: a wider tolerance merges into the indicator's own arrow block
            with: {drug_treatment_total: "arrow { static within 10 % }"}
            data: {indicators: {drug_treatment_total: {values: {2005/06: 100, 2006/07: 108}}}}
            expect: {drug_treatment_total: {arrow: static}}
        """)
    result = run("test", "rules/merge.tests.yaml", cwd=ws)
    assert result.returncode == 0, result.stdout
