"""Build the model from the spec: a scikit-learn estimator from its public estimator modules, or an
estimator of a module the project trusts (`foreign`), behind the study's preprocessing.

Naming a class in a spec imports its module, so scikit-learn names resolve only against
PUBLIC_MODULES, an allowlist: never a private (`_`) module, nor tests, conftest, externals or utils
(importing `sklearn.conftest` pulls in pytest and five more packages); other names go through the
project's trust (`spec.trust`, `imports`). A real estimator that cannot serve is
refused in one line before it is called: one of the wrong kind (a clusterer for a regression), a
meta-estimator that needs constructor arguments a spec cannot give (Pipeline, GridSearchCV, ...),
or params of the wrong structure, which scikit-learn's own checks let through where they accept
"array-like" (`Ridge(alpha={'a': 1})` passes them and fails in `fit`)."""

from __future__ import annotations

import difflib
import importlib
import inspect
from functools import cache
from pathlib import Path
from typing import Any

from sklearn.base import (
    BaseEstimator,
    BiclusterMixin,
    ClassifierMixin,
    ClusterMixin,
    DensityMixin,
    OutlierMixin,
    RegressorMixin,
    TransformerMixin,
    is_classifier,
    is_regressor,
)

from ..errors import SpecError, did_you_mean
from ..spec.messages import shown
from ..spec.model import MISSING_MODEL, ModelSpec
from ..spec.trust import Trust
from ..vocabulary import Task
from .foreign import class_estimator, factory_estimator
from .networks import network_estimator
from .sweeps import apply_setting

ALLOWED_MODULES = ("sklearn",)
# Where scikit-learn's classifiers and regressors live, most used first. A short name is looked up
# here first: one or two imports, where `all_estimators()` imports all of scikit-learn (~2 s in every
# step process) and `sklearn.utils._testing`, which imports pytest.
PREDICTOR_MODULES = (
    "sklearn.linear_model", "sklearn.ensemble", "sklearn.tree", "sklearn.svm", "sklearn.neighbors",
    "sklearn.naive_bayes", "sklearn.neural_network", "sklearn.discriminant_analysis", "sklearn.dummy",
    "sklearn.kernel_ridge", "sklearn.gaussian_process", "sklearn.cross_decomposition", "sklearn.isotonic",
    "sklearn.semi_supervised", "sklearn.calibration",
)
# The other public modules with estimators, so that a real one of the wrong kind is named as such
# rather than called unknown.
OTHER_MODULES = (
    "sklearn.cluster", "sklearn.decomposition", "sklearn.preprocessing", "sklearn.pipeline", "sklearn.compose",
    "sklearn.model_selection", "sklearn.multiclass", "sklearn.multioutput", "sklearn.feature_selection",
    "sklearn.manifold", "sklearn.mixture", "sklearn.covariance", "sklearn.impute", "sklearn.kernel_approximation",
    "sklearn.random_projection", "sklearn.feature_extraction", "sklearn.feature_extraction.text",
    "sklearn.feature_extraction.image", "sklearn.frozen",
)
PUBLIC_MODULES = PREDICTOR_MODULES + OTHER_MODULES
_KINDS = ((ClassifierMixin, "a classifier"), (RegressorMixin, "a regressor"), (ClusterMixin, "a clusterer"),
          (OutlierMixin, "an outlier detector"), (DensityMixin, "a density estimator"), (BiclusterMixin, "a biclusterer"),
          (TransformerMixin, "a transformer"))


def is_scikit_learn_name(name: str) -> bool:
    """A short class name ('Ridge', looked up in scikit-learn) or a path into scikit-learn."""
    return ("." not in name and ":" not in name) or name.split(".")[0] in ALLOWED_MODULES


def resolve_estimator(name: str, where: str = "model.estimator") -> type:
    """'Ridge' or 'sklearn.linear_model.Ridge' -> the class. Only PUBLIC_MODULES are ever imported."""
    if "." not in name:
        cls = _find(name, where)
        if cls is None:
            raise SpecError(f"{where}: {_unknown(name)}")
        return cls
    module_name, _, class_name = name.rpartition(".")
    if module_name not in PUBLIC_MODULES:
        home = _find(class_name, where) if class_name.isidentifier() else None
        hint = (f"; did you mean '{home.__name__}'?" if home is not None
                else " (name a class such as Ridge, or its public path such as sklearn.linear_model.Ridge)")
        raise SpecError(f"{where}: '{module_name}' is not one of scikit-learn's public estimator modules{hint}")
    module = importlib.import_module(module_name)
    cls = _public_class(module, class_name, where)
    if cls is None:
        hint = _close_name(class_name, _estimator_names(module_name))
        raise SpecError(f"{where}: '{class_name}' is not an estimator in {module_name}" + (f"; did you mean '{hint}'?" if hint else ""))
    return cls


