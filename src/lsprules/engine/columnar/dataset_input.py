"""Hands a loaded dataset of any format to the columnar plan: its observations as a long-form CSV file.

The plan reads a long-form CSV (or Parquet) file itself. A dataset another reader loaded (YAML, JSON, an .xlsx
workbook, a Parquet file for polars, several files merged, periods read with --years) reaches it as the CSV file of
its observations, written to a temporary folder that lives as long as the run, when the dataset is plain: values,
fields (numerators, counts: rows naming them in a `field` column) and reference levels (rows naming them in a
`level` column) only, each number written as text the CSV reader reads back as the same decimal, every area and
series with a value, a field or a level. Anything the plan would not
read the same way (printed judgements and theme ratings, method breaks, stated numbers, a series' notes or
source, a number with a positive exponent, a name with a comma, quote, control character or spaces around it) is a
Fallback: the reference interpreter assesses the dataset as loaded, and
so it is when the file cannot be written. The engines check the written file as they check any other
(input_checks.py), so what they run on is what the reference reads.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from lsprules.core.files import terminate_cleanly
from lsprules.core.visible import visible
from lsprules.data.model import Area, Dataset, Series, Value
from lsprules.engine.columnar.input_checks import FIELD, LEVEL, Fallback

NAME = "observations.csv"  # the file's name in its temporary folder
_UNWRITTEN = (",", '"', "\n", "\r")  # a name holding one of these would be quoted in a CSV file


def observation_count(dataset: Dataset) -> int:
    """The observations (values, missing ones included) of every series."""
    return sum(len(series.values) for area in dataset.areas for series in area.series.values())


def not_plain(dataset: Dataset) -> str | None:
    """What of the dataset the plan would not read from a long-form CSV of its values, and where (None: nothing)."""
    for area in dataset.areas:
        why = _name_problem(area.name, "an area") or _area_problem(area)
        if why:
            return why
    return None


def _area_problem(area: Area) -> str | None:
    if area.reported_themes:
        return f"theme ratings a source printed (area {area.name!r})"
    if not area.series:
        return f"an area without series ({area.name!r})"
    for series in area.series.values():
        why = _series_problem(series)
        if why:
            return f"{why} (area {area.name!r}, indicator {series.indicator})"
    return None


def _series_problem(series: Series) -> str | None:
    reported = series.reported
    held = [what for what, there in (
        ("judgements a source printed", reported.arrow or reported.rag or reported.value),
        ("method breaks", series.method_breaks),
        ("stated numbers", series.stated), ("notes", series.notes),
        ("a source", series.source)) if there]
    if held:
        return held[0]
    if not series.values and not any(series.fields.values()) and not any(series.levels.values()):
        return "a series without values"
    values = [*series.values.values(), *(v for field in series.fields.values() for v in field.values()),
              *(v for level in series.levels.values() for v in level.values())]
    if any(isinstance(v, Decimal) and int(v.as_tuple().exponent) > 0 for v in values):
        return "a number written with a positive exponent (such as 1E+3)"
    named = [_name_problem(field, "a field") if field else "a field without a name" for field in series.fields]
    return _name_problem(series.indicator, "an indicator") or next((why for why in named if why), None)


def _name_problem(name: str, what: str) -> str | None:
    # visible(): the readers write a control character out as an escape; one still in a name came from elsewhere
    if name != name.strip() or any(ch in name for ch in _UNWRITTEN) or visible(name) != name:
        return f"{what} whose name has a comma, quote, control character or spaces around it ({name!r})"
    return None


def write_observations(dataset: Dataset, path: Path) -> None:
    """The dataset's observations as long-form CSV, in its order of areas, series and values (then each series'
    fields, as rows naming them in a `field` column, and its reference levels, as rows naming them in a `level`
    column, when any series has one): the CSV reader reads them back as the same areas, series, values, fields
    and levels (a number in positional notation, which gives back its digits and exponent, 1E-7 as 0.0000001; a
    missing value as the word for why it is missing)."""
    series_of = [(area, series) for area in dataset.areas for series in area.series.values()]
    fields = any(series.fields for _, series in series_of)
    levels = any(series.levels for _, series in series_of)
    own = "," if fields else ""  # the empty field cell of a row holding the indicator's own value or a level
    plain = "," if levels else ""  # the empty level cell of a row holding a value or a field
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(("area", "indicator", *((FIELD,) if fields else ()), "period", "value",
                            *((LEVEL,) if levels else ()))) + "\n")
        for area, series in series_of:
            start = f"{area.name},{series.indicator},"
            out.writelines(f"{start}{own}{period.label},{_cell(value)}{plain}\n"
                           for period, value in series.values.items())
            for name, points in series.fields.items():
                out.writelines(f"{start}{name},{period.label},{_cell(value)}{plain}\n"
                               for period, value in points.items())
            for name, given in series.levels.items():
                out.writelines(f"{start}{own}{period.label},{_cell(value)},{name}\n" for period, value in given.items())


def _cell(value: Value) -> str:
    return format(value, "f") if isinstance(value, Decimal) else value.value


@contextmanager
def observations_file(dataset: Dataset) -> Iterator[Path | Fallback]:
    """The dataset's observations as a long-form CSV file in a temporary folder, or why the plan cannot read the
    dataset that way. The folder is removed when the block ends, raises, or SIGTERM or SIGHUP stops the run."""
    why = not_plain(dataset)
    if why is not None:
        yield Fallback(f"the dataset holds {why}, which the plan does not read", note=True)
        return
    with terminate_cleanly():
        try:
            folder = tempfile.mkdtemp(prefix="lsprules-")
        except OSError as error:
            yield _unwritten(error)
            return
        try:
            path = Path(folder) / NAME
            try:
                write_observations(dataset, path)
            except OSError as error:  # a full disk, a file size limit
                yield _unwritten(error)
                return
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _unwritten(error: OSError) -> Fallback:
    return Fallback(f"the dataset's observations could not be written to a temporary file ({error.strerror or error})",
                    note=True)
