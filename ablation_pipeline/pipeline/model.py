"""The study's model beyond its class: what identifies it (the spec's model section or the user's own
object, with the version of the library it comes from, or the source of the project's own module), how
each fit is made (`FitOptions`), and the checks only the data can settle (early stopping on an
estimator that takes a validation set; `preprocessing: none` on data the estimator can take as read)."""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..ablations.boosters import can_early_stop
from ..ablations.preparation import THREAD_PARAMS, FitOptions, build_pipeline, categories_of
from ..data.dataset import Dataset
from ..errors import SpecError
from ..spec.libraries import distribution_version
from ..spec.model import ModelSpec
from ..vocabulary import Task

PROBE_ROWS = 200  # rows of the data a `preprocessing: none` estimator is tried on before any fit


def origin(estimator: Any) -> dict[str, str]:
    """Where an estimator's code (or a class's, or a function's) comes from: its library and version
    ('lightgbm', '4.7.0'), or, for a module of the project's own (no installed distribution), a hash of
    that module's source."""
    code = estimator if inspect.isclass(estimator) or inspect.isfunction(estimator) else type(estimator)
    module = code.__module__
    root = module.split(".")[0]
    version = distribution_version(root)
    if version is not None:
        return {"library": root, "version": version}
    try:
        source = inspect.getsource(inspect.getmodule(code))
    except (OSError, TypeError):
        source = ""
    return {"library": module, "source": hashlib.sha256(source.encode()).hexdigest()[:16]}


def model_identity(model: ModelSpec, estimator: Any, given: bool = False) -> dict[str, Any]:
    """What identifies the model in every fit's key: the spec's model section (or, for an estimator
    given as an object, its class and parameters) and where its code comes from."""
    if given:
        cls = type(estimator)
        model_part = {"object": f"{cls.__module__}.{cls.__qualname__}", "params": json_safe(estimator.get_params(deep=True))}
        return {**model_part, **{k: v for k, v in model.model_dump(mode="json").items() if k in ("preprocessing", "fit_params",
                                                                                               "early_stopping")},
                **origin(estimator)}
    identity = {"spec": model.model_dump(mode="json"), **origin(estimator)}
    if model.network is not None and model.network.is_module:
        weights = estimator.get_params(deep=False)["weights"]
        identity["network_module"] = origin(estimator.get_params(deep=False)["module"])
        identity["checkpoint"] = weights.digest if weights is not None else None
    return identity


def json_safe(value: Any) -> Any:
    """Parameters as JSON: numbers, strings and containers as they are, anything else by its repr
    (an estimator nested in a parameter: its class and parameters)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in sorted(value.items(), key=lambda item: str(item[0]))}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "get_params"):
        return {"class": f"{type(value).__module__}.{type(value).__qualname__}", "params": json_safe(value.get_params(deep=False))}
    return repr(value)


def fit_options(model: ModelSpec, dataset: Dataset) -> FitOptions:
    """How each fit of the study is made. An estimator's own threads (a booster's `n_jobs`) are one per
    fit unless the spec sets them: the folds already run in parallel, and a fit's numbers then never
    depend on how many cores the executor gave its step (benchmarks/bench_boosters.py measures both)."""
    categories = categories_of(dataset.features, dataset.categorical) if model.preprocessing == "none" else {}
    stopping = (model.early_stopping.validation_fraction, model.early_stopping.rounds) if model.early_stopping else None
    threads = None if any(name in model.params for name in THREAD_PARAMS) else 1
    return FitOptions(model.preprocessing, categories, dict(model.fit_params), stopping, threads)


def check_with_data(model: ModelSpec, estimator: BaseEstimator, dataset: Dataset, label: str) -> None:
    """What only the data can tell about the model, before any fit: early stopping needs an estimator that
    takes a validation set; `preprocessing: none` needs one that takes the data's missing values and
    categories as read (tried on a few rows: judged by what it accepts, not by its tags)."""
    prefix = f"{label}: " if label else ""
    if model.early_stopping is not None and not can_early_stop(estimator):
        raise SpecError(f"{prefix}model.early_stopping: {type(estimator).__name__} takes no validation set (early stopping is for "
                        "LightGBM, XGBoost and CatBoost estimators; scikit-learn's boosting has its own early_stopping param)")
    if model.preprocessing != "none":
        return
    features = dataset.features
    missing = [c for c in features.columns if features[c].isna().any()]
    if not missing and not dataset.categorical:
        return
    rows = _probe_rows(dataset)
    pipeline = build_pipeline(estimator, list(dataset.numeric), list(dataset.categorical), 0, fit_options(model, dataset))
    try:
        pipeline.fit(features.iloc[rows], dataset.target[rows])
        pipeline.predict(features.iloc[rows])
    except Exception as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        what = " and ".join(part for part in (f"missing values (in {', '.join(missing[:3])})" if missing else "",
                                               f"categorical columns ({', '.join(dataset.categorical[:3])})"
                                               if dataset.categorical else "") if part)
        raise SpecError(f"{prefix}model.preprocessing: none hands {type(estimator).__name__} the data as read, with {what}, "
                        f"which it does not take ({type(exc).__name__}: {text}); use preprocessing: auto, or a param that "
                        "lets it take them (XGBoost: enable_categorical: true)") from None


def _probe_rows(dataset: Dataset) -> np.ndarray:
    """A few rows of every class (of the whole data, for a regression), seeded: enough for a trial fit."""
    rng = np.random.default_rng(0)
    if dataset.task == Task.CLASSIFICATION:
        share = max(2, PROBE_ROWS // max(1, len(dataset.classes or ())))
        picked = [rng.permutation(np.flatnonzero(dataset.target == k))[:share] for k in np.unique(dataset.target)]
        return np.sort(np.concatenate(picked))
    return np.sort(rng.permutation(dataset.n_rows)[:PROBE_ROWS])
