"""The package's import graph: layers as folders, arrows only downward, no cycles.

Every ``import``/``from … import`` of a ``quartier`` module counts, also inside functions
(a function-local import must not hide a cycle)."""

import ast
from pathlib import Path

import pytest

import quartier

ROOT = Path(quartier.__file__).parent

# lower number = lower layer; a module may import its own layer or lower ones
LAYERS = {
    "errors": 0, "paths": 0, "vocab": 0,
    "config": 1,
    "io": 2,
    "analysis": 3, "testing": 3,
    "outputs": 4, "review": 4,
    "onboard": 5,
    "pipeline": 6,
    "cli": 7, "__main__": 8, "__init__": 9,
}


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1] if len(parts) > 1 else "__init__"]


def _imports(path: Path) -> set[str]:
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("quartier")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if base.startswith("quartier"):
                if base != "quartier":  # ``from quartier import x`` imports x, not the package
                    found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in ROOT.rglob("*.py")}
    return {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}


def test_every_module_has_a_layer(graph):
    for module in graph:
        assert _layer(module) >= 0


def test_imports_only_downward(graph):
    upward = [(m, i) for m, deps in graph.items() for i in deps
              if _layer(i) > _layer(m) and not (m == "quartier.__main__" and i == "quartier.cli")]
    assert upward == []


def test_no_cycles(graph):
    # a package's __init__ re-exporting its modules is not a cycle of the modules themselves
    edges = {m: {i for i in deps if not (graph.get(i) is not None and m.startswith(i + "."))}
             for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []



#: No module above this many lines (osmnx/momepy size: one capability per module).
MAX_LINES = 600


def test_no_module_over_600_lines():
    long = {_module(p): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
