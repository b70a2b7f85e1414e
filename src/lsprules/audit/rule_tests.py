"""Rule tests: YAML files of cases (data + expected arrows, bands, values, ratings) run against a rule file.

A test file (`*.tests.yaml`, next to its rules) names its rule file and lists cases. Each case's data is a
dataset file or a dataset written inline; `with` can give an indicator settings it lacks (a target not yet
agreed), for that case only. Results keep what each case asserted, for coverage (see `coverage.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NotRequired, TypedDict, TypeVar

import yaml
from jsonschema import Draft202012Validator, ValidationError

from lsprules.audit.wording import arrow_text, band_text, exact_text, percent_change, signed_text
from lsprules.core.diagnostics import Diagnostic, InputError, at_span, did_you_mean, error
from lsprules.core.files import decode_source
from lsprules.core.limits import number_problem
from lsprules.core.numbers import matches_printed
from lsprules.core.source import Source, Span, display_name
from lsprules.data.model import Dataset
from lsprules.engine.interpreter import Assessment, Evaluation, ThemeResult, evaluate
from lsprules.lang import nodes
from lsprules.lang.resolve import RuleSet, resolve

TEST_SUFFIXES = (".tests.yaml", ".tests.yml")
SYMBOL_ARROWS = {"▲": "up", "◀▶": "static", "▼": "down", "★": "peak"}
DEFAULT_AREA = "Test area"

# What a case expects of one field: an arrow, band or rating (a string), or a value (a number).
Expected = str | int | float
# One case as the schema allows it (`with` is a keyword, hence this form).
Case = TypedDict("Case", {"name": str, "data": str | dict[str, object], "expect": dict[str, dict[str, Expected]],
                          "period": NotRequired[str | int], "area": NotRequired[str],
                          "with": NotRequired[dict[str, str]]})


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One expectation of one case: the subject, the field, expected and actual, and the values involved."""

    subject: str
    kind: str  # "indicator" or "theme"
    field: str
    expected: str
    actual: str
    passed: bool
    detail: str = ""
    rule_line: int | None = None
    assisted: bool = False  # the case gave this subject settings with `with`
    covers: bool = True  # counts towards coverage of the rule file's clauses


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case: its checks, or the error that stopped it."""

    name: str
    line: int | None
    checks: tuple[Check, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        """Whether every check passed and nothing went wrong."""
        return self.error is None and all(c.passed for c in self.checks)


@dataclass(frozen=True)
class FileResult:
    """All cases of one test file, the rule set they ran against, and every file they read."""

    path: str
    rules: RuleSet
    cases: tuple[CaseResult, ...]
    inputs: tuple[tuple[str, str, str], ...]  # (role, path, sha256)


# --- finding test files -----------------------------------------------------------------------


def find_test_files(paths: list[str | Path]) -> list[Path]:
    """Test files named, or found under named folders (default: rules/); InputError when there are none."""
    found: list[Path] = []
    for given in paths or [Path("rules")]:
        path = Path(given)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.name.endswith(TEST_SUFFIXES) and p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise InputError([error("E001", f"cannot read '{display_name(path)}': no such file or folder",
                                    hint="name a test file (*.tests.yaml) or a folder holding some")])
    if not found:
        where = ", ".join(display_name(p) for p in paths or [Path("rules")])
        raise InputError([error("E001", f"no rule tests (*.tests.yaml) found in {where}",
                                hint="write one next to the rules: see docs/auditing.md")])
    return list(dict.fromkeys(found))


# --- loading a test file ----------------------------------------------------------------------


@dataclass(frozen=True)
class TestFile:
    """A validated test file: its path, the rule file it tests, and its cases (document nodes kept for data)."""

    __test__ = False  # not a pytest test class, despite the name

    path: Path
    rules_path: Path
    cases: tuple[Case, ...]
    case_nodes: tuple[yaml.MappingNode, ...]


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    text = resources.files("lsprules").joinpath("schemas/ruletest.schema.json").read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def load_test_file(path: Path, root: Path | None = None) -> TestFile:
    """Read and validate a test file; InputError with file:line for every problem.

    The files it names must lie inside `root` (default: the project holding the test file, see project_root)
    and be of their kind (a `.rules` file, a dataset), so that no other file is ever opened and quoted."""
    name = display_name(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([error("E001", f"cannot read '{name}': {exc.strerror or exc}")]) from None
    source = decode_source(name, data)
    try:
        _refuse_aliases(source)  # before anything expands an alias bomb
        root_node = yaml.compose(source.text, Loader=yaml.SafeLoader)
        _refuse_duplicate_keys(source, root_node)  # safe_load would keep the last, the nodes the first
        document = yaml.safe_load(source.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        span = Span(name, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2) if mark else None
        raise InputError([at_span("E301", f"the test file is not valid YAML: {getattr(exc, 'problem', exc)}",
                                  span, source.line_text(span.line) if span else "")]) from None
    problems = [_schema_problem(source, root_node, e) for e in _validator().iter_errors(document)]
    if problems:
        raise InputError(problems)
    cases_node = _child(root_node, "cases")
    assert cases_node is not None  # the schema requires `cases`
    allowed = (root or project_root(path)).resolve()
    named: list[tuple[str, yaml.Node | None, tuple[str, ...]]] = [(document["rules"], _child(root_node, "rules"),
                                                                   (".rules",))]
    named += [(case["data"], _child(node, "data"), DATASET_SUFFIXES) for case, node in
              zip(document["cases"], cases_node.value, strict=True) if isinstance(case["data"], str)]
    problems = [p for text, node, kinds in named if (p := _path_problem(source, path, text, node, allowed, kinds))]
    if problems:
        raise InputError(problems)
    return TestFile(path, path.parent / document["rules"], tuple(document["cases"]), tuple(cases_node.value))


DATASET_SUFFIXES = (".yaml", ".yml", ".json", ".csv", ".xlsx")
PROJECT_MARKS = (".git", "lsprules.toml", "pyproject.toml")


def project_root(test_file: Path) -> Path:
    """The project a test file belongs to: the nearest folder above it holding .git, lsprules.toml or
    pyproject.toml; without one, the current folder when the test file is inside it, else the test file's own
    folder."""
    folder = test_file.resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / mark).exists() for mark in PROJECT_MARKS):
            return candidate
    here = Path.cwd().resolve()
    return here if folder.is_relative_to(here) else folder


def _path_problem(source: Source, test_file: Path, text: str, node: yaml.Node | None, root: Path,
                  kinds: tuple[str, ...]) -> Diagnostic | None:
    """E007 for a path that leaves the project (after following links), E008 for one not of its kind."""
    span = _node_span(source.name, node)
    line = source.line_text(span.line) if span else ""
    target = (test_file.parent / text).resolve()
    if not target.is_relative_to(root):
        return at_span("E007", f"'{text}' leads outside the project folder, so it is not opened", span, line,
                       hint="keep rule files and datasets inside the project (the nearest folder above the test "
                            "file with .git, lsprules.toml or pyproject.toml), or name a wider one with "
                            "`lsprules test --root DIR`")
    if not text.lower().endswith(kinds):
        return at_span("E008", f"'{text}' is not a {'rule file' if kinds == ('.rules',) else 'dataset'} "
                       f"({', '.join(kinds)})", span, line, hint="name a file of that kind")
    return None


def _refuse_duplicate_keys(source: Source, root: yaml.Node | None) -> None:
    """E302 at a key given twice in one mapping (no recursion: a stack of nodes)."""
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[object] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        span = _node_span(source.name, key)
                        raise InputError([at_span("E302", f"the key '{key.value}' is given twice in one mapping",
                                                  span, source.line_text(span.line) if span else "",
                                                  hint="keep one of them")])
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _refuse_aliases(source: Source) -> None:
    """E009 at the first alias (*name): aliases can expand without bound, and the YAML events show where."""
    for event in yaml.parse(source.text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            span = Span(source.name, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2) if mark else None
            raise InputError([at_span("E009", "aliases (*name) are not allowed in a test file", span,
                                      source.line_text(span.line) if span else "", hint="write the value out in full")])


def _schema_problem(source: Source, root: yaml.Node | None, err: ValidationError) -> Diagnostic:
    where = ".".join(str(p) for p in err.absolute_path) or "the file"
    node = _node_at(root, list(err.absolute_path))
    span = _node_span(source.name, node)
    return at_span("E302", f"{where}: {err.message}", span, source.line_text(span.line) if span else "",
                   hint="see schemas/ruletest.schema.json and docs/auditing.md")


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item: yaml.Node = node.value[key]  # the stubs leave a node's value untyped
        return item
    return None


def _node_at(root: yaml.Node | None, path: list[str | int]) -> yaml.Node | None:
    node = root
    for key in path:
        child = _child(node, key)
        if child is None:
            break
        node = child
    return node


def _node_span(name: str, node: yaml.Node | None) -> Span | None:
    if node is None:
        return None
    mark = node.start_mark
    return Span(name, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2)


# --- running ----------------------------------------------------------------------------------


class _Runner:
    """Runs the cases of one test file, reading each rule file and dataset once."""

    def __init__(self, test: TestFile):
        self.test = test
        self.rules = _read_rules(test.rules_path)
        test_sha256 = hashlib.sha256(test.path.read_bytes()).hexdigest()
        self.inputs: dict[tuple[str, str], str] = {("tests", display_name(test.path)): test_sha256,
                                                   ("rules", self.rules.file): self.rules.sha256}
        self._datasets: dict[Path, Dataset] = {}

    def run(self) -> FileResult:
        """Every case of the file, in order."""
        results = tuple(self.case(case, node) for case, node in zip(self.test.cases, self.test.case_nodes, strict=True))
        inputs = tuple((role, path, sha) for (role, path), sha in self.inputs.items())
        return FileResult(display_name(self.test.path), self.rules, results, inputs)

    def case(self, case: Case, node: yaml.Node) -> CaseResult:
        """One case: its checks, or the error that kept it from running."""
        line = node.start_mark.line + 1
        try:
            extra = parse_overrides(self.rules, case.get("with") or {}, f"{display_name(self.test.path)}:{line}")
            rules = with_overrides(self.rules, extra) if extra else self.rules
            dataset = self._dataset(case["data"], _child(node, "data"), case["name"])
            result = self._evaluate(rules, dataset, case)
        except InputError as exc:
            return CaseResult(case["name"], line, error="; ".join(d.message for d in exc.diagnostics))
        # Clauses brought in by `with` are not the rule file's: their lines must not count as its coverage.
        own_clauses = {name for name, settings in extra.items() if any(isinstance(s, nodes.RagBlock)
                                                                       for s in settings)}
        checks = [dataclasses.replace(check, assisted=subject in extra, covers=subject not in own_clauses)
                  for subject, expected in case["expect"].items()
                  for check in _checks(subject, expected, result, rules)]
        return CaseResult(case["name"], line, tuple(checks))

    def _dataset(self, data: str | dict[str, object], node: yaml.Node | None, case_name: str) -> Dataset:
        from lsprules.data.load import load_any
        from lsprules.data.readers.yaml_reader import load_dataset_bytes

        if isinstance(data, str):
            path = Path(os.path.normpath(self.test.path.parent / data))
            if path not in self._datasets:
                self._datasets[path] = load_any(path)
                loaded = self._datasets[path]
                self.inputs[("dataset", loaded.path)] = loaded.sha256
            return self._datasets[path]
        assert isinstance(node, yaml.MappingNode)  # inline data is a mapping (the schema says so)
        text = _inline_dataset_text(node)
        return load_dataset_bytes(f"{display_name(self.test.path)}, case '{case_name}'", text.encode("utf-8"))

    def _evaluate(self, rules: RuleSet, dataset: Dataset, case: Case) -> Evaluation:
        from lsprules.data.model import resolve_period

        at = resolve_period(str(case["period"]) if "period" in case else None, dataset)
        areas = [a.name for a in dataset.areas]
        area = case.get("area") or (areas[0] if len(areas) == 1 else None)
        if area is None or area not in areas:
            raise InputError([error("E003", f"area {area!r}: the data has no such area" if area else
                                    f"the data has several areas: name one with `area:` ({', '.join(areas)})")])
        return evaluate(rules, dataset, at, [area])


def run_test_files(paths: list[Path], root: Path | None = None) -> list[FileResult]:
    """Load and run every test file; InputError if a test file or its rule file cannot be used."""
    return [_Runner(load_test_file(path, root)).run() for path in paths]


def _read_rules(path: Path) -> RuleSet:
    from lsprules.lang.resolve import load_rules

    return load_rules(path)


def _inline_dataset_text(node: yaml.MappingNode) -> str:
    """The inline dataset as YAML text, exactly as written (numbers stay exact), with a default area."""
    keys = {k.value for k, _ in node.value}
    if "area" not in keys and "areas" not in keys:
        area = (yaml.ScalarNode("tag:yaml.org,2002:str", "area"), yaml.ScalarNode("tag:yaml.org,2002:str",
                                                                                   DEFAULT_AREA))
        node = yaml.MappingNode(node.tag, [area, *node.value])
    return yaml.serialize(node, Dumper=yaml.SafeDumper, allow_unicode=True)


# --- `with`: settings for one case ------------------------------------------------------------


def parse_overrides(rules: RuleSet, overrides: dict[str, str], where: str) -> dict[str, tuple[nodes.Setting, ...]]:
    """Each indicator's `with` settings, parsed; InputError for unknown indicators or bad syntax."""
    unknown = [name for name in overrides if name not in rules.indicators]
    if unknown:
        raise InputError([error("E102", f"{where}: `with` names unknown indicator '{unknown[0]}'",
                                hint=did_you_mean(unknown[0], rules.indicators))])
    return {name: _override_settings(name, text, where) for name, text in overrides.items()}


