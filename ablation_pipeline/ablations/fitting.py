"""Fit a model on every split and keep its test-fold predictions: the baseline once, each retrained
variant on the same splits with the same per-split seed (common random numbers sharpen the pairing)."""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from ..data.dataset import Dataset
from ..data.splits import Split, rows_of
from ..errors import AblationError, FitError
from .boosters import inner_split, validation_arguments
from .preparation import FitOptions, build_pipeline
from .seeds import derive_seed


@dataclass
class FoldPredictions:
    """Test-fold predictions of one split; the leading axis holds repeated random draws (permute)."""

    split: int
    predictions: np.ndarray
    scores: np.ndarray | None
    fit_seconds: float  # wall seconds of `fit` alone, in a warm worker
    predict_seconds: float = 0.0
    n_parameters: int | None = None
    fit_cpu_seconds: float = 0.0  # the process's CPU seconds over the same fit (threads included)

    @classmethod
    def of_draws(cls, split: int, draws: list[tuple[np.ndarray, np.ndarray | None]], predict_seconds: float,
                 n_parameters: int | None) -> FoldPredictions:
        """An inference-time variant's fold: one (predictions, scores) per draw, stacked; nothing fitted."""
        scores = None if draws[0][1] is None else np.stack([s for _, s in draws])
        return cls(split, np.stack([p for p, _ in draws]), scores, 0.0, predict_seconds, n_parameters)


@dataclass(frozen=True)
class Outcome:
    """Everything a variant (or the baseline) produced on some splits, enough to score any metric later.
    What identifies it is not its own business: the store files it under a key (pipeline.identity)."""

    name: str
    folds: list[FoldPredictions]
    models: list[Pipeline] = field(default_factory=list)
    fits: int = 0
    failure: str | None = None  # why it could not be computed (then it has no folds and is never filed)

    @property
    def failed(self) -> bool:
        return self.failure is not None


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


@contextlib.contextmanager
def errors_of(split: Split) -> Iterator[None]:
    """Any error while fitting or predicting on `split`, as a FitError of one line naming the split
    and the error itself (raised where it happens, so it survives a joblib worker's re-raise)."""
    try:
        yield
    except AblationError:
        raise
    except Exception as exc:
        text = str(exc).strip().splitlines()
        raise FitError(f"split {split.index} (repeat {split.repeat}, fold {split.fold}): {type(exc).__name__}"
                       + (f": {text[0][:300]}" if text else "")) from exc


@dataclass(frozen=True)
class FitJob:
    """One fit: `estimator` (behind the study's preprocessing) on `features` of `split`'s training rows,
    for the result called `name`. The fitted model comes back from the worker only when it is kept (the
    baseline's serve the inference-time variants): a forest's trees are megabytes a fold."""

    name: str
    estimator: BaseEstimator
    features: tuple[str, ...]
    split: Split
    keep_model: bool = False
    options: FitOptions = FitOptions()


def _fit_and_predict(job: FitJob, dataset: Dataset, seed: int) -> tuple[Pipeline | None, FoldPredictions] | FitError:
    """The job's fit and its test-fold predictions, or the FitError that says why not (returned, so a
    failed job stops neither the pool nor the other jobs)."""
    split, features, options = job.split, list(job.features), job.options
    numeric = [c for c in dataset.numeric if c in features]
    categorical = [c for c in dataset.categorical if c in features]
    try:
        with errors_of(split):
            model = build_pipeline(job.estimator, numeric, categorical, fit_seed(seed, split), options)
            _warm_up(model, dataset, split, features)
            started, cpu = time.perf_counter(), time.process_time()
            if options.early_stopping is None:
                model.fit(rows_of(dataset.features, split.train)[features], dataset.target[split.train],
                          **{f"model__{key}": value for key, value in options.fit_params.items()})
            else:
                _fit_early_stopped(model, dataset, split, features, seed, options)
            fit_seconds, fit_cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            started = time.perf_counter()
            predictions, scores = predict_with_scores(model, rows_of(dataset.features, split.test)[features])
            predict_seconds = time.perf_counter() - started
    except FitError as exc:
        return exc
    fold = FoldPredictions(split.index, predictions[None], None if scores is None else scores[None], fit_seconds,
                           predict_seconds, model_size(model), fit_cpu_seconds)
    return (model if job.keep_model else None), fold


_WARM: set[str] = set()  # the estimator classes this process has fitted once (imports and first-call costs paid)
WARM_UP_ROWS = 64


def _warm_up(model: Pipeline, dataset: Dataset, split: Split, features: list[str]) -> None:
    """Before this process times its first fit of an estimator class: one untimed fit of a clone on a few
    training rows, so the lazy imports and first-call costs of a fresh worker are not read as the fit's
    own time (they made the baseline look 2-5x slower than every variant). Its result is thrown away."""
    kind = f"{type(model[-1]).__module__}.{type(model[-1]).__qualname__}"
    if kind in _WARM:
        return
    _WARM.add(kind)
    rows = split.train[:WARM_UP_ROWS]
    with contextlib.suppress(Exception):  # only a warm-up: the timed fit says what is wrong, if anything
        clone(model).fit(dataset.features.iloc[rows][features], dataset.target[rows])


