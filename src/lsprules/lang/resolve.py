"""Resolves a parsed rule file into a rule set: profiles merged into indicators, every name checked."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from lsprules.core.diagnostics import Diagnostic, InputError, at_span, did_you_mean
from lsprules.core.files import decode_source
from lsprules.core.limits import current
from lsprules.core.numbers import exact
from lsprules.core.polarity import Polarity
from lsprules.core.source import Source, Span
from lsprules.core.visible import visible
from lsprules.lang import nodes

DEFAULT_RAG_SCALE = ("red", "amber", "green")
VALUE_FUNCTIONS = {"sum", "min", "max", "mean"}
THEME_FUNCTIONS = {"count", "share"}
# Functions of a whole series (value expressions only): their first argument names an indicator.
COMPARATOR_FUNCTIONS = {"gap", "ratio"}  # gap(x, c) = x - x at c; ratio(x, c) = x / x at c
PERIOD_FUNCTIONS = {"year_to_date": 1, "financial_year_to_date": 1, "from_year_to_date": 1,
                    "from_financial_year_to_date": 1, "rolling_sum": 2, "rolling_mean": 2}  # name -> arguments
# Values some periods earlier (one unless a count is given): previous(x), change(x, 4), percent_change(x).
OFFSET_FUNCTIONS = {"previous", "change", "percent_change"}
SERIES_FUNCTIONS = COMPARATOR_FUNCTIONS | set(PERIOD_FUNCTIONS) | OFFSET_FUNCTIONS
# Functions of numbers that only a `value = ...` expression may use: share_of(a, b) is a as a % of b.
NUMBER_FUNCTIONS = {"share_of": 2}
# Reference levels besides the target: declared in `levels { }` or given by the dataset per area and period.
LEVEL_NAMES = ("trigger", "floor", "stretch", "ceiling", "benchmark")
# Words with a meaning in expressions: an indicator or field with one of these ids could never be named.
RESERVED = frozenset({"value", "previous", "target", "trajectory", "baseline", "change", "arrow", "rag", "on",
                      "gap", "within", "not", "and", "or", "as", "is", "at", "no", "has", "more", "less",
                      "up", "reaches", *LEVEL_NAMES}) | VALUE_FUNCTIONS | THEME_FUNCTIONS
RAG_VALUES = ("value", "previous", "target", "trajectory", "baseline", "change")
BOOLEAN_NODES = (nodes.Compare, nodes.And, nodes.Or, nodes.Not, nodes.ArrowIs, nodes.RagIs, nodes.OnTrajectory,
                 nodes.TargetMet, nodes.TargetExceeded, nodes.WithinTarget, nodes.GapState, nodes.Presence,
                 nodes.Margin, nodes.Reaches, nodes.Significance)

_Setting = TypeVar("_Setting", bound=nodes.Setting)


@dataclass(frozen=True)
class ArrowSpec:
    """How an indicator's arrow is judged, after profile and indicator settings are merged."""

    compare: nodes.CompareStmt = nodes.CompareStmt("previous")
    static: nodes.StaticStmt | None = None
    peak: nodes.PeakStmt | None = None


@dataclass(frozen=True)
class TargetSpec:
    """An indicator's target, after merging: a fixed value, a change from a baseline, or values per period."""

    fixed: nodes.FixedTarget | None = None
    baseline: nodes.BaselineStmt | None = None
    goal: nodes.ChangeStmt | nodes.ReachStmt | nodes.AnnualStmt | None = None
    per_period: tuple[nodes.PeriodTargetStmt, ...] = ()
    trajectory: str = "linear"
    span: Span | None = None
    from_data: bool = False  # `target from data`: the dataset gives it per area and period


@dataclass(frozen=True)
class GroupInfo:
    """A report section: its id and heading."""

    id: str
    title: str | None


@dataclass(frozen=True)
class IndicatorSpec:
    """Everything needed to assess one indicator, with the profile's settings already applied."""

    id: str
    title: str
    group: GroupInfo | None
    profile: str | None
    unit: nodes.UnitSetting
    polarity: nodes.PolaritySetting
    value: nodes.ValueSetting | None
    fields: tuple[str, ...]
    decimals: int | None
    arrow: ArrowSpec
    target: TargetSpec | None
    rag: nodes.RagBlock | None
    span: Span | None = field(default=None, compare=False)
    levels: tuple[nodes.LevelStmt, ...] = ()  # declared reference levels, the indicator's over its profile's

    def level(self, name: str) -> nodes.LevelStmt | None:
        """The declared reference level of that name, if any."""
        return next((s for s in self.levels if s.name == name), None)

    @property
    def counted(self) -> tuple[str, str] | None:
        """The two names a value `a / b` divides, whose figures a report shows beside it from the indicator's fields
        in the data (`96 of 160`), or None."""
        expr = self.value.expr if self.value is not None else None
        if isinstance(expr, nodes.Arith) and expr.op == "/" and isinstance(expr.left, nodes.Name) \
                and isinstance(expr.right, nodes.Name):
            return expr.left.id, expr.right.id
        return None

    @cached_property
    def direction(self) -> Polarity:
        """The polarity as arithmetic: which of two values is better, and by how much one falls short."""
        ideal = self.polarity.ideal
        return Polarity(self.polarity.kind, exact(ideal.value) if ideal is not None else Fraction(0))

    @property
    def rag_scale(self) -> tuple[str, ...]:
        """The declared RAG bands, worst first (red < amber < green unless declared)."""
        return self.rag.scale.levels if self.rag and self.rag.scale else DEFAULT_RAG_SCALE


