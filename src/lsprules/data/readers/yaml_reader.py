"""Load YAML datasets: safely (no tags), exactly (Decimal, never float), validated, with file:line:col errors.

Four stages, each a few small functions:
  bytes -> Source (E001, E002) -> plain values with positions (E301) -> schema check (E302) -> Dataset (E303).
Every problem in a stage is reported (not just the first); a stage with problems stops the load.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from lsprules.core.diagnostics import Diagnostic, InputError, did_you_mean, error
from lsprules.core.files import decode_source, read_input
from lsprules.core.json_schema import Unsure, meets
from lsprules.core.limits import number_problem, text_problem
from lsprules.core.periods import Period, PeriodError, PeriodKind, parse_period
from lsprules.core.source import Source
from lsprules.core.visible import has_surrogate, visible
from lsprules.data.model import SHARE_OF, Area, Dataset, Missing, Reported, Series, Value

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

__all__ = ["load_dataset", "load_dataset_bytes", "dataset_from_values"]

JsonPath = tuple[Any, ...]  # keys (str) and list indices (int) from the document root
Offsets = tuple[int, int]  # start and end character offsets in Source.text
# Where each node of a document is: (path -> the value node, path -> the key that names it)
Positions = Callable[[], tuple[Mapping[JsonPath, Offsets], Mapping[JsonPath, Offsets]]]
T = TypeVar("T")

_FORMS = "`area` + `indicators` (one area) or `areas` (several areas)"


def load_dataset(path: Path | str) -> Dataset:
    """Read, validate and build the YAML dataset at `path`; raise InputError for any problem."""
    return load_dataset_bytes(*read_input(path, "dataset"))


def load_dataset_bytes(name: str, data: bytes) -> Dataset:
    """Validate and build a dataset from the raw bytes of a YAML file; `name` is used in messages."""
    source = decode_source(name, data)
    tree = _to_tree(source)
    _check_limits(tree, source)
    _validate(tree, source)
    return _Builder(source, tree).build(sha256=hashlib.sha256(data).hexdigest())


def dataset_from_values(source: Source, value: dict[str, Any], positions: Positions, sha256: str) -> Dataset:
    """Stages 3 and 4 for plain values another front end read (JSON), with what finds where their nodes are
    (called only when a problem is to be pointed at)."""
    tree = _Tree(value, positions=positions)
    _check_limits(tree, source)
    _validate(tree, source)
    return _Builder(source, tree).build(sha256=sha256)


# --- Stage 1: bytes -> Source ------------------------------------------------------------------------------

# --- Stage 2: YAML text -> plain values with positions ---------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_NUMBER_TAGS = {_TAG + "int", _TAG + "float"}
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
# Only plain decimals become numbers. YAML 1.1 also reads 1_000, 0x1F, 0o17, 1:30 and .inf as numbers;
# those stay text, so the schema reports them wherever a number is expected.
_EXPONENT_FORM = re.compile(r"[-+]?[0-9]+[eE][-+]?[0-9]{1,6}")  # a bounded exponent: Decimal can hold it
_PLAIN_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


@dataclass
class _Tree:
    """The document as plain values (dict, list, str, Decimal, bool, None) and where each node is (found by
    `positions` on first use, when they were not known as the document was read)."""

    value: Any
    spans: dict[JsonPath, Offsets] = field(default_factory=dict)  # path -> the value node
    key_spans: dict[JsonPath, Offsets] = field(default_factory=dict)  # path -> the key that names it
    positions: Positions | None = None

    def locate(self, path: JsonPath, at_key: bool) -> Offsets:
        """Offsets of the key naming `path` (when asked and there is one), else of its value."""
        if self.positions is not None:
            found, self.positions = self.positions(), None
            self.spans, self.key_spans = dict(found[0]), dict(found[1])
        if at_key and path in self.key_spans:
            return self.key_spans[path]
        if not path:  # the whole document: point at its start rather than underline its first line
            return self.spans[()][0], self.spans[()][0] + 1
        return self.spans.get(path) or self.key_spans.get(path) or (0, 1)


def _to_tree(source: Source) -> _Tree:
    """Compose the YAML safely and convert it; a document that is not a mapping is an E302."""
    try:
        node = _compose(source)
        converter = _Converter(source)
        value = None if node is None else converter.convert(node, ())
    except RecursionError:
        raise InputError([error("E301", "invalid YAML: the document is nested too deeply", source, 0)]) from None
    if converter.problems:
        raise InputError(converter.problems)
    if not isinstance(value, dict):
        raise InputError([_not_a_mapping(source, node, value)])
    return _Tree(value, converter.spans, converter.key_spans)


def _compose(source: Source) -> yaml.Node | None:
    """The YAML node tree (SafeLoader composes nodes only: nothing is constructed); errors become E301."""
    try:
        return yaml.compose(source.text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise InputError([_yaml_error(source, exc)]) from None
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"invalid YAML: character U+{code:04X} is not allowed ({exc.reason})"
        raise InputError([error("E301", message, source, exc.position,
                                hint="remove it: only printable characters, tabs and newlines may appear")]) from None
    except yaml.YAMLError as exc:  # no position known
        raise InputError([error("E301", f"invalid YAML: {exc}", source, 0)]) from None


def _yaml_error(source: Source, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """E301 at the problem's position; a 'while parsing ...' context becomes the hint."""
    mark = exc.problem_mark or exc.context_mark
    problem, context, hint = exc.problem or "", exc.context or "", None
    if context.startswith("while") and exc.context_mark is not None:
        line, column = source.position(exc.context_mark.index)
        hint = f"{context} that starts at line {line}, column {column}: check its indentation and quoting"
    elif context:
        problem = f"{context}, {problem}" if problem else context
    if "\\t" in problem:
        hint = "YAML does not allow tabs for indentation: indent with spaces"
    return error("E301", f"invalid YAML: {problem}", source, _visible(source, mark.index if mark else 0), hint=hint)


