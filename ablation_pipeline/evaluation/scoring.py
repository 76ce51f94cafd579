"""Turn stored predictions into the long scores table (variant, repeat, fold, metric, value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ablations.fitting import Outcome
from ..data.dataset import Dataset
from ..data.splits import Split
from .metrics import Metric, evaluate, trusted_inputs, values_per_row
from .resampling import delta_variance, resampled_rows, resampled_values

SCORE_COLUMNS = ["variant", "repeat", "fold", "metric", "value"]
# What a split's paired row differences say (metrics that are means over rows; NaN otherwise): the delta's
# variance, var(differences) / rows; the share of rows whose correctness differs (differences of -1, 0, 1
# only, else NaN), from which a held-out test takes its null-restricted variance; the rows.
PAIRED_COLUMNS = ("delta_variance", "discordance", "test_rows")


def score_outcomes(outcomes: list[Outcome], dataset: Dataset, splits: list[Split], metrics: list[Metric],
                   baseline: str = "baseline", against: Outcome | None = None, resample_seed: int | None = None) -> pd.DataFrame:
    """Every metric for every outcome and split; random draws (permute) are averaged within a split. When
    the `baseline` outcome is among them (or is given as `against`), each other outcome's row gets the
    PAIRED_COLUMNS: its split delta's variance as the test rows tell it, the share of discordant rows and the
    rows (NaN for the baseline and for metrics that are not means over rows, unless `resample_seed` is given:
    a held-out split, where those metrics' delta variance is the paired bootstrap's, `resampling`). Each
    outcome's rows are scored once, the baseline's once per split and metric, however many variants pair with them."""
    by_index = {s.index: s for s in splits}
    n_classes = len(dataset.classes) if dataset.classes else 0
    base = against or next((o for o in outcomes if o.name == baseline), None)
    paired = _BaselineRows(base, dataset, by_index, n_classes, resample_seed)
    rows = []
    with trusted_inputs():
        for outcome in outcomes:
            for fold in outcome.folds:
                split = by_index[fold.split]
                y_true = dataset.target[split.test]
                for metric in metrics:
                    value, per_row = _scored(metric, y_true, fold, n_classes)
                    paired_rows = (np.nan, np.nan, np.nan)
                    if per_row is not None and base is not None and outcome is not base:
                        paired_rows = _paired_rows(per_row - paired.rows(fold.split, metric))
                    elif resample_seed is not None and base is not None and outcome is not base:
                        resampled = resampled_values(metric, y_true, fold, paired.resamples(fold.split), n_classes)
                        paired_rows = (delta_variance(resampled, paired.resampled(fold.split, metric)), np.nan, float(len(y_true)))
                    rows.append((outcome.name, split.repeat, split.fold, metric.name, value, *paired_rows))
    table = pd.DataFrame(rows, columns=[*SCORE_COLUMNS, *PAIRED_COLUMNS])
    return table if base is not None else table.drop(columns=list(PAIRED_COLUMNS))


def delta_variances(variant: Outcome, base: Outcome, dataset: Dataset, splits: list[Split],
                    metrics: list[Metric]) -> dict[str, list[float]]:
    """Per metric that is a mean over rows, per split of `variant` (in its fold order): the variance of that
    split's delta as its test rows tell it, var(row differences) / rows. Each row is a paired difference of
    the same row under the two models, so this is never zero when their predictions differ, however
    coarse the metric's steps (accuracy on 60 rows moves by 1/60)."""
    by_index = {s.index: s for s in splits}
    n_classes = len(dataset.classes) if dataset.classes else 0
    paired = _BaselineRows(base, dataset, by_index, n_classes)
    out: dict[str, list[float]] = {m.name: [] for m in metrics if m.per_row is not None}
    with trusted_inputs():
        for fold in variant.folds:
            y_true = dataset.target[by_index[fold.split].test]
            for metric in metrics:
                if metric.per_row is not None:
                    rows = _scored(metric, y_true, fold, n_classes)[1]
                    out[metric.name].append(_split_variance(rows - paired.rows(fold.split, metric)))
    return out


class _BaselineRows:
    """The baseline's per-row values on each split and metric, computed once, when first paired."""

    def __init__(self, base: Outcome | None, dataset: Dataset, by_index: dict, n_classes: int, seed: int | None = None):
        self.folds = {f.split: f for f in base.folds} if base is not None else {}
        self.dataset, self.by_index, self.n_classes, self.seed = dataset, by_index, n_classes, seed
        self.known: dict[tuple[int, str], np.ndarray] = {}
        self.rows_of: dict[int, np.ndarray] = {}
        self.values: dict[tuple[int, str], np.ndarray] = {}

    def resamples(self, split: int) -> np.ndarray:
        """The split's bootstrap resamples of its test rows, drawn once, shared by every variant."""
        if split not in self.rows_of:
            self.rows_of[split] = resampled_rows(self.dataset.target[self.by_index[split].test], bool(self.n_classes),
                                                 self.seed or 0, split)
        return self.rows_of[split]

    def resampled(self, split: int, metric: Metric) -> np.ndarray:
        """The baseline's metric on each of the split's resamples, computed once."""
        key = (split, metric.name)
        if key not in self.values:
            y_true = self.dataset.target[self.by_index[split].test]
            self.values[key] = resampled_values(metric, y_true, self.folds[split], self.resamples(split), self.n_classes)
        return self.values[key]

    def rows(self, split: int, metric: Metric) -> np.ndarray:
        key = (split, metric.name)
        if key not in self.known:
            y_true = self.dataset.target[self.by_index[split].test]
            self.known[key] = _scored(metric, y_true, self.folds[split], self.n_classes)[1]
        return self.known[key]


def _scored(metric: Metric, y_true: np.ndarray, fold, n_classes: int) -> tuple[float, np.ndarray | None]:
    """The metric on one split (draws averaged) and, for a mean over rows, each row's value (draws averaged)."""
    draws = range(len(fold.predictions))
    scores = [None if fold.scores is None else fold.scores[d] for d in draws]
    if metric.per_row is None:
        return float(np.mean([evaluate(metric, y_true, fold.predictions[d], scores[d], n_classes) for d in draws])), None
    per_draw = [values_per_row(metric, y_true, fold.predictions[d], scores[d], n_classes) for d in draws]
    return float(np.mean([float(np.mean(r)) for r in per_draw])), np.mean(per_draw, axis=0)


def _paired_rows(differences: np.ndarray) -> tuple[float, float, float]:
    binary = bool(np.isin(differences, (-1.0, 0.0, 1.0)).all())
    discordance = float(np.mean(np.abs(differences))) if binary and differences.size else np.nan
    return _split_variance(differences), discordance, float(differences.size)


def _split_variance(differences: np.ndarray) -> float:
    return float(np.var(differences, ddof=1) / differences.size) if differences.size > 1 else 0.0
