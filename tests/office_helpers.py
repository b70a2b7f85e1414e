"""LibreOffice (headless) and poppler for Word output tests: binaries on PATH, a throw-away profile."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

NEEDED = ("soffice", "pdfinfo", "pdftotext")


@pytest.fixture(scope="session")
def office() -> str:
    """The soffice binary, with poppler's pdfinfo and pdftotext beside it; without them the test is skipped
    with the reason (and fails in CI, where `.ci/run` installs them). Tests never install anything."""
    missing = [name for name in NEEDED if shutil.which(name) is None]
    if missing:
        reason = (f"{', '.join(missing)} not installed: `.ci/run` installs Debian's libreoffice-writer-nogui "
                  "and poppler-utils")
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return shutil.which("soffice") or "soffice"


def to_pdf(binary: str, document: Path, folder: Path) -> Path:
    """The document converted to PDF by LibreOffice, as a reader's Word would print it."""
    with tempfile.TemporaryDirectory(prefix="lsprules-office-") as profile:
        result = subprocess.run([binary, "--headless", f"-env:UserInstallation={Path(profile).as_uri()}",
                                 "--convert-to", "pdf", "--outdir", str(folder), str(document)],
                                capture_output=True, text=True, timeout=240)
    pdf = folder / (document.stem + ".pdf")
    assert result.returncode == 0 and pdf.exists(), result.stderr[-2000:]
    return pdf


def pdf_pages(pdf: Path) -> tuple[int, tuple[float, float]]:
    """The number of pages and the page size in points."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    width, height = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M).groups()
    return pages, (float(width), float(height))


def pdf_text(pdf: Path) -> str:
    """The text of every page, pages separated by form feeds."""
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def page_fill(pdf: Path) -> list[float]:
    """For each page, how far down it the lowest word reaches, as a share of the page's height."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    fills = []
    for height, body in re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', boxes, re.S):
        bottoms = [float(y) for y in re.findall(r'yMax="([\d.]+)"', body)]
        fills.append(max(bottoms) / float(height) if bottoms else 0.0)
    return fills