def _visible(source: Source, index: int) -> int:
    """An offset moved off the empty last line (where 'end of file' errors land) so a source line is shown."""
    text = source.text
    return index - 1 if index >= len(text) and text.endswith("\n") and len(text) > 1 else index


def _not_a_mapping(source: Source, node: yaml.Node | None, value: Any) -> Diagnostic:
    """E302 for an empty file or a document that is a list or a single value."""
    found = "an empty file (or only comments)" if node is None else _found(value)
    start = 0 if node is None else node.start_mark.index
    return error("E302", f"a dataset is a mapping with `title`, `area` and `indicators` (or `areas`); found {found}",
                 source, start, hint=f"see docs/datasets.md: a dataset has {_FORMS}")


class _Converter:
    """Turns a composed node tree into plain values; rejects tags, aliases, merge keys and duplicate keys."""

    def __init__(self, source: Source):
        self.source = source
        self.spans: dict[JsonPath, Offsets] = {}
        self.key_spans: dict[JsonPath, Offsets] = {}
        self.problems: list[Diagnostic] = []
        self._seen: set[int] = set()  # node ids: a node met twice was reached through an alias

    def convert(self, node: yaml.Node, path: JsonPath) -> Any:
        """The plain value of a node, recording its position under `path`."""
        self._seen.add(id(node))
        self.spans[path] = _offsets(node)
        if isinstance(node, yaml.MappingNode) and node.tag == _TAG + "map":
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode) and node.tag == _TAG + "seq":
            return self._sequence(node, path)
        if isinstance(node, yaml.ScalarNode) and node.tag in _SCALAR_TAGS:
            return _scalar(node)
        self._problem(node, f"tags are not allowed: found '{_short_tag(node.tag)}'",
                      "remove the tag: a dataset holds only numbers, text, lists and mappings")
        return None

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        """A dict keyed by each key's text; a repeated key is an error at its second occurrence."""
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key is None:
                continue
            if key in first_line:
                self._problem(key_node, f"duplicate key '{key}' (first given on line {first_line[key]})",
                              "keys must be unique within a mapping: remove or rename one of them")
                continue
            first_line[key] = self.source.position(key_node.start_mark.index)[0]
            self.key_spans[path + (key,)] = _offsets(key_node)
            if id(value_node) in self._seen:
                self._alias_problem(key_node)
                continue
            out[key] = self.convert(value_node, path + (key,))
        return out

    def _sequence(self, node: yaml.SequenceNode, path: JsonPath) -> list[Any]:
        """A list of the items' plain values."""
        out = []
        for index, item in enumerate(node.value):
            if id(item) in self._seen:
                self._alias_problem(node)
                continue
            out.append(self.convert(item, path + (index,)))
        return out

    def _key(self, node: yaml.Node) -> str | None:
        """A key's text, as written: `2006:` is the key '2006', not a number."""
        if node.tag == _TAG + "merge":
            self._problem(node, "merge keys (<<) are not allowed", "write the keys out in full")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self._problem(node, "a key must be a plain value, not a list or mapping",
                          "use a name or a period label as the key")
            return None
        if node.tag not in _SCALAR_TAGS:
            self._problem(node, f"tags are not allowed: found '{_short_tag(node.tag)}'", "remove the tag")
            return None
        text: str = node.value  # a scalar node's value is always its text
        return text

    def _alias_problem(self, near: yaml.Node) -> None:
        """Aliases are refused: they make a dataset harder to read and can expand without bound."""
        self._problem(near, "aliases (*name) are not allowed", "write the value out in full")

    def _problem(self, node: yaml.Node, message: str, hint: str) -> None:
        """Record an E301 at a node (the caller then skips the node)."""
        start, end = _offsets(node)
        self.problems.append(error("E301", message, self.source, start, end, hint=hint))


