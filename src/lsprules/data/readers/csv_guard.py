"""Reads a CSV file chunk by chunk and stops where the csv module would stop reading it, so that a field beyond
the size limit (E708) in a 1 GB file is found after reading little more than the limit, not the whole file.

The reference reader (csv_reader.py) decodes the whole file before the csv module meets a field. Here the file is
read in chunks. A chunk without a double quote is cleared by a few `bytes.find` calls: a field of more than N
bytes wholly covers some aligned window of (N+1)//2 bytes, so a chunk in which every such window holds a comma
or a line break has no field that long (and bytes are at least characters). A chunk that cannot be cleared so,
and everything after it, is given, from the start of its line, to the csv module itself with the same limit,
decoded and with newlines counted as decode_source counts them; its first error is where the reference reader
stops too. The file is then cut a little after that point, and the reference reader, reading only that prefix,
gives exactly the diagnostics it gives for the whole file (E708 with its line, excerpt and hint, and any
problem in the rows before it).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lsprules.core.files import open_input, unreadable
from lsprules.core.limits import current
from lsprules.core.source import BOM

CHUNK = 1 << 20  # bytes read at a time
# Bytes kept past the stopping point, so that the excerpt of a line there is shown as for the whole file.
MARGIN = 4096
# Characters of one unfinished line held, beyond the limit, before the csv module is given what there is of it.
PROBE = 1 << 16
# Below this window the quick test would call find for every few bytes: the csv module reads the file instead.
MIN_WINDOW = 64
_BREAKS = (b",", b"\n", b"\r")


@dataclass(frozen=True)
class Guarded:
    """The bytes of a CSV file; `complete` False: only a prefix, within which the reference reader stops."""

    name: str
    data: bytes
    complete: bool


def read_guarded(path: str | Path, what: str = "dataset", *, keep: bool = True) -> Guarded:
    """The display name and bytes of a CSV file, or only a prefix of them when reading it would stop (at a
    field beyond the limit `csv_field_size`) before its end. InputError E001 when it cannot be read.
    `keep` False: only whether reading stops early (`data` is empty), holding no more of the file than a line."""
    name, stream = open_input(path, what)
    with stream:
        try:
            scan = _Scan(stream, current().csv_field_size, keep)
            cut = scan.stop()
            if not keep:
                return Guarded(name, b"", cut is None)
            if cut is None:
                scan.read_rest()
                return Guarded(name, b"".join(scan.chunks), True)
            return Guarded(name, scan.prefix(cut), False)
        except OSError as exc:  # e.g. a folder, or EIO half way through
            raise unreadable(name, what, exc) from None


class _Stop(Exception):
    """The reference reader stops here: a byte that is not UTF-8, or a csv error."""


class _GiveUp(Exception):
    """A line so long that the csv module would have to be given it whole: the whole file is read as before."""


class _Scan:
    """The chunks read so far, and where the reference reader's csv module would stop in them."""

    def __init__(self, stream: BinaryIO, limit: int, keep: bool):
        self.stream = stream
        self.limit = limit
        self.window = (limit + 1) // 2  # a run of more than `limit` bytes covers an aligned window this wide
        self.keep = keep  # every chunk; else only those from the start of the last cleared line, until _exact
        self.chunks: list[bytes] = []
        self.base = 0  # the offset of chunks[0]
        self.exact = False  # whether the csv module reads from here on
        self.size = 0  # bytes read
        self.run = 0  # bytes since the last comma or line break, in the chunks cleared so far
        self.line_start = 0  # where the line after the last line break cleared so far starts

    def _read(self, size: int = 0) -> bytes:
        """The next `size` bytes (0: a chunk), held as the mode says."""
        chunk = self.stream.read(size or CHUNK)
        self.size += len(chunk)
        if self.keep or not self.exact:
            self.chunks.append(chunk)
        if not self.keep:
            while len(self.chunks) > 1 and self.base + len(self.chunks[0]) <= self.line_start:
                self.base += len(self.chunks.pop(0))
        return chunk

    def read_rest(self) -> None:
        """Read to the end of the file."""
        while self._read():
            pass

    def stop(self) -> int | None:
        """The offset by which the reference reader will have stopped on an error; None: it reads to the end."""
        while chunk := self._read():
            start = len(BOM) if self.size == len(chunk) and chunk.startswith(BOM) else 0
            if not self._cleared(chunk, self.size - len(chunk), start):
                try:
                    self._exact()
                except _Stop:
                    return self.size + MARGIN
                except _GiveUp:
                    return None
                return None
        return None

    def _cleared(self, chunk: bytes, offset: int, start: int) -> bool:
        """Whether the quick test shows that no field in this chunk is longer than the limit."""
        if b'"' in chunk or self.window < MIN_WINDOW:
            return False
        firsts = [p for p in (chunk.find(b, start) for b in _BREAKS) if p >= 0]
        if not firsts:
            self.run += len(chunk) - start
            return self.run <= self.limit
        first, last = min(firsts), max(chunk.rfind(b) for b in _BREAKS)
        if self.run + first - start > self.limit:
            return False
        w = self.window
        for s in range(-(-first // w) * w, last - w + 2, w):
            if chunk.find(b",", s, s + w) < 0 and chunk.find(b"\n", s, s + w) < 0 and chunk.find(b"\r", s, s + w) < 0:
                return False
        self.run = len(chunk) - last - 1
        line_break = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if line_break >= 0:
            self.line_start = offset + line_break + 1
        return self.run <= self.limit

    def _exact(self) -> None:
        """Give the csv module everything from the start of the last cleared line: _Stop where it stops."""
        csv.field_size_limit(self.limit)
        reader = csv.reader(self._lines())
        try:
            for _ in reader:
                pass
        except csv.Error:
            raise _Stop from None

    def _blocks(self) -> Iterator[bytes]:
        """The bytes from the start of the last cleared line (a BOM left out), then each chunk still to read."""
        offset, held = self.base, list(self.chunks)
        self.exact = True
        if not self.keep:
            self.chunks.clear()  # only the verdict is wanted: nothing more is held
        for chunk in held:
            if offset + len(chunk) > self.line_start:
                part = chunk[max(0, self.line_start - offset):]
                yield part.removeprefix(BOM) if offset == 0 and self.line_start == 0 else part
            offset += len(chunk)
        del held
        while chunk := self._read():
            yield chunk

    def _lines(self) -> Iterator[str]:
        """The lines of the text from the start of the last cleared line, as csv_reader gives them to the csv
        module: UTF-8, CRLF and CR as LF, each with its newline, the last one without when the file has none."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        partial, cr = "", ""
        for block in self._blocks():
            try:
                text = cr + decoder.decode(block)
            except UnicodeDecodeError:
                raise _Stop from None
            text, cr = (text[:-1], "\r") if text.endswith("\r") else (text, "")
            parts = (partial + text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
            partial = parts.pop()
            for line in parts:
                yield line + "\n"
            if len(partial) > self.limit + PROBE:
                # What the csv module does with these characters is what it does with the start of the whole
                # line: if a field in them is too long, it stops here as it would there. If not, what it has
                # read is no longer what the reference reader gives it, so the whole file must be read.
                yield partial
                raise _GiveUp
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _Stop from None
        if cr:
            yield partial + "\n"
        elif partial:
            yield partial

    def prefix(self, cut: int) -> bytes:
        """The first `cut` bytes (reading on if needed), ending before any character they would split."""
        while self.size < cut and self._read(cut - self.size):
            pass
        data = b"".join(self.chunks)
        if cut >= len(data):
            return data
        for _ in range(3):  # a UTF-8 character is at most four bytes: back to the byte that starts it
            if data[cut] & 0xC0 != 0x80:
                break
            cut -= 1
        return data[:cut]
