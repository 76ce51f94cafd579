"""Turn stored predictions into the long scores table (variant, repeat, fold, metric, value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ablations.fitting import Outcome
from ..data.dataset import Dataset
from ..data.splits import Split
from .metrics import Metric, evaluate, trusted_inputs, values_per_row

SCORE_COLUMNS = ["variant", "repeat", "fold", "metric", "value"]


def score_outcomes(outcomes: list[Outcome], dataset: Dataset, splits: list[Split], metrics: list[Metric],
                   baseline: str = "baseline") -> pd.DataFrame:
    """Every metric for every outcome and split; random draws (permute) are averaged within a split. When
    the `baseline` outcome is among them, each other outcome's row gets `delta_variance`: its split delta's variance
    as the test rows tell it (NaN for the baseline and for metrics that are not means over rows)."""
    by_index = {s.index: s for s in splits}
    n_classes = len(dataset.classes) if dataset.classes else 0
    rows = []
    with trusted_inputs():
        _score(outcomes, dataset, by_index, n_classes, metrics, rows)
    table = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    base = next((o for o in outcomes if o.name == baseline), None)
    if base is None:
        return table
    found = [(o.name, by_index[f.split].repeat, by_index[f.split].fold, metric, value)
             for o in outcomes if o is not base
             for metric, values in delta_variances(o, base, dataset, splits, metrics).items()
             for f, value in zip(o.folds, values, strict=True)]
    dvar = pd.DataFrame(found, columns=["variant", "repeat", "fold", "metric", "delta_variance"])
    return table.merge(dvar, how="left", on=["variant", "repeat", "fold", "metric"], validate="many_to_one")


def _score(outcomes: list[Outcome], dataset: Dataset, by_index: dict, n_classes: int, metrics: list[Metric], rows: list) -> None:
    for outcome in outcomes:
        for fold in outcome.folds:
            split = by_index[fold.split]
            y_true = dataset.target[split.test]
            for metric in metrics:
                values = [
                    evaluate(metric, y_true, fold.predictions[d], None if fold.scores is None else fold.scores[d], n_classes)
                    for d in range(len(fold.predictions))
                ]
                rows.append((outcome.name, split.repeat, split.fold, metric.name, float(np.mean(values))))


def delta_variances(variant: Outcome, base: Outcome, dataset: Dataset, splits: list[Split],
                    metrics: list[Metric]) -> dict[str, list[float]]:
    """Per metric that is a mean over rows, per split of `variant` (in its fold order): the variance of that
    split's delta as its test rows tell it, var(row differences) / rows. Each row is a paired difference of
    the same row under the two models, so this is never zero when their predictions differ, however
    coarse the metric's steps (accuracy on 60 rows moves by 1/60)."""
    by_index = {s.index: s for s in splits}
    base_folds = {f.split: f for f in base.folds}
    n_classes = len(dataset.classes) if dataset.classes else 0
    out: dict[str, list[float]] = {m.name: [] for m in metrics if m.per_row is not None}
    if not out:
        return out
    with trusted_inputs():
        _paired_rows(variant, base_folds, dataset, by_index, n_classes, metrics, out)
    return out


def _paired_rows(variant: Outcome, base_folds: dict, dataset: Dataset, by_index: dict, n_classes: int, metrics: list[Metric],
                 out: dict[str, list[float]]) -> None:
    for fold in variant.folds:
        y_true = dataset.target[by_index[fold.split].test]
        for metric in metrics:
            if metric.per_row is None:
                continue
            rows = _mean_per_row(metric, y_true, fold, n_classes) - _mean_per_row(metric, y_true, base_folds[fold.split], n_classes)
            out[metric.name].append(float(np.var(rows, ddof=1) / rows.size) if rows.size > 1 else 0.0)


def _mean_per_row(metric: Metric, y_true: np.ndarray, fold, n_classes: int) -> np.ndarray:
    draws = [values_per_row(metric, y_true, fold.predictions[d], None if fold.scores is None else fold.scores[d], n_classes)
             for d in range(len(fold.predictions))]
    return np.mean(draws, axis=0)
