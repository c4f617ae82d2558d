"""The import structure of openmrv (docs/architecture.md, "Who may import whom"): layers,
no import circles, imports at the top of modules, rooms of at most about 600 lines.

Checked on the source with ``ast`` (nothing is imported). ``from package import name``
counts as an import of the submodule when ``name`` is one, else of the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import openmrv

SRC = Path(openmrv.__file__).parent
#: the layers, lowest first, and what each may import of openmrv (besides itself)
CORE = {
    "openmrv",
    "openmrv.errors",
    "openmrv.units",
    "openmrv.gwp",
    "openmrv.categories",
    "openmrv.constants",
    "openmrv.dataformat",
    "openmrv.gases",
    "openmrv.fuels",
    "openmrv.factors",
    "openmrv.settings",
    "openmrv.settings_errors",
    "openmrv.settings_base",
    "openmrv.settings_topdown",
    "openmrv.settings_sources",
    "openmrv.runfolder",
    "openmrv.case_limits",
    "openmrv.limits",
    "openmrv.overlap",
}
RULES = {
    # layer prefix: prefixes it must not import
    "openmrv.estimate": (
        "openmrv.fetch",
        "openmrv.case",
        "openmrv.references",
        "openmrv.stages",
        "openmrv.pipeline",
        "openmrv.cli",
        "openmrv.report",
        "openmrv.verify",
        "openmrv.jacobians",
    ),
    "openmrv.observe": (
        "openmrv.fetch",
        "openmrv.estimate",
        "openmrv.verify",
        "openmrv.report",
        "openmrv.case",
        "openmrv.stages",
        "openmrv.pipeline",
        "openmrv.cli",
    ),
    "openmrv.verify": (
        "openmrv.fetch",
        "openmrv.estimate",
        "openmrv.observe",
        "openmrv.report",
        "openmrv.case",
        "openmrv.stages",
        "openmrv.pipeline",
        "openmrv.cli",
    ),
    "openmrv.report": (
        "openmrv.fetch",
        "openmrv.estimate",
        "openmrv.observe",
        "openmrv.verify",
        "openmrv.case",
        "openmrv.stages",
        "openmrv.pipeline",
        "openmrv.cli",
    ),
    "openmrv.case": (
        "openmrv.estimate",
        "openmrv.observe",
        "openmrv.verify",
        "openmrv.report",
        "openmrv.stages",
        "openmrv.pipeline",
        "openmrv.cli",
    ),
    # the download layer: science-free I/O over core only (docs/fetch.md)
    "openmrv.fetch": (
        "openmrv.estimate",
        "openmrv.observe",
        "openmrv.verify",
        "openmrv.report",
        "openmrv.case",
        "openmrv.stages",
        "openmrv.pipeline",
        "openmrv.cli",
    ),
    "openmrv.stages": ("openmrv.pipeline", "openmrv.cli", "openmrv.workspace"),
    "openmrv.pipeline": ("openmrv.cli", "openmrv.workspace"),
    # the team workspace (docs/workspace.md) sits on the stage layer, pipeline, case and run
    # folder; it does not reach into the science or the command line
    "openmrv.workspace": (
        "openmrv.cli",
        "openmrv.estimate",
        "openmrv.observe",
        "openmrv.verify",
        "openmrv.report",
        "openmrv.fetch",
    ),
}
#: nothing below the workspace imports it (checked in test_nothing_below_imports_the_workspace)
BELOW_WORKSPACE = ("openmrv.estimate", "openmrv.observe", "openmrv.verify", "openmrv.report",
                   "openmrv.case", "openmrv.fetch", "openmrv.stages", "openmrv.pipeline",
                   "openmrv.runfolder", "openmrv.settings")  # fmt: skip
#: estimate may use these pure formulas of observe (their cited tables are package data)
ESTIMATE_USES_OBSERVE = {"openmrv.observe.superobs", "openmrv.observe.operator"}
#: optional or heavy dependencies imported only on the path that needs them
LOCAL_OK = {"distributed", "matplotlib", "openpyxl", "netCDF4", "h5py", "importlib"}
MAX_LINES = 600


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return out


MODULES = _modules()


def _targets(node: ast.AST, name: str) -> list[str]:
    """The openmrv modules an import statement in module ``name`` imports."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            pkg = name if MODULES[name][0].name == "__init__.py" else name.rpartition(".")[0]
            up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
            base = ".".join([*up, base] if base else up)
        out = []
        for a in node.names:
            sub = f"{base}.{a.name}"
            out.append(sub if sub in MODULES else base)
        return [m for m in out if m in MODULES]
    return []


def _imports(top_only: bool = True) -> dict[str, set[str]]:
    graph = {}
    for name, (_, tree) in MODULES.items():
        nodes = tree.body if top_only else ast.walk(tree)
        graph[name] = {m for n in nodes for m in _targets(n, name) if m != name}
    return graph


def test_layers():
    bad = []
    for name, deps in _imports(top_only=False).items():
        for layer, banned in RULES.items():
            if name == layer or name.startswith(layer + "."):
                for d in deps:
                    if d.startswith(banned) and not (
                        layer == "openmrv.estimate" and d in ESTIMATE_USES_OBSERVE
                    ):
                        bad.append(f"{name} -> {d}")
                    if layer == "openmrv.estimate" and d.startswith("openmrv.observe"):
                        if d not in ESTIMATE_USES_OBSERVE:
                            bad.append(f"{name} -> {d}")
        if name in CORE:
            bad += [
                f"{name} -> {d}"
                for d in deps
                if not any(d == c or d.startswith(c + ".") for c in CORE)
            ]
    assert not bad, bad


def test_nothing_below_imports_the_workspace():
    bad = [
        f"{name} -> {d}"
        for name, deps in _imports(top_only=False).items()
        if name in CORE or name.startswith(BELOW_WORKSPACE)
        for d in deps
        if d.startswith("openmrv.workspace")
    ]
    assert not bad, bad


def test_no_import_circles():
    graph = _imports()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not circles, circles


def test_imports_at_the_top():
    local = []
    for name, (_, tree) in MODULES.items():
        if name.startswith("openmrv.cli"):
            continue  # the command line may defer imports to keep its start quick
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(fn):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        mod = (
                            node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                        )
                        if (mod or "").split(".")[0] not in LOCAL_OK:
                            local.append(f"{name}.{fn.name}: {mod}")
    assert not local, local


@pytest.mark.parametrize("name", sorted(MODULES))
def test_room_size(name):
    lines = len(MODULES[name][0].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines"
