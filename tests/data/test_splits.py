"""The split plan every variant shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ablation_pipeline.data.dataset import Dataset
from ablation_pipeline.data.splits import Split, fold_labels, from_fold_labels, holdout_ratio, make_splits, rows_of
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


def test_the_plan_is_stored_as_fold_labels_and_given_back_exactly():
    for task, target in ((Task.REGRESSION, np.arange(103.0)), (Task.CLASSIFICATION, np.array([0] * 80 + [1] * 23))):
        splits = make_splits(dataset(task, target), EvaluationSpec(folds=5, repeats=4, seed=7))
        labels = fold_labels(splits, len(target))
        assert labels.shape == (4, 103) and labels.dtype == np.uint8
        again = from_fold_labels(labels)
        assert [(s.index, s.repeat, s.fold) for s in again] == [(s.index, s.repeat, s.fold) for s in splits]
        for mine, theirs in zip(again, splits, strict=True):
            assert mine.train.dtype == theirs.train.dtype
            assert np.array_equal(mine.train, theirs.train) and np.array_equal(mine.test, theirs.test)


def test_a_plan_that_is_not_a_partition_keeps_its_index_arrays():
    rows = np.arange(10)
    overlapping = [Split(0, 0, 0, rows[3:], rows[:4]), Split(1, 0, 1, rows[:3], rows[3:])]  # row 3 tested twice
    assert fold_labels(overlapping, 10) is None
    unsorted_train = [Split(0, 0, 0, rows[5:][::-1], rows[:5]), Split(1, 0, 1, rows[:5], rows[5:])]
    assert fold_labels(unsorted_train, 10) is None
    assert fold_labels([Split(0, 0, 0, rows[5:], rows[:5])], 12) is None  # rows 10 and 11 never tested
    unsorted_test = [Split(0, 0, 0, rows[5:], rows[:5][::-1]), Split(1, 0, 1, rows[:5], rows[5:])]
    assert fold_labels(unsorted_test, 10) is None  # would come back sorted: another order of predictions


def test_rows_of_a_contiguous_run_are_a_slice_and_any_other_rows_a_take():
    frame = pd.DataFrame(np.arange(40.0).reshape(10, 4), columns=list("abcd"))
    for index in (np.arange(6, 10), np.array([0, 2, 3]), np.array([3, 2]), np.array([5]), np.arange(0)):
        pd.testing.assert_frame_equal(rows_of(frame, index), frame.iloc[index])
    held_out = rows_of(frame, np.arange(6, 10))
    assert np.shares_memory(held_out.to_numpy(), frame.to_numpy())  # nothing copied
    assert not np.shares_memory(rows_of(frame, np.array([0, 2, 3])).to_numpy(), frame.to_numpy())
