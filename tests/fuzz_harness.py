"""Fuzzing lsprules in process: inputs generated from the grammar or mutated from the bundled files, run through
check, fmt, evaluate (every renderer), explain, diff, boundaries and rule tests, with the properties that must
hold for any input. Shared by the fast slice in the test suite (tests/test_fuzz.py) and the long mode
(scripts/fuzz.py).

Properties: nothing escapes but the tool's own diagnostics (InputError); each input is handled within a time
bound; fmt is idempotent and keeps the meaning (format_source checks that itself and says E402 when not, which
here counts as a failure); the compiled CSV evaluator gives the interpreter's bytes.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lark.grammar import NonTerminal, Terminal

from lsprules.core.diagnostics import InputError
from lsprules.core.source import Source

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
SEED_RULES = sorted((ROOT / "rules").glob("*.rules"))
SEED_DATA = sorted(p for p in [*(ROOT / "datasets").iterdir(), *(ROOT / "tests" / "data" / "datasets").rglob("*")]
                   if p.is_file() and p.suffix in (".yaml", ".json", ".csv", ".xlsx") and p.stat().st_size < 200_000)
SEED_TESTS = sorted((ROOT / "rules").glob("*.tests.yaml"))
TIME_BOUND_SECONDS = 2.0
KINDS = ("rules", "yaml", "json", "csv", "xlsx", "tests")


@dataclass(frozen=True)
class Failure:
    """An input that broke a property: its kind, its bytes and what went wrong."""

    kind: str
    data: bytes
    problem: str

    def key(self) -> str:
        """A stable name for the corpus file."""
        return hashlib.sha256(self.data).hexdigest()[:16]


# --- generation from the grammar ----------------------------------------------------------------

_EXTREMES = {
    "NUMBER": ["0", "1", "0.5", "99999999999999999999", "1" * 5000, "0." + "1" * 40, "3.14159", "100"],
    "INT": ["0", "1", "2", "3", "40", "99999", "1" * 30],
    "PERIOD": ["2006/07", "2004/05", "0999/00", "2007/08-Q1", "2006-Q3", "2006-09", "2006", "9999/99"],
    "STRING": ['"A title"', '""', '"\\u001b[31mred"', '"x\\"y"'],
    "NAME": ["x", "value", "a_b", "red", "green", "amber", "crime", "_"],
}


class GrammarSampler:
    """Random sentences of the rule grammar: rules expanded at random, terminals from the bundled files' tokens."""

    def __init__(self) -> None:
        from lsprules.lang.grammar import lark_parser

        parser = lark_parser()
        self.rules: dict[str, list[list[object]]] = {}
        for rule in parser.rules:
            self.rules.setdefault(rule.origin.name, []).append(list(rule.expansion))
        self.literals: dict[str, list[str]] = {}
        for term in parser.terminals:
            if term.pattern.type == "str":
                self.literals[term.name] = [term.pattern.value]
        pools: dict[str, set[str]] = {}
        for path in SEED_RULES:
            try:
                for token in parser.lex(path.read_text(encoding="utf-8")):
                    pools.setdefault(token.type, set()).add(str(token))
            except Exception:  # a lexer error in a seed just means fewer examples
                continue
        for name, extremes in _EXTREMES.items():
            pools.setdefault(name, set()).update(extremes)
        self.pools = {name: sorted(values) for name, values in pools.items()}
        self.depth_needed = self._min_depths()

    def _min_depths(self) -> dict[str, int]:
        """How deep each rule must go at least to finish: used to steer expansions home at the depth bound."""
        depth = dict.fromkeys(self.rules, 10 ** 9)
        changed = True
        while changed:
            changed = False
            for name, expansions in self.rules.items():
                for expansion in expansions:
                    need = 1 + max((depth.get(s.name, 0) if isinstance(s, NonTerminal) else 0 for s in expansion),
                                   default=0)
                    if need < depth[name]:
                        depth[name], changed = need, True
        return depth

    def sentence(self, rng: random.Random, max_depth: int = 12, max_tokens: int = 400) -> str:
        """One random rule file (tokens joined by spaces and newlines)."""
        out: list[str] = []
        self._expand("start", rng, max_depth, out, 2 * max_tokens)
        return "".join(out)

    def _expand(self, name: str, rng: random.Random, budget: int, out: list[str], room: int) -> None:
        expansions = self.rules[name]
        if budget <= 0 or len(out) > room:
            expansions = [min(expansions, key=lambda e: max((self.depth_needed.get(s.name, 0) for s in e
                                                             if isinstance(s, NonTerminal)), default=0))]
        expansion = rng.choice(expansions)
        for symbol in expansion:
            if isinstance(symbol, NonTerminal):
                self._expand(symbol.name, rng, budget - 1, out, room)
            elif isinstance(symbol, Terminal):
                out.append(self._terminal(symbol.name, rng))
                out.append(rng.choice([" ", " ", " ", "\n", "\n  ", " # note\n"]))

    def _terminal(self, name: str, rng: random.Random) -> str:
        if name in self.literals:
            return self.literals[name][0]
        pool = self.pools.get(name)
        if pool:
            return rng.choice(pool)
        return rng.choice(self.pools["NAME"])


