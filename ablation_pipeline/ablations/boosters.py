"""Early stopping inside each training fold, for the boosting libraries that take a validation set:
an inner split of the fold's training rows (never its test rows; stratified for classification, seeded
per split) held out and handed to `fit` in the form each library expects. Early stopping inside CV is
the recurring pain of every peer tool (dmlc/xgboost#2039, LightGBM #299 and #5090); here it is one
spec setting."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ..data.splits import Split
from .seeds import derive_seed

BOOSTERS = ("lightgbm", "xgboost", "catboost")


def library_of(estimator: Any) -> str:
    """The top-level package an estimator's class comes from ('sklearn', 'lightgbm', ...)."""
    return type(estimator).__module__.split(".")[0]


def can_early_stop(estimator: Any) -> bool:
    return library_of(estimator) in BOOSTERS


def inner_split(split: Split, target: np.ndarray, fraction: float, classification: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fitting rows, validation rows) of the split's training rows, as positions into the data."""
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    state = derive_seed(seed, "validation", split.index)
    labels = target[split.train]
    splitter = ShuffleSplit(n_splits=1, test_size=fraction, random_state=state)
    if classification and np.unique(labels, return_counts=True)[1].min() >= 2:
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=state)
    fit, held = next(splitter.split(np.zeros(len(labels)), labels))
    return split.train[fit], split.train[held]


def validation_arguments(estimator: Any, X_val: Any, y_val: np.ndarray, rounds: int) -> dict[str, Any]:
    """The keyword arguments of `fit` that make the booster stop `rounds` rounds after its validation
    score stopped improving (XGBoost takes `rounds` as a parameter, set here on the estimator)."""
    library = library_of(estimator)
    if library == "lightgbm":
        import lightgbm

        stop = {"callbacks": [lightgbm.early_stopping(rounds, verbose=False)]}
        if "eval_X" in inspect.signature(estimator.fit).parameters:  # LightGBM 4.7 deprecates eval_set for these
            return {"eval_X": (X_val,), "eval_y": (y_val,), **stop}
        return {"eval_set": [(X_val, y_val)], **stop}
    if library == "xgboost":
        estimator.set_params(early_stopping_rounds=rounds)
        return {"eval_set": [(X_val, y_val)], "verbose": False}
    if library == "catboost":
        return {"eval_set": (X_val, y_val), "early_stopping_rounds": rounds, "verbose": False}
    raise ValueError(f"{type(estimator).__name__} takes no validation set")
