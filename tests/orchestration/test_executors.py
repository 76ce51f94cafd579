"""Every executor gives the same numbers."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest
from typer.testing import CliRunner

from ablation_pipeline.cli import app


@pytest.mark.parametrize("executor", ["multiprocess", "dask"])
def test_executors_give_identical_scores(executor, small_study, tmp_path):
    """The same study in-process and on real step processes / a real Dask LocalCluster: same numbers."""
    runner = CliRunner()
    base = runner.invoke(app, ["run", str(small_study), "--results-dir", str(tmp_path / "in_process")])
    assert base.exit_code == 0, base.output
    other = runner.invoke(app, ["run", str(small_study), "--results-dir", str(tmp_path / executor), "--executor", executor, "--force"])
    assert other.exit_code == 0, other.output
    for name in ("scores.csv", "comparison.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "in_process" / "small" / name),
                                      pd.read_csv(tmp_path / executor / "small" / name))
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        assert run.tags["ablation/executor"] == executor and run.is_success
