"""The package's public face: the names README and the docstring promise, loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import ablation_pipeline

from builders import REPO, linear_frame, small_spec, write_study


def test_every_public_name_resolves():
    assert {name: getattr(ablation_pipeline, name).__name__ for name in ablation_pipeline.__all__} == {
        name: name for name in ablation_pipeline.__all__}


def test_importing_the_package_loads_no_library():
    code = "import sys, ablation_pipeline; print(sorted(m for m in ('pandas', 'sklearn', 'pydantic', 'dagster') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_the_docstring_example_runs(tmp_path):
    from ablation_pipeline import check_study, load_spec, run_study

    path = write_study(tmp_path, small_spec(), linear_frame())
    assert check_study(path).plan.spec.name == "small"
    result = run_study(load_spec(path), tmp_path / "out")
    assert set(result.comparison.query("metric == 'rmse'")["verdict"]) <= {"essential", "harmful", "removable", "inconclusive"}
