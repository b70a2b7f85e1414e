"""Polarity: which way is better for an indicator (higher, lower, or closer to an ideal), and the arithmetic of
"better than", "short of" and "at or better than" that the interpreter, the band analysis, the compiled evaluator
and what-if all share, so that none of them can judge a value differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

HIGHER = "higher_is_better"
LOWER = "lower_is_better"
CLOSER = "closer_to"
KINDS = (HIGHER, LOWER, CLOSER)
ZERO = Fraction(0)


@dataclass(frozen=True)
class Polarity:
    """Which way is better: `kind` is one of KINDS; `ideal` is the ideal of `closer_to` (0 for the others)."""

    kind: str
    ideal: Fraction = Fraction(0)

    @property
    def sign(self) -> int | None:
        """+1 when higher is better, -1 when lower is better, None when closer to the ideal is."""
        return 1 if self.kind == HIGHER else -1 if self.kind == LOWER else None

    @property
    def closed_gap(self) -> Fraction:
        """Where a gap is closed: at the ideal when closer is better, else at zero."""
        return self.ideal if self.kind == CLOSER else Fraction(0)

    def better(self, a: Fraction, b: Fraction) -> int:
        """+1 if a is better than b, -1 if worse, 0 if equally good."""
        if self.kind == HIGHER:
            return (a > b) - (a < b)
        if self.kind == LOWER:
            return (a < b) - (a > b)
        da, db = abs(a - self.ideal), abs(b - self.ideal)
        return (da < db) - (da > db)

    def shortfall(self, value: Fraction, reference: Fraction) -> Fraction:
        """How far `value` is worse than `reference` (0 when at or better)."""
        if self.kind == HIGHER:
            return max(ZERO, reference - value)
        if self.kind == LOWER:
            return max(ZERO, value - reference)
        return max(ZERO, abs(value - self.ideal) - abs(reference - self.ideal))

    def by_margin(self, value: Fraction, reference: Fraction, better: bool, bound: str, amount: Fraction) -> bool:
        """Whether `value` is short of (`better`: ahead of) `reference` by a distance that `bound` admits.

        "more than" and "at least" need the value strictly on that side ("at least 0 % better" is strictly
        better); "less than", "up to" and "no more than" include the values at the reference and on the
        other side of it when short ("less than 5 short" includes meeting it) but never, when better, a
        value short of it ("up to 10 % better" means at or above the reference by at most 10 %).
        """
        distance = self.shortfall(reference, value) if better else self.shortfall(value, reference)
        on_side = distance > 0
        if bound == "more than":
            return distance > amount
        if bound == "at least":
            return distance >= amount and on_side
        if better and self.better(value, reference) < 0:
            return False
        return distance < amount if bound == "less than" else distance <= amount  # up to, no more than

    def gap_shortfall(self, value: Fraction) -> Fraction:
        """How far a gap is from closed: from the ideal when closer is better, else from zero."""
        if self.kind == CLOSER:
            return abs(value - self.ideal)
        return self.shortfall(value, Fraction(0))

    def values_short_by(self, reference: Fraction, amount: Fraction) -> list[Fraction]:
        """The values exactly `amount` worse than `reference` (a negative amount: that much better), lowest first;
        none when closer is better and no value is that close to the ideal."""
        if self.kind == HIGHER:
            return [reference - amount]
        if self.kind == LOWER:
            return [reference + amount]
        distance = abs(reference - self.ideal) + amount
        return [self.ideal - distance, self.ideal + distance] if distance >= 0 else []

    def at_or_better(self, reference: Fraction) -> tuple[Fraction | None, Fraction | None]:
        """The values at or better than `reference`, as bounds (low, high) with None for an open end."""
        if self.kind == HIGHER:
            return reference, None
        if self.kind == LOWER:
            return None, reference
        distance = abs(reference - self.ideal)
        return self.ideal - distance, self.ideal + distance

    def scaled_better(self, scale: int) -> Callable[[int, Fraction], int]:
        """better(v / scale, other) for an integer v, by cross-multiplication: no Fraction is built for v."""
        if self.kind == CLOSER:
            ideal = self.ideal

            def closer(v: int, other: Fraction) -> int:
                mine, theirs = abs(Fraction(v, scale) - ideal), abs(other - ideal)
                return (mine < theirs) - (mine > theirs)
            return closer
        sign = 1 if self.kind == HIGHER else -1

        def signed(v: int, other: Fraction) -> int:
            difference = (v * other.denominator - other.numerator * scale) * sign
            return (difference > 0) - (difference < 0)
        return signed