def _override_settings(name: str, text: str, where: str) -> tuple[nodes.Setting, ...]:
    from lsprules.lang.parser import parse_text

    item = parse_text(f"indicator {name} {{\n{text}\n}}\n", f"{where} (with {name})").items[0]
    assert isinstance(item, nodes.Indicator)  # the text parsed starts with `indicator`
    return item.settings or ()


def with_overrides(rules: RuleSet, extra: dict[str, tuple[nodes.Setting, ...]]) -> RuleSet:
    """The rule set with extra settings in some indicators' own bodies (clause lines stay the file's own)."""
    items = tuple(_patched(item, extra) for item in rules.ast.items)
    path = Path(rules.file)  # read again for positions in messages: the rule set keeps its AST, not its text
    source = decode_source(rules.file, path.read_bytes()) if path.is_file() else Source(rules.file, "")
    return resolve(dataclasses.replace(rules.ast, items=items), source, rules.sha256)


def _patched(item: nodes.Item, extra: dict[str, tuple[nodes.Setting, ...]]) -> nodes.Item:
    if isinstance(item, nodes.Group):
        return dataclasses.replace(item, indicators=tuple(_patched_indicator(i, extra) for i in item.indicators))
    if not isinstance(item, nodes.Indicator):
        return item
    return _patched_indicator(item, extra)


