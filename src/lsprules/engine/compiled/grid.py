"""Reads a plain long-form CSV file (area, indicator, period, value) into a dense grid, column by column.

The work per row is done by C loops (str.split, map over dict lookups, list scatter), never by a Python loop:
that is what makes 2 million rows cheap. Only plain files qualify: exactly the four required columns, no
quotes, no carriage returns, no blank lines, three commas on every line. For anything else, and for any
value the reference reader would reject or treat specially (a duplicate row, a bad period), `read_table`
returns None and the caller falls back to the reference reader (data/readers/csv_reader.py), which reports
problems by row and column; so does a byte that is not UTF-8, which the one decoder (core/files.py) reports,
and a field beyond the size limit, which data/readers/csv_guard.py finds before the file is read whole.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, repeat
from operator import add, mul
from pathlib import Path
from typing import BinaryIO, cast

from lsprules.core.diagnostics import InputError
from lsprules.core.limits import number_problem
from lsprules.core.periods import Period, PeriodError, parse_period
from lsprules.core.source import BOM
from lsprules.data.readers.csv_guard import read_guarded
from lsprules.data.readers.long_form import INDICATOR_ID, MISSING_WORDS, NUMBER, REQUIRED

CHUNK_CHARS = 1 << 22  # ~100k rows at a time: bounded memory for the cells of one chunk
BLOCK_BYTES = 1 << 24  # read 16 MiB of the file at a time: memory does not grow with the file's size
MAX_LINE_BYTES = 1 << 24  # four cells of at most csv_field_size (100,000) characters take 1.6 MB at most
# Every byte but ',' and '\n' deleted leaves ",,,\n" once per line in a plain file.
_SKELETON_DELETE = bytes(b for b in range(256) if b not in b",\n")
MISSING = 0  # value number of an empty/na/suppressed cell; -1 marks a grid cell no row filled
# A grid this much larger than the rows it holds is too sparse to be worth it: use the reference reader.
MAX_SPARSENESS = 4
MAX_FIRST_BLOCK = 1 << 20  # rows of the first period kept to recognise the next periods' blocks


class NotPlain(Exception):
    """The file is not one the fast reader handles; the reference reader must read it."""


def _plain(data: bytes) -> None:
    """NotPlain for quotes or carriage returns: the csv module must read such a file."""
    if b'"' in data or b"\r" in data:
        raise NotPlain("quotes or carriage returns: the csv module must read it")


@dataclass(frozen=True)
class Table:
    """A long-form dataset as a grid of series: values[s * len(periods) + rank] is series s at that period
    rank, exactly value * scale, or None when missing. After the last series comes one empty series."""

    areas: tuple[str, ...]
    indicators: dict[str, int]
    periods: tuple[Period, ...]
    values: list[int | None]
    scale: int
    series: list[int] | None = None  # area * len(indicators) + indicator -> series (-1: none); None: the same

    def offsets(self, indicator: int, areas: Iterable[int]) -> list[int]:
        """Where the series of `indicator` in each of `areas` starts in `values` (no data: the empty series)."""
        width, count = len(self.indicators), len(self.periods)
        numbers = [area * width + indicator for area in areas]
        if self.series is not None:
            numbers = [self.series[n] for n in numbers]
        empty = len(self.values) - count
        return [n * count if n >= 0 else empty for n in numbers]


def read_table(path: str | Path) -> Table | None:
    """The dataset as a Table, or None when the reference reader must read it."""
    try:
        if not read_guarded(path, keep=False).complete:
            return None  # a field beyond the size limit: the reference reader says where
        with Path(path).open("rb") as stream:
            return _Reader().table(_lines(stream))
    except (OSError, InputError, ValueError, NotPlain):
        return None


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """The file in blocks of whole lines, each ending with a newline (one is added to a last line without)."""
    rest = b""
    while block := stream.read(BLOCK_BYTES):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        rest = block[cut:]
        if len(rest) > MAX_LINE_BYTES:  # no plain row is this long: the reference reader takes such a file
            raise NotPlain("a line of more than MAX_LINE_BYTES")
        if cut:
            yield block[:cut]
    if rest:
        yield rest + b"\n"


class _Reader:
    """Validates and converts one file's columns chunk by chunk; raises NotPlain on anything unusual."""

    def __init__(self) -> None:
        self.area_numbers: dict[str, int] = {}  # raw cell -> area number
        self.area_names: dict[str, int] = {}  # stripped name -> area number
        self.indicator_numbers: dict[str, int] = {}
        self.indicator_ids: dict[str, int] = {}
        self.period_numbers: dict[str, int] = {}
        self.periods: dict[Period, int] = {}
        self.value_numbers: dict[str, int] = {}
        self.numbers: list[Decimal | None] = [None]  # value number -> exact value (0: missing)
        # area, indicator, period and value numbers of every row, compactly
        self.columns = [array("i"), array("i"), array("i"), array("i")]  # 4 bytes a number: 21M rows in 336 MB
        self.first = _FirstBlock()

    def table(self, blocks: Iterator[bytes]) -> Table:
        """Read the blocks of lines (the header first) and build the grid."""
        header, _, first = next(blocks, b"").removeprefix(BOM).partition(b"\n")
        _plain(header)
        order = _column_order(header.decode("utf-8"))
        blocks = chain([first], blocks)
        blank = False  # blank lines seen: allowed only at the end of the file, as the reference reader skips them
        for block in blocks:
            _plain(block)
            body = block.rstrip(b"\n")
            if body and blank:
                raise NotPlain("a blank line")
            blank = blank or len(block) - len(body) > (1 if body else 0)  # newlines beyond a last line's own
            if body:
                self._read_block(body + b"\n", order)
        return self._grid()

    # --- the file's shape and columns, block by block ------------------------------------------

    def _read_block(self, lines: bytes, order: tuple[int, int, int, int]) -> None:
        """Check that every line has four cells, then number the cells, chunk by chunk."""
        skeleton = lines.translate(None, _SKELETON_DELETE)
        if skeleton.count(b",,,\n") * 4 != len(skeleton):
            raise NotPlain("a line without exactly four cells, or a blank line")
        text = lines.decode("utf-8")
        start, size = 0, len(text)
        while start < size:
            end = text.find("\n", start + CHUNK_CHARS)
            end = size if end < 0 else end + 1
            cells = text[start:end - 1].replace("\n", ",").split(",")
            start = end
            self._add_chunk([cells[i::4] for i in order])

    def _add_chunk(self, columns: list[list[str]]) -> None:
        areas, indicators, periods, values = columns
        pieces = self.first.pieces(len(self.columns[3]), len(areas))
        if pieces is None:
            self.first.extend(areas, indicators, periods)
        for which, cells, numbers, register in ((0, areas, self.area_numbers, self._new_areas),
                                                (1, indicators, self.indicator_numbers, self._new_indicators)):
            if pieces and self.first.repeats(which, cells, pieces):  # the same cells as the first block's
                self.columns[which].extend(_joined(self.columns[which], pieces))
            else:
                self.columns[which].extend(self._numbered(cells, numbers, register))
        if periods.count(periods[0]) == len(periods) and periods[0] in self.period_numbers:  # one period
            self.columns[2].extend(array("i", [self.period_numbers[periods[0]]]) * len(periods))
        else:
            self.columns[2].extend(self._numbered(periods, self.period_numbers, self._new_periods))
        self.columns[3].extend(self._numbered(values, self.value_numbers, self._new_values))

    def _numbered(self, cells: list[str], numbers: dict[str, int],
                  register: Callable[[list[str]], None]) -> array[int]:
        """The number of every cell, registering the cells not seen before (validated) first."""
        try:
            return array("i", map(numbers.__getitem__, cells))
        except KeyError:
            register(cells)
            return array("i", map(numbers.__getitem__, cells))

    def _new_areas(self, cells: list[str]) -> None:
        for raw in dict.fromkeys(cells):  # first appearance order is the output order
            if raw not in self.area_numbers:
                name = raw.strip()
                if not name:
                    raise NotPlain("an empty area")
                self.area_numbers[raw] = self.area_names.setdefault(name, len(self.area_names))

    def _new_indicators(self, cells: list[str]) -> None:
        for raw in set(cells) - self.indicator_numbers.keys():
            name = raw.strip()
            if not INDICATOR_ID.match(name):
                raise NotPlain("not an indicator id")
            self.indicator_numbers[raw] = self.indicator_ids.setdefault(name, len(self.indicator_ids))

    def _new_periods(self, cells: list[str]) -> None:
        for raw in set(cells) - self.period_numbers.keys():
            try:
                period = parse_period(raw)
            except PeriodError:
                raise NotPlain("not a period") from None
            if self.periods and period.kind != next(iter(self.periods)).kind:
                raise NotPlain("periods of two kinds")
            self.period_numbers[raw] = self.periods.setdefault(period, len(self.periods))

    def _new_values(self, cells: list[str]) -> None:
        for raw in set(cells) - self.value_numbers.keys():
            self.value_numbers[raw] = self._value_number(raw.strip())

    def _value_number(self, text: str) -> int:
        if text.lower() in MISSING_WORDS:
            return MISSING
        if not NUMBER.match(text):
            raise NotPlain("not a number")
        number = Decimal(text)
        if number_problem(number):
            raise NotPlain("beyond the limits")  # the reference path reports it, with its position
        self.numbers.append(number)
        return len(self.numbers) - 1

    # --- the grid -------------------------------------------------------------------------------

    def _grid(self) -> Table:
        ordered = sorted(self.periods)
        rank = [0] * len(ordered)
        for position, period in enumerate(ordered):
            rank[self.periods[period]] = position
        series, numbers = self._aligned_grid(rank) or (None, self._scattered_grid(rank))
        self.columns = []
        scale, exact = _scaled(self.numbers)
        exact.append(None)  # value number -1 (no row) reads the last entry: missing
        values = list(map(exact.__getitem__, numbers))
        values.extend([None] * len(ordered))  # the empty series, for areas without an indicator
        return Table(tuple(self.area_names), self.indicator_ids, tuple(ordered), values, scale, series)

    def _aligned_grid(self, rank: list[int]) -> tuple[list[int], list[int]] | None:
        """Series and value numbers when the file is one block of rows per period, every block listing the
        same areas and indicators in the same order (yearly extracts concatenated); else None."""
        areas, indicators, periods, values = self.columns
        count = len(rank)
        if not count or len(values) % count:
            return None
        size = len(values) // count
        blocks = {}
        for start in range(0, len(values), size):
            block = slice(start, start + size)
            if (periods[block] != array("i", [periods[start]]) * size or areas[block] != areas[:size]
                    or indicators[block] != indicators[:size]):
                return None
            blocks[rank[periods[start]]] = values[block]
        if len(blocks) != count:
            return None
        width = len(self.indicator_ids)
        series = [-1] * (len(self.area_names) * width)
        keys = map(add, map(mul, areas[:size], repeat(width)), indicators[:size])
        deque(map(series.__setitem__, keys, range(size)), maxlen=0)
        if series.count(-1) != len(series) - size:
            raise NotPlain("two rows for one area, indicator and period")
        # Series by series, period by period: the blocks side by side, read across.
        return series, list(chain.from_iterable(zip(*(blocks[r] for r in range(count)), strict=True)))

    def _scattered_grid(self, rank: list[int]) -> list[int]:
        """Value numbers on a dense (area, indicator, period) grid, rows in any order; -1 where no row is."""
        areas, indicators, periods, values = self.columns
        shape = (len(self.area_names), len(self.indicator_ids), len(rank))
        size = shape[0] * shape[1] * shape[2]
        if size > MAX_SPARSENESS * len(values) + 1024:
            raise NotPlain("too sparse for a grid")
        # Grid cell of each row: (area * indicators + indicator) * periods + rank, in C loops.
        cells = map(add, map(mul, map(add, map(mul, areas, repeat(shape[1])), indicators), repeat(shape[2])),
                    map(rank.__getitem__, periods))
        grid = [-1] * size
        deque(map(grid.__setitem__, cells, values), maxlen=0)
        if grid.count(-1) != size - len(values):
            raise NotPlain("two rows for one area, indicator and period")
        return grid


