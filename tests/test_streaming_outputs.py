"""JSON and CSV, Markdown, HTML and the table are written an area at a time (issue 11): the streamed text is
byte for byte what the whole evaluation rendered at once gives, on every bundled example and on generated data;
an error half-way leaves no output file and no temporary file; and the memory a streamed run takes does not grow
with its areas."""

from __future__ import annotations

import csv
import gc
import io
import json
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastpath_helpers import NATIONAL_RULES, find_gen, generate
from lsprules.audit.provenance import Provenance, provenance_for
from lsprules.cli import common
from lsprules.cli.app import app
from lsprules.core.csv_cells import COLUMNS
from lsprules.core.diagnostics import InputError, error
from lsprules.core.periods import Period
from lsprules.data.load import load_all
from lsprules.data.model import Dataset, resolve_period
from lsprules.engine import interpreter
from lsprules.engine.interpreter import Assessment, Evaluation, EvaluationStream, evaluate, evaluate_stream
from lsprules.jobs.evaluate import STREAMED, STREAMED_REPORTS, evaluate_job, previous_period
from lsprules.lang.resolve import RuleSet, load_rules
from lsprules.render import json_out
from lsprules.render.context import report_context
from lsprules.render.csv_out import assessment_row, csv_chunks, render_csv
from lsprules.render.html import render_html
from lsprules.render.json_out import evaluation_dict, json_chunks, render_json
from lsprules.render.markdown import render_markdown
from lsprules.render.progress import progress
from lsprules.render.table import render_table

ROOT = Path(__file__).resolve().parents[1]
# Every bundled rule file with the dataset it is written for.
EXAMPLES = {
    "community-safety-plan": ("rules/community-safety-plan.rules", "datasets/community-safety-plan.yaml"),
    "crime": ("rules/crime.rules", "datasets/redcar-cleveland-2007.yaml"),
    "districts": ("rules/districts.rules", "datasets/districts-2006-07.csv"),
    "five-band": ("rules/five-band.rules", "datasets/five-band.yaml"),
    "lpsa": ("rules/lpsa.rules", "datasets/lpsa-2008.csv"),
    "public-health": ("rules/public-health.rules", "datasets/public-health.yaml"),
    "quarterly-targets": ("rules/quarterly-targets.rules", "datasets/quarterly-targets.yaml"),
    "tolerance": ("rules/tolerance.rules", "datasets/tolerance.yaml"),
    "tutorial": ("rules/tutorial.rules", "datasets/tutorial.yaml"),
}
needs_gen = pytest.mark.skipif(find_gen() is None, reason="shared/bench/gen.py is not beside the checkout")


def loaded(rules_path: Path | str, data_path: Path | str) -> tuple[RuleSet, Dataset, Provenance]:
    rules = load_rules(Path(rules_path))
    dataset, files = load_all([Path(data_path)])
    return rules, dataset, provenance_for(rules, files)


def whole_json(evaluation: Evaluation, provenance: Provenance) -> str:
    """The JSON as it was rendered before streaming: one json.dumps of the whole evaluation."""
    return json.dumps(evaluation_dict(evaluation, provenance), ensure_ascii=False, indent=2) + "\n"


