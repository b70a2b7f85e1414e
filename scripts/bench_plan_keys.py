"""The CSV plan in polars grouped, joined and sorted on integer keys, against the plan as it is (an experiment).

Usage: python scripts/bench_plan_keys.py [SIZE] [ROUNDS] [ENGINE]

Reads /tmp/b/national-SIZE.csv (default L) as polars_run does, compiles the plan for rules/national.rules, and
times polars running it in variants made by rewriting its SQL text, interleaved round by round (default 5
rounds; ENGINE streaming or in-memory, by default the streaming engine from STREAMING_ROWS rows, as polars_run;
CPU is this process's, summed over polars' threads):

- plan: the plan as it is;
- group: `pivoted` groups on one 64-bit key per area and indicator (the area's category code × the indicators'
  code range + the indicator's code) instead of on the two categorical columns, and carries them by MIN;
- join: carries the area's code through the layers and joins areas × indicators with `rated` on it and the
  position instead of on the categorical area (grouping as before);
- sort: the final ORDER BY ord, position on one key, ord × 64 + position, instead;
- all: group, join and sort together.

Then polars' GROUP BY alone on the same rows, both ways, in both engines. Checks that every variant gives the
plan's bytes. Reports figures (docs/performance.md, "Grouping on one integer key (issue 11, night 2)"); never
fails on them. The rewrites assert that each applies, so a change to the plan's SQL stops the script rather than
measuring something else.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from lsprules.engine.columnar import polars_run
from lsprules.lang.resolve import load_rules

ROOT = Path(__file__).resolve().parents[1]
PERIODS = 5  # national data's periods (2003/04 .. 2007/08), for the GROUP BY alone


def replaced(sql: str, old: str, new: str) -> str:
    """`sql` with `old` replaced by `new`; `old` must occur."""
    assert old in sql, old
    return sql.replace(old, new)


def carried(sql: str, area_code: bool = True) -> str:
    """The plan carrying the key (gk) up to `pivoted` and, if `area_code`, the area's code (acode) through its
    layers."""
    sql = replaced(sql, "rn AS rn FROM observations", "rn AS rn, acode, gk FROM observations")
    sql = replaced(sql, "known AS (SELECT area, indicator,", "known AS (SELECT area, gk, indicator,")
    sql = replaced(sql, "picked AS (SELECT area, indicator,", "picked AS (SELECT area, gk, indicator,")
    if not area_code:
        return sql
    sql = replaced(sql, "SELECT area, MIN(rn) AS ord FROM obs GROUP BY area",
                   "SELECT area, MIN(acode) AS acode, MIN(rn) AS ord FROM obs GROUP BY area")
    sql = replaced(sql, "area_cells AS (SELECT area, ord,", "area_cells AS (SELECT area, acode, ord,")
    for cte in ("known", "picked", "series", "judged", "decided", "rated"):
        sql = replaced(sql, f"{cte} AS (SELECT area,", f"{cte} AS (SELECT area, acode,")
    return replaced(sql, "compared AS (SELECT s.area, s.indicator,",
                    "compared AS (SELECT s.area, s.acode, s.indicator,")


def grouped(sql: str, area_code: bool = True) -> str:
    """`pivoted` grouped on gk, its area (and area code) and indicator taken by MIN (all alike within a group)."""
    code = " MIN(acode) AS acode," if area_code else ""
    sql, count = re.subn(r"pivoted AS \(SELECT area, indicator,(.*?)FROM picked GROUP BY area, indicator\)",
                         rf"pivoted AS (SELECT MIN(area) AS area,{code} MIN(indicator) AS indicator,"
                         r"\1FROM picked GROUP BY gk)", sql)
    assert count == 1
    return sql


def keyed_pivot(sql: str) -> str:
    """`pivoted` grouped as before, carrying the area's code."""
    sql, count = re.subn(r"pivoted AS \(SELECT area, indicator,", "pivoted AS (SELECT area, MIN(acode) AS acode, "
                         "indicator,", sql)
    assert count == 1
    return sql


def joined(sql: str) -> str:
    """Areas × indicators joined with `rated` on the area's code."""
    return replaced(sql, "ON r.area = a.area AND r.position = i.position",
                    "ON r.acode = a.acode AND r.position = i.position")


