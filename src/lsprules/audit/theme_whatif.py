"""What would change a theme rating: the fewest members whose arrow (or RAG band) would have to change.

A theme rating depends only on how many members have each arrow and band, so the search runs over counts,
not over members: a breadth-first search where one step changes one member. Members without an arrow (or
band) stay as they are: giving them one would need data, not a different result. Every rating reported is
computed by the interpreter's own theme evaluation.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

from lsprules.core.periods import Period
from lsprules.data.model import Area
from lsprules.engine.interpreter import Assessment, assess_theme
from lsprules.lang import nodes
from lsprules.lang.resolve import RuleSet, ThemeSpec, walk

JUDGED_ARROWS = ("up", "static", "down")
MAX_STATES = 20_000  # a theme of 30 members with three arrows has under 600; the cap bounds the time

Kind = tuple[tuple[str, ...], tuple[str, ...]]  # the arrows and the bands a member may change to
Look = tuple[str, str | None]  # a member's arrow ('na' when none, or when no rule looks) and band
Key = tuple[Kind, str, str | None]  # (kind, arrow, rag)
State = tuple[tuple[Key, int], ...]  # ((kind, arrow, rag), how many) sorted: members grouped by what matters
Step = tuple[State, Look, Look]  # the state before, and one member's look before and after


@dataclass(frozen=True)
class Change:
    """`count` members moving from one arrow/band to another."""

    before: Look
    after: Look
    count: int


@dataclass(frozen=True)
class Reach:
    """The fewest member changes that would give the theme another rating, and one way to do it."""

    rating: str
    members: int
    changes: tuple[Change, ...]


class ThemeWhatIf:
    """Searches the member counts of one theme for the nearest way to each other rating."""

    def __init__(self, rules: RuleSet, theme: ThemeSpec, area: Area, members: list[Assessment],
                 at: Period | None):
        self.rules, self.theme, self.area, self.at = rules, theme, area, at
        self.template = members[0] if members else None
        facts = [n for c in theme.rating.clauses if c.condition is not None for n in walk(c.condition)]
        # Members matter only through the facts the rules test: drop what no rule looks at.
        self.uses_arrow = any(isinstance(n, nodes.ArrowIs) for n in facts)
        self.uses_rag = any(isinstance(n, nodes.RagIs) for n in facts)
        self.start = self._state(members)
        self.complete = True  # False when the search stopped at MAX_STATES before trying every count
        self._members: dict[Look, Assessment] = {}

    def rating(self, state: State) -> str | None:
        """The theme rating the interpreter gives members in this state."""
        if self.template is None:
            return None
        members: dict[str, Assessment] = {}
        for (_, arrow, rag), count in state:
            member = self._member(arrow, rag)  # one shared stand-in per arrow and band: members only count
            for _ in range(count):
                members[f"m{len(members)}"] = member
        theme = replace(self.theme, members=tuple(members))
        return assess_theme(theme, self.area, members, self.at).rating

    def _member(self, arrow: str, rag: str | None) -> Assessment:
        key = (arrow, rag)
        if key not in self._members:
            assert self.template is not None  # only rating() asks, and it returns first without one
            self._members[key] = replace(self.template, arrow=arrow, rag=rag)
        return self._members[key]

    def reach(self) -> list[Reach]:
        """For each other rating that can be reached by changing members, the fewest changes, worst first."""
        current = self.rating(self.start)
        found: dict[str, Reach] = {}
        parents: dict[State, Step | None] = {self.start: None}
        queue = deque([(self.start, 0)])
        wanted = set(self.theme.scale) - {current}
        while queue and len(parents) < MAX_STATES and not wanted <= found.keys():
            state, depth = queue.popleft()
            rating = self.rating(state)
            if rating is not None and rating != current and rating not in found:
                found[rating] = Reach(rating, depth, _changes(self._path(parents, state)))
            for successor, before, after in self._moves(state):
                if successor not in parents:
                    parents[successor] = (state, before, after)
                    queue.append((successor, depth + 1))
        self.complete = not queue or wanted <= found.keys()
        order = {level: i for i, level in enumerate(self.theme.scale)}
        return sorted(found.values(), key=lambda r: order.get(r.rating, len(order)))

    # --- states and moves ------------------------------------------------------------------

    def _state(self, members: list[Assessment]) -> State:
        counts = Counter((self._kind(m), self._arrow(m), self._rag(m)) for m in members)
        return tuple(sorted(counts.items(), key=_order))

    def _kind(self, m: Assessment) -> Kind:
        """What a member may change to: arrows if it has one, bands of its scale if it has one."""
        arrows = JUDGED_ARROWS if self.uses_arrow and m.arrow in JUDGED_ARROWS else ()
        bands = self.rules.indicators[m.indicator].rag_scale if self.uses_rag and m.rag is not None else ()
        return arrows, bands

    def _arrow(self, m: Assessment) -> str:
        return m.arrow if self.uses_arrow else "na"

    def _rag(self, m: Assessment) -> str | None:
        return m.rag if self.uses_rag else None

    def _moves(self, state: State) -> Iterator[Step]:
        counts = dict(state)
        for (kind, arrow, rag), _count in state:
            arrows, bands = kind
            for new_arrow in arrows or (arrow,):
                for new_rag in bands or (rag,):
                    if (new_arrow, new_rag) == (arrow, rag):
                        continue
                    after = dict(counts)
                    after[(kind, arrow, rag)] -= 1
                    key = (kind, new_arrow, new_rag)
                    after[key] = after.get(key, 0) + 1
                    successor = tuple(sorted(((k, n) for k, n in after.items() if n), key=_order))
                    yield successor, (arrow, rag), (new_arrow, new_rag)

    def _path(self, parents: dict[State, Step | None], state: State) -> list[tuple[Look, Look]]:
        steps: list[tuple[Look, Look]] = []
        step = parents[state]
        while step is not None:
            state, before, after = step
            steps.append((before, after))
            step = parents[state]
        return steps[::-1]


def _order(item: tuple[Key, int]) -> tuple[str, str, str]:
    (kind, arrow, rag), _ = item
    return (repr(kind), arrow or "", rag or "")


def _changes(steps: list[tuple[Look, Look]]) -> tuple[Change, ...]:
    """Steps of one member each, added up by what changed into what."""
    counted = Counter(steps)
    return tuple(Change(before, after, n) for (before, after), n in sorted(counted.items(), key=repr))
