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

Answers = tuple[bool | None, ...]  # a member's answer to each fact the rating tests
Mix = tuple[tuple[Answers, int], ...]  # how many members give each set of answers


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
    keys, facts = _facts(theme.rating.clauses)
    looks: dict[Answers, list[Look]] = {}
    groups: Counter[tuple[Answers, ...]] = Counter()
    for spec in members:
        choices: dict[Answers, None] = {}
        for look in possible_looks(spec):
            answers = tuple(member_fact(f, look) for f in facts)
            looks.setdefault(answers, []).append(look)
            choices[answers] = None
        groups[tuple(choices)] += 1
    sizes = [comb(n + len(kinds) - 1, len(kinds) - 1) for kinds, n in groups.items()]
    if _product(sizes) > BUDGET:
        return None
    fired: set[int] = set()
    unrated: Mix | None = None
    position = {id(node.args[0]): keys.index(format_expr(node.args[0])) for node in _counts(theme.rating.clauses)}
    kinds = list(looks)
    clauses = theme.rating.clauses

    def tallies() -> Iterator[tuple[tuple[int, ...], Tally]]:
        for counts in _mixes(groups, kinds):
            # How many members each fact holds for, and how many it can judge, in this mix.
            totals = [(sum(n for kind, n in zip(kinds, counts, strict=True) if kind[i] is True),
                       sum(n for kind, n in zip(kinds, counts, strict=True) if kind[i] is not None))
                      for i in range(len(facts))]

            def tally(fact: nodes.Expr, totals: list[tuple[int, int]] = totals) -> tuple[int, int]:
                return totals[position[id(fact)]]

            yield counts, tally

    def truth(index: int, tally: Tally) -> bool | None:
        condition = clauses[index].condition
        return True if condition is None else theme_condition(condition, tally)

    for counts, tally in tallies():
        answer = next(((i, a) for i in range(len(clauses)) if (a := truth(i, tally)) is not False), None)
        if answer is None and unrated is None:
            unrated = tuple(sorted(((k, n) for k, n in zip(kinds, counts, strict=True) if n),
                                   key=lambda item: repr(item[0])))
        elif answer is not None and answer[1]:
            fired.add(answer[0])
    # Only for the clauses that never fire: is their condition ever true at all (the message differs)?
    held: set[int] = set()
    idle = set(range(len(clauses))) - fired
    for _, tally in tallies() if idle else ():
        held |= {i for i in idle - held if truth(i, tally)}
    words = _mix_words(unrated, looks, facts) if unrated is not None else None
    return ThemeAnalysis(theme.rating.clauses, frozenset(fired), frozenset(held), words)


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


def _product(sizes: list[int]) -> int:
    total = 1
    for size in sizes:
        total *= size
    return total


def _mixes(groups: Counter[tuple[Answers, ...]], kinds: list[Answers]) -> Iterator[tuple[int, ...]]:
    """Every distinct mix, as how many members give each kind of answers (in the order of `kinds`): each group
    of alike members split among the answers they can give."""
    seen: set[tuple[int, ...]] = set()
    places = [[kinds.index(answers) for answers in group] for group in groups]
    per_group = [list(_splits(n, len(group))) for group, n in groups.items()]
    for choice in product(*per_group):
        total = [0] * len(kinds)
        for where, split in zip(places, choice, strict=True):
            for place, count in zip(where, split, strict=True):
                total[place] += count
        mix = tuple(total)
        if mix not in seen:
            seen.add(mix)
            yield mix


def _splits(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write `total` as an ordered sum of `parts` counts (0 allowed)."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total, -1, -1):
        for rest in _splits(total - first, parts - 1):
            yield (first, *rest)


def _mix_words(mix: Mix, looks: dict[Answers, list[Look]], facts: list[nodes.Expr]) -> str:
    """'3 members with arrow up, 1 with arrow down or static': one phrase per kind of member."""
    arrows = any(isinstance(n, nodes.ArrowIs) for f in facts for n in walk(f))
    bands = any(isinstance(n, nodes.RagIs) for f in facts for n in walk(f))
    parts = []
    for index, (answers, count) in enumerate(mix):
        noun = ("member" if count == 1 else "members") if index == 0 else ""
        kinds = list(dict.fromkeys(_look_words(look, arrows, bands) for look in looks[answers]))
        parts.append(f"{count} {noun + ' ' if noun else ''}with {' or '.join(kinds)}")
    return ", ".join(parts)


def _look_words(look: Look, arrows: bool, bands: bool) -> str:
    words = []
    if arrows or not bands:
        words.append("no arrow" if look.arrow == "na" else f"arrow {look.arrow}")
    if bands:
        words.append("no RAG rating" if look.rag is None else f"RAG {look.rag}")
    return " and ".join(words)