class _FirstBlock:
    """The area and indicator cells of the file's first block of rows (those of its first period).

    Files of yearly extracts repeat them block after block; where a chunk's cells equal the first block's,
    row for row, they take the first block's numbers instead of being looked up one by one. Numbers are a
    function of the cell text, so this holds whatever the file's shape; the grid checks the shape itself.
    """

    def __init__(self) -> None:
        self.period: str | None = None  # the first row's period cell
        self.size: int | None = None  # rows in the first block, once a row of another period is read
        self.cells: tuple[list[str], list[str]] = ([], [])
        self.given_up = False  # a first block longer than MAX_FIRST_BLOCK is not kept

    def extend(self, areas: list[str], indicators: list[str], periods: list[str]) -> None:
        """Keep the cells of a chunk read before the first block has ended."""
        if self.given_up:
            return
        if self.period is None:
            self.period = periods[0]
        end = _run_length(periods, self.period)
        self.cells[0].extend(areas[:end])
        self.cells[1].extend(indicators[:end])
        if end < len(periods):
            self.size = len(self.cells[0])
        elif len(self.cells[0]) > MAX_FIRST_BLOCK:  # one period, or a long one: keeping it costs memory
            self.given_up, self.cells = True, ([], [])

    def pieces(self, row: int, count: int) -> list[tuple[int, int]] | None:
        """Positions in the first block of rows row .. row + count, were the blocks to repeat it."""
        if self.size is None or self.given_up:
            return None
        found, position = [], row % self.size
        while count > 0:
            take = min(count, self.size - position)
            found.append((position, position + take))
            count, position = count - take, 0
        return found

    def repeats(self, which: int, cells: list[str], pieces: list[tuple[int, int]]) -> bool:
        """Whether `cells` equal the first block's area (0) or indicator (1) cells at those positions."""
        start = 0
        for p, q in pieces:
            if cells[start:start + q - p] != self.cells[which][p:q]:
                return False
            start += q - p
        return True


