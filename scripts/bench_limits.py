"""The cost of the limits and other safety checks on the common case: CPU time (user + system of the child) of
lsprules commands with two src/ folders, interleaved (each first every other round), best of RUNS (CPU time,
so other work on the machine matters little).

    python scripts/bench_limits.py BASE_SRC THIS_SRC [RUNS] [ONLY]

Run it from a folder holding national-S.csv, national-M.csv and national-L.csv (../shared/bench/gen.py --areas
350 / 3500 / 35000). ONLY: run just the commands whose description contains this text.
"""

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SRC = {"base": sys.argv[1], "this": sys.argv[2]}
R, D, N = ROOT / "rules", ROOT / "datasets", ROOT / "rules" / "national.rules"
CASES = {
    "check rules/ (3 files)": ["check", R],
    "evaluate crime.rules redcar.yaml (table)": ["evaluate", f"{R}/crime.rules", f"{D}/redcar-cleveland-2007.yaml"],
    "explain crime robbery": ["explain", f"{R}/crime.rules", f"{D}/redcar-cleveland-2007.yaml", "-i", "robbery"],
    "evaluate national-S (reference interpreter, json)": ["evaluate", N, "national-S.csv", "-f", "json"],
    "evaluate national-M (compiled fast path, csv)": ["evaluate", N, "national-M.csv", "-f", "csv"],
    "evaluate national-M (reference interpreter, json)": ["evaluate", N, "national-M.csv", "-f", "json"],
    "evaluate national-L (compiled fast path, csv -o)": ["evaluate", N, "national-L.csv", "-f", "csv", "-o",
                                                         Path(tempfile.gettempdir()) / "bench-limits.csv"],
}
if len(sys.argv) > 4:
    CASES = {case: args for case, args in CASES.items() if sys.argv[4] in case}
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
best = {(c, b): float("inf") for c in CASES for b in SRC}
for run in range(runs):
    for case, args in CASES.items():
        for branch, src in sorted(SRC.items(), reverse=run % 2 == 1):  # each tree first every other round
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([PY, "-m", "lsprules", *map(str, args)], env={**os.environ, "PYTHONPATH": src},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best[case, branch] = min(best[case, branch], cpu)
print("| command | base (s) | this (s) | change |")
print("|---|---|---|---|")
for case in CASES:
    a, b = best[case, "base"], best[case, "this"]
    print(f"| {case} | {a:.2f} | {b:.2f} | {100 * (b - a) / a:+.0f} % |")
