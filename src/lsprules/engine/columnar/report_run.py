"""Runs the report plan (json_plan.compile_report_stages) on one long-form CSV or Parquet file: the interpreter's
assessments, an area at a time, for the Markdown, HTML, table and Word reports and `--view areas`; or, for
`diff --data`, a plan of only the fields a rule change's impact compares (json_plan.compile_compared_stages).

The plan decides every fact exactly, as for the JSON report; Python only turns each row into the
engine/interpreter.Assessment the interpreter makes (numbers as Fractions of the plan's numerators and
denominators, the reasons and clause traces read from the plan's JSON text), so that every renderer prints the
same bytes. tests/test_report_plan.py holds each assessment equal to the interpreter's. The run is that of the
JSON report (json_run.py): the same checks of the file, batches of whole areas, and the same reasons to step aside.
A batch is made into assessments wherever `Making` is sent (jobs/report_workers.py makes them in worker processes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby, tee
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, cast

from lsprules.core.numbers import exact
from lsprules.core.periods import Period, PeriodKind
from lsprules.data.model import Area, Series
from lsprules.data.readers.long_form import decimal
from lsprules.engine.columnar.input_checks import Checked, Fallback
from lsprules.engine.columnar.json_plan import (
    COMPARED_COLUMNS,
    COUNTED,
    ITEM,
    REPORT_COLUMNS,
    THEMES,
    compared_unsupported,
    compile_compared_stages,
    compile_report_stages,
    json_unsupported,
)
from lsprules.engine.columnar.json_run import Paired, assessed_period, run_stages
from lsprules.engine.interpreter import (
    AreaResults,
    Assessment,
    ClauseTrace,
    EvaluationStream,
    Gap,
    Point,
    ThemeMember,
    ThemeResult,
    _divides,
    _names,
    _same_kind_period,
    _unit_word,
    annual_profile,
    assess_theme,
)
from lsprules.lang import nodes
from lsprules.lang.resolve import LEVEL_NAMES, IndicatorSpec, RuleSet, walk

if TYPE_CHECKING:
    import polars as pl

MISSING = {"s": "suppressed", "n": "n/a"}  # a series item's code for a missing value: interpreter._missing_word
PLACES = REPORT_COLUMNS.index("places")  # of a row: the places of the indicator's values in the area's data
LATEST = REPORT_COLUMNS.index("lperiod")  # of a row: the index of its latest value's period
FIGURES = REPORT_COLUMNS.index(COUNTED[0])  # of a row: the figures of a value `a / b` (json_plan.COUNTED)
WORDED = "g"  # a series item's code for a derived point without a value, before its reason (json_plan._points)
REASONS_SEPARATOR = '",' + ITEM + '"'  # between two reasons in the plan's text (items of a JSON list)
MEMO = 1 << 16


# Rows of the plan (REPORT_COLUMNS or COMPARED_COLUMNS), whole areas: a list of tuples (DuckDB) or a polars frame.
Rows: TypeAlias = "list[tuple[Any, ...]] | pl.DataFrame"
# A batch of the plan's rows, or two Paired: the same areas' rows at the period assessed and one period earlier.
Batch: TypeAlias = "Rows | Paired"
# An assessment's area, indicator, title, value, arrow, RAG, target and trajectory (audit/impact.Compared).
Compared: TypeAlias = "tuple[str, str, str, Fraction | None, str, str | None, Fraction | None, Fraction | None]"


@dataclass(frozen=True)
class Making:
    """What turns the plan's rows into assessments, in this process or another (it pickles): the rules, the
    file's facts, the period assessed and the one before it whose theme ratings Paired batches give (None: none)."""

    rules: RuleSet
    found: Checked
    at: Period | None
    before: Period | None = None

    def maker(self) -> AreaMaker:
        """A maker of areas' results, with empty memos."""
        return AreaMaker(self.rules, self.found, self.at, self.before)


