"""The house rules of docs/architecture.md, enforced over every import in src/lsprules (lazy ones included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "lsprules"

# Lowest first: a module may import from its own layer and the layers before it, never from a later one.
LAYERS = ("core", "lang", "data", "engine", "analysis", "audit", "render", "jobs", "cli")
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
    path = MODULES[name]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: relative import; the house style is absolute imports"
            assert node.module is not None
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return {module for module in found if module == "lsprules" or module.startswith("lsprules.")}


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
    upward = sorted(f"{name} ({LAYERS[layer(name)] if layer(name) >= 0 else 'top'}) imports {target}"
                    for name in MODULES for target in imports_of(name) if layer(target) > layer(name))
    assert upward == []


def test_no_import_cycles():
    graph = {name: imports_of(name) & MODULES.keys() for name in MODULES}
    cycles = [component for component in strongly_connected(graph) if len(component) > 1]
    assert cycles == []


def test_only_the_cli_imports_typer():
    below_cli = [name for name in MODULES if layer(name) < LAYERS.index("cli")]
    users = sorted(name for name in below_cli if "typer" in external_imports_of(name))
    assert users == []


def test_the_package_root_holds_only_a_few_modules():
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py"]


def test_the_layering_test_sees_a_violation():
    """The checker itself can fail: an upward import in a module of `core` is reported."""
    assert layer("lsprules.core.source") < layer("lsprules.cli.app")
    assert layer("lsprules.render.table") > layer("lsprules.engine.interpreter")
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
