"""Regenerate the screenshots in docs/ from the bundled examples, in headless Chromium.

    python scripts/screenshots.py            # writes docs/report-html.png, report-phone.png, report-areas.png

Each picture is the HTML report as lsprules renders it now: the crime report on a 1240-pixel screen and on a
390-pixel phone (in a frame of that width: headless Chromium lays a window out at least 500 pixels wide, and
a 390-pixel screenshot of it shows the frame exactly), and
the districts compared side by side. Needs Chromium on PATH (Debian's `chromium` package).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CRIME = ("rules/crime.rules", "datasets/redcar-cleveland-2007.yaml")
DISTRICTS = ("rules/districts.rules", "datasets/districts-2006-07.csv")
FRAME = ('<!DOCTYPE html><html><body style="margin:0"><iframe src="{page}" style="border:0;width:{width}px;'
         'height:{height}px"></iframe></body></html>')
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--allow-file-access-from-files")


def report(folder: Path, name: str, *args: str) -> Path:
    """An HTML report written by this checkout's lsprules."""
    page = folder / name
    subprocess.run([sys.executable, "-m", "lsprules", "evaluate", *args, "-f", "html", "-o", str(page)], cwd=ROOT,
                   check=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    return page


def shoot(chromium: str, page: Path, png: Path, width: int, height: int) -> None:
    """A screenshot of `page` shown `width` pixels wide."""
    frame = page.with_name(f"frame-{png.stem}.html")
    frame.write_text(FRAME.format(page=page.name, width=width, height=height), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="lsprules-shots-") as profile:
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        "--virtual-time-budget=5000", f"--screenshot={png}", frame.as_uri()], check=True,
                       capture_output=True, timeout=120)


def main() -> int:
    """Write the screenshots into docs/."""
    chromium = next((p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None)
    if chromium is None:
        print("screenshots.py needs Chromium on PATH (Debian's chromium package)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lsprules-shots-") as temp:
        folder = Path(temp)
        crime = report(folder, "crime.html", *CRIME)
        areas = report(folder, "areas.html", *DISTRICTS, "--view", "areas")
        shoot(chromium, crime, ROOT / "docs" / "report-html.png", 1240, 1500)
        shoot(chromium, crime, ROOT / "docs" / "report-phone.png", 390, 1100)
        shoot(chromium, areas, ROOT / "docs" / "report-areas.png", 1240, 700)
    print("wrote docs/report-html.png, docs/report-phone.png and docs/report-areas.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
