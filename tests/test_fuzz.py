"""The fast fuzzing slice (2,000 inputs, about a minute) and the replay of every failure ever found.

Inputs come from tests/fuzz_harness.py: rule files generated from the grammar, and mutations of the bundled
rule files, datasets (YAML, JSON, CSV, xlsx) and rule-test files, each run through check, fmt, evaluate (every
renderer), explain, diff, boundaries and rule tests. The long mode is scripts/fuzz.py (docs/reliability.md).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_harness import CORPUS, GrammarSampler, _mutate_xlsx, mutate, run_one, seeds

# Inputs per kind: together 2,000; the cheap kinds get more.
SLICE = {"grammar": 500, "rules": 250, "yaml": 550, "json": 550, "csv": 80, "xlsx": 30, "tests": 40}
RAN: dict[str, int] = {}
_SAMPLER: list[GrammarSampler] = []


def _sampler() -> GrammarSampler:
    if not _SAMPLER:
        _SAMPLER.append(GrammarSampler())
    return _SAMPLER[0]


def _input(kind: str, rng: random.Random) -> tuple[str, bytes]:
    if kind == "grammar":
        return "rules", _sampler().sentence(rng, max_depth=8, max_tokens=120).encode("utf-8")
    pool = seeds(kind)
    seed = rng.choice(pool)
    return kind, _mutate_xlsx(seed, rng) if kind == "xlsx" else mutate(seed, rng, rng.choice(pool))


@pytest.mark.parametrize("kind", sorted(SLICE))
def test_generated_and_mutated_inputs_give_results_or_diagnostics(kind, tmp_path):
    @settings(max_examples=SLICE[kind], deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.integers(min_value=0, max_value=2**63))
    def one(seed: int) -> None:
        what, data = _input(kind, random.Random(seed))
        RAN[kind] = RAN.get(kind, 0) + 1
        failure = run_one(what, data, tmp_path)
        assert failure is None, f"{failure.problem}\ninput ({what}): {data[:2000]!r}"

    one()


def test_the_slice_ran_two_thousand_inputs():
    if len(RAN) < len(SLICE):
        pytest.skip("run with the whole slice")
    assert sum(RAN.values()) >= 2_000, RAN


CORPUS_FILES = sorted(p for p in CORPUS.glob("*/*") if p.suffix != ".why")


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[f"{p.parent.name}/{p.name}" for p in CORPUS_FILES])
def test_every_failure_once_found_now_passes(path: Path, tmp_path):
    failure = run_one(path.parent.name, path.read_bytes(), tmp_path)
    assert failure is None, f"{path} (first: {path.with_suffix('.why').read_text(encoding='utf-8')}):\n" \
                            f"{failure.problem}"


def test_the_long_mode_s_syntax_tier_runs_rule_files_through_check_and_fmt(tmp_path):
    """scripts/fuzz.py --tier syntax: grammar sentences and mutated bundled rules, check and fmt only."""
    from fuzz_harness import GrammarSampler, syntax_inputs

    stream = syntax_inputs(random.Random(7), GrammarSampler())
    batch = [next(stream) for _ in range(50)]
    assert {kind for kind, _ in batch} == {"syntax"} and len({data for _, data in batch}) > 25
    assert [run_one(kind, data, tmp_path) for kind, data in batch] == [None] * 50
    assert run_one("syntax", b"indicator x {\n  polarity lower_is_better\n}\n", tmp_path) is None
