"""One variant on every split: a retrained variant fits its own models; an inference-time variant
reuses the baseline's fitted fold models and changes only what they see (a feature) or a layer."""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from ..data.dataset import Dataset
from ..data.splits import Split, rows_of
from ..errors import FitError
from ..vocabulary import Kind, Mode, Task
from .fitting import FitJob, FoldPredictions, Outcome, errors_of, fit_jobs, outcomes_of, predict_with_scores
from .perturbations import perturbation_for
from .plan import Variant
from .preparation import FitOptions
from .seeds import derive_seed


def run_variant(variant: Variant, estimator: BaseEstimator, dataset: Dataset, splits: list[Split], seed: int,
                baseline: Outcome | None, n_jobs: int = 1, options: FitOptions | None = None) -> Outcome:
    """One variant on every split (`baseline` is needed only by inference-mode variants); a failed fit
    gives a failed outcome."""
    if variant.refits:
        jobs = retrain_jobs(variant.name, retrained_estimator(variant, estimator), dataset, splits, dropped_features(variant),
                            options=options)
        return outcomes_of(jobs, fit_jobs(jobs, dataset, seed, n_jobs))[variant.name]
    return predicted(variant, dataset, splits, seed, baseline)


def dropped_features(variant: Variant) -> tuple[str, ...]:
    """The columns a retrained variant is fitted without (none for a layer removal or a sweep)."""
    return variant.components if variant.kind == Kind.FEATURE else ()


def retrained_estimator(variant: Variant, estimator: BaseEstimator) -> BaseEstimator:
    """The estimator a retrained variant fits: a network rebuilt without its layers, else the study's."""
    return clone(estimator).set_params(remove=tuple(variant.components)) if variant.kind == Kind.LAYER else estimator


def retrain_jobs(name: str, estimator: BaseEstimator, dataset: Dataset, splits: list[Split], dropped: tuple[str, ...] = (),
                 keep_models: bool = False, options: FitOptions | None = None) -> list[FitJob]:
    """One fit per split of `estimator` on every feature but `dropped` (the fitted models kept or not)."""
    kept = tuple(c for c in dataset.features.columns if c not in dropped)
    return [FitJob(name, estimator, kept, split, keep_models, options or FitOptions()) for split in splits]


def predicted(variant: Variant, dataset: Dataset, splits: list[Split], seed: int, baseline: Outcome | None) -> Outcome:
    """An inference-time variant on every split, on the baseline's fitted fold models; a split whose
    prediction fails makes it a failed outcome."""
    if baseline is None or len(baseline.models) != len(splits):
        raise ValueError(f"variant {variant.name} reuses the baseline's fitted models, which were not given")
    folds = []
    try:
        for split, model, base_fold in zip(splits, baseline.models, baseline.folds, strict=True):
            started = time.perf_counter()
            with errors_of(split):
                if variant.kind == Kind.LAYER:
                    draws = [knockout_predictions(variant, model, dataset, split, seed)]
                else:
                    draws = feature_predictions(variant, model, dataset, split, seed)
            seconds = (time.perf_counter() - started) / len(draws)
            folds.append(FoldPredictions.of_draws(split.index, draws, seconds, base_fold.n_parameters))
    except FitError as exc:
        return Outcome(variant.name, [], failure=str(exc))
    return Outcome(variant.name, folds)


def knockout_predictions(variant: Variant, model: Pipeline, dataset: Dataset, split: Split,
                         seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Test-fold predictions of a fitted torch pipeline with the variant's layers knocked out
    (hooks and weight changes are undone when the prediction returns)."""
    from ..torch_nets.knockouts import predict_proba_with_knockout, predict_with_knockout

    rows = rows_of(dataset.features, split.test)
    options = {"X_train": rows_of(dataset.features, split.train) if variant.mode == Mode.MEAN else None,
               "seed": derive_seed(seed, variant.name, split.index), "factor": variant.factor, "units": variant.units}
    layers = list(variant.components)
    if dataset.task == Task.CLASSIFICATION:
        proba = predict_proba_with_knockout(model, rows, layers, variant.mode, **options)
        return np.asarray(model[-1].classes_)[proba.argmax(axis=1)], proba
    return predict_with_knockout(model, rows, layers, variant.mode, **options), None


def feature_predictions(variant: Variant, model: Pipeline, dataset: Dataset, split: Split,
                        seed: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Predictions for each draw of an inference-time feature ablation: in the prepared space when
    the pipeline's layout allows (same numbers, far less work), else by perturbing the raw rows."""
    how = perturbation_for(variant)
    draws = how.prepared(variant, model, dataset, split, seed)
    if draws is not None:
        return [predict_with_scores(model[-1], matrix) for matrix in draws]
    return [predict_with_scores(model, how.raw(variant, dataset, split, d, seed)) for d in range(variant.draws)]


def feature_draws(variant: Variant, model: Pipeline, dataset: Dataset, split: Split, seed: int) -> list[np.ndarray] | None:
    """The prepared test matrix once per draw with the variant's features ablated; None when only
    perturbing the raw rows will do (see `prepared`)."""
    return perturbation_for(variant).prepared(variant, model, dataset, split, seed)
