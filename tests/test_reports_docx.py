"""The Word report: read back with python-docx (title, key, theme ratings, one table per section with RAG
cells shaded and worded, comments, provenance in the footer), byte-identical across runs, and converted to
PDF by LibreOffice to look at its pages."""

import subprocess
import sys
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from office_helpers import pdf_pages, pdf_text, to_pdf

ROOT = Path(__file__).resolve().parents[1]
CRIME = ("rules/crime.rules", "datasets/redcar-cleveland-2007.yaml")


def word(folder: Path, *args: str, name: str = "report.docx") -> Path:
    path = folder / name
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", *args, "-f", "docx", "-o", str(path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return path


def fill(cell) -> str | None:
    shading = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return shading.get(qn("w:fill")) if shading is not None else None


@pytest.fixture(scope="module")
def crime(tmp_path_factory) -> Path:
    return word(tmp_path_factory.mktemp("docx"), *CRIME)


def test_reads_back_as_a_committee_report(crime):
    document = docx.Document(str(crime))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0].startswith("Redcar & Cleveland Partnership — LSP Performance Management 2007")
    assert any("2005/06  AMBER RED  → 2006/07  AMBER GREEN" in p for p in paragraphs)
    assert any("National data for 2006/07 was not yet available" in p for p in paragraphs)  # the comments
    assert any(p.startswith("Source: Redcar & Cleveland Partnership") for p in paragraphs)
    key, *sections = document.tables
    terms = {row.cells[0].text: row.cells[1].text for row in key.rows}
    assert terms["GREEN"].startswith("improving at a rate sufficient to meet or exceed target")
    assert "Trajectory" in terms and fill(next(r.cells[0] for r in key.rows if r.cells[0].text == "RED")) == "B3261E"
    assert len(sections) == 4  # one table per section of the rules
    headers = [[c.text for c in t.rows[0].cells] for t in sections]
    assert all(h[:4] == ["Indicator", "2006/07", "Arrow", "RAG"] for h in headers)
    assert sum(len(t.rows) - 1 for t in sections) == 33  # a row per indicator
    rows = {r.cells[0].text: r.cells for t in sections[::-1] for r in t.rows[1:]}  # the first section's row wins
    theft = rows["Theft of Vehicle"]
    assert [theft[1].text, theft[2].text, theft[3].text] == ["547", "▲ improved", "● GREEN"]
    assert fill(theft[3]) == "1E7B34"
    dip = rows["DIP KPI 1 – adults in contact with the CJIT who are assessed"]
    assert dip[1].text == "55%" and dip[4].text == "60%" and "88 of 160" in dip[-1].text
    footer = document.sections[0].footer.paragraphs[0].text
    assert "sha256" in footer and "rules/crime.rules" in footer


def test_the_same_inputs_give_the_same_bytes(tmp_path, crime):
    again = word(tmp_path, *CRIME, name="again.docx")
    assert again.read_bytes() == crime.read_bytes()


def test_converts_to_landscape_a4_pages_that_show_the_report(office, crime, tmp_path):
    pdf = to_pdf(office, crime, tmp_path)
    pages, (width, height) = pdf_pages(pdf)
    assert abs(width - 841.9) < 1 and abs(height - 595.3) < 1  # A4 landscape
    assert 2 <= pages <= 6
    text = " ".join(pdf_text(pdf).split())
    for shown in ("AMBER RED → 2006/07 AMBER GREEN", "88 of 160", "Theft of Vehicle", "● GREEN", "Key",
                  "Where the printed report and its data disagree", "sha256"):
        assert shown in text, shown