def _scalar(node: yaml.ScalarNode) -> Any:
    """Decimal for plain decimal numbers (exact: the digits as written), bool, None, else the text."""
    tag, text = node.tag, node.value
    if tag in _NUMBER_TAGS:
        return Decimal(text) if _PLAIN_DECIMAL.fullmatch(text) else text
    if tag == _TAG + "str" and node.style is None and _EXPONENT_FORM.fullmatch(text):
        # YAML 1.1 reads 1e3 (no dot) as text; JSON, and anyone reading the file, as a number: so do we.
        return Decimal(text)
    if tag == _TAG + "bool":
        return _BOOLS.get(text.lower(), text)
    if tag == _TAG + "null":
        return None
    return text


def _offsets(node: yaml.Node) -> Offsets:
    """A node's start and end character offsets (PyYAML marks count characters of the text it was given)."""
    return node.start_mark.index, node.end_mark.index


def _short_tag(tag: str) -> str:
    """'tag:yaml.org,2002:python/name' -> '!!python/name', as it was probably written."""
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


# --- Stage 3: schema ---------------------------------------------------------------------------------------

@functools.cache
def _schema() -> dict[str, Any]:
    """The dataset schema, loaded once, on first use."""
    text = resources.files("lsprules").joinpath("schemas/dataset.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    """The dataset schema's jsonschema validator, built on first use: only a dataset that fails the quick check
    needs it (importing jsonschema costs more than reading a small dataset)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema())


@dataclass(frozen=True)
class _Problem:
    """One schema problem in words, and where: the key that names `path`, or its value."""

    path: JsonPath
    at_key: bool
    message: str
    hint: str | None = None


def _optional_visible(text: str | None) -> str | None:
    return None if text is None else visible(text)


def _check_limits(tree: _Tree, source: Source) -> None:
    """E700/E701 for a number, E704 for a text, beyond the limits (core/limits.py): checked before anything
    computes with them. One pass, without recursion."""
    problems = []
    stack: list[tuple[JsonPath, Any, bool]] = [((), tree.value, False)]
    while stack:
        path, value, is_key = stack.pop()
        found = None
        if isinstance(value, Decimal):
            found = number_problem(value)
        elif isinstance(value, str):
            found = text_problem(value, "a text")
            if has_surrogate(value):
                found = ("E350", "the text holds half of a surrogate pair (\\ud800-\\udfff), which is not a "
                         "character", "write the character itself, or both halves of its pair")
        elif isinstance(value, dict):
            stack += [((*path, key), item, False) for key, item in value.items()]
            stack += [((*path, key), key, True) for key in value if isinstance(key, str)]
        elif isinstance(value, list):
            stack += [((*path, index), item, False) for index, item in enumerate(value)]
        if found:
            code, message, hint = found
            start, end = tree.locate(path, is_key)
            problems.append(error(code, message, source, start, min(end, start + 80), hint=hint))
    if problems:
        raise InputError(problems)