def _patched_indicator(item: nodes.Indicator, extra: dict[str, tuple[nodes.Setting, ...]]) -> nodes.Indicator:
    if item.name not in extra:
        return item
    settings = list(item.settings or ())
    for added in extra[item.name]:
        settings = _with_setting(settings, added)
    return dataclasses.replace(item, settings=tuple(settings))


def _with_setting(settings: list[nodes.Setting], added: nodes.Setting) -> list[nodes.Setting]:
    """Settings with one more: it replaces the same setting, or merges into a block of the same kind."""
    same = next((i for i, s in enumerate(settings) if _setting_kind(s) == _setting_kind(added)), None)
    if same is None:
        return settings + [added]
    old = settings[same]
    if isinstance(old, nodes.ArrowBlock) and isinstance(added, nodes.ArrowBlock):
        added = _merged(old, added)
    elif isinstance(old, nodes.TargetBlock) and isinstance(added, nodes.TargetBlock):
        added = _merged(old, added)
    return settings[:same] + [added] + settings[same + 1:]


_Block = TypeVar("_Block", nodes.ArrowBlock, nodes.TargetBlock)


def _merged(old: _Block, added: _Block) -> _Block:
    """A block with the added block's statements, each replacing the old one of its kind."""
    kinds = {_statement_kind(s) for s in added.statements}
    kept = tuple(s for s in old.statements if _statement_kind(s) not in kinds)
    return dataclasses.replace(old, statements=kept + added.statements)


