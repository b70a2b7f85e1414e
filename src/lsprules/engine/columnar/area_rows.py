"""One area of a large plain long-form CSV file, for the commands that look at one area (`explain`): the file is
read and checked whole by polars (or, without it, DuckDB), as the plan's runs check it, and only the area's rows
are read by the reference reader, so that the interpreter sees the very series it would have built from the whole
file.

National L (35,000 areas, 75 MiB): the whole file through the reference reader takes some 8 s and 1.2 GiB; this,
about 0.9 s and 300 MiB in polars, 1.9 s and 470 MiB in DuckDB. Anything the checks would not pass (a bad cell,
quotes, an unknown --period) is a Fallback: the caller reads the whole file, and the reference reader reports it by
row and column. An area the file does not have gives the file's areas without rows, so that the explanation says so
as it would from the whole file.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

from lsprules.core.diagnostics import InputError
from lsprules.core.files import file_sha256
from lsprules.core.periods import Period
from lsprules.core.source import display_name
from lsprules.data.model import Area, Dataset
from lsprules.engine.columnar.input_checks import Checked, Fallback, requested


@dataclass(frozen=True)
class AreaRows:
    """The dataset of one area, named and hashed as the whole file, and the period asked for (None: the file's
    latest, which the area's rows alone might not hold)."""

    dataset: Dataset
    at: Period | None


def area_rows(path: Path, area: str, period: str | None) -> AreaRows | Fallback:
    """The rows of `area` in the plain long-form CSV file at `path`, checked with the whole file; or why not. The
    file is read and checked by polars when it is installed, else by DuckDB (as the plan's runs read it)."""
    reader = _polars_read if importlib.util.find_spec("polars") is not None else _duckdb_read
    return reader(path, area, period)


def _polars_read(path: Path, area: str, period: str | None) -> AreaRows | Fallback:
    import polars as pl

    from lsprules.engine.columnar.polars_run import checked_frame

    read = checked_frame(path)
    if isinstance(read, Fallback):
        return read
    frame, found = read
    at = requested(found, period, None)
    if isinstance(at, Fallback):
        return at
    if area not in found.areas:
        names = frame.get_column("area").unique(maintain_order=True).cast(pl.String).to_list()
        return AreaRows(_names_only(path, names, found), at)
    rows = frame.filter(pl.col("area").cast(pl.String) == area).write_csv(null_value="").encode("utf-8")
    return _area(path, rows, found, at)


def _duckdb_read(path: Path, area: str, period: str | None) -> AreaRows | Fallback:
    from lsprules.engine.columnar.duck import connect, load_checked, shut

    connection = connect()
    try:
        found = load_checked(connection, path)
        if isinstance(found, Fallback):
            return found
        at = requested(found, period, None)
        if isinstance(at, Fallback):
            return at
        if area not in found.areas:
            names = connection.execute("SELECT area FROM observations GROUP BY area ORDER BY min(rn)").fetchall()
            return AreaRows(_names_only(path, [name for (name,) in names], found), at)
        chosen = connection.execute("SELECT * EXCLUDE (rn) FROM observations WHERE area = ? ORDER BY rn", [area])
        header = [column[0] for column in chosen.description or ()]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([header, *chosen.fetchall()])  # NULL: an empty cell
    finally:
        shut(connection)
    return _area(path, buffer.getvalue().encode("utf-8"), found, at)


def _area(path: Path, rows: bytes, found: Checked, at: Period | None) -> AreaRows | Fallback:
    """The area's rows (CSV bytes with the file's header) read by the reference reader, named and hashed as the
    whole file, assessed at the period asked for or the file's latest."""
    from lsprules.data.readers.csv_reader import load_csv_bytes

    try:
        dataset = load_csv_bytes(display_name(path), rows)
    except InputError:  # (the checks pass only what it reads): its rows and columns are the whole file's to report
        return Fallback("the reference reader refuses the area's rows")
    latest = max(found.periods.values(), default=None)
    return AreaRows(dataclasses.replace(dataset, sha256=file_sha256(path)), at or latest)


def _names_only(path: Path, names: list[str], found: Checked) -> Dataset:
    """The file's areas (`names`, first seen first, as the reference reader lists them) without their rows: an
    explanation asked of an area that is not among them then says so, with the whole file's hint, in a second
    rather than after reading every row."""
    return Dataset(display_name(path), tuple(Area(name, {}) for name in names), found.kind)
