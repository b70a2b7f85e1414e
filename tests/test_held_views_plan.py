"""What needs every area's results at once, from the columnar plan's assessments (jobs/evaluate._planned_whole):
--view areas in every format and the Word report are the reference interpreter's bytes, from either engine, for
every area or some; auto takes the plan on a large file without reading the dataset whole; rules the plan cannot
run fall back with a note."""

from __future__ import annotations

import pytest

from fastpath_helpers import NATIONAL_RULES, generate, write
from lsprules.data import load
from lsprules.jobs import evaluate as job
from lsprules.jobs.evaluate import AREA_FORMATS, evaluate_job
from test_columnar_differential import needs_gen
from test_diff_plan import THEME, UNPLANNED, UNPLANNED_WORDS


@pytest.fixture(scope="module")
def national_s(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("areas") / "national-S.csv", 350)


def output(result: job.EvaluateOutput) -> str | bytes:
    return result.text if result.data is None else result.data


@needs_gen
@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("output_format", AREA_FORMATS)
@pytest.mark.parametrize("areas", [None, ["E01000300", "E01000002", "E01000150"]])
def test_the_areas_view_from_the_plan_is_the_interpreters(national_s, engine, output_format, areas):
    options = {"output_format": output_format, "view": "areas", "areas": areas, "width": 100}
    expected = output(evaluate_job(NATIONAL_RULES, national_s, engine="interpreter", **options))
    planned = evaluate_job(NATIONAL_RULES, national_s, engine=engine, **options)
    assert planned.notes == ()
    assert output(planned) == expected
    if output_format == "csv":
        assert len(expected.splitlines()) == 1 + (350 if areas is None else len(areas))


@needs_gen
@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("areas", [None, ["E01000005"]])
def test_the_word_report_from_the_plan_is_the_interpreters(national_s, engine, areas):
    expected = evaluate_job(NATIONAL_RULES, national_s, output_format="docx", areas=areas, engine="interpreter")
    planned = evaluate_job(NATIONAL_RULES, national_s, output_format="docx", areas=areas, engine=engine)
    assert planned.notes == () and planned.data is not None and expected.data is not None
    assert planned.data == expected.data and planned.data.startswith(b"PK")


@needs_gen
def test_auto_takes_the_plan_on_a_large_file(national_s, monkeypatch):
    options = {"output_format": "markdown", "view": "areas"}
    expected = evaluate_job(NATIONAL_RULES, national_s, engine="interpreter", **options).text
    monkeypatch.setattr(job, "AUTO_REPORT_BYTES", 1)

    def refused(*args, **kwargs):
        raise AssertionError("the dataset was read whole")

    monkeypatch.setattr(load, "load_all", refused)
    assert evaluate_job(NATIONAL_RULES, national_s, **options).text == expected


@needs_gen
def test_rules_the_plan_cannot_run_are_viewed_by_the_interpreter_with_a_note(national_s, tmp_path):
    themed = write(tmp_path, "themed.rules", NATIONAL_RULES.read_text(encoding="utf-8") + THEME + UNPLANNED)
    options = {"output_format": "csv", "view": "areas"}
    planned = evaluate_job(themed, national_s, engine="duckdb", **options)
    assert planned.notes == (f"the duckdb engine did not run: the plan cannot write the reasons of indicator "
                             f"burglary_floor: {UNPLANNED_WORDS} ({themed}:68); the "
                             "reference interpreter ran",)
    assert planned.text == evaluate_job(themed, national_s, engine="interpreter", **options).text
    assert "theme:crime" in planned.text.splitlines()[0]
