"""Fitting every split over joblib workers: the same predictions as fitting them one by one, from a
pool that stays up between calls and still serves after a fit failed in it or another loop of the
process stopped the workers it shares."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from ablation_pipeline.ablations.fitting import fit_all
from ablation_pipeline.errors import FitError
from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.pipeline.steps import study_splits
from ablation_pipeline.spec.loading import load_spec


def predictions(fitted) -> list[np.ndarray]:
    return [fold.predictions for _, fold in fitted]


def test_the_kept_worker_pool_gives_the_sequential_predictions_and_survives_a_failed_fit(small_study):
    setup = set_up(plan_study(load_spec(small_study)))
    dataset, splits = setup.dataset, study_splits(setup)[:4]
    every, fewer = list(dataset.features.columns), list(dataset.features.columns)[1:]
    one_by_one = predictions(fit_all(setup.estimator, dataset, splits, every, 0, n_jobs=1))

    np.testing.assert_array_equal(predictions(fit_all(setup.estimator, dataset, splits, every, 0, n_jobs=2)), one_by_one)
    assert predictions(fit_all(setup.estimator, dataset, splits, fewer, 0, n_jobs=2))[0].shape == one_by_one[0].shape
    with pytest.raises(FitError, match=r"^split \d+ \(repeat \d+, fold \d+\): InvalidParameterError"):
        fit_all(Ridge(alpha=-1.0), dataset, splits, every, 0, n_jobs=2)
    np.testing.assert_array_equal(predictions(fit_all(setup.estimator, dataset, splits, every, 0, n_jobs=2)), one_by_one)


def test_the_kept_pool_survives_another_loop_stopping_the_shared_workers(small_study):
    """joblib's workers are shared by every loop of the process; one that fails elsewhere stops them."""
    import operator

    from joblib import Parallel, delayed

    setup = set_up(plan_study(load_spec(small_study)))
    dataset, splits = setup.dataset, study_splits(setup)[:4]
    every = list(dataset.features.columns)
    before = predictions(fit_all(setup.estimator, dataset, splits, every, 0, n_jobs=2))
    with pytest.raises(ZeroDivisionError):
        Parallel(n_jobs=2)(delayed(operator.truediv)(1, 0) for _ in range(4))
    np.testing.assert_array_equal(predictions(fit_all(setup.estimator, dataset, splits, every, 0, n_jobs=2)), before)
