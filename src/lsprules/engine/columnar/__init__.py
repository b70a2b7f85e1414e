"""The columnar engine: a rule set compiled into one SQL plan (a sqlglot tree), run embedded in DuckDB or polars.

`support.unsupported` says, in words, what a rule set uses that the plan cannot express yet (those runs go to the
reference interpreter); `sql_plan.compile_plan` builds the query for any SQL dialect and for polars;
`duck.evaluate_csv` and `polars_run.evaluate_csv` run it on a long-form CSV file (checked as `input_checks` says)
and give the bytes of `render/csv_out.render_csv` of the reference evaluation; `magnitude.largest` bounds the
plan's integers for polars, whose integers wrap around. duckdb, polars and sqlglot are imported only when a plan
is built or run, never at start-up.
"""
