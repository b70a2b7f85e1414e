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
        self.low, high = min(values), max(values)
        self.range = (high - self.low) or Fraction(1)
        if high == self.low:
            self.low -= Fraction(1, 2)  # a flat series sits in the middle

    def xy(self, period: Period, value: Fraction) -> tuple[str, str]:
        """SVG coordinates, to one decimal place."""
        # A single period sits in the middle; otherwise the first is at the left edge and the last at the right.
        share = Fraction(period.index - self.first, self.span) if self.span else Fraction(1, 2)
        x = PAD + (WIDTH - 2 * PAD) * share
        return f"{float(x):.1f}", self.y(value)

    def y(self, value: Fraction) -> str:
        """The SVG y of a value, to one decimal place."""
        return f"{float(HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value - self.low) / self.range):.1f}"

    def x_bounds(self) -> tuple[str, str]:
        return f"{PAD:.1f}", f"{WIDTH - PAD:.1f}"


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
