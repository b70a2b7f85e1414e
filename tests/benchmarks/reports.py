"""How the report renderers' time grows with the number of areas: figures, not a timed test.

    python tests/benchmarks/reports.py [--areas 350,1750,3500] [--runs 3]

Generates national datasets with ../shared/bench/gen.py (beside the checkout), evaluates each once with the
reference interpreter, then times each renderer alone (Markdown, HTML, the terminal table, and the areas
view as Markdown), best of --runs, and prints the time per area: flat when the time grows linearly.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lsprules.audit.provenance import Provenance
    from lsprules.engine.interpreter import Evaluation
    from lsprules.render.context import ReportContext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))


def generator() -> Path:
    """../shared/bench/gen.py beside this checkout (or one of its parents)."""
    for folder in ROOT.parents:
        candidate = folder / "shared" / "bench" / "gen.py"
        if candidate.exists():
            return candidate
    sys.exit("cannot find shared/bench/gen.py beside the checkout: it is not part of this repository")


def best(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings of `work`, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print a Markdown table of render times per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", default="350,1750,3500")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from lsprules.audit.provenance import provenance_for
    from lsprules.data.load import load_all
    from lsprules.engine.interpreter import evaluate
    from lsprules.jobs.evaluate import previous_period
    from lsprules.lang.resolve import load_rules
    from lsprules.render.context import report_context
    from lsprules.render.html import render_html
    from lsprules.render.markdown import render_markdown
    from lsprules.render.table import render_table

    rules = load_rules(ROOT / "rules" / "national.rules")
    print("| areas | rows | evaluate (s) | Markdown (s) | HTML (s) | table (s) | areas view (s) | "
          "Markdown per area (ms) | HTML per area (ms) | table per area (ms) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="lsprules-bench-") as temp:
        for areas in (int(n) for n in args.areas.split(",")):
            data = Path(temp) / f"national-{areas}.csv"
            subprocess.run([sys.executable, str(generator()), "--areas", str(areas), str(data)], check=True)
            dataset, files = load_all([data])
            start = time.perf_counter()
            result = evaluate(rules, dataset)
            before = previous_period(result.period, dataset)
            previous = evaluate(rules, dataset, before) if before is not None and rules.themes else None
            evaluated = time.perf_counter() - start
            context = report_context(rules, dataset, result, previous)
            provenance = provenance_for(rules, files)
            renderers = (render_markdown, render_html, render_table, areas_markdown)
            timings = [best(args.runs, partial(render, result, provenance, context)) for render in renderers]
            per_area = [t / areas * 1000 for t in timings[:3]]
            print(f"| {areas:,} | {len(result.assessments):,} | {evaluated:.2f} | "
                  + " | ".join(f"{t:.2f}" for t in timings) + " | " + " | ".join(f"{t:.3f}" for t in per_area)
                  + " |")


def areas_markdown(result: Evaluation, provenance: Provenance, context: ReportContext) -> str:
    """--view areas as Markdown, set side by side from the whole evaluation."""
    from lsprules.render.areas import areas_view
    from lsprules.render.context import ReportStream
    from lsprules.render.markdown import render_areas_markdown

    view, after = areas_view(ReportStream.of(result, context))
    return render_areas_markdown(view, provenance, after)


if __name__ == "__main__":
    main()
