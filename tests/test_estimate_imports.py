"""Import structure of ``openmrv.estimate``: imports at the top of each module, no cycles,
no ``openmrv.case`` (the engine receives the case's tables)."""

from __future__ import annotations

import ast
from pathlib import Path

import openmrv

ESTIMATE = Path(openmrv.__file__).parent / "estimate"
# optional heavy dependencies imported only on the path that needs them
LOCAL_OK = {"distributed"}  # montecarlo: only with a dask.distributed client
# estimate/inventory/engine.py still imports Case; its owner is moving that out
CASE_PENDING = {"inventory/engine.py"}


def _modules():
    for path in sorted(ESTIMATE.rglob("*.py")):
        parts = path.relative_to(ESTIMATE.parent.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text())


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return []


def test_no_function_local_imports():
    local = []
    for name, _, tree in _modules():
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(fn):
                    for mod in _imported(node)[:1]:
                        if mod.split(".")[0] not in LOCAL_OK:
                            local.append(f"{name}: {mod}")
    assert not local, local


def test_no_case_imports():
    bad = []
    for name, path, tree in _modules():
        if path.relative_to(ESTIMATE).as_posix() in CASE_PENDING:
            continue
        for node in ast.walk(tree):
            if any(m == "openmrv.case" or m.startswith("openmrv.case.") for m in _imported(node)):
                bad.append(name)
    assert not bad, bad


def test_no_import_cycles():
    mods = {name: tree for name, _, tree in _modules()}
    graph = {
        name: {m for node in tree.body for m in _imported(node) if m in mods and m != name}
        for name, tree in mods.items()
    }
    # a package's __init__ importing its own submodules is no cycle of substance
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for m in graph[n]:
            assert state.get(m) != 1, " -> ".join([*path, n, m])
            if m not in state:
                visit(m, [*path, n])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [])
