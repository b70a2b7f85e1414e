"""Bad input never gets through and never leaves a file behind: every malformed CSV, workbook, JSON file or
merge gets an error naming the file and the row, cell or line, exit code 2, and no output file."""

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from lsprules.core.diagnostics import InputError, render
from lsprules.core.periods import PeriodKind
from lsprules.data.load import load_all
from lsprules.data.readers.json_reader import load_json_bytes
from lsprules.data.readers.xlsx_reader import load_xlsx, load_xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules" / "crime.rules"
HEADER = "area,indicator,period,value\n"


def run_to_file(tmp_path: Path, *datasets: Path, fmt: str = "html") -> str:
    """Run evaluate with -o; assert exit 2, no traceback, and nothing at all written; return stderr."""
    out = Path(tempfile.mkdtemp(dir=tmp_path)) / f"report.{fmt}"
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", str(RULES), *map(str, datasets),
                             "-f", fmt, "-o", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(out.parent.iterdir()) == []  # no report, and no temporary file either
    return result.stderr


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- CSV ----------------------------------------------------------------------------------------------


def test_csv_missing_column(tmp_path):
    stderr = run_to_file(tmp_path, write(tmp_path, "bad.csv", "area,indicator,period\nX,robbery,2006/07\n"))
    assert "bad.csv:1:1: error[E305]: row 1: missing column: value" in stderr
    assert "1 | area,indicator,period" in stderr and "= help:" in stderr


def test_csv_text_in_a_value_cell(tmp_path):
    bad = write(tmp_path, "bad.csv", HEADER + "X,robbery,2005/06,75\nX,robbery,2006/07,lots\n")
    stderr = run_to_file(tmp_path, bad)
    assert "bad.csv:3:19: error[E306]: row 3, column 4: expected a number, found 'lots'" in stderr
    assert "3 | X,robbery,2006/07,lots\n  |                   ^^^^" in stderr


def test_csv_duplicate_row_with_a_different_value(tmp_path):
    stderr = run_to_file(tmp_path, write(tmp_path, "bad.csv", HEADER + "X,robbery,2006/07,75\nX,robbery,2006/07,76\n"))
    assert "bad.csv:3:19: error[E307]: row 3, column 4: robbery for X in 2006/07 is 76 here but 75 at row 2" in stderr


@pytest.mark.parametrize("fmt", ["csv", "markdown", "json", "table"])
def test_no_partial_file_in_any_format(tmp_path, fmt):
    run_to_file(tmp_path, write(tmp_path, "bad.csv", HEADER + "X,robbery,2006/07,n.a.\n"), fmt=fmt)


# --- .xlsx --------------------------------------------------------------------------------------------


def workbook(tmp_path: Path, rows: list[list], name: str = "bad.xlsx", title: str = "Crime") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(tmp_path / name)
    return tmp_path / name


def test_xlsx_text_in_a_value_cell_names_the_cell(tmp_path):
    path = workbook(tmp_path, [["area", "indicator", "period", "value"], ["X", "robbery", "2005/06", 75],
                               ["X", "robbery", "2006/07", "seventy-six"]])
    stderr = run_to_file(tmp_path, path)
    assert "bad.xlsx:3:4: error[E306]: Crime!D3: expected a number, found 'seventy-six'" in stderr
    assert "= help: type a plain number" in stderr


def test_xlsx_missing_column_and_duplicate(tmp_path):
    path = workbook(tmp_path, [["area", "indicator", "period"], ["X", "robbery", "2005/06"]])
    assert "Crime!A1: missing column: value" in run_to_file(tmp_path, path)
    path = workbook(tmp_path, [["area", "indicator", "period", "value"], ["X", "robbery", "2005/06", 75],
                               ["X", "robbery", "2005/06", 80]], name="dup.xlsx")
    assert "Crime!D3: robbery for X in 2005/06 is 80 here but 75 at Crime!D2" in run_to_file(tmp_path, path)


def test_xlsx_formula_without_a_saved_value_is_an_error_not_a_missing_value(tmp_path):
    # openpyxl, like any program, writes formulas without their results: read as values they look empty.
    path = workbook(tmp_path, [["area", "indicator", "period", "value"], ["X", "robbery", "2005/06", 75],
                               ["X", "robbery", "2006/07", "=D2+1"]])
    stderr = run_to_file(tmp_path, path)
    assert "bad.xlsx:3:4: error[E310]: Crime!D3: this formula has no saved value" in stderr


def test_xlsx_published_layout_problems_name_cells(tmp_path):
    path = workbook(tmp_path, [["area", "indicator", "2005/06", "2006/07", "Trend"],
                               ["X", "Robbery", 75, "76 (2006/7)"]])
    with pytest.raises(InputError) as caught:
        load_xlsx(path)
    messages = [d.message for d in caught.value.diagnostics]
    assert messages == ["Crime!E1: unknown column 'Trend': neither a period nor one of area, indicator, field, "
                        "title, comments, reported_arrow"]
    path = workbook(tmp_path, [["area", "indicator", "2005/06", "2006/07"], ["X", "Robbery", 75, 76],
                               ["X", "robbery", 75, "76 (2006/7)"], ["X", "theft", "three", 3]], name="b.xlsx")
    with pytest.raises(InputError) as caught:
        load_xlsx(path)
    assert [(d.code, d.message.split(":")[0]) for d in caught.value.diagnostics] == [
        ("E310", "Crime!B2"), ("E303", "Crime!D3"), ("E306", "Crime!C4")]


