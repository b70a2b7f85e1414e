"""Whether a document meets a JSON Schema, quickly: the keywords lsprules' own schemas use, as jsonschema reads them.

The readers check every dataset against its schema. Importing jsonschema and building its validator costs a
tenth of a second, more than reading the bundled dataset; so a dataset is first checked here, and only one that
fails (or whose schema uses a keyword this module does not know) goes to jsonschema, which explains every
failure. So this check must never pass a document that jsonschema fails; tests/test_json_schema.py compares the
two on every dataset the tests know and on generated documents.

Values are those the readers produce: dict, list, str, Decimal, bool and None (int and float too). Anything else,
and any keyword or form not handled below, raises Unsure: the caller then asks jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["Unsure", "meets"]

# Keywords that say nothing about validity (2020-12 annotations, and where sub-schemas are kept).
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"})
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float, Decimal)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_VALUES = (dict, list, str, Decimal, bool, int, float, type(None))


class Unsure(Exception):
    """The schema or the document is outside what this check knows: ask jsonschema."""


def meets(document: Any, schema: Mapping[str, Any]) -> bool:
    """Whether `document` is valid against `schema` (its `$ref`s are to its own `$defs`); raise Unsure when this
    check cannot tell exactly."""
    return _compiled(schema)(document)


Check = Callable[[Any], bool]
# The check of each schema met so far, kept with the schema (an id alone could be reused by another object). A
# dataset's schema is compiled once: its check is then a closure per keyword, with nothing left to look up per value
# (national data as JSON: 420,000 values, 2.7 s when the schema was read afresh for each).
_CHECKS: dict[int, tuple[Mapping[str, Any], Check]] = {}
KEPT_CHECKS = 16  # lsprules has three schemas; a caller checking against many more does not fill the memory


def _compiled(schema: Mapping[str, Any]) -> Check:
    """The check of `schema`, compiled once (raise Unsure when it uses what this module does not know)."""
    kept = _CHECKS.get(id(schema))
    if kept is None or kept[0] is not schema:
        kept = (schema, _Compiler(schema).check(schema))
        if len(_CHECKS) >= KEPT_CHECKS:
            _CHECKS.clear()
        _CHECKS[id(schema)] = kept
    return kept[1]


def _true(value: Any) -> bool:
    return True


def _false(value: Any) -> bool:
    return False


class _Compiler:
    """Compiles a root schema, resolving `#/$defs/NAME` references, into one check."""

    def __init__(self, root: Mapping[str, Any]):
        self.root = root
        self.references: dict[str, Check] = {}

    def check(self, schema: Any) -> Check:
        """The check of `schema`: every keyword of it (they all apply, in order, as in draft 2020-12)."""
        if schema is True or schema is False:
            return _true if schema else _false
        if not isinstance(schema, Mapping):
            raise Unsure(f"a schema that is not an object: {schema!r}")
        checks = [c for name, argument in schema.items() if name not in _ANNOTATIONS
                  for c in [self._keyword(name, argument, schema)] if c is not None]

        def valid(value: Any) -> bool:
            if not isinstance(value, _VALUES):
                raise Unsure(f"a value of type {type(value).__name__}")
            return all(c(value) for c in checks)

        return valid

    def _keyword(self, name: str, argument: Any, schema: Mapping[str, Any]) -> Check | None:
        """The check of one keyword (None: it checks nothing by itself). Like jsonschema, the keywords of one kind
        of value (a string's `pattern`, an object's `required`) pass any other kind."""
        if name == "$ref":
            return self._reference(argument)
        if name == "type":
            kinds = [_kind(k) for k in ([argument] if isinstance(argument, str) else argument)]
            return kinds[0] if len(kinds) == 1 else lambda value: any(k(value) for k in kinds)
        if name == "enum":
            return _enum(argument)
        if name == "anyOf":
            options = [self.check(sub) for sub in argument]
            return lambda value: any(option(value) for option in options)
        if name == "not":
            negated = self.check(argument)
            return lambda value: not negated(value)
        if name == "if":
            condition = self.check(argument)
            then, otherwise = self.check(schema.get("then", True)), self.check(schema.get("else", True))
            return lambda value: then(value) if condition(value) else otherwise(value)
        if name in ("then", "else"):
            return None  # applied through `if`; without an `if` they do nothing
        if name in ("pattern", "minLength"):
            return _string(name, argument)
        if name == "items":
            item = self.check(argument)
            return lambda value: not isinstance(value, list) or all(item(i) for i in value)
        if name in ("properties", "additionalProperties", "propertyNames", "required", "minProperties"):
            return self._object(name, argument, schema)
        raise Unsure(f"the keyword {name}")

    def _reference(self, reference: Any) -> Check:
        """The check of the sub-schema `#/$defs/NAME` names, compiled once (a schema may refer to itself)."""
        if not isinstance(reference, str) or not reference.startswith("#/$defs/") or "~" in reference:
            raise Unsure(f"the reference {reference!r}")
        if reference not in self.references:
            try:
                target = self.root["$defs"][reference.removeprefix("#/$defs/")]
            except (KeyError, TypeError):
                raise Unsure(f"the reference {reference!r}") from None
            compiled: list[Check] = []
            self.references[reference] = lambda value: compiled[0](value)  # while it compiles: for itself
            compiled.append(self.check(target))
            self.references[reference] = compiled[0]
        return self.references[reference]

    def _object(self, name: str, argument: Any, schema: Mapping[str, Any]) -> Check:
        """The keywords of objects."""
        if name == "properties":
            properties = {key: self.check(sub) for key, sub in argument.items()}
            return lambda value: not isinstance(value, dict) or all(
                check(value[key]) for key, check in properties.items() if key in value)
        if name == "additionalProperties":
            if "patternProperties" in schema:
                raise Unsure("patternProperties")
            named, other = schema.get("properties", {}), self.check(argument)
            return lambda value: not isinstance(value, dict) or all(
                other(item) for key, item in value.items() if key not in named)
        if name == "propertyNames":
            key_check = self.check(argument)
            return lambda value: not isinstance(value, dict) or all(key_check(key) for key in value)
        if name == "required":
            keys = list(argument)
            return lambda value: not isinstance(value, dict) or all(key in value for key in keys)
        least = int(argument)  # minProperties
        return lambda value: not isinstance(value, dict) or len(value) >= least


def _kind(kind: str) -> Check:
    """Whether a value is of JSON type `kind` (a Decimal is a number, never a bool)."""
    if kind not in _TYPES:
        raise Unsure(f"the type {kind!r}")
    return _TYPES[kind]


def _enum(choices: Any) -> Check:
    """Whether a value is one of `choices`; only enums of text are known (jsonschema compares text as ==)."""
    if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
        raise Unsure("an enum of something other than text")
    known = frozenset(choices)
    return lambda value: isinstance(value, str) and value in known


def _string(name: str, argument: Any) -> Check:
    """`pattern` (searched for, as jsonschema does) and `minLength` (in characters)."""
    if name == "pattern":
        pattern = re.compile(argument)
        return lambda value: not isinstance(value, str) or pattern.search(value) is not None
    least = int(argument)
    return lambda value: not isinstance(value, str) or len(value) >= least