def _validate(tree: _Tree, source: Source) -> None:
    """Raise InputError with an E302 for every way the document departs from the schema."""
    try:
        if meets(tree.value, _schema()):
            return  # the common case, decided without jsonschema; it explains any failure below
    except Unsure:
        pass
    # dict.fromkeys: jsonschema yields one `required` error per missing key, each listing them all.
    problems = dict.fromkeys(p for err in _validator().iter_errors(tree.value) for p in _explain(err))
    if problems:
        raise InputError([_diagnostic(tree, source, p) for p in problems])


def _diagnostic(tree: _Tree, source: Source, problem: _Problem) -> Diagnostic:
    """An E302 at the problem's position."""
    start, end = tree.locate(problem.path, problem.at_key)
    return error("E302", problem.message, source, start, end, hint=problem.hint)


def _explain(err: ValidationError) -> Iterator[_Problem]:
    """Say what was found and what was expected, one problem per offending key or value."""
    path = tuple(err.absolute_path)
    if _is_key_check(err):
        yield _bad_key(path, err)
    elif err.validator == "additionalProperties":
        yield from _unknown_keys(path, err)
    elif err.validator == "required":
        yield from _missing_keys(path, err)
    elif err.validator == "anyOf" and all(set(s) == {"required"} for s in err.validator_value):
        if set(err.instance) - set(err.schema.get("properties", {})):
            return  # an unknown key (a misspelt `values`?) is the root cause, and is reported
        names = _alternatives([f"'{s['required'][0]}'" for s in err.validator_value])
        yield _Problem(path, True, f"{_where(path)}: no data: expected at least one of {names}",
                       "a derived indicator may give only `reported` figures")
    elif err.validator == "not":  # only the top-level `then`: keys of the single-area form next to `areas`
        yield _Problem(path, True, f"'{path[-1]}' cannot be used together with 'areas'",
                       f"a dataset has {_FORMS}; with `areas`, each area has its own `indicators` and `themes`")
    elif err.validator in ("minProperties", "minItems"):
        yield _Problem(path, True, f"{_where(path)}: expected at least one entry, found none",
                       "add an entry, or remove the key")
    else:
        yield _bad_value(path, err)


def _is_key_check(err: ValidationError) -> bool:
    """Whether the error comes from `propertyNames`, i.e. is about a key rather than a value."""
    return len(err.schema_path) >= 2 and err.schema_path[-2] == "propertyNames"


_KEY_KINDS = {"indicators": "indicator id", "fields": "field name", "themes": "theme id", "areas": "area name"}


def _bad_key(path: JsonPath, err: ValidationError) -> _Problem:
    """A key of the wrong form, e.g. an indicator id with capitals."""
    key = err.instance
    kind = _KEY_KINDS.get(path[-1], "key") if path else "key"
    suggestion = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    hint = f"try '{suggestion}'" if suggestion and suggestion != key and suggestion[0].isalpha() else None
    return _Problem(path + (key,), True,
                    f"{_where(path)}: {_quote(key)} is not a valid {kind}; expected {_expected(err.schema)}", hint)


def _unknown_keys(path: JsonPath, err: ValidationError) -> Iterator[_Problem]:
    """One problem per key the schema does not allow here (a typo, usually)."""
    allowed = list(err.schema.get("properties", {}))
    for key in err.instance:
        if key not in allowed:
            hint = did_you_mean(key, allowed) or f"keys allowed here: {', '.join(allowed)}"
            yield _Problem(path + (key,), True, f"{_where(path)}: unknown key '{key}'", hint)