# --- mutation -------------------------------------------------------------------------------------

_INTERESTING = [b"\x00", b"\x1b[31m", b"\x1b]0;owned\x07", b"\r", b"\n", b"\t", b"\xef\xbb\xbf", b"\xff",
                b"\xd9\xa7\xd9\xa5", b"\xef\xbc\x97", b"1e99999999", b"-", b"9" * 50, b"1" * 4400, b"0." + b"5" * 40,
                b"&a", b"*a", b"!!python/object", b"'", b'"', b",", b"{", b"}", b"(", b")", b"#", b"..",
                b"../../../../etc/passwd", b"NaN", b".nan", b"Infinity", b"\\ud800", b"2006/07", b"0999/00"]


def mutate(data: bytes, rng: random.Random, splice: bytes = b"") -> bytes:
    """A few random edits of some bytes: flips, inserts, deletes, duplicates, interesting values, a splice."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        at = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(at, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[at:at] = rng.choice(_INTERESTING)
        elif op == 2 and buf:
            del buf[at:at + rng.randint(1, 16)]
        elif op == 3 and buf:
            start = rng.randrange(len(buf))
            buf[at:at] = buf[start:start + rng.randint(1, 64)]
        elif op == 4 and splice:
            start = rng.randrange(len(splice))
            buf[at:at] = splice[start:start + rng.randint(1, 80)]
        elif op == 5 and buf:  # replace a run of digits by another number
            buf[at:at + 1] = str(rng.choice([0, 7, 10**6, 10**30, -1])).encode()
        elif op == 6 and buf:  # duplicate a line
            lines = bytes(buf).split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            buf = bytearray(b"\n".join(lines))
    return bytes(buf)


# --- running one input ----------------------------------------------------------------------------

@cache
def _bundled(kind: str, name: str) -> object:
    """A bundled rule set or dataset, loaded once per process (both are immutable)."""
    from lsprules.data.load import load_any
    from lsprules.lang.resolve import load_rules

    return load_rules(ROOT / "rules" / name) if kind == "rules" else load_any(ROOT / "datasets" / name)


CRIME, DISTRICTS, REDCAR = "crime.rules", "districts.rules", "redcar-cleveland-2007.yaml"


def run_rules(data: bytes, folder: Path) -> None:
    """A rule file through check, fmt (twice), evaluate in every format, explain, diff and boundaries."""
    from lsprules.analysis.rule_checks import check_source
    from lsprules.core.files import decode_source
    from lsprules.jobs.fmt import format_source
    from lsprules.lang.parser import parse_source
    from lsprules.lang.resolve import resolve

    source = decode_source("fuzz.rules", data)
    check_source(source)
    text = format_source(source)
    if format_source(Source("fuzz.rules", text)) != text:
        raise AssertionError("fmt is not idempotent")
    rules = resolve(parse_source(source), source)
    _run_everything(rules, _bundled("data", REDCAR), folder)
    _run_diff(_bundled("rules", CRIME), rules, _bundled("data", REDCAR))


def run_syntax(data: bytes, folder: Path) -> None:
    """The front of the pipeline only: a rule file through check and fmt (twice). Hundreds a second, so the
    long mode's `--tier syntax` can put a million inputs through the parser, resolver, checks and formatter."""
    from lsprules.analysis.rule_checks import check_source
    from lsprules.core.files import decode_source
    from lsprules.jobs.fmt import format_source

    source = decode_source("fuzz.rules", data)
    check_source(source)
    text = format_source(source)
    if format_source(Source("fuzz.rules", text)) != text:
        raise AssertionError("fmt is not idempotent")


