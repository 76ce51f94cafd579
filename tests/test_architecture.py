"""The package's shape: each folder is one layer, imports point only downwards (function-level
imports included), there is no import cycle, and heavy or orchestration libraries are imported only
by the layer that needs them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from builders import REPO

PACKAGE = REPO / "ablation_pipeline"
# Bottom to top. A module may import its own layer's modules and any layer below it.
LAYERS = ["errors", "vocabulary", "store", "spec", "data", "torch_nets", "ablations", "evaluation", "stats", "report",
          "pipeline", "orchestration", "api", "cli", "defs", "definitions", "__init__"]  # defs: component instances (YAML)
RANK = {"errors": 0, "vocabulary": 0, **{layer: i for i, layer in enumerate(LAYERS) if i > 1}}
ONLY_IN = {"dagster": ("orchestration",), "dagster_dask": ("orchestration",), "torch": ("torch_nets",),
           "matplotlib": ("report.forest", "report.plots")}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> tuple[set[str], set[str]]:
    """(package modules, top-level outside packages) that `name` imports anywhere in its code."""
    path = MODULES[name]
    package = name.rsplit(".", 1)[0] if path.name != "__init__.py" and "." in name else (name if path.name == "__init__.py" else "")
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = alias.name
                if target.startswith("ablation_pipeline."):
                    inside.add(target.removeprefix("ablation_pipeline."))
                elif target != "ablation_pipeline":
                    outside.add(target.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("ablation_pipeline"):
                target = node.module.removeprefix("ablation_pipeline").lstrip(".")
            else:
                outside.add((node.module or "").split(".")[0])
                continue
            for alias in node.names:  # `from ..pipeline import paths` imports the module pipeline.paths
                submodule = f"{target}.{alias.name}" if target else alias.name
                inside.add(submodule if submodule in MODULES else target)
    inside.discard("")
    return inside, outside


GRAPH = {name: imports_of(name) for name in MODULES}


def layer(name: str) -> str:
    return name.split(".")[0]


def test_imports_point_only_downwards():
    upward = [f"{name} -> {target}" for name, (inside, _) in GRAPH.items() for target in inside
              if RANK[layer(target)] > RANK[layer(name)]]
    assert upward == []


def test_no_import_cycle_anywhere():
    state: dict[str, int] = {}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH[name][0]):
            if target not in GRAPH:
                continue
            if state.get(target) == 1:
                cycles.append(" -> ".join([*trail[trail.index(target):], target]) if target in trail else target)
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []


@pytest.mark.parametrize("library", sorted(ONLY_IN))
def test_libraries_are_imported_only_where_they_belong(library):
    allowed = ONLY_IN[library]
    importers = sorted(name for name, (_, outside) in GRAPH.items() if library in outside)
    misplaced = [name for name in importers if not any(name == place or name.startswith(f"{place}.") for place in allowed)]
    assert importers and misplaced == []


def test_modules_are_small():
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: size for name, size in sizes.items() if size > MAX_LINES} == {}


def test_every_module_belongs_to_a_known_layer():
    assert {layer(name) for name in MODULES} <= set(RANK)


def test_core_imports_without_dagster():
    code = ("import sys, ablation_pipeline.pipeline.run, ablation_pipeline.report.files, ablation_pipeline.cli; "
            "print('dagster' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"
