"""Inference-time variants predicted together: fixed chunks, the same numbers as one predict per variant."""

from __future__ import annotations

import numpy as np
import pytest

from ablation_pipeline.ablations.batched import predict_together
from ablation_pipeline.ablations.chunks import ROW_BUDGET, chunks
from ablation_pipeline.ablations.plan import Variant
from ablation_pipeline.ablations.variants import run_variant
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.pipeline.steps import baseline
from ablation_pipeline.pipeline.steps import study_splits as make_splits

from builders import linear_frame, small_spec, write_study


def variants(n: int, mode: str = "mean", permutations: int = 1) -> list[Variant]:
    return [Variant(f"{mode}__f{i}", "feature", mode, f"f{i}", (f"f{i}",), permutations, f"ablations[0].features[{i}]")
            for i in range(n)]


def test_chunks_are_fixed_by_spec_and_data_size():
    assert [len(c) for c in chunks(variants(19), n_rows=300, folds=3)] == [8, 8, 3]
    assert [len(c) for c in chunks(variants(5, "permute", 3), n_rows=300, folds=3)] == [2, 2, 1]  # 8 draws per call at most
    huge = ROW_BUDGET * 3  # a test fold bigger than the row budget: one variant per call
    assert [len(c) for c in chunks(variants(3), n_rows=huge, folds=2)] == [1, 1, 1]


@pytest.fixture
def setup_and_base(tmp_path):
    spec = small_spec(ablations=[{"features": ["a", "c", "city", "b"], "mode": "mean"},
                                 {"features": ["a", "const"], "mode": "permute", "permutations": 3}])
    setup = check_study(write_study(tmp_path / "study", spec, linear_frame()))
    splits = make_splits(setup)
    return setup, splits, baseline(setup, splits)


def test_together_equals_one_predict_per_variant(setup_and_base):
    """Stacked predict calls give exactly what one call per variant and draw gives (`city` is
    categorical: its mean-fill is the most frequent category, one-hot in the prepared space)."""
    setup, splits, base = setup_and_base
    chosen = list(setup.plan.variants)
    together = predict_together(chosen, setup.dataset, splits, 1, base)
    for variant, outcome in zip(chosen, together, strict=True):
        alone = run_variant(variant, setup.estimator, setup.dataset, splits, 1, base)
        assert outcome.name == variant.name
        for mine, reference in zip(outcome.folds, alone.folds, strict=True):
            assert mine.predictions.shape == reference.predictions.shape == (variant.permutations if variant.mode == "permute" else 1,
                                                                             len(splits[mine.split].test))
            np.testing.assert_array_equal(mine.predictions, reference.predictions)
