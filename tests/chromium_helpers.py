"""Headless Chromium for report tests: the binary on PATH, run with a throw-away profile and no network chatter."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run")


def find_chromium() -> str | None:
    """The path of a Chromium or Chrome binary on PATH, or None."""
    return next((path for name in NAMES if (path := shutil.which(name))), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    """A headless Chromium binary on PATH; without one the test is skipped with the reason (and fails in CI,
    where `.ci/run` installs Debian's chromium). Tests never install anything themselves."""
    binary = find_chromium()
    if binary is None:
        reason = ("headless Chromium is not installed: `.ci/run` installs Debian's chromium package; "
                  "on another machine install Debian's chromium package to run the browser tests")
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


def run_chromium(binary: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run Chromium headless with a throw-away profile and no network or update chatter."""
    with tempfile.TemporaryDirectory(prefix="lsprules-chromium-") as profile:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout)


def dump_dom(binary: str, page: Path) -> str:
    """The DOM after the page has loaded (and run any script it could), serialised as HTML."""
    result = run_chromium(binary, "--dump-dom", page.resolve().as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def screenshot(binary: str, page: Path, png: Path, width: int = 1280, height: int = 2000) -> None:
    """A PNG of the page as rendered."""
    result = run_chromium(binary, f"--window-size={width},{height}", "--hide-scrollbars",
                          f"--screenshot={png.resolve()}", page.resolve().as_uri())
    assert result.returncode == 0 and png.exists(), result.stderr[-2000:]


def print_to_pdf(binary: str, page: Path, pdf: Path) -> bytes:
    """The page printed to PDF as Chromium prints it (the page's own @page size, no header or footer)."""
    result = run_chromium(binary, "--no-pdf-header-footer", f"--print-to-pdf={pdf.resolve()}", page.resolve().as_uri())
    assert result.returncode == 0 and pdf.exists(), result.stderr[-2000:]
    return pdf.read_bytes()


# A page that opens an areas table (`{src}`, beside it) in a frame, clicks the RED column's heading twice and types
# "west" in the filter box, noting the visible rows' areas after each step in data-down, data-up, data-filtered.
SORT_AND_FILTER_PROBE = """<!DOCTYPE html><html><body>
<iframe id="f" src="{src}" style="width:1240px;height:900px"></iframe>
<script>
document.getElementById("f").addEventListener("load", () => {
  const d = document.getElementById("f").contentDocument;
  const order = () => [...d.querySelectorAll("#areas tbody tr")].filter((r) => !r.hidden)
    .map((r) => r.cells[0].textContent).join(",");
  const heading = [...d.querySelectorAll("#areas thead th")].find((th) => th.textContent.includes("RED") &&
    !th.textContent.includes("rating"));
  heading.click();
  document.body.dataset.down = order();
  heading.click();
  document.body.dataset.up = order();
  const box = d.getElementById("filter");
  box.value = "west";
  box.dispatchEvent(new Event("input"));
  document.body.dataset.filtered = order();
});
</script></body></html>"""


def sort_and_filter(binary: str, folder: Path, src: str) -> dict[str, str]:
    """The areas shown by the areas table of the page `src` in `folder` after sorting by RED down, then up, then
    filtering by "west" (keys down, up, filtered), in Chromium."""
    probe = folder / "probe.html"
    probe.write_text(SORT_AND_FILTER_PROBE.replace("{src}", src), encoding="utf-8")
    result = run_chromium(binary, "--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom",
                          probe.as_uri())
    body = re.search(r"<body([^>]*)>", result.stdout)
    assert body, result.stderr[-2000:]
    return dict(re.findall(r'data-(\w+)="([^"]*)"', body.group(1)))
