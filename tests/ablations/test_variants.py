"""One variant on every split: what a drop refits and what a knock-out changes."""

from __future__ import annotations

from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.pipeline.steps import study_splits as make_splits
from ablation_pipeline.spec.loading import load_spec


def test_categorical_feature_drop_removes_all_its_columns(small_study):
    setup = set_up(plan_study(load_spec(small_study)))
    assert setup.dataset.categorical == ("city",)
    from ablation_pipeline.ablations.variants import run_variant

    splits = make_splits(setup)
    outcome = run_variant(setup.plan.variant("drop__city"), setup.estimator, setup.dataset, splits[:1], 1, None)
    assert outcome.folds[0].predictions.shape == (1, len(splits[0].test))


def test_scale_one_is_the_baseline_and_zeroing_hurts(mlp_result):
    table = mlp_result.comparison[mlp_result.comparison.metric == "accuracy"].set_index("variant")
    same = table.loc["scale__hidden1__x1"]
    assert (same.delta, same.p_value) == (0.0, 1.0)  # weights x1: identical predictions, "no difference"
    assert table.loc["zero__hidden1", "delta"] < -0.2  # nothing flows through: near chance
    assert table.loc["scale__hidden1__x0", "delta"] < -0.2  # weights x0 leave only hidden1's bias: as bad
