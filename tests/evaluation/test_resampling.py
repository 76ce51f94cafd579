"""The paired bootstrap that gives a held-out split's delta variance for a metric that is not a mean over
rows: against DeLong's variance of a difference of two correlated AUCs (computed here from its placement
values), zero for identical predictions, every class in every resample, the same draws for the same seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ablation_pipeline.ablations.fitting import FoldPredictions, Outcome
from ablation_pipeline.data.dataset import Dataset
from ablation_pipeline.data.splits import Split
from ablation_pipeline.evaluation.metrics import resolve_metrics
from ablation_pipeline.evaluation.resampling import RESAMPLES, resampled_rows
from ablation_pipeline.evaluation.scoring import score_outcomes
from ablation_pipeline.vocabulary import Task


def binormal(rng: np.random.Generator, y: np.ndarray, auc: float, noise: np.ndarray, correlation: float) -> np.ndarray:
    own = correlation * noise + np.sqrt(1 - correlation**2) * rng.normal(size=len(y))
    return np.sqrt(2) * stats.norm.ppf(auc) * y + own


def outcome(name: str, score: np.ndarray) -> Outcome:
    probability = 1 / (1 + np.exp(-score))
    draw = ((probability > 0.5).astype(int), np.column_stack([1 - probability, probability]))
    return Outcome(name, [FoldPredictions.of_draws(0, [draw], 0.0, None)])


def scored(y: np.ndarray, scores: dict[str, np.ndarray], metrics=("roc_auc", "f1"), seed: int = 4) -> pd.DataFrame:
    split = Split(0, 0, 0, np.arange(0), np.arange(len(y)), held_out=True)
    dataset = Dataset(features=pd.DataFrame(index=range(len(y))), target=y, target_name="y", task=Task.CLASSIFICATION,
                      numeric=(), categorical=(), classes=("0", "1"), version="test")
    outcomes = [outcome(name, s) for name, s in scores.items()]
    table = score_outcomes(outcomes, dataset, [split], resolve_metrics(metrics, Task.CLASSIFICATION), resample_seed=seed)
    return table.set_index(["variant", "metric"])


def delong_delta_variance(y: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """DeLong, DeLong & Clarke-Pearson (1988): the variance of AUC(first) - AUC(second) on the same rows."""
    def placements(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        positive, negative = score[y == 1], score[y == 0]
        wins = (positive[:, None] > negative[None, :]) + 0.5 * (positive[:, None] == negative[None, :])
        return wins.mean(axis=1), wins.mean(axis=0)

    (a10, a01), (b10, b01) = placements(first), placements(second)
    s10, s01 = np.cov(np.vstack([a10, b10])), np.cov(np.vstack([a01, b01]))
    return float((s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / len(a10) + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / len(a01))


def test_the_bootstrap_variance_of_an_auc_difference_is_delongs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1500)
    noise = rng.normal(size=len(y))
    base, variant = binormal(rng, y, 0.85, noise, 1.0), binormal(rng, y, 0.82, noise, 0.9)
    table = scored(y, {"baseline": base, "zero__layer": variant})
    bootstrap = table.loc[("zero__layer", "roc_auc"), "delta_variance"]
    assert bootstrap / delong_delta_variance(y, variant, base) == pytest.approx(1.0, abs=0.25)  # B = 200: ~10% noise
    assert table.loc[("zero__layer", "roc_auc"), "test_rows"] == 1500
    assert np.isnan(table.loc[("zero__layer", "roc_auc"), "discordance"])
    assert table.loc[("zero__layer", "f1"), "delta_variance"] > 0
    assert table.loc[("zero__layer", "roc_auc"), "delta_variance"] == scored(y, {"baseline": base, "zero__layer": variant})\
        .loc[("zero__layer", "roc_auc"), "delta_variance"]  # the same seed draws the same resamples


def test_identical_predictions_have_no_delta_variance():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    base = binormal(rng, y, 0.8, rng.normal(size=300), 1.0)
    table = scored(y, {"baseline": base, "mean__layer": base.copy()})
    assert table.loc[("mean__layer", "roc_auc"), "delta_variance"] == 0.0
    assert table.loc[("mean__layer", "f1"), "delta_variance"] == 0.0


def test_classification_resamples_keep_every_class_and_its_count():
    y = np.array([0] * 90 + [1] * 8 + [2] * 2)
    rows = resampled_rows(y, classification=True, seed=3, split=0)
    assert rows.shape == (RESAMPLES, 100)
    assert all((np.bincount(y[r], minlength=3) == [90, 8, 2]).all() for r in rows)
    assert (resampled_rows(y, True, 3, 0) == rows).all() and not (resampled_rows(y, True, 3, 1) == rows).all()
