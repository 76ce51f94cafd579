"""Estimators from outside scikit-learn: a class of a module the project trusts (`lightgbm.LGBMRegressor`)
or a factory that returns one (`mypkg.models:make_model`). Checked without scikit-learn's private
parameter validation (LightGBM has none): names against `get_params()` unless the constructor takes
`**kwargs` (then constructing it is the check), values by constructing it; then the estimator API
(`fit`, `predict`, `get_params`/`set_params`, clonable) and the task."""

from __future__ import annotations

import inspect
from typing import Any

from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor

from ..errors import SpecError, did_you_mean
from ..spec.model import ModelSpec
from ..spec.trust import Trust
from ..vocabulary import Task
from .imports import trusted_object

API = ("fit", "predict", "get_params", "set_params")
API_TEXT = ("(the scikit-learn estimator API: fit, predict, get_params, set_params; subclassing sklearn.base.BaseEstimator "
            "gives the last two)")


def class_estimator(model: ModelSpec, task: Task, trust: Trust, prefix: str) -> BaseEstimator:
    """An instance of the trusted class `model.estimator` with `model.params`, checked."""
    where = f"{prefix}model.estimator"
    cls = trusted_object(model.estimator, trust, where)
    if not isinstance(cls, type):
        raise SpecError(f"{where}: '{model.estimator}' is not a class (name a factory under model.factory)")
    missing = [name for name in API if not callable(getattr(cls, name, None))]
    if missing:
        raise SpecError(f"{where}: {cls.__name__} is not an estimator: it has no {', '.join(missing)} {API_TEXT}")
    takes_any = any(p.kind == p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())
    estimator = _constructed(lambda: cls(), where, f"{cls.__name__}()")
    if not takes_any:
        known = estimator.get_params(deep=False)
        unknown = [key for key in model.params if key not in known]
        if unknown:
            raise SpecError("\n".join(f"{prefix}model.params.{key}: unknown parameter of {cls.__name__}{did_you_mean(key, known)}"
                                      for key in unknown))
    estimator = _constructed(lambda: cls(**model.params), f"{prefix}model.params", f"{cls.__name__}(**params)")
    return checked(estimator, task, where, cls.__name__)


def factory_estimator(model: ModelSpec, task: Task, trust: Trust, prefix: str) -> BaseEstimator:
    """What the trusted factory `model.factory` returns when called with `model.params`, checked."""
    where = f"{prefix}model.factory"
    factory = trusted_object(model.factory, trust, where)
    if not callable(factory):
        raise SpecError(f"{where}: '{model.factory}' is not callable (a factory is a function that returns an estimator)")
    estimator = _constructed(lambda: factory(**model.params), where, f"{model.factory}(**params)")
    missing = [name for name in API if not callable(getattr(estimator, name, None))]
    if missing:
        raise SpecError(f"{where}: {model.factory} returned {type(estimator).__name__}, which is not an estimator: it has no "
                        f"{', '.join(missing)} {API_TEXT}")
    return checked(estimator, task, where, type(estimator).__name__)


def checked(estimator: Any, task: Task, where: str, what: str) -> BaseEstimator:
    """The estimator, once it is clonable and suits the task."""
    try:
        clone(estimator)
    except Exception as exc:
        raise SpecError(f"{where}: {what} cannot be cloned for each fit ({type(exc).__name__}: {_first_line(exc)}); it must "
                        "follow the scikit-learn estimator API (get_params returns the constructor's arguments)") from None
    kind = estimator_kind(estimator)
    wanted = "classifier" if task == Task.CLASSIFICATION else "regressor"
    if kind is not None and kind != wanted:
        raise SpecError(f"{where}: {what} is a {kind}, not a {wanted}; the task is {task}")
    if kind is None and task == Task.CLASSIFICATION and not callable(getattr(estimator, "predict_proba", None)):
        raise SpecError(f"{where}: {what} does not say it is a classifier (no scikit-learn tags, no predict_proba; subclassing "
                        f"sklearn.base.ClassifierMixin says so); the task is {task}")
    return estimator


def estimator_kind(estimator: Any) -> str | None:
    """'classifier' or 'regressor' as the estimator's scikit-learn tags say; None when it has none."""
    try:
        if is_classifier(estimator):
            return "classifier"
        if is_regressor(estimator):
            return "regressor"
    except (AttributeError, TypeError):
        pass
    kind = getattr(estimator, "_estimator_type", None)
    return kind if kind in ("classifier", "regressor") else None


def _constructed(make, where: str, call: str) -> Any:
    try:
        return make()
    except Exception as exc:  # the user's own code: whatever it raises is one line here
        raise SpecError(f"{where}: {call} raised {type(exc).__name__}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "(no message)"
