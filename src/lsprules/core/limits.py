"""Limits: how much one input may cost. Each bound is far beyond any real rule file or public statistic, has its
own error code, and can be raised for legitimate input (`lsprules --limit NAME=VALUE`, the LSPRULES_LIMITS
environment variable, or a `[limits]` table through Limits.from_mapping). docs/reliability.md lists them all.

The limits in force are process-wide (`current()`), set once by the front end (`set_limits()`), so that
readers deep in the pipeline need no extra parameter.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from lsprules.core.diagnostics import Diagnostic, InputError, error
from lsprules.core.source import Source


@dataclass(frozen=True)
class Limits:
    """Bounds on one input; every field is a positive whole number."""

    number_digits: int = 50  # E700: significant digits of one number, in rules or data
    number_exponent: int = 50  # E701: how far a number's magnitude may be from 1 (|adjusted exponent|)
    decimals: int = 20  # E702: `decimals N`, the places a value is shown with
    line_length: int = 10_000  # E703: characters on one line of a rule file
    rules_size: int = 1_000_000  # E711: characters in one rule file (a bundled one has about 10,000)
    text_length: int = 10_000  # E704: characters of one title, name or other text, in rules or data
    derived_depth: int = 100  # E706: a chain of derived indicators, each computed from the next
    csv_columns: int = 1_000  # E707: columns in a CSV header
    csv_field_size: int = 100_000  # E708: characters in one CSV field
    xlsx_size: int = 256 * 1024 * 1024  # E709: bytes of an .xlsx once decompressed
    xlsx_ratio: int = 200  # E709: decompressed size over compressed size, for any part of an .xlsx

    @classmethod
    def from_mapping(cls, values: Mapping[str, object], where: str = "limits") -> Limits:
        """Limits from a mapping of names to values (a `[limits]` table, --limit options, LSPRULES_LIMITS);
        InputError E705 for an unknown name or a value that is not a positive whole number."""
        known = {f.name for f in fields(cls)}
        changes: dict[str, int] = {}
        for name, raw in values.items():
            key = name.replace("-", "_")
            if key not in known:
                raise InputError([error("E705", f"{where}: unknown limit '{name}'",
                                        hint="the limits are " + ", ".join(sorted(known)))])
            changes[key] = _positive(raw, f"{where}: {name}")
        return replace(cls(), **changes)

    @classmethod
    def from_assignments(cls, assignments: list[str], where: str) -> Limits:
        """Limits from NAME=VALUE texts (command-line options, or the comma-separated environment variable)."""
        pairs: dict[str, object] = {}
        for text in assignments:
            name, sep, value = text.partition("=")
            if not sep:
                raise InputError([error("E705", f"{where}: '{text}' is not NAME=VALUE",
                                        hint="e.g. --limit number_digits=100")])
            pairs[name.strip()] = value.strip()
        return cls.from_mapping(pairs, where)


def _positive(raw: object, where: str) -> int:
    text = str(raw).replace("_", "")
    if isinstance(raw, bool) or not text.isascii() or not text.isdigit() or int(text) < 1 or len(text) > 18:
        raise InputError([error("E705", f"{where}: '{raw}' is not a positive whole number",
                                hint="give a number such as 100")])
    return int(text)


_current: Limits | None = None
ENVIRONMENT = "LSPRULES_LIMITS"


def current() -> Limits:
    """The limits in force: those set by set_limits(), else the defaults changed by LSPRULES_LIMITS."""
    global _current
    if _current is None:
        _current = from_environment()
    return _current


def from_environment(options: list[str] | None = None, settings: Mapping[str, object] | None = None) -> Limits:
    """The defaults, changed by a settings file's `[limits]` table, then by LSPRULES_LIMITS
    ('number_digits=100,csv_columns=5000'), then by `options` (NAME=VALUE texts of --limit): each wins over
    the one before it, by name."""
    limits = Limits.from_mapping(settings or {}, "[limits] in the settings file")
    text = os.environ.get(ENVIRONMENT, "").strip()
    for source, assignments in ((ENVIRONMENT, [p for p in text.split(",") if p.strip()]), ("--limit", options or [])):
        if assignments:
            given = Limits.from_assignments(assignments, source)  # checks every name and value
            named = {text.partition("=")[0].strip().replace("-", "_") for text in assignments}
            limits = replace(limits, **{name: getattr(given, name) for name in named})
    return limits


def set_limits(limits: Limits) -> None:
    """Put `limits` in force for the rest of the process (the CLI's root option)."""
    global _current
    _current = limits
    # Evaluating a chain of derived indicators recurses a few frames per link: room for the chain allowed.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 2_000 + 20 * limits.derived_depth))
    if limits.number_digits + limits.number_exponent > 2_000:
        # Python refuses to print integers of more than 4300 digits (a guard against slow conversions); a
        # user who raised the number limits this far has accepted that cost for their input.
        sys.set_int_max_str_digits(0)


# --- checks shared by every reader ----------------------------------------------------------------------


def number_problem(number: Decimal) -> tuple[str, str, str] | None:
    """(code, message, hint) when a number is beyond the limits, else None. Cheap: no arithmetic on it."""
    limits = current()
    if not number.is_finite():
        return None  # refused elsewhere, by each reader's own rule
    digits = len(number.as_tuple().digits)
    if digits > limits.number_digits:
        return ("E700", f"a number with {digits} digits is beyond the limit of {limits.number_digits}",
                _raise_hint("number_digits", digits))
    exponent = abs(number.adjusted())
    if number and exponent > limits.number_exponent:
        size = "large" if number.adjusted() > 0 else "small"
        return ("E701", f"a number this {size} (10 to the power {number.adjusted()}) is beyond the limit of "
                        f"{limits.number_exponent} orders of magnitude", _raise_hint("number_exponent", exponent))
    return None


def text_problem(text: str, what: str) -> tuple[str, str, str] | None:
    """(code, message, hint) when a name or title is longer than the limit."""
    limit = current().text_length
    if len(text) > limit:
        return ("E704", f"{what} of {len(text)} characters is beyond the limit of {limit}",
                _raise_hint("text_length", len(text)))
    return None


def rules_size_problem(source: Source, needed: int | None = None) -> Diagnostic | None:
    """E711 at the first character of a rule file beyond the limit `rules_size`; `needed`, a size that would
    do, is the text's length unless the caller knows more (a file read only in part)."""
    limit = current().rules_size
    if len(source.text) <= limit:
        return None
    return error("E711", f"the rule file is longer than the limit of {limit:,} characters", source, limit,
                 hint=_raise_hint("rules_size", needed or len(source.text)))


def _raise_hint(name: str, needed: int) -> str:
    """How to raise one limit, naming a value that would do."""
    return f"if this is meant, raise the limit: lsprules --limit {name}={needed} COMMAND ..."
