"""JSON from the columnar plan, side by side (docs/performance.md, "JSON from the plan (issue 11)").

Usage: python scripts/bench_json_plan.py DATA.csv [ROUNDS] [--interpreter]

Runs, interleaved round by round, tests/benchmarks/reference_polars.py and `lsprules evaluate
tests/benchmarks/national.rules DATA.csv --format json -o ...` with --engine duckdb and polars (and the
interpreter once, with --interpreter), each under /usr/bin/time; prints wall time and peak memory of each, and
checks that every JSON output is the same bytes.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "tests" / "benchmarks" / "national.rules"


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident KB of one command."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %M", *command], check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, stdout=subprocess.DEVNULL)
        wall, peak = report.read().split()[-2:]
    return float(wall), int(peak)


def main() -> None:
    data = Path(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 1
    out = Path(tempfile.mkdtemp(prefix="bench-json-"))
    contenders = {"reference_polars.py": [sys.executable, str(ROOT / "tests" / "benchmarks" / "reference_polars.py"),
                                          str(data), str(out / "ref.csv")]}
    engines = ["duckdb", "polars"] + (["interpreter"] if "--interpreter" in sys.argv else [])
    for engine in engines:
        contenders[f"json --engine {engine}"] = [sys.executable, "-m", "lsprules", "evaluate", str(RULES), str(data),
                                                 "--format", "json", "--engine", engine, "-o",
                                                 str(out / f"{engine}.json")]
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in contenders}
    for round_ in range(rounds):
        for name, command in contenders.items():
            if "interpreter" in name and round_:
                continue  # minutes a run: once is enough
            results[name].append(timed(command))
            print(name, results[name][-1], flush=True)
    outputs = [out / f"{engine}.json" for engine in engines]
    same = all(filecmp.cmp(outputs[0], other, shallow=False) for other in outputs[1:])
    yardstick = min(wall for wall, _ in results["reference_polars.py"])
    print(f"\n| contender ({data.name}) | best wall | x polars script | peak memory |\n|---|---|---|---|")
    for name, runs in results.items():
        wall = min(w for w, _ in runs)
        peak = max(p for _, p in runs)
        print(f"| {name} | {wall:.2f} s | {wall / yardstick:.1f}x | {peak / 1024:,.0f} MiB |")
    print(f"\nJSON outputs identical: {same}")


if __name__ == "__main__":
    main()
