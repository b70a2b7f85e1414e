"""Turns the bands analysis of each RAG rule into diagnostics, in words a policy lead can act on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from lsprules.analysis.band_judge import Context, Line, Region, level_margin
from lsprules.analysis.bands import Analysis, Scenario, analyse, listed
from lsprules.core.diagnostics import Diagnostic, Severity
from lsprules.core.numbers import exact
from lsprules.core.polarity import CLOSER, LOWER
from lsprules.lang import nodes
from lsprules.lang.printer import format_expr
from lsprules.lang.resolve import IndicatorSpec, walk

# Builds a diagnostic: code, message, node (for its span), hint, severity.
Report = Callable[..., Diagnostic]


@dataclass(frozen=True)
class Words:
    """How numbers are written for one indicator: its unit, and, with a free target, the lines' names."""

    percent: bool
    analysis: Analysis

    def number(self, value: Fraction) -> str:
        """A level in words: '85 %', '0.5', 'about 0.3333'."""
        text = decimal_words(value)
        return f"{text} %" if self.percent else text

    def difference(self, value: Fraction) -> str:
        """A difference in words: '5 pp' for a percentage, else the number."""
        return f"{decimal_words(value)} pp" if self.percent else decimal_words(value)

    def at(self, value: Fraction, scenario: Scenario) -> str:
        """A breakpoint in words: a number, or its place relative to a free target."""
        if not self.analysis.symbolic or scenario.missing_target:
            return self.number(value)
        lines = [line for line in self.analysis.lines if line.at(scenario.target) == value]
        lines.sort(key=lambda line: (line.p != 0, line.p != 1, abs(line.p - 1)))
        return self._line(lines[0]) if lines else self.number(value)

    def _line(self, line: Line) -> str:
        if line.p == 0:
            return self.number(line.q)
        if line.p == 1:
            if line.q == 0:
                return "the target"
            side = "below" if line.q < 0 else "above"
            return f"{self.difference(abs(line.q))} {side} the target"
        share = f"{decimal_words(line.p * 100)} % of the target"
        if line.q == 0:
            return share
        return f"{share} {'minus' if line.q < 0 else 'plus'} {self.difference(abs(line.q))}"

    def region(self, region: Region, scenario: Scenario) -> str:
        """A region of values in words: 'values from 85 % up to but not including 90 %'."""
        low, low_closed, high, high_closed = region
        a = None if low is None else self.at(low, scenario)
        b = None if high is None else self.at(high, scenario)
        if a is None and b is None:
            return "every value"
        if low is not None and low == high:
            assert a is not None  # a is low in words
            return f"the value {a}" if not self.analysis.symbolic or a[0].isdigit() else f"a value of exactly {a}"
        if a is None:
            return f"values up to and including {b}" if high_closed else f"values below {b}"
        if b is None:
            return f"values of {a} or more" if low_closed else f"values above {a}"
        if low_closed:
            return f"values from {a} to {b}" if high_closed else f"values from {a} up to but not including {b}"
        return f"values above {a} up to and including {b}" if high_closed else f"values above {a} and below {b}"


def decimal_words(value: Fraction) -> str:
    """A fraction as an exact decimal when it has one (1/8 -> 0.125), else a rounded one marked as such."""
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return f"about {float(value):.4g}"
    places = max(twos, fives)
    whole, part = divmod(int(abs(value) * 10 ** places), 10 ** places)
    text = str(whole) + (f".{part:0{places}d}".rstrip("0") if part else "")
    return ("-" if value < 0 else "") + text


def merged(regions: list[tuple[Region, str | None]]) -> list[tuple[Region, str | None]]:
    """Join neighbouring regions with the same condition into one."""
    out: list[tuple[Region, str | None]] = []
    for region, condition in regions:
        if out and out[-1][1] == condition and out[-1][0][2] == region[0] and out[-1][0][3] != region[1]:
            previous = out[-1][0]
            out[-1] = ((previous[0], previous[1], region[2], region[3]), condition)
        else:
            out.append((region, condition))
    return out


def _joined(parts: list[str], conjunction: str = "and") -> str:
    return listed(parts, conjunction)


def _stretches(scenarios: list[Scenario]) -> int:
    """How many of these scenarios stand for a stretch of targets, not a single one."""
    return sum(1 for s in scenarios if s.stretch is not None and s.stretch[0] != s.stretch[2])