@dataclass(frozen=True)
class ThemeSpec:
    """A theme: its rating scale, its members (groups expanded) and its first-match rating clauses."""

    id: str
    title: str
    scale: tuple[str, ...]
    members: tuple[str, ...]
    rating: nodes.Rating
    span: Span | None = field(default=None, compare=False)
    coverage: nodes.Coverage | None = None  # `require at least Q assessed`


@dataclass(frozen=True)
class ComparatorSpec:
    """A named comparator: the area it reads (or the areas whose mean it takes), and where it was declared."""

    id: str
    title: str
    areas: tuple[str, ...]
    mean: bool = False
    span: Span | None = field(default=None, compare=False)
    line_text: str = field(default="", compare=False)


@dataclass(frozen=True)
class RuleSet:
    """A resolved rule file, ready to evaluate: indicators in file order, groups, themes, provenance."""

    file: str
    indicators: dict[str, IndicatorSpec]
    groups: tuple[GroupInfo, ...]
    themes: tuple[ThemeSpec, ...]
    ast: nodes.RuleFile
    sha256: str = ""
    comparators: dict[str, ComparatorSpec] = field(default_factory=dict)


def comparator_areas(rules: RuleSet) -> list[str]:
    """Every area the rule set's comparators name, in the order first named."""
    return list(dict.fromkeys(area for spec in rules.comparators.values() for area in spec.areas))


def assessed_away(rules: RuleSet) -> list[str]:
    """The areas single-area comparators name: what others are measured against, not assessed unless asked for."""
    return sorted({spec.areas[0] for spec in rules.comparators.values() if not spec.mean})


def load_rules(path: str | Path) -> RuleSet:
    """Read, parse and resolve a rule file; raise InputError with every problem found."""
    from lsprules.core.files import read_rule_file

    name, data = read_rule_file(path)
    source = decode_source(name, data)
    from lsprules.lang.parser import parse_source

    rule_file = parse_source(source)
    return resolve(rule_file, source, hashlib.sha256(data).hexdigest())


def resolve(rule_file: nodes.RuleFile, source: Source, sha256: str = "") -> RuleSet:
    """Merge profiles into indicators and check names; raise InputError listing every problem."""
    rule_set, problems = resolve_collecting(rule_file, source, sha256)
    if problems:
        raise InputError(problems)
    return rule_set


def resolve_collecting(rule_file: nodes.RuleFile, source: Source,
                       sha256: str = "") -> tuple[RuleSet, tuple[Diagnostic, ...]]:
    """The rule set (best effort) and every problem found: `lsprules check` goes on to its own checks."""
    resolver = _Resolver(source)
    rule_set = resolver.run(rule_file, sha256)
    return rule_set, tuple(resolver.problems)


