"""The project's settings: `lsprules.toml`, or `[tool.lsprules]` in `pyproject.toml`, the one nearest to the
working directory (or upward from it), schema-checked, with paths relative to the file that gives them."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lsprules.core.diagnostics import Diagnostic, InputError, at_span, did_you_mean
from lsprules.core.files import decode_source, read_input
from lsprules.core.source import Source, Span, display_name

CONFIG_FILE = "lsprules.toml"
PYPROJECT = "pyproject.toml"

# The settings, by table: each key and the kind of value it takes ("paths" is a string or a list of strings).
SCHEMA: dict[str, dict[str, str]] = {
    "": {"rules": "paths", "data": "paths", "tests": "paths"},
    "check": {"select": "codes", "ignore": "codes"},
}
# The limits on what one input may cost (lsprules.core.limits), by name.
LIMITS_TABLE = "limits"


@dataclass(frozen=True)
class Config:
    """Settings found for a working directory (all empty when there is no configuration file)."""

    path: Path | None = None
    rules: tuple[Path, ...] = ()
    data: tuple[Path, ...] = ()
    tests: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    limits: Mapping[str, object] = field(default_factory=dict)


def find_config_file(start: Path) -> tuple[Path, tuple[str, ...]] | None:
    """The nearest `lsprules.toml`, or `pyproject.toml` with a `[tool.lsprules]` table, at or above `start`,
    with the keys that lead to its settings (`()` or `("tool", "lsprules")`)."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate, ()
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and re.search(r"^\s*\[\s*tool\s*\.\s*lsprules\s*[.\]]", _text(pyproject), re.M):
            return pyproject, ("tool", "lsprules")
    return None


def load_config(start: Path | None = None) -> Config:
    """The settings nearest to `start` (default: the working directory); InputError E600-E603 when the file
    cannot be read or does not match the schema."""
    found = find_config_file((start or Path.cwd()).absolute())
    return Config() if found is None else read_config(*found)


def read_config(path: Path, prefix: tuple[str, ...] | None = None) -> Config:
    """The settings in one file (`--config FILE`): a pyproject.toml's `[tool.lsprules]`, else the whole file."""
    if prefix is None:
        prefix = ("tool", "lsprules") if path.name == PYPROJECT else ()
    source = Source(display_name(_relative(path)), _text(path))
    try:
        document = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError([_toml_error(source, exc)]) from None
    table: object = document
    for key in prefix:
        table = table.get(key, {}) if isinstance(table, dict) else {}
    assert isinstance(table, dict)  # find_config_file saw the table, and TOML tables are dicts
    return _config(path, source, prefix, table)


def _text(path: Path) -> str:
    return decode_source(*read_input(path, "configuration file")).text


def _config(path: Path, source: Source, prefix: tuple[str, ...], table: dict[str, object]) -> Config:
    values: dict[str, object] = {}
    limits: Mapping[str, object] = {}
    for key, value in table.items():
        if key == LIMITS_TABLE:
            limits = _limits(source, prefix, value)
        elif key in SCHEMA and key:
            if not isinstance(value, dict):
                raise InputError([_problem(source, prefix, (key,), "E602", f"`{key}` must be a table",
                                           f"write it as [{'.'.join((*prefix, key))}]")])
            for inner, setting in value.items():
                values[inner] = _checked(source, prefix, (key, inner), setting)
        else:
            values[key] = _checked(source, prefix, (key,), value)
    folder = path.parent
    paths = {name: tuple(_relative(folder / p) for p in _as_list(values.get(name)))
             for name in ("rules", "data", "tests")}
    return Config(path, paths["rules"], paths["data"], paths["tests"], tuple(_as_list(values.get("select"))),
                  tuple(_as_list(values.get("ignore"))), limits)


def _limits(source: Source, prefix: tuple[str, ...], value: object) -> Mapping[str, object]:
    """The `[limits]` table, each name and value checked (E602 at the table, E705 naming the limit)."""
    from lsprules.core.limits import Limits

    if not isinstance(value, dict):
        raise InputError([_problem(source, prefix, (LIMITS_TABLE,), "E602", "`limits` must be a table",
                                   "write it as [limits], e.g. number_digits = 100 under it")])
    Limits.from_mapping(value, f"{display_name(source.name)} [limits]")
    return value


