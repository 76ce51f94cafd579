"""The paired split plan: repeated K-fold (stratified for classification), shared by the baseline and
every variant so that each comparison is paired split by split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spec.schema import EvaluationSpec
from ..vocabulary import Task
from .dataset import Dataset


@dataclass(frozen=True)
class Split:
    """One train/test split of the plan; every variant is evaluated on exactly these rows."""

    index: int
    repeat: int
    fold: int
    train: np.ndarray
    test: np.ndarray


def make_splits(dataset: Dataset, evaluation: EvaluationSpec) -> list[Split]:
    """Repeated (stratified for classification) K-fold: one plan shared by the baseline and every variant."""
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    splitter_cls = RepeatedStratifiedKFold if dataset.task == Task.CLASSIFICATION else RepeatedKFold
    splitter = splitter_cls(n_splits=evaluation.folds, n_repeats=evaluation.planned_repeats, random_state=evaluation.seed)
    rows = np.zeros(dataset.n_rows)
    return [
        Split(index=i, repeat=i // evaluation.folds, fold=i % evaluation.folds, train=train, test=test)
        for i, (train, test) in enumerate(splitter.split(rows, dataset.target))
    ]


def holdout_ratio(splits: list[Split]) -> float:
    """n_test / n_train averaged over splits, for the Nadeau-Bengio variance correction."""
    return float(np.mean([len(s.test) / len(s.train) for s in splits]))
