"""Writes a dataset out in long form, as CSV text or an .xlsx workbook, so that it reads back the same.

Everything a series holds goes out: values, missing and suppressed values (as a status), fields, method
breaks (with their reason as the note) and what a report printed (arrow, RAG, value). Theme ratings a report
printed have no column in long form and are left out. Text is written as it is: this is a data file to be
read back, not a report (reports neutralise formula-like text; see render/csv_out.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import yaml

from lsprules.core.periods import Period
from lsprules.data.model import Dataset, Missing, Series

COLUMNS = ("area", "indicator", "period", "value", "field", "status", "note", "reported_arrow", "reported_rag",
           "reported_value")


def long_rows(dataset: Dataset) -> Iterator[dict[str, object]]:
    """One dict per row (keys: COLUMNS); numbers stay Decimal, everything else is text."""
    for area in dataset.areas:
        for indicator, series in area.series.items():
            for period in _periods(series):
                yield from _period_rows(area.name, indicator, series, period)


def to_csv(dataset: Dataset) -> str:
    """The dataset as long-form CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in long_rows(dataset):
        writer.writerow([_csv_cell(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def to_xlsx(dataset: Dataset, path: str | Path) -> None:
    """The dataset as a long-form .xlsx workbook: numbers as number cells showing their decimal places."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "data"
    sheet.append(COLUMNS)
    for row in long_rows(dataset):
        sheet.append([row[c] if row[c] != "" else None for c in COLUMNS])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = _number_format(cell.value)
    workbook.save(path)


def _periods(series: Series) -> list[Period]:
    r = series.reported
    found = set(series.values) | set(series.method_breaks) | set(r.arrow) | set(r.rag) | set(r.value)
    for by_period in series.fields.values():
        found |= set(by_period)
    return sorted(found)


def _period_rows(area: str, indicator: str, series: Series, period: Period) -> Iterator[dict[str, object]]:
    base = dict.fromkeys(COLUMNS, "") | {"area": area, "indicator": indicator, "period": period.label}
    rows = []
    fields = [(name, by[period]) for name, by in series.fields.items() if period in by]
    if period in series.values or period in series.method_breaks or not fields:
        rows.append(base | _value_cells(series.values.get(period)))
    rows += [base | {"field": name} | _value_cells(value) for name, value in fields]
    first = rows[0]  # the value row when there is one: the reader applies reported_* to the series either way
    if period in series.method_breaks:
        first.update(status="break", note=series.method_breaks[period])
    r = series.reported
    first.update(reported_arrow=r.arrow.get(period, ""), reported_rag=r.rag.get(period, ""),
                 reported_value=r.value.get(period, ""))
    yield from rows


def _value_cells(value) -> dict[str, object]:
    if value is None:
        return {}
    if isinstance(value, Missing):
        return {"status": value.value}
    return {"value": value}


def _csv_cell(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _number_format(value: Decimal) -> str:
    places = max(0, -value.as_tuple().exponent)
    return "0." + "0" * places if places else "0"


def yaml_to_json(path: str | Path) -> str:
    """A YAML dataset file as JSON text, numbers written as the YAML wrote them."""
    def plain(node: object) -> object:
        if isinstance(node, dict):
            return {str(k): plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        return node

    return json.dumps(plain(yaml.safe_load(Path(path).read_text(encoding="utf-8"))), ensure_ascii=False, indent=1)