def _fit_early_stopped(model: Pipeline, dataset: Dataset, split: Split, features: list[str], seed: int, options: FitOptions) -> None:
    """Fit on most of the training rows, stopping when the held-out rest stops improving."""
    fraction, rounds = options.early_stopping
    fit_rows, held_rows = inner_split(split, dataset.target, fraction, dataset.classes is not None, seed)
    prepare, final = model[:-1], model[-1]
    X_fit = prepare.fit_transform(dataset.features.iloc[fit_rows][features], dataset.target[fit_rows])
    X_held = prepare.transform(dataset.features.iloc[held_rows][features])
    final.fit(X_fit, dataset.target[fit_rows], **options.fit_params,
              **validation_arguments(final, X_held, dataset.target[held_rows], rounds))


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


def fit_jobs(jobs: list[FitJob], dataset: Dataset, seed: int, n_jobs: int) -> list[tuple[Pipeline | None, FoldPredictions] | FitError]:
    """Every job, over `n_jobs` joblib workers (one pool kept for the process), results in job order.
    Each fit's seed depends only on its split, so any `n_jobs` gives identical results."""
    if n_jobs <= 1 or len(jobs) < 2:
        fitted = []
        for job in jobs:  # a loop, not a comprehension: one frame less between a step and its fits
            fitted.append(_fit_and_predict(job, dataset, seed))
        return fitted
    from joblib import delayed

    return _in_pool(n_jobs, lambda: (delayed(_fit_and_predict)(job, dataset, seed) for job in jobs))


def outcomes_of(jobs: list[FitJob], fitted: list[tuple[Pipeline | None, FoldPredictions] | FitError]) -> dict[str, Outcome]:
    """The jobs' results as one outcome per name (with the models its jobs kept); a name any of whose
    jobs failed is failed, with the first reason."""
    grouped: dict[str, list] = {}
    for job, result in zip(jobs, fitted, strict=True):
        grouped.setdefault(job.name, []).append(result)
    outcomes = {}
    for name, results in grouped.items():
        failure = next((r for r in results if isinstance(r, FitError)), None)
        if failure is not None:
            outcomes[name] = Outcome(name, [], failure=str(failure))
        else:
            outcomes[name] = Outcome(name, [f for _, f in results], [m for m, _ in results if m is not None], fits=len(results))
    return outcomes


_POOLS: dict[int, object] = {}
_POOLS_IN_USE = threading.Lock()


def _in_pool(n_jobs: int, tasks: Callable[[], Iterator]) -> list:
    """Run `tasks()` in the joblib pool kept for `n_jobs` for the life of the process: its memory-mapped
    copy of the data is written once per run instead of once per variant (50 ms a variant on 2,000 x
    150). A thread that finds it busy uses a pool of its own. The workers are shared by every joblib
    loop of the process, so one that failed elsewhere may have stopped them: then a new pool is kept."""
    from joblib import Parallel
    from joblib.externals.loky.process_executor import ShutdownExecutorError

    if not _POOLS_IN_USE.acquire(blocking=False):
        return Parallel(n_jobs=n_jobs)(tasks())
    try:
        try:
            return _kept_pool(n_jobs)(tasks())
        except ShutdownExecutorError:  # stopped by another loop; fits are pure, so running one again changes nothing
            _close(_POOLS.pop(n_jobs))
            return _kept_pool(n_jobs)(tasks())
    finally:
        _POOLS_IN_USE.release()


def _kept_pool(n_jobs: int):
    if n_jobs not in _POOLS:
        from joblib import Parallel

        _POOLS[n_jobs] = Parallel(n_jobs=n_jobs).__enter__()
        atexit.register(_close, _POOLS[n_jobs])
    return _POOLS[n_jobs]


def _close(pool) -> None:
    with contextlib.suppress(Exception):  # its workers may be stopped already (`ablation run` exits fast)
        pool.__exit__(None, None, None)


def fit_baseline(estimator: BaseEstimator, dataset: Dataset, splits: list[Split], seed: int, n_jobs: int = 1,
                 options: FitOptions | None = None) -> Outcome:
    """The full model on every split; its fitted fold models serve the inference-mode variants. A fit
    that fails raises its FitError: without a baseline nothing can be compared."""
    jobs = [FitJob("baseline", estimator, tuple(dataset.features.columns), split, True, options or FitOptions()) for split in splits]
    outcome = outcomes_of(jobs, fit_jobs(jobs, dataset, seed, n_jobs))["baseline"]
    if outcome.failed:
        raise FitError(outcome.failure)
    return outcome
