"""Runs every command on the bundled examples with two versions of lsprules and compares their outputs byte for byte.

    python scripts/compare_outputs.py BASE_REV [--gen ../shared/bench/gen.py]

BASE_REV's `src/` is taken from git (nothing is checked out in the work tree); the current version is this
checkout's `src/`. Both run with the same Python, on the same input files, in the same folder, so even the
provenance lines (sha256 and git state of every input) must agree. Standard output, standard error, the exit
code and every file written with `-o` are compared. Exit 0 when all agree, 1 when any differ (each difference is
printed as a unified diff).
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CRIME = ("rules/crime.rules", "datasets/redcar-cleveland-2007.yaml")
DISTRICTS = ("rules/districts.rules", "datasets/districts-2006-07.csv")
TUTORIAL = ("rules/tutorial.rules", "datasets/tutorial.yaml")
FORMATS = ("table", "json", "csv", "markdown", "html")


def commands(inputs: Path, generated: Path | None) -> list[tuple[str, list[str]]]:
    """(name, arguments) for every run compared; `{out}` in an argument is the run's own output file."""
    runs: list[tuple[str, list[str]]] = []
    for label, (rules, data) in {"crime": CRIME, "districts": DISTRICTS, "tutorial": TUTORIAL}.items():
        for fmt in FORMATS:
            runs.append((f"evaluate {label} {fmt}", ["evaluate", rules, data, "-f", fmt]))
        runs.append((f"evaluate {label} json -o", ["evaluate", rules, data, "-f", "json", "-o", "{out}"]))
    for fmt in FORMATS:
        runs.append((f"evaluate crime 2005/06 {fmt}", ["evaluate", *CRIME, "--period", "2005/06", "-f", fmt]))
        runs.append((f"evaluate districts Westvale {fmt}", ["evaluate", *DISTRICTS, "--area", "Westvale", "-f", fmt]))
    for kind in ("csv", "json", "xlsx"):
        converted = str(inputs / f"crime.{kind}")
        runs.append((f"evaluate crime from {kind}", ["evaluate", CRIME[0], converted, "-f", "json"]))
        runs.append((f"evaluate crime from {kind} (table)", ["evaluate", CRIME[0], converted]))
    runs.append(("evaluate --fail-on-discrepancy", ["evaluate", *CRIME, "--fail-on-discrepancy", "-f", "csv"]))
    runs.append(("evaluate bad period", ["evaluate", *CRIME, "--period", "2099/00"]))
    runs.append(("evaluate missing file", ["evaluate", CRIME[0], "nope.yaml"]))
    runs.append(("evaluate output is input", ["evaluate", *CRIME, "-o", CRIME[1]]))
    if generated is not None:
        for fmt in ("csv", "json"):
            runs.append((f"evaluate national S {fmt}", ["evaluate", "rules/national.rules", str(generated),
                                                       "-f", fmt]))
    for fmt in ("text", "json", "github"):
        runs.append((f"check rules/ {fmt}", ["check", "rules/", "--format", fmt]))
        runs.append((f"check crime --data {fmt}", ["check", CRIME[0], "--data", CRIME[1], "--format", fmt]))
    for case in sorted((ROOT / "tests/golden/diagnostics").glob("*.rules")):
        runs.append((f"check {case.name}", ["check", str(case.relative_to(ROOT))]))
        runs.append((f"evaluate {case.name}", ["evaluate", str(case.relative_to(ROOT)), CRIME[1]]))
    runs.append(("fmt --check rules/", ["fmt", "--check", "rules/"]))
    runs.append(("fmt --check --diff unformatted", ["fmt", "--check", "--diff", str(inputs / "unformatted.rules")]))
    changed = str(inputs / "crime-changed.rules")
    for fmt in ("text", "markdown", "json"):
        runs.append((f"diff {fmt}", ["diff", CRIME[0], changed, "--data", CRIME[1], "--format", fmt]))
    runs.append(("diff --exit-code", ["diff", CRIME[0], changed, "--exit-code"]))
    runs.append(("diff --textconv", ["diff", "--textconv", CRIME[0]]))
    runs.append(("diff same", ["diff", CRIME[0], CRIME[0], "--data", CRIME[1]]))
    for indicator in ("theft_from_vehicle", "robbery", "national_gap_robbery", "dip_kpi_1", "bcs_comparator_crimes"):
        for fmt in ("text", "json"):
            runs.append((f"explain {indicator} {fmt}", ["explain", *CRIME, "--indicator", indicator, "--format", fmt]))
    for fmt in ("text", "json"):
        runs.append((f"explain theme {fmt}", ["explain", *CRIME, "--theme", "crime", "--format", fmt]))
        runs.append((f"test {fmt}", ["test", "--format", fmt]))
        runs.append((f"test --coverage {fmt}", ["test", "--coverage", "--format", fmt]))
        runs.append((f"test --boundaries {fmt}",
                     ["test", "--boundaries", CRIME[0], "--data", CRIME[1], "--format", fmt]))
    runs.append(("explain unknown", ["explain", *CRIME, "--indicator", "nope"]))
    runs.append(("--help", ["--help"]))
    runs.append(("--version", ["--version"]))
    for name in ("evaluate", "check", "fmt", "diff", "explain", "test"):
        runs.append((f"{name} --help", [name, "--help"]))
    return runs


