"""How `--help` names arguments and values: in a policy lead's words (RULES, PATH, TEXT), never Python's.

Typer shows each parameter's Python type (`<list[Path]>`, `<bool>`, `<str>`) and writes required arguments as
`{rules}` in the usage line. This swaps those two displays for plain ones, once, before any help is shown:
flags show no value, a list shows its items' kind, a name given as `metavar` wins, and the usage line reads
`RULES DATASET...` as the reference docs do. Choices (`<table|json|…>`) are kept: they are the real values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from typer.core import TyperArgument, TyperOption

PLAIN = {"str": "TEXT", "Path": "PATH", "path": "PATH", "file": "PATH", "directory": "PATH", "int": "NUMBER",
         "float": "NUMBER"}


def _plain(shown: str | None) -> str | None:
    """'<list[Path]>...' → 'PATH...', '<str>' → 'TEXT'; choices such as '<text|json>' unchanged."""
    if not shown:
        return shown
    inner = re.fullmatch(r"<(?:list\[)?([^\]>]+)\]?>(\.\.\.)?", shown)
    if inner is None or "|" in inner.group(1):
        return shown
    return PLAIN.get(inner.group(1), inner.group(1).upper()) + (inner.group(2) or "")


def _option_type(original: Callable[[TyperOption, Any], str | None]) -> Callable[..., str | None]:
    def shown(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag and self.metavar is None:
            return None
        return _plain(original(self, ctx))

    return shown


def _argument_type(original: Callable[[TyperArgument, Any], str | None]) -> Callable[..., str | None]:
    def shown(self: TyperArgument, ctx: Any) -> str | None:
        return _plain(original(self, ctx))

    return shown


def _usage_name(self: TyperArgument) -> str:
    name = (self.metavar or self.name or "").upper()
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")


def plain_help() -> None:
    """Make every command's help show plain value names (idempotent)."""
    if getattr(TyperOption, "_lsprules_plain", False):
        return
    patched: Any = TyperOption
    patched.display_type_rich = _option_type(TyperOption.display_type_rich)
    patched._lsprules_plain = True
    argument: Any = TyperArgument
    argument.display_type_rich = _argument_type(TyperArgument.display_type_rich)
    argument._usage_display_name = _usage_name