def whole_csv(evaluation: Evaluation) -> str:
    """The CSV as it was rendered before streaming: one writer over every row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(assessment_row(a) for a in evaluation.assessments)
    return buffer.getvalue()


def streamed(rules: RuleSet, dataset: Dataset, provenance: Provenance, fmt: str) -> list[str]:
    stream = evaluate_stream(rules, dataset)
    return list(json_chunks(stream, provenance) if fmt == "json" else csv_chunks(stream))


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_streamed_json_and_csv_are_the_whole_renderings_byte_for_byte(example, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, dataset, provenance = loaded(*EXAMPLES[example])
    evaluation = evaluate(rules, dataset)
    assert evaluation.assessments
    expected_json, expected_csv = whole_json(evaluation, provenance), whole_csv(evaluation)
    assert "".join(streamed(rules, dataset, provenance, "json")) == expected_json
    assert "".join(streamed(rules, dataset, provenance, "csv")) == expected_csv
    assert render_json(evaluation, provenance) == expected_json
    assert render_csv(evaluation) == expected_csv


def test_a_themed_stream_spooled_to_disk_gives_the_same_bytes(monkeypatch):
    # The themes come first in the document, so the assessments wait in a spool; force it out of memory.
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(json_out, "_SPOOL_IN_MEMORY", 10)
    monkeypatch.setattr(json_out, "_READ", 7)
    monkeypatch.setattr(json_out, "_THEMES_A_PIECE", 1)
    rules, dataset, provenance = loaded(*EXAMPLES["crime"])
    evaluation = evaluate(rules, dataset)
    assert evaluation.themes
    assert "".join(streamed(rules, dataset, provenance, "json")) == whole_json(evaluation, provenance)


def test_an_evaluation_of_nothing_streams_as_empty_lists(monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, dataset, provenance = loaded(*EXAMPLES["crime"])
    nothing = Evaluation(rules.file, None, (), ())
    assert render_json(nothing, provenance) == whole_json(nothing, provenance)
    themed = EvaluationStream(rules.file, None, True, ())
    assert "".join(json_chunks(themed, provenance)) == whole_json(nothing, provenance)
    assert render_csv(nothing) == whole_csv(nothing)


@pytest.mark.parametrize("fmt", STREAMED)
@pytest.mark.parametrize("areas", [None, ["Redcar & Cleveland"]])
def test_the_job_writes_in_pieces_what_it_returns_whole(fmt, areas, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, data = (Path(p) for p in EXAMPLES["crime"])
    whole = evaluate_job(rules, data, output_format=fmt, areas=areas, engine="interpreter")
    pieces: list[str] = []
    written = evaluate_job(rules, data, output_format=fmt, areas=areas, engine="interpreter", write=pieces.append)
    assert written.text == "" and "".join(pieces) == whole.text
    assert written.discrepancies == whole.discrepancies > 0  # the crime data prints judgements the rules contradict
    assert written.warnings == whole.warnings


@needs_gen
@pytest.mark.parametrize("fmt", STREAMED)
def test_generated_national_data_streams_an_area_at_a_time_to_the_same_bytes(fmt, tmp_path):
    data = generate(tmp_path / "national.csv", 40)
    rules, dataset, provenance = loaded(NATIONAL_RULES, data)
    evaluation = evaluate(rules, dataset)
    expected = whole_json(evaluation, provenance) if fmt == "json" else whole_csv(evaluation)
    pieces = streamed(rules, dataset, provenance, fmt)
    assert "".join(pieces) == expected
    assert len(pieces) >= 40  # a piece per area: the text is never whole in memory


def test_the_cli_writes_the_streamed_json_to_a_file_and_to_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, data = EXAMPLES["crime"]
    out = tmp_path / "out.json"
    to_file = CliRunner().invoke(app, ["evaluate", rules, data, "-f", "json", "-o", str(out)])
    to_stdout = CliRunner().invoke(app, ["evaluate", rules, data, "-f", "json", "-o", "-"])
    assert to_file.exit_code == 0 and to_stdout.exit_code == 0, to_file.output + to_stdout.output
    assert out.read_text(encoding="utf-8") == to_stdout.stdout == evaluate_job(Path(rules), Path(data),
                                                                                output_format="json").text


@pytest.mark.parametrize("fmt", STREAMED)
def test_an_error_half_way_leaves_no_output_and_no_temporary_file(fmt, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, data = EXAMPLES["districts"]  # several areas: the first ones are written before the error
    assessed: list[str] = []
    assess_all = interpreter.AreaEvaluator.assess_all

    def failing(self, at):
        assessed.append(self.area.name)
        if len(assessed) == 3:
            raise InputError([error("E003", "stopped half-way by the test")])
        return assess_all(self, at)

    monkeypatch.setattr(interpreter.AreaEvaluator, "assess_all", failing)
    written: list[int] = []
    real_sink = common.output_sink

    @contextmanager
    def counting_sink(output: Path | None, **options: bool) -> Iterator[Callable[[str], None]]:
        with real_sink(output, **options) as write:
            yield lambda text: (written.append(len(text)), write(text))[1]

    monkeypatch.setattr("lsprules.cli.evaluate.output_sink", counting_sink)
    result = CliRunner().invoke(app, ["evaluate", rules, data, "-f", fmt, "--engine", "interpreter",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "stopped half-way by the test" in result.output
    assert sum(written) > 0  # the first areas had been written to the temporary file
    assert list(tmp_path.iterdir()) == []


def test_an_error_half_way_keeps_the_file_that_was_there(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, data = EXAMPLES["districts"]
    (tmp_path / "out.json").write_text("before\n", encoding="utf-8")
    calls = [0]
    assess_all = interpreter.AreaEvaluator.assess_all

    def failing(self, at):
        calls[0] += 1
        if calls[0] == 2:
            raise InputError([error("E003", "stopped half-way by the test")])
        return assess_all(self, at)

    monkeypatch.setattr(interpreter.AreaEvaluator, "assess_all", failing)
    result = CliRunner().invoke(app, ["evaluate", rules, data, "-f", "json", "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == "before\n"


def national_csv(areas: int) -> bytes:
    """A long-form dataset for rules/national.rules: `areas` areas, five years, twelve indicators."""
    names = [line.split()[1] for line in NATIONAL_RULES.read_text(encoding="utf-8").splitlines()
             if line.startswith("indicator ")]
    lines = ["area,indicator,period,value"]
    for year in range(2003, 2008):
        for a in range(areas):
            lines += [f"A{a:05d},{name},{year}/{(year + 1) % 100:02d},{(a * 7 + i * 3 + year * 5) % 40 + 1}"
                      for i, name in enumerate(names)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.parametrize("fmt", STREAMED)
def test_a_streamed_output_keeps_no_area_it_has_written(fmt, tmp_path, monkeypatch):
    # What is alive while the output is written: the area being written and the one before it (whose part a loop
    # variable still names when the next is asked for), never the earlier ones; nor their evaluators.
    path = tmp_path / "national.csv"
    path.write_bytes(national_csv(30))
    rules, dataset, provenance = loaded(NATIONAL_RULES, path)
    results: list[weakref.ref[Assessment]] = []
    evaluators: list[weakref.ref[interpreter.AreaEvaluator]] = []
    most_alive = [0, 0]
    assess_all = interpreter.AreaEvaluator.assess_all

    def watched(self: interpreter.AreaEvaluator, at: Period | None) -> dict[str, Assessment]:
        gc.collect()
        most_alive[0] = max(most_alive[0], sum(r() is not None for r in results))
        most_alive[1] = max(most_alive[1], sum(r() is not None for r in evaluators))
        evaluators.append(weakref.ref(self))
        found = assess_all(self, at)
        results.extend(weakref.ref(a) for a in found.values())
        return found

    monkeypatch.setattr(interpreter.AreaEvaluator, "assess_all", watched)
    stream = evaluate_stream(rules, dataset)
    for _ in json_chunks(stream, provenance) if fmt == "json" else csv_chunks(stream):
        pass
    per_area = len(rules.indicators)
    assert len(results) == 30 * per_area
    assert most_alive[0] <= 2 * per_area and most_alive[1] <= 2, most_alive
    # The measure sees what is kept when it is kept: the whole evaluation holds every area's results.
    results.clear()
    most_alive[0] = 0
    assert evaluate(rules, dataset).assessments
    assert most_alive[0] == 29 * per_area


def test_every_value_of_a_period_shares_one_period(tmp_path):
    # The dataset is what a streamed run still holds: a period named on every row is kept once, not per value.
    path = tmp_path / "national.csv"
    path.write_bytes(national_csv(3))
    _, dataset, _ = loaded(NATIONAL_RULES, path)
    keys = [p for area in dataset.areas for series in area.series.values() for p in series.values]
    assert len(keys) == 3 * 12 * 5 and len({id(p) for p in keys}) == 5


def test_the_progress_bar_leaves_standard_output_to_the_output(monkeypatch):
    # The output streams while the bar is drawn on a terminal: what is written must reach standard output as it
    # is, not go through rich's console to the bar's stream.
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out, bar = io.StringIO(), Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    with progress("Assessing", 5, stream=bar) as advance:
        assert sys.stdout is out
        sys.stdout.write('{\n  "period": [1, 2]\n')
        advance("A")
    assert out.getvalue() == '{\n  "period": [1, 2]\n' and "Assessing" in bar.getvalue()


def test_an_output_in_a_missing_folder_is_e001_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, data = EXAMPLES["crime"]
    result = CliRunner().invoke(app, ["evaluate", rules, data, "-f", "json", "-o", str(tmp_path / "no" / "out.json")])
    assert result.exit_code == 2 and "error[E001]" in result.output and "cannot write" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", [
    {}, [], {"a": []}, {"a": {}}, [[], {}, [[]]], "", "é \u2028 \x1b \"q\" \\ \n\t", 0, -7, 10 ** 30, True, False, None,
    0.1, -2.5e-07, 1e16, 123456.789012, float("nan"), float("inf"), (1, "two"), {1: "int key", "b": None},
    {"area": "A", "series": [{"period": "2003/04", "value": None, "missing": "na"}], "levels": {"x": 1.5},
     "nested": [{"deep": [{"deeper": [1, 2.0, "3"]}]}], "counts": {}, "rule": None},
])
def test_a_value_laid_out_at_any_depth_is_json_dumps_at_indent_two(value):
    # Items are dumped one by one and re-indented: right for any value, because JSON strings hold no raw newline.
    for depth in (0, 1, 2):
        expected = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)
        assert json_out._dumps(value, depth) == expected


# --- the reports stream too: Markdown, HTML and the table (issue 11) -----------------------------------------

REPORTS = {"markdown": render_markdown, "html": render_html}


def whole_report(fmt: str, rules: RuleSet, dataset: Dataset, provenance: Provenance, period: str | None = None,
                 areas: list[str] | None = None, **table: object) -> str:
    """A report as it was rendered before it streamed: the whole evaluation, and its context gathered over all of
    it (with the whole evaluation one period earlier for the previous theme ratings)."""
    evaluation = evaluate(rules, dataset, resolve_period(period, dataset), areas)
    before = previous_period(evaluation.period, dataset)
    previous = evaluate(rules, dataset, before, areas) if before is not None and rules.themes else None
    context = report_context(rules, dataset, evaluation, previous)
    if fmt == "table":
        return render_table(evaluation, provenance, context, **table)  # type: ignore[arg-type]
    return REPORTS[fmt](evaluation, provenance, context)


def job_pieces(rules: Path | str, data: Path | str, fmt: str, **options: object) -> list[str]:
    pieces: list[str] = []
    result = evaluate_job(Path(rules), Path(data), output_format=fmt, engine="interpreter", write=pieces.append,
                          **options)  # type: ignore[arg-type]
    assert result.text == ""
    return pieces


@pytest.mark.parametrize("fmt", STREAMED_REPORTS)
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_streamed_reports_are_the_whole_renderings_byte_for_byte(fmt, example, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, dataset, provenance = loaded(*EXAMPLES[example])
    expected = whole_report(fmt, rules, dataset, provenance, width=100)
    pieces = job_pieces(*EXAMPLES[example], fmt, width=100)
    assert "".join(pieces) == expected
    # a piece before the areas, one per area, one after: the context that follows the areas is gathered on the way
    assert len(pieces) == len(interpreter.assessed_areas(rules, dataset)) + 2


@pytest.mark.parametrize("options", [{"wide": True}, {"color": True}, {"width": 50, "color": True}])
def test_the_streamed_table_keeps_its_width_and_colours(options, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, dataset, provenance = loaded(*EXAMPLES["districts"])
    text = "".join(job_pieces(*EXAMPLES["districts"], "table", **options))
    assert text == whole_report("table", rules, dataset, provenance, **options)
    assert ("\x1b[" in text) == bool(options.get("color"))


def test_a_streamed_report_shows_each_area_s_previous_rating_and_every_area_s_sources(monkeypatch):
    # districts: four areas with a theme, so each area's rating one period earlier comes from the second stream,
    # read in step with the first; the key (after the areas) must know every area's bands and arrows.
    monkeypatch.chdir(ROOT)
    text = "".join(job_pieces(*EXAMPLES["districts"], "markdown"))
    assert text.count(" → ") >= 4
    rules, dataset, provenance = loaded(*EXAMPLES["districts"])
    assert text.split("## Key", 1)[1].split("---", 1)[0] == \
        whole_report("markdown", rules, dataset, provenance).split("## Key", 1)[1].split("---", 1)[0]


@pytest.mark.parametrize("fmt", STREAMED_REPORTS)
def test_a_report_of_chosen_areas_at_an_earlier_period_streams_the_same(fmt, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, dataset, provenance = loaded(*EXAMPLES["districts"])
    chosen = {"areas": ["Westvale", "Northby"], "period": "2006/07-Q2"}
    pieces = job_pieces(*EXAMPLES["districts"], fmt, **chosen)
    assert "".join(pieces) == whole_report(fmt, rules, dataset, provenance, **chosen)  # type: ignore[arg-type]
    assert len(pieces) == 4 and "2006/07-Q1" in pieces[1]  # the previous rating, one quarter earlier


@needs_gen
@pytest.mark.parametrize("fmt", STREAMED_REPORTS)
def test_generated_national_data_streams_its_reports_an_area_at_a_time_to_the_same_bytes(fmt, tmp_path):
    data = generate(tmp_path / "national.csv", 40)
    rules, dataset, provenance = loaded(NATIONAL_RULES, data)
    pieces = job_pieces(NATIONAL_RULES, data, fmt)
    assert "".join(pieces) == whole_report(fmt, rules, dataset, provenance)
    assert len(pieces) == 42


@pytest.mark.parametrize("fmt", STREAMED_REPORTS)
def test_a_streamed_report_keeps_no_area_it_has_written(fmt, tmp_path, monkeypatch):
    path = tmp_path / "national.csv"
    path.write_bytes(national_csv(30))
    results: list[weakref.ref[Assessment]] = []
    most_alive = [0]
    assess_all = interpreter.AreaEvaluator.assess_all

    def watched(self: interpreter.AreaEvaluator, at: Period | None) -> dict[str, Assessment]:
        gc.collect()
        most_alive[0] = max(most_alive[0], sum(r() is not None for r in results))
        found = assess_all(self, at)
        results.extend(weakref.ref(a) for a in found.values())
        return found

    monkeypatch.setattr(interpreter.AreaEvaluator, "assess_all", watched)
    job_pieces(NATIONAL_RULES, path, fmt)
    per_area = 12
    assert len(results) == 30 * per_area
    assert most_alive[0] <= 2 * per_area, most_alive


@pytest.mark.parametrize("fmt", STREAMED_REPORTS)
def test_an_error_half_way_through_a_report_leaves_no_output_and_no_temporary_file(fmt, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    rules, data = EXAMPLES["districts"]
    assessed: list[str] = []
    assess_all = interpreter.AreaEvaluator.assess_all

    def failing(self, at):
        assessed.append(self.area.name)
        if len(assessed) == 5:  # the current period's third area (the previous period's stream runs in step)
            raise InputError([error("E003", "stopped half-way by the test")])
        return assess_all(self, at)

    monkeypatch.setattr(interpreter.AreaEvaluator, "assess_all", failing)
    result = CliRunner().invoke(app, ["evaluate", rules, data, "-f", fmt, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "stopped half-way by the test" in result.output
    assert list(tmp_path.iterdir()) == []
