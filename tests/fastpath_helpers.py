"""Helpers for the fast-path tests: run the reference and the fast path on the same files and compare."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from lsprules.engine.compiled import fast_csv
from lsprules.jobs.evaluate import run_evaluate
from lsprules.lang.resolve import load_rules

ROOT = Path(__file__).resolve().parents[1]
NATIONAL_RULES = ROOT / "rules" / "national.rules"


def write(folder: Path, name: str, text: str) -> Path:
    """A file in `folder` holding `text` (dedented), as UTF-8 with LF line ends unless the text has others."""
    path = folder / name
    path.write_bytes(textwrap.dedent(text).encode("utf-8"))
    return path


def reference_csv(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None) -> str:
    """`evaluate --format csv` by the reference interpreter."""
    return run_evaluate(rules, data, period=period, output_format="csv", areas=areas, fast=False)


def agree(rules: Path, data: Path, period: str | None = None, areas: list[str] | None = None,
          fast: bool = True) -> str:
    """Assert that the fast path gives the reference's bytes (and that it ran, when `fast`); return them."""
    expected = reference_csv(rules, data, period, areas)
    pieces = fast_csv(load_rules(rules), data, period=period, areas=areas)
    got = None if pieces is None else "".join(pieces)
    if fast:
        assert got is not None, "the fast path stepped aside"
        assert got == expected
    else:
        assert got is None, "the fast path should have stepped aside"
    assert run_evaluate(rules, data, period=period, output_format="csv", areas=areas) == expected
    return expected


def find_gen() -> Path | None:
    """../shared/bench/gen.py, looked for beside this checkout and its parents."""
    for folder in ROOT.parents:
        candidate = folder / "shared" / "bench" / "gen.py"
        if candidate.exists():
            return candidate
    return None


def generate(out: Path, areas: int) -> Path:
    """A national dataset from gen.py."""
    gen = find_gen()
    assert gen is not None, "shared/bench/gen.py not found beside the checkout"
    subprocess.run([sys.executable, str(gen), "--areas", str(areas), str(out)], check=True)
    return out
