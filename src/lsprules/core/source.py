"""Source text of one input file: its name, its lines, and positions within it."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """A region of a source file: 1-based line and column of its start and end (end exclusive)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


_NEWLINE = re.compile("\n")


@dataclass(frozen=True)
class Source:
    """The decoded text of an input file with a table of line starts for offset → line:column."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        # The line breaks are found by the regular-expression engine, in C: a Python loop over every character
        # took seconds for a large file.
        starts = [0, *(m.end() for m in _NEWLINE.finditer(self.text))]
        object.__setattr__(self, "_line_starts", tuple(starts))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        """Decode UTF-8 (BOM allowed), normalise CRLF/CR to LF; raise UnicodeDecodeError on bad bytes."""
        return cls(name, normalise_newlines(data.removeprefix(BOM).decode("utf-8")))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if not 1 <= line <= len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def span(self, start: int, end: int) -> Span:
        """The span between two character offsets."""
        line, column = self.position(start)
        end_line, end_column = self.position(max(start, end))
        return Span(self.name, line, column, end_line, end_column)


BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark, which some editors and Excel write at the start of a file


def normalise_newlines(text: str) -> str:
    """CRLF and CR to LF: every file's lines are counted the same way, whatever wrote it."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def display_name(path: Path | str) -> str:
    """The name used for a file in messages: as given, with forward slashes."""
    return str(path).replace("\\", "/")
