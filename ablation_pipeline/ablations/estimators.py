"""Build the model from the spec: a scikit-learn estimator from the allowed modules only, behind a
ColumnTransformer that scales numeric and one-hot encodes categorical columns."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..errors import SpecError, did_you_mean
from ..spec.schema import ModelSpec
from ..vocabulary import Task
from .sweeps import apply_setting

ALLOWED_MODULES = ("sklearn",)
# Where scikit-learn's classifiers and regressors live, most used first. Looking a short name up here
# imports one or two modules; `all_estimators()` imports all of scikit-learn (~2 s in every step process).
ESTIMATOR_MODULES = (
    "sklearn.linear_model", "sklearn.ensemble", "sklearn.tree", "sklearn.svm", "sklearn.neighbors",
    "sklearn.naive_bayes", "sklearn.neural_network", "sklearn.discriminant_analysis", "sklearn.dummy",
    "sklearn.kernel_ridge", "sklearn.gaussian_process", "sklearn.cross_decomposition", "sklearn.isotonic",
)


@lru_cache(maxsize=1)
def _estimators_by_name() -> dict[str, type]:
    from sklearn.utils.discovery import all_estimators

    return dict(all_estimators(type_filter=["classifier", "regressor"]))


def resolve_estimator(name: str, where: str = "model.estimator") -> type:
    """'Ridge' or 'sklearn.linear_model.Ridge' -> the class. Nothing outside ALLOWED_MODULES is imported."""
    if "." not in name:
        for module_name in ESTIMATOR_MODULES:
            found = getattr(importlib.import_module(module_name), name, None)
            if isinstance(found, type) and issubclass(found, BaseEstimator):
                return found
        known = _estimators_by_name()
        if name not in known:
            raise SpecError(f"{where}: unknown estimator '{name}'{did_you_mean(name, known)}")
        return known[name]
    module_name, _, class_name = name.rpartition(".")
    if module_name.split(".")[0] not in ALLOWED_MODULES:
        raise SpecError(
            f"{where}: '{name}' is outside the allowed modules ({', '.join(m + '.*' for m in ALLOWED_MODULES)}); "
            "a study spec may only name scikit-learn estimators"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise SpecError(f"{where}: no module '{module_name}'") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
        names = [n for n, c in vars(module).items() if isinstance(c, type) and issubclass(c, BaseEstimator)]
        raise SpecError(f"{where}: '{class_name}' is not an estimator in {module_name}{did_you_mean(class_name, names)}")
    return cls


def make_estimator(model: ModelSpec, task: Task, label: str = "") -> BaseEstimator:
    """Instantiate and validate the estimator: it must suit the task and accept its params."""
    prefix = f"{label}: " if label else ""
    if model.network is not None:
        from ..torch_nets.estimator import TorchClassifier, TorchRegressor

        torch_cls = TorchClassifier if task == Task.CLASSIFICATION else TorchRegressor
        return torch_cls(network=model.network.model_dump(mode="json"))
    cls = resolve_estimator(model.estimator, f"{prefix}model.estimator")
    estimator = cls()
    fits_task = is_classifier(estimator) if task == Task.CLASSIFICATION else is_regressor(estimator)
    if not fits_task:
        kind = "classifier" if task == Task.CLASSIFICATION else "regressor"
        raise SpecError(f"{prefix}model.estimator: {cls.__name__} is not a {kind}, but the task is {task}")
    allowed = estimator.get_params(deep=False)
    for key in model.params:
        if key not in allowed:
            raise SpecError(f"{prefix}model.params.{key}: unknown parameter of {cls.__name__}{did_you_mean(key, allowed)}")
    estimator.set_params(**model.params)
    validate = getattr(estimator, "_validate_params", None)  # scikit-learn's own parameter constraints
    if validate is not None:
        try:
            validate()
        except (ValueError, TypeError) as exc:
            raise SpecError(f"{prefix}model.params: {str(exc).splitlines()[0]}") from None
    return estimator


def estimator_with_setting(model: ModelSpec, path: str, value: Any, task: Task, where: str) -> BaseEstimator:
    """The study's estimator with one setting changed (a retrained sweep's variant), validated by
    scikit-learn's own parameter checks; `where` names the spec entry in messages."""
    return make_estimator(apply_setting(model, path, value), task, where)


def build_pipeline(estimator: BaseEstimator, numeric: list[str], categorical: list[str], random_state: int | None) -> Pipeline:
    """Preprocessing + a fresh clone of the estimator; `random_state` is set when the estimator has one
    and the user did not fix it, so baseline and variants share their randomness per split."""
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        transformers.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric))
    if categorical:
        encode = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        impute = SimpleImputer(strategy="most_frequent")
        transformers.append(("categorical", Pipeline([("impute", impute), ("encode", encode)]), categorical))
    model = clone(estimator)
    params = model.get_params(deep=False)
    if random_state is not None and "random_state" in params and params["random_state"] is None:
        model.set_params(random_state=random_state)
    return Pipeline([("prepare", ColumnTransformer(transformers)), ("model", model)])
