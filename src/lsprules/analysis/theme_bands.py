"""Exact analysis of a theme's rating clauses: mixes of members that no clause rates, and clauses that never fire.

A rating reads its members only through the facts inside `count(...)` and `share(...)`, so members that answer
those facts alike are interchangeable: the rating depends only on how many members give each set of answers.
Every possible mix (each member taking any arrow and band its own rules allow, or none) is rated by the
interpreter's own theme evaluation, so what the analysis proves is what evaluation does. Beyond BUDGET mixes
it gives up and says nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from math import comb

from lsprules.engine.interpreter import Tally, member_fact, theme_condition
from lsprules.lang import nodes
from lsprules.lang.printer import format_expr
from lsprules.lang.resolve import IndicatorSpec, ThemeSpec, walk

BUDGET = 20_000  # mixes rated at most: a theme of 33 members tested on two arrows has 7,140
ARROWS = ("up", "static", "down", "peak", "na")

Answers = tuple[bool | None, ...]  # a member's answer to each fact the rating tests: its kind


@dataclass(frozen=True)
class Look:
    """A member as a rating sees it: its arrow ('na' when none) and its RAG band (None when none)."""

    arrow: str
    rag: str | None


@dataclass(frozen=True)
class ThemeAnalysis:
    """What every mix of members gives: clauses that fire, that hold, and a mix that no clause rates."""

    clauses: tuple[nodes.Clause, ...]
    fired: frozenset[int]
    held: frozenset[int]
    unrated: str | None  # a mix that matches no clause, in words

    def fires(self, index: int) -> bool:
        """Whether the clause decides the rating for some mix."""
        return index in self.fired

    def ever_true(self, index: int) -> bool:
        """Whether the clause's condition holds for some mix."""
        return index in self.held


def analyse_theme(theme: ThemeSpec, members: list[IndicatorSpec]) -> ThemeAnalysis | None:
    """Rate every mix of the theme's members; None when there are too many mixes to try."""
    kinds = _Kinds(theme.rating.clauses, members)
    if kinds.mix_count() > BUDGET:
        return None
    clauses = theme.rating.clauses
    fired: set[int] = set()
    unrated: tuple[int, ...] | None = None
    for counts in kinds.mixes():
        first = _first_decided(clauses, kinds.tally(counts))
        if first is None and unrated is None:
            unrated = counts
        elif first is not None and first[1]:
            fired.add(first[0])
    # Only for the clauses that never fire: is their condition ever true at all (the message differs)?
    held: set[int] = set()
    idle = set(range(len(clauses))) - fired
    for counts in kinds.mixes() if idle else ():
        held |= {i for i in idle - held if _truth(clauses[i], kinds.tally(counts))}
    words = kinds.words(unrated) if unrated is not None else None
    return ThemeAnalysis(clauses, frozenset(fired), frozenset(held), words)


def _truth(clause: nodes.Clause, tally: Tally) -> bool | None:
    return True if clause.condition is None else theme_condition(clause.condition, tally)


def _first_decided(clauses: tuple[nodes.Clause, ...], tally: Tally) -> tuple[int, bool] | None:
    """First match, as the interpreter does it: the clause that holds (True) or cannot be decided (False)."""
    for index, clause in enumerate(clauses):
        truth = _truth(clause, tally)
        if truth is not False:
            return index, truth is True
    return None