def _missing_keys(path: JsonPath, err: ValidationError) -> Iterator[_Problem]:
    """One problem per required key that is absent."""
    for name in err.validator_value:
        # A key that looks like a misspelling of `name` is the root cause; it is reported as unknown.
        if name not in err.instance and not any(did_you_mean(key, [name]) for key in err.instance):
            hint = f"a dataset has {_FORMS}" if not path else f"add `{name}:`"
            yield _Problem(path, True, f"{_where(path)}: missing key '{name}'", hint)


def _bad_value(path: JsonPath, err: ValidationError) -> _Problem:
    """A value of the wrong type or form, e.g. text in a value cell."""
    value = err.instance
    at_key = isinstance(value, (dict, list)) or value is None  # point at the key: a block value spans lines
    message = f"{_where(path)}: expected {_expected(err.schema)}, found {_found(value)}"
    return _Problem(path, at_key, message, _value_hint(err.schema, value))


_TYPES = {"object": "a mapping", "array": "a list", "string": "text", "number": "a number", "integer": "a whole number",
          "boolean": "true or false", "null": "an empty value"}
_PATTERNS = {
    "^[a-z][a-z0-9_]*$": "a lower-case identifier (letters a-z, digits and _, starting with a letter)",
    "^[A-Za-z][A-Za-z0-9_]*$": "a rating word (letters, digits and _, starting with a letter)",
}


def _expected(schema: Mapping[str, Any]) -> str:
    """What a schema accepts, in words: "a number, 'na', 'N/A' or 'suppressed'"."""
    return _alternatives(_phrases(schema))


def _phrases(schema: Mapping[str, Any]) -> list[str]:
    """The alternatives a schema accepts, one phrase each."""
    if "enum" in schema:
        return [_quote(v) for v in schema["enum"]]
    if "anyOf" in schema:
        return [phrase for sub in schema["anyOf"] for phrase in _phrases(sub)]
    if "pattern" in schema:
        return [_PATTERNS.get(schema["pattern"], f"text matching {schema['pattern']}")]
    if schema.get("minLength"):
        return ["non-empty text"]
    return [_TYPES.get(schema.get("type", ""), "something else")]


def _choices(schema: Mapping[str, Any]) -> list[str]:
    """The words a schema accepts (its enum values, including inside anyOf)."""
    words = [v for v in schema.get("enum", ()) if isinstance(v, str)]
    return words + [w for sub in schema.get("anyOf", ()) for w in _choices(sub)]


def _value_hint(schema: Mapping[str, Any], value: Any) -> str | None:
    """How to fix a bad value: the closest accepted word, or how to write a number or text."""
    phrases = _phrases(schema)
    if isinstance(value, str):
        return _word_hint(value, _choices(schema)) or (_number_hint(value) if "a number" in phrases else None) \
            or (f"write it in lower case: '{value.lower()}'"
                if schema.get("pattern", "").startswith("^[a-z]") else None)
    if isinstance(value, bool):
        return "YAML reads yes/no/true/false/on/off as true or false: put the word in quotes"
    if isinstance(value, Decimal):
        return f'put it in quotes: "{value}"'
    if value is None and "a number" in phrases:
        return "write na when the value is not available, or remove the period"
    return None


def _word_hint(value: str, choices: list[str]) -> str | None:
    """'did you mean ...?' for a misspelt or wrongly capitalised word."""
    folded = {c.lower(): c for c in choices}
    if value.lower() in folded:
        return f"did you mean '{folded[value.lower()]}'?"
    return did_you_mean(value, choices)


def _number_hint(text: str) -> str:
    """How to write a number that was given as text."""
    bare = text.strip().removesuffix("%").replace(",", "").strip()
    if _PLAIN_DECIMAL.fullmatch(bare):
        return f"write the number on its own, without quotes, '%' or thousands separators: {bare}"
    if re.fullmatch(r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|0[xob][0-9a-fA-F_]+|[0-9:_.]+|\.(?:inf|nan))", text, re.I):
        return "write numbers in plain decimal, e.g. 1029 or -0.6 (no underscores, hex, 1:30, .inf or .nan)"
    return "write na when the value is not available, or suppressed when the publisher withheld it"


