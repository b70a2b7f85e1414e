"""How the words of a command line become parameter values: typer's own coercion, with pydantic only when needed.

Typer (0.29) coerces every parameter of a command that runs through a pydantic TypeAdapter, and importing
pydantic and building the adapters is a sixth of the bundled evaluation's start-up. The kinds of value lsprules'
commands take most — text, paths, lists of them and choices (Enum) — are coerced here by the very functions of
typer that those adapters call (coerce_cli_choice, coerce_cli_path), so the values are the same. Anything else,
and any value they refuse, goes to typer's own coercion unchanged, so every error message is pydantic's, as
before. tests/test_cli_values.py compares the two on every parameter of every command.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer import _coercion, _param_types, core
from typer._click import Context


class _Defer(Exception):
    """This value is not one the quick coercion knows: typer's own coercion takes it."""


@dataclass(frozen=True)
class QuickRuntimeParam(_coercion.RuntimeParam):
    """A parameter's coercion: the quick one where it applies, else typer's (built only then)."""

    descriptor: _coercion.TypeDescriptor

    def _coerce_value(self, value: Any, param: Any, ctx: Context) -> Any:
        try:
            return quick_value(self.descriptor, value, param, ctx)
        except _Defer:
            typer_own = _coercion.build_runtime_param(self.descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)


def quick_value(descriptor: _coercion.TypeDescriptor, value: Any, param: Any, ctx: Context | None) -> Any:
    """The value typer's adapter would give, for text, paths, choices and lists of them; raise _Defer otherwise."""
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        raise _Defer
    annotation: Any = descriptor.annotation
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        items = value if isinstance(value, (list, tuple)) else [value]
        return [_leaf(item_type, item, info, param, ctx) for item in items]
    return _leaf(annotation, value, info, param, ctx)


def _leaf(annotation: Any, value: Any, info: Any, param: Any, ctx: Context | None) -> Any:
    """One value, in the order typer's build_leaf_adapter tries the kinds."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return _param_types.coerce_cli_choice(value, choices=list(annotation), case_sensitive=info.case_sensitive,
                                                  ctx=ctx)
        except ValueError:
            raise _Defer from None  # the message is pydantic's wording of this error
    if annotation is str:
        return _plain_text(value)
    if annotation is Path and info.path_type is None:
        path = value if isinstance(value, Path) else Path(_plain_text(value))
        try:
            return _param_types.coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx)
        except ValueError:  # a NUL in the path, say: pydantic words the error
            raise _Defer from None
    raise _Defer


def _plain_text(value: Any) -> str:
    """A word of the command line, as pydantic passes it on: plain text (not half of a surrogate pair, which a
    file name that is not UTF-8 brings, and which pydantic may refuse)."""
    if type(value) is not str:
        raise _Defer
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Defer from None
    return value


def _runtime_param(self: core._TyperParameter) -> _coercion.RuntimeParam:
    """typer's _TyperParameter.get_runtime_param, made quick."""
    if self._runtime_param is None:
        descriptor = self.type_descriptor
        self._runtime_param = QuickRuntimeParam(parameter_info=descriptor.parameter_info,
                                                annotation=descriptor.annotation, descriptor=descriptor)
    return self._runtime_param


def quick_values() -> None:
    """Coerce parameter values without pydantic where the quick coercion applies (idempotent)."""
    parameter: Any = core._TyperParameter
    parameter.get_runtime_param = _runtime_param
