#!/usr/bin/env python3
"""A hand-written polars implementation of ../shared/bench/WORK.md: the columnar yardstick (optional: needs polars).

Usage: reference_polars.py INPUT.csv OUTPUT.csv

Arrows and RAG are decided exactly: values are read as tenths (the benchmark's data has at most one decimal)
and every test is cross-multiplied in integers. change_pct and trajectory are printed from floats, rounded to
6 places, so they may differ from lsprules in the last place; rows are in area, indicator order.
"""

import sys

import polars as pl

LOWER_IS_BETTER = ["burglary_dwelling", "burglary_other", "robbery", "theft_of_vehicle", "theft_from_vehicle",
                   "criminal_damage", "violence_with_injury", "violence_without_injury", "theft_from_person", "arson"]


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    data = pl.read_csv(source, schema={"area": pl.Utf8, "indicator": pl.Utf8, "period": pl.Utf8,
                                       "value": pl.Float64})
    data = (data.drop_nulls("value")
            .with_columns(tenths=(pl.col("value") * 10).round().cast(pl.Int64))
            .sort("area", "indicator", "period"))
    series = data.group_by("area", "indicator", maintain_order=True).agg(
        period=pl.col("period").last(), latest=pl.col("tenths").last(), count=pl.len(),
        previous=pl.col("tenths").tail(2).first(),
        base=pl.col("tenths").filter(pl.col("period") == "2003/04").first())
    lower = pl.col("indicator").is_in(LOWER_IS_BETTER)
    change = pl.col("latest") - pl.col("previous")
    step = pl.col("period").str.slice(0, 4).cast(pl.Int64) - 2003  # years since the baseline
    has_arrow = (pl.col("count") >= 2) & (pl.col("previous") != 0)
    arrow = (pl.when(~has_arrow).then(pl.lit("na"))
             .when(change.abs() * 200 < pl.col("previous").abs() * 3).then(pl.lit("static"))  # |change| < 1.5 %
             .when((change < 0) == lower).then(pl.lit("up")).otherwise(pl.lit("down")))
    # Trajectory: counts fall by 17.5 % over 4 years, percentages rise by 10 %: base * (4000 -+ 175k) / 4000 ...
    on_path = (pl.when(lower).then(pl.col("latest") * 4000 <= pl.col("base") * (4000 - 175 * step))
               .otherwise(pl.col("latest") * 40 >= pl.col("base") * (40 + step)))
    path = (pl.when(lower).then(pl.col("base") * (4000 - 175 * step) / 40000)
            .otherwise(pl.col("base") * (40 + step) / 400))
    result = series.with_columns(arrow=arrow).with_columns(
        value=pl.col("latest") / 10,
        change_pct=pl.when(has_arrow).then((change / pl.col("previous").abs() * 100).round(6)),
        trajectory=pl.when(pl.col("base").is_not_null()).then(path.round(6)),
        rag=(pl.when(pl.col("base").is_null()).then(pl.lit("na")).when(on_path).then(pl.lit("green"))
             .when(pl.col("arrow") == "up").then(pl.lit("amber")).otherwise(pl.lit("red"))))
    result.select("area", "indicator", "period", "value", "change_pct", "arrow", "trajectory", "rag").write_csv(target)


if __name__ == "__main__":
    main()
