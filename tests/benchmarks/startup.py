#!/usr/bin/env python3
"""Start-up, side by side: `lsprules --help` and the bundled evaluation, for two (or more) checkouts, interleaved.

Usage: python tests/benchmarks/startup.py [--runs 15] NAME=SRC[:PYTHON] NAME=SRC[:PYTHON]...

e.g.   python tests/benchmarks/startup.py main=/work/main/src branch=src

Each side runs `PYTHON -m lsprules` (PYTHON: this interpreter unless given) with PYTHONPATH=SRC, in this
checkout (so every side reads the same rules/ and datasets/). The runs alternate between the sides, command by
command, so that all share the machine's conditions; each command runs once untimed first, and
PYTHONDONTWRITEBYTECODE is removed, so that compiled modules are cached as in any installation. Prints the
median and the minimum wall time of each command on each side, the median CPU time (user + system: steadier
than wall time on a busy machine), and the load average before and after.
A script that reports figures: it never fails on timing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
COMMANDS = {
    "lsprules --help": ["--help"],
    "evaluate (bundled, table)": ["evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml"],
}


def main() -> None:
    args = _arguments()
    sides = dict(_side(text) for text in args.sides)
    print(f"load average before: {_load()}")
    times: dict[tuple[str, str], list[tuple[float, float]]] = {(c, s): [] for c in COMMANDS for s in sides}
    for command, arguments in COMMANDS.items():
        for src, python in sides.values():
            _run(python, src, arguments)  # untimed: compiles and caches what is not cached yet
        for _ in range(args.runs):
            for side, (src, python) in sides.items():
                times[command, side].append(_run(python, src, arguments))
    print(f"load average after: {_load()}\n")
    print("| command | " + " | ".join(f"{s} median | {s} min | {s} CPU" for s in sides) + " |")
    print("|---|" + "---|---|---|" * len(sides))
    for command in COMMANDS:
        cells = []
        for side in sides:
            wall, cpu = [t[0] for t in times[command, side]], [t[1] for t in times[command, side]]
            cells.append(f"{statistics.median(wall):.3f} s | {min(wall):.3f} s | {statistics.median(cpu):.3f} s")
        print(f"| {command} | " + " | ".join(cells) + " |")
    print(f"\n{args.runs} runs of each command on each side, interleaved.")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each command per side (default: 15)")
    parser.add_argument("sides", nargs="+", metavar="NAME=SRC[:PYTHON]", help="a checkout's src folder to time")
    return parser.parse_args()


def _side(text: str) -> tuple[str, tuple[str, str]]:
    """NAME=SRC[:PYTHON] -> (NAME, (absolute SRC, PYTHON))."""
    name, _, rest = text.partition("=")
    src, _, python = rest.partition(":")
    return name, (str(Path(src).resolve()), python or sys.executable)


def _run(python: str, src: str, arguments: list[str]) -> tuple[float, float]:
    """The wall time and CPU time of one run (its output discarded; a failure stops the script)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([python, "-m", "lsprules", *arguments], cwd=ROOT, env={**ENVIRONMENT, "PYTHONPATH": src},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