def _setting_kind(setting: nodes.Setting) -> str:
    # A fixed target and a target block are both "the target": one replaces the other.
    targets = (nodes.FixedTarget, nodes.TargetBlock, nodes.DataTarget)
    return "target" if isinstance(setting, targets) else type(setting).__name__


def _statement_kind(stmt: nodes.ArrowStmt | nodes.TargetStmt) -> str:
    # A goal and values per period are both "the target value": giving one replaces the other.
    goal = (nodes.ChangeStmt, nodes.ReachStmt, nodes.PeriodTargetStmt)
    return "goal" if isinstance(stmt, goal) else type(stmt).__name__


# --- checks -----------------------------------------------------------------------------------


def _checks(subject: str, expected: dict[str, Expected], result: Evaluation, rules: RuleSet) -> list[Check]:
    assessment = next((a for a in result.assessments if a.indicator == subject), None)
    if assessment is not None:
        return [_indicator_check(assessment, field, value) for field, value in expected.items()]
    theme = next((t for t in result.themes if t.theme == subject), None)
    if theme is not None:
        return [_theme_check(theme, field, value) for field, value in expected.items()]
    hint = did_you_mean(subject, [*rules.indicators, *(t.id for t in rules.themes)])
    return [Check(subject, "unknown", "id", "an indicator or theme of the rules", "no such indicator or theme",
                  False, hint or "")]