@dataclass(frozen=True)
class ReportAssessments:
    """The assessments of a report from the plan: the plan's rows in batches of whole areas (to be read once),
    what makes them assessments, the data's kind of period, how many areas the batches hold, and the rows'
    columns (REPORT_COLUMNS; COMPARED_COLUMNS for a run of only what a diff compares, which has no `stream`)."""

    batches: Iterator[Batch]
    making: Making
    kind: PeriodKind
    areas: int
    columns: tuple[str, ...] = REPORT_COLUMNS

    def stream(self) -> EvaluationStream:
        """The batches as the interpreter's stream of areas, made in this process."""
        return self.reported()[0]

    def reported(self) -> tuple[EvaluationStream, Iterator[AreaResults | None] | None]:
        """The stream of areas (as `stream`), and beside it each area's theme ratings one period earlier, part for
        part, read in step with it (None: the run rates no earlier period), as a report shows them."""
        assert self.columns == REPORT_COLUMNS, "a run of only the compared facts makes no assessments"
        maker = self.making.maker()
        now, before = tee(pair for batch in self.batches for pair in maker.paired(batch))
        making = self.making
        stream = EvaluationStream(making.rules.file, making.at, bool(making.rules.themes), (part for part, _ in now))
        return stream, (earlier for _, earlier in before) if making.before is not None else None

    def compared(self) -> Iterator[tuple[list[Compared], tuple[ThemeResult, ...]]]:
        """What a rule change's impact compares of each assessment (AreaMaker.compared), an area at a time, in
        order, with the area's theme ratings (rated from the same facts), from a run of only that (evaluate_report's
        `compared_only`)."""
        assert self.columns == COMPARED_COLUMNS, "a report's run holds more than the compared facts"
        maker = self.making.maker()
        batches = cast("Iterator[Rows]", self.batches)  # a run of the compared facts has no period before: not Paired
        for batch in batches:
            for listed in _areas(batch):
                yield list(maker.compared(listed)), maker.rated(listed[0][0], listed) if maker.themes else ()


def evaluate_report(rules: RuleSet, path: str | Path, engine: str = "polars", period: str | None = None,
                    areas: Sequence[str] | None = None, compared_only: bool = False,
                    themes: bool = False, earlier: bool = False) -> ReportAssessments | Fallback:
    """`evaluate_stream(rules, dataset, period, areas)` of a plain long-form CSV (or, in DuckDB, Parquet) file, from
    the plan run in `engine` ("polars" or "duckdb"); or why not (json_run.evaluate_json's reasons). `compared_only`:
    a run of only what a rule change's impact compares (json_plan.compile_compared_stages), for `diff --data`.
    `themes`: each area's theme ratings too, rated from its assessments as the interpreter rates them (without it,
    rules with themes are refused); `earlier`: and the ratings one period earlier, which a report shows beside them
    (ReportAssessments.reported), rated from what the plan of a diff compares (its arrows, RAG and values: all a
    rating reads), run for that period too on each batch of areas."""
    reasons, stages, cannot = (compared_unsupported(rules), compile_compared_stages, "express") if compared_only \
        else (json_unsupported(rules), compile_report_stages, "write the reasons of")
    if themes:
        reasons = [reason for reason in reasons if reason != THEMES]
    if reasons:
        return Fallback(f"the plan cannot {cannot} " + "; ".join(reasons))
    before = compile_compared_stages if earlier and rules.themes and not compared_only else None
    ran = run_stages(rules, Path(path), engine, period, areas, stages, earlier=before)
    if isinstance(ran, Fallback):
        return ran
    count = len(ran.found.areas) if areas is None else len(set(areas))
    making = Making(rules, ran.found, assessed_period(ran), ran.before)
    return ReportAssessments(_whole_areas(ran.batches), making, ran.found.kind, count,
                             COMPARED_COLUMNS if compared_only else REPORT_COLUMNS)


def _whole_areas(batches: Iterator[Batch]) -> Iterator[Batch]:
    """The batches, each of whole areas: DuckDB's rows come in lists of json_run.BATCH_ROWS, which may end inside
    an area (the area's rows then start the next batch); polars' frames hold whole areas already."""
    held: list[tuple[Any, ...]] = []  # the rows of an area the last list may not have ended
    for batch in batches:
        if not isinstance(batch, list):
            yield batch
            continue
        rows = held + batch
        cut = len(rows)
        while cut and rows[cut - 1][0] == rows[-1][0]:
            cut -= 1
        held = rows[cut:]
        if cut:
            yield rows[:cut]
    if held:
        yield held


class _Member(NamedTuple):
    """What a theme rating reads of a member, from the compared facts (interpreter.ThemeMember)."""

    arrow: str
    rag: str | None
    value: Fraction | None


