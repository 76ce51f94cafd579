"""Failures say one line, whatever fails: a fit that raises in the baseline's step or in a variant's, on
the in-process and the multiprocess executors, ends `ablation run` with one error line per failed step
(the asset and the cause), the summary, and no Dagster log records or tracebacks in the terminal (they
stay in the run's log). A plan over the project's bound of variants is one line before anything runs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from builders import cache_spec, linear_frame, write_study

FLAKY_MODEL = """
from sklearn.linear_model import Ridge


class Picky(Ridge):
    \"\"\"A Ridge that refuses to be fitted without column `{missing}` (or, with `always`, at all).\"\"\"

    def __init__(self, alpha=1.0, always=False):
        super().__init__(alpha=alpha)
        self.always = always

    def fit(self, X, y, sample_weight=None):
        if self.always or X.shape[1] < {width}:
            raise RuntimeError("the solver diverged on this fold")
        return super().fit(X, y, sample_weight)
"""


def run(path: Path, tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "code"), "ABLATION_TRUSTED_MODULES": "picky", "COLUMNS": "160"}
    return subprocess.run([str(Path(sys.executable).with_name("ablation")), "run", str(path), *options], capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
@pytest.mark.parametrize("where", ["variant", "baseline"])
def test_a_failed_fit_is_one_line_in_the_terminal(tmp_path, executor, where):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "picky.py").write_text(textwrap.dedent(FLAKY_MODEL.format(missing="a", width=5)))
    spec = cache_spec(model={"estimator": "picky.Picky", "params": {"always": where == "baseline"}},
                      ablations=[{"features": ["a"], "mode": "drop"}, {"features": ["b"], "mode": "permute"}])
    path = write_study(tmp_path / "study", spec, linear_frame().drop(columns=["c"]))
    done = run(path, tmp_path, "--executor", executor)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and " - dagster - " not in output and "ERROR" not in output, output
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    if where == "variant":  # the study goes on without it: the table, then its line
        assert errors == ["error: small/drop__a: split 0 (repeat 0, fold 0): RuntimeError: the solver diverged on this fold"], output
        assert "permute__b" in done.stdout
    else:  # nothing can be compared without a baseline: its step's line, and the retrained variant's, which fails too
        assert sorted(errors) == [f"error: small/{name}: split 0 (repeat 0, fold 0): RuntimeError: the solver diverged on this fold"
                                  for name in ("baseline", "drop__a")], output


def test_more_variants_than_the_project_allows_is_one_line_before_anything_runs(tmp_path, monkeypatch):
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 1201)), columns=[f"c{i}" for i in range(1200)] + ["y"])
    spec = {"name": "wide", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "Ridge"},
            "ablations": [{"features": "each", "mode": "drop"}]}
    path = write_study(tmp_path / "study", spec, frame)
    ablation = str(Path(sys.executable).with_name("ablation"))
    done = subprocess.run([ablation, "validate", str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.strip() == (
        f"error: {path}: ablations: 1200 variants, more than the 1000 a study may plan here; raise "
        "[tool.ablation_pipeline] max_variants in the project's pyproject.toml, or ABLATION_MAX_VARIANTS")
    (tmp_path / "pyproject.toml").write_text("[tool.ablation_pipeline]\nmax_variants = 1500\n")
    raised = subprocess.run([ablation, "validate", str(path)], capture_output=True, text=True, timeout=300)
    assert raised.returncode == 0 and "1200 variants" in raised.stdout
    assert not (tmp_path / "results").exists()
