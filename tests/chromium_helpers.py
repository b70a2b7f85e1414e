"""Headless Chromium for report tests: found on PATH, installed from Debian's `chromium` package when the
test set-up may (root, apt-get), or the tests are skipped with the reason."""

from __future__ import annotations

import os
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


def install_chromium() -> str:
    """Install Debian's chromium with apt-get; return why it could not be, or '' on success."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "headless Chromium is not installed, and installing it needs root (apt-get install chromium)"
    if shutil.which("apt-get") is None:
        return "headless Chromium is not installed, and there is no apt-get to install it with"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "install", "-y", "-q", "chromium"],
                    ["sh", "-c", "apt-get update -q && apt-get install -y -q chromium"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"installing chromium failed: {exc}"
        if done.returncode == 0 and find_chromium():
            return ""
    return f"installing chromium with apt-get failed: {done.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def chromium() -> str:
    """A headless Chromium binary, installed if need be and possible; otherwise the test is skipped."""
    binary = find_chromium()
    if binary is None:
        reason = install_chromium()
        binary = find_chromium()
        if binary is None:
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
