"""The paired split plan: repeated K-fold (stratified for classification), shared by the baseline and
every variant so that each comparison is paired split by split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
    held_out: bool = False  # the one split of a held-out design (evaluation.holdout)


def make_splits(dataset: Dataset, evaluation: EvaluationSpec) -> list[Split]:
    """Repeated (stratified for classification) K-fold: one plan shared by the baseline and every variant;
    grouped when the dataset has groups."""
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    if evaluation.holdout is not None:
        return [_held_out_split(dataset, evaluation)]
    if dataset.split_order is not None:
        return _forward_chaining_splits(dataset, evaluation)
    if dataset.split_groups is not None:
        return _grouped_splits(dataset, evaluation)
    splitter_cls = RepeatedStratifiedKFold if dataset.task == Task.CLASSIFICATION else RepeatedKFold
    splitter = splitter_cls(n_splits=evaluation.folds, n_repeats=evaluation.planned_repeats, random_state=evaluation.seed)
    rows = np.zeros(dataset.n_rows)
    return [
        Split(index=i, repeat=i // evaluation.folds, fold=i % evaluation.folds, train=train, test=test)
        for i, (train, test) in enumerate(splitter.split(rows, dataset.target))
    ]


def _held_out_split(dataset: Dataset, evaluation: EvaluationSpec) -> Split:
    """The one split of a held-out design: the rows of `holdout.source` (the dataset's last rows), or a seeded
    `holdout.fraction` of the rows (stratified for classification), the model fitted on the rest."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(dataset.n_rows)
    if dataset.held_out:
        train, test = rows[: dataset.n_rows - dataset.held_out], rows[dataset.n_rows - dataset.held_out:]
    else:
        stratify = dataset.target if dataset.task == Task.CLASSIFICATION else None
        train, test = train_test_split(rows, test_size=evaluation.holdout.fraction, random_state=evaluation.seed, stratify=stratify)
    return Split(index=0, repeat=0, fold=0, train=np.sort(train), test=np.sort(test), held_out=True)


def _forward_chaining_splits(dataset: Dataset, evaluation: EvaluationSpec) -> list[Split]:
    """The rows in time order, cut into folds + 1 blocks of (nearly) equal size; split k trains on blocks
    0..k and tests on block k + 1: never trained on the future. One chain (no repeats, no shuffling)."""
    blocks = np.array_split(dataset.split_order, evaluation.folds + 1)
    return [Split(index=k, repeat=0, fold=k, train=np.sort(np.concatenate(blocks[: k + 1])), test=np.sort(blocks[k + 1]))
            for k in range(evaluation.folds)]


def _grouped_splits(dataset: Dataset, evaluation: EvaluationSpec) -> list[Split]:
    """Repeated group K-fold (stratified for classification): every group's rows on one side of each split.
    Each repeat draws its own shuffling seed from one generator seeded by `evaluation.seed`, in order, so
    the first R repeats are the same whatever the number planned (a longer design extends a shorter one)."""
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    splitter_cls = StratifiedGroupKFold if dataset.task == Task.CLASSIFICATION else GroupKFold
    seeds = np.random.RandomState(evaluation.seed).randint(np.iinfo(np.int32).max, size=evaluation.planned_repeats)
    rows, splits = np.zeros(dataset.n_rows), []
    for repeat, seed in enumerate(seeds):
        splitter = splitter_cls(n_splits=evaluation.folds, shuffle=True, random_state=int(seed))
        for fold, (train, test) in enumerate(splitter.split(rows, dataset.target, dataset.split_groups)):
            splits.append(Split(index=len(splits), repeat=repeat, fold=fold, train=np.sort(train), test=np.sort(test)))
    return splits


def fold_labels(splits: Sequence[Split], rows: int) -> np.ndarray | None:
    """The plan as each row's test fold per repeat (repeats x rows, the smallest unsigned type): one
    byte where the index arrays take 8 per fold. None when the plan is not a partition of the rows in
    every repeat (repeated K-fold always is), or not numbered repeat by repeat, fold by fold."""
    if not splits:
        return None
    folds, repeats = max(s.fold for s in splits) + 1, max(s.repeat for s in splits) + 1
    if [(s.index, s.repeat, s.fold) for s in splits] != [(i, i // folds, i % folds) for i in range(folds * repeats)]:
        return None
    labels = np.full((repeats, rows), -1, dtype=np.int64)
    for split in splits:
        if (labels[split.repeat, split.test] != -1).any():
            return None
        labels[split.repeat, split.test] = split.fold
    if (labels == -1).any():
        return None
    labelled = labels.astype(np.min_scalar_type(folds - 1))
    same = all(np.array_equal(s.train, np.flatnonzero(labelled[s.repeat] != s.fold))
               and np.array_equal(s.test, np.flatnonzero(labelled[s.repeat] == s.fold)) for s in splits)
    return labelled if same else None  # index arrays in another order would not come back as they were


def from_fold_labels(labels: np.ndarray) -> tuple[Split, ...]:
    """The plan `fold_labels` describes: the same splits, index arrays sorted as scikit-learn gives them."""
    folds = int(labels.max()) + 1
    return tuple(Split(index=r * folds + f, repeat=r, fold=f, train=np.flatnonzero(labels[r] != f),
                       test=np.flatnonzero(labels[r] == f)) for r in range(labels.shape[0]) for f in range(folds))


def rows_of(frame: Any, index: np.ndarray) -> Any:
    """`frame.iloc[index]`; a contiguous ascending run of rows (a held-out file's) as a slice, which copies
    nothing (taking 100,000 rows of 256 columns cost about 0.2 s, once per variant)."""
    if len(index) > 1 and int(index[-1]) - int(index[0]) == len(index) - 1 and bool((np.diff(index) == 1).all()):
        return frame.iloc[int(index[0]): int(index[-1]) + 1]
    return frame.iloc[index]


def holdout_ratio(splits: list[Split]) -> float:
    """n_test / n_train averaged over splits, for the Nadeau-Bengio variance correction; 0 for a held-out
    design, whose comparison is of one fitted model on one set of rows (no training set is resampled)."""
    if splits and all(s.held_out for s in splits):
        return 0.0
    return float(np.mean([len(s.test) / len(s.train) for s in splits]))
