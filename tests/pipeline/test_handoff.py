"""What one step hands the next: the study's data is stored with its split plan as fold labels."""

from __future__ import annotations

import pickle

import numpy as np

from ablation_pipeline.pipeline.handoff import StudyData
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.pipeline.steps import study_splits

from builders import linear_frame, small_spec, write_study


def test_study_data_is_stored_with_its_plan_as_fold_labels(tmp_path):
    evaluation = {"folds": 5, "repeats": "auto", "max_repeats": 10, "seed": 1, "metrics": ["rmse"]}
    setup = check_study(write_study(tmp_path, small_spec(evaluation=evaluation), linear_frame(rows=2000)))
    data = StudyData(setup.dataset, tuple(study_splits(setup)))
    stored = pickle.dumps(data)
    back = pickle.loads(stored)
    assert back.digest == data.digest and len(back.splits) == 50
    assert all(np.array_equal(a.train, b.train) and np.array_equal(a.test, b.test) for a, b in zip(back.splits, data.splits, strict=True))
    plan_as_arrays = len(pickle.dumps(data.splits))  # every row in each of 50 splits, 8 bytes each: 800 KB
    assert len(stored) - len(pickle.dumps(data.dataset)) < plan_as_arrays / 35  # 10 repeats x 2,000 rows x 1 byte