def _indicator_check(a: Assessment, field: str, expected: Expected) -> Check:
    if field == "arrow":
        assert isinstance(expected, str)  # the schema allows only arrow names and symbols here
        want = SYMBOL_ARROWS.get(expected, expected)
        passed, shown, got = a.arrow == want, arrow_text(want), arrow_text(a.arrow)
    elif field == "rag":
        assert isinstance(expected, str)  # the schema allows only band names here
        passed, shown, got = (a.rag or "na") == expected, expected, band_text(a.rag)
    elif field == "value":
        # An int converts exactly without str(), which refuses more than 4300 digits (the limits judge it next).
        printed = Decimal(expected) if isinstance(expected, int) else Decimal(str(expected))
        if not printed.is_finite() or number_problem(printed):
            return Check(a.indicator, "indicator", field, str(expected), exact_text(a.value), False,
                         "an expected value is a finite number within the limits (docs/reliability.md)")
        passed = a.value is not None and matches_printed(printed, a.value)
        shown, got = str(printed), exact_text(a.value)
    else:
        return Check(a.indicator, "indicator", field, str(expected), "–", False, f"`{field}` applies to themes")
    return Check(a.indicator, "indicator", field, shown, got, passed, "" if passed else assessment_detail(a),
                 a.rule_line)


def _theme_check(t: ThemeResult, field: str, expected: Expected) -> Check:
    if field != "rating":
        return Check(t.theme, "theme", field, str(expected), "–", False, f"a theme has a `rating`, not `{field}`")
    assert isinstance(expected, str)  # the schema allows only rating names here
    passed = (t.rating or "na") == expected
    detail = "" if passed else "; ".join(t.reasons)
    return Check(t.theme, "theme", field, expected, band_text(t.rating), passed, detail, t.rule_line)


def assessment_detail(a: Assessment) -> str:
    """The values behind an assessment, for a failure message."""
    parts = [f"value {exact_text(a.value)} ({a.period})" if a.value is not None else "no value"]
    if a.previous is not None:
        parts.append(f"previous {exact_text(a.previous.value)} ({a.previous.name})")
        if a.change is not None:
            assert a.value is not None  # a change is measured from the latest value
            change = percent_change(a.value, a.previous.value)
            parts.append(f"change {signed_text(a.change)}" + (f" ({change})" if change else ""))
    parts.append(f"arrow {arrow_text(a.arrow)}")
    if a.trajectory is not None:
        parts.append(f"trajectory {exact_text(a.trajectory)}")
    if a.target is not None:
        parts.append(f"target {exact_text(a.target)}")
    decided = next((r for r in reversed(a.reasons) if r.startswith(("RAG", "no arrow"))), None)
    return ", ".join(parts) + (f"; {decided}" if decided else "")
