"""A JSON dataset handed to the plan, side by side (docs/performance.md, "Datasets of any form handed to the plan").

Usage: python scripts/bench_handover.py SIZES [ROUNDS] [BEFORE_SRC]

SIZES is a comma-separated list of S, M, L (or any NAME): /tmp/b/national-SIZE.csv (generate them with
../shared/bench/gen.py) is rewritten as a JSON dataset of the same observations (the several-areas form, a missing
value as "na"). For each output format (csv, json, markdown), `lsprules evaluate rules/national.rules DATA.json`
runs with `--engine interpreter`, auto, and with BEFORE_SRC (the src folder of another checkout, e.g. `git archive
main src | tar -x -C /tmp/main`) auto as "before": each once untimed, then ROUNDS times (default 3) interleaved round
by round, under GNU time. Also times reading the dataset alone (`load_any`), in this checkout and before. Prints a
Markdown table per size and whether every output of a format is the same bytes. Reports figures; never fails on them.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_csv_polars import DATA, interleaved

FORMATS = ("csv", "json", "markdown")
READ = "import sys; from lsprules.data.load import load_any; load_any(sys.argv[1])"


def as_json(source: Path, target: Path) -> Path:
    """The long-form CSV file's observations as a JSON dataset."""
    areas: dict[str, dict[str, dict[str, dict[str, dict[str, object]]]]] = {}
    with source.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            series = areas.setdefault(row["area"], {"indicators": {}})["indicators"]
            values = series.setdefault(row["indicator"], {"values": {}})["values"]
            values[row["period"]] = json.loads(row["value"]) if row["value"] else "na"
    document = {"title": f"national {source.stem}", "period_kind": "financial_year", "areas": areas}
    target.write_text(json.dumps(document), encoding="utf-8")
    return target


def main() -> None:
    sizes = sys.argv[1].split(",")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    before = sys.argv[3] if len(sys.argv) > 3 else None
    here = str(Path(__file__).resolve().parents[1] / "src")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for size in sizes:
            data = as_json(DATA / f"national-{size}.csv", out / f"national-{size}.json")
            commands = {("read", "this checkout"): (here, [sys.executable, "-c", READ, str(data)])}
            if before:
                commands[("read", "before")] = (before, [sys.executable, "-c", READ, str(data)])
            for output in FORMATS:
                def command(engine: str, name: str, output: str = output, data: Path = data) -> list[str]:
                    return [sys.executable, "-m", "lsprules", "evaluate", "rules/national.rules", str(data),
                            "--format", output, "--engine", engine, "-o", str(out / f"{name}.{output}")]

                commands[(output, "interpreter")] = (here, command("interpreter", "interpreter"))
                commands[(output, "auto")] = (here, command("auto", "auto"))
                if before:
                    commands[(output, "auto, before")] = (before, command("auto", "before"))
            found = interleaved(commands, rounds)
            print(f"\n{size} as JSON ({data.stat().st_size / 2**20:.1f} MiB; "
                  f"{time.strftime('%H:%M', time.gmtime())} UTC, {rounds} rounds)\n")
            print("| output | run | median wall | min wall | median CPU | peak RSS | the same bytes |")
            print("|---|---|---|---|---|---|---|")
            for (output, run), runs in found.items():
                names = ["interpreter", "auto"] + (["before"] if before else [])
                same = "" if output == "read" else \
                    str(len({(out / f"{name}.{output}").read_bytes() for name in names}) == 1)
                print(f"| {output} | {run} | {statistics.median(r[0] for r in runs):.2f} s | "
                      f"{min(r[0] for r in runs):.2f} s | {statistics.median(r[1] for r in runs):.2f} s | "
                      f"{max(r[2] for r in runs) // 1024} MiB | {same} |")


if __name__ == "__main__":
    main()
