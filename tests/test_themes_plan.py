"""Theme ratings in the reports from the columnar plan (engine/columnar/report_run.py): every report format, --view
areas, the Word report and the HTML pages show each theme's rating and, beside it, its rating one period earlier
(json_run.Paired: the plan of what a diff compares, run for that period on the same batch of areas) in the
reference interpreter's bytes, from either engine, in one process or in worker processes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fastpath_helpers import NATIONAL_RULES, ROOT, generate, write
from lsprules.core.periods import PeriodKind, parse_period
from lsprules.engine.columnar.input_checks import Checked
from lsprules.engine.columnar.json_plan import COMPARED_COLUMNS, REPORT_COLUMNS
from lsprules.engine.columnar.json_run import Paired, period_before
from lsprules.jobs import report_workers as workers
from lsprules.jobs.evaluate import AREA_FORMATS, evaluate_job, evaluate_pages
from test_columnar_differential import needs_gen
from test_diff_plan import THEME

ENGINES = ("duckdb", "polars")
REPORT_FORMATS = ("markdown", "html", "table")
# A second theme, rated n/a below its coverage: whether a member has a value one period earlier counts too.
COVERED = """
theme confidence "Confidence" {
  scale RED < AMBER < GREEN
  indicators detection_rate_pct, public_confidence_pct, arson
  require at least 100 % assessed
  rating {
    GREEN when count(arrow is up) > count(arrow is down)
    AMBER when share(rag is green) >= 50 %
    RED otherwise
  }
}
"""
HEADER = "area,indicator,period,value\n"


@pytest.fixture(scope="module")
def national_s(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("themes") / "national-S.csv", 350)


@pytest.fixture(scope="module")
def themed(tmp_path_factory):
    return write(tmp_path_factory.mktemp("rules"), "themed.rules",
                 NATIONAL_RULES.read_text(encoding="utf-8") + THEME + COVERED)


@pytest.fixture(scope="module")
def reference(national_s, themed):
    """The interpreter's output of a report, each computed once."""
    made: dict[tuple[object, ...], str | bytes | None] = {}

    def of(**options: object) -> str | bytes | None:
        key = tuple(sorted(((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()), key=str))
        if key not in made:
            ran = evaluate_job(themed, national_s, engine="interpreter", **options)
            made[key] = ran.text if ran.data is None else ran.data
        return made[key]

    return of


def _output(ran) -> str | bytes | None:
    return ran.text if ran.data is None else ran.data


@needs_gen
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("output_format", REPORT_FORMATS)
@pytest.mark.parametrize("period", [None, "2005/06", "2003/04"])
def test_themed_reports_from_the_plan_are_the_interpreters(national_s, themed, reference, engine, output_format,
                                                           period):
    planned = evaluate_job(themed, national_s, output_format=output_format, period=period, engine=engine)
    assert planned.notes == ()
    assert planned.text == reference(output_format=output_format, period=period)
    if output_format == "markdown":
        ratings = [line for line in planned.text.splitlines() if " theme assessment: " in line]
        assert len(ratings) == 2 * 350
        earlier = {None: "2006/07", "2005/06": "2004/05", "2003/04": None}[period]
        # the rating one period earlier beside each (none before the data's first period)
        assert all((" → " in line) == (earlier is not None) for line in ratings)
        if earlier is not None:
            assert all(line.split(" theme assessment: ")[1].startswith(earlier) for line in ratings)


@needs_gen
@pytest.mark.parametrize("engine", ENGINES)
def test_themed_reports_of_some_areas_rate_them_one_period_earlier_too(national_s, themed, reference, engine):
    """--area: both periods' plans read the areas asked for, and nothing else."""
    options = {"output_format": "markdown", "period": "2006/07", "areas": ["E01000300", "E01000002"]}
    planned = evaluate_job(themed, national_s, engine=engine, **options)
    assert planned.notes == () and planned.text == reference(**options)
    ratings = [line for line in planned.text.splitlines() if " theme assessment: 2005/06 " in line]
    assert len(ratings) == 2 * 2 and " → 2006/07 " in ratings[0]


@needs_gen
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("output_format", AREA_FORMATS)
def test_themed_areas_view_and_word_report_from_the_plan_are_the_interpreters(national_s, themed, reference, engine,
                                                                              output_format):
    options = {"output_format": output_format, "view": "areas" if output_format != "docx" else "report"}
    planned = evaluate_job(themed, national_s, engine=engine, **options)
    assert planned.notes == ()
    assert _output(planned) == reference(**options)


@needs_gen
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("jobs", [1, 2])
def test_themed_pages_from_the_plan_are_the_interpreters(national_s, themed, tmp_path, monkeypatch, engine, jobs):
    monkeypatch.setattr(workers, "PARALLEL_AREAS", 1)
    monkeypatch.setattr(workers, "SLICE_ROWS", 100)
    planned = evaluate_pages(themed, national_s, tmp_path / "plan", engine=engine, jobs=jobs)
    evaluate_pages(themed, national_s, tmp_path / "reference", engine="interpreter")
    assert planned.notes == ()
    pages = {p.relative_to(tmp_path / "plan"): p.read_bytes() for p in (tmp_path / "plan").rglob("*") if p.is_file()}
    assert len(pages) == 352
    assert pages == {p.relative_to(tmp_path / "reference"): p.read_bytes()
                     for p in (tmp_path / "reference").rglob("*") if p.is_file()}
    # each area's two ratings one period earlier, and the line of the key that explains them
    assert pages[Path("index.html")].decode().count(" → ") == 2 * 350 + 1


@needs_gen
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("output_format", REPORT_FORMATS)
def test_themed_reports_written_by_workers_are_the_interpreters(national_s, themed, reference, monkeypatch, engine,
                                                                output_format):
    monkeypatch.setattr(workers, "PARALLEL_AREAS", 1)
    monkeypatch.setattr(workers, "SLICE_ROWS", 100)  # some 8 areas a slice, each with its areas' earlier rows
    together = evaluate_job(themed, national_s, output_format=output_format, engine=engine, jobs=2)
    assert together.notes == ()
    assert together.text == reference(output_format=output_format, period=None)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("period", [None, "2006/07", "2005/06"])
def test_a_rating_one_period_earlier_counts_members_with_a_value_then(tmp_path, engine, period):
    """five-band's theme is n/a below 60 % of its members assessed: the earlier rating must know which had a value
    then (`na` cells here), not only their arrows and bands."""
    rules = ROOT / "rules" / "five-band.rules"
    values = ("70", "85", "na", "61", "40", "52", "na", "380", "95", "na", "88")
    members = ("satisfaction", "missed_bins", "planning_on_time", "fly_tipping", "housing_repairs")
    # Sparse: three of the five members have no value but in the last year (rated n/a before it)
    data = write(tmp_path, "d.csv", HEADER + "".join(
        f"{area},{indicator},{year}/{(year + 1) % 100:02d},"
        f"{'na' if area == 'Sparse' and i < 3 and year < 2007 else values[(a * 7 + i * 3 + year) % len(values)]}\n"
        for a, area in enumerate(("North", "South", "East", "West", "Sparse")) for i, indicator in enumerate(members)
        for year in range(2004, 2008)))
    for output_format in REPORT_FORMATS:
        planned = evaluate_job(rules, data, output_format=output_format, period=period, engine=engine)
        assert planned.notes == ()
        assert planned.text == evaluate_job(rules, data, output_format=output_format, period=period,
                                            engine="interpreter").text
    markdown = evaluate_job(rules, data, output_format="markdown", period=period, engine=engine).text
    earlier = [line.split(" theme assessment: ")[1].split(" → ")[0] for line in markdown.splitlines()
               if " theme assessment: " in line]
    assert len(earlier) == 5 and any(rating.endswith(" n/a") for rating in earlier)  # some for want of values


def test_the_period_before_is_the_datas_last_before_the_one_assessed():
    periods = {label: parse_period(label) for label in ("2004/05", "2007/08", "2005/06")}
    found = Checked(PeriodKind.FINANCIAL_YEAR, 0, 3, periods, {"A"})
    assert period_before(found, None) == parse_period("2005/06")  # the latest is assessed; 2006/07 is not in the data
    assert period_before(found, parse_period("2005/06")) == parse_period("2004/05")
    assert period_before(found, parse_period("2004/05")) is None
    assert period_before(Checked(PeriodKind.FINANCIAL_YEAR, 0, 3, {}, set()), None) is None


def test_slices_of_a_paired_batch_carry_their_areas_earlier_rows(monkeypatch):
    monkeypatch.setattr(workers, "SLICE_ROWS", 5)
    area, earlier_area = REPORT_COLUMNS.index("area"), COMPARED_COLUMNS.index("area")

    def row(columns: int, at: int, name: str, i: int) -> tuple[object, ...]:
        cells: list[object] = [f"{name}-{i}"] * columns
        cells[0 if at else 1], cells[at] = name, name  # the first cell tells the area, as the plan's ord does
        return tuple(cells)

    names = [f"A{n}" for n in range(7)]
    now = [row(len(REPORT_COLUMNS), area, name, i) for name in names for i in range(3)]
    before = [row(len(COMPARED_COLUMNS), earlier_area, name, i) for name in names for i in range(2)]
    for batch in (Paired(now, before),
                  Paired(pl.DataFrame([list(r) for r in now], schema=list(REPORT_COLUMNS), orient="row"),
                         pl.DataFrame([list(r) for r in before], schema=list(COMPARED_COLUMNS), orient="row"))):
        pieces = list(workers.slices(iter([batch])))
        assert len(pieces) == 4  # 6, 6, 6 and 3 rows: two areas a slice
        for piece in pieces:
            assert isinstance(piece, Paired)
            rows_now = piece.now if isinstance(piece.now, list) else piece.now.rows()
            rows_before = piece.before if isinstance(piece.before, list) else piece.before.rows()
            shown = list(dict.fromkeys(r[area] for r in rows_now))
            assert [r[earlier_area] for r in rows_before] == [n for n in shown for _ in range(2)]
