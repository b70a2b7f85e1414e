"""Start-up stays quick: commands import only what they use (checked by module, never by the clock)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fastpath_helpers import ROOT, find_gen, write

# Runs the CLI in a fresh interpreter and prints, at exit, the top-level packages and lsprules modules loaded.
PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["lsprules"] + sys.argv[1:]
from lsprules.cli.app import main
main()
"""


def loaded(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_help_imports_no_engine_and_no_data_libraries():
    modules = loaded("--help")
    heavy = {"lark", "yaml", "jsonschema", "lsprules.lang.parser", "lsprules.engine.interpreter",
             "lsprules.engine.compiled", "lsprules.engine.columnar.duck", "lsprules.engine.columnar.polars_run",
             "duckdb", "sqlglot", "polars"}
    assert not heavy & modules


def test_csv_evaluation_imports_no_yaml_schema_or_terminal_rendering(tmp_path):
    data = write(tmp_path, "d.csv", "area,indicator,period,value\nX,robbery,2006/07,5\n")
    modules = loaded("evaluate", "rules/national.rules", str(data), "--format", "csv",
                     "-o", str(tmp_path / "out.csv"))
    assert "lsprules.engine.compiled" in modules
    assert not {"yaml", "jsonschema", "rich", "lsprules.data.readers.yaml_reader", "lsprules.render.table"} & modules


def test_the_bundled_evaluation_imports_no_duckdb_sqlglot_or_polars():
    modules = loaded("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml")
    assert not {"duckdb", "sqlglot", "polars"} & modules


@pytest.mark.slow
@pytest.mark.skipif(find_gen() is None, reason="shared/bench/gen.py is not beside the checkout")
def test_benchmark_script_reports_figures_for_the_small_size():
    result = subprocess.run([sys.executable, "tests/benchmarks/run.py", "--sizes", "S", "--runs", "1"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "machine: " in result.stdout and "S: 21,000 rows" in result.stdout
    assert "4200/4200" in result.stdout and "lsprules --help" in result.stdout
