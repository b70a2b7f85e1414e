"""Hands a loaded dataset of any format to the columnar plan: its observations as a long-form CSV file.

The plan reads a long-form CSV (or Parquet) file itself. A dataset another reader loaded (YAML, JSON, an .xlsx
workbook, a Parquet file for polars, several files merged, periods read with --years) reaches it as the CSV file of
its observations, written to a temporary folder that lives as long as the run, when the dataset is plain: values
only, each number written as the text the CSV reader reads back as the same decimal, every area and series with a
value. Anything the plan would not read the same way (printed judgements and theme ratings, fields, method breaks,
levels, stated numbers, a series' notes or source, a number in exponent form, a name with a comma, quote, control
character or spaces around it) is a Fallback: the reference interpreter assesses the dataset as loaded. The
engines check the written file as they check any other (input_checks.py), so what they run on is what the reference
reads.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from lsprules.core.visible import visible
from lsprules.data.model import Area, Dataset, Series
from lsprules.data.readers.long_form import NUMBER, REQUIRED
from lsprules.engine.columnar.input_checks import Fallback

HEADER = ",".join(REQUIRED) + "\n"
NAME = "observations.csv"  # the file's name in its temporary folder
_UNWRITTEN = (",", '"', "\n", "\r")  # a name holding one of these would be quoted in a CSV file


def observation_count(dataset: Dataset) -> int:
    """The observations (values, missing ones included) of every series."""
    return sum(len(series.values) for area in dataset.areas for series in area.series.values())


def not_plain(dataset: Dataset) -> str | None:
    """What of the dataset the plan would not read from a long-form CSV of its values (None: nothing)."""
    for area in dataset.areas:
        why = _name_problem(area.name, "an area") or _area_problem(area)
        if why:
            return why
    return None


def _area_problem(area: Area) -> str | None:
    if area.reported_themes:
        return "theme ratings a source printed"
    if not area.series:
        return "an area without series"
    for series in area.series.values():
        why = _series_problem(series)
        if why:
            return why
    return None


def _series_problem(series: Series) -> str | None:
    reported = series.reported
    if reported.arrow or reported.rag or reported.value:
        return "judgements a source printed"
    if series.fields or series.method_breaks or series.levels or series.stated:
        return "fields, method breaks, levels or stated numbers"
    if series.notes or series.source:
        return "a series' notes or source"
    if not series.values:
        return "a series without values"
    if any(isinstance(v, Decimal) and not NUMBER.match(str(v)) for v in series.values.values()):
        return "a number written in exponent form"
    return _name_problem(series.indicator, "an indicator")


def _name_problem(name: str, what: str) -> str | None:
    # visible(): the readers write a control character out as an escape; one still in a name came from elsewhere
    if name != name.strip() or any(ch in name for ch in _UNWRITTEN) or visible(name) != name:
        return f"{what} whose name has a comma, quote, control character or spaces around it"
    return None


def write_observations(dataset: Dataset, path: Path) -> None:
    """The dataset's observations as long-form CSV, in its order of areas, series and values: the CSV reader reads
    them back as the same areas, series and values (a missing value as the word for why it is missing)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for area in dataset.areas:
            for series in area.series.values():
                start = f"{area.name},{series.indicator},"
                out.writelines(f"{start}{period.label},{value if isinstance(value, Decimal) else value.value}\n"
                               for period, value in series.values.items())


@contextmanager
def observations_file(dataset: Dataset) -> Iterator[Path | Fallback]:
    """The dataset's observations as a long-form CSV file in a temporary folder (removed afterwards), or why the
    plan cannot read the dataset that way."""
    why = not_plain(dataset)
    if why is not None:
        yield Fallback(f"the dataset holds {why}, which the plan does not read", note=True)
        return
    with tempfile.TemporaryDirectory(prefix="lsprules-") as folder:
        path = Path(folder) / NAME
        write_observations(dataset, path)
        yield path
