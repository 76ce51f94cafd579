"""Inference-time perturbations agree draw by draw with scikit-learn and Captum."""

from __future__ import annotations

import numpy as np
import torch

from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.pipeline.steps import study_splits as make_splits
from ablation_pipeline.spec.loading import load_spec

from builders import mlp_spec, write_study


def test_permute_agrees_with_sklearn_permutation_importance(small_study):
    """Same fitted model, same test rows, same random state: our permute draws and scikit-learn's
    permutation_importance repeats give the same scores, draw by draw."""
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import root_mean_squared_error

    from ablation_pipeline.ablations.perturbations import permutation_seed
    from ablation_pipeline.ablations.variants import run_variant
    from ablation_pipeline.pipeline.steps import baseline
    from ablation_pipeline.pipeline.steps import study_splits as make_splits

    setup = set_up(plan_study(load_spec(small_study)))
    splits = make_splits(setup)[:2]
    base = baseline(setup, splits)
    variant = setup.plan.variant("permute__a")
    ours = run_variant(variant, setup.estimator, setup.dataset, splits, 1, base)
    for split, model, fold in zip(splits, base.models, ours.folds, strict=True):
        rows, y = setup.dataset.features.iloc[split.test], setup.dataset.target[split.test]
        theirs = permutation_importance(model, rows[["a", "b", "c", "const", "city"]], y, scoring="neg_root_mean_squared_error",
                                        n_repeats=variant.permutations, random_state=permutation_seed(1, variant.name, split.index))
        base_rmse = root_mean_squared_error(y, model.predict(rows))
        our_importance = [root_mean_squared_error(y, fold.predictions[d]) - base_rmse for d in range(variant.permutations)]
        np.testing.assert_allclose(our_importance, theirs.importances[0], rtol=1e-12, atol=1e-12)


def test_feature_ablation_on_a_torch_model_agrees_with_captum(tmp_path):
    """Our `mean` feature ablation, on a fitted torch pipeline, equals Captum's FeatureAblation with
    the training mean as baseline (0 after the pipeline's scaler), row by row."""
    from captum.attr import FeatureAblation

    from ablation_pipeline.ablations.perturbations import perturb
    from ablation_pipeline.pipeline.steps import baseline

    spec = mlp_spec(ablations=[{"features": "each", "mode": "mean"}])
    setup = set_up(plan_study(load_spec(write_study(tmp_path, spec))))
    split = make_splits(setup)[0]
    model = baseline(setup, [split]).models[0]
    rows = setup.dataset.features.iloc[split.test]
    scaled = torch.tensor(model[:-1].transform(rows), dtype=torch.float32)
    network = model[-1].model_.eval()
    attribution = FeatureAblation(lambda x: torch.softmax(network(x), dim=1)).attribute(scaled, baselines=0.0, target=1)
    original = model.predict_proba(rows)[:, 1]
    for i, variant in enumerate(setup.plan.variants):
        ablated = model.predict_proba(perturb(variant, setup.dataset, split, 0, 0))[:, 1]
        np.testing.assert_allclose(original - ablated, attribution[:, i].detach().numpy(), atol=2e-6)
