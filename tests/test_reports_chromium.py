"""The HTML report in a real browser (headless Chromium): it renders the theme rating and every indicator,
and a script planted in the rules or data neither runs nor appears as markup."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chromium_helpers import dump_dom, print_to_pdf, run_chromium, screenshot
from office_helpers import page_fill
from test_reports_formats import FORMULA, planted_files

ROOT = Path(__file__).resolve().parents[1]


class _Cells(HTMLParser):
    """Collects the text of row headers (indicator titles), rating pills, and every element's tag name."""

    def __init__(self):
        super().__init__()
        self.titles: list[str] = []
        self.pills: list[str] = []
        self.tags: set[str] = set()
        self.body_attrs: dict = {}
        self._into: list | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        if tag == "body":
            self.body_attrs = attrs
        if tag == "th" and attrs.get("scope") == "row":
            self._into = self.titles
            self.titles.append("")
        elif tag == "strong" and "pill" in (attrs.get("class") or ""):
            self._into = self.pills
            self.pills.append("")

    def handle_endtag(self, tag):
        if tag in ("th", "strong"):
            self._into = None

    def handle_data(self, data):
        if self._into is not None:
            self._into[-1] += data


def rendered(binary: str, rules: Path, data: Path, folder: Path) -> tuple[_Cells, str]:
    page = folder / "report.html"
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", str(rules), str(data), "-f", "html",
                             "-o", str(page)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    dom = dump_dom(binary, page)
    cells = _Cells()
    cells.feed(dom)
    return cells, dom


def test_report_renders_theme_rating_and_every_indicator(chromium, tmp_path):
    from lsprules.lang.resolve import load_rules

    cells, dom = rendered(chromium, ROOT / "rules" / "crime.rules", ROOT / "datasets" / "redcar-cleveland-2007.yaml",
                          tmp_path)
    assert cells.pills == ["AMBER RED", "AMBER GREEN"]  # the previous period's rating, then this one
    titles = [spec.title for spec in load_rules(ROOT / "rules" / "crime.rules").indicators.values()]
    assert cells.titles == titles and len(titles) == 33
    assert dom.count("<svg") == 33 and "script" not in cells.tags
    screenshot(chromium, tmp_path / "report.html", tmp_path / "report.png")
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_prints_on_a4_pages(chromium, tmp_path):
    rendered(chromium, ROOT / "rules" / "crime.rules", ROOT / "datasets" / "redcar-cleveland-2007.yaml", tmp_path)
    pdf = print_to_pdf(chromium, tmp_path / "report.html", tmp_path / "report.pdf")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)  # A4 in points
    assert 1 < len(boxes) <= 6  # the four tables fit a short board paper


def test_planted_script_does_not_run(chromium, tmp_path):
    rules, data = planted_files(tmp_path)
    cells, dom = rendered(chromium, rules, data, tmp_path)
    assert "script" not in cells.tags and "img" not in cells.tags
    assert "data-owned" not in cells.body_attrs  # neither the <script> nor the <img onerror> ran
    title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert title.startswith("&lt;script&gt;document.title='owned'")  # the page title is the text, unchanged
    assert any(t.startswith("<script>document.title") for t in cells.titles)  # shown to the reader as text
    assert FORMULA.replace("&", "&amp;").replace('"', "&quot;") in dom or FORMULA.replace("&", "&amp;") in dom


# A page that shows a report in a frame of a given width (headless Chromium's window is never narrower than
# 500 px, a frame is) and measures where the first row's cells sit: name, latest value, arrow, RAG.
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="border:0;width:{width}px;height:900px"></iframe>
<script>
document.getElementById("f").addEventListener("load", () => {{
  const w = document.getElementById("f").contentWindow;
  const row = w.document.querySelector("tbody tr");
  const box = (e) => {{ const r = e.getBoundingClientRect(); return [Math.round(r.left), Math.round(r.right)]; }};
  document.body.dataset.cells = JSON.stringify([...row.children].slice(0, 4).map(box));
  document.body.dataset.sticky = w.getComputedStyle(row.children[0]).position;
  document.body.dataset.viewport = String(w.innerWidth);
}});
</script></body></html>"""


def measured(binary: str, page: Path, width: int) -> dict:
    import json

    probe = page.with_name(f"probe-{width}.html")
    probe.write_text(PROBE.format(width=width), encoding="utf-8")
    result = run_chromium(binary, "--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom",
                          probe.as_uri())
    attrs = re.search(r"<body([^>]*)>", result.stdout).group(1)
    found = dict(re.findall(r'data-(\w+)="([^"]*)"', attrs))
    return {"cells": json.loads(found["cells"].replace("&quot;", '"')), "sticky": found["sticky"],
            "viewport": int(found["viewport"])}


@pytest.mark.parametrize("width", [390, 1240])
def test_value_arrow_and_rag_are_in_view_at_first_and_the_name_stays(chromium, tmp_path, width):
    rendered(chromium, ROOT / "rules" / "crime.rules", ROOT / "datasets" / "redcar-cleveland-2007.yaml", tmp_path)
    found = measured(chromium, tmp_path / "report.html", width)
    name, value, arrow, rag = found["cells"]
    assert found["viewport"] == width and found["sticky"] == "sticky"
    assert name[0] >= 0 and name[1] <= value[0] <= arrow[0] <= rag[0]
    assert rag[1] <= width, f"the RAG cell ends at {rag[1]} px, off a {width} px screen"
    screenshot(chromium, tmp_path / "report.html", tmp_path / f"report-{width}.png", width=width, height=900)
    assert (tmp_path / f"report-{width}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("example", ["crime", "districts"])
def test_a4_print_has_no_page_under_half_full_but_the_last(chromium, tmp_path, example):
    files = {"crime": ("crime.rules", "redcar-cleveland-2007.yaml"), "districts": ("districts.rules",
                                                                                  "districts-2006-07.csv")}
    rules, data = files[example]
    rendered(chromium, ROOT / "rules" / rules, ROOT / "datasets" / data, tmp_path)
    pdf = tmp_path / "report.pdf"
    print_to_pdf(chromium, tmp_path / "report.html", pdf)
    fills = page_fill(pdf)
    assert len(fills) > 1 and all(f >= 0.5 for f in fills[:-1]), fills
