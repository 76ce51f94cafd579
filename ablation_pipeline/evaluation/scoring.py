"""Turn stored predictions into the long scores table (variant, repeat, fold, metric, value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ablations.fitting import Outcome
from ..data.dataset import Dataset
from ..data.splits import Split
from .metrics import Metric, evaluate, trusted_inputs

SCORE_COLUMNS = ["variant", "repeat", "fold", "metric", "value"]


def score_outcomes(outcomes: list[Outcome], dataset: Dataset, splits: list[Split], metrics: list[Metric]) -> pd.DataFrame:
    """Every metric for every outcome and split; random draws (permute) are averaged within a split."""
    by_index = {s.index: s for s in splits}
    n_classes = len(dataset.classes) if dataset.classes else 0
    rows = []
    with trusted_inputs():
        _score(outcomes, dataset, by_index, n_classes, metrics, rows)
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


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
