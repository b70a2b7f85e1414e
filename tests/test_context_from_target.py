"""A report's distance from target ('5 pp short of target', '35.6% better than target') is worded as before its
shortcuts: the distance worked out on integers when higher or lower is better, the shortfall ahead asked only when
not short, the percentage made as one ratio."""

from __future__ import annotations

import random
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

from lsprules.core.numbers import shown
from lsprules.core.polarity import CLOSER, HIGHER, LOWER, Polarity
from lsprules.render.context import _from_target, is_percent


def _worded(spec: Any, a: Any) -> str | None:
    """The wording, as written before."""
    if spec is None or a.value is None or a.target is None:
        return None
    polarity = spec.direction
    short = polarity.shortfall(a.value, a.target)
    ahead = polarity.shortfall(a.target, a.value)
    if short == 0 and ahead == 0:
        return "at target"
    amount, words = (short, "short of target") if short else (ahead, "better than target")
    if is_percent(a.unit):
        return f"{shown(amount, a.decimals)} pp {words}"
    if a.target == 0:
        return f"{shown(amount, a.decimals)} {words}"
    return f"{shown(amount / abs(a.target) * 100, 1)}% {words}"


def test_distances_are_worded_as_before() -> None:
    rng = random.Random(3)

    def number() -> Fraction | None:
        if rng.random() < 0.05:
            return None
        return Fraction(rng.randint(-500, 500), rng.choice([1, 2, 10, 100, 3, 7]))

    for _ in range(20000):
        polarity = Polarity(rng.choice([HIGHER, LOWER, CLOSER]), Fraction(rng.randint(-5, 5)))
        spec = SimpleNamespace(direction=polarity)
        value = number()
        a = SimpleNamespace(value=value, target=rng.choice([number(), value, Fraction(0)]),
                            unit=rng.choice(["count", "percent", " % ", "rate per 1000"]), decimals=rng.randint(0, 3))
        assert _from_target(spec, a) == _worded(spec, a)  # type: ignore[arg-type]
