"""`lsprules diff --data` replayed by the columnar plan (jobs/diff.Replay): on a plain CSV file the plan runs both
sides, as evaluate's reports do, and the diff is the same bytes, in every format, as the reference interpreter's;
auto takes the plan on a large file without reading the dataset whole; a rule set the plan cannot run is replayed
by the interpreter beside a side the plan ran, with a note; bad input is the interpreter's error."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastpath_helpers import NATIONAL_RULES, generate, write
from lsprules.cli.app import app
from lsprules.core.diagnostics import InputError
from lsprules.data import load
from lsprules.jobs import evaluate as evaluate_job
from lsprules.jobs.diff import run_diff
from lsprules.render.diff_report import render_diff_json, render_diff_markdown, render_diff_text
from test_columnar_differential import needs_gen

RENDERERS = (render_diff_text, render_diff_markdown, render_diff_json)
THEME = """
theme crime "Crime" {
  scale RED < AMBER < GREEN
  indicators burglary_dwelling, robbery, arson
  rating {
    GREEN when share(arrow is up) >= 50 %
    RED when count(arrow is down) > count(arrow is up)
    AMBER otherwise
  }
}
"""
# A derived value the plan cannot express yet (max() of a division: derived.value_words), and how a note names it.
UNPLANNED_WORDS = ("a value off the data's scale inside `max()` (a division, a product of two values or a number "
                   "that is not whole) in a derived value")
UNPLANNED = """
indicator burglary_floor {
  polarity lower_is_better
  value = max(burglary_dwelling / 4, 1)
}
"""


@pytest.fixture(scope="module")
def national_s(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("diff-plan") / "national-S.csv", 350)


@pytest.fixture(scope="module")
def new_rules(tmp_path_factory) -> Path:
    """national.rules with a wider static tolerance for counts, a deeper reduction target, and arson dropped: arrows,
    RAG, targets and trajectories change, and one indicator is assessed only by the old rules."""
    text = NATIONAL_RULES.read_text(encoding="utf-8")
    for old, new in (("static below 1.5 %  #", "static below 20 %  #"), ("reduce by 17.5 %", "reduce by 20 %"),
                     ("indicator arson uses crime_count\n", "")):
        assert old in text
        text = text.replace(old, new, 1)
    return write(tmp_path_factory.mktemp("rules"), "national-new.rules", text)


def rendered(names: list[str], data: Path, engine: str, period: str | None = None) -> list[str]:
    report = run_diff(names, data=[data], period=period, engine=engine)
    assert report.notes == ()
    return [render(report) for render in RENDERERS]


@needs_gen
@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("period", [None, "2005/06"])
def test_the_plan_replays_a_diff_to_the_interpreters_bytes(national_s, new_rules, engine, period):
    names = [str(NATIONAL_RULES), str(new_rules)]
    reference = rendered(names, national_s, "interpreter", period)
    assert rendered(names, national_s, engine, period) == reference
    (file,) = json.loads(reference[2])["files"]
    (found,) = file["impact"]
    counts = found["counts"]
    assert found["assessed"] == 350 * 12 and counts["assessed"] == 350  # arson, in every area
    assert counts["arrow"] > 0 and counts["target"] > 0 and counts["trajectory"] > 0 and counts["rag"] > 0
    removed = [c for c in found["changes"] if c["fields"][0]["field"] == "assessed"]
    assert {c["subject"] for c in removed} == {"arson"}
    assert found["changes"][-len(removed):] == removed  # listed after what both assess, in the old rules' order


@needs_gen
def test_auto_replays_a_large_file_without_reading_it_whole(national_s, new_rules, monkeypatch):
    names = [str(NATIONAL_RULES), str(new_rules)]
    reference = rendered(names, national_s, "interpreter")
    monkeypatch.setattr(evaluate_job, "AUTO_REPORT_BYTES", 1)

    def refused(path):
        raise AssertionError(f"the dataset was read whole: {path}")

    monkeypatch.setattr(load, "load_any", refused)
    assert rendered(names, national_s, "auto") == reference
    provenance = json.loads(reference[2])["provenance"]["inputs"][-1]
    assert provenance["sha256"] == hashlib.sha256(national_s.read_bytes()).hexdigest()


@needs_gen
@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("themed_side", ["new", "old"])
def test_theme_ratings_are_compared_from_the_plan(national_s, tmp_path, engine, themed_side):
    """The plan of the compared facts rates the themes from them (their arrows, bands and values): a theme added,
    removed or changed is the interpreter's impact, with no note."""
    themed = write(tmp_path, "themed.rules", NATIONAL_RULES.read_text(encoding="utf-8") + THEME)
    names = [str(NATIONAL_RULES), str(themed)] if themed_side == "new" else [str(themed), str(NATIONAL_RULES)]
    planned = run_diff(names, data=[national_s], engine=engine)
    assert planned.notes == ()
    assert [render(planned) for render in RENDERERS] == rendered(names, national_s, "interpreter")
    (file,) = json.loads(render_diff_json(planned))["files"]
    assert file["impact"][0]["counts"]["themes"] == 350  # every area's rating is new, or gone
    changed = write(tmp_path, "changed.rules", themed.read_text(encoding="utf-8").replace(">= 50 %", ">= 30 %"))
    planned = run_diff([str(themed), str(changed)], data=[national_s], engine=engine)
    assert planned.notes == ()
    assert [render(planned) for render in RENDERERS] == rendered([str(themed), str(changed)], national_s,
                                                                 "interpreter")
    (file,) = json.loads(render_diff_json(planned))["files"]
    assert 0 < file["impact"][0]["counts"]["themes"] < 350 and file["impact"][0]["counts"]["assessments"] == 0


