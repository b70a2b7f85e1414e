#!/usr/bin/env python3
"""The national benchmark (../shared/bench/WORK.md): lsprules end to end, side by side with hand-written references.

Usage: python tests/benchmarks/run.py [--sizes S,M,L] [--runs 5] [--markdown]

Generates S, M and L with ../shared/bench/gen.py into tests/benchmarks/data/ (git-ignored; kept between runs),
then for each size runs, in turn and interleaved so that all share the machine's conditions:
  lsprules    `lsprules evaluate rules/national.rules INPUT.csv --format csv -o OUT.csv` (auto: the
              hand-written fast path, or the plan in polars on a file of tens of MiB)
  duckdb      the same with `--engine duckdb`: the columnar engine (the rules compiled to SQL, run in DuckDB)
  pl-engine   the same with `--engine polars`: the same SQL plan run in polars, when polars is installed
  work-cols   the same as lsprules with `--columns` WORK.md's eight output columns (WORK_COLUMNS), the columns
              the hand-written scripts write, instead of all 18 of the CSV report
  json        the same with `--format json -o OUT.json` (auto: the plan from 4 MB, the interpreter below)
  markdown    the same with `--format markdown -o OUT.md` (auto: the plan's assessments from 4 MB)
  html        the same with `--format html -o OUT.html` (one page; auto as for Markdown)
  plain       tests/benchmarks/reference_plain.py (standard library only)
  polars      tests/benchmarks/reference_polars.py, when polars is installed
  reference   lsprules' reference interpreter (the fast path turned off), for S and M only
and reports the median wall time and peak memory (maximum resident set size) of each whole process, the
ratio of each to plain and to the polars script, and whether every CSV output agrees with lsprules on each
series' arrow and RAG.
Also times `lsprules --help` and evaluating the bundled dataset. A script that reports figures: it never
fails on timing.

Each command runs once untimed first, and the commands run without PYTHONDONTWRITEBYTECODE, so that
Python's compiled modules are cached as in any normal installation (pip compiles them on install).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = HERE / "data"
AREAS = {"S": 350, "M": 3500, "L": 35000}
REFERENCE_SIZES = {"S", "M"}  # the reference interpreter takes minutes on L
WORK_COLUMNS = "area,indicator,period,value,change_pct,arrow,trajectory,rag"  # WORK.md's output, as the scripts'
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def main() -> None:
    args = _arguments()
    print(machine())
    tools = _tools()
    for size in args.sizes:
        source = _generated(size)
        runners = _runners(size, source, tools)
        timings = _measure(runners, args.runs)
        agreement = _agreement(runners)
        _print_size(size, source, timings, agreement, args.markdown)
    _print_startup(tools, args.runs, args.markdown)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M,L", help="comma-separated sizes from S, M, L (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command per size (default: 5)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args()
    args.sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    return args


# --- the machine and the inputs -----------------------------------------------------------------------


def machine() -> str:
    """One paragraph describing this machine: cores, memory, CPU model, Python."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = next((line.split(":", 1)[1].strip() for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), "unknown")
    return (f"machine: {os.cpu_count()} cores ({cpu}), memory {memory}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def find_gen() -> Path:
    """../shared/bench/gen.py beside this checkout (or one of its parents)."""
    for folder in ROOT.parents:
        candidate = folder / "shared" / "bench" / "gen.py"
        if candidate.exists():
            return candidate
    sys.exit("cannot find shared/bench/gen.py beside the checkout")


def _generated(size: str) -> Path:
    """The input of one size, generated once and kept."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"national-{size}.csv"
    if not path.exists():
        subprocess.run([sys.executable, str(find_gen()), "--areas", str(AREAS[size]), str(path)], check=True)
    return path


# --- what runs ----------------------------------------------------------------------------------------


def _tools() -> dict[str, list[str]]:
    """The command prefixes: the lsprules console script beside this Python (else -m), and Python itself."""
    script = Path(sys.executable).with_name("lsprules")
    lsprules = [str(script)] if script.exists() else [sys.executable, "-m", "lsprules"]
    return {"lsprules": lsprules, "python": [sys.executable]}


def _has_polars() -> bool:
    """Whether polars is installed (looked up, not imported: this process stays small, see run_once)."""
    from importlib.util import find_spec

    return find_spec("polars") is not None


def _runners(size: str, source: Path, tools: dict) -> dict[str, tuple[list[str], Path]]:
    """Each contender's command and the output file it writes."""
    out = {name: DATA / f"out-{size}-{name}.csv"
           for name in ("lsprules", "work-cols", "duckdb", "pl-engine", "plain", "polars", "reference")}
    rules = str(ROOT / "rules" / "national.rules")
    runners = {
        "lsprules": (tools["lsprules"] + ["evaluate", rules, str(source), "--format", "csv",
                                          "-o", str(out["lsprules"])],
                     out["lsprules"]),
        "work-cols": (tools["lsprules"] + ["evaluate", rules, str(source), "--format", "csv", "--columns",
                                           WORK_COLUMNS, "-o", str(out["work-cols"])],
                      out["work-cols"]),
        "duckdb": (tools["lsprules"] + ["evaluate", rules, str(source), "--format", "csv", "--engine", "duckdb",
                                        "-o", str(out["duckdb"])],
                   out["duckdb"]),
        "plain": (tools["python"] + [str(HERE / "reference_plain.py"), str(source), str(out["plain"])], out["plain"]),
    }
    if _has_polars():
        runners["pl-engine"] = (tools["lsprules"] + ["evaluate", rules, str(source), "--format", "csv", "--engine",
                                                     "polars", "-o", str(out["pl-engine"])], out["pl-engine"])
        runners["polars"] = (tools["python"] + [str(HERE / "reference_polars.py"), str(source), str(out["polars"])],
                             out["polars"])
    for output_format, suffix in (("json", "json"), ("markdown", "md"), ("html", "html")):
        written = DATA / f"out-{size}-{output_format}.{suffix}"
        runners[output_format] = (tools["lsprules"] + ["evaluate", rules, str(source), "--format", output_format,
                                                       "-o", str(written)], written)
    if size in REFERENCE_SIZES:
        code = ("import sys; from lsprules.jobs.evaluate import run_evaluate; "
                "open(sys.argv[3], 'w', encoding='utf-8', newline='').write("
                "run_evaluate(sys.argv[1], sys.argv[2], output_format='csv', fast=False))")
        runners["reference"] = (tools["python"] + ["-c", code, rules, str(source), str(out["reference"])],
                                out["reference"])
    return runners


def run_once(command: list[str]) -> tuple[float, int]:
    """Wall time (s) and peak resident memory (KiB) of one whole process.

    A child's peak memory counts the memory of the process it was forked from, so the command is started
    by GNU time, a small C program, when it is installed; otherwise the peak includes this script's own
    (about 10 MiB more).
    """
    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    report = DATA / ".time"
    if gnu_time:
        command = [gnu_time, "-f", "%M", "-o", str(report)] + command
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, env=ENVIRONMENT)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(command)}")
    return elapsed, int(report.read_text().split()[-1]) if gnu_time else usage.ru_maxrss