class _Kinds:
    """The theme's members sorted into kinds by how they answer the rating's facts, and the mixes of kinds."""

    def __init__(self, clauses: tuple[nodes.Clause, ...], members: list[IndicatorSpec]):
        keys, self.facts = _facts(clauses)
        self.position = {id(node.args[0]): keys.index(format_expr(node.args[0])) for node in _counts(clauses)}
        self.looks: dict[Answers, list[Look]] = {}  # each kind of answers, and the looks that give it
        self.groups: Counter[tuple[Answers, ...]] = Counter()  # members alike in the kinds they can be
        for spec in members:
            choices: dict[Answers, None] = {}
            for look in possible_looks(spec):
                answers = tuple(member_fact(f, look) for f in self.facts)
                self.looks.setdefault(answers, []).append(look)
                choices[answers] = None
            self.groups[tuple(choices)] += 1
        self.kinds = list(self.looks)

    def mix_count(self) -> int:
        """How many mixes there are at most (before equal ones from different groups are merged)."""
        total = 1
        for group, n in self.groups.items():
            total *= comb(n + len(group) - 1, len(group) - 1)
        return total

    def mixes(self) -> Iterator[tuple[int, ...]]:
        """Every distinct mix, as how many members are of each kind: each group split among its kinds."""
        seen: set[tuple[int, ...]] = set()
        places = [[self.kinds.index(answers) for answers in group] for group in self.groups]
        for choice in product(*(list(_splits(n, len(group))) for group, n in self.groups.items())):
            total = [0] * len(self.kinds)
            for where, split in zip(places, choice, strict=True):
                for place, count in zip(where, split, strict=True):
                    total[place] += count
            if tuple(total) not in seen:
                seen.add(tuple(total))
                yield tuple(total)

    def tally(self, counts: tuple[int, ...]) -> Tally:
        """For each fact, how many members of this mix it holds for and how many it can judge."""
        pairs = list(zip(self.kinds, counts, strict=True))
        totals = [(sum(n for kind, n in pairs if kind[i] is True), sum(n for kind, n in pairs if kind[i] is not None))
                  for i in range(len(self.facts))]
        return lambda fact: totals[self.position[id(fact)]]

    def words(self, counts: tuple[int, ...]) -> str:
        """'3 members with arrow up, 1 with arrow down or static': one phrase per kind of member."""
        arrows = any(isinstance(n, nodes.ArrowIs) for f in self.facts for n in walk(f))
        bands = any(isinstance(n, nodes.RagIs) for f in self.facts for n in walk(f))
        present = sorted(((k, n) for k, n in zip(self.kinds, counts, strict=True) if n), key=lambda kn: repr(kn[0]))
        parts = []
        for index, (answers, count) in enumerate(present):
            noun = ("member " if count == 1 else "members ") if index == 0 else ""
            looks = dict.fromkeys(_look_words(look, arrows, bands) for look in self.looks[answers])
            parts.append(f"{count} {noun}with {' or '.join(looks)}")
        return ", ".join(parts)


def possible_looks(spec: IndicatorSpec) -> list[Look]:
    """Every arrow and band a member can have: ★ only with `peak at`, its own RAG scale's bands, or none."""
    arrows = [a for a in ARROWS if a != "peak" or spec.arrow.peak is not None]
    bands: list[str | None] = [*spec.rag_scale, None] if spec.rag is not None else [None]
    return [Look(arrow, band) for arrow in arrows for band in bands]


def _counts(clauses: tuple[nodes.Clause, ...]) -> Iterator[nodes.Call]:
    """Every count(...) and share(...) of the clauses."""
    for clause in clauses:
        for node in walk(clause.condition) if clause.condition is not None else ():
            if isinstance(node, nodes.Call) and node.func in ("count", "share") and len(node.args) == 1:
                yield node


def _facts(clauses: tuple[nodes.Clause, ...]) -> tuple[list[str], list[nodes.Expr]]:
    """The distinct facts about a member that the clauses count (the argument of each count or share), by text."""
    found: dict[str, nodes.Expr] = {}
    for node in _counts(clauses):
        found.setdefault(format_expr(node.args[0]), node.args[0])
    keys = sorted(found)
    return keys, [found[key] for key in keys]


def _splits(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write `total` as an ordered sum of `parts` counts (0 allowed)."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total, -1, -1):
        for rest in _splits(total - first, parts - 1):
            yield (first, *rest)


def _look_words(look: Look, arrows: bool, bands: bool) -> str:
    words = []
    if arrows or not bands:
        words.append("no arrow" if look.arrow == "na" else f"arrow {look.arrow}")
    if bands:
        words.append("no RAG rating" if look.rag is None else f"RAG {look.rag}")
    return " and ".join(words)