def _target_words(stretch: Region, words: Words) -> str:
    """A stretch of targets in words, after "when the target is": '0', 'above 0', 'above 0 and below 5'."""
    low, low_closed, high, high_closed = stretch
    a = None if low is None else words.number(low)
    b = None if high is None else words.number(high)
    if a is not None and low == high:
        return a
    below = None if b is None else (f"at most {b}" if high_closed else f"below {b}")
    above = None if a is None else (f"at least {a}" if low_closed else f"above {a}")
    return " and ".join(w for w in (above, below) if w is not None) or "any number"


def clause_words(clause: nodes.Clause) -> str:
    """`amber when value >= 50` as written in the canonical format."""
    if clause.condition is None:
        return f"{clause.label} otherwise"
    return f"{clause.label} when {format_expr(clause.condition)}"


# --- context of an indicator ----------------------------------------------------------------------------


def band_context(spec: IndicatorSpec) -> Context:
    """What the indicator's settings fix for its RAG clauses."""
    target = spec.target
    # A change target needs a baseline: without one, evaluation never has a target.
    has_target = target is not None and (
        target.from_data or target.fixed is not None or bool(target.per_period)
        or isinstance(target.goal, (nodes.ReachStmt, nodes.AnnualStmt))
        or (isinstance(target.goal, nodes.ChangeStmt) and target.baseline is not None))
    constant = None
    if target is not None and target.fixed is not None:
        constant = exact(target.fixed.amount.value)
    elif target is not None and isinstance(target.goal, nodes.ReachStmt) and not target.per_period:
        constant = exact(target.goal.amount.value)
    follows = target is not None and (target.from_data or isinstance(target.goal, nodes.AnnualStmt) or
                                      target.fixed is not None or bool(target.per_period) or
                                      target.baseline is None or target.trajectory == "flat")
    return Context(
        polarity=spec.direction,
        target=constant, has_target=has_target, trajectory_is_target=follows,
        peak=exact(spec.arrow.peak.maximum.value) if spec.arrow.peak else None,
        minimum=Fraction(0) if spec.unit.kind == "count" else None)


# --- findings -------------------------------------------------------------------------------------------


