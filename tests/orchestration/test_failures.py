"""Failures during a run: a variant that cannot be computed is reported in one line and listed as
failed while every other variant finishes; a step that fails says what failed, not where joblib
re-raised it."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from ablation_pipeline.cli import app

from builders import linear_frame, small_spec, write_study

NEIGHBOURS = {"estimator": "KNeighborsRegressor", "params": {"n_neighbors": 5}}
TOO_MANY = "Expected n_neighbors <= n_samples_fit"  # scikit-learn's own words, from inside a fold worker


def run(path, tmp_path, *more):
    return CliRunner().invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "res"), *more])


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_a_failing_variant_is_listed_with_its_reason_and_the_others_finish(study_dir, tmp_path):
    spec = small_spec(model=NEIGHBOURS, evaluation={"folds": 3, "repeats": 1, "seed": 1, "metrics": ["rmse"]},
                      ablations=[{"features": ["a", "c"], "mode": "drop"}, {"param": "model.params.n_neighbors", "values": [3, 500]}])
    result = run(write_study(study_dir, spec, linear_frame()), tmp_path)
    assert result.exit_code == 1, result.output
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: small/sweep__n_neighbors__v500: split ") and TOO_MANY in lines[0], lines
    assert "RemoteTraceback" not in result.output and "Traceback" not in result.output
    table = pd.read_csv(tmp_path / "res" / "small" / "comparison.csv").set_index("variant")
    assert table.loc["sweep__n_neighbors__v500", "verdict"] == "failed" and TOO_MANY in table.loc["sweep__n_neighbors__v500", "reason"]
    assert table.drop(index="sweep__n_neighbors__v500")["verdict"].isin(["essential", "harmful", "removable", "inconclusive"]).all()
    assert table.loc["drop__a", "n_splits"] == 3 and table.loc["sweep__n_neighbors__v500", "n_splits"] == 0
    report = (tmp_path / "res" / "small" / "report.md").read_text()
    assert "**failed**" in report and TOO_MANY in report
    # never taken as up to date: the next run tries the failed variant again, and only it
    again = run(write_study(study_dir, spec), tmp_path)
    assert again.exit_code == 1 and "up to date" not in again.output


def test_a_failing_step_is_one_line_with_the_real_error(study_dir, tmp_path):
    spec = small_spec(model={"estimator": "KNeighborsRegressor", "params": {"n_neighbors": 500}},
                      evaluation={"folds": 3, "repeats": 1, "seed": 1, "metrics": ["rmse"]},
                      ablations=[{"features": ["a"], "mode": "drop"}])
    result = run(write_study(study_dir, spec, linear_frame()), tmp_path)
    assert result.exit_code == 1, result.output
    lines = error_lines(result)
    assert any(line.startswith("error: small/baseline: split ") and TOO_MANY in line for line in lines), lines
    assert all("RemoteTraceback" not in line and len(line) < 400 for line in lines)
    assert not (tmp_path / "res" / "small" / "comparison.csv").exists()
