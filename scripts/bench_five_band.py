"""A five-band key with `grey when no data` and a theme on national data, side by side (docs/performance.md, "More
of the language compiled").

Usage: python scripts/bench_five_band.py SIZES [ROUNDS] [BEFORE_SRC]

SIZES is a comma-separated list of S, M, L (or any NAME): /tmp/b/national-SIZE.csv (generate them with
../shared/bench/gen.py). The rules are rules/national.rules with each profile's RAG rule replaced by a five-band key
(`more than 10 % better than trajectory`, `less than 5 % short of trajectory`, `grey when no data or no target`),
which the plan compiles and the hand-written fast path does not, and a theme of the ten crime indicators. For each
output format (csv, json, markdown), `lsprules evaluate` runs with `--engine interpreter`, auto, and with BEFORE_SRC
(the src folder of another checkout, e.g. `git archive main src schemas | tar -x -C /tmp/main`) auto as "before":
each once untimed, then ROUNDS times (default 3) interleaved round by round, under GNU time. Prints a Markdown table
per size and whether every output of a format is the same bytes. Reports figures; never fails on them.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_csv_polars import DATA, interleaved

FORMATS = ("csv", "json", "markdown")
ROOT = Path(__file__).resolve().parents[1]
NATIONAL_RAG = """  rag {
    green when on trajectory  # at or better than the trajectory value; n/a without a baseline value
    red when arrow is na  # no arrow (too few values, or a previous value of 0): not improving
    amber when arrow is up  # improving, but not fast enough
    red otherwise  # static or retrograde
  }"""
FIVE_BAND = """  rag {
    scale grey < red < amber_red < amber < green < blue
    grey when no data or no target
    blue when more than 10 % better than trajectory
    green when on trajectory
    amber when less than 5 % short of trajectory
    amber_red when no more than 10 % short of trajectory
    red otherwise
  }"""


THEME = """
theme crime "Crime" {
  scale RED < AMBER < GREEN
  indicators burglary_dwelling, burglary_other, robbery, theft_of_vehicle, theft_from_vehicle, criminal_damage,
    violence_with_injury, violence_without_injury, theft_from_person, arson
  require at least 60 % assessed
  rating {
    GREEN when share(rag is green or rag is blue) >= 60 %
    RED when share(rag is red or rag is amber_red) > 40 %
    AMBER otherwise
  }
}
"""


def five_band_rules(target: Path) -> Path:
    """rules/national.rules with the five-band key in each profile, and a theme of the crime indicators."""
    text = (ROOT / "rules" / "national.rules").read_text(encoding="utf-8")
    assert text.count(NATIONAL_RAG) == 2, "rules/national.rules' RAG rules changed: update NATIONAL_RAG"
    target.write_text(text.replace(NATIONAL_RAG, FIVE_BAND) + THEME, encoding="utf-8")
    return target


def main() -> None:
    sizes = sys.argv[1].split(",")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    before = sys.argv[3] if len(sys.argv) > 3 else None
    here = str(ROOT / "src")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        rules = five_band_rules(out / "five-band.rules")
        for size in sizes:
            data = DATA / f"national-{size}.csv"
            commands: dict[tuple[str, str], tuple[str, list[str]]] = {}
            for output in FORMATS:
                def command(engine: str, name: str, output: str = output, data: Path = data) -> list[str]:
                    return [sys.executable, "-m", "lsprules", "evaluate", str(rules), str(data), "--format", output,
                            "--engine", engine, "-o", str(out / f"{name}.{output}")]

                commands[(output, "interpreter")] = (here, command("interpreter", "interpreter"))
                commands[(output, "auto")] = (here, command("auto", "auto"))
                if before:
                    commands[(output, "auto, before")] = (before, command("auto", "before"))
            found = interleaved(commands, rounds)
            print(f"\n{size} ({data.stat().st_size / 2**20:.1f} MiB; {time.strftime('%H:%M', time.gmtime())} UTC, "
                  f"{rounds} rounds)\n")
            print("| output | run | median wall | min wall | median CPU | peak RSS | the same bytes |")
            print("|---|---|---|---|---|---|---|")
            for (output, run), runs in found.items():
                names = ["interpreter", "auto"] + (["before"] if before else [])
                same = len({(out / f"{name}.{output}").read_bytes() for name in names}) == 1
                print(f"| {output} | {run} | {statistics.median(r[0] for r in runs):.2f} s | "
                      f"{min(r[0] for r in runs):.2f} s | {statistics.median(r[1] for r in runs):.2f} s | "
                      f"{max(r[2] for r in runs) // 1024} MiB | {same} |")


if __name__ == "__main__":
    main()