@needs_gen
@pytest.mark.parametrize("unsupported_side", ["new", "old"])
def test_a_side_the_plan_cannot_run_is_replayed_by_the_interpreter_with_a_note(national_s, tmp_path,
                                                                              unsupported_side):
    unplanned = write(tmp_path, "unplanned.rules", NATIONAL_RULES.read_text(encoding="utf-8") + UNPLANNED)
    names = [str(NATIONAL_RULES), str(unplanned)]
    names = names if unsupported_side == "new" else names[::-1]
    planned = run_diff(names, data=[national_s], engine="duckdb")
    assert planned.notes == (f"the duckdb engine did not run: the plan cannot express indicator burglary_floor: "
                             f"{UNPLANNED_WORDS} ({unplanned}:58); the reference "
                             "interpreter ran",)
    assert [render(planned) for render in RENDERERS] == rendered(names, national_s, "interpreter")
    (file,) = json.loads(render_diff_json(planned))["files"]
    assert file["impact"][0]["counts"]["assessments"] == 350  # every area's burglary_floor is new, or gone

    result = CliRunner().invoke(app, ["diff", *names, "--data", str(national_s), "--engine", "duckdb"])
    assert result.exit_code == 0 and "note: the duckdb engine did not run" in result.stderr


@needs_gen
@pytest.mark.parametrize("engine", ["interpreter", "duckdb", "polars"])
def test_an_unknown_period_is_the_same_error_on_every_engine(national_s, engine):
    with pytest.raises(InputError) as raised:
        run_diff([str(NATIONAL_RULES)] * 2, data=[national_s], period="1999/00", engine=engine)
    assert [d.code for d in raised.value.diagnostics] == ["E304"]


def test_a_bad_value_is_the_interpreters_error_on_every_engine(tmp_path):
    data = write(tmp_path, "bad.csv", """\
        area,indicator,period,value
        E1,robbery,2006/07,4
        E1,robbery,2007/08,four
        """)
    told = {}
    for engine in ("interpreter", "duckdb", "polars"):
        result = CliRunner().invoke(app, ["diff", str(NATIONAL_RULES), str(NATIONAL_RULES), "--data", str(data),
                                          "--engine", engine])
        assert result.exit_code == 2 and result.stdout == ""
        told[engine] = result.stderr
    assert "bad.csv:3:20: error[E306]" in told["interpreter"]
    assert told["duckdb"] == told["polars"] == told["interpreter"]


