"""`evaluate --engine spark` as a user runs it: the columnar plan on a local Spark from the command line, with Spark's
own log kept out of the output, and what a run says when PySpark is missing or Spark cannot start. (The plan's
results on Spark against the interpreter, case by case: tests/test_columnar_differential.py.)"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from fastpath_helpers import NATIONAL_RULES, ROOT, reference_csv, write
from lsprules.engine.columnar import spark_run
from lsprules.engine.columnar.input_checks import Fallback
from lsprules.jobs.evaluate import evaluate_job
from lsprules.lang.resolve import load_rules
from test_fastpath_differential import HEADER
from test_sql_dialects import needs_java

SERIES = HEADER + "".join(f"{area},robbery,{year},{value}\n" for area, values in
                          (("North", (10, 9, 9, 8, 6)), ("South", (5, 5, 6, 7, 7)), ("East", (4, "", 4, 4, "na")))
                          for year, value in zip(("2003/04", "2004/05", "2005/06", "2006/07", "2007/08"), values,
                                                 strict=True))


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`lsprules ARGS` in a process of its own, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "lsprules", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=600)


def environment(tmp: str, **extra: str) -> dict[str, str]:
    """This process's environment with its own temporary folder (to see what a run leaves there)."""
    return {**os.environ, "TMPDIR": tmp, **extra}


@needs_java
def test_the_spark_engine_prints_the_interpreter_s_csv_and_nothing_of_spark_s_log(tmp_path):
    data = write(tmp_path, "d.csv", SERIES)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = cli("evaluate", str(NATIONAL_RULES), str(data), "--format", "csv", "--engine", "spark",
                 env=environment(str(scratch)))
    assert result.returncode == 0, result.stderr
    assert result.stdout == reference_csv(NATIONAL_RULES, data)
    assert result.stderr == ""  # no note (Spark ran), no JVM warnings, no progress bars
    assert not list(scratch.glob("lsprules-spark-*.log"))  # the log goes when Spark ran


def test_when_spark_cannot_start_the_interpreter_runs_with_a_note_naming_the_log(tmp_path):
    data = write(tmp_path, "d.csv", SERIES)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    no_java = environment(str(scratch), JAVA_HOME=str(tmp_path / "no-java"), PATH=os.path.dirname(sys.executable))
    result = cli("evaluate", str(NATIONAL_RULES), str(data), "--format", "csv", "--engine", "spark", env=no_java)
    assert result.returncode == 0, result.stderr
    assert result.stdout == reference_csv(NATIONAL_RULES, data)
    (log,) = scratch.glob("lsprules-spark-*.log")  # kept, to say why
    assert result.stderr.startswith("note: the spark engine did not run: Spark could not start (")
    assert str(log) in result.stderr and result.stderr.rstrip().endswith("the reference interpreter ran")
    assert "Traceback" not in result.stderr


def test_without_pyspark_the_run_says_how_to_install_it(tmp_path, monkeypatch):
    data = write(tmp_path, "d.csv", SERIES)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    found = spark_run.evaluate_csv(load_rules(NATIONAL_RULES), data)
    assert isinstance(found, Fallback) and found.note and "'lsprules[spark]'" in found.reason
    result = evaluate_job(NATIONAL_RULES, data, output_format="csv", engine="spark")
    assert result.text == reference_csv(NATIONAL_RULES, data)
    assert result.notes == (f"the spark engine did not run: {spark_run.INSTALL}; the reference interpreter ran",)


def test_other_formats_say_that_the_spark_engine_writes_csv(tmp_path):
    data = write(tmp_path, "d.csv", SERIES)
    result = evaluate_job(NATIONAL_RULES, data, output_format="json", engine="spark")
    assert result.notes and result.notes[0].startswith("the spark engine writes CSV from one CSV dataset")
