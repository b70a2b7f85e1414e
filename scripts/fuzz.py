"""Long-mode fuzzing: run generated and mutated inputs through every command in process until stopped.

    python scripts/fuzz.py [--tier all|syntax] [--seconds N] [--inputs N] [--seed S] [--log FILE]

`--tier all` (the default) runs every kind of input through every command; `--tier syntax` runs rule files
(grammar sentences and mutated bundled rules) through check and fmt only, twenty times as many a second.

Each failing input is kept under tests/corpus/KIND/ (tests/test_fuzz.py replays them all); a line of counts
is appended to the log every minute and at the end. See docs/reliability.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.setrecursionlimit(10_000)

from fuzz_harness import GrammarSampler, inputs, keep, run_one, syntax_inputs  # noqa: E402


def main() -> int:
    """Fuzz for the time given (default: until interrupted); exit 1 if anything failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=("all", "syntax"), default="all")
    parser.add_argument("--seconds", type=float, default=float("inf"))
    parser.add_argument("--inputs", type=int, default=None, help="stop after this many inputs")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--log", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts: dict[str, int] = {}
    failures = 0
    start = last = time.monotonic()
    stream = (syntax_inputs if args.tier == "syntax" else inputs)(rng, GrammarSampler())

    def report() -> None:
        total = sum(counts.values())
        elapsed = time.monotonic() - start
        line = (f"tier {args.tier} seed {args.seed} inputs {total} failures {failures} seconds {elapsed:.0f} "
                f"rate {total / max(elapsed, 1e-9):.1f}/s " + " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        if args.log:
            with args.log.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="lsprules-fuzz-") as temp:
        folder = Path(temp)
        try:
            while time.monotonic() - start < args.seconds and (args.inputs is None or
                                                               sum(counts.values()) < args.inputs):
                kind, data = next(stream)
                failure = run_one(kind, data, folder)
                counts[kind] = counts.get(kind, 0) + 1
                if failure is not None:
                    failures += 1
                    print(f"FAIL {kind} -> {keep(failure)}: {failure.problem.splitlines()[0]}", flush=True)
                if time.monotonic() - last > 60:
                    last = time.monotonic()
                    report()
        except KeyboardInterrupt:
            pass
    report()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
