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


@pytest.mark.parametrize("classes", [2, 3, 5])
@pytest.mark.parametrize("rows", [8, 60, 500])
def test_roc_auc_is_scikit_learns_ties_included(classes, rows):
    """roc_auc is the Mann-Whitney statistic on average ranks (no input checks per call): scikit-learn's
    number, binary and one-vs-rest, with tied scores (rounded) and without."""
    from sklearn.metrics import roc_auc_score

    from ablation_pipeline.evaluation.metrics import METRICS, evaluate

    rng = np.random.default_rng(rows * classes)
    y = np.r_[np.arange(classes), rng.integers(0, classes, rows - classes)]
    for decimals in (None, 1):
        logits = rng.normal(size=(rows, classes)) + 1.5 * np.eye(classes)[y]
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        if decimals is not None:  # ties in every column, then rows that still sum to one
            proba = np.round(proba, decimals)
            proba[:, -1] = 1.0 - proba[:, :-1].sum(axis=1)
        expected = roc_auc_score(y, proba[:, 1]) if classes == 2 else roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(classes))
        assert evaluate(METRICS["roc_auc"], y, proba.argmax(1), proba, classes) == pytest.approx(expected, rel=1e-12)


def test_roc_auc_leaves_what_scikit_learn_refuses_to_scikit_learn():
    from sklearn.exceptions import UndefinedMetricWarning

    from ablation_pipeline.evaluation.metrics import METRICS, evaluate

    with pytest.warns(UndefinedMetricWarning, match="Only one class"):
        assert np.isnan(evaluate(METRICS["roc_auc"], np.ones(5, dtype=int), np.ones(5), np.full((5, 2), 0.5), 2))
    with pytest.raises(ValueError, match="sum up to 1"):
        evaluate(METRICS["roc_auc"], np.arange(6) % 3, np.zeros(6), np.full((6, 3), 0.5), 3)


@pytest.mark.parametrize("name", ["precision", "recall", "f1", "balanced_accuracy"])
def test_the_label_metrics_are_scikit_learns(name):
    """From per-class counts (no input checks per call): scikit-learn's number, binary and macro, with
    classes missing from the predictions, from the truth, from both, and one class predicted for all."""
    import warnings

    from sklearn import metrics as skm

    from ablation_pipeline.evaluation.metrics import METRICS, evaluate

    rng = np.random.default_rng(len(name))
    cases = [(classes, rng.integers(0, classes, rows), rng.integers(0, classes, rows))
             for classes in (2, 3, 6) for rows in (1, 5, 40)]
    cases += [(4, np.array([0, 0, 1, 1]), np.array([0, 0, 0, 0])),   # classes 2 and 3 nowhere, 1 never predicted
              (3, np.array([0, 1, 0, 1]), np.array([2, 2, 1, 0])),   # a predicted class the truth lacks
              (2, np.zeros(6, dtype=int), np.zeros(6, dtype=int)),   # no positive at all
              (2, np.array([0, 1, 1]), np.array([1, 1, 1]))]
    for classes, y, pred in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name == "balanced_accuracy":
                expected = skm.balanced_accuracy_score(y, pred)
            else:
                average = {"average": "binary", "pos_label": 1} if classes == 2 else {"average": "macro"}
                expected = getattr(skm, f"{name}_score")(y, pred, zero_division=0, **average)
            assert evaluate(METRICS[name], y, pred, None, classes) == pytest.approx(expected, rel=1e-12, abs=1e-15), (classes, y, pred)