def run_dataset(data: bytes, suffix: str, folder: Path) -> None:
    """A dataset through its reader, then evaluate (every format), explain, boundaries and diff."""
    from lsprules.data.load import load_any

    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    dataset = load_any(path)
    rules = _bundled("rules", CRIME if suffix != ".csv" else DISTRICTS)
    _run_everything(rules, dataset, folder)
    _run_diff(rules, rules, dataset)
    if suffix == ".csv":
        _compare_fast_path(rules, path, dataset)


def run_test_file(data: bytes, folder: Path) -> None:
    """A rule-test file, beside copies of the bundled rules and data, through the rule-test runner."""
    from lsprules.audit.coverage import coverage
    from lsprules.audit.rule_tests import run_test_files

    for seed in [*SEED_RULES, *(ROOT / "datasets").iterdir()]:
        target = folder / seed.name
        if not target.exists():
            target.write_bytes(seed.read_bytes())
    path = folder / "fuzz.tests.yaml"
    path.write_bytes(data)
    coverage(run_test_files([path]))


def _run_everything(rules: object, dataset: object, folder: Path) -> None:
    from lsprules.audit.boundaries import boundaries
    from lsprules.audit.explanation import explain_indicator, explain_theme
    from lsprules.audit.provenance import provenance_of
    from lsprules.data.model import Dataset, resolve_period
    from lsprules.engine.interpreter import evaluate
    from lsprules.lang.resolve import RuleSet
    from lsprules.render.csv_out import render_csv
    from lsprules.render.explain_report import render_explanation_json, render_explanation_text
    from lsprules.render.html import render_html
    from lsprules.render.json_out import render_json
    from lsprules.render.markdown import render_markdown
    from lsprules.render.rule_test_report import render_boundaries_text
    from lsprules.render.table import render_table

    assert isinstance(rules, RuleSet) and isinstance(dataset, Dataset)
    at = resolve_period(None, dataset)
    evaluation = evaluate(rules, dataset, at)
    provenance = provenance_of([])
    for render in (render_table, render_json, render_markdown, render_html):
        render(evaluation, provenance)
    render_csv(evaluation)
    for name in list(rules.indicators)[:3]:
        try:
            explanation = explain_indicator(rules, dataset, name, at, None)
        except InputError:
            continue
        render_explanation_text(explanation, provenance)
        render_explanation_json(explanation, provenance)
    for theme in [t.id for t in rules.themes[:1]]:
        try:
            render_explanation_text(explain_theme(rules, dataset, theme, at, None), provenance)
        except InputError:
            continue
    render_boundaries_text([boundaries(rules, dataset, at)], provenance)


def _run_diff(old: object, new: object, dataset: object) -> None:
    from lsprules.audit.impact import DiffReport, FileDiff, impact_of
    from lsprules.audit.provenance import provenance_of
    from lsprules.audit.semantic_diff import diff_rule_sets
    from lsprules.data.model import Dataset, resolve_period
    from lsprules.lang.resolve import RuleSet
    from lsprules.render.diff_report import render_diff_json, render_diff_markdown, render_diff_text

    assert isinstance(old, RuleSet) and isinstance(new, RuleSet) and isinstance(dataset, Dataset)
    report = DiffReport((FileDiff(diff_rule_sets(old, new),
                                  (impact_of(old, new, dataset, resolve_period(None, dataset)),)),), provenance_of([]))
    for render in (render_diff_text, render_diff_markdown, render_diff_json):
        render(report)


def _compare_fast_path(rules: object, path: Path, dataset: object) -> None:
    """The compiled CSV evaluator, where it answers, gives the interpreter's bytes."""
    from lsprules.data.model import Dataset, resolve_period
    from lsprules.engine.compiled import fast_csv
    from lsprules.engine.interpreter import evaluate
    from lsprules.lang.resolve import RuleSet
    from lsprules.render.csv_out import render_csv

    assert isinstance(rules, RuleSet) and isinstance(dataset, Dataset)
    pieces = fast_csv(rules, path)
    fast = None if pieces is None else "".join(pieces)
    if fast is not None and fast != render_csv(evaluate(rules, dataset, resolve_period(None, dataset))):
        raise AssertionError("the compiled CSV evaluator differs from the interpreter")


RUNNERS: dict[str, Callable[[bytes, Path], None]] = {
    "syntax": run_syntax,
    "rules": run_rules,
    "yaml": lambda data, folder: run_dataset(data, ".yaml", folder),
    "json": lambda data, folder: run_dataset(data, ".json", folder),
    "csv": lambda data, folder: run_dataset(data, ".csv", folder),
    "xlsx": lambda data, folder: run_dataset(data, ".xlsx", folder),
    "tests": run_test_file,
}


