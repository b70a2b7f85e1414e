"""One open rule file as the server sees it: checked as `lsprules check` checks it, with every name's definition
and uses found, and the block a position sits in (for completion)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from lsprules.analysis.rule_checks import FileCheck, check_source
from lsprules.core.diagnostics import Diagnostic
from lsprules.core.source import Source, normalise_newlines
from lsprules.lang import nodes

# Comments and titles hold no names; a title left open ends at the line's end.
_TOKENS = re.compile(r'(?P<comment>#[^\n]*)|(?P<title>"(?:\\.|[^"\\\n])*"?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|'
                     r"(?P<open>\{)|(?P<close>\})")


@dataclass(frozen=True)
class Word:
    """A name as written: its text and character offsets."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Definition:
    """Where a profile, indicator, group, theme or comparator is defined: its kind, its name as written, and
    its node when the file parses (a group's definition holds those of its indicators)."""

    kind: str
    name: Word
    item: nodes.Node | None = None
    children: tuple[Definition, ...] = ()


@dataclass
class Document:
    """A rule file's text, checked once per change."""

    uri: str
    source: Source
    words: list[Word] = field(init=False)
    blocks: list[tuple[int, int, str]] = field(init=False)  # (open offset, close offset, keyword before '{')

    def __post_init__(self) -> None:
        self.words, self.blocks = _scan(self.source.text)

    @classmethod
    def of(cls, uri: str, name: str, text: str) -> Document:
        """A document from its text as the editor holds it (newlines normalised as the decoder does)."""
        return cls(uri, Source(name, normalise_newlines(text)))

    @cached_property
    def checked(self) -> FileCheck:
        """What `lsprules check` finds in this text, the same diagnostics at the same spans."""
        return check_source(self.source)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The findings of `check` for this file."""
        return self.checked.diagnostics

    @cached_property
    def definitions(self) -> tuple[Definition, ...]:
        """Every item defined in the file, in order, found from the words (so even while the file does not
        parse), each with its node when it does; a group holds its indicators."""
        items = self._items()
        found: list[Definition] = []
        group_end = -1
        for keyword, name in zip(self.words, self.words[1:], strict=False):
            if keyword.text not in DEFINING:
                continue
            item = items.get(name.text)
            definition = Definition(keyword.text, name, item)
            if keyword.text == "indicator" and keyword.start < group_end and found and found[-1].kind == "group":
                found[-1] = Definition("group", found[-1].name, found[-1].item, (*found[-1].children, definition))
                continue
            found.append(definition)
            if keyword.text == "group":
                group_end = next((end for start, end, opener in self.blocks
                                  if opener == "group" and start > name.end), len(self.source.text))
        return tuple(found)

    def _items(self) -> dict[str, nodes.Node]:
        """The parsed items by name (empty when the file does not parse)."""
        rules = self.checked.rules
        if rules is None:
            return {}
        found: dict[str, nodes.Node] = {}
        for item in rules.ast.items:
            found.setdefault(getattr(item, "name", ""), item)
            for indicator in getattr(item, "indicators", ()):
                found.setdefault(indicator.name, indicator)
        return found

    def all_definitions(self) -> Iterator[Definition]:
        """Every definition, those inside groups included."""
        for definition in self.definitions:
            yield definition
            yield from definition.children

    def definition_of(self, name: str) -> Definition | None:
        """The definition of a name, if the file defines it."""
        return next((d for d in self.all_definitions() if d.name.text == name), None)

    def occurrences(self, name: str) -> list[Word]:
        """Every place a defined name is written (its definition and its uses), outside comments and titles."""
        return [w for w in self.words if w.text == name] if self.definition_of(name) else []

    def word_at(self, offset: int) -> Word | None:
        """The name at (or just before) a character offset."""
        return next((w for w in self.words if w.start <= offset <= w.end), None)

    def enclosing(self, offset: int) -> list[str]:
        """The keywords of the blocks around an offset, outermost first: ['profile', 'rag']."""
        return [keyword for start, end, keyword in self.blocks if start < offset <= end]

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines, without their newlines."""
        return self.source.text.split("\n")

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        for text in self.lines[:-1]:
            starts.append(starts[-1] + len(text) + 1)
        return starts

    def offset(self, line: int, column: int) -> int:
        """The character offset of a 1-based line and column."""
        line = max(1, min(line, len(self.lines)))
        return self._line_starts[line - 1] + max(0, min(column - 1, len(self.lines[line - 1])))

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset."""
        return self.source.position(offset)


def _scan(text: str) -> tuple[list[Word], list[tuple[int, int, str]]]:
    """The names outside comments and titles, and the braced blocks with the keyword that opens each."""
    words: list[Word] = []
    blocks: list[tuple[int, int, str]] = []
    open_blocks: list[tuple[int, str]] = []
    for match in _TOKENS.finditer(text):
        if match.lastgroup == "name":
            words.append(Word(match.group(), match.start(), match.end()))
        elif match.lastgroup == "open":
            open_blocks.append((match.start(), _opener(words)))
        elif match.lastgroup == "close" and open_blocks:
            start, keyword = open_blocks.pop()
            blocks.append((start, match.start(), keyword))
    blocks.extend((start, len(text), keyword) for start, keyword in open_blocks)  # still being typed
    return words, sorted(blocks)


_ITEMS = ("profile", "indicator", "group", "theme")
# The keywords that define a name: the word after each is an item's id.
DEFINING = (*_ITEMS, "comparator")


def _opener(words: list[Word]) -> str:
    """What a '{' opens: the block keyword just before it (rag, arrow, target, rating), else the item whose
    header it ends (profile, indicator, group, theme)."""
    if words and words[-1].text in ("rag", "arrow", "target", "rating"):
        return words[-1].text
    return next((w.text for w in reversed(words[-6:]) if w.text in _ITEMS), "")
