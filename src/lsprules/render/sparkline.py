"""An inline SVG sparkline of one series, with its target trajectory as a dashed line.

The SVG holds numbers and fixed words only, except its <title>, which is escaped: it can be pasted into
any HTML page as it is.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from fractions import Fraction

from lsprules.core.periods import Period, PeriodKind
from lsprules.engine.interpreter import Gap

WIDTH, HEIGHT, PAD = 132, 36, 4
LINE, TARGET, LATEST = "#1f4e79", "#8a8a8a", "#1f4e79"

Point = tuple[Period, Fraction]


def sparkline_svg(series: Sequence[tuple[Period, Fraction | Gap]], target_path: Sequence[Point] = (),
                  target: Fraction | None = None, label: str = "") -> str:
    """The SVG text; empty when the series has no value to draw."""
    values = [(p, v) for p, v in series if isinstance(v, Fraction)]
    if not values:
        return ""
    kind = values[0][0].kind
    path = [(p, v) for p, v in target_path if p.kind is kind]
    scale = _Scale([p for p, _ in values + path], [v for _, v in values + path] + ([target] if target is not None
                                                                                   else []))
    parts = [f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html.escape(label, quote=True)}">',
             f"<title>{html.escape(label, quote=True)}</title>"]
    parts += _target(scale, path, target)
    parts += _segments(scale, series, kind)
    latest_x, latest_y = scale.xy(*values[-1])
    parts.append(f'<circle cx="{latest_x}" cy="{latest_y}" r="2.6" fill="{LATEST}"/>')
    parts.append("</svg>")
    return "".join(parts)


class _Scale:
    """Maps periods to x and values to y inside the padded box (higher values drawn higher)."""

    def __init__(self, periods: list[Period], values: list[Fraction]):
        self.first = min(p.index for p in periods)
        self.span = max(p.index for p in periods) - self.first
        # The exact coordinates are worked out on integers rather than Fractions (every point of every row of a
        # national report goes through here): low = c/d and range = e/f, each over a positive denominator (not
        # necessarily in lowest terms, which the coordinates do not need).
        (c, d), (high_n, high_d) = _lowest_and_highest(values)
        e, f = high_n * d - c * high_d, high_d * d
        if e == 0:  # a flat series sits in the middle: low - 1/2, over a range of 1
            c, d, e, f = 2 * c - d, 2 * d, 1, 1
        self.low_n, self.low_d, self.range_n, self.range_d = c, d, e, f

    def xy(self, period: Period, value: Fraction) -> tuple[str, str]:
        """SVG coordinates, to one decimal place."""
        # A single period sits in the middle; otherwise the first is at the left edge and the last at the right:
        # x = PAD + (WIDTH - 2 PAD) * (index - first) / span.
        if not self.span:
            return _one_place(2 * PAD + (WIDTH - 2 * PAD), 2), self.y(value)
        return _one_place(PAD * self.span + (WIDTH - 2 * PAD) * (period.index - self.first), self.span), self.y(value)

    def y(self, value: Fraction) -> str:
        """The SVG y of a value, to one decimal place: HEIGHT - PAD - (HEIGHT - 2 PAD) * (value - low) / range."""
        a, b = value.numerator, value.denominator
        c, d, e, f = self.low_n, self.low_d, self.range_n, self.range_d
        # (value - low) / range = (a d - c b) f / (b d e), with b d e > 0 (a range is never negative or zero)
        scale = b * d * e
        return _one_place((HEIGHT - PAD) * scale - (HEIGHT - 2 * PAD) * (a * d - c * b) * f, scale)

    def x_bounds(self) -> tuple[str, str]:
        return f"{PAD:.1f}", f"{WIDTH - PAD:.1f}"


def _lowest_and_highest(values: list[Fraction]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The lowest and highest values as (numerator, denominator): min() and max() by cross-multiplication."""
    low_n, low_d = high_n, high_d = values[0].numerator, values[0].denominator
    for value in values[1:]:
        n, d = value.numerator, value.denominator
        if n * low_d < low_n * d:
            low_n, low_d = n, d
        elif n * high_d > high_n * d:
            high_n, high_d = n, d
    return (low_n, low_d), (high_n, high_d)


def _one_place(numerator: int, denominator: int) -> str:
    """The exact ratio of two integers as a float to one decimal place: what `float(Fraction(n, d))` gives
    (integer division is correctly rounded, whether or not the ratio is in lowest terms)."""
    return f"{numerator / denominator:.1f}"


def _target(scale: _Scale, path: list[Point], target: Fraction | None) -> list[str]:
    dash = f'fill="none" stroke="{TARGET}" stroke-width="1.2" stroke-dasharray="3 2"'
    if len(path) >= 2:
        points = " ".join(",".join(scale.xy(p, v)) for p, v in sorted(path))
        return [f'<polyline class="target" points="{points}" {dash}/>']
    if target is not None:
        x0, x1 = scale.x_bounds()
        y = scale.y(target)
        return [f'<line class="target" x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" {dash}/>']
    return []


def _segments(scale: _Scale, series: Sequence[tuple[Period, Fraction | Gap]], kind: PeriodKind) -> list[str]:
    """A polyline per run of consecutive values (a gap breaks the line), and a dot at every value."""
    out: list[str] = []
    run: list[tuple[str, str]] = []
    ended: list[tuple[Period | None, Fraction | Gap | None]] = [*series, (None, None)]  # the end closes the last run
    for period, value in ended:
        if isinstance(value, Fraction) and period is not None and period.kind is kind:
            run.append(scale.xy(period, value))
            continue
        if len(run) >= 2:
            points = " ".join(f"{x},{y}" for x, y in run)
            out.append(f'<polyline class="values" points="{points}" fill="none" stroke="{LINE}" '
                       f'stroke-width="1.6" stroke-linejoin="round"/>')
        out += [f'<circle cx="{x}" cy="{y}" r="1.5" fill="{LINE}"/>' for x, y in run]
        run = []
    return out
