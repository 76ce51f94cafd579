"""The split plan every variant shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ablation_pipeline.data.dataset import Dataset
from ablation_pipeline.data.splits import holdout_ratio, make_splits
from ablation_pipeline.spec.schema import EvaluationSpec
from ablation_pipeline.vocabulary import Task


def dataset(task: Task, target: np.ndarray) -> Dataset:
    return Dataset(pd.DataFrame({"x": np.arange(len(target), dtype=float)}), target, "y", task, ("x",), (), None, "v")


def test_repeated_folds_cover_every_row_once_per_repeat():
    splits = make_splits(dataset(Task.REGRESSION, np.arange(50.0)), EvaluationSpec(folds=5, repeats=3, seed=1))
    assert [(s.index, s.repeat, s.fold) for s in splits[:6]] == [(0, 0, 0), (1, 0, 1), (2, 0, 2), (3, 0, 3), (4, 0, 4), (5, 1, 0)]
    for repeat in range(3):
        tests = np.concatenate([s.test for s in splits if s.repeat == repeat])
        assert sorted(tests) == list(range(50))
    assert holdout_ratio(splits) == 10 / 40


def test_classification_folds_are_stratified_and_the_plan_is_seeded():
    target = np.array([0] * 40 + [1] * 10)
    splits = make_splits(dataset(Task.CLASSIFICATION, target), EvaluationSpec(folds=5, repeats=1, seed=3))
    assert all(np.bincount(target[s.test]).tolist() == [8, 2] for s in splits)
    again = make_splits(dataset(Task.CLASSIFICATION, target), EvaluationSpec(folds=5, repeats=1, seed=3))
    assert all((a.test == b.test).all() for a, b in zip(splits, again, strict=True))
