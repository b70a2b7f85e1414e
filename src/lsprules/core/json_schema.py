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
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["Unsure", "meets"]

# Keywords that say nothing about validity (2020-12 annotations, and where sub-schemas are kept).
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"})
_TYPES = {
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
    return _Check(schema).valid(document, schema)


class _Check:
    """One check of a document against a root schema, which resolves `#/$defs/NAME` references."""

    def __init__(self, root: Mapping[str, Any]):
        self.root = root

    def valid(self, value: Any, schema: Any) -> bool:
        """Whether `value` meets `schema`: every keyword of it (they all apply, as in draft 2020-12)."""
        if schema is True or schema is False:
            return bool(schema)
        if not isinstance(schema, Mapping):
            raise Unsure(f"a schema that is not an object: {schema!r}")
        if not isinstance(value, _VALUES):
            raise Unsure(f"a value of type {type(value).__name__}")
        return all(self._keyword(name, argument, value, schema) for name, argument in schema.items()
                   if name not in _ANNOTATIONS)

    def _keyword(self, name: str, argument: Any, value: Any, schema: Mapping[str, Any]) -> bool:
        """Whether `value` meets one keyword. Like jsonschema, the keywords of one kind of value (a string's
        `pattern`, an object's `required`) pass any other kind."""
        if name == "$ref":
            return self.valid(value, self._resolve(argument))
        if name == "type":
            return any(self._is(kind, value) for kind in ([argument] if isinstance(argument, str) else argument))
        if name == "enum":
            return self._in_enum(argument, value)
        if name == "anyOf":
            return any(self.valid(value, sub) for sub in argument)
        if name == "not":
            return not self.valid(value, argument)
        if name == "if":
            branch = schema.get("then", True) if self.valid(value, argument) else schema.get("else", True)
            return self.valid(value, branch)
        if name in ("then", "else"):
            return True  # applied through `if`; without an `if` they do nothing
        if name in ("pattern", "minLength"):
            return not isinstance(value, str) or self._string(name, argument, value)
        if name == "items":
            return not isinstance(value, list) or all(self.valid(item, argument) for item in value)
        if name in ("properties", "additionalProperties", "propertyNames", "required", "minProperties"):
            return not isinstance(value, dict) or self._object(name, argument, value, schema)
        raise Unsure(f"the keyword {name}")

    def _resolve(self, reference: Any) -> Any:
        """The sub-schema `#/$defs/NAME` names."""
        if not isinstance(reference, str) or not reference.startswith("#/$defs/") or "~" in reference:
            raise Unsure(f"the reference {reference!r}")
        try:
            return self.root["$defs"][reference.removeprefix("#/$defs/")]
        except (KeyError, TypeError):
            raise Unsure(f"the reference {reference!r}") from None

    @staticmethod
    def _is(kind: str, value: Any) -> bool:
        """Whether `value` is of JSON type `kind` (a Decimal is a number, never a bool)."""
        if kind not in _TYPES:
            raise Unsure(f"the type {kind!r}")
        return bool(_TYPES[kind](value))

    @staticmethod
    def _in_enum(choices: Any, value: Any) -> bool:
        """Whether `value` is one of `choices`; only enums of text are known (jsonschema compares text as ==)."""
        if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
            raise Unsure("an enum of something other than text")
        return isinstance(value, str) and value in choices

    @staticmethod
    def _string(name: str, argument: Any, value: str) -> bool:
        """`pattern` (searched for, as jsonschema does) and `minLength` (in characters)."""
        if name == "pattern":
            return re.search(argument, value) is not None
        return len(value) >= int(argument)

    def _object(self, name: str, argument: Any, value: dict[str, Any], schema: Mapping[str, Any]) -> bool:
        """The keywords of objects."""
        if name == "properties":
            return all(self.valid(value[key], sub) for key, sub in argument.items() if key in value)
        if name == "additionalProperties":
            if "patternProperties" in schema:
                raise Unsure("patternProperties")
            named = schema.get("properties", {})
            return all(self.valid(item, argument) for key, item in value.items() if key not in named)
        if name == "propertyNames":
            return all(self.valid(key, argument) for key in value)
        if name == "required":
            return all(key in value for key in argument)
        return len(value) >= int(argument)  # minProperties
