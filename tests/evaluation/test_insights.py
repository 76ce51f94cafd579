"""Views across variants: the retrain gap pairs the two ways of ablating one component; dose-response
curves follow the swept factor; costs are per variant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation_pipeline.ablations.fitting import FoldPredictions, Outcome
from ablation_pipeline.data.splits import Split
from ablation_pipeline.evaluation.insights import cost_table, dose_responses, retrain_gaps, retrained_costs

from builders import comparison_row as row


def test_retrain_gap_pairs_refit_and_inference_variants_of_the_same_components():
    comparison = pd.DataFrame([
        row("drop__a", "drop", "a", "rmse", 2.0, 2.2, 0.1, 0.3, 4.0, 0.01, 1.5, "essential"),
        row("permute__a", "permute", "a", "rmse", 2.0, 3.0, 0.6, 1.4, 5.0, 0.01, 2.0, "essential"),
        row("permute__b", "permute", "b", "rmse", 2.0, 2.5, 0.3, 0.7, 5.0, 0.01, 2.0, "essential"),
    ])
    gaps = retrain_gaps(comparison, "rmse", {})
    assert gaps.to_dict("records") == [{"components": "a", "refit": "drop__a", "inference": "permute__a",
                                        "delta_refit": pytest.approx(0.2), "delta_inference": pytest.approx(1.0),
                                        "retrain_gap": pytest.approx(-0.8)}]


def test_dose_response_is_sorted_by_factor_with_the_interval_around_the_variant_mean():
    comparison = pd.DataFrame([
        row("scale__fc__x1", "scale", "fc", "accuracy", 0.9, 0.9, 0.0, 0.0, 0.0, 1.0, 0.0, "removable"),
        row("scale__fc__x0", "scale", "fc", "accuracy", 0.9, 0.1, -0.85, -0.75, -9.0, 1e-5, -5.0, "essential"),
    ])
    curve = dose_responses(comparison, "accuracy", {"scale__fc__x1": 1.0, "scale__fc__x0": 0.0})["fc"]
    assert curve["factor"].tolist() == [0.0, 1.0]
    np.testing.assert_allclose(curve[["value", "low", "high"]].to_numpy(), [[0.1, 0.05, 0.15], [0.9, 0.9, 0.9]])


def test_only_retrained_variants_have_their_own_costs():
    comparison = pd.DataFrame([
        row(name, mode, "x", "rmse", 1.0, 1.1, 0.0, 0.2, 1.0, 0.5, 0.1, "inconclusive")
        for name, mode in [("drop__x", "drop"), ("remove__fc", "remove"), ("sweep__alpha__v2", "sweep"), ("zero__fc", "zero"),
                           ("mean__x", "mean")]
    ])
    costs = pd.DataFrame({"variant": comparison.variant, "n_parameters": 1.0, "fit_seconds_per_split": 0.1,
                          "inference_ms_per_1000_rows": 0.1})
    assert retrained_costs(comparison, costs, "rmse").variant.tolist() == ["drop__x", "remove__fc", "sweep__alpha__v2"]


def test_cost_table_means_over_folds_per_thousand_test_rows():
    splits = [Split(0, 0, 0, np.arange(8), np.arange(8, 10)), Split(1, 0, 1, np.arange(2, 10), np.arange(2))]
    folds = [FoldPredictions(0, np.zeros((1, 2)), None, 0.2, 0.001, 10), FoldPredictions(1, np.zeros((1, 2)), None, 0.4, 0.003, 12)]
    table = cost_table([Outcome("baseline", folds)], splits)
    assert table.iloc[0].to_dict() == {"variant": "baseline", "n_parameters": 11.0, "fit_seconds_per_split": pytest.approx(0.3),
                                       "fit_cpu_seconds_per_split": 0.0,
                                       "inference_ms_per_1000_rows": pytest.approx(1000.0)}
