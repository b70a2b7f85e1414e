#!/usr/bin/env python3
"""A hand-written plain-Python implementation of ../shared/bench/WORK.md, the yardstick for `lsprules evaluate`.

Usage: reference_plain.py INPUT.csv OUTPUT.csv

Written as a careful analyst would write it without lsprules: the csv module, a dict of series, exact
Decimal arithmetic (ties such as 60.0 -> 60.9 = +1.5 % are decided exactly), one pass to write. Standard
library only. Output columns: area, indicator, period, value, change_pct, arrow, trajectory, rag; numbers
are exact, rounded half away from zero to at most 6 places, as lsprules writes them.
"""

import csv
import sys
from decimal import Decimal
from fractions import Fraction

PERIODS = ["2003/04", "2004/05", "2005/06", "2006/07", "2007/08"]
LOWER_IS_BETTER = {"burglary_dwelling", "burglary_other", "robbery", "theft_of_vehicle", "theft_from_vehicle",
                   "criminal_damage", "violence_with_injury", "violence_without_injury", "theft_from_person",
                   "arson"}
STATIC_PCT = Decimal("1.5")
COUNT_FACTOR = Decimal("0.825")  # reduce by 17.5 %
PERCENT_FACTOR = Decimal("1.1")  # rise by 10 %


def number(value) -> str:
    """An exact number as text: integers as they are, others rounded half away from zero to <= 6 places."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    whole, rest = divmod(abs(value.numerator) * 10 ** 6, value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    if whole == 0:
        return "0"
    digits = str(whole).rjust(7, "0")
    text = f"{digits[:-6]}.{digits[-6:]}".rstrip("0").rstrip(".")
    return sign + text


def assess(indicator: str, values: dict) -> list:
    """One output row for one series: {period: Decimal} -> the WORK.md judgements."""
    lower = indicator in LOWER_IS_BETTER
    available = [(p, values[p]) for p in PERIODS if p in values]
    if not available:
        return ["", "", "", "na", "", "na"]
    period, latest = available[-1]
    change_pct, arrow = "", "na"
    if len(available) >= 2 and available[-2][1] != 0:
        previous = available[-2][1]
        change = latest - previous
        change_pct = number(Fraction(change) * 100 / abs(Fraction(previous)))
        if abs(change) * 100 < STATIC_PCT * abs(previous):
            arrow = "static"
        else:
            arrow = "up" if (change < 0) == lower else "down"
    trajectory, rag = "", "na"
    if "2003/04" in values:
        base = values["2003/04"]
        target = base * (COUNT_FACTOR if lower else PERCENT_FACTOR)
        step = PERIODS.index(period)
        path = base + (target - base) * step / 4  # quarters of a decimal are exact decimals
        trajectory = number(path)
        if (latest <= path) if lower else (latest >= path):
            rag = "green"
        elif arrow == "up":
            rag = "amber"
        else:
            rag = "red"
    return [period, number(latest), change_pct, arrow, trajectory, rag]


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    series: dict[tuple[str, str], dict[str, Decimal]] = {}
    with open(source, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        for area, indicator, period, value in rows:
            values = series.setdefault((area, indicator), {})
            if value:
                values[period] = Decimal(value)
    with open(target, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["area", "indicator", "period", "value", "change_pct", "arrow", "trajectory", "rag"])
        for (area, indicator), values in series.items():
            out.writerow([area, indicator] + assess(indicator, values))


if __name__ == "__main__":
    main()