def test_xlsx_mixing_kinds_of_period_is_refused(tmp_path):
    path = workbook(tmp_path, [["area", "indicator", "period", "value"], ["X", "r", "2005/06", 1],
                               ["X", "r", "2007", 2]])
    with pytest.raises(InputError) as caught:
        load_xlsx(path)
    (d,) = caught.value.diagnostics
    assert d.code == "E303" and d.message == ("Crime!C3: period 2007 is a calendar year, but this file's periods "
                                              "are financial years (Crime!C2)")


def test_corrupt_xlsx_is_an_error_not_a_traceback(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    stderr = run_to_file(tmp_path, path)
    assert "error[E311]: broken.xlsx cannot be read as an .xlsx workbook" in stderr.replace(str(tmp_path) + "/", "")
    with pytest.raises(InputError):
        load_xlsx_bytes("empty.xlsx", b"")


def test_xlsx_without_data(tmp_path):
    book = Workbook()
    book.save(tmp_path / "empty.xlsx")
    with pytest.raises(InputError) as caught:
        load_xlsx(tmp_path / "empty.xlsx")
    assert caught.value.diagnostics[0].code == "E310" and "holds no data" in caught.value.diagnostics[0].message


# --- JSON ---------------------------------------------------------------------------------------------


def json_error(text: str) -> str:
    with pytest.raises(InputError) as caught:
        load_json_bytes("d.json", text.encode("utf-8"))
    return "\n".join(render(d) for d in caught.value.diagnostics)


def test_json_syntax_error_has_a_caret():
    rendered = json_error('{"area": "X",\n "indicators": {"r": {"values": {"2006": 1,}}}}\n')
    assert rendered.startswith("d.json:2:44: error[E312]: invalid JSON: Expecting property name")
    assert "2 |  \"indicators\"" in rendered and "^" in rendered


def test_json_schema_errors_point_at_the_value():
    rendered = json_error('{"area": "X",\n "indicators": {"r": {"values": {"2006": "lots"}}}}')
    assert rendered.startswith("d.json:2:42: error[E302]: indicators.r.values.2006: expected a number")


@pytest.mark.parametrize("text, code", [
    ('{"area": "X", "area": "Y", "indicators": {"r": {"values": {"2006": 1}}}}', "E312"),
    ('{"area": "X", "indicators": {"r": {"values": {"2006": NaN}}}}', "E312"),
    ('[1, 2]', "E302"),
    ('', "E312"),
    ('{"area": "X", "indicators": {"r": {"values": {"2006/08": 1}}}}', "E303"),
    ('[' * 100000, "E312"),
])
def test_json_problems(text, code):
    assert f"error[{code}]" in json_error(text)


# --- merging ------------------------------------------------------------------------------------------


def test_merge_conflict_names_both_files(tmp_path):
    a = write(tmp_path, "local.csv", HEADER + "X,robbery,2006/07,75\n")
    b = write(tmp_path, "national.csv", HEADER + "X,robbery,2006/07,76\nE,robbery,2006/07,1\n")
    with pytest.raises(InputError) as caught:
        load_all([a, b])
    (d,) = caught.value.diagnostics
    assert d.code == "E313" and d.message.endswith("X · robbery · 2006/07: " + str(a) + " gives 75 but " + str(b)
                                                   + " gives 76")
    stderr = run_to_file(tmp_path, a, b)
    assert "error[E313]" in stderr


def test_merge_refuses_mixed_years_unless_told(tmp_path):
    a = write(tmp_path, "local.csv", HEADER + "X,robbery,2006/07,75\n")
    b = write(tmp_path, "national.csv", HEADER + "E,robbery,2006,70\n")
    with pytest.raises(InputError) as caught:
        load_all([a, b])
    assert caught.value.diagnostics[0].code == "E314" and "--years financial_year" in caught.value.diagnostics[0].hint
    merged, files = load_all([a, b], years=PeriodKind.FINANCIAL_YEAR)
    assert [p.label for p in merged.periods()] == ["2006/07"] and len(files) == 2


def test_all_files_are_checked_in_one_run(tmp_path):
    a = write(tmp_path, "a.csv", HEADER + "X,robbery,2006/07,lots\n")
    b = write(tmp_path, "b.json", "{")
    stderr = run_to_file(tmp_path, a, b)
    assert "a.csv:2:19: error[E306]" in stderr and "b.json:1:2: error[E312]" in stderr and "2 errors" in stderr


def test_unknown_extension_says_how_to_convert(tmp_path):
    stderr = run_to_file(tmp_path, write(tmp_path, "old.xls", "x"))
    assert "error[E001]" in stderr and "save it as an Excel Workbook (.xlsx)" in stderr