def test_a_dataset_on_standard_input_is_named_as_the_reader_names_it(tmp_path):
    data = write(tmp_path, "d.csv", """\
        area,indicator,period,value
        E1,robbery,2006/07,4
        E1,robbery,2007/08,5
        """)
    result = CliRunner().invoke(app, ["diff", str(NATIONAL_RULES), str(NATIONAL_RULES), "--data", "-",
                                      "--stdin-filename", "figures.csv"], input=data.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert "impact on figures.csv at 2007/08: 0 of 12 assessments change" in result.stdout


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("period", [None, "2006/07"])
def test_the_compared_only_run_gives_the_reports_compared_facts(tmp_path, engine, period):
    """diff's plan computes only what it compares (json_plan.compile_compared_stages): the same facts as the
    assessments the report plan makes, on every shape a series can take."""
    from lsprules.audit.impact import results
    from lsprules.engine.columnar.input_checks import Fallback
    from lsprules.engine.columnar.report_run import evaluate_report
    from lsprules.lang.resolve import load_rules

    data = write(tmp_path, "d.csv", """\
        area,indicator,period,value
        B,robbery,2003/04,10
        B,robbery,2006/07,0
        B,robbery,2007/08,4
        B,detection_rate_pct,2003/04,40.5
        B,detection_rate_pct,2005/06,
        B,detection_rate_pct,2006/07,44.25
        A,robbery,2007/08,3
        A,arson,2003/04,n/a
        A,arson,2006/07,7
        A,detection_rate_pct,2006/07,50
        C,arson,2007/08,2
        """)
    rules = load_rules(NATIONAL_RULES)
    report, compared = (evaluate_report(rules, data, engine, period, compared_only=only) for only in (False, True))
    assert not isinstance(report, Fallback) and not isinstance(compared, Fallback)
    made = [tuple(row) for rows, _ in results(report.stream()).parts for row in rows]
    only = [row for rows, _ in compared.compared() for row in rows]
    assert only == made and len(only) == 3 * 12
    assert {row[0] for row in only} == {"A", "B", "C"} and any(row[3] is None for row in only)


def test_rules_whose_reasons_the_plan_cannot_word_are_still_compared_by_it(national_s, monkeypatch):
    """`decimals` changes only how the reasons print numbers, which a diff does not read: the compared plan replays
    such rules (no note, no dataset read whole) to the interpreter's bytes."""
    text = NATIONAL_RULES.read_text(encoding="utf-8").replace("  unit count\n", "  unit count\n  decimals 1\n", 1)
    assert "decimals 1" in text
    folder = national_s.parent
    old, new = write(folder, "decimals.rules", text), write(folder, "decimals-new.rules",
                                                             text.replace("reduce by 17.5 %", "reduce by 25 %"))
    reference = rendered([str(old), str(new)], national_s, "interpreter")

    def refused(path):
        raise AssertionError(f"the dataset was read whole: {path}")

    monkeypatch.setattr(load, "load_any", refused)
    assert rendered([str(old), str(new)], national_s, "polars") == reference


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_a_diff_of_rules_that_divide_is_replayed_by_the_plan(tmp_path, engine):
    """Values off the data's scale (a rate per 1,000, a share) are compared from their numerators and row
    denominators: the plan's diff is the interpreter's, in every format, and so are the facts it compares."""
    from lsprules.audit.impact import results
    from lsprules.engine.columnar.input_checks import Fallback
    from lsprules.engine.columnar.report_run import evaluate_report
    from lsprules.lang.resolve import load_rules
    from test_columnar_differential import DIVIDED, DIVIDING_RULES
    from test_fastpath_differential import rows

    data = write(tmp_path, "d.csv", rows(DIVIDED))
    old = write(tmp_path, "old.rules", DIVIDING_RULES)
    assert " target 30\n" in DIVIDING_RULES
    new = write(tmp_path, "new.rules", DIVIDING_RULES.replace(" target 30\n", " target 25\n"))
    assert rendered([str(old), str(new)], data, engine) == rendered([str(old), str(new)], data, "interpreter")
    loaded = load_rules(old)
    report, compared = (evaluate_report(loaded, data, engine, None, compared_only=only) for only in (False, True))
    assert not isinstance(report, Fallback) and not isinstance(compared, Fallback)
    assert [row for rows, _ in compared.compared() for row in rows] == \
        [tuple(row) for rows_, _ in results(report.stream()).parts for row in rows_]


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_a_diff_compares_from_the_plan_on_data_with_fields(tmp_path, engine):
    """What a diff compares (the CSV report's facts) reads rows of fields, of derived and other indicators alike:
    no note, the interpreter's bytes; and so do the JSON and the reports, whose series without values (Met's robbery
    has a field row alone) say `no value up to the assessed period`, not `no data`."""
    from test_columnar_differential import DERIVED_RULES, FIELD_DATA, FIELD_RULES, field_rows

    data = write(tmp_path, "d.csv", field_rows([*FIELD_DATA, ("Met", "crimes", "assessed", "2006/07", "999"),
                                                ("Met", "robbery", "numerator", "2005/06", "3")]))
    for text in (FIELD_RULES, DERIVED_RULES):
        assert "reduce by 10 %" in text or " target 60 %" in text
        old = write(tmp_path, "old.rules", text)
        new = write(tmp_path, "new.rules", text.replace("reduce by 10 %", "reduce by 20 %").replace(
            " target 60 %", " target 50 %"))
        assert rendered([str(old), str(new)], data, engine) == rendered([str(old), str(new)], data, "interpreter")
    for output_format in ("json", "markdown"):
        json = evaluate_job.evaluate_job(old, data, output_format=output_format, engine=engine)
        assert json.notes == ()
        assert json.text == evaluate_job.evaluate_job(old, data, output_format=output_format,
                                                      engine="interpreter").text
    assert "no value up to the assessed period" in json.text


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_a_diff_of_values_of_earlier_periods_is_replayed_by_the_plan(tmp_path, engine):
    """percent_change() and the like: the compared facts come from the plan (no note, the interpreter's bytes),
    where the JSON and the reports, which word what an earlier period leaves missing, step aside."""
    from test_columnar_differential import EARLIER, EARLIER_RULES
    from test_fastpath_differential import rows

    data = write(tmp_path, "d.csv", rows(EARLIER))
    assert " target -5 %\n" in EARLIER_RULES
    old = write(tmp_path, "old.rules", EARLIER_RULES)
    new = write(tmp_path, "new.rules", EARLIER_RULES.replace(" target -5 %\n", " target 25 %\n"))
    reference = rendered([str(old), str(new)], data, "interpreter")
    assert rendered([str(old), str(new)], data, engine) == reference
    # the targets of the three areas with a value; A's rise of 21.4 % turns green under a 25 % target
    assert "3 of 35 assessments change (1 RAG, 3 targets" in reference[0]
