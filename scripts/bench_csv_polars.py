"""CSV through polars, side by side (docs/performance.md, "CSV through polars, faster (issue 11, night)").

Usage: python scripts/bench_csv_polars.py BEFORE_SRC SIZES [ROUNDS]

BEFORE_SRC is the src folder of another checkout (say `git archive main src | tar -x -C /tmp/main`, then
/tmp/main/src); SIZES a comma-separated list of S, M, L, 10L (or any NAME), read as /tmp/b/national-SIZE.csv
(generate them with ../shared/bench/gen.py). For each size, runs once untimed and then ROUNDS times (default 5),
interleaved round by round: tests/benchmarks/reference_polars.py, `lsprules evaluate rules/national.rules DATA
--format csv --engine polars` with BEFORE_SRC and with this checkout, and the same without --engine (auto) with
both, each under /usr/bin/time. Prints a Markdown table per size (median and fastest wall time, median CPU, largest
peak, ratio to the polars script) and whether the three lsprules outputs are the same bytes. Reports figures; never
fails on them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("/tmp/b")


def commands(size: str, before: str, out: Path) -> dict[str, tuple[str | None, list[str]]]:
    """Each contender's PYTHONPATH (None: none) and command."""
    source = str(DATA / f"national-{size}.csv")
    evaluate = [sys.executable, "-m", "lsprules", "evaluate", "rules/national.rules", source, "--format", "csv"]
    here = str(ROOT / "src")
    return {
        "polars script": (None, [sys.executable, "tests/benchmarks/reference_polars.py", source,
                                 str(out / "script.csv")]),
        "`--engine polars`, before": (before, [*evaluate, "--engine", "polars", "-o", str(out / "before.csv")]),
        "`--engine polars`, this checkout": (here, [*evaluate, "--engine", "polars", "-o", str(out / "after.csv")]),
        "auto, before": (before, [*evaluate, "-o", str(out / "auto-before.csv")]),
        "auto, this checkout": (here, [*evaluate, "-o", str(out / "auto.csv")]),
    }


def timed(path: str | None, command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak resident KiB of one command."""
    # As a user's install runs: with bytecode caches (PYTHONDONTWRITEBYTECODE would compile lsprules every run).
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if path:
        environment["PYTHONPATH"] = path
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%M %U %S", *command], check=True, cwd=ROOT,
                       env=environment, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        peak, user, system = report.read().split()[-3:]
    return wall, float(user) + float(system), int(peak)


Name = TypeVar("Name")


def interleaved(commands: Mapping[Name, tuple[str | None, list[str]]],
                rounds: int) -> dict[Name, list[tuple[float, float, int]]]:
    """Each command once untimed (caches warm), then `rounds` times, round by round: `timed`'s figures by name."""
    found: dict[Name, list[tuple[float, float, int]]] = {name: [] for name in commands}
    for path, command in commands.values():
        timed(path, command)
    for _ in range(rounds):
        for name, (path, command) in commands.items():
            found[name].append(timed(path, command))
    return found


def main() -> None:
    before, sizes = sys.argv[1], sys.argv[2].split(",")
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for size in sizes:
            runners = commands(size, before, out)
            load = os.getloadavg()[0]
            found = interleaved(runners, rounds)
            same = len({(out / name).read_bytes() for name in ("before.csv", "after.csv", "auto-before.csv",
                                                                "auto.csv")}) == 1
            print(f"\n{size} ({time.strftime('%H:%M', time.gmtime())} UTC, load average {load:.2f} -> "
                  f"{os.getloadavg()[0]:.2f}, {rounds} rounds; lsprules outputs the same bytes: {same})\n")
            print("| command | median wall | min wall | median CPU | peak RSS | wall / polars script |")
            print("|---|---|---|---|---|---|")
            script = statistics.median(wall for wall, _, _ in found["polars script"])
            for name, runs in found.items():
                wall = statistics.median(r[0] for r in runs)
                print(f"| {name} | {wall:.2f} s | {min(r[0] for r in runs):.2f} s | "
                      f"{statistics.median(r[1] for r in runs):.2f} s | {max(r[2] for r in runs) // 1024} MiB | "
                      f"{wall / script:.2f} |")


if __name__ == "__main__":
    main()
