"""JSON from the columnar plan, side by side (docs/performance.md, "JSON from the plan (issue 11)" and "JSON from
the plan in batches of whole areas (issue 11, night)").

Usage: python scripts/bench_json_plan.py DATA.csv [ROUNDS] [--interpreter] [--auto] [--before SRC]

Runs, interleaved round by round, tests/benchmarks/reference_polars.py and `lsprules evaluate rules/national.rules
DATA.csv --format json -o ...` with --engine duckdb and polars (and auto with --auto; and the interpreter once,
with --interpreter), each under /usr/bin/time; with --before SRC, the same engines again from another source
tree (SRC: its `src` folder, e.g. a checkout of main), so that before and after meet the same load. Prints the
wall time, CPU time (user + system) and peak memory of each, and checks that every JSON output is the same bytes.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules" / "national.rules"
# As a user's install runs: with bytecode caches (PYTHONDONTWRITEBYTECODE would compile lsprules every run).
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], source: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak resident KB of one command, run with `source` on PYTHONPATH."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %U %S %M", *command], check=True,
                       env={**ENVIRONMENT, "PYTHONPATH": str(source)}, stdout=subprocess.DEVNULL)
        wall, user, system, peak = report.read().split()[-4:]
    return float(wall), float(user) + float(system), int(peak)


def option(name: str) -> str | None:
    """The value after `name` on the command line, if any."""
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv[:-1] else None


def main() -> None:
    data = Path(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 1
    out = Path(tempfile.mkdtemp(prefix="bench-json-"))
    here = ROOT / "src"
    contenders: dict[str, tuple[list[str], Path]] = {
        "reference_polars.py": ([sys.executable, str(ROOT / "tests" / "benchmarks" / "reference_polars.py"),
                                 str(data), str(out / "ref.csv")], here)}
    engines = ["duckdb", "polars"] + (["auto"] if "--auto" in sys.argv else [])
    engines += ["interpreter"] if "--interpreter" in sys.argv else []
    trees = [("", here)]
    before = option("--before")
    if before is not None:
        trees.insert(0, ("before: ", Path(before).resolve()))
    outputs = []
    for label, source in trees:
        for engine in engines:
            target = out / f"{label.strip(': ')}{engine}.json"
            outputs.append(target)
            contenders[f"{label}json --engine {engine}"] = (
                [sys.executable, "-m", "lsprules", "evaluate", str(RULES), str(data), "--format", "json",
                 "--engine", engine, "-o", str(target)], source)
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in contenders}
    for round_ in range(rounds):
        for name, (command, source) in contenders.items():
            if "interpreter" in name and round_:
                continue  # minutes a run: once is enough
            results[name].append(timed(command, source))
            print(name, results[name][-1], flush=True)
    same = all(filecmp.cmp(outputs[0], other, shallow=False) for other in outputs[1:])
    yardstick = min(wall for wall, _, _ in results["reference_polars.py"])
    print(f"\n| contender ({data.name}) | best wall | x polars script | CPU | peak memory |\n|---|---|---|---|---|")
    for name, runs in results.items():
        wall = min(w for w, _, _ in runs)
        cpu = min(c for _, c, _ in runs)
        peak = max(p for _, _, p in runs)
        print(f"| {name} | {wall:.2f} s | {wall / yardstick:.1f}x | {cpu:.2f} s | {peak / 1024:,.0f} MiB |")
    print(f"\nJSON outputs identical: {same}")


if __name__ == "__main__":
    main()