def _where(path: JsonPath) -> str:
    """A path as written in messages: indicators.theft_of_vehicle.values.2003/04, method_breaks[0]."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return text or "top level"


def _found(value: Any) -> str:
    """A value as described in messages."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, Decimal):
        return f"the number {value}"
    if isinstance(value, str):
        return _quote(value) if value else "empty text"
    return "a mapping" if isinstance(value, dict) else "a list"


def _quote(value: Any) -> str:
    """'value', shortened when long."""
    text = str(value)
    return f"'{text[:37]}...'" if len(text) > 40 else f"'{text}'"


def _alternatives(items: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


# --- Stage 4: validated values -> Dataset ------------------------------------------------------------------

_MISSING = {"na": Missing.NA, "N/A": Missing.NA, "suppressed": Missing.SUPPRESSED}
_ARROWS = {"▲": "up", "◀▶": "static", "▼": "down", "★": "peak", "n/a": "na", "N/A": "na"}
_KIND_NAMES = {
    PeriodKind.FINANCIAL_YEAR: ("a financial year", "financial years", "2006/07"),
    PeriodKind.CALENDAR_YEAR: ("a calendar year", "calendar years", "2006"),
    PeriodKind.QUARTER: ("a quarter", "quarters", "2006-Q3"),
    PeriodKind.FINANCIAL_QUARTER: ("a financial quarter", "financial quarters", "2006/07-Q1"),
    PeriodKind.MONTH: ("a month", "months", "2006-09"),
}


def _period_hint(message: str) -> str | None:
    """How to write a period, given what parse_period objected to."""
    if "not a financial year" in message:
        return "a financial year names two consecutive years, e.g. 2006/07"
    if "not a month" in message:
        return "months run from 01 to 12, e.g. 2006-09"
    return None  # the message already lists the accepted forms


def _value(item: Decimal | str) -> Value:
    """A value cell: the Decimal, or why it is missing."""
    return item if isinstance(item, Decimal) else _MISSING[item]


def _arrow(item: str) -> str:
    """An arrow as a word: ▲ -> up, ◀▶ -> static, ▼ -> down, ★ -> peak, n/a -> na."""
    return _ARROWS.get(item, item)


@dataclass(frozen=True)
class _Label:
    """A parsed period label and where it was written."""

    text: str
    period: Period
    path: JsonPath
    at_key: bool


class _Builder:
    """Builds the Dataset from schema-valid values, parsing every period label and checking they are one kind."""

    def __init__(self, source: Source, tree: _Tree):
        self.source = source
        self.tree = tree
        self.problems: list[Diagnostic] = []
        self.labels: list[_Label] = []

    def build(self, sha256: str) -> Dataset:
        """The Dataset; raise InputError with every E303 found."""
        doc = self.tree.value
        areas = self._areas(doc)
        kind = self._check_kinds(doc.get("period_kind"))
        if self.problems:
            raise InputError(self.problems)
        return Dataset(path=self.source.name, areas=areas, period_kind=kind,
                       title=_optional_visible(doc.get("title")), source=_optional_visible(doc.get("source")),
                       notes=tuple(visible(n) for n in doc.get("notes", ())), sha256=sha256)

    def _areas(self, doc: dict[str, Any]) -> tuple[Area, ...]:
        """One area (single-area form) or one per entry of `areas`."""
        if "areas" in doc:
            return tuple(self._area(name, spec, ("areas", name)) for name, spec in doc["areas"].items())
        return (self._area(doc["area"], doc, ()),)

    def _area(self, name: str, spec: dict[str, Any], path: JsonPath) -> Area:
        """An area's series and reported theme ratings."""
        series = {ident: self._series(ident, data, path + ("indicators", ident))
                  for ident, data in spec["indicators"].items()}
        themes = {theme: self._by_period(by, path + ("themes", theme), str)
                  for theme, by in spec.get("themes", {}).items()}
        return Area(visible(name), series, themes)

    def _series(self, ident: str, spec: dict[str, Any], path: JsonPath) -> Series:
        """One indicator's values, fields, method breaks and reported judgements."""
        fields = {name: self._by_period(by, path + ("fields", name), _value)
                  for name, by in spec.get("fields", {}).items()}
        return Series(indicator=ident,
                      values=self._by_period(spec.get("values", {}), path + ("values",), _value),
                      fields=fields,
                      method_breaks=self._method_breaks(spec.get("method_breaks", []), path + ("method_breaks",)),
                      reported=self._reported(spec.get("reported", {}), path + ("reported",)),
                      notes=tuple(spec.get("notes", ())),
                      source=spec.get("source"),
                      levels={name: self._by_period(by, path + ("levels", name), Decimal)
                              for name, by in spec.get("levels", {}).items()},
                      stated=self._stated(spec.get("stated", {}), path + ("stated",)))

    def _stated(self, spec: dict[str, Any], path: JsonPath) -> dict[str, dict[Period, Decimal]]:
        """Stated numbers by what they are; each share is keyed `share of ID` (SHARE_OF)."""
        stated = {name: self._by_period(by, path + (name,), Decimal) for name, by in spec.items() if name != "share"}
        for of, by in spec.get("share", {}).items():
            stated[SHARE_OF + of] = self._by_period(by, path + ("share", of), Decimal)
        return stated

    def _reported(self, spec: dict[str, Any], path: JsonPath) -> Reported:
        """The printed arrows (as words), RAG bands and figures."""
        return Reported(arrow=self._by_period(spec.get("arrow", {}), path + ("arrow",), _arrow),
                        rag=self._by_period(spec.get("rag", {}), path + ("rag",), str),
                        value=self._by_period(spec.get("value", {}), path + ("value",), Decimal))

    def _method_breaks(self, items: list[dict[str, str]], path: JsonPath) -> dict[Period, str]:
        """Period of each break -> its reason; a period given twice is an error."""
        out: dict[Period, str] = {}
        for index, item in enumerate(items):
            period = self._period(item["period"], path + (index, "period"), at_key=False)
            if period in out:
                self._problem(path + (index, "period"), False, f"a method break at {period} is already given",
                              "give each break once, with one reason")
            elif period is not None:
                out[period] = item["reason"]
        return out

    def _by_period(self, mapping: dict[str, Any], path: JsonPath, convert: Callable[[Any], T]) -> dict[Period, T]:
        """Parse the period labels of a mapping and convert its values."""
        out: dict[Period, T] = {}
        for label, item in mapping.items():
            period = self._period(label, path + (label,), at_key=True)
            if period is not None:
                out[period] = convert(item)
        return out

    def _period(self, text: str, path: JsonPath, at_key: bool) -> Period | None:
        """A period label, remembered for the kind check; an E303 (and None) when it is not a period."""
        try:
            period = parse_period(text)
        except PeriodError as exc:
            self._problem(path, at_key, str(exc), _period_hint(str(exc)))
            return None
        self.labels.append(_Label(text, period, path, at_key))
        return period

    def _check_kinds(self, declared: str | None) -> PeriodKind | None:
        """The dataset's one kind of period: declared, else the commonest; an E303 for each label of another."""
        if declared is not None:
            kind = PeriodKind(declared)
            basis = f"this dataset declares period_kind: {declared}"
        elif self.labels:
            kind = Counter(label.period.kind for label in self.labels).most_common(1)[0][0]
            basis = f"this dataset's periods are {_KIND_NAMES[kind][1]}"
        else:
            return None
        for label in self.labels:
            if label.period.kind is not kind:
                a_kind = _KIND_NAMES[label.period.kind][0]
                _, kinds, example = _KIND_NAMES[kind]
                self._problem(label.path, label.at_key, f"period {label.text} is {a_kind}, but {basis}",
                              f"use one kind of period throughout: {kinds}, e.g. {example}")
        return kind

    def _problem(self, path: JsonPath, at_key: bool, message: str, hint: str | None) -> None:
        """Record an E303 at a label (the caller then skips it)."""
        start, end = self.tree.locate(path, at_key)
        self.problems.append(error("E303", message, self.source, start, end, hint=hint))