def walk(expr: nodes.Expr) -> Iterator[nodes.Expr]:
    """Every node of an expression, the node itself first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        for child in _children(node):
            stack.append(child)


def tests_data(rag: nodes.RagBlock | None) -> bool:
    """Whether a RAG rule says what an indicator without data rates (`grey when no data`): only then are its
    clauses tried for an indicator with no value."""
    return rag is not None and any(isinstance(n, nodes.Presence) and n.thing == "data"
                                   for c in rag.clauses if c.condition is not None for n in walk(c.condition))


def bodies(items: Iterable[nodes.Item]) -> Iterator[tuple[nodes.Setting, ...]]:
    """The settings of every profile and indicator (indicators in groups included), in file order."""
    for item in items:
        if isinstance(item, nodes.Profile):
            yield item.settings
        elif isinstance(item, nodes.Indicator):
            yield item.settings or ()
        elif isinstance(item, nodes.Group):
            yield from (ind.settings or () for ind in item.indicators)


def _children(node: nodes.Expr) -> tuple[nodes.Expr, ...]:
    if isinstance(node, (nodes.Arith, nodes.Compare, nodes.And, nodes.Or, nodes.Reaches)):
        return (node.left, node.right)
    if isinstance(node, (nodes.Not, nodes.Negate)):
        return (node.operand,)
    if isinstance(node, nodes.Call):
        return node.args
    return ()


class _Resolver:
    """Collects problems while building the rule set, so that every problem is reported in one run."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Diagnostic] = []
        self.comparators: dict[str, ComparatorSpec] = {}

    def fail(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        line = self.source.line_text(span.line) if span else ""
        problem = at_span(code, message, span, line, hint)
        if problem not in self.problems:  # a profile's problem is met once per indicator using it
            self.problems.append(problem)

    def word_span(self, span: Span | None, pattern: str) -> Span | None:
        """The span of the first match of `pattern` (its last group) on the first line of `span`."""
        if span is None:
            return None
        match = re.compile(pattern).search(self.source.line_text(span.line), span.column - 1)
        if match is None:
            return span
        assert match.lastindex is not None  # every pattern given here has one group, which every match fills
        return Span(span.file, span.line, match.start(match.lastindex) + 1, span.line,
                    match.end(match.lastindex) + 1)

    # --- the whole file -----------------------------------------------------------------------

    def run(self, rule_file: nodes.RuleFile, sha256: str) -> RuleSet:
        profiles = {i.name: i for i in rule_file.items if isinstance(i, nodes.Profile)}
        self.comparators = {c.name: self._comparator(c) for c in rule_file.items if isinstance(c, nodes.Comparator)}
        placed = list(self._placed_indicators(rule_file.items))
        groups = tuple(GroupInfo(g.name, _shown(g.title)) for g in rule_file.items if isinstance(g, nodes.Group))
        self._check_unique(rule_file.items, placed)
        indicators = {ind.name: self._indicator(ind, group, profiles) for ind, group in placed}
        self._check_rags(rule_file.items)
        for spec in indicators.values():
            self._check_value(spec, indicators)
        self._check_cycles(indicators)
        group_members = {g.name: tuple(i.name for i in g.indicators)
                         for g in rule_file.items if isinstance(g, nodes.Group)}
        themes = tuple(self._theme(t, indicators, group_members)
                       for t in rule_file.items if isinstance(t, nodes.Theme))
        return RuleSet(self.source.name, indicators, groups, themes, rule_file, sha256, self.comparators)

    def _comparator(self, comparator: nodes.Comparator) -> ComparatorSpec:
        if comparator.name in LEVEL_NAMES:  # `gap(x, benchmark)` would read the word as the reference level
            self.fail("E114", f"'{comparator.name}' is a reserved word and cannot be a comparator id",
                      comparator.span, f"choose another id, e.g. '{comparator.name}_area'")
        line = self.source.line_text(comparator.span.line) if comparator.span else ""
        return ComparatorSpec(comparator.name, visible(comparator.title or comparator.name),
                              tuple(visible(area) for area in comparator.areas),
                              comparator.mean, comparator.span, line)

    def _placed_indicators(self, items: Iterable[nodes.Item]) -> Iterator[tuple[nodes.Indicator, GroupInfo | None]]:
        for item in items:
            if isinstance(item, nodes.Indicator):
                yield item, None
            elif isinstance(item, nodes.Group):
                for ind in item.indicators:
                    yield ind, GroupInfo(item.name, _shown(item.title))

    def _check_reserved(self, placed: list[tuple[nodes.Indicator, GroupInfo | None]]) -> None:
        for ind, _ in placed:
            names = [ind.name] + [f for s in ind.settings or () if isinstance(s, nodes.FieldsSetting) for f in s.names]
            for name in names:
                if name in RESERVED:
                    self.fail("E114", f"'{name}' is a reserved word and cannot be an indicator or field id",
                              ind.span, f"choose another id, e.g. '{ind.name}_{name}'" if name != ind.name
                              else f"choose another id, e.g. '{name}_total'")

    def _check_unique(self, items: tuple[nodes.Item, ...],
                      placed: list[tuple[nodes.Indicator, GroupInfo | None]]) -> None:
        self._check_reserved(placed)
        seen: dict[str, nodes.Node] = {}
        named = [i for i in items if not isinstance(i, nodes.Indicator)] + [ind for ind, _ in placed]
        for item in sorted(named, key=lambda n: (n.span.line, n.span.column) if n.span else (0, 0)):
            if item.name in seen:
                first = seen[item.name]
                where = f" (first defined at line {first.span.line})" if first.span else ""
                self.fail("E104", f"'{item.name}' is defined twice{where}", item.span,
                          "give each profile, indicator, group and theme its own id")
            else:
                seen[item.name] = item

    # --- indicators ---------------------------------------------------------------------------

    def _indicator(self, ind: nodes.Indicator, group: GroupInfo | None,
                   profiles: dict[str, nodes.Profile]) -> IndicatorSpec:
        settings: list[nodes.Setting] = []
        if ind.uses is not None:
            profile = profiles.get(ind.uses)
            if profile is None:
                self.fail("E103", f"unknown profile '{ind.uses}'", self.word_span(ind.span, r"\buses\s+(\w+)"),
                          did_you_mean(ind.uses, profiles) or "declare it with `profile NAME { ... }`")
            else:
                settings.extend(self._settings(profile.settings))
        own = self._settings(ind.settings or ())
        merged = _merge(settings, own)
        polarity = _merged_setting(merged, "polarity", nodes.PolaritySetting)
        if polarity is None and (ind.uses is None or ind.uses in profiles):  # else the unknown profile is the cause
            self.fail("E111", f"indicator '{ind.name}' has no polarity", ind.span,
                      "add `polarity lower_is_better`, `polarity higher_is_better` or `polarity closer_to N`, "
                      "here or in its profile")
        polarity = polarity or nodes.PolaritySetting("higher_is_better")
        fields = _merged_setting(merged, "fields", nodes.FieldsSetting)
        decimals = _merged_setting(merged, "decimals", nodes.DecimalsSetting)
        spec = IndicatorSpec(
            id=ind.name, title=visible(ind.title or ind.name), group=group, profile=ind.uses,
            unit=_merged_setting(merged, "unit", nodes.UnitSetting) or nodes.UnitSetting("count"), polarity=polarity,
            value=_merged_setting(merged, "value", nodes.ValueSetting),
            fields=fields.names if fields is not None else (),
            decimals=decimals.places if decimals is not None else None,
            arrow=_arrow_spec(settings, own), target=_target_spec(settings, own),
            rag=_merged_setting(merged, "rag", nodes.RagBlock), span=ind.span, levels=_levels(settings, own))
        return spec

    def _settings(self, settings: Iterable[nodes.Setting]) -> list[nodes.Setting]:
        """The settings of one body, reporting any setting (or block statement) given twice."""
        seen: dict[str, nodes.Setting] = {}
        for setting in settings:
            key = _setting_key(setting)
            first = seen.get(key)
            if first is not None:
                self.fail("E108", f"{_setting_word(key)} is given twice in this block", setting.span,
                          f"remove one: the first is at line {first.span.line}" if first.span else None)
            seen[key] = setting
            if isinstance(setting, (nodes.ArrowBlock, nodes.TargetBlock)):
                self._unique_statements(setting.statements)
            if isinstance(setting, nodes.TargetBlock):
                for annual in setting.statements:
                    if isinstance(annual, nodes.AnnualStmt):
                        self._check_annual(annual)
            if isinstance(setting, nodes.TargetBlock):
                self._one_kind_of_target(setting)
            if isinstance(setting, nodes.LevelsBlock):
                self._check_levels(setting)
            if isinstance(setting, nodes.ArrowBlock):
                for compare in setting.statements:
                    if isinstance(compare, nodes.CompareStmt) and compare.level is not None:
                        self._check_confidence(compare.level)
                    if isinstance(compare, nodes.CompareStmt) and compare.method == "mean" and not compare.count:
                        # (the mean of no values: the interpreter would otherwise average every earlier one)
                        self.fail("E110", "`mean of previous N` needs a whole number of values (1 or more)",
                                  self.word_span(compare.span, r"\bprevious\s+(\d+)"),
                                  "e.g. `compare latest with mean of previous 3`")
        return list(settings)

    def _check_annual(self, stmt: nodes.AnnualStmt) -> None:
        """An annual target is for a year, and its shares are 4 (quarters) or 12 (months) percentages making 100 %."""
        if not re.fullmatch(r"\d{4}(/\d{2})?", stmt.period):
            self.fail("E134", f"an annual target is for a year, not {stmt.period}", stmt.span,
                      "write a financial year (2007/08) or a calendar year (2007)")
        if not stmt.shares:
            return
        if len(stmt.shares) not in (4, 12) or any(q.unit != "%" for q in stmt.shares):
            self.fail("E134", f"a profile has 4 shares (quarters) or 12 (months), each in %, not {len(stmt.shares)}"
                      f" {'shares' if len(stmt.shares) != 1 else 'share'}", stmt.span,
                      "e.g. `profiled by 20 %, 25 %, 25 %, 30 %`, or `profiled evenly`")
            return
        total = sum((q.value for q in stmt.shares), Decimal(0))
        if total != 100:
            self.fail("E134", f"the profile's shares add up to {total} %, not 100 %", stmt.span,
                      "correct the shares so that the year's parts make the whole annual target")

    def _check_confidence(self, level: nodes.Quantity) -> None:
        """A confidence level is a percentage strictly between 0 and 100."""
        if level.unit != "%" or not 0 < level.value < 100:
            self.fail("E133", f"`{level.value}{' ' + level.unit if level.unit else ''}` is not a confidence level",
                      level.span, "write a percentage between 0 and 100, e.g. `at 95 %` or `at 99.8 %`")

    def _check_levels(self, block: nodes.LevelsBlock) -> None:
        """Each level once, and only the levels the language knows (the target has its own setting)."""
        seen: set[str] = set()
        for stmt in block.statements:
            if stmt.name not in LEVEL_NAMES:
                hint = "the target has its own setting: `target Q` or `target { ... }`" if stmt.name == "target" \
                    else did_you_mean(stmt.name, LEVEL_NAMES) or f"levels are {', '.join(LEVEL_NAMES)}"
                self.fail("E132", f"'{stmt.name}' is not a reference level", stmt.span, hint)
            elif stmt.name in seen:
                self.fail("E108", f"`{stmt.name}` is given twice in this block", stmt.span, "keep one")
            seen.add(stmt.name)

    def _one_kind_of_target(self, block: nodes.TargetBlock) -> None:
        """Values per period and a reduce/increase/reach goal are two targets: say which one applies."""
        goal = next((s for s in block.statements
                     if isinstance(s, (nodes.ChangeStmt, nodes.ReachStmt, nodes.AnnualStmt))), None)
        profiled = next((s for s in block.statements if isinstance(s, nodes.PeriodTargetStmt)), None)
        if goal is not None and profiled is not None:
            later = max((goal, profiled), key=lambda s: (s.span.line, s.span.column) if s.span else (0, 0))
            self.fail("E108", "this target has both values per period and a reduce/increase/reach goal",
                      later.span, "keep one: values per period (`600 in 2006/07`) or a goal (`reduce by 10 % by "
                      "2007/08`)")

    def _unique_statements(self, statements: Iterable[nodes.ArrowStmt | nodes.TargetStmt]) -> None:
        seen: dict[str, nodes.Node] = {}
        for stmt in statements:
            key = _statement_key(stmt)
            if key == "period_target":
                continue
            if key in seen:
                self.fail("E108", f"`{_statement_word(key)}` is given twice in this block", stmt.span,
                          "keep one; an indicator overrides its profile by giving the setting in its own body")
            seen[key] = stmt

    def _check_rags(self, items: Iterable[nodes.Item]) -> None:
        """Each RAG block once, where it is written (a profile's is checked even if no indicator uses it)."""
        for body in bodies(items):
            for setting in body:
                if isinstance(setting, nodes.RagBlock):
                    scale = setting.scale.levels if setting.scale else DEFAULT_RAG_SCALE
                    self._check_clauses(setting.clauses, scale, "band", theme=False)

    def _check_clauses(self, clauses: tuple[nodes.Clause, ...], scale: tuple[str, ...], word: str,
                       theme: bool) -> None:
        for clause in clauses:
            if clause.label not in scale:
                self.fail("E107", f"'{clause.label}' is not a {word} of this scale ({' < '.join(scale)})",
                          clause.span, did_you_mean(clause.label, scale) or
                          f"declare it with `scale {' < '.join(scale)} < {clause.label}`")
            if clause.condition is not None:
                self._check_condition(clause.condition, theme)

    def _check_condition(self, condition: nodes.Expr, theme: bool) -> None:
        if not isinstance(condition, BOOLEAN_NODES):
            self.fail("E112", "a condition is needed here, not a number", condition.span,
                      "compare it with something, e.g. `value >= target`")
            return
        if not self._operands_are_conditions(condition):
            return
        if theme:
            self._check_theme_expr(condition, inside_count=False)
            return
        # The arguments of a misplaced whole-series call are part of that one mistake: not reported again.
        explained = {id(arg) for node in walk(condition) if isinstance(node, nodes.Call)
                     and node.func in SERIES_FUNCTIONS for arg in node.args}
        for node in walk(condition):
            if id(node) not in explained:
                self._check_rag_node(node)

    def _operands_are_conditions(self, condition: nodes.Expr) -> bool:
        """`not target`, `arrow is up and value`: `and`, `or` and `not` join conditions, never numbers."""
        fine = True
        for node in walk(condition):
            if not isinstance(node, (nodes.And, nodes.Or, nodes.Not)):
                continue
            for operand in _children(node):
                if not isinstance(operand, BOOLEAN_NODES):
                    fine = False
                    self.fail("E115", f"`{_fact_words(operand)}` is a number, not a condition: "
                              f"`{_connective(node)}` joins conditions", operand.span, _condition_hint(operand))
        return fine

    def _check_rag_node(self, node: nodes.Expr) -> None:
        self._check_percent_arithmetic(node)
        if isinstance(node, nodes.Significance) and node.level is not None:
            self._check_confidence(node.level)
        if isinstance(node, nodes.RagIs):
            self.fail("E112", "`rag is` can only be used in a theme's rating rules", node.span,
                      "an indicator's own RAG clauses test facts such as `arrow is up` or `on trajectory`")
        elif isinstance(node, nodes.Call) and node.func in SERIES_FUNCTIONS:
            self.fail("E112", f"{node.func}(...) works on a whole series: use it in `value = ...`", node.span,
                      "define a derived indicator with it, and judge that indicator")
        elif isinstance(node, nodes.Call) and node.func not in VALUE_FUNCTIONS:
            self._unknown_function(node, VALUE_FUNCTIONS)
        elif isinstance(node, nodes.AtComparator):
            self.fail("E112", "`at` reads a comparator's value in `value = ...` only", node.span,
                      f"define a derived indicator, e.g. `value = gap({node.indicator}, {node.comparator})`, "
                      "and judge that indicator")
        elif isinstance(node, nodes.AtPeriod):
            self.fail("E112", "`at` reads a value at another period in `value = ...` only", node.span,
                      f"define a derived indicator, e.g. `value = {node.indicator} - {node.indicator} at "
                      f"{node.period}`, and judge that indicator")
        elif isinstance(node, nodes.Name):
            missing = "to test for something missing, write `no target`, `no data` or `no previous value`"
            self.fail("E106", f"'{node.id}' cannot be used in a RAG condition", node.span,
                      missing if node.id == "na" else did_you_mean(node.id, RAG_VALUES) or
                      "conditions use value, previous, target, trajectory, baseline and change; "
                      "define a derived indicator for anything else")

    def _check_percent_arithmetic(self, node: nodes.Expr) -> None:
        """`target - 5 %` could mean 5 points or 5 % of the target: refuse to guess."""
        if not isinstance(node, nodes.Arith):
            return
        for operand in (node.left, node.right):
            if isinstance(operand, nodes.Quantity) and operand.unit == "%":
                self.fail("E112", f"`{operand.value} %` in arithmetic is ambiguous", operand.span,
                          _percent_arithmetic_hint(node, operand))

    def _check_theme_expr(self, node: nodes.Expr, inside_count: bool) -> None:
        """Theme rules count members: facts about a member only inside count(...) or share(...)."""
        if isinstance(node, nodes.Call):
            if inside_count or node.func not in THEME_FUNCTIONS:
                self._unknown_function(node, THEME_FUNCTIONS)
            elif len(node.args) != 1 or not isinstance(node.args[0], BOOLEAN_NODES):
                self.fail("E112", f"{node.func}(...) takes one condition about a member, e.g. "
                          f"{node.func}(arrow is up)", node.span)
            else:
                self._check_theme_expr(node.args[0], inside_count=True)
        elif isinstance(node, (nodes.ArrowIs, nodes.RagIs)):
            if not inside_count:
                self.fail("E112", "a theme rating counts its members: put this fact inside count(...) or "
                          "share(...)", node.span, f"e.g. `share({_fact_words(node)}) >= 75 %`")
        elif isinstance(node, (nodes.Ref, nodes.Name, nodes.OnTrajectory, nodes.TargetMet, nodes.TargetExceeded,
                               nodes.WithinTarget, nodes.GapState, nodes.AtComparator, nodes.AtPeriod,
                               nodes.Presence, nodes.Margin, nodes.LevelRef, nodes.Reaches, nodes.Significance)):
            self.fail("E112", "theme ratings count members by their arrow and RAG rating only", node.span,
                      "e.g. `count(arrow is up)` or `share(rag is green)`")
        elif inside_count and isinstance(node, nodes.Compare):
            self.fail("E112", "a condition about a member tests its arrow or RAG rating", node.span,
                      "e.g. `count(arrow is up)` or `share(rag is not red)`")
        else:
            for child in _children(node):
                self._check_theme_expr(child, inside_count)

    def _unknown_function(self, node: nodes.Call, known: set[str]) -> None:
        self.fail("E106", f"unknown function '{node.func}'", node.span,
                  did_you_mean(node.func, known) or f"available here: {', '.join(sorted(known))}")

    def _check_value(self, spec: IndicatorSpec, indicators: dict[str, IndicatorSpec]) -> None:
        if spec.value is None:
            return
        expr = spec.value.expr
        if isinstance(expr, BOOLEAN_NODES):
            self.fail("E112", "a value is needed here, not a condition", expr.span,
                      "e.g. `value = assessed / contacts as percent`")
            return
        special = self._check_series_calls(expr, indicators)
        for node in walk(expr):
            self._check_percent_arithmetic(node)
            if id(node) in special:
                continue
            if isinstance(node, nodes.Name) and node.id not in indicators and node.id not in spec.fields:
                hint = did_you_mean(node.id, list(indicators) + list(spec.fields))
                self.fail("E102", f"unknown indicator or field '{node.id}'", node.span,
                          hint or f"name another indicator, or declare a dataset field with `fields {node.id}`")
            elif isinstance(node, nodes.AtComparator):
                self._check_indicator_name(node.indicator, node.span, indicators)
                self._check_comparator_name(node.comparator, node.span)
            elif isinstance(node, nodes.AtPeriod):
                self._check_indicator_name(node.indicator, node.span, indicators)
            elif isinstance(node, nodes.Call) and node.func in NUMBER_FUNCTIONS:
                self._check_number_call(node)
            elif isinstance(node, nodes.Call) and node.func not in VALUE_FUNCTIONS | SERIES_FUNCTIONS:
                self._unknown_function(node, VALUE_FUNCTIONS | SERIES_FUNCTIONS | set(NUMBER_FUNCTIONS))
            elif isinstance(node, BOOLEAN_NODES) or isinstance(node, (nodes.Ref, nodes.LevelRef)):
                self.fail("E112", "a value expression combines numbers, indicators and fields only", node.span)

    def _check_number_call(self, node: nodes.Call) -> None:
        expected = NUMBER_FUNCTIONS[node.func]
        if len(node.args) != expected:
            self.fail("E112", f"{node.func}(...) takes {expected} arguments, not {len(node.args)}", node.span,
                      "e.g. `value = share_of(burglaries, all_crime)`: burglaries as a % of all crime")

    def _check_series_calls(self, expr: nodes.Expr, indicators: dict[str, IndicatorSpec]) -> set[int]:
        """Check gap/ratio and period functions; return the ids of the argument nodes they account for."""
        handled: set[int] = set()
        for node in walk(expr):
            if not (isinstance(node, nodes.Call) and node.func in SERIES_FUNCTIONS):
                continue
            handled.update(id(a) for a in node.args)
            expected = 2 if node.func in COMPARATOR_FUNCTIONS else PERIOD_FUNCTIONS.get(node.func, 1)
            if node.func in OFFSET_FUNCTIONS and len(node.args) == 2:
                expected = 2  # an offset takes an optional count of periods back
            example = _series_call_example(node.func)
            if len(node.args) != expected:
                count = "1 or 2 arguments" if node.func in OFFSET_FUNCTIONS else \
                    f"{expected} argument{'s' if expected > 1 else ''}"
                self.fail("E112", f"{node.func}(...) takes {count}, not {len(node.args)}", node.span,
                          f"e.g. {example}")
                continue
            first = node.args[0]
            if not isinstance(first, nodes.Name):
                self.fail("E112", f"the first argument of {node.func}(...) names an indicator", first.span,
                          f"e.g. {example}")
            else:
                self._check_indicator_name(first.id, first.span, indicators)
            if expected == 2:
                self._check_second_argument(node, example)
        return handled

    def _check_second_argument(self, node: nodes.Call, example: str) -> None:
        second = node.args[1]
        if node.func in COMPARATOR_FUNCTIONS:
            if isinstance(second, nodes.Name):
                self._check_comparator_name(second.id, second.span)
            else:
                self.fail("E112", f"the second argument of {node.func}(...) names a comparator", second.span,
                          f"e.g. {example}")
        elif not (isinstance(second, nodes.Quantity) and second.unit is None and second.value >= 1
                  and second.value == second.value.to_integral_value()):
            self.fail("E110", f"{node.func}(...) needs a whole number of periods (1 or more)", second.span,
                      f"e.g. {example}")

    def _check_indicator_name(self, name: str, span: Span | None, indicators: dict[str, IndicatorSpec]) -> None:
        if name not in indicators:
            self.fail("E102", f"unknown indicator '{name}'", span,
                      did_you_mean(name, indicators) or "name an indicator defined in this file")

    def _check_comparator_name(self, name: str, span: Span | None) -> None:
        if name not in self.comparators:
            known = ", ".join(self.comparators) or "none is declared"
            self.fail("E131", f"unknown comparator '{name}'", span,
                      did_you_mean(name, self.comparators) or
                      f'declare it, e.g. `comparator {name} "England" area "England"` (comparators: {known})')

    def _check_cycles(self, indicators: dict[str, IndicatorSpec]) -> None:
        deps = {i: _dependencies(spec) & indicators.keys() for i, spec in indicators.items()}
        state: dict[str, int] = {}
        for start in indicators:
            cycle = _find_cycle(start, deps, state)
            if cycle:
                spec = indicators[cycle[0]]
                self.fail("E105", "derived indicators depend on each other in a cycle: " + " → ".join(cycle),
                          spec.value.span if spec.value else spec.span,
                          "a derived indicator cannot depend, directly or not, on itself")
                return
        self._check_chain_depth(indicators, deps)

    def _check_chain_depth(self, indicators: dict[str, IndicatorSpec], deps: dict[str, set[str]]) -> None:
        """E706 when derived indicators are chained deeper than the limit (each computed from the next):
        evaluating them recurses once per link. The depths are found without recursion (no cycles remain)."""
        limit = current().derived_depth
        depth: dict[str, int] = {}
        for start in indicators:
            stack = [start]
            while stack:
                node = stack[-1]
                waiting = [d for d in deps[node] if d not in depth]
                if waiting:
                    stack.extend(waiting)
                    continue
                stack.pop()
                depth[node] = 1 + max((depth[d] for d in deps[node]), default=0) if deps[node] else 0
        deepest = max(depth, key=lambda i: depth[i], default=None)
        if deepest is not None and depth[deepest] > limit:
            spec = indicators[deepest]
            self.fail("E706", f"'{deepest}' is computed through a chain of {depth[deepest]} derived indicators, "
                      f"beyond the limit of {limit}", spec.value.span if spec.value else spec.span,
                      f"compute it from fewer steps; if this is meant, raise the limit: lsprules --limit "
                      f"derived_depth={depth[deepest]} ...")

    # --- themes -------------------------------------------------------------------------------

    def _theme(self, theme: nodes.Theme, indicators: dict[str, IndicatorSpec],
               groups: dict[str, tuple[str, ...]]) -> ThemeSpec:
        for kind, word in ((nodes.Scale, "scale"), (nodes.Rating, "rating"), (nodes.Coverage, "require")):
            extra = [s for s in theme.settings if isinstance(s, kind)][1:]
            for duplicate in extra:
                self.fail("E108", f"theme '{theme.name}' has more than one `{word}`", duplicate.span,
                          "keep one")
        scale = next((s for s in theme.settings if isinstance(s, nodes.Scale)), None)
        rating = next((s for s in theme.settings if isinstance(s, nodes.Rating)), None)
        if scale is None:
            self.fail("E111", f"theme '{theme.name}' has no rating scale", theme.span,
                      "add e.g. `scale RED < AMBER_RED < AMBER_GREEN < GREEN`, worst first")
        if rating is None:
            self.fail("E111", f"theme '{theme.name}' has no rating rules", theme.span,
                      "add `rating { LEVEL when CONDITION ... LEVEL otherwise }`")
        expanded: list[str] = []
        for setting in theme.settings:
            if isinstance(setting, nodes.Members):
                for name in setting.names:
                    if name in groups:
                        expanded.extend(groups[name])
                    elif name in indicators:
                        expanded.append(name)
                    else:
                        self.fail("E102", f"unknown indicator or group '{name}' in theme '{theme.name}'",
                                  setting.span, did_you_mean(name, list(indicators) + list(groups)))
        levels = scale.levels if scale else ()
        if rating is not None and scale is not None:
            self._check_clauses(rating.clauses, levels, "rating", theme=True)
        coverage = next((s for s in theme.settings if isinstance(s, nodes.Coverage)), None)
        if coverage is not None:
            self._check_coverage(coverage)
        return ThemeSpec(theme.name, visible(theme.title or theme.name), levels, tuple(dict.fromkeys(expanded)),
                         rating or nodes.Rating(()), theme.span, coverage)

    def _check_coverage(self, coverage: nodes.Coverage) -> None:
        """A share of members is 0–100 %; a count of members is a whole number."""
        q = coverage.minimum
        if q.unit == "pp" or (q.unit == "%" and q.value > 100) or \
                (q.unit is None and q.value != q.value.to_integral_value()):
            self.fail("E116", f"`{_quantity_text(q)}` is not a share or count of members", coverage.span,
                      "write a share from 0 to 100 %, e.g. `require at least 60 % assessed`, or a whole number of "
                      "members, e.g. `require at least 20 assessed`")


# --- merging profile and indicator settings ---------------------------------------------------


def _fact_words(node: nodes.Expr) -> str:
    from lsprules.lang.printer import format_expr

    return format_expr(node)


def _quantity_text(q: nodes.Quantity) -> str:
    from lsprules.lang.printer import format_quantity

    return format_quantity(q)


def _connective(node: nodes.Expr) -> str:
    return "not" if isinstance(node, nodes.Not) else "and" if isinstance(node, nodes.And) else "or"


def _condition_hint(operand: nodes.Expr) -> str:
    if isinstance(operand, nodes.Ref) and operand.which in ("target", "previous"):
        thing = "target" if operand.which == "target" else "previous value"
        return f"write `no {thing}` for a missing {thing} (or `has {thing}`), or compare it, e.g. `value >= " \
               f"{operand.which}`"
    return "compare it with something, e.g. `value >= target`"


def _percent_arithmetic_hint(node: nodes.Arith, operand: nodes.Quantity) -> str:
    """How to say what `Q %` in arithmetic meant: a factor for * and /, points or a margin for + and -."""
    q = operand.value
    if node.op in ("*", "/"):
        return f"write the factor as a plain number: `{format(q / 100, 'f')}` for {q} %"
    return f"write `{q} pp` for percentage points, `within {q} % of target` or `more than {q} % better than " \
           f"target` for a share of the target, or a plain number"


def _setting_key(setting: nodes.Setting) -> str:
    return {
        nodes.UnitSetting: "unit", nodes.PolaritySetting: "polarity", nodes.ValueSetting: "value",
        nodes.FieldsSetting: "fields", nodes.DecimalsSetting: "decimals", nodes.ArrowBlock: "arrow",
        nodes.TargetBlock: "target", nodes.FixedTarget: "target", nodes.RagBlock: "rag", nodes.LevelsBlock: "levels",
        nodes.DataTarget: "target",
    }[type(setting)]


def _setting_word(key: str) -> str:
    return f"`{key}`"


def _statement_key(stmt: nodes.ArrowStmt | nodes.TargetStmt) -> str:
    return {
        nodes.CompareStmt: "compare", nodes.StaticStmt: "static", nodes.PeakStmt: "peak",
        nodes.BaselineStmt: "baseline", nodes.ChangeStmt: "goal", nodes.ReachStmt: "goal",
        nodes.PeriodTargetStmt: "period_target", nodes.TrajectoryStmt: "trajectory", nodes.AnnualStmt: "goal",
    }[type(stmt)]


def _statement_word(key: str) -> str:
    return {"goal": "reduce/increase/reach", "compare": "compare latest with"}.get(key, key)


def _merge(profile: list[nodes.Setting], own: list[nodes.Setting]) -> dict[str, nodes.Setting]:
    """Simple settings: the indicator's own replace the profile's."""
    merged: dict[str, nodes.Setting] = {}
    for setting in list(profile) + list(own):
        merged[_setting_key(setting)] = setting
    return merged


def _merged_setting(merged: dict[str, nodes.Setting], key: str, kind: type[_Setting]) -> _Setting | None:
    """The merged setting filed under `key`, which _setting_key gives to settings of `kind` alone."""
    setting = merged.get(key)
    assert setting is None or isinstance(setting, kind)
    return setting


def _arrow_spec(profile: list[nodes.Setting], own: list[nodes.Setting]) -> ArrowSpec:
    """Arrow statements merge one by one: an indicator can override just the tolerance."""
    spec = ArrowSpec()
    for setting in list(profile) + list(own):
        if isinstance(setting, nodes.ArrowBlock):
            for stmt in setting.statements:
                if isinstance(stmt, nodes.CompareStmt):
                    spec = replace(spec, compare=stmt)
                elif isinstance(stmt, nodes.StaticStmt):
                    spec = replace(spec, static=stmt)
                else:
                    spec = replace(spec, peak=stmt)
    return spec


def _levels(profile: list[nodes.Setting], own: list[nodes.Setting]) -> tuple[nodes.LevelStmt, ...]:
    """Levels merge one by one: an indicator can change its trigger and keep its profile's stretch."""
    merged: dict[str, nodes.LevelStmt] = {}
    for setting in list(profile) + list(own):
        if isinstance(setting, nodes.LevelsBlock):
            merged.update((stmt.name, stmt) for stmt in setting.statements)
    return tuple(merged.values())


def _target_spec(profile: list[nodes.Setting], own: list[nodes.Setting]) -> TargetSpec | None:
    """A fixed target replaces everything; target blocks merge statement by statement."""
    spec: TargetSpec | None = None
    for setting in list(profile) + list(own):
        if isinstance(setting, nodes.FixedTarget):
            spec = TargetSpec(fixed=setting, span=setting.span)
        elif isinstance(setting, nodes.DataTarget):
            spec = TargetSpec(from_data=True, trajectory="flat", span=setting.span)
        elif isinstance(setting, nodes.TargetBlock):
            base = spec if spec is not None and spec.fixed is None else TargetSpec()
            spec = _apply_target_block(base, setting)
    return spec


def _apply_target_block(spec: TargetSpec, block: nodes.TargetBlock) -> TargetSpec:
    baseline, goal, per_period, trajectory = spec.baseline, spec.goal, spec.per_period, spec.trajectory
    own_periods = tuple(s for s in block.statements if isinstance(s, nodes.PeriodTargetStmt))
    if own_periods:
        per_period = own_periods
    for stmt in block.statements:
        if isinstance(stmt, nodes.BaselineStmt):
            baseline = stmt
        elif isinstance(stmt, (nodes.ChangeStmt, nodes.ReachStmt, nodes.AnnualStmt)):
            goal = stmt
        elif isinstance(stmt, nodes.TrajectoryStmt):
            trajectory = stmt.kind
    return TargetSpec(baseline=baseline, goal=goal, per_period=per_period, trajectory=trajectory, span=block.span)


def _series_call_example(func: str) -> str:
    if func in COMPARATOR_FUNCTIONS:
        return f"`value = {func}(robbery_rate, national)`"
    if func in OFFSET_FUNCTIONS:
        return f"`value = {func}(burglaries)` or `value = {func}(burglaries, 4)` (4 periods back)"
    if PERIOD_FUNCTIONS[func] == 2:
        return f"`value = {func}(burglaries, 12)`"
    return f"`value = {func}(burglaries)`"


def _shown(title: str | None) -> str | None:
    """A title as every output shows it: control characters visible (the AST keeps them as written, for fmt)."""
    return None if title is None else visible(title)


def _dependencies(spec: IndicatorSpec) -> set[str]:
    if spec.value is None:
        return set()
    # `x at c` depends on x too: the comparator's own x must be computable without this indicator.
    return {n.id for n in walk(spec.value.expr) if isinstance(n, nodes.Name) and n.id not in spec.fields} | \
        {n.indicator for n in walk(spec.value.expr) if isinstance(n, (nodes.AtComparator, nodes.AtPeriod))}


def _find_cycle(start: str, deps: dict[str, set[str]], state: dict[str, int]) -> list[str] | None:
    """Depth-first search without recursion; returns a cycle as a path of ids, or None."""
    if state.get(start):
        return None
    path: list[str] = []
    stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(deps[start])))]
    state[start] = 1
    path.append(start)
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            path.pop()
            state[node] = 2
        elif state.get(child) == 1:
            return path[path.index(child):] + [child]
        elif not state.get(child):
            state[child] = 1
            path.append(child)
            stack.append((child, iter(sorted(deps[child]))))
    return None


def count_argument(node: nodes.Call) -> int:
    """How many periods back an offset function looks (for a rolling one, how many periods it takes): its second
    argument, else 1."""
    if len(node.args) < 2:
        return 1
    count = node.args[1]
    assert isinstance(count, nodes.Quantity)  # the resolver allows only a whole number of periods here
    return int(count.value)
