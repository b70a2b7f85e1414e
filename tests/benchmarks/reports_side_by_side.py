#!/usr/bin/env python3
"""National reports, side by side: `evaluate` to Markdown, HTML, the table and JSON (the reference interpreter) for
two (or more) checkouts, interleaved, each run timed by GNU time (wall, CPU, peak memory).

Usage: python tests/benchmarks/reports_side_by_side.py DATA.csv [--runs 3] [--formats markdown,html,table,json]
           NAME=SRC NAME=SRC...

e.g.   python tests/benchmarks/reports_side_by_side.py /tmp/b/national-M.csv base=/tmp/base/src branch=src

Each side runs `python -m lsprules evaluate rules/national.rules DATA --format F -o OUT` with PYTHONPATH=SRC,
in this checkout; the sides alternate run by run, format by format, so that all share the machine's
conditions, and their outputs are compared byte for byte. Prints every run, then the median wall time, the
median CPU time (user + system: steadier than wall time on a busy machine) and the largest peak memory of each
side and format, and the load average before and after. A script that reports figures: it never fails on timing.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARGUMENTS = {"markdown": ["--format", "markdown"], "html": ["--format", "html"], "table": [],
             "json": ["--format", "json", "--engine", "interpreter"],
             "pages": ["--format", "html", "--pages"]}


def timed(source: str, data: str, fmt: str, out: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak KB) of one run."""
    command = ["/usr/bin/time", "-f", "%e %U %S %M", sys.executable, "-m", "lsprules", "evaluate",
               "rules/national.rules", data, *ARGUMENTS[fmt], "-o", str(out)]
    environment = {**os.environ, "PYTHONPATH": source}
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{command} failed: {done.stderr[-2000:]}")
    wall, user, system, peak = done.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(peak)


def same(a: Path, b: Path) -> bool:
    """Whether two outputs (files, or folders of pages) hold the same bytes."""
    if a.is_file():
        return filecmp.cmp(a, b, shallow=False)
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.diff_files or compared.funny_files:
        return False
    return all(same(a / d, b / d) for d in compared.common_dirs) and all(
        filecmp.cmp(a / f, b / f, shallow=False) for f in compared.common_files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("sides", nargs="+", help="NAME=SRC")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="markdown,html,table,json")
    options = parser.parse_args()
    sides = dict(side.split("=", 1) for side in options.sides)
    formats = options.formats.split(",")
    results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        for run in range(options.runs):
            for fmt in formats:
                outputs = []
                for name, source in sides.items():
                    out = Path(folder) / f"{name}.{fmt}.{run}"
                    figures = timed(str(Path(source).resolve()), options.data, fmt, out)
                    results.setdefault((name, fmt), []).append(figures)
                    outputs.append(out)
                    print(f"run {run + 1} {fmt:8} {name:10} {figures[0]:8.2f} s wall {figures[1]:8.2f} s CPU "
                          f"{figures[2] / 1024:8.0f} MiB", flush=True)
                print(f"run {run + 1} {fmt:8} outputs identical: {all(same(outputs[0], o) for o in outputs[1:])}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("| format | " + " | ".join(f"{name}: median wall, median CPU, peak" for name in sides) + " |")
    for fmt in formats:
        cells = []
        for name in sides:
            runs = results[(name, fmt)]
            cells.append(f"{statistics.median(r[0] for r in runs):.2f} s, {statistics.median(r[1] for r in runs):.2f}"
                         f" s, {max(r[2] for r in runs) / 1024:.0f} MiB")
        print(f"| {fmt} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