def sorted_once(sql: str) -> str:
    """The final ORDER BY on one integer (national data has 12 indicators: positions under 64)."""
    sql = replaced(sql, 'SELECT a.ord AS "ord",', 'SELECT a.ord * 64 + i.position AS "ord",')
    return replaced(sql, "ORDER BY ord, position", "ORDER BY ord")


VARIANTS: dict[str, Callable[[str], str]] = {
    "plan": lambda sql: sql,
    "group": lambda sql: grouped(carried(sql, area_code=False), area_code=False),
    "join": lambda sql: joined(keyed_pivot(carried(sql))),
    "sort": sorted_once,
    "all": lambda sql: sorted_once(joined(grouped(carried(sql)))),
}


def main() -> None:
    size = sys.argv[1] if len(sys.argv) > 1 else "L"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rules = load_rules(ROOT / "rules" / "national.rules")
    frame = polars_run._read(Path(f"/tmp/b/national-{size}.csv"))
    assert isinstance(frame, pl.DataFrame)
    facts = polars_run._unchecked(frame)
    assert facts is not None
    found, ranges = facts
    bounded = polars_run._narrowest(rules, found, None, None, frame.height)
    assert bounded is not None
    plan, integers = bounded
    sql = plan.sql(dialect="postgres")
    area = pl.col("area").to_physical().cast(pl.Int64)
    keys = (area.alias("acode"), (area * ranges[1] + pl.col("indicator").to_physical().cast(pl.Int64)).alias("gk"))
    assert ranges[0] * ranges[1] < 2**63
    observations = frame.lazy().with_row_index("rn", offset=1).with_columns(polars_run._values(found, integers),
                                                                           *keys)
    engine = sys.argv[3] if len(sys.argv) > 3 else "streaming" if frame.height >= polars_run.STREAMING_ROWS \
        else "in-memory"
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    outputs: dict[str, str] = {}
    for _ in range(rounds):
        for name, variant in VARIANTS.items():
            query = pl.SQLContext(observations=observations).execute(variant(sql))
            wall, cpu = time.perf_counter(), time.process_time()
            result = query.collect(engine=engine)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
            outputs[name] = result.write_csv(quote_style="never", null_value="", line_terminator="\n")
    print(f"\n{size}: the plan in polars ({engine} engine, {frame.height} rows, {rounds} rounds, "
          f"{time.strftime('%H:%M', time.gmtime())} UTC)\n")
    print("| variant | median wall | median CPU | min CPU | CPU / plan | same bytes |")
    print("|---|---|---|---|---|---|")
    base = statistics.median(c for _, c in times["plan"])
    for name, runs in times.items():
        cpu = statistics.median(c for _, c in runs)
        print(f"| {name} | {statistics.median(w for w, _ in runs):.3f} s | {cpu:.3f} s | "
              f"{min(c for _, c in runs):.3f} s | {cpu / base:.3f} | {outputs[name] == outputs['plan']} |")
    group_alone(frame.with_columns(polars_run._values(found, integers), *keys), rounds)


def group_alone(frame: pl.DataFrame, rounds: int) -> None:
    """polars' GROUP BY of the values by period, on the two categorical columns and on the one key."""
    year = pl.col("period").str.slice(0, 4).cast(pl.Int32)
    picked = frame.select("area", "indicator", "gk", *(pl.when(year == 2003 + k).then(polars_run.VALUES).alias(
        f"v{k}") for k in range(PERIODS)))
    maxima = [pl.col(f"v{k}").max() for k in range(PERIODS)]
    ways: dict[str, Callable[[str], pl.DataFrame]] = {
        "area, indicator": lambda e: picked.lazy().group_by("area", "indicator").agg(maxima).collect(engine=e),
        "gk": lambda e: picked.lazy().group_by("gk").agg(maxima).collect(engine=e),
        "gk, carrying area and indicator": lambda e: picked.lazy().group_by("gk").agg(
            *maxima, pl.col("area").min(), pl.col("indicator").min()).collect(engine=e),
    }
    print("\n| GROUP BY alone | engine | median CPU |\n|---|---|---|")
    for engine in ("streaming", "in-memory"):
        spent: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(rounds):
            for name, way in ways.items():
                cpu = time.process_time()
                way(engine)
                spent[name].append(time.process_time() - cpu)
        for name, runs in spent.items():
            print(f"| {name} | {engine} | {statistics.median(runs):.3f} s |")


if __name__ == "__main__":
    main()
