"""Fit the baseline once per split, then evaluate each variant on the same splits: `drop` refits
without the features; `permute` and `mean` perturb the test fold and reuse the baseline's models."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from .data import Dataset, Split
from .models import build_pipeline
from .plan import Variant
from .prepared import Recent, prepared_draws
from .seeds import derive_seed


@dataclass
class FoldPredictions:
    """Test-fold predictions of one split; the leading axis holds repeated random draws (permute)."""

    split: int
    predictions: np.ndarray
    scores: np.ndarray | None
    fit_seconds: float
    predict_seconds: float = 0.0
    n_parameters: int | None = None

    @classmethod
    def of_draws(cls, split: int, draws: list[tuple[np.ndarray, np.ndarray | None]], predict_seconds: float,
                 n_parameters: int | None) -> FoldPredictions:
        """An inference-time variant's fold: one (predictions, scores) per draw, stacked; nothing fitted."""
        scores = None if draws[0][1] is None else np.stack([s for _, s in draws])
        return cls(split, np.stack([p for p, _ in draws]), scores, 0.0, predict_seconds, n_parameters)


@dataclass
class Outcome:
    """Everything a variant (or the baseline) produced, enough to score any metric later."""

    name: str
    folds: list[FoldPredictions]
    models: list[Pipeline] = field(default_factory=list)
    fits: int = 0


def fit_seed(study_seed: int, split: Split) -> int:
    """Same seed for baseline and every refit variant on a split: common random numbers sharpen the pairing."""
    return derive_seed(study_seed, "fit", split.index)


def predict_with_scores(model: Pipeline, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    final = model[-1] if isinstance(model, Pipeline) else model
    if type(final).__module__.startswith("ablation_pipeline.torch_nets") and hasattr(final, "predict_proba"):
        proba = model.predict_proba(rows)  # our networks predict the most probable class: one forward pass
        return np.asarray(final.classes_)[proba.argmax(axis=1)], proba
    predictions = model.predict(rows)
    if hasattr(model, "predict_proba"):
        try:
            return predictions, model.predict_proba(rows)
        except AttributeError:  # e.g. SVC(probability=False) exposes the method but cannot use it
            pass
    if hasattr(model, "decision_function"):
        return predictions, model.decision_function(rows)
    return predictions, None


def _fit_and_predict(estimator: BaseEstimator, dataset: Dataset, split: Split, features: list[str], seed: int) -> tuple[Pipeline, FoldPredictions]:
    numeric = [c for c in dataset.numeric if c in features]
    categorical = [c for c in dataset.categorical if c in features]
    model = build_pipeline(estimator, numeric, categorical, fit_seed(seed, split))
    train = dataset.features.iloc[split.train][features]
    started = time.perf_counter()
    model.fit(train, dataset.target[split.train])
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predictions, scores = predict_with_scores(model, dataset.features.iloc[split.test][features])
    predict_seconds = time.perf_counter() - started
    return model, FoldPredictions(split.index, predictions[None], None if scores is None else scores[None], fit_seconds,
                                  predict_seconds, model_size(model))


def model_size(model: Pipeline) -> int | None:
    """Learned parameters of the fitted model: network weights, linear coefficients, or tree nodes."""
    fitted = model[-1]
    if hasattr(fitted, "n_parameters_"):
        return int(fitted.n_parameters_)
    if hasattr(fitted, "coef_"):
        return int(np.size(fitted.coef_) + np.size(getattr(fitted, "intercept_", 0)))
    trees = getattr(fitted, "estimators_", None)
    if trees is not None:
        nodes = [getattr(t, "tree_", None) for t in np.ravel(trees)]
        return int(sum(t.node_count for t in nodes if t is not None)) or None
    tree = getattr(fitted, "tree_", None)
    return int(tree.node_count) if tree is not None else None


def fit_all(estimator: BaseEstimator, dataset: Dataset, splits: list[Split], features: list[str], seed: int,
             n_jobs: int) -> list[tuple[Pipeline, FoldPredictions]]:
    """One fit per split, over `n_jobs` joblib workers (reused between calls). Each fit's seed
    depends only on its split, so any `n_jobs` gives identical results."""
    if n_jobs <= 1 or len(splits) < 2:
        return [_fit_and_predict(estimator, dataset, split, features, seed) for split in splits]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs)(delayed(_fit_and_predict)(estimator, dataset, split, features, seed) for split in splits)


def fit_baseline(estimator: BaseEstimator, dataset: Dataset, splits: list[Split], seed: int, n_jobs: int = 1) -> Outcome:
    """The full model on every split; its fitted fold models serve the inference-mode variants."""
    fitted = fit_all(estimator, dataset, splits, list(dataset.features.columns), seed, n_jobs)
    return Outcome("baseline", [f for _, f in fitted], [m for m, _ in fitted], fits=len(fitted))


