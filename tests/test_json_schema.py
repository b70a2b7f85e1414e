"""The quick schema check (core/json_schema.py) agrees with jsonschema: on every dataset the tests know, on
generated variants of the bundled ones, and keyword by keyword; and a dataset it fails still gets jsonschema's
diagnostics."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from lsprules.core.diagnostics import InputError
from lsprules.core.files import decode_source
from lsprules.core.json_schema import Unsure, meets
from lsprules.data.readers import yaml_reader

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "src" / "lsprules" / "schemas" / "dataset.schema.json").read_text(encoding="utf-8"))
REFERENCE = Draft202012Validator(SCHEMA)


def tree(path: Path) -> Any:
    """The plain values of a YAML file as the reader gives them to the schema check (None: not a mapping)."""
    try:
        return yaml_reader._to_tree(decode_source(path.name, path.read_bytes())).value
    except InputError:
        return None


YAML_FILES = sorted(p for folder in ("datasets", "docs/examples", "tests/data", "tests/golden")
                    for p in (ROOT / folder).rglob("*.yaml"))
DOCUMENTS = [(p.relative_to(ROOT).as_posix(), d) for p in YAML_FILES if (d := tree(p)) is not None]


def test_the_corpus_has_valid_and_invalid_datasets():
    verdicts = {REFERENCE.is_valid(document) for _, document in DOCUMENTS}
    assert len(DOCUMENTS) > 20 and verdicts == {True, False}


@pytest.mark.parametrize("name,document", DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_agrees_with_jsonschema_on_every_known_dataset(name, document):
    assert meets(document, SCHEMA) == REFERENCE.is_valid(document)


# Values that the schema accepts in some places and refuses in others.
LEAVES = st.sampled_from([Decimal("5"), Decimal("-0.5"), True, False, None, "", "na", "N/A", "suppressed",
                          "▲", "up", "Up", "n/a", "green", "Green", "2006/07", "theft", "Theft", "a b", "x_1",
                          "financial_year", "weekly", {}, [], {"x": Decimal(1)}, [Decimal(1)], ["note"]])
BUNDLED = [d for name, d in DOCUMENTS if name.startswith("datasets/") and REFERENCE.is_valid(d)]


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every node below the root."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [p for key, child in children for p in [(*path, key), *_nodes(child, (*path, key))]]


@st.composite
def variants(draw: st.DrawFn) -> Any:
    """A bundled dataset with a few nodes replaced, removed or added: mostly invalid, in many different ways."""
    document = copy.deepcopy(draw(st.sampled_from(BUNDLED)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _nodes(document)
        path = draw(st.sampled_from(paths))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            parent[path[-1]] = _leaf(draw)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["valeus", "Robbery", "2007/08", "notes", "x"]))] = _leaf(draw)
    return document


def _leaf(draw: st.DrawFn) -> Any:
    """A leaf of its own: LEAVES holds one `{}` and one `[]` for every draw, and a later action adding into the one
    put in a document would change it for every later example (hypothesis: FlakyStrategyDefinition)."""
    return copy.deepcopy(draw(LEAVES))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants())
def test_agrees_with_jsonschema_on_generated_variants(document):
    assert meets(document, SCHEMA) == REFERENCE.is_valid(document)


@pytest.mark.parametrize("schema,value", [
    ({"type": "number"}, True), ({"type": "number"}, Decimal("1")), ({"type": ["string", "null"]}, None),
    ({"enum": ["a", "b"]}, "a"), ({"enum": ["a"]}, Decimal(1)), ({"pattern": "^a"}, "ba"), ({"pattern": "b"}, "ab"),
    ({"minLength": 1}, ""), ({"minLength": 1}, Decimal(1)), ({"not": {"required": ["a"]}}, {"a": 1}),
    ({"if": {"required": ["a"]}, "then": {"required": ["b"]}}, {"a": 1}),
    ({"if": {"required": ["a"]}, "else": {"required": ["b"]}}, {"c": 1}),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"a": "x", "b": 1}),
    ({"additionalProperties": {"type": "string"}}, {"a": "x"}), ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"A": 1}),
    ({"minProperties": 1}, {}), ({"items": {"type": "string"}}, ["a", Decimal(1)]), ({"required": ["a"]}, [1]),
    ({"anyOf": [{"type": "string"}, {"enum": ["x"]}]}, Decimal(2)), ({"$defs": {"s": {"type": "string"}},
                                                                       "$ref": "#/$defs/s"}, "x"),
])
def test_each_keyword_as_jsonschema_reads_it(schema, value):
    assert meets(value, schema) == Draft202012Validator(schema).is_valid(value)


@pytest.mark.parametrize("schema,value", [
    ({"type": "integer"}, Decimal(1)), ({"format": "date"}, "x"), ({"enum": [1]}, 1), ({"$ref": "other.json"}, 1),
    ({"type": "string"}, object()), ({"patternProperties": {"a": {}}, "additionalProperties": False}, {}),
])
def test_what_it_does_not_know_it_leaves_to_jsonschema(schema, value):
    with pytest.raises(Unsure):
        meets(value, schema)


def test_a_dataset_that_fails_the_quick_check_gets_jsonschema_s_diagnostics():
    text = "title: t\narea: A\nindicators:\n  theft:\n    values: {2006/07: lots}\n"
    with pytest.raises(InputError) as caught:
        yaml_reader.load_dataset_bytes("d.yaml", text.encode())
    assert [d.code for d in caught.value.diagnostics] == ["E302"]
    assert "indicators.theft.values.2006/07: expected a number" in caught.value.diagnostics[0].message