def _checked(source: Source, prefix: tuple[str, ...], keys: tuple[str, ...], value: object) -> object:
    """The value of a known setting; E601 for an unknown key, E602 for a value of the wrong kind."""
    table, key = (keys[0], keys[1]) if len(keys) == 2 else ("", keys[0])
    kind = SCHEMA.get(table, {}).get(key)
    if kind is None:
        known = sorted(k for k in SCHEMA[table]) + ([] if table else [t for t in SCHEMA if t])
        hint = did_you_mean(key, known) or f"the settings here are: {', '.join(known)}"
        raise InputError([_problem(source, prefix, keys, "E601", f"unknown setting `{'.'.join(keys)}`", hint)])
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        what = "a path or a list of paths" if kind == "paths" else 'a list of codes such as ["E2", "E320"]'
        raise InputError([_problem(source, prefix, keys, "E602", f"`{'.'.join(keys)}` must be {what}",
                                   f"e.g. {key} = {_example(kind)}")])
    if kind == "codes":
        bad = [item for item in items if not re.fullmatch(r"E\d{0,3}", item)]
        if bad:
            raise InputError([_problem(source, prefix, keys, "E602", f"`{bad[0]}` in `{'.'.join(keys)}` is not "
                                       "a code or the start of one", 'codes look like "E201", or "E2" for all '
                                       "E2xx")])
    return items


def _relative(path: Path) -> Path:
    """A configured path as messages show it: relative to the working directory when it can be."""
    try:
        return Path(os.path.relpath(path))
    except ValueError:  # another drive (Windows)
        return path


def _example(kind: str) -> str:
    return '["rules"]' if kind == "paths" else '["E213"]'


def _as_list(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _problem(source: Source, prefix: tuple[str, ...], keys: tuple[str, ...], code: str, message: str,
             hint: str) -> Diagnostic:
    """A diagnostic at the line that sets `keys` (found by reading the file's table headers and keys)."""
    span = _key_span(source, (*prefix, *keys))
    line = source.line_text(span.line) if span else ""
    return at_span(code, message, span or Span(source.name, 1, 1, 1, 1), line, hint)


def _key_span(source: Source, keys: tuple[str, ...]) -> Span | None:
    """Where a dotted key is written: `key = …` under its table's header, or a `[table]` header itself."""
    table: tuple[str, ...] = ()
    for number, line in enumerate(source.text.split("\n"), start=1):
        header = re.match(r"\s*\[\s*([A-Za-z0-9_.\s\"-]+?)\s*\]\s*(#.*)?$", line)
        if header:
            table = tuple(part.strip().strip('"') for part in header.group(1).split("."))
            if table == keys:
                return _line_span(source, number, line, line.index(keys[-1]), len(keys[-1]))
            continue
        assignment = re.match(r"\s*([A-Za-z0-9_.\s\"-]+?)\s*=", line)
        if assignment:
            written = tuple(part.strip().strip('"') for part in assignment.group(1).split("."))
            if (*table, *written) == keys or (*table, *written)[:len(keys)] == keys:
                return _line_span(source, number, line, line.index(written[0]), len(assignment.group(1)))
    return None


def _line_span(source: Source, number: int, line: str, start: int, width: int) -> Span:
    return Span(source.name, number, start + 1, number, start + 1 + max(1, width))


def _toml_error(source: Source, exc: tomllib.TOMLDecodeError) -> Diagnostic:
    """E600: the file is not valid TOML, at the line and column tomllib gives."""
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc)) or "not valid TOML"
    if match:
        line, column = int(match.group(1)), int(match.group(2))
    else:  # "at end of document": point after the last thing written
        last = source.text.rstrip()
        line = last.count("\n") + 1
        column = len(last) - (last.rfind("\n") + 1) + 1
    span = Span(source.name, line, column, line, column + 1)
    return at_span("E600", f"the configuration file is not valid TOML: {message}", span, source.line_text(line),
                   "see https://toml.io for the syntax")