def run_one(kind: str, data: bytes, folder: Path | None = None,
            time_bound: float = TIME_BOUND_SECONDS) -> Failure | None:
    """Run one input; a Failure when anything but the tool's diagnostics escapes or it takes too long."""
    start = time.perf_counter()
    try:
        if folder is None:
            with tempfile.TemporaryDirectory(prefix="lsprules-fuzz-") as temp:
                RUNNERS[kind](data, Path(temp))
        else:
            RUNNERS[kind](data, folder)
    except InputError as exc:
        if any(d.code == "E402" for d in exc.diagnostics):
            return Failure(kind, data, "fmt would change the meaning or is not idempotent (E402)")
    except RecursionError:
        return Failure(kind, data, "RecursionError")
    except Exception as exc:
        return Failure(kind, data, "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
                       + "\n" + "".join(traceback.format_tb(exc.__traceback__)[-3:]))
    elapsed = time.perf_counter() - start
    if elapsed > time_bound:
        return Failure(kind, data, f"took {elapsed:.1f} s (bound {time_bound} s)")
    return None


# --- inputs ---------------------------------------------------------------------------------------

def seeds(kind: str) -> list[bytes]:
    """The bundled files of one kind, as bytes."""
    if kind == "rules":
        return [p.read_bytes() for p in SEED_RULES]
    if kind == "tests":
        return [p.read_bytes() for p in SEED_TESTS]
    found = [p.read_bytes() for p in SEED_DATA if p.suffix == "." + kind]
    if kind == "json":  # no bundled JSON or xlsx dataset: make them from the YAML and CSV ones
        found += [_json_of(data) for data in seeds("yaml")]
    if kind == "xlsx":
        found += [_xlsx_of(data) for data in seeds("csv")]
    return [data for data in found if data]


def _json_of(yaml_bytes: bytes) -> bytes:
    import json

    import yaml

    try:
        return json.dumps(yaml.safe_load(yaml_bytes), default=str, indent=1).encode("utf-8")
    except yaml.YAMLError:
        return b""


def _xlsx_of(csv_bytes: bytes) -> bytes:
    import csv
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in csv.reader(io.StringIO(csv_bytes.decode("utf-8"))):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def syntax_inputs(rng: random.Random, sampler: GrammarSampler) -> Iterator[tuple[str, bytes]]:
    """An endless stream of rule files for the syntax tier: grammar sentences and mutated bundled rule files."""
    pool = seeds("rules")
    while True:
        if rng.random() < 0.5:
            yield "syntax", sampler.sentence(rng).encode("utf-8")
        else:
            yield "syntax", mutate(rng.choice(pool), rng, rng.choice(pool))


def inputs(rng: random.Random, sampler: GrammarSampler) -> Iterator[tuple[str, bytes]]:
    """An endless stream of (kind, bytes): a grammar sentence or a mutated bundled file of every kind."""
    pools = {kind: seeds(kind) for kind in KINDS}
    pools = {kind: pool for kind, pool in pools.items() if pool}
    kinds = list(pools)
    while True:
        if rng.random() < 0.25:
            yield "rules", sampler.sentence(rng).encode("utf-8")
            continue
        kind = rng.choice(kinds)
        seed = rng.choice(pools[kind])
        splice = rng.choice(pools[kind])
        yield kind, mutate(seed, rng, splice) if kind != "xlsx" else _mutate_xlsx(seed, rng)


def _mutate_xlsx(data: bytes, rng: random.Random) -> bytes:
    """An xlsx with one of its XML parts mutated (a mutated zip is mostly just 'not a zip')."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zin:
            parts = {info.filename: zin.read(info) for info in zin.infolist()}
    except zipfile.BadZipFile:
        return mutate(data, rng)
    victims = [name for name in parts if name.endswith(".xml")]
    victim = rng.choice(victims)
    parts[victim] = mutate(parts[victim], rng)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, body in parts.items():
            zout.writestr(name, body)
    return out.getvalue()


def keep(failure: Failure) -> Path:
    """Save a failing input under tests/corpus/KIND/, with what went wrong beside it."""
    folder = CORPUS / failure.kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / failure.key()
    path.write_bytes(failure.data)
    path.with_suffix(".why").write_text(failure.problem + "\n", encoding="utf-8")
    return path
