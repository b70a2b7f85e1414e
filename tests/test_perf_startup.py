"""Start-up stays quick: commands import only what they use (checked by module, never by the clock)."""

from __future__ import annotations

import json
import os
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
             "duckdb", "sqlglot", "polars", "pydantic", "pygls"}
    assert not heavy & modules


def test_csv_evaluation_imports_no_yaml_schema_or_terminal_rendering(tmp_path):
    data = write(tmp_path, "d.csv", "area,indicator,period,value\nX,robbery,2006/07,5\n")
    modules = loaded("evaluate", "rules/national.rules", str(data), "--format", "csv",
                     "-o", str(tmp_path / "out.csv"))
    assert "lsprules.engine.compiled" in modules
    assert not {"yaml", "jsonschema", "rich", "lsprules.data.readers.yaml_reader", "lsprules.render.table"} & modules


def test_the_bundled_evaluation_imports_no_duckdb_sqlglot_polars_pydantic_or_jsonschema():
    # pydantic: cli/values.py coerces the options; jsonschema: a valid dataset passes core/json_schema.py
    modules = loaded("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml")
    assert "lsprules.render.table" in modules
    assert not {"duckdb", "sqlglot", "polars", "pydantic", "jsonschema", "pygls"} & modules


def test_asking_what_the_plan_supports_imports_neither_sqlglot_nor_the_interpreter():
    # polars_run imports the compiler (sqlglot) in a thread while polars reads the file: only if nothing before
    # the read has imported it already (derived.py once did, for the check of what the plan supports)
    probe = ("import sys; from lsprules.lang.resolve import load_rules; "
             "from lsprules.engine.columnar.polars_run import unsupported; "
             "assert unsupported(load_rules('rules/national.rules')) == []; "
             "assert unsupported(load_rules('rules/crime.rules')) == []; "  # divisions of fields
             "assert unsupported(load_rules('rules/districts.rules')) == []; "  # comparators
             "assert unsupported(load_rules('rules/public-health.rules')); "  # significance
             "print(sorted({'sqlglot', 'lsprules.engine.interpreter'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_a_small_yaml_dataset_in_json_or_csv_imports_no_compiler(output_format):
    # auto would hand a large dataset's observations to the plan; a small one is never asked about the rules
    modules = loaded("evaluate", "rules/crime.rules", "datasets/redcar-cleveland-2007.yaml", "--format",
                     output_format)
    assert not {"duckdb", "sqlglot", "polars"} & modules


def test_a_bad_option_value_still_gets_typer_s_own_message():
    result = subprocess.run([sys.executable, "-m", "lsprules", "evaluate", "rules/crime.rules",
                             "datasets/redcar-cleveland-2007.yaml", "--format", "xml"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 2
    assert "Invalid value for '--format' / '-f': Value error, 'xml' is not one of 'table'," in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(find_gen() is None, reason="shared/bench/gen.py is not beside the checkout")
def test_benchmark_script_reports_figures_for_the_small_size():
    result = subprocess.run([sys.executable, "tests/benchmarks/run.py", "--sizes", "S", "--runs", "1"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "machine: " in result.stdout and "S: 21,000 rows" in result.stdout
    assert "4200/4200" in result.stdout and "lsprules --help" in result.stdout
