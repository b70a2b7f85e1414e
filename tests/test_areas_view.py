"""`--view areas`: every area side by side in table, CSV, Markdown, HTML and Word, with theme ratings, counts
by RAG band and ranks within the comparator group, checked against the per-assessment CSV of the same run."""

import csv
import io
import json
import re
from collections import Counter

import docx
import pytest

from chromium_helpers import sort_and_filter
from test_reports_formats import EXAMPLES, check_golden, report, run

AREAS = ["Northby", "Southby", "Eastmoor", "Westvale"]


def areas(fmt: str, *extra: str, example: str = "districts") -> str:
    return report(example, fmt, "--view", "areas", *extra)


def expected_counts() -> dict[str, Counter]:
    """RAG bands per area, counted from the ordinary CSV (one row per assessment)."""
    rows = list(csv.DictReader(io.StringIO(report("districts", "csv"))))
    return {area: Counter(r["rag"] for r in rows if r["area"] == area) for area in AREAS}


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "html"])
def test_matches_golden(fmt):
    suffix = {"table": "txt", "csv": "csv", "markdown": "md", "html": "html"}[fmt]
    text = areas(fmt)
    check_golden(f"districts-areas.{suffix}", re.sub(r"^ +git \S+ \w+\n", "", text, flags=re.M))


def test_csv_has_theme_ratings_counts_ranks_and_a_cell_per_indicator():
    rows = list(csv.DictReader(io.StringIO(areas("csv"))))
    assert [r["area"] for r in rows] == AREAS
    counts = expected_counts()
    for row in rows:
        assert {band: int(row[f"count:{band}"]) for band in ("green", "amber", "red", "na")} == \
            {band: counts[row["area"]].get(band, 0) for band in ("green", "amber", "red", "na")}
        assert row["theme:community_safety"] in ("GREEN", "AMBER_GREEN", "AMBER_RED", "RED")
        assert row["previous_theme:community_safety"]
    themes = json.loads(report("districts", "json"))["themes"]
    assert {t["area"]: t["rating"] for t in themes} == {r["area"]: r["theme:community_safety"] for r in rows}
    # ranks: more green first, then fewer red, then more amber
    score = {r["area"]: (int(r["count:green"]), -int(r["count:red"]), int(r["count:amber"])) for r in rows}
    for row in rows:
        better = sum(1 for other in score.values() if other > score[row["area"]])
        assert int(row["rank:Most similar group"]) == better + 1
    assert rows[0]["rag:burglary_gap"] in ("green", "amber", "red", "na") and rows[0]["arrow:burglary_gap"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_every_area_and_its_counts_are_shown(fmt):
    text = areas(fmt)
    for area in AREAS:
        assert area in text
    counts = expected_counts()
    for area in AREAS:
        c = counts[area]
        numbers = f"{c.get('green', 0)}", f"{c.get('amber', 0)}", f"{c.get('red', 0)}", f"{c.get('na', 0)}"
        line = next(line for line in text.splitlines() if area in line and ("of 4" in line))
        line = re.sub(r"<[^>]+>", " ", line)  # HTML: the cells' text
        assert re.findall(r"(?<![\w/])\d+(?![\w/])", line)[:4] == list(numbers), (fmt, line)


def test_word_document_has_every_area_with_shaded_cells(tmp_path):
    path = tmp_path / "areas.docx"
    result = run("evaluate", *EXAMPLES["districts"], "--view", "areas", "-f", "docx", "-o", str(path))
    assert result.returncode == 0, result.stderr
    summary, cells = docx.Document(str(path)).tables[:2]
    assert [r.cells[0].text for r in summary.rows[1:]] == AREAS
    assert [r.cells[0].text for r in cells.rows[1:]] == AREAS and len(cells.columns) == 1 + 9


def test_json_has_no_areas_view():
    result = run("evaluate", *EXAMPLES["districts"], "--view", "areas", "-f", "json")
    assert result.returncode == 2 and "error[E521]" in result.stderr and result.stdout == ""


def test_html_sorts_and_filters_in_a_browser(chromium, tmp_path):
    (tmp_path / "areas.html").write_text(areas("html"), encoding="utf-8")
    found = sort_and_filter(chromium, tmp_path, "areas.html")
    reds = {area: c.get("red", 0) for area, c in expected_counts().items()}
    down = found["down"].split(",")
    assert sorted(down) == sorted(AREAS) and [reds[a] for a in down] == sorted(reds.values(), reverse=True)
    assert [reds[a] for a in found["up"].split(",")] == sorted(reds.values())
    assert found["filtered"] == "Westvale"


def test_the_crime_example_works_too():
    text = areas("markdown", example="crime")
    assert "| Redcar & Cleveland | AMBER RED → **AMBER GREEN** | 7 | 12 | 12 | 2 |" in text