def _measure(runners: dict, runs: int) -> dict[str, tuple[float, int]]:
    """Median wall time and largest peak memory per contender, runs interleaved after one untimed run each."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    memory: dict[str, int] = dict.fromkeys(runners, 0)
    for command, _ in runners.values():
        run_once(command)
    for _ in range(runs):
        for name, (command, _) in runners.items():
            elapsed, peak = run_once(command)
            times[name].append(elapsed)
            memory[name] = max(memory[name], peak)
    return {name: (statistics.median(times[name]), memory[name]) for name in runners}


def _agreement(runners: dict) -> dict[str, str]:
    """Whether each output gives every series the arrow and RAG lsprules gives it."""
    ours = _judgements(runners["lsprules"][1])
    found = {}
    for name, (_, path) in runners.items():
        if name != "lsprules" and path.suffix == ".csv":
            theirs = _judgements(path)
            shared = ours.keys() & theirs.keys()
            differ = sum(1 for key in shared if ours[key] != theirs[key])
            found[name] = f"{len(shared) - differ}/{len(ours)}" + (f" ({differ} differ)" if differ else "")
    return found


def _judgements(path: Path) -> dict[tuple[str, str], tuple[str, str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {(r["area"], r["indicator"]): (r["period"], r["arrow"], r["rag"]) for r in csv.DictReader(handle)
                if r["period"]}  # a series without any value: lsprules lists it, polars leaves it out


# --- start-up -------------------------------------------------------------------------------------------


def _print_startup(tools: dict, runs: int, markdown: bool) -> None:
    commands = {
        "lsprules --help": tools["lsprules"] + ["--help"],
        "bundled dataset (table)": tools["lsprules"] + ["evaluate", "rules/crime.rules",
                                                        "datasets/redcar-cleveland-2007.yaml"],
        "python -c pass": tools["python"] + ["-c", "pass"],
    }
    timings = _measure({name: (command, None) for name, command in commands.items()}, runs)
    print()
    rows = [(name, f"{seconds:.3f} s", f"{peak / 1024:.0f} MiB") for name, (seconds, peak) in timings.items()]
    _table(["start-up", "median wall time", "peak memory"], rows, markdown)


# --- report ---------------------------------------------------------------------------------------------


def _print_size(size: str, source: Path, timings: dict, agreement: dict, markdown: bool) -> None:
    rows_in = sum(1 for _ in source.open("rb")) - 1
    print(f"\n{size}: {rows_in:,} rows, {source.stat().st_size / 2**20:.0f} MiB")
    plain = timings["plain"][0]
    scripted = timings["polars"][0] if "polars" in timings else None
    rows = [(name, f"{seconds:.2f} s", f"{seconds / plain:.2f}", f"{seconds / scripted:.2f}" if scripted else "-",
             f"{peak / 1024:.0f} MiB", "-" if name == "lsprules" else agreement.get(name, ""))
            for name, (seconds, peak) in timings.items()]
    _table(["contender", "median wall time", "ratio to plain", "ratio to polars", "peak memory",
            "arrow and RAG agree"], rows, markdown)


def _table(header: list[str], rows: list[tuple], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
