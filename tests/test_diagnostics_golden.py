"""Golden tests: for every code in docs/errors.md, a bad input and the exact output of lsprules on it.

Each case in tests/golden/diagnostics is a stem: `STEM.rules` (checked), with `STEM.yaml` (checked with
--data) or `STEM.args` (the command line, `{stem}` standing for the stem). `STEM.out` holds the expected exit
code, standard output and standard error. Run with LSPRULES_UPDATE_GOLDENS=1 to rewrite them, then review
the diff by eye.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lsprules.cli.app import app
from lsprules.core.diagnostics import CODES

GOLDEN = Path(__file__).parent / "golden" / "diagnostics"
DOCS = Path(__file__).parent.parent / "docs" / "errors.md"
UPDATE = os.environ.get("LSPRULES_UPDATE_GOLDENS") == "1"


def _stems() -> list[str]:
    return sorted({p.stem for p in GOLDEN.iterdir() if p.suffix in (".rules", ".args")})


def _args(stem: str) -> list[str]:
    args_file = GOLDEN / f"{stem}.args"
    if args_file.exists():
        return args_file.read_text(encoding="utf-8").format(stem=stem).split()
    data = ["--data", f"{stem}.yaml"] if (GOLDEN / f"{stem}.yaml").exists() else []
    return ["check", f"{stem}.rules", *data]


def run_case(stem: str, monkeypatch) -> str:
    """Run one case in the golden folder and return its transcript."""
    monkeypatch.chdir(GOLDEN)
    if stem.startswith("E402"):  # simulate a formatter bug: the check before writing must catch it
        from lsprules.lang import printer as formatter

        original = formatter.format_rule_file
        monkeypatch.setattr(formatter, "format_rule_file",
                            lambda rules: original(rules).replace("lower_is_better", "higher_is_better"))
    if stem.startswith("E522"):  # a worker process stops: the system's doing, simulated here
        _stop_workers(monkeypatch)
    args = _args(stem)
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return f"$ lsprules {' '.join(args)}\nexit {result.exit_code}\n--- stdout\n{result.stdout}--- stderr\n" \
           f"{result.stderr}"


def _stop_workers(monkeypatch) -> None:
    """Have the report written by workers, every one of which stops as a process killed by the system does."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from lsprules.jobs import report_workers

    class StoppingPool:
        def __init__(self, *args, **kwargs):
            pass

        def submit(self, *args, **kwargs):
            stopped: Future = Future()
            stopped.set_exception(BrokenProcessPool("A process in the process pool was terminated abruptly while "
                                                    "the future was running or pending."))
            return stopped

        def shutdown(self, *args, **kwargs):
            pass

    monkeypatch.setattr(report_workers, "PARALLEL_AREAS", 1)
    monkeypatch.setattr(report_workers, "ProcessPoolExecutor", StoppingPool)


@pytest.mark.parametrize("stem", _stems())
def test_rendered_diagnostics_match_the_golden_file(stem, monkeypatch):
    transcript = run_case(stem, monkeypatch)
    expected_file = GOLDEN / f"{stem}.out"
    if UPDATE:
        expected_file.write_text(transcript, encoding="utf-8")
    assert transcript == expected_file.read_text(encoding="utf-8")
    code = stem.split("-")[0]
    assert f"[{code}]" in transcript, f"the case {stem} should produce {code}"
    assert "Traceback" not in transcript


def _documented() -> dict[str, str]:
    """Code -> its section in docs/errors.md."""
    text = DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^## (E\d{3})\b.*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_code_is_documented_with_meaning_example_and_fix():
    documented = _documented()
    assert set(documented) == set(CODES)
    for code, section in documented.items():
        if "Reserved" in section:
            continue
        for heading in ("**Means:**", "**Example:**", "**Fix:**"):
            assert heading in section, f"{code} lacks {heading}"


def test_every_documented_code_has_a_golden_case():
    golden_codes = {stem.split("-")[0] for stem in _stems()}
    for code, section in _documented().items():
        if "Reserved" not in section:
            assert code in golden_codes, f"no golden case for {code}"


def test_the_examples_in_the_docs_are_the_golden_outputs():
    text = DOCS.read_text(encoding="utf-8")
    shown = re.findall(r"^```\n(\$ lsprules .*?)\n```$", text, flags=re.MULTILINE | re.DOTALL)
    assert shown
    goldens = {}
    for out in GOLDEN.glob("*.out"):
        transcript = out.read_text(encoding="utf-8")
        command, rest = transcript.split("\n", 1)
        stdout, stderr = rest.split("--- stdout\n", 1)[1].split("--- stderr\n", 1)
        goldens[command] = (stdout + stderr).rstrip("\n")
    for example in shown:
        command, output = example.split("\n", 1)
        assert goldens.get(command) == output, f"docs/errors.md is out of date for `{command}`"