@dataclass
class BandCheck:
    """One RAG rule in one context: its analysis and the diagnostics it gives."""

    rag: nodes.RagBlock
    spec: IndicatorSpec
    qualifier: str  # "for indicator 'x': " when the rule is shared by indicators that see it differently
    report: Report

    def run(self) -> Iterator[Diagnostic]:
        """Every finding about this rule, root causes only."""
        clauses = self.rag.clauses
        cut = _otherwise_index(clauses)
        analysis = analyse(clauses[:cut + 1] if cut is not None else clauses, band_context(self.spec))
        if analysis is None:
            if cut is None:
                yield self._no_otherwise("it is too intricate to prove that every value gets a rating")
            return
        words = Words(self.spec.unit.kind == "percent", analysis)
        # A shared rule may open with a clause that always decides for some of its indicators (`grey when no
        # target`, for those with none): the clauses after it are meant for the others, so they are not findings.
        last = _always_decides(analysis) if self.qualifier else None
        end = len(analysis.clauses) if last is None else last + 1
        stop = next((i for i in range(end) if self._never_decided(analysis, i)), None)
        if stop is not None:  # the root cause: clauses after it are never reached
            yield self._undecidable(analysis, stop)
        reached = range(stop if stop is not None else end)
        unreachable = {i: found for i in reached if (found := self._unreachable(analysis, i)) is not None}
        yield from unreachable.values()
        gaps = self._gaps(analysis, words)
        if gaps is not None:
            yield gaps
        elif cut is None and stop is None and not self._covered(analysis):
            yield self._no_otherwise("the other facts its clauses test may leave a case unrated")
        yield from self._overlaps(analysis, words, set(unreachable))
        yield from self._against_polarity(analysis, words)
        yield from self._target_band(analysis, words)

    def _say(self, code: str, message: str, node: nodes.Node | None, hint: str | None = None,
             severity: Severity = Severity.ERROR) -> Diagnostic:
        return self.report(code, self.qualifier + message, node, hint, severity)

    def _never_decided(self, analysis: Analysis, index: int) -> bool:
        clause = analysis.clauses[index]
        return clause.condition is not None and not analysis.ever_decided(index)

    def _undecidable(self, analysis: Analysis, index: int) -> Diagnostic:
        clause = analysis.clauses[index]
        assert clause.condition is not None  # a clause without a condition is always decided
        if not analysis.ctx.has_target and _about_target(clause.condition):
            why, hint = "it has no target", "give the indicator a target (`target 60 %` or a `target { ... }` " \
                "block), or test something it has, such as `arrow is up`"
        else:
            why, hint = "its condition is unknown whatever the data", "check for a division by zero"
        return self._say("E206", f"`{clause_words(clause)}` can never be decided for indicator '{self.spec.id}': "
                         f"{why}, so its RAG rating is always n/a", clause, hint, Severity.WARNING)

    def _unreachable(self, analysis: Analysis, index: int) -> Diagnostic | None:
        clause = analysis.clauses[index]
        if analysis.fires(index):
            return None
        if not analysis.ever_true(index):
            return self._say("E202", f"`{clause_words(clause)}` can never fire: its condition is never true",
                             clause, "check the comparisons: no value satisfies all of them")
        first, undecided = analysis.blockers(index)
        subject = "every value it matches" if analysis.value_only(index) else "every case it matches"
        taken = _joined([f"line {_line(analysis.clauses[i])} (`{clause_words(analysis.clauses[i])}`)"
                         for i in sorted(first)]) if first else ""
        taken = f"taken by {taken}" if taken else ""
        if undecided:
            left = _joined([f"line {_line(analysis.clauses[i])}" for i in sorted(undecided)])
            taken = (taken + " or " if taken else "") + f"left undecided by {left}"
        return self._say("E202", f"`{clause_words(clause)}` can never fire: {subject} is {taken}",
                         clause, "reorder the clauses (the first that holds decides), or change the thresholds")

    def _gaps(self, analysis: Analysis, words: Words) -> Diagnostic | None:
        texts: dict[str, list[Scenario]] = {}
        for scenario in analysis.scenarios:
            by_condition: dict[str | None, list[str]] = {}
            for region, condition in merged(analysis.gap_regions(scenario)):
                by_condition.setdefault(condition, []).append(words.region(region, scenario))
            parts = [_joined(regions) + (f" {condition}" if condition else "")
                     for condition, regions in by_condition.items()]
            if parts:
                texts.setdefault("; ".join(parts), []).append(scenario)
        if not texts:
            return None
        # The commonest, for a free target; of equally common ones, one that holds for a stretch of targets
        # rather than at a single one (a value "of exactly the target" rather than "0" when the target is 0).
        text, where = max(texts.items(), key=lambda item: (len(item[1]), _stretches(item[1])))
        targeted = [s for s in analysis.scenarios if not s.missing_target]
        if len(where) < len(analysis.scenarios) and not all(any(s is w for w in where) for s in targeted):
            # only for some targets: say for which (for every target but not without one: no need)
            stretches = [s.stretch for s in where if not s.missing_target and s.stretch is not None]
            if not stretches:
                text = f"when there is no target, {text}"
            else:
                text = f"when the target is {_joined([_target_words(s, words) for s in stretches], 'or')}, {text}"
        return self._say("E201", f"{text} {_match(text)} no clause of this RAG rule", self.rag,
                         "add a clause for them, or end with a catch-all such as `red otherwise`")

    def _covered(self, analysis: Analysis) -> bool:
        """Whether every case ends with a clause firing or undecided (never with no match)."""
        return not any(o.kind == "gap" for _, _, o, _ in analysis.judged())

    def _no_otherwise(self, why: str) -> Diagnostic:
        return self._say("E204", f"this RAG rule has no `otherwise` clause, and {why}", self.rag,
                         "end with a catch-all clause such as `red otherwise`", Severity.WARNING)

    def _overlaps(self, analysis: Analysis, words: Words, unreachable: set[int]) -> Iterator[Diagnostic]:
        if analysis.symbolic:
            return
        scenario = analysis.scenarios[0]
        for later in range(len(analysis.clauses)):
            if later in unreachable or not analysis.value_only(later):
                continue
            for earlier in range(later):
                found = self._overlap(analysis, words, scenario, earlier, later)
                if found is not None:
                    yield found
                    break

    def _overlap(self, analysis: Analysis, words: Words, scenario: Scenario, earlier: int,
                 later: int) -> Diagnostic | None:
        if not analysis.value_only(earlier):
            return None
        first = set(analysis.truth_regions(scenario, earlier))
        second = set(analysis.truth_regions(scenario, later))
        both = first & second
        if not both or first <= second:  # a later band containing an earlier one is the usual cascade
            return None
        regions = merged([(scenario.points[i].region, None) for i in sorted(both)])
        text = _joined([words.region(region, scenario) for region, _ in regions])
        one, two = analysis.clauses[earlier], analysis.clauses[later]
        return self._say("E203", f"{text} {_match(text)} both line {_line(one)} (`{clause_words(one)}`) and "
                         f"`{clause_words(two)}`; the first, {one.label}, wins", two,
                         "make the bands meet without overlapping: use < on one side and >= on the other",
                         Severity.WARNING)

    def _against_polarity(self, analysis: Analysis, words: Words) -> Iterator[Diagnostic]:
        ctx = analysis.ctx
        scale = self.spec.rag_scale
        if analysis.symbolic or ctx.polarity.kind == CLOSER:
            return
        scenario = analysis.scenarios[0]
        rated = [(p, analysis.rating(p)) for p in scenario.points]
        rated = [(p, label) for p, label in rated if label in scale]
        if ctx.polarity.kind == LOWER:
            rated.reverse()
        for (worse, low_label), (better, high_label) in pairwise(rated):
            if scale.index(high_label) < scale.index(low_label):
                words_polarity = ctx.polarity.kind.replace("_", " ")
                yield self._say("E207", f"a value of {words.number(_example(better.region))} rates "
                                f"{high_label} but {words.number(_example(worse.region))} rates {low_label}, "
                                f"though {words_polarity}", self.rag,
                                f"check the thresholds: bands should improve as values get better "
                                f"({' < '.join(scale)})", Severity.WARNING)
                return

    def _target_band(self, analysis: Analysis, words: Words) -> Iterator[Diagnostic]:
        ctx = analysis.ctx
        scale = self.spec.rag_scale
        good = "green" if "green" in scale else scale[-1]
        if ctx.target is None or analysis.symbolic:
            return
        point = next((p for p in analysis.scenarios[0].points if p.region[0] == p.region[2] == ctx.target), None)
        if point is None:
            return
        labels = {label for _, o, _ in point.results if (label := analysis.fired_label(o)) is not None}
        known = [label for label in labels if label in scale]
        if known and all(scale.index(label) < scale.index(good) for label in known):
            assert self.spec.target is not None  # ctx.target is only set from the spec's target
            node = self.spec.target.fixed or self.spec.target.goal
            yield self._say("E209", f"a value at the target ({words.number(ctx.target)}) rates "
                            f"{listed(sorted(known, key=scale.index), 'or')}, never {good}", node,
                            f"move the target or the {good} threshold so that meeting the target is {good}",
                            Severity.WARNING)


