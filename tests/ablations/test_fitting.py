"""Fitting over joblib workers: the same predictions as fitting them one by one, from a pool that
stays up between calls and still serves after a fit failed in it or another loop of the process
stopped the workers it shares; a failed job is that job's result, the others go on."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Ridge

from ablation_pipeline.ablations.fitting import FitJob, fit_jobs, outcomes_of
from ablation_pipeline.errors import FitError
from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.pipeline.steps import study_splits
from ablation_pipeline.spec.loading import load_spec


def predictions(fitted) -> list[np.ndarray]:
    return [fold.predictions for _, fold in fitted]


def jobs(estimator, features, splits, name="v") -> list[FitJob]:
    return [FitJob(name, estimator, tuple(features), split) for split in splits]


def test_the_kept_worker_pool_gives_the_sequential_predictions_and_survives_a_failed_fit(small_study):
    setup = set_up(plan_study(load_spec(small_study)))
    dataset, splits = setup.dataset, study_splits(setup)[:4]
    every, fewer = list(dataset.features.columns), list(dataset.features.columns)[1:]
    one_by_one = predictions(fit_jobs(jobs(setup.estimator, every, splits), dataset, 0, n_jobs=1))

    np.testing.assert_array_equal(predictions(fit_jobs(jobs(setup.estimator, every, splits), dataset, 0, n_jobs=2)), one_by_one)
    assert predictions(fit_jobs(jobs(setup.estimator, fewer, splits), dataset, 0, n_jobs=2))[0].shape == one_by_one[0].shape
    mixed = jobs(Ridge(alpha=-1.0), every, splits, "bad") + jobs(setup.estimator, every, splits, "good")
    fitted = fit_jobs(mixed, dataset, 0, n_jobs=2)
    assert all(isinstance(result, FitError) for result in fitted[:4])
    assert str(fitted[0]).startswith(f"split {splits[0].index} (repeat 0, fold 0): InvalidParameterError")
    np.testing.assert_array_equal(predictions(fitted[4:]), one_by_one)  # the other jobs of the same call went on
    outcomes = outcomes_of(mixed, fitted)
    assert outcomes["bad"].failed and outcomes["bad"].failure == str(fitted[0]) and outcomes["good"].fits == 4
    np.testing.assert_array_equal(predictions(fit_jobs(jobs(setup.estimator, every, splits), dataset, 0, n_jobs=2)), one_by_one)


def test_the_kept_pool_survives_another_loop_stopping_the_shared_workers(small_study):
    """joblib's workers are shared by every loop of the process; one that fails elsewhere stops them."""
    import operator

    import pytest
    from joblib import Parallel, delayed

    setup = set_up(plan_study(load_spec(small_study)))
    dataset, splits = setup.dataset, study_splits(setup)[:4]
    every = list(dataset.features.columns)
    before = predictions(fit_jobs(jobs(setup.estimator, every, splits), dataset, 0, n_jobs=2))
    with pytest.raises(ZeroDivisionError):
        Parallel(n_jobs=2)(delayed(operator.truediv)(1, 0) for _ in range(4))
    np.testing.assert_array_equal(predictions(fit_jobs(jobs(setup.estimator, every, splits), dataset, 0, n_jobs=2)), before)
