"""The columnar engine: a rule set compiled into one SQL plan (a sqlglot tree), run embedded in DuckDB.

`support.unsupported` says, in words, what a rule set uses that the plan cannot express yet (those runs go to the
reference interpreter); `sql_plan.compile_plan` builds the query for any SQL dialect; `duck.evaluate_csv` runs it on a
long-form CSV file and gives the bytes of `render/csv_out.render_csv` of the reference evaluation.
duckdb and sqlglot are imported only when a plan is built or run, never at start-up.
"""
