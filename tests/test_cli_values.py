"""The quick coercion of command-line values (cli/values.py) gives what typer's own (pydantic) coercion gives, on
every parameter of every command: the same value, or the same error, which typer's own coercion still words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer.main
from typer import _coercion
from typer._click import Context
from typer._click.exceptions import BadParameter

from lsprules.cli.app import app
from lsprules.cli.values import QuickRuntimeParam

ROOT = Path(__file__).resolve().parents[1]
COMMAND = typer.main.get_command(app)
PARAMETERS = [(name, param) for name, command in [("lsprules", COMMAND), *COMMAND.commands.items()]
              for param in command.params]
WORDS = ["", ".", "-", "rules/crime.rules", "datasets", "no/such/file", "a b", "ünïcödé", "~/x", " text ", "TABLE",
         "table", "json", "Json", "auto", "always", "report", "areas", "financial_year", "duckdb", "github", "7",
         "x=1", "number_digits=100", "\udcff.rules", "\x00"]


def outcome(runtime: _coercion.RuntimeParam, param, value):
    """What coercing `value` gives: ('value', type, value) or ('error', type, message)."""
    context = Context(COMMAND)
    try:
        result = runtime.coerce(value, param=param, ctx=context)
    except (BadParameter, ValueError) as exc:
        return "error", type(exc).__name__, str(exc)
    return "value", type(result), result


@pytest.mark.parametrize("name,param", PARAMETERS, ids=[f"{name}-{param.name}" for name, param in PARAMETERS])
def test_every_parameter_is_coerced_as_typer_coerces_it(name, param):
    descriptor = param.type_descriptor
    quick = QuickRuntimeParam(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation,
                              descriptor=descriptor)
    typer_own = _coercion.build_runtime_param(descriptor)
    multi = param.multiple or param.nargs == -1
    values = [[word] for word in WORDS] + [WORDS[:3], []] if multi else [*WORDS, None, param.default]
    for value in values:
        assert outcome(quick, param, value) == outcome(typer_own, param, value), (name, param.name, value)


def test_paths_are_checked_as_typer_checks_them(tmp_path):
    secret = tmp_path / "secret.rules"
    secret.write_text("x")
    secret.chmod(0)
    if os.access(secret, os.R_OK):
        pytest.skip("running as a user who can read any file")
    _, param = next((n, p) for n, p in PARAMETERS if n == "evaluate" and p.name == "rules")
    descriptor = param.type_descriptor
    quick = QuickRuntimeParam(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation,
                              descriptor=descriptor)
    assert outcome(quick, param, str(secret)) == outcome(_coercion.build_runtime_param(descriptor), param,
                                                         str(secret))