def _areas(batch: Rows) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of each area of a batch of whole areas, in order (a row's first cell tells its area: in
    COMPARED_COLUMNS it is the area)."""
    rows = batch if isinstance(batch, list) else batch.rows()
    return (list(area) for _, area in groupby(rows, key=lambda row: row[0]))


class AreaMaker:
    """Turns the plan's rows into assessments: what depends only on the indicator is worked out once, and the
    numbers, series points and clause traces that recur (national data repeats them by the thousand) are made once
    and shared, in memos of at most MEMO entries each (Fractions and the traces are immutable)."""

    def __init__(self, rules: RuleSet, found: Checked, at: Period | None, before: Period | None = None):
        """`at`: the period assessed (the latest, when none was asked for); `before`: the period of the second rows
        of Paired batches, assessed for their theme ratings alone."""
        self.kind = kind = found.kind
        self.periods = found.periods
        self.unit = 10 ** found.scale  # the plan's values are integers at the data's scale
        self.at = at
        self.specs = list(rules.indicators.values())
        self.indicators = rules.indicators
        self.derived = any(spec.value is not None for spec in self.specs)
        self.counted = any(spec.counted is not None for spec in self.specs)
        self.themes = rules.themes
        self.members = {position for position, spec in enumerate(self.specs)
                        if any(spec.id in theme.members for theme in rules.themes)}
        self.earlier = AreaMaker(rules, found, before) if before is not None else None
        self.units = [_unit_word(spec.unit) for spec in self.specs]
        self.paths = [_path_ends(spec, kind) for spec in self.specs]
        self.profiles = [_profile(spec, kind) for spec in self.specs]
        self.profile_bases = [_profile_baseline(spec, kind) for spec in self.specs]
        self.numbers: dict[tuple[int, int], Fraction] = {}
        self.points: dict[str, tuple[Period, Fraction]] = {}
        self.traces: dict[str, tuple[ClauseTrace, ...]] = {}

    def parts(self, batch: Batch) -> Iterator[AreaResults]:
        """The results of each area of a batch of whole areas, in order, with its theme ratings."""
        return (part for part, _ in self.paired(batch))

    def paired(self, batch: Batch) -> Iterator[tuple[AreaResults, AreaResults | None]]:
        """The results of each area of a batch of whole areas, in order, with its theme ratings; beside each, for a
        Paired batch, the area's theme ratings one period earlier (else None)."""
        earlier = self._earlier_themes(batch.before) if isinstance(batch, Paired) else None
        for listed in _areas(batch.now if isinstance(batch, Paired) else batch):
            shown = self._derived_places(listed) if self.derived else {}
            assessments = tuple(self.assessment(row, shown.get(row[1])) for row in listed)
            themes = self._themes(listed[0][2], {a.indicator: a for a in assessments}) if self.themes else ()
            part = AreaResults(assessments, themes, self._figures(listed) if self.counted else ())
            yield part, None if earlier is None else AreaResults((), earlier.get(listed[0][2], ()))

    def _earlier_themes(self, batch: Rows) -> dict[str, tuple[ThemeResult, ...]]:
        """Each area's theme ratings, by area, from a batch of COMPARED_COLUMNS one period earlier."""
        maker = self.earlier
        assert maker is not None, "a Paired batch comes from a run with a period before the one assessed"
        return {listed[0][0]: maker.rated(listed[0][0], listed) for listed in _areas(batch)}

    def rated(self, area: str, rows: Iterable[tuple[Any, ...]]) -> tuple[ThemeResult, ...]:
        """An area's theme ratings from its rows of COMPARED_COLUMNS: each member's arrow, RAG and whether it has a
        value, which is all a rating reads."""
        members = {self.specs[position].id: _Member(arrow or "na", rag, self._number(vn, vd))
                   for _, position, arrow, rag, vn, vd, *_ in rows if position in self.members}
        return self._themes(area, members)

    def _figures(self, rows: list[tuple[Any, ...]]) -> tuple[Area, ...]:
        """The area's data a report shows beside its values `a / b` (render/context._counts, `96 of 160`): the two
        fields of each at its latest value's period, as the data writes them (the plan's COUNTED cells)."""
        series = {}
        for row in rows:
            spec, lperiod = self.specs[row[1]], row[LATEST]
            top, bottom = (None if cell is None else decimal(cell) for cell in row[FIGURES:FIGURES + 2])
            if spec.counted is not None and lperiod is not None and top is not None and bottom is not None:
                at = self.periods[lperiod]
                series[spec.id] = Series(spec.id, fields={spec.counted[0]: {at: top}, spec.counted[1]: {at: bottom}})
        return (Area(rows[0][2], series),) if series else ()

    def _derived_places(self, rows: list[tuple[Any, ...]]) -> dict[int, int]:
        """The places each derived indicator's values are shown at in one area, by its position: the plan gives
        those of each raw indicator's data, from which AreaEvaluator.places works out a derived one's."""
        data = {self.specs[row[1]].id: row[PLACES] or 0 for row in rows}
        found: dict[str, int] = {}
        return {position: self._places(spec, data, found) for position, spec in enumerate(self.specs)
                if spec.value is not None}

    def _places(self, spec: IndicatorSpec, data: dict[str, int], found: dict[str, int]) -> int:
        """AreaEvaluator.places of an indicator from its raw components' places in the area's data (`found`: those
        worked out so far, each once)."""
        if spec.id not in found:
            if spec.decimals is not None:
                found[spec.id] = spec.decimals
            elif spec.value is None:
                found[spec.id] = data.get(spec.id, 0)
            elif spec.value.as_percent or any(_divides(node) for node in walk(spec.value.expr)):
                found[spec.id] = 1
            else:
                found[spec.id] = max((self._places(self.indicators[name], data, found)
                                      for name in _names(spec.value.expr)
                                      if name in self.indicators and name not in spec.fields), default=0)
        return found[spec.id]

    def _themes(self, area: str, members: Mapping[str, ThemeMember]) -> tuple[ThemeResult, ...]:
        """An area's theme ratings, rated from its assessments (by indicator) by the interpreter's own rule (the
        plan's files print no ratings to check, so the area holds none)."""
        return tuple(assess_theme(theme, Area(area, {}), members, self.at) for theme in self.themes)

    def compared(self, batch: Rows) -> Iterator[Compared]:
        """Of each row of COMPARED_COLUMNS (a batch, or an area's), what a rule change's impact compares
        (audit/impact.py): its area, indicator, title, value, arrow, RAG, target and trajectory."""
        number = self._number
        for area, position, arrow, rag, vn, vd, tn, td, jn, jd in batch if isinstance(batch, list) else batch.rows():
            spec = self.specs[position]
            yield area, spec.id, spec.title, number(vn, vd), arrow or "na", rag, number(tn, td), number(jn, jd)

    def assessment(self, row: tuple[Any, ...], derived_places: int | None = None) -> Assessment:
        """The interpreter's assessment of one row of REPORT_COLUMNS (`derived_places`: the places of a derived
        indicator's values, _derived_places)."""
        (_, position, area, lperiod, eperiod, arrow, rag, line, met, on_path, vn, vd, en, ed, cn, cd, pn, pd, tn, td,
         jn, jd, bn, bd, series, places, reasons, clauses, no_data_target, *levels, _, _) = row
        if derived_places is not None:
            places = derived_places
        spec = self.specs[position]
        number = self._number
        value, target = number(vn, vd), number(tn, td)
        earlier = number(en, ed)
        previous = None if earlier is None else Point(self.periods[eperiod], earlier) if eperiod in self.periods \
            else Point(None, earlier, eperiod)  # a mean of several values, named by its periods
        path: tuple[tuple[Period, Fraction], ...] = ()
        ends, profile = self.paths[position], self.profiles[position]
        base = self.profile_bases[position]
        if base is not None and bn is not None:
            profile = _with_baseline(profile, base, Fraction(bn, bd))
        if not no_data_target:  # the data's target replaces the rules' and their path (Facts._judge_target)
            ends, profile = None, ()
        if ends is not None and value is not None and target is not None and bn is not None:
            path = ((ends[0], Fraction(bn, bd)), (ends[1], target))
        elif profile and value is not None and (bn is not None or spec.target is None or spec.target.baseline is None):
            path = profile
        return Assessment(
            area=area, indicator=spec.id, title=spec.title, group=spec.group.id if spec.group else None,
            group_title=spec.group.title if spec.group else None, unit=self.units[position],
            period=None if lperiod is None else self.periods[lperiod], value=value,
            series=self._series(spec.id, series), previous=previous, change=number(cn, cd),
            change_pct=number(pn, pd), arrow=arrow or "na", rag=rag, target=target, trajectory=number(jn, jd),
            target_met=met, on_trajectory=on_path, reasons=_reasons(reasons), rule_line=line,
            clauses=self._traces(clauses), discrepancies=(),
            decimals=spec.decimals if spec.decimals is not None else places or 0, target_path=path,
            assessed_at=self.at, levels=self._levels(levels))

    def _levels(self, numbers: Sequence[int | None]) -> tuple[tuple[str, Fraction], ...]:
        """The reference levels known at the latest value's period, by name in the language's order, from each
        level's numerator and denominator (NULL: not known) in LEVEL_NAMES' order (Facts.levels)."""
        pairs = zip(LEVEL_NAMES, numbers[::2], numbers[1::2], strict=True)
        found = ((name, self._number(n, d)) for name, n, d in pairs)
        return tuple((name, value) for name, value in found if value is not None)

    def _number(self, n: int | None, d: int | None) -> Fraction | None:
        if n is None or d is None:
            return None
        key = (n, d)
        found = self.numbers.get(key)
        if found is None:
            found = self.numbers[key] = Fraction(n, d)
            _bound(self.numbers)
        return found

    def _series(self, indicator: str, text: str | None) -> tuple[tuple[Period, Fraction | Gap], ...]:
        """The series from its items "index:value" (an integer at the data's scale, or "n/w": over the row's
        denominator w) or "index:s", "index:n" (a missing value: suppressed, n/a), "index:g..." (a derived one's,
        worded)."""
        if not text:
            return ()
        out: list[tuple[Period, Fraction | Gap]] = []
        for item in text.split(","):
            point = self.points.get(item)
            if point is None:
                index, _, code = item.partition(":")
                period = Period(self.kind, int(index))
                if code in MISSING:  # (worded with the indicator: not kept)
                    out.append((period, Gap(f"{indicator} is {MISSING[code]} for {period.label}")))
                    continue
                if code.startswith(WORDED):
                    out.append((period, Gap(code[len(WORDED):])))
                    continue
                n, _, w = code.partition("/")  # a value off the data's scale: over its row denominator
                point = self.points[item] = (period, Fraction(int(n), self.unit * int(w or 1)))
                _bound(self.points)
            out.append(point)
        return tuple(out)

    def _traces(self, text: str) -> tuple[ClauseTrace, ...]:
        found = self.traces.get(text)
        if found is None:
            found = self.traces[text] = tuple(ClauseTrace(c["label"], c["line"], c["outcome"], c.get("detail", ""))
                                              for c in json.loads(text))
            _bound(self.traces)
        return found


