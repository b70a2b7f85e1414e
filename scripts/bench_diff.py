"""`lsprules diff --data` on national data, side by side (docs/performance.md, "diff --data on national data").

Usage: python scripts/bench_diff.py SIZES [ROUNDS] [BEFORE_SRC]

SIZES is a comma-separated list of S, M, L (or any NAME), read as /tmp/b/national-SIZE.csv (generate them with
../shared/bench/gen.py). Compares rules/national.rules with a copy whose two static tolerances are 2 % instead of
1.5 %, replayed on the data by each engine (auto, duckdb, interpreter): each command once untimed, then ROUNDS times
(default 3) interleaved round by round, under GNU time; with BEFORE_SRC (the src folder of another checkout, e.g.
`git archive main src | tar -x -C /tmp/main`), auto and duckdb from it too, as "before". Prints a Markdown table per
size (median and fastest wall time, median CPU, largest peak) and whether every output is the same bytes. Reports
figures; never fails on them.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_csv_polars import DATA, ROOT, interleaved

ENGINES = ("auto", "duckdb", "interpreter")


def changed_rules(folder: Path) -> Path:
    """rules/national.rules with both static tolerances at 2 %."""
    text = (ROOT / "rules" / "national.rules").read_text(encoding="utf-8")
    assert text.count("static below 1.5 %") == 2
    path = folder / "national-2.rules"
    path.write_text(text.replace("static below 1.5 %", "static below 2 %"), encoding="utf-8")
    return path


def main() -> None:
    sizes = sys.argv[1].split(",")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    before = sys.argv[3] if len(sys.argv) > 3 else None
    here = str(ROOT / "src")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        new = changed_rules(out)
        for size in sizes:
            data = str(DATA / f"national-{size}.csv")

            def command(engine: str, name: str, data: str = data) -> list[str]:
                return [sys.executable, "-m", "lsprules", "diff", "rules/national.rules", str(new), "--data", data,
                        "--engine", engine, "-o", str(out / f"{name}.txt")]

            commands = {engine: (here, command(engine, engine)) for engine in ENGINES}
            if before:
                commands |= {f"{engine}, before": (before, command(engine, f"{engine}-before"))
                             for engine in ("auto", "duckdb")}
            found = interleaved(commands, rounds)
            same = len({(out / f"{name}.txt").read_bytes() for name in ENGINES}
                       | {(out / f"{name}-before.txt").read_bytes() for name in ("auto", "duckdb") if before}) == 1
            print(f"\n{size} ({time.strftime('%H:%M', time.gmtime())} UTC, {rounds} rounds; the same bytes: {same})\n")
            print("| `--engine` | median wall | min wall | median CPU | peak RSS |")
            print("|---|---|---|---|---|")
            for engine, runs in found.items():
                print(f"| {engine} | {statistics.median(r[0] for r in runs):.2f} s | {min(r[0] for r in runs):.2f} s | "
                      f"{statistics.median(r[1] for r in runs):.2f} s | {max(r[2] for r in runs) // 1024} MiB |")


if __name__ == "__main__":
    main()
