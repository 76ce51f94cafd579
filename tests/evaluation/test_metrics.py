"""Metrics' default non-inferiority margins and the spec's two ways of giving one."""

import numpy as np
import pytest


def test_margins_read_in_the_metrics_units_or_as_a_percentage():
    from ablation_pipeline.evaluation.metrics import METRICS, Margin

    assert Margin.parse(500).resolve(14_000.0) == 500
    assert Margin.parse("2%").resolve(-300.0) == pytest.approx(6.0)
    # defaults read the same on every scale: 1% of an error, one point of a score in [0, 1]
    assert METRICS["rmse"].margin.resolve(20_000.0) == pytest.approx(200.0)
    assert METRICS["log_loss"].margin.resolve(0.5) == pytest.approx(0.005)
    assert METRICS["accuracy"].margin.resolve(0.9) == METRICS["r2"].margin.resolve(0.3) == 0.01


@pytest.mark.parametrize("rows", [1, 7, 500])
def test_rmse_is_scikit_learns(rows):
    """rmse is computed from the squared errors (no input checks per call): scikit-learn's number."""
    from sklearn.metrics import root_mean_squared_error

    from ablation_pipeline.evaluation.metrics import METRICS, evaluate

    rng = np.random.default_rng(rows)
    y, pred = rng.normal(size=rows) * 1e4, rng.normal(size=rows) * 1e4
    assert evaluate(METRICS["rmse"], y, pred, None, 0) == pytest.approx(root_mean_squared_error(y, pred), rel=1e-12)
    assert evaluate(METRICS["rmse"], y.astype(int), pred, None, 0) == pytest.approx(root_mean_squared_error(y.astype(int), pred), rel=1e-12)
