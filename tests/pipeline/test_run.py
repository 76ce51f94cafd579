"""A whole study in one process, on real fits: exact outputs, hand-computable deltas, ground truth, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_friedman1

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.vocabulary import COMPARISON_COLUMNS, DETAIL_COLUMNS

from builders import linear_frame, small_spec, write_study


def test_study_writes_exact_outputs(small_study, tmp_path):
    result = run_study(load_spec(small_study), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".ablation-results.json",
        "comparison.csv", "costs.csv", "costs.png", "forest_r2.png", "forest_rmse.png", "report.md", "scores.csv", "state.json"]
    written = pd.read_csv(tmp_path / "out" / "comparison.csv")
    assert list(written.columns) == [*COMPARISON_COLUMNS, *DETAIL_COLUMNS]  # the contract first, then the details
    # reason: only for failed variants; splits_to_decide: empty when out of reach
    assert not written[list(COMPARISON_COLUMNS)].drop(columns=["t", "effect_size_dz", "reason"]).isna().any().any()
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert list(scores.columns) == ["variant", "repeat", "fold", "metric", "value", "delta_variance", "discordance", "test_rows"]
    # 1 baseline + 7 variants, 6 splits, 2 metrics
    assert len(scores) == 8 * 6 * 2
    assert set(result.comparison.variant) == {
        "drop__a", "drop__c", "drop__city", "drop__ab", "permute__a", "permute__const", "mean__b"}


def test_deltas_match_hand_computation(small_study):
    """mean__b replaces b by its training mean: prediction shifts by coef_b * (mean_train(b) - b)."""
    setup = set_up(plan_study(load_spec(small_study)))
    result = run_study(load_spec(small_study))
    scores = result.scores.set_index(["variant", "repeat", "fold", "metric"])["value"]
    from ablation_pipeline.pipeline.steps import baseline
    from ablation_pipeline.pipeline.steps import study_splits as make_splits

    splits = make_splits(setup)
    fitted = baseline(setup, splits)
    frame = setup.dataset.features
    for split, model in zip(splits, fitted.models, strict=True):
        test = frame.iloc[split.test]
        y = setup.dataset.target[split.test]
        ablated = test.assign(b=frame.iloc[split.train]["b"].mean())
        expected = np.sqrt(np.mean((model.predict(ablated) - y) ** 2))
        assert scores[("mean__b", split.repeat, split.fold, "rmse")] == pytest.approx(expected, rel=1e-12)
        # dropping both a and b leaves city + c: an independent refit by hand
        from sklearn.linear_model import LinearRegression

        x_train = pd.get_dummies(frame.iloc[split.train][["c", "const", "city"]], dtype=float)
        x_test = pd.get_dummies(test[["c", "const", "city"]], dtype=float)
        by_hand = LinearRegression().fit(x_train, setup.dataset.target[split.train]).predict(x_test)
        assert scores[("drop__ab", split.repeat, split.fold, "rmse")] == pytest.approx(np.sqrt(np.mean((by_hand - y) ** 2)), rel=1e-9)


def test_identical_predictions_give_no_difference(small_study):
    """Permuting a constant column changes nothing: zero deltas, p = 1, removable, never NaN."""
    table = run_study(load_spec(small_study)).comparison
    row = table[(table.variant == "permute__const") & (table.metric == "rmse")].iloc[0]
    assert (row.delta, row.ci_low, row.ci_high, row.t, row.p_value) == (0.0, 0.0, 0.0, 0.0, 1.0)
    assert row.verdict == "removable"


def test_verdicts_follow_the_data(small_study):
    table = run_study(load_spec(small_study)).comparison
    rmse = table[table.metric == "rmse"].set_index("variant")["verdict"]
    assert rmse["drop__a"] == "essential" and rmse["drop__ab"] == "essential" and rmse["drop__city"] == "essential"
    assert rmse["permute__a"] == "essential" and rmse["mean__b"] == "essential"
    assert rmse["drop__c"] != "essential"


def test_same_spec_same_numbers(small_study):
    first = run_study(load_spec(small_study)).comparison
    second = run_study(load_spec(small_study)).comparison
    pd.testing.assert_frame_equal(first, second)


def test_friedman_ground_truth(tmp_path):
    """make_friedman1: only x0..x4 drive y. They must come out essential; x5..x7 must not."""
    X, y = make_friedman1(n_samples=500, n_features=8, noise=1.0, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)]).assign(y=y)
    spec = {
        "name": "friedman", "data": {"source": "data.csv", "target": "y"},
        "model": {"estimator": "RandomForestRegressor", "params": {"n_estimators": 25, "max_features": 0.5, "min_samples_leaf": 3}},
        "evaluation": {"folds": 5, "repeats": 2, "seed": 0, "metrics": ["rmse"]},
        "ablations": [{"features": "each", "mode": "drop"}],
    }
    table = run_study(load_spec(write_study(tmp_path, spec, frame))).comparison.set_index("variant")
    for informative in range(5):
        assert table.loc[f"drop__x{informative}", "verdict"] == "essential"
    for noise in range(5, 8):
        assert table.loc[f"drop__x{noise}", "verdict"] != "essential"
        assert table.loc[f"drop__x{noise}", "ci_low"] < 0 < table.loc[f"drop__x{noise}", "ci_high"]


def test_classification_study_with_groups(tmp_path):
    spec = {
        "name": "cancer", "data": {"source": "sklearn:breast_cancer", "target": "target",
                                   "groups": {"size": ["mean_radius", "mean_perimeter", "mean_area",
                                                       "worst_radius", "worst_perimeter", "worst_area"]}},
        "model": {"estimator": "LogisticRegression", "params": {"max_iter": 500}},
        "evaluation": {"folds": 3, "repeats": 2, "metrics": ["accuracy", "roc_auc", "f1", "error_rate"]},
        "ablations": [{"features": ["size", "mean_texture"], "mode": "permute", "permutations": 2}],
    }
    result = run_study(load_spec(write_study(tmp_path, spec)))
    assert set(result.comparison.metric) == {"accuracy", "roc_auc", "f1", "error_rate"}
    base = result.scores[result.scores.variant == "baseline"].groupby("metric")["value"].mean()
    assert base["accuracy"] > 0.9 and base["roc_auc"] > 0.95
    assert base["error_rate"] == pytest.approx(1 - base["accuracy"])
    size = result.comparison[(result.comparison.variant == "permute__size") & (result.comparison.metric == "accuracy")].iloc[0]
    assert size.delta < 0 and size.verdict == "essential"


def test_noise_sweep_is_a_dose_response(small_study, tmp_path):
    spec = small_spec(ablations=[{"features": ["a"], "mode": "noise", "factors": [0, 0.5, 2], "permutations": 2}])
    table = run_study(load_spec(write_study(tmp_path / "noise", spec, linear_frame()))).comparison
    rmse = table[table.metric == "rmse"].set_index("variant")["delta"]
    assert rmse["noise__a__x0"] == 0.0 and 0 < rmse["noise__a__x0_5"] < rmse["noise__a__x2"]


def test_retrained_sweep_of_a_model_setting(tmp_path):
    """param + values: one retrained variant per value; a huge Ridge alpha shrinks the fit towards the mean."""
    spec = small_spec(model={"estimator": "Ridge", "params": {"alpha": 1.0}},
                      ablations=[{"param": "model.params.alpha", "values": [1.0, 1000.0]}])
    result = run_study(load_spec(write_study(tmp_path, spec, linear_frame())), tmp_path / "out")
    rmse = result.comparison[result.comparison.metric == "rmse"].set_index("variant")
    assert list(rmse.index) == ["sweep__alpha__v1", "sweep__alpha__v1000"]
    assert rmse.loc["sweep__alpha__v1", "delta"] == 0.0  # the baseline's own setting
    assert rmse.loc["sweep__alpha__v1000", "verdict"] == "essential"
    assert "## Dose-response" in (tmp_path / "out" / "report.md").read_text()
