"""The rule-file AST: frozen dataclasses whose source spans take no part in equality.

A parsed file equals a hand-built one, so tests and the formatter can compare trees directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lsprules.core.source import Span


@dataclass(frozen=True)
class Node:
    """Base of every AST node: carries a span that equality ignores."""

    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


# --- quantities and expressions -------------------------------------------------------------


@dataclass(frozen=True)
class Quantity(Node):
    """A number with an optional unit: '%' (of something, or a percent value) or 'pp' (percentage points)."""

    value: Decimal
    unit: str | None = None


@dataclass(frozen=True)
class Name(Node):
    """A reference to another indicator or to a declared dataset field."""

    id: str


@dataclass(frozen=True)
class Ref(Node):
    """A named value of the indicator being judged: value, previous, target, trajectory, baseline, change."""

    which: str


@dataclass(frozen=True)
class Negate(Node):
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True)
class Arith(Node):
    """A binary arithmetic operation: + - * /."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare(Node):
    """A comparison: >= <= == != > <."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class And(Node):
    """Both conditions hold."""

    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or(Node):
    """Either condition holds."""

    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not(Node):
    """The condition does not hold."""

    operand: Expr


@dataclass(frozen=True)
class Call(Node):
    """A built-in function: sum, min, max, mean over values; count, share over theme members."""

    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class ArrowIs(Node):
    """`arrow is [not] up|static|down|peak|na`."""

    arrow: str
    negated: bool = False


@dataclass(frozen=True)
class RagIs(Node):
    """`rag is [not] BAND` (theme rating rules only)."""

    band: str
    negated: bool = False


@dataclass(frozen=True)
class OnTrajectory(Node):
    """`on trajectory`: the value is at or better than the trajectory value for its period."""


@dataclass(frozen=True)
class TargetMet(Node):
    """`target met`: the value is at or better than the target."""


@dataclass(frozen=True)
class TargetExceeded(Node):
    """`target exceeded by Q`: the value beats the target by at least Q (absolute, or % of the target)."""

    margin: Quantity


@dataclass(frozen=True)
class WithinTarget(Node):
    """`within Q of target`: the value misses the target by at most Q (absolute, pp, or % of the target)."""

    margin: Quantity


@dataclass(frozen=True)
class GapState(Node):
    """`gap closed|narrowed|widened`: how the shortfall from a zero gap moved since the earlier value."""

    state: str


@dataclass(frozen=True)
class AtComparator(Node):
    """`X at C`: indicator X's value in comparator C's area (or the mean over C's areas)."""

    indicator: str
    comparator: str


@dataclass(frozen=True)
class AtPeriod(Node):
    """`X at 2005/06`: indicator X's value at one fixed period, whatever period is being computed."""

    indicator: str
    period: str


@dataclass(frozen=True)
class Presence(Node):
    """`no target`, `has data`, `no previous value`...: whether something is there (never unknown)."""

    thing: str  # "target", "data" or "previous value"
    present: bool


# How a margin is bounded, and the words of each bound.
BOUNDS = ("more than", "at least", "less than", "up to", "no more than")


@dataclass(frozen=True)
class Margin(Node):
    """`more than Q short of target`, `at least Q better than target`, `target exceeded by more than Q`...

    `side` is "short", "better" or "exceeded" (better, worded from the target); `bound` one of BOUNDS;
    `reference` what the distance is measured from: "target", "trajectory" (its value for the period), or a
    reference level (trigger, floor, stretch, ceiling, benchmark: from the rules or the data, as `reaches` reads it).
    """

    side: str
    bound: str
    amount: Quantity
    reference: str = "target"


@dataclass(frozen=True)
class Significance(Node):
    """`significantly better|worse than benchmark`, `significantly different from benchmark` [at Q %].

    Decided by whether the value's confidence interval lies wholly above or below the benchmark;
    `not significantly different from benchmark` is Fingertips' "similar".
    """

    outcome: str  # "better", "worse" or "different"
    level: Quantity | None = None  # None: 95 %


@dataclass(frozen=True)
class LevelRef(Node):
    """A reference level of the indicator being judged: trigger, floor, stretch, ceiling or benchmark."""

    name: str


@dataclass(frozen=True)
class Reaches(Node):
    """`A reaches B`: A is at or better than B, by the indicator's polarity."""

    left: Expr
    right: Expr


Expr = (Quantity | Name | Ref | Negate | Arith | Compare | And | Or | Not | Call | ArrowIs | RagIs | OnTrajectory |
        TargetMet | TargetExceeded | WithinTarget | GapState | AtComparator | AtPeriod | Presence | Margin |
        LevelRef | Reaches | Significance)


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSetting(Node):
    """`unit count|percent|ratio|rate per N`."""

    kind: str
    per: Decimal | None = None


@dataclass(frozen=True)
class PolaritySetting(Node):
    """`polarity higher_is_better|lower_is_better|closer_to Q`."""

    kind: str
    ideal: Quantity | None = None


@dataclass(frozen=True)
class ValueSetting(Node):
    """`value = EXPR [as percent]`: the indicator is derived."""

    expr: Expr
    as_percent: bool = False


@dataclass(frozen=True)
class FieldsSetting(Node):
    """`fields a, b`: dataset components the value expression may name."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class DecimalsSetting(Node):
    """`decimals N`: places shown for a computed value."""

    places: int


@dataclass(frozen=True)
class CompareStmt(Node):
    """`compare latest with previous | same period last year | mean of previous N`."""

    method: str  # "previous", "year", "mean" or "trend" (the recent trend's chi-squared test)
    count: int | None = None
    level: Quantity | None = None  # the trend test's confidence level


@dataclass(frozen=True)
class StaticStmt(Node):
    """`static within Q` (change ≤ Q) or `static below Q` (change < Q)."""

    tolerance: Quantity
    inclusive: bool = True


@dataclass(frozen=True)
class PeakStmt(Node):
    """`peak at Q`: the arrow is ★ when the value is at its maximum Q."""

    maximum: Quantity


ArrowStmt = CompareStmt | StaticStmt | PeakStmt


@dataclass(frozen=True)
class ArrowBlock(Node):
    """`arrow { ... }`: how the direction of travel is judged."""

    statements: tuple[ArrowStmt, ...]


@dataclass(frozen=True)
class BaselineStmt(Node):
    """`baseline P`: the period whose value targets are measured from."""

    period: str


@dataclass(frozen=True)
class ChangeStmt(Node):
    """`reduce|increase by Q by P`: a change from the baseline value, reached by period P."""

    direction: str
    amount: Quantity
    period: str


@dataclass(frozen=True)
class ReachStmt(Node):
    """`reach Q by P`: an absolute value to reach by period P."""

    amount: Quantity
    period: str


@dataclass(frozen=True)
class PeriodTargetStmt(Node):
    """`Q in P`: the target value for one period (a profiled target)."""

    amount: Quantity
    period: str


@dataclass(frozen=True)
class TrajectoryStmt(Node):
    """`trajectory linear|flat`: the path from baseline to target."""

    kind: str


@dataclass(frozen=True)
class AnnualStmt(Node):
    """`annual Q in YEAR profiled evenly | by S1, S2, ... [cumulative]`: a year's target over its parts."""

    amount: Quantity
    period: str
    shares: tuple[Quantity, ...] = ()  # empty: evenly
    cumulative: bool = False


TargetStmt = BaselineStmt | ChangeStmt | ReachStmt | PeriodTargetStmt | TrajectoryStmt | AnnualStmt


@dataclass(frozen=True)
class TargetBlock(Node):
    """`target { ... }`: a target and how progress towards it is judged."""

    statements: tuple[TargetStmt, ...]


@dataclass(frozen=True)
class FixedTarget(Node):
    """`target Q`: a constant target value."""

    amount: Quantity


@dataclass(frozen=True)
class DataTarget(Node):
    """`target from data`: the dataset gives the target per area and period."""


@dataclass(frozen=True)
class Clause(Node):
    """`LABEL ["description"] when CONDITION` or `LABEL ["description"] otherwise` (condition None)."""

    label: str
    condition: Expr | None = None
    description: str | None = None  # what the band means, in words, for a report's key


@dataclass(frozen=True)
class Scale(Node):
    """`scale A < B < C`: an ordered set of ratings, worst first."""

    levels: tuple[str, ...]


@dataclass(frozen=True)
class RagBlock(Node):
    """`rag { [scale ...] clauses }`: ordered first-match RAG clauses."""

    scale: Scale | None
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class LevelStmt(Node):
    """`trigger Q`: the value of one named reference level."""

    name: str
    amount: Quantity


@dataclass(frozen=True)
class LevelsBlock(Node):
    """`levels { trigger Q  stretch Q ... }`: reference levels declared in the rules (the data may give its own)."""

    statements: tuple[LevelStmt, ...]


Setting = (UnitSetting | PolaritySetting | ValueSetting | FieldsSetting | DecimalsSetting | ArrowBlock | TargetBlock |
           FixedTarget | RagBlock | LevelsBlock | DataTarget)


# --- top-level items ------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile(Node):
    """`profile NAME { settings }`: shared policy."""

    name: str
    settings: tuple[Setting, ...]


@dataclass(frozen=True)
class Indicator(Node):
    """`indicator NAME ["title"] [uses PROFILE] [{ settings }]`."""

    name: str
    title: str | None = None
    uses: str | None = None
    settings: tuple[Setting, ...] | None = None


@dataclass(frozen=True)
class Group(Node):
    """`group NAME ["title"] { indicators }`: a section of the report."""

    name: str
    title: str | None
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Members(Node):
    """`indicators a, b, group_c`: a theme's members (groups expand to their indicators)."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Rating(Node):
    """`rating { clauses }`: first-match roll-up rules."""

    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Coverage(Node):
    """`require at least Q assessed`: the members that must have a value (a count, or a % of them all)."""

    minimum: Quantity


ThemeSetting = Scale | Members | Rating | Coverage


@dataclass(frozen=True)
class Theme(Node):
    """`theme NAME ["title"] { scale, indicators, rating, require ... }`."""

    name: str
    title: str | None
    settings: tuple[ThemeSetting, ...]


@dataclass(frozen=True)
class Comparator(Node):
    """`comparator NAME ["title"] area "A"`, or `... mean of areas "A", "B"` (a most-similar group)."""

    name: str
    title: str | None
    areas: tuple[str, ...]
    mean: bool = False


Item = Profile | Indicator | Group | Theme | Comparator


@dataclass(frozen=True)
class Comment(Node):
    """A comment and where it sits, kept for the formatter; trailing comments follow code on their line."""

    text: str
    trailing: bool = False


@dataclass(frozen=True)
class RuleFile(Node):
    """A whole rule file: its items in order and its comments."""

    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
