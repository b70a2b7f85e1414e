#!/usr/bin/env python3
"""National reports, side by side: `evaluate` to Markdown, HTML, the table and JSON (the reference interpreter) for
two (or more) checkouts, interleaved, each run timed by GNU time (wall, CPU, peak memory).

Usage: python tests/benchmarks/reports_side_by_side.py DATA.csv [--runs 3] [--formats markdown,html,table,json]
           "NAME=SRC[ OPTION...]" ...

e.g.   python tests/benchmarks/reports_side_by_side.py /tmp/b/national-M.csv base=/tmp/base/src branch=src \
           "one=src -j 1"

Each side runs `python -m lsprules evaluate rules/national.rules DATA --format F -o OUT [OPTION...]` with
PYTHONPATH=SRC, in this checkout, as a user's install runs it (with bytecode caches: PYTHONDONTWRITEBYTECODE is
dropped); the sides alternate run by run, format by format, so that all share the machine's conditions, and
their outputs are compared byte for byte. Prints every run, then the median wall time, the median CPU time (user
+ system, of the command and its worker processes: steadier than wall time on a busy machine) and the largest
peak memory of each side and format: the peak of the resident memory of the command and all its worker processes
together, sampled every 20 ms (GNU time would give the largest single process's). Also the load average before
and after. A script that reports figures: it never fails on timing.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ARGUMENTS = {"markdown": ["--format", "markdown"], "html": ["--format", "html"], "table": [],
             "json": ["--format", "json", "--engine", "interpreter"],
             "pages": ["--format", "html", "--pages"]}


def timed(source: str, data: str, fmt: str, out: Path, options: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak KiB of the process tree) of one run."""
    command = [sys.executable, "-m", "lsprules", "evaluate", "rules/national.rules", data, *ARGUMENTS[fmt], "-o",
               str(out), *options]
    environment = {**ENVIRONMENT, "PYTHONPATH": source}
    before = os.times()
    start = time.perf_counter()
    with subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) as process:
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        if process.returncode != 0:
            sys.exit(f"{command} failed: {process.stderr.read()[-2000:] if process.stderr else ''}")
    after = os.times()
    return wall, after.children_user - before.children_user + after.children_system - before.children_system, peak


def tree_rss(pid: int) -> int:
    """The resident KiB of a process and all its descendants (Linux /proc)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue  # it ended meanwhile
    return total


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
    parser.add_argument("sides", nargs="+", help="NAME=SRC[ OPTION...]")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="markdown,html,table,json")
    options = parser.parse_args()
    sides = {name: spec.split() for name, spec in (side.split("=", 1) for side in options.sides)}
    formats = options.formats.split(",")
    results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        for run in range(options.runs):
            for fmt in formats:
                outputs = []
                for name, (source, *extra) in sides.items():
                    out = Path(folder) / f"{name}.{fmt}.{run}"
                    figures = timed(str(Path(source).resolve()), options.data, fmt, out, extra)
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
