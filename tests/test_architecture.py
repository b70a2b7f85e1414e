"""The house rules of docs/architecture.md, enforced over every import in src/lsprules (lazy ones included)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "lsprules"

# Lowest first: a module may import from its own layer and the layers before it, never from a later one.
LAYERS = ("core", "lang", "data", "engine", "analysis", "audit", "render", "jobs", "lsp", "cli")
# Top-level modules: the package's own `__init__` (the version, importable by every layer) and `__main__`.
TOP_LEVEL = {"lsprules": -1, "lsprules.__main__": len(LAYERS)}


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = module_files()


def imports_of(name: str) -> set[str]:
    """The lsprules modules that module `name` imports, anywhere in its body."""
    return imports_in(MODULES[name].read_text(encoding="utf-8"), name)


def imports_in(text: str, name: str) -> set[str]:
    """The lsprules modules that the source text of module `name` imports (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: relative import; the house style is absolute imports"
            assert node.module is not None
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return {module for module in found if module == "lsprules" or module.startswith("lsprules.")}


def upward(name: str, targets: set[str]) -> list[str]:
    """The imports among `targets` that reach a higher layer than module `name`'s."""
    return sorted(f"{name} imports {target}" for target in targets if layer(target) > layer(name))


def external_imports_of(name: str) -> set[str]:
    """The top-level names of the packages outside lsprules that module `name` imports."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found - {"lsprules"}


def layer(name: str) -> int:
    """The rank of a module's layer: its subpackage's place in LAYERS."""
    if name in TOP_LEVEL:
        return TOP_LEVEL[name]
    return LAYERS.index(name.split(".")[1])


def test_every_module_belongs_to_a_layer():
    strays = [name for name in MODULES if name not in TOP_LEVEL and name.split(".")[1] not in LAYERS]
    assert strays == []


def test_no_module_imports_from_a_higher_layer():
    assert [line for name in MODULES for line in upward(name, imports_of(name))] == []


def test_no_import_cycles():
    graph = {name: imports_of(name) & MODULES.keys() for name in MODULES}
    cycles = [component for component in strongly_connected(graph) if len(component) > 1]
    assert cycles == []


def test_only_the_cli_imports_typer():
    below_cli = [name for name in MODULES if layer(name) < LAYERS.index("cli")]
    users = sorted(name for name in below_cli if "typer" in external_imports_of(name))
    assert users == []


def test_no_two_modules_share_a_name_but_a_command_s_job_and_its_cli():
    """One name per job: a basename appears twice only for a command, once in jobs/ and once in cli/."""
    by_name: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":
            by_name.setdefault(path.name, []).append(path.parent.relative_to(PACKAGE).as_posix())
    shared = {name: sorted(folders) for name, folders in by_name.items() if len(folders) > 1}
    assert all(folders == ["cli", "jobs"] for folders in shared.values()), shared


def test_the_package_root_holds_only_a_few_modules():
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py"]


def test_the_checks_see_a_violation():
    """The checks themselves can fail: an upward import, even a lazy one, and a cycle are reported."""
    text = "def f():\n    from lsprules.render.table import render_table\n"
    assert upward("lsprules.engine.interpreter", imports_in(text, "lsprules.engine.interpreter")) == [
        "lsprules.engine.interpreter imports lsprules.render.table"]
    assert upward("lsprules.render.table", imports_in(text, "lsprules.render.table")) == []
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [sorted(c) for c in strongly_connected(graph) if len(c) > 1] == [["a", "b", "c"]]


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_says_its_job(name):
    docstring = ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8")))
    assert docstring and docstring.strip() != "TODO", f"{name} has no docstring saying what it is for"


INSTALLERS = ("apt-get", "apt install", "dpkg -i", "pip install", '"pip"', "'pip'", "ensurepip", "npm install",
              "conda ")


def test_no_test_changes_the_machine():
    """Tests find what they need or skip with the reason; `.ci/run` installs it. No test calls a package manager."""
    this = Path(__file__).resolve()
    found = [f"{path.name}: {word}" for path in sorted(this.parent.rglob("*.py")) if path != this
             for word in INSTALLERS if word in path.read_text(encoding="utf-8")]
    assert found == []


def test_the_architecture_document_matches_the_tree():
    """docs/architecture.md names every module of every layer, and names none that does not exist."""
    text = (PACKAGE.parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    files = {path.name for path in PACKAGE.rglob("*") if path.suffix in (".py", ".lark")}
    mentioned = {name for name in files if f"`{name}`" in text or f"/{name}`" in text}
    unmentioned = sorted(files - mentioned - {"__init__.py"})
    named = set(re.findall(r"`(?:[a-z_]+/)*([a-z_]+\.(?:py|lark))`", text.replace("tests/test_architecture.py", "")))
    assert unmentioned == []
    assert sorted(named - files) == []


def test_the_cli_offers_exactly_the_engines_the_evaluate_job_runs():
    from lsprules.cli.evaluate import Engine
    from lsprules.jobs.evaluate import ENGINES

    assert tuple(e.value for e in Engine) == ENGINES


def test_the_cli_offers_exactly_the_formats_the_evaluate_job_renders():
    from lsprules.cli.evaluate import EvaluateFormat
    from lsprules.jobs.evaluate import FORMATS

    assert tuple(f.value for f in EvaluateFormat) == FORMATS


def test_only_the_language_server_imports_pygls():
    users = sorted(name for name in MODULES if {"pygls", "lsprotocol"} & external_imports_of(name))
    assert users and all(name.startswith("lsprules.lsp.") for name in users), users
