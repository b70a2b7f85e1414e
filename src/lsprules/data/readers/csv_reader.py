"""Load long-form CSV datasets (`area,indicator,period,value` and optional columns), exactly and with row errors.

One row is one observation. Optional columns:
  field            the row is a named field (numerator, denominator, ...) of the indicator, not its value
  numerator, denominator   the value's components, kept as the fields `numerator` and `denominator`
  status           blank, `na`, `suppressed`, or `break` (a method break at this period; `note` gives the reason)
  note             free text (the reason for a break)
  reported_arrow, reported_rag, reported_value   judgements a source report printed, to be checked
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from lsprules.core.diagnostics import Diagnostic, InputError, did_you_mean, error
from lsprules.core.files import read_input
from lsprules.core.periods import Period, PeriodError, parse_period
from lsprules.core.source import Source
from lsprules.data.model import Dataset, Missing, Value
from lsprules.data.observations import Observations, SeriesBuilder

REQUIRED = ("area", "indicator", "period", "value")
OPTIONAL = ("field", "numerator", "denominator", "status", "note", "reported_arrow", "reported_rag", "reported_value")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
# "1,029" is a thousands separator; "10,29" (a decimal comma) or "6,5,0" are not numbers, never guessed at.
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
INDICATOR_ID = re.compile(r"^[a-z][a-z0-9_]*$")
MISSING_WORDS = {"": Missing.NA, "na": Missing.NA, "n/a": Missing.NA, "suppressed": Missing.SUPPRESSED}
STATUSES = ("", "na", "suppressed", "break")
ARROW_WORDS = {"up": "up", "▲": "up", "static": "static", "◀▶": "static", "down": "down", "▼": "down",
               "peak": "peak", "★": "peak", "na": "na", "n/a": "na"}
MAX_PROBLEMS = 100


def load_csv(path: str | Path) -> Dataset:
    """Read and validate a long-form CSV dataset; raise InputError naming the row and column of each problem."""
    return load_csv_bytes(*read_input(path, "dataset"))


def load_csv_bytes(name: str, data: bytes) -> Dataset:
    """Validate and build a dataset from the bytes of a long-form CSV file."""
    from lsprules.core.files import decode_source

    source = decode_source(name, data)
    reader = _Reader(source)
    reader.read()
    if reader.problems:
        raise InputError(reader.problems[:MAX_PROBLEMS])
    return reader.dataset(hashlib.sha256(data).hexdigest())


class _Reader:
    """Reads rows one by one, collecting every problem with its row and column."""

    def __init__(self, source: Source):
        self.source = source
        self.problems: list[Diagnostic] = []
        self.observations = Observations()
        self.line_starts: list[int] = [0] + [i + 1 for i, ch in enumerate(source.text) if ch == "\n"]

    # --- rows ---------------------------------------------------------------------------------

    def read(self) -> None:
        rows = csv.reader(io.StringIO(self.source.text, newline=""))
        try:
            header = next(rows, None)
        except csv.Error as exc:
            self.fail(1, None, f"the header row cannot be read as CSV: {exc}")
            return
        if not header or not any(h.strip() for h in header):
            self.problems.append(error("E305", "the CSV file is empty: a header row `area,indicator,period,value` "
                                       "is needed", self.source, 0))
            return
        columns = self._columns(header)
        if columns is None:
            return
        line = rows.line_num + 1
        try:
            for row in rows:
                if any(cell.strip() for cell in row):
                    self._row(row, columns, line)
                if len(self.problems) >= MAX_PROBLEMS:
                    return
                line = rows.line_num + 1
        except csv.Error as exc:
            self.fail(rows.line_num, None, f"this line cannot be read as CSV: {exc}",
                      "check for an unclosed double quote")

    def _columns(self, header: list[str]) -> dict[str, int] | None:
        names = [h.strip().lower() for h in header]
        columns: dict[str, int] = {}
        explained: set[str] = set()  # missing columns already explained by a misspelt one: one root cause
        for index, name in enumerate(names):
            if name not in REQUIRED + OPTIONAL:
                close = difflib.get_close_matches(name, REQUIRED + OPTIONAL, n=1, cutoff=0.6)
                explained.update(close)
                self.fail(1, index, f"unknown column '{header[index].strip()}'",
                          did_you_mean(name, REQUIRED + OPTIONAL) or f"columns are {', '.join(REQUIRED + OPTIONAL)}")
            elif name in columns:
                self.fail(1, index, f"column '{name}' appears twice", "keep one of them")
            else:
                columns[name] = index
        missing = [c for c in REQUIRED if c not in columns and c not in explained]
        if missing:
            self.fail(1, None, f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
                      "a long-form CSV needs the columns area, indicator, period, value")
        return None if self.problems else columns

    def _row(self, row: list[str], columns: dict[str, int], line: int) -> None:
        if len(row) > len(columns) and any(c.strip() for c in row[len(columns):]):
            self.fail(line, len(columns), f"this row has {len(row)} cells but the header has {len(columns)}",
                      "quote cells that contain commas")
            return

        def cell(name: str) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        area, indicator = cell("area"), cell("indicator")
        if not area:
            self.fail(line, columns["area"], "the area is empty", "every row names its area")
            return
        if not INDICATOR_ID.match(indicator):
            self.fail(line, columns["indicator"], f"'{indicator}' is not an indicator id",
                      "ids are lower-case letters, digits and underscores, starting with a letter")
            return
        period = self._period(cell("period"), line, columns["period"])
        if period is None:
            return
        series = self.observations.series(area, indicator)
        status = cell("status").lower()
        if status not in STATUSES:
            self.fail(line, columns["status"], f"unknown status '{cell('status')}'",
                      did_you_mean(status, STATUSES) or "status is blank, na, suppressed or break")
            return
        if status == "break":
            series.breaks[period] = cell("note") or "method break (no reason given)"
        value = self._value(cell("value"), status, line, columns["value"])
        if value is None:
            return
        conflict = self.observations.add(area, indicator, cell("field"), period, value, f"row {line}")
        if conflict:
            self.fail(line, columns["value"], conflict, "keep one row per area, indicator and period", code="E307")
            return
        for component in ("numerator", "denominator"):
            if cell(component):
                number = self._number(cell(component), line, columns[component])
                if number is not None:
                    series.fields[component][period] = number
        self._reported(series, period, cell, columns, line)

    def _period(self, text: str, line: int, column: int) -> Period | None:
        try:
            period = parse_period(text)
        except PeriodError as exc:
            self.fail(line, column, str(exc), code="E303")
            return None
        problem = self.observations.period_problem(period, f"row {line}")
        if problem:
            self.fail(line, column, problem, "use one kind of period per file", code="E303")
            return None
        return period

    def _value(self, text: str, status: str, line: int, column: int) -> Value | None:
        if status in ("na", "suppressed"):
            if text:
                self.fail(line, column, f"the status says {status} but the value cell holds '{text}'",
                          "leave the value empty, or clear the status")
                return None
            return Missing(status)
        word = MISSING_WORDS.get(text.lower())
        if word is not None:
            return word
        return self._number(text, line, column)

    def _number(self, text: str, line: int, column: int) -> Decimal | None:
        cleaned = text.replace(",", "") if THOUSANDS.match(text) else text
        if not NUMBER.match(cleaned):
            self.fail(line, column, f"expected a number, found '{text}'",
                      "write a plain decimal such as 1029 or -0.6; leave the cell empty, or write na or "
                      "suppressed, when there is no value", code="E306")
            return None
        return Decimal(cleaned)

    def _reported(self, series: SeriesBuilder, period: Period, cell: Callable[[str], str], columns: dict[str, int],
                  line: int) -> None:
        arrow = cell("reported_arrow")
        if arrow:
            word = ARROW_WORDS.get(arrow.lower())
            if word is None:
                self.fail(line, columns["reported_arrow"], f"'{arrow}' is not an arrow",
                          "use up, static, down, peak or na (or ▲ ◀▶ ▼ ★)")
            else:
                series.arrow[period] = word
        if cell("reported_rag"):
            series.rag[period] = cell("reported_rag").lower()
        if cell("reported_value"):
            number = self._number(cell("reported_value"), line, columns["reported_value"])
            if number is not None:
                series.printed[period] = number

    # --- diagnostics and result -------------------------------------------------------------------

    def fail(self, line: int, column: int | None, message: str, hint: str | None = None, code: str = "E305") -> None:
        start = self.line_starts[min(line, len(self.line_starts)) - 1]
        offset = start + _cell_offset(self.source.line_text(line), column) if column is not None else start
        where = f"row {line}" + (f", column {column + 1}" if column is not None else "")
        self.problems.append(error(code, f"{where}: {message}", self.source, offset,
                                   offset + max(1, _cell_width(self.source.line_text(line), column)), hint))

    def dataset(self, sha256: str) -> Dataset:
        """The Dataset of every row read."""
        return self.observations.dataset(self.source.name, sha256)


def _cell_bounds(line: str, column: int | None) -> tuple[int, int]:
    """Character offsets of cell `column` in a raw CSV line (quotes respected)."""
    if column is None:
        return 0, len(line)
    index, start, quoted = 0, 0, False
    for position, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            if index == column:
                return start, position
            index, start = index + 1, position + 1
    return (start, len(line)) if index == column else (len(line), len(line))


def _cell_offset(line: str, column: int | None) -> int:
    return _cell_bounds(line, column)[0]


def _cell_width(line: str, column: int | None) -> int:
    start, end = _cell_bounds(line, column)
    return end - start
