"""One variant on every split: a retrained variant fits its own models; an inference-time variant
reuses the baseline's fitted fold models and changes only what they see (a feature) or a layer."""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from ..data.dataset import Dataset
from ..data.splits import Split
from ..vocabulary import Kind, Mode, Task
from .fitting import FoldPredictions, Outcome, errors_of, fit_all, predict_with_scores
from .perturbations import draws_of, perturbation_for
from .plan import Variant
from .seeds import derive_seed


def run_variant(variant: Variant, estimator: BaseEstimator, dataset: Dataset, splits: list[Split], seed: int,
                baseline: Outcome | None, n_jobs: int = 1) -> Outcome:
    """One variant on every split (`baseline` is needed only by inference-mode variants)."""
    if variant.refits:
        features = list(dataset.features.columns)
        if variant.kind == Kind.LAYER:  # rebuild the network without the layers, then retrain
            estimator = clone(estimator).set_params(remove=tuple(variant.components))
        else:
            features = [c for c in features if c not in variant.components]
        fitted = fit_all(estimator, dataset, splits, features, seed, n_jobs)
        return Outcome(variant.name, [f for _, f in fitted], fits=len(fitted))
    if baseline is None or len(baseline.models) != len(splits):
        raise ValueError(f"variant {variant.name} reuses the baseline's fitted models, which were not given")
    folds = []
    for split, model, base_fold in zip(splits, baseline.models, baseline.folds, strict=True):
        started = time.perf_counter()
        with errors_of(split):
            if variant.kind == Kind.LAYER:
                predicted = [knockout_predictions(variant, model, dataset, split, seed)]
            else:
                predicted = feature_predictions(variant, model, dataset, split, seed)
        seconds = (time.perf_counter() - started) / len(predicted)
        folds.append(FoldPredictions.of_draws(split.index, predicted, seconds, base_fold.n_parameters))
    return Outcome(variant.name, folds)


def knockout_predictions(variant: Variant, model: Pipeline, dataset: Dataset, split: Split,
                         seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Test-fold predictions of a fitted torch pipeline with the variant's layers knocked out
    (hooks and weight changes are undone when the prediction returns)."""
    from ..torch_nets.knockouts import predict_proba_with_knockout, predict_with_knockout

    rows = dataset.features.iloc[split.test]
    options = {"X_train": dataset.features.iloc[split.train] if variant.mode == Mode.MEAN else None,
               "seed": derive_seed(seed, variant.name, split.index), "factor": variant.factor}
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
    return [predict_with_scores(model, how.raw(variant, dataset, split, d, seed)) for d in range(draws_of(variant))]


def feature_draws(variant: Variant, model: Pipeline, dataset: Dataset, split: Split, seed: int) -> list[np.ndarray] | None:
    """The prepared test matrix once per draw with the variant's features ablated; None when only
    perturbing the raw rows will do (see `prepared`)."""
    return perturbation_for(variant).prepared(variant, model, dataset, split, seed)
