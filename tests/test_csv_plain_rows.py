"""The CSV reader's loop for files of the four required columns reads what the row-by-row reading reads.

`_Reader._plain_rows` reads such a file while every row is valid and otherwise leaves it to the row-by-row
reading; either way the dataset (its order, each value's exact digits) and the problems must be those of the
row-by-row reading alone, which these tests run by turning the loop off.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from lsprules.core.diagnostics import InputError
from lsprules.data.model import Dataset
from lsprules.data.readers import csv_reader
from lsprules.data.readers.csv_reader import load_csv_bytes


def _shape(dataset: Dataset) -> Any:
    """Everything a dataset holds, in its order, each value with its digits (Decimal equality ignores them)."""
    return (dataset.path, dataset.period_kind, dataset.sha256,
            [(area.name, [(indicator, [(repr(p), repr(v)) for p, v in series.values.items()],
                           {name: list(by.items()) for name, by in series.fields.items()}, series.method_breaks,
                           series.reported, series.levels, series.stated)
                          for indicator, series in area.series.items()])
             for area in dataset.areas])


def _outcome(data: bytes) -> Any:
    try:
        return "dataset", _shape(load_csv_bytes("t.csv", data))
    except InputError as caught:
        return "problems", [(d.code, d.message, d.span.line, d.span.column, d.hint) for d in caught.diagnostics]


def _both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    plain = _outcome(data)
    with monkeypatch.context() as patch:
        patch.setattr(csv_reader._Reader, "_plain_rows", lambda self, columns: False)
        by_row = _outcome(data)
    return plain, by_row


def test_the_loop_reads_a_plain_file(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"area,indicator,period,value\nNorth,robbery,2005/06,1.50\nNorth,robbery,2006/07,na\n" \
           b"South,robbery,2005/06,\nNorth,burglary,2005/06,7\n"
    called: list[bool] = []
    original = csv_reader._Reader._plain_rows

    def spy(self: csv_reader._Reader, columns: dict[str, int]) -> bool:
        called.append(original(self, columns))
        return called[-1]

    monkeypatch.setattr(csv_reader._Reader, "_plain_rows", spy)
    result = _outcome(data)
    monkeypatch.undo()
    assert called == [True]
    assert result == _both(data, monkeypatch)[1]


AREAS = ["North", " South ", "", "Ynys Môn, North", "East"]
INDICATORS = ["robbery", "burglary", "Robbery!", "", "r2"]
PERIODS = ["2005/06", "2006/07", "2007/08", "2006/08", "2006", "", " 2005/06 "]
VALUES = ["1", "1.50", "1.5", "-0.6", "0", "", "na", "N/A", "suppressed", "abc", "1,029", "١٢", "1e5",
          "1" * 40, " 7 ", "0.000", "+3"]
HEADERS = [["area", "indicator", "period", "value"], ["period", "value", "area", "indicator"],
           ["Area", "indicator", "PERIOD", "value"], ["area", "indicator", "period", "value", "status"]]


def _cell(text: str) -> str:
    return f'"{text}"' if "," in text else text


def _random_file(rng: random.Random) -> bytes:
    header = rng.choice(HEADERS)
    lines = [",".join(header)]
    for _ in range(rng.randint(0, 14)):
        cells = {"area": rng.choice(AREAS), "indicator": rng.choice(INDICATORS), "period": rng.choice(PERIODS),
                 "value": rng.choice(VALUES), "status": rng.choice(["", "na"])}
        if rng.random() < 0.6:  # mostly valid rows, so that many files read through the loop
            cells.update(area=rng.choice(["North", "East"]), indicator=rng.choice(["robbery", "burglary"]),
                         period=rng.choice(PERIODS[:3]), value=rng.choice(VALUES[:9]))
        row = [_cell(cells[name.lower()]) for name in header]
        shape = rng.random()
        if shape < 0.04:
            row = []  # a blank line
        elif shape < 0.08:
            row = ["", "", "", ""]
        elif shape < 0.11:
            row = row[:3]
        elif shape < 0.14:
            row = row + [rng.choice(["", " ", "x"])]
        lines.append(",".join(row))
        if rng.random() < 0.05:
            lines.append(lines[-1])  # the same row again
    text = "\n".join(lines) + rng.choice(["\n", "", "\n\n"])
    return text.encode("utf-8")


def test_random_files_read_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(2026)
    outcomes = set()
    for _ in range(1500):
        data = _random_file(rng)
        plain, by_row = _both(data, monkeypatch)
        assert plain == by_row, data
        outcomes.add(plain[0])
    assert outcomes == {"dataset", "problems"}  # both kinds of file were tried


@pytest.mark.parametrize("data", [
    b"area,indicator,period,value\nX,robbery,2006/07,1\nX,robbery,2006/07,2\n",  # a conflict: E307
    b"area,indicator,period,value\nX,robbery,2006/07,1\nX,robbery,2006/07,1.0\n",  # the same value: the first kept
    b"area,indicator,period,value\nX,robbery,2006/07,1\nX,robbery,2006,1\n",  # two kinds of period: E303
    b'area,indicator,period,value\nX,robbery,2006/07,"1\n',  # an unclosed quote
    b"area,indicator,period,value\nX,robbery,2006/07,1,\n,,,\n\nY,robbery,2006/07,2\n",
    b"area,indicator,period,value\nX,robbery,2006/07," + b"9" * 400 + b"\n",  # beyond the digits' limit
])
def test_edge_cases_read_alike(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, by_row = _both(data, monkeypatch)
    assert plain == by_row
