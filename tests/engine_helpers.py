"""Helpers for engine tests: evaluate rule text on dataset text without touching the disk."""

from __future__ import annotations

import textwrap

from lsprules.core.periods import parse_period
from lsprules.core.source import Source
from lsprules.data.readers.yaml_reader import load_dataset_bytes
from lsprules.engine.interpreter import evaluate
from lsprules.lang.parser import parse_text
from lsprules.lang.resolve import resolve


def rules_from(text: str, name: str = "test.rules"):
    """A resolved rule set from rule text."""
    text = textwrap.dedent(text)
    return resolve(parse_text(text, name), Source(name, text))


def dataset_from(yaml_text: str, name: str = "test.yaml"):
    """A dataset from YAML text."""
    return load_dataset_bytes(name, textwrap.dedent(yaml_text).encode("utf-8"))


def series_yaml(values: dict, indicator: str = "x", extra: str = "") -> str:
    """A one-indicator dataset in YAML: {period: value}."""
    body = ", ".join(f'"{p}": {v}' for p, v in values.items())
    return f"area: Testshire\nindicators:\n  {indicator}:\n    values: {{{body}}}\n{extra}"


def assess(rules_text: str, yaml_text: str, indicator: str = "x", period: str | None = None):
    """The assessment of one indicator."""
    result = evaluate(rules_from(rules_text), dataset_from(yaml_text), parse_period(period) if period else None)
    return next(a for a in result.assessments if a.indicator == indicator)


def evaluate_text(rules_text: str, yaml_text: str, period: str | None = None):
    """The whole evaluation."""
    return evaluate(rules_from(rules_text), dataset_from(yaml_text), parse_period(period) if period else None)