def _reasons(text: str) -> tuple[str, ...]:
    """The reasons from the items of their JSON list. Without a backslash no string holds an escape, and the
    separator cannot occur inside one (its line break would be escaped), so splitting reads them as JSON would."""
    if not text or "\\" in text:
        return tuple(json.loads(f"[{text}]"))
    return tuple(text[1:-1].split(REASONS_SEPARATOR))


def _bound(memo: dict[Any, Any]) -> None:
    """A memo emptied when it reaches MEMO entries (data whose numbers hardly recur gains nothing from it)."""
    if len(memo) >= MEMO:
        memo.clear()


def _path_ends(spec: IndicatorSpec, kind: PeriodKind) -> tuple[Period, Period] | None:
    """The periods of the straight line a linear target is drawn along (interpreter.Facts._goal_target's
    target_path: from the baseline to the target period), or None when the indicator has none."""
    target = spec.target
    if (target is None or target.fixed is not None or target.baseline is None or target.trajectory == "flat"
            or not isinstance(target.goal, (nodes.ChangeStmt, nodes.ReachStmt))):
        return None
    like = Period(kind, 0)
    start, end = _same_kind_period(target.baseline.period, like), _same_kind_period(target.goal.period, like)
    return None if start is None or end is None else (start, end)


def _profile(spec: IndicatorSpec, kind: PeriodKind) -> tuple[tuple[Period, Fraction], ...]:
    """The points a profiled target is drawn along, as interpreter.Facts._annual_target and _profiled_target make its
    target_path (but for the baseline's point, which the data gives: _with_baseline), or ()."""
    target = spec.target
    if target is not None and target.per_period:
        like = Period(kind, 0)
        given = ((_same_kind_period(s.period, like), exact(s.amount.value)) for s in target.per_period)
        return tuple(sorted((p, v) for p, v in given if p is not None))
    goal = target.goal if target is not None else None
    if not isinstance(goal, nodes.AnnualStmt):
        return ()
    path = annual_profile(goal, kind)
    return () if isinstance(path, str) else tuple(path)


def _profile_baseline(spec: IndicatorSpec, kind: PeriodKind) -> Period | None:
    """The period of the baseline a target profiled by period draws its line from (None: it has none)."""
    target = spec.target
    if target is None or not target.per_period or target.baseline is None:
        return None
    return _same_kind_period(target.baseline.period, Period(kind, 0))


def _with_baseline(profile: tuple[tuple[Period, Fraction], ...], base: Period,
                   value: Fraction) -> tuple[tuple[Period, Fraction], ...]:
    """A profile by period with the baseline's point in place of any given for its period (_profiled_target)."""
    return tuple(sorted([(base, value), *((p, v) for p, v in profile if p != base)]))