def _joined(numbers: array[int], pieces: list[tuple[int, int]]) -> array[int]:
    joined = array("i")
    for p, q in pieces:
        joined.extend(numbers[p:q])
    return joined


def _run_length(cells: list[str], first: str) -> int:
    """How many cells at the start of `cells` equal `first`, in C loops."""
    if cells.count(first) == len(cells):
        return len(cells)
    others = set(cells)
    others.discard(first)
    return min(cells.index(other) for other in others)


def _column_order(header: str) -> tuple[int, int, int, int]:
    """Positions of area, indicator, period and value; NotPlain unless the header is exactly those four."""
    names = [name.strip().lower() for name in header.split(",")]
    if sorted(names) != sorted(REQUIRED):
        raise NotPlain("other columns than area, indicator, period, value")
    area, indicator, period, value = (names.index(name) for name in REQUIRED)
    return area, indicator, period, value


def _scaled(numbers: list[Decimal | None]) -> tuple[int, list[int | None]]:
    """One power of ten for every value, and each value as an exact integer multiple of 1/scale."""
    given = cast("list[Decimal]", numbers[1:])  # only entry 0 (missing) is None
    # Plain decimals (NUMBER) only: the exponent is an int, never 'n', 'N' or 'F' (NaN, infinity).
    places = max((-cast(int, n.as_tuple().exponent) for n in given), default=0)
    scaled: list[int | None] = [None]
    scaled += [_times_power_of_ten(n, places) for n in given]
    return 10 ** places, scaled


def _times_power_of_ten(number: Decimal, places: int) -> int:
    """number * 10**places as an exact integer (Decimal arithmetic would round past 28 digits)."""
    sign, digits, exponent = number.as_tuple()
    exponent = cast(int, exponent)  # a plain decimal's (NUMBER): never 'n', 'N' or 'F'
    whole: int = int("".join(map(str, digits))) * 10 ** (exponent + places)
    return -whole if sign else whole
