"""The prepared-space fast path equals perturbing the raw rows."""

from __future__ import annotations

import numpy as np

from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.spec.loading import load_spec

from builders import linear_frame, small_spec, write_study


def test_prepared_space_ablation_equals_perturbing_raw_rows(tmp_path):
    """The fast path (ablate the prepared matrix) and the plain one (perturb rows, re-run the
    pipeline) give the same predictions, for numeric, categorical and grouped columns."""
    from ablation_pipeline.ablations.fitting import predict_with_scores
    from ablation_pipeline.ablations.perturbations import perturb
    from ablation_pipeline.ablations.prepared import prepared_columns
    from ablation_pipeline.ablations.variants import feature_predictions
    from ablation_pipeline.pipeline.steps import baseline
    from ablation_pipeline.pipeline.steps import study_splits as make_splits

    spec = small_spec(ablations=[{"features": ["a", "city", ["b", "city"]], "mode": "permute", "permutations": 3},
                                 {"features": ["city", "c"], "mode": "mean"},
                                 {"features": ["a", "city", ["b", "city"]], "mode": "conditional", "permutations": 2}])
    frame = linear_frame()
    frame.loc[::7, "a"] = np.nan  # missing values: the conditional draws keep them, the imputer fills them the same way
    frame.loc[3::11, "city"] = np.nan
    setup = set_up(plan_study(load_spec(write_study(tmp_path, spec, frame))))
    split = make_splits(setup)[0]
    model = baseline(setup, [split]).models[0]
    assert prepared_columns(model)["city"] == [4, 5]  # 4 numeric columns, then city's two categories
    for variant in setup.plan.variants:
        fast = feature_predictions(variant, model, setup.dataset, split, 1)
        slow = [predict_with_scores(model, perturb(variant, setup.dataset, split, d, 1)) for d in range(len(fast))]
        for (fast_pred, _), (slow_pred, _) in zip(fast, slow, strict=True):
            np.testing.assert_allclose(fast_pred, slow_pred, rtol=0, atol=1e-9, err_msg=variant.name)
