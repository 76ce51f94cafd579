"""The benchmarks keep working as the package changes: every name they import from it exists, also
the ones imported inside functions (calibration.py's simulation imported a renamed step and failed
only when it had a new study to simulate)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def package_imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ablation_pipeline") for alias in node.names]


def resolves(module: str, name: str) -> bool:
    if hasattr(importlib.import_module(module), name):
        return True
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


def test_every_name_a_benchmark_imports_from_the_package_exists():
    scripts = sorted(BENCHMARKS.glob("*.py"))
    assert len(scripts) > 10
    missing = [f"{path.name}: from {module} import {name}" for path in scripts for module, name in package_imports(path)
               if not resolves(module, name)]
    assert missing == []