def make_inputs(folder: Path, gen: Path | None) -> Path | None:
    """Derived inputs, written once (by this checkout's code) and read by both versions: the crime dataset as
    CSV, JSON and xlsx, a changed rule file, an unformatted one, and optionally a generated national dataset."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from export_helpers import to_csv, to_xlsx, yaml_to_json\n"
        "from lsprules.data.load import load_any\n"
        "out = Path(sys.argv[1])\n"
        "dataset = load_any('datasets/redcar-cleveland-2007.yaml')\n"
        "(out / 'crime.csv').write_text(to_csv(dataset), encoding='utf-8')\n"
        "to_xlsx(dataset, out / 'crime.xlsx')\n"
        "(out / 'crime.json').write_text(yaml_to_json('datasets/redcar-cleveland-2007.yaml'), encoding='utf-8')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(folder)], cwd=ROOT, check=True,
                   env=os.environ | {"PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'tests'}"})
    text = (ROOT / CRIME[0]).read_text(encoding="utf-8")
    (folder / "crime-changed.rules").write_text(
        text.replace("static within 1.5 %", "static within 2 %").replace("reduce by 17.5 %", "reduce by 20 %"),
        encoding="utf-8")
    (folder / "unformatted.rules").write_text(
        "profile p {polarity lower_is_better\n rag { green when value<=10\n red otherwise } }\n"
        "indicator a   \"A\" uses p\n", encoding="utf-8")
    if gen is None:
        return None
    generated = folder / "national-S.csv"
    subprocess.run([sys.executable, str(gen), "--areas", "60", str(generated)], check=True, capture_output=True)
    return generated


def run(src: Path, args: list[str], out: Path) -> bytes:
    """One run: exit code, standard output, standard error and the `-o` file, as one blob of bytes."""
    argv = [a.replace("{out}", str(out)) for a in args]
    env = os.environ | {"PYTHONPATH": str(src), "COLUMNS": "140", "LSPRULES_NO_CACHE": "1"}
    env.pop("FORCE_COLOR", None)
    result = subprocess.run([sys.executable, "-m", "lsprules", *argv], cwd=ROOT, env=env, capture_output=True,
                            stdin=subprocess.DEVNULL, timeout=300)
    written = out.read_bytes() if out.exists() else b""
    return (b"exit %d\n--- stdout\n" % result.returncode + result.stdout + b"\n--- stderr\n" + result.stderr
            + b"\n--- output file\n" + written)


def extract(rev: str, folder: Path) -> Path:
    """`src/` of a git revision, unpacked into `folder`."""
    archive = subprocess.run(["git", "archive", "--format=tar", rev, "src", "schemas"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def main() -> int:
    """Compare every run; print a line per run and a unified diff for each that differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the git revision to compare against, e.g. main~5")
    parser.add_argument("--gen", type=Path, help="../shared/bench/gen.py, to add a generated national dataset")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        base_src = extract(options.base, tmp_path / "base")
        inputs = tmp_path / "inputs"
        inputs.mkdir()
        generated = make_inputs(inputs, options.gen)
        differing = 0
        runs = commands(inputs, generated)
        for index, (name, args) in enumerate(runs):
            before = run(base_src, args, tmp_path / f"before-{index}.out")
            after = run(ROOT / "src", args, tmp_path / f"after-{index}.out")
            same = before == after
            differing += not same
            print(f"{'same     ' if same else 'DIFFERENT'}  {name}")
            if not same:
                sys.stdout.writelines(difflib.unified_diff(
                    before.decode("utf-8", "replace").splitlines(True),
                    after.decode("utf-8", "replace").splitlines(True), "before", "after"))
        shutil.rmtree(tmp_path / "base")
    print(f"\n{len(runs) - differing} of {len(runs)} runs byte-identical, {differing} different")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
