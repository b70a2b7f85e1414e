"""Reads a CSV file chunk by chunk and stops where the csv module would stop reading it, so that a field beyond the
size limit (E708) in a 1 GB file is found after reading little more than the limit, not the whole file.

The reference reader (csv_reader.py) decodes the whole file before the csv module meets a field. Here the file is
first read in chunks, into one reused buffer. A chunk without a double quote is cleared by a few `bytes.find` calls:
a field of more than N bytes wholly covers some aligned window of (N+1)//2 bytes, so a chunk in which every such
window holds a comma or a line break has no field that long (and bytes are at least characters). A chunk that cannot
be cleared so, and everything after it, is given, from the start of its line, to the csv module itself with the same
limit, decoded and with newlines counted as decode_source counts them; its first error is where the reference reader
stops too. Only the bytes up to a little after that point are then read, and the reference reader, reading only that
prefix, gives exactly the diagnostics it gives for the whole file (E708 with its line, excerpt and hint, and any
problem in the rows before it). A file read to its end is read again whole, as before: a second read from the page
cache costs less than holding every chunk and joining them.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lsprules.core.files import char_start, open_input, unreadable
from lsprules.core.limits import current

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
    `keep` False: only whether reading stops early (`data` is empty)."""
    name, stream = open_input(path, what)
    with stream:
        try:
            cut = _Scan(stream, current().csv_field_size).stop()
            if not keep:
                return Guarded(name, b"", cut is None)
            if cut is None:
                stream.seek(0)
                return Guarded(name, stream.read(), True)
            return Guarded(name, _prefix(stream, cut), False)
        except OSError as exc:  # e.g. a folder, or EIO half way through
            raise unreadable(name, what, exc) from None


def _prefix(stream: io.BufferedIOBase, cut: int) -> bytes:
    """The first `cut` bytes, ending before any character they would split."""
    stream.seek(0)
    data = stream.read(cut + 1)  # and the byte after, to see whether the cut splits a character
    return data[:char_start(data, cut)]


class _Stop(Exception):
    """The reference reader stops here: a byte that is not UTF-8, or a csv error."""


class _GiveUp(Exception):
    """A line so long that the csv module would have to be given it whole: the whole file is read as before."""


class _Scan:
    """Reads a file chunk by chunk and finds where the reference reader's csv module would stop in it."""

    def __init__(self, stream: io.BufferedIOBase, limit: int):
        self.stream = stream
        self.limit = limit
        self.window = (limit + 1) // 2  # a run of more than `limit` bytes covers an aligned window this wide
        self.buffer = bytearray(CHUNK)
        self.size = 0  # bytes read
        self.run = 0  # bytes since the last comma or line break, in the chunks cleared so far
        self.line_start = 0  # where the line after the last line break cleared so far starts

    def stop(self) -> int | None:
        """The offset by which the reference reader will have stopped on an error; None: it reads to the end."""
        while count := self.stream.readinto(self.buffer):
            self.size += count
            if not self._cleared(self.buffer if count == CHUNK else bytes(self.buffer[:count]), self.size - count):
                try:
                    self._exact()
                except _Stop:
                    return self.size + MARGIN
                except _GiveUp:
                    return None
                return None
        return None

    def _cleared(self, chunk: bytes | bytearray, offset: int) -> bool:
        """Whether the quick test shows that no field in this chunk is longer than the limit (a BOM counts as
        part of the first field: more bytes than characters, as every multi-byte character is)."""
        if b'"' in chunk or self.window < MIN_WINDOW:
            return False
        firsts = [p for p in (chunk.find(b) for b in _BREAKS) if p >= 0]
        if not firsts:
            self.run += len(chunk)
            return self.run <= self.limit
        first, last = min(firsts), max(chunk.rfind(b) for b in _BREAKS)
        if self.run + first > self.limit:
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
        """The bytes from the start of the last cleared line, chunk by chunk; `size` counts what is read."""
        self.stream.seek(self.line_start)
        self.size = self.line_start
        while chunk := self.stream.read(CHUNK):
            self.size += len(chunk)
            yield chunk

    def _lines(self) -> Iterator[str]:
        """The lines of the text from the start of the last cleared line, as csv_reader gives them to the csv
        module: UTF-8, CRLF and CR as LF, each with its newline, the last one without when the file has none."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        partial, cr = "", ""
        bom = self.line_start == 0  # decode_source drops a BOM at the start of the file
        for block in self._blocks():
            try:
                text = cr + decoder.decode(block)
            except UnicodeDecodeError:
                raise _Stop from None
            if bom and text:
                text, bom = text.removeprefix("\ufeff"), False
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