def make_estimator(model: ModelSpec, task: Task, label: str = "", trust: Trust | None = None, base_dir: Path | None = None,
                   pretrained: bool = False) -> BaseEstimator:
    """Instantiate and validate the estimator: it must suit the task and accept its params. Code from
    outside scikit-learn only from the modules `trust` names (default: scikit-learn alone). A network's
    checkpoint is relative to `base_dir` (the spec's folder); `pretrained` evaluates it as given."""
    prefix = f"{label}: " if label else ""
    if not model.given:
        raise SpecError(f"{prefix}{MISSING_MODEL}")
    if model.network is not None:
        return network_estimator(model.network, task, prefix, trust, base_dir, pretrained)
    if model.factory is not None:
        return factory_estimator(model, task, trust or Trust(), prefix)
    if not is_scikit_learn_name(model.estimator):
        return class_estimator(model, task, trust or Trust(), prefix)
    where = f"{prefix}model.estimator"
    cls = resolve_estimator(model.estimator, where)
    estimator = _instantiate(cls, where)
    fits_task = is_classifier(estimator) if task == Task.CLASSIFICATION else is_regressor(estimator)
    if not fits_task:
        wanted = "classifier" if task == Task.CLASSIFICATION else "regressor"
        raise SpecError(f"{where}: {cls.__name__} is {_kind_of(cls)}, not a {wanted}; the task is {task}")
    allowed = estimator.get_params(deep=False)
    problems = []
    for key, value in model.params.items():
        if key not in allowed:
            problems.append(f"{prefix}model.params.{key}: unknown parameter of {cls.__name__}{did_you_mean(key, allowed)}")
            continue
        problem = _param_problem(cls, key, value)
        if problem:
            problems.append(f"{prefix}model.params.{key}: {problem}")
    if problems:
        raise SpecError("\n".join(problems))
    return estimator.set_params(**model.params)


def estimator_with_setting(model: ModelSpec, path: str, value: Any, task: Task, where: str,
                           trust: Trust | None = None, base_dir: Path | None = None) -> BaseEstimator:
    """The study's estimator with one setting changed (a retrained sweep's variant), validated as the
    study's own is; `where` names the spec entry in messages."""
    try:
        changed = apply_setting(model, path, value)
    except SpecError as exc:
        raise SpecError("\n".join(f"{where}: {line}" for line in str(exc).splitlines())) from None
    return make_estimator(changed, task, where, trust, base_dir)


def _find(name: str, where: str) -> type | None:
    """The estimator class of that name in the public modules, predictors first."""
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a module this scikit-learn version does not have
            continue
        cls = _public_class(module, name, where)
        if cls is not None:
            return cls
    return None


def _public_class(module: Any, name: str, where: str) -> type | None:
    """A concrete scikit-learn estimator class exported by `module` under a public name, else None."""
    if not name.isidentifier() or name.startswith("_"):
        return None
    try:
        cls = getattr(module, name, None)
    except ImportError:  # scikit-learn's experimental estimators refuse to load without an opt-in import
        raise SpecError(f"{where}: {name} is experimental in scikit-learn and cannot be named in a study spec") from None
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator) and cls.__module__.startswith("sklearn.")):
        return None
    return None if inspect.isabstract(cls) or cls.__name__.startswith("Base") else cls


@cache
def _estimator_names(module_name: str) -> tuple[str, ...]:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return ()
    names = []
    for name in dir(module):
        try:
            if _public_class(module, name, "") is not None:
                names.append(name)
        except SpecError:
            continue
    return tuple(names)


def _unknown(name: str) -> str:
    hint = _close_name(name, [n for module in PUBLIC_MODULES for n in _estimator_names(module)])
    if hint:
        return f"unknown estimator '{name}'; did you mean '{hint}'?"
    return (f"unknown estimator '{name}': not a public scikit-learn estimator (an estimator of another library is named "
            "by its module, such as lightgbm.LGBMRegressor, from a module the project trusts)")


def _close_name(word: str, names: list[str] | tuple[str, ...]) -> str | None:
    """The closest name, unless they share only a long ending: 'XGBClassifier' is not a typo of
    'SGDClassifier', nor 'CatBoostRegressor' of 'AdaBoostRegressor'; what differs must be close too."""
    lowered = {name.lower(): name for name in names}
    for close in difflib.get_close_matches(word.lower(), list(lowered), n=3, cutoff=0.6):
        a, b = word.lower(), close
        while a and b and a[-1] == b[-1]:
            a, b = a[:-1], b[:-1]
        if not a or not b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.65:
            return lowered[close]
    return None


def _instantiate(cls: type, where: str) -> BaseEstimator:
    """`cls()`, for a class a spec can name: no required constructor arguments."""
    signature = inspect.signature(cls.__init__).parameters.values()
    required = [p.name for p in signature if p.name != "self" and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if required:
        raise SpecError(f"{where}: {cls.__name__} needs constructor arguments ({', '.join(required)}), "
                        "which a study spec cannot give; name a plain estimator")
    try:
        return cls()
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: {cls.__name__} cannot be built without arguments: {str(exc).splitlines()[0]}") from None


def _kind_of(cls: type) -> str:
    return next((kind for mixin, kind in _KINDS if issubclass(cls, mixin)), "not a predictor")


def _param_problem(cls: type, key: str, value: Any) -> str | None:
    """Why `value` cannot be `cls`'s parameter `key` (its structure, then scikit-learn's own check), or None."""
    constraints = getattr(cls, "_parameter_constraints", {}).get(key)
    accepted = constraints if isinstance(constraints, list) else []
    if isinstance(value, dict) and dict not in accepted:
        return f"{cls.__name__} takes no mapping for {key}, got {shown(value)}"
    flat = isinstance(value, list) and all(isinstance(item, (bool, int, float, str)) for item in value)
    if isinstance(value, list) and not flat and list not in accepted and tuple not in accepted and "array-like" in accepted:
        return f"{cls.__name__} takes a number or a flat list for {key}, got {shown(value)}"
    trial = cls().set_params(**{key: value})
    validate = getattr(trial, "_validate_params", None)  # scikit-learn's own parameter constraints
    if validate is not None:
        try:
            validate()
        except (ValueError, TypeError) as exc:
            return str(exc).splitlines()[0]
    return None
