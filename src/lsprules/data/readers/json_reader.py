"""Load JSON datasets: the YAML datasets' structure, exact numbers, and errors at file:line:col.

JSON is checked in two passes. The standard library's parser finds syntax errors (E312, with their
position). A small scanner then reads the (now known-good) text again, keeping every node's position and
refusing duplicate keys, so that the schema and period checks shared with the YAML loader point at the
offending key or value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from json.decoder import scanstring as _scanstring  # type: ignore[attr-defined]  # public in CPython, not in typeshed
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from lsprules.core.diagnostics import Diagnostic, InputError, error
from lsprules.core.files import read_input
from lsprules.core.limits import current
from lsprules.core.source import Source
from lsprules.core.visible import SURROGATE
from lsprules.data.model import Dataset

if TYPE_CHECKING:
    from lsprules.data.readers.yaml_reader import JsonPath, Offsets

_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}

# (text, offset just past the opening quote) -> (the string, offset just past the closing quote)
scanstring: Callable[[str, int], tuple[str, int]] = _scanstring


def _skip_space(text: str, pos: int) -> int:
    """The offset of the first character at or after `pos` that is not JSON whitespace."""
    match = _SPACE.match(text, pos)
    assert match is not None  # the pattern also matches the empty string
    return match.end()


def load_json(path: str | Path) -> Dataset:
    """Read, validate and build the JSON dataset at `path`; raise InputError for any problem."""
    return load_json_bytes(*read_input(path, "dataset"))


def load_json_bytes(name: str, data: bytes) -> Dataset:
    """Validate and build a dataset from the raw bytes of a JSON file."""
    from lsprules.core.files import decode_source
    from lsprules.data.readers.yaml_reader import dataset_from_values

    source = decode_source(name, data)
    value = _quickly_read(source)
    if value is _CLOSER_LOOK:
        _check_syntax(source)
        value = _scanned(source)[0]
    if not isinstance(value, dict):
        raise InputError([error("E302", f"a dataset is a JSON object with `area` and `indicators` (or `areas`); "
                                f"found {_kind(value)}", source, _skip_space(source.text, 0),
                                hint="see docs/datasets.md: the JSON form has the same keys as the YAML form")])
    return dataset_from_values(source, value, lambda: _scanned(source)[1:], hashlib.sha256(data).hexdigest())


class _Closer(Exception):
    """What the quick read leaves to the scanner: it finds and places the problem."""


_CLOSER_LOOK: Any = object()
# A \u escape of half of a surrogate pair: the scanner reports a lone one (E350), so a document with any is scanned
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB]")


def _quickly_read(source: Source) -> Any:
    """The document's values as the scanner reads them, read by the json module (numbers as Decimal), for a
    document with none of what the scanner reports (a syntax error, NaN, a duplicate key, a lone surrogate, a number
    beyond a Decimal); else _CLOSER_LOOK. Where each node is, only a problem needs: the scanner finds it then."""
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            raise _Closer
        return out

    def number(text: str) -> Decimal:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise _Closer from None

    def constant(word: str) -> NoReturn:
        raise _Closer

    if _SURROGATE_ESCAPE.search(source.text):
        return _CLOSER_LOOK
    try:
        return json.loads(source.text, object_pairs_hook=unique, parse_float=number, parse_int=number,
                          parse_constant=constant)
    except (ValueError, RecursionError, _Closer):  # a syntax error is a ValueError
        return _CLOSER_LOOK


def _scanned(source: Source) -> tuple[Any, dict[JsonPath, Offsets], dict[JsonPath, Offsets]]:
    """The document read by the scanner (syntax checked first): its values and where each node and key is; raise
    InputError for what it finds."""
    scanner = _Scanner(source)
    try:
        value, _ = scanner.value(0, ())
    except RecursionError:
        raise InputError([error("E312", "invalid JSON: the document is nested too deeply", source, 0)]) from None
    if scanner.problems:
        raise InputError(scanner.problems)
    return value, scanner.spans, scanner.key_spans


def _check_syntax(source: Source) -> None:
    """E312 at the first syntax error; NaN and Infinity are refused (they are not JSON, nor exact)."""
    def refuse(word: str) -> NoReturn:
        raise ValueError(f"{word} is not a number JSON allows")

    try:
        json.loads(source.text, parse_constant=refuse, parse_float=str, parse_int=str)  # syntax only
    except json.JSONDecodeError as exc:
        raise InputError([error("E312", f"invalid JSON: {exc.msg}", source, exc.pos,
                                hint=_syntax_hint(exc.msg))]) from None
    except ValueError as exc:
        at = re.search(r"-?\b(NaN|Infinity)\b", source.text)
        raise InputError([error("E312", f"invalid JSON: {exc}", source, at.start() if at else 0,
                                hint="write na when there is no value")]) from None
    except RecursionError:
        raise InputError([error("E312", "invalid JSON: the document is nested too deeply", source, 0)]) from None


def _syntax_hint(message: str) -> str:
    if "property name" in message:
        return "keys are in double quotes, and the last entry of an object has no comma after it"
    if "delimiter" in message:
        return "separate entries with commas; the last entry has no comma after it"
    return "check the quotes, commas and brackets near here"


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "a single value"


class _Scanner:
    """Reads valid JSON text into plain values (numbers as Decimal), recording where each node is."""

    def __init__(self, source: Source):
        self.source = source
        self.text = source.text
        self.spans: dict[JsonPath, Offsets] = {}
        self.key_spans: dict[JsonPath, Offsets] = {}
        self.problems: list[Diagnostic] = []

    def value(self, pos: int, path: JsonPath) -> tuple[Any, int]:
        """The value starting at or after `pos`, and the offset just past it."""
        value: Any  # whatever the document holds: the schema checks it later
        start = _skip_space(self.text, pos)
        char = self.text[start]
        if char == "{":
            value, end = self._object(start, path)
        elif char == "[":
            value, end = self._array(start, path)
        elif char == '"':
            value, end = self._string(start)
        elif (number := _NUMBER.match(self.text, start)) and number.end() > start:
            value, end = self._number(number.group(), start), number.end()
        else:
            word = next(w for w in _LITERALS if self.text.startswith(w, start))
            value, end = _LITERALS[word], start + len(word)
        self.spans[path] = (start, end)
        return value, end

    def _string(self, start: int) -> tuple[str, int]:
        """A string; a lone surrogate (\\ud800), which is no character at all, is an E350."""
        text, end = scanstring(self.text, start + 1)
        if (bad := SURROGATE.search(text)) is not None:
            self.problems.append(error("E350", f"\\u{ord(bad.group()):04x} is half of a surrogate pair, not a "
                                       "character", self.source, start, end,
                                       hint="write the character itself, or both halves of its pair"))
            text = SURROGATE.sub("\ufffd", text)
        return text, end

    def _number(self, text: str, start: int) -> Decimal | None:
        """A number as written; one beyond what a Decimal can hold is an E701 (checked again with the limits)."""
        try:
            return Decimal(text)
        except InvalidOperation:
            self.problems.append(error("E701", f"the number {text[:40]} is beyond the limit of "
                                       f"{current().number_exponent} orders of magnitude", self.source, start,
                                       start + min(len(text), 80), hint="write the number as it is meant"))
            return None

    def _object(self, start: int, path: JsonPath) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        pos = _skip_space(self.text, start + 1)
        if self.text[pos] == "}":
            return out, pos + 1
        while True:
            key_start = _skip_space(self.text, pos)
            key, key_end = self._string(key_start)
            colon = _skip_space(self.text, key_end)
            value, pos = self.value(colon + 1, path + (key,))
            if key in out:
                line = self.source.position(self.key_spans[path + (key,)][0])[0]
                self.problems.append(error("E312", f"duplicate key '{key}' (first given on line {line})",
                                           self.source, key_start, key_end,
                                           hint="keys must be unique within an object: remove or rename one"))
            else:
                out[key] = value
                self.key_spans[path + (key,)] = (key_start, key_end)
            pos = _skip_space(self.text, pos)
            if self.text[pos] == "}":
                return out, pos + 1
            pos += 1  # the comma

    def _array(self, start: int, path: JsonPath) -> tuple[list[Any], int]:
        out: list[Any] = []
        pos = _skip_space(self.text, start + 1)
        if self.text[pos] == "]":
            return out, pos + 1
        while True:
            value, pos = self.value(pos, path + (len(out),))
            out.append(value)
            pos = _skip_space(self.text, pos)
            if self.text[pos] == "]":
                return out, pos + 1
            pos += 1