def run_variant(variant: Variant, estimator: BaseEstimator, dataset: Dataset, splits: list[Split], seed: int,
                baseline: Outcome | None, n_jobs: int = 1) -> Outcome:
    """One variant on every split (`baseline` is needed only by inference-mode variants)."""
    if variant.refits:
        features = list(dataset.features.columns)
        if variant.kind == "layer":  # rebuild the network without the layers, then retrain
            estimator = clone(estimator).set_params(remove=tuple(variant.components))
        else:
            features = [c for c in features if c not in variant.components]
        fitted = fit_all(estimator, dataset, splits, features, seed, n_jobs)
        return Outcome(variant.name, [f for _, f in fitted], fits=len(fitted))
    if baseline is None or len(baseline.models) != len(splits):
        raise ValueError(f"variant {variant.name} reuses the baseline's fitted models, which were not given")
    folds = []
    for split, model, base_fold in zip(splits, baseline.models, baseline.folds):
        started = time.perf_counter()
        if variant.kind == "layer":
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
    from .torch_nets.knockouts import predict_proba_with_knockout, predict_with_knockout

    rows = dataset.features.iloc[split.test]
    options = {"X_train": dataset.features.iloc[split.train] if variant.mode == "mean" else None,
               "seed": derive_seed(seed, variant.name, split.index), "factor": variant.factor}
    layers = list(variant.components)
    if dataset.task == "classification":
        proba = predict_proba_with_knockout(model, rows, layers, variant.mode, **options)
        return np.asarray(model[-1].classes_)[proba.argmax(axis=1)], proba
    return predict_with_knockout(model, rows, layers, variant.mode, **options), None


def draws_of(variant: Variant) -> int:
    return variant.permutations if variant.mode in ("permute", "noise") else 1


def feature_predictions(variant: Variant, model: Pipeline, dataset: Dataset, split: Split,
                        seed: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Predictions for each draw of an inference-time feature ablation: in the prepared space when
    the pipeline's layout allows (same numbers, far less work), else by perturbing the raw rows."""
    draws = feature_draws(variant, model, dataset, split, seed)
    if draws is not None:
        return [predict_with_scores(model[-1], matrix) for matrix in draws]
    return [predict_with_scores(model, perturb(variant, dataset, split, d, seed)) for d in range(draws_of(variant))]


def feature_draws(variant: Variant, model: Pipeline, dataset: Dataset, split: Split, seed: int) -> list[np.ndarray] | None:
    """The prepared test matrix once per draw with the variant's features ablated, ready for the
    model's last step; None when only perturbing the raw rows will do (see `prepared`)."""
    orders = [permutation_order(len(split.test), d, permutation_seed(seed, variant.name, split.index))
              for d in range(draws_of(variant))] if variant.mode == "permute" else []
    fill = training_fill(dataset, split, variant.components) if variant.mode == "mean" else {}
    return prepared_draws(model, split.test, lambda: dataset.features.iloc[split.test], list(variant.components),
                          variant.mode, orders, fill)


_TRAINING_MEANS = Recent(32)  # per dataset and training fold: asked once per variant and fold


def training_means(dataset: Dataset, split: Split) -> dict[str, float]:
    """Every numeric column's training-fold mean, missing values skipped (as pandas' mean does)."""
    values = np.asfortranarray(dataset.features[list(dataset.numeric)], dtype=float)
    return {column: float(np.nanmean(values[:, j][split.train])) for j, column in enumerate(dataset.numeric)}


def training_fill(dataset: Dataset, split: Split, columns: tuple[str, ...]) -> dict[str, object]:
    """The training fold's mean (numeric) or most frequent value (categorical) of each column."""
    fill: dict[str, object] = {}
    for column in columns:
        if column in dataset.categorical:
            modes = dataset.features[column].iloc[split.train].mode(dropna=True)
            fill[column] = modes.iloc[0] if len(modes) else np.nan
        else:
            fill[column] = _TRAINING_MEANS.get(dataset, split.train.tobytes(), lambda: training_means(dataset, split))[column]
    return fill


def permutation_seed(seed: int, variant: str, split: int) -> int:
    """The integer `random_state` that makes scikit-learn's `permutation_importance` draw exactly
    our permutations for this variant and split (it seeds its shuffles with `randint(2**31)` of it)."""
    return derive_seed(seed, variant, split)


def permutation_order(n_rows: int, draw: int, random_state: int) -> np.ndarray:
    """Row order of the `draw`-th permutation, drawn as scikit-learn's permutation_importance does:
    one RandomState seeded from `random_state`, shuffles applied cumulatively repeat after repeat."""
    shuffles = np.random.RandomState(np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1))
    index, order = np.arange(n_rows), np.arange(n_rows)
    for _ in range(draw + 1):
        shuffles.shuffle(index)
        order = order[index]
    return order


def perturb(variant: Variant, dataset: Dataset, split: Split, draw: int, seed: int) -> pd.DataFrame:
    """The test fold with the variant's columns permuted (jointly, keeping a group's rows together),
    replaced by the training fold's mean (numeric) / most frequent value (categorical), or with
    Gaussian noise of `factor` training standard deviations added."""
    rows = dataset.features.iloc[split.test].copy()
    columns = list(variant.components)
    if variant.mode == "permute":
        order = permutation_order(len(rows), draw, permutation_seed(seed, variant.name, split.index))
        for column in columns:  # one order for all: a group's rows move together
            rows[column] = rows[column].to_numpy()[order]
    elif variant.mode == "noise":
        rng = np.random.default_rng(derive_seed(seed, variant.name, split.index, draw))
        train = dataset.features.iloc[split.train]
        for column in columns:
            rows[column] = rows[column].to_numpy(dtype=float) + rng.normal(0.0, variant.factor * float(train[column].std()), len(rows))
    elif variant.mode == "mean":
        for column, value in training_fill(dataset, split, variant.components).items():
            rows[column] = value
    else:
        raise ValueError(f"mode {variant.mode} is not an inference-time perturbation")
    return rows
