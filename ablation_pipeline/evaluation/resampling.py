"""A held-out split's delta variance for a metric that is not a mean over rows (AUC, F1, RMSE, R²...),
where no per-row difference tells it: the paired bootstrap. The same resampled rows score the baseline
and the variant, so the spread of their differences is the delta's own (two models that agree on most
rows have a small one, however wide each metric's). Resampled within each class for classification:
every resample holds every class, as AUC and the per-class scores need, in the split's proportions."""

from __future__ import annotations

import numpy as np

from .metrics import Metric, evaluate

RESAMPLES = 200  # the variance's own relative error is about sqrt(2 / RESAMPLES): 10%


def resampled_rows(y_true: np.ndarray, classification: bool, seed: int, split: int, resamples: int = RESAMPLES) -> np.ndarray:
    """`resamples` x rows indices into the split's test rows, seeded by the study's seed and the split."""
    rng = np.random.default_rng([seed, split, 0x5EED])
    if not classification:
        return rng.integers(0, len(y_true), size=(resamples, len(y_true)))
    strata = [np.flatnonzero(y_true == label) for label in np.unique(y_true)]
    return np.concatenate([members[rng.integers(0, len(members), size=(resamples, len(members)))] for members in strata], axis=1)


def resampled_values(metric: Metric, y_true: np.ndarray, fold, rows: np.ndarray, n_classes: int) -> np.ndarray:
    """The metric on each resample of one split's predictions (random draws averaged, as the split's value is)."""
    draws = range(len(fold.predictions))
    return np.array([np.mean([evaluate(metric, y_true[idx], fold.predictions[d][idx],
                                       None if fold.scores is None else fold.scores[d][idx], n_classes) for d in draws])
                     for idx in rows])


def delta_variance(variant_values: np.ndarray, base_values: np.ndarray) -> float:
    """The variance of the split's delta, as the paired resamples spread it."""
    return float(np.var(variant_values - base_values, ddof=1))
