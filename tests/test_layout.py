"""The package's layout, held: no import circle, short modules, public names only across
modules, and ``__all__`` lists that say exactly what each module defines.

The imports are read from the source (every ``import`` statement, also inside functions and
``TYPE_CHECKING`` blocks), not from what Python happens to have loaded, so a circle that only
shows on some import order is still found.
"""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

from micrograd_nn import engine
from micrograd_nn.value import OPS

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = {"micrograd_nn": ROOT / "micrograd_nn", "micrograd_nn.viz": ROOT / "viz"}
# The public faces, which may hand on other modules' names: the package, viz, the engine's
# compatibility face, the testing toolkit (check_ops and GradcheckError for your tests) and
# the PyTorch bridge (its parts live in torch_ops, torch_compare, torch_train).
FACES = {"micrograd_nn", "micrograd_nn.viz", "micrograd_nn.engine", "micrograd_nn.testing",
         "micrograd_nn.torch"}
MAX_LINES = 550


def modules() -> dict[str, pathlib.Path]:
    """Every module of the package by dotted name (``micrograd_nn.viz`` is the viz folder)."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found[name] = path
    return found


MODULES = modules()


def _resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for one import statement."""
    if isinstance(node, ast.Import):
        return [(alias.name, []) for alias in node.names]
    is_package = MODULES[module].stem == "__init__"
    base = module if is_package else module.rsplit(".", 1)[0]
    for _ in range(node.level - 1):
        base = base.rsplit(".", 1)[0]
    target = node.module or ""
    if node.level:
        target = f"{base}.{target}" if target else base
    names = [alias.name for alias in node.names]
    # ``from . import losses`` imports a module, not a name
    out = [(f"{target}.{n}", []) for n in names if f"{target}.{n}" in MODULES]
    rest = [n for n in names if f"{target}.{n}" not in MODULES]
    if rest:
        out.append((target, rest))
    return out


def imports() -> dict[str, dict[str, list[str]]]:
    """For each module: the package modules it imports and the names it takes from each."""
    graph: dict[str, dict[str, list[str]]] = {}
    for name, path in MODULES.items():
        edges: dict[str, list[str]] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target, names in _resolve(name, node):
                    if target in MODULES and target != name:
                        edges.setdefault(target, []).extend(names)
        graph[name] = edges
    return graph


def circles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle():
    found = circles(imports())
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b": []}, "b": {"c": []}, "c": {"a": []}, "d": {"a": []}}
    assert circles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_another_modules_private_names(name):
    taken = [(target, n) for target, names in imports()[name].items() for n in names
             if n.startswith("_") and not n.startswith("__")]
    assert not taken, f"{MODULES[name]} imports private names: {taken}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_are_short(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines (at most {MAX_LINES})"


def defined_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(every name a module's top level defines itself, not imports; of those, its
    functions and classes)."""
    names: set[str] = set()
    code: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            code.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names, code


def declared_all(name: str, tree: ast.Module) -> list[str] | None:
    """The module's ``__all__``: read from the source when it is a list of strings, else
    (derived, as ops.py's) from the imported module."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            if isinstance(node.value, ast.List):
                return [elt.value for elt in node.value.elts if isinstance(elt, ast.Constant)]
            return list(importlib.import_module(name).__all__)
    return None


@pytest.mark.parametrize("name", sorted(set(MODULES) - FACES))
def test_all_lists_exactly_the_public_names_a_module_defines(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    listed = declared_all(name, tree)
    if listed is None:
        return  # no __all__: nothing re-exported by star imports
    defined, code = defined_names(tree)
    assert not set(listed) - defined, (
        f"{MODULES[name]}: __all__ names what it does not define (a re-export): "
        f"{sorted(set(listed) - defined)}")
    unlisted = sorted(n for n in code - set(listed) if not n.startswith("_"))
    assert not unlisted, (f"{MODULES[name]}: public functions and classes missing from "
                          f"__all__ (list them, or make them private): {unlisted}")


def test_the_op_modules_list_every_op_they_define():
    from micrograd_nn import functions, ops

    assert sorted(ops.__all__ + functions.__all__) == sorted(OPS)


def test_the_engine_face_lists_every_op():
    missing = sorted(set(OPS) - set(engine.__all__))
    assert not missing, f"micrograd_nn/engine.py: add to its imports and __all__: {missing}"
    for name in engine.__all__:
        assert hasattr(engine, name), f"micrograd_nn.engine.{name} is listed but missing"