def _always_decides(analysis: Analysis) -> int | None:
    """The clause that fires in every case there is, if one does (before any `otherwise`)."""
    found = {o.clause if o.kind == "fires" else None for _, _, o, _ in analysis.judged()}
    if analysis.no_data is not None:
        found.add(analysis.no_data[0].clause if analysis.no_data[0].kind == "fires" else None)
    only = found.pop() if len(found) == 1 else None
    return only if only is not None and analysis.clauses[only].condition is not None else None


def _about_target(condition: nodes.Expr) -> bool:
    """Whether a condition tests the target or the trajectory."""
    return any(isinstance(n, (nodes.TargetMet, nodes.OnTrajectory, nodes.WithinTarget, nodes.TargetExceeded)) or
               (isinstance(n, nodes.Margin) and not level_margin(n)) or
               (isinstance(n, nodes.Ref) and n.which in ("target", "trajectory")) for n in walk(condition))


def _match(text: str) -> str:
    """The verb for a description of values: 'the value 90 % matches', 'values ... match'."""
    single = text.split(", ")[-1].startswith(("the value", "a value", "every value")) and " and " not in text
    return "matches" if single else "match"


def _otherwise_index(clauses: tuple[nodes.Clause, ...]) -> int | None:
    return next((i for i, c in enumerate(clauses) if c.condition is None), None)


def _line(node: nodes.Node) -> str:
    return str(node.span.line) if node.span else "?"


def _example(region: Region) -> Fraction:
    """A round value inside a region, for examples in messages."""
    low, low_closed, high, high_closed = region
    if low is not None and low == high:
        return low
    if low is None:
        assert high is not None  # only a lone region is unbounded on both sides, and it is never compared
        return high - 1 if high == int(high) else Fraction(int(high // 1))
    if high is None:
        return low + 1 if low == int(low) else Fraction(int(low // 1) + 1)
    candidate = Fraction(int(low // 1) + 1)
    return candidate if candidate < high else (low + high) / 2
