"""Estimators from a spec: names resolve against scikit-learn's public estimator modules only (never
importing a test, private or vendored module), and a real estimator that cannot serve the study is
refused in one line: wrong kind, constructor arguments a spec cannot give, params of the wrong shape."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ablation_pipeline.ablations.estimators import PUBLIC_MODULES, estimator_with_setting, make_estimator, resolve_estimator
from ablation_pipeline.ablations.preparation import build_pipeline, prepared_width
from ablation_pipeline.errors import SpecError
from ablation_pipeline.spec.schema import ModelSpec
from ablation_pipeline.vocabulary import Task

REG, CLS = Task.REGRESSION, Task.CLASSIFICATION
ANOTHER_LIBRARY = ("(an estimator of another library is named by its module, such as lightgbm.LGBMRegressor, from a module "
                   "the project trusts)")


def refusal(estimator: str, task: Task = REG, **params) -> list[str]:
    with pytest.raises(SpecError) as caught:
        make_estimator(ModelSpec(estimator=estimator, params=params), task, "s.yaml")
    return str(caught.value).splitlines()


def test_public_names_and_paths_resolve():
    assert resolve_estimator("Ridge") is Ridge
    assert resolve_estimator("sklearn.linear_model.Ridge") is Ridge
    assert resolve_estimator("KMeans").__name__ == "KMeans"  # found, so that its kind can be named
    assert all(not part.startswith("_") and part not in ("tests", "conftest", "externals", "utils")
               for module in PUBLIC_MODULES for part in module.split("."))


@pytest.mark.parametrize(("estimator", "task", "message"), [
    ("KMeans", REG, "KMeans is a clusterer, not a regressor; the task is regression"),
    ("PCA", CLS, "PCA is a transformer, not a classifier; the task is classification"),
    ("IsolationForest", CLS, "IsolationForest is an outlier detector, not a classifier; the task is classification"),
    ("GaussianMixture", REG, "GaussianMixture is a density estimator, not a regressor; the task is regression"),
    ("LogisticRegression", REG, "LogisticRegression is a classifier, not a regressor; the task is regression"),
    ("sklearn.ensemble.RandomForestRegressor", CLS,
     "RandomForestRegressor is a regressor, not a classifier; the task is classification"),
])
def test_a_real_estimator_of_the_wrong_kind_is_named_as_such(estimator, task, message):
    assert refusal(estimator, task) == [f"s.yaml: model.estimator: {message}"]


@pytest.mark.parametrize(("estimator", "arguments"), [
    ("Pipeline", "steps"), ("StackingRegressor", "estimators"), ("VotingClassifier", "estimators"),
    ("GridSearchCV", "estimator, param_grid"), ("RandomizedSearchCV", "estimator, param_distributions"),
    ("ColumnTransformer", "transformers"), ("MultiOutputRegressor", "estimator"), ("OneVsRestClassifier", "estimator"),
    ("sklearn.pipeline.FeatureUnion", "transformer_list"),
])
def test_meta_estimators_needing_arguments_are_one_line(estimator, arguments):
    name = estimator.rpartition(".")[2]
    assert refusal(estimator) == [f"s.yaml: model.estimator: {name} needs constructor arguments ({arguments}), "
                                  "which a study spec cannot give; name a plain estimator"]


def test_meta_estimators_with_defaults_still_work():
    assert type(make_estimator(ModelSpec(estimator="TransformedTargetRegressor"), REG)).__name__ == "TransformedTargetRegressor"
    assert type(make_estimator(ModelSpec(estimator="BaggingClassifier"), CLS)).__name__ == "BaggingClassifier"


@pytest.mark.parametrize(("estimator", "message"), [
    ("Ridg", "unknown estimator 'Ridg'; did you mean 'Ridge'?"),
    ("ridge", "unknown estimator 'ridge'; did you mean 'Ridge'?"),
    ("RandomForestClasifier", "unknown estimator 'RandomForestClasifier'; did you mean 'RandomForestClassifier'?"),
    ("XGBClassifier", "unknown estimator 'XGBClassifier': not a public scikit-learn estimator "
                      f"{ANOTHER_LIBRARY}"),
    ("CatBoostRegressor", "unknown estimator 'CatBoostRegressor': not a public scikit-learn estimator "
                          f"{ANOTHER_LIBRARY}"),
    ("LGBMRegressor", "unknown estimator 'LGBMRegressor': not a public scikit-learn estimator "
                      f"{ANOTHER_LIBRARY}"),
    ("BaseEstimator", "unknown estimator 'BaseEstimator': not a public scikit-learn estimator "
                      f"{ANOTHER_LIBRARY}"),
    ("HalvingGridSearchCV", "HalvingGridSearchCV is experimental in scikit-learn and cannot be named in a study spec"),
    ("sklearn.linear_model.Ridg", "'Ridg' is not an estimator in sklearn.linear_model; did you mean 'Ridge'?"),
    ("sklearn.linear_model._ridge.Ridge", "'sklearn.linear_model._ridge' is not one of scikit-learn's public estimator modules; "
                                          "did you mean 'Ridge'?"),
    ("sklearn.conftest.X", "'sklearn.conftest' is not one of scikit-learn's public estimator modules "
                           "(name a class such as Ridge, or its public path such as sklearn.linear_model.Ridge)"),
    ("numpy.linalg.Thing", "'numpy.linalg.Thing' is in module 'numpy.linalg', which this project does not trust; "
                           "a spec may name code only from trusted modules (sklearn): add 'numpy' to [tool.ablation_pipeline] "
                           "trusted_modules in a pyproject.toml beside or above the study, or to ABLATION_TRUSTED_MODULES "
                           "for this command"),
])
def test_names_that_are_not_usable_estimators(estimator, message):
    assert refusal(estimator) == [f"s.yaml: model.estimator: {message}"]


def test_naming_test_private_or_vendored_modules_never_imports_them():
    """In a fresh process: none of these names may import what it points into, nor pytest."""
    names = ["sklearn.conftest.X", "sklearn.utils._testing.assert_allclose", "sklearn.tests.test_base.T",
             "sklearn.externals._arff.ArffDecoder", "sklearn.utils.estimator_checks.check_estimator",
             "sklearn.linear_model.tests.test_ridge.X", "sklearn.experimental.enable_halving_search_cv.X",
             "conftest", "tests", "pytest", "XGBClassifier", "KMeans"]
    watched = ["pytest", "sklearn.conftest", "sklearn.utils._testing", "sklearn.tests", "sklearn.externals._arff",
               "sklearn.utils.estimator_checks", "sklearn.linear_model.tests", "sklearn.experimental"]
    code = (
        "import sys\nfrom ablation_pipeline.ablations.estimators import resolve_estimator\n"
        "from ablation_pipeline.errors import SpecError\n"
        f"before = [m for m in {watched!r} if m in sys.modules]\n"
        f"for name in {names!r}:\n"
        "    try:\n        resolve_estimator(name)\n    except SpecError:\n        pass\n"
        f"print(before, [m for m in {watched!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120).stdout
    assert out.strip() == "[] []"


@pytest.mark.parametrize(("estimator", "params", "lines"), [
    ("Ridge", {"alpha": {"a": 1}}, ["model.params.alpha: Ridge takes no mapping for alpha, got {'a': 1}"]),
    ("Ridge", {"alpha": [[1, 2]]}, ["model.params.alpha: Ridge takes a number or a flat list for alpha, got [[1, 2]]"]),
    ("RandomForestRegressor", {"n_estimators": [1, 2]},
     ["model.params.n_estimators: The 'n_estimators' parameter of RandomForestRegressor must be an int in the range [1, inf). "
      "Got [1, 2] instead."]),
    ("MLPRegressor", {"hidden_layer_sizes": {"a": 8}, "alpah": 1, "solver": "sgdd"},
     ["model.params.hidden_layer_sizes: MLPRegressor takes no mapping for hidden_layer_sizes, got {'a': 8}",
      "model.params.alpah: unknown parameter of MLPRegressor; did you mean 'alpha'?",
      "model.params.solver: The 'solver' parameter of MLPRegressor must be a str among {'lbfgs', 'sgd', 'adam'}. Got 'sgdd' instead."]),
    ("LogisticRegression", {"C": {"x": 1}}, ["model.params.C: LogisticRegression takes no mapping for C, got {'x': 1}"]),
    ("Ridge", {"alpha": float("inf")},
     ["model.params.alpha: The 'alpha' parameter of Ridge must be a float in the range [0.0, inf) or an array-like. Got inf instead."]),
])
def test_params_of_the_wrong_structure_name_the_param(estimator, params, lines):
    task = CLS if estimator == "LogisticRegression" else REG
    got = refusal(estimator, task, **params)
    if estimator == "MLPRegressor":  # scikit-learn prints the options of a set in no fixed order
        got[2] = got[2].split(" must be")[0]
        lines = [*lines[:2], lines[2].split(" must be")[0]]
    assert got == [f"s.yaml: {line}" for line in lines]


@pytest.mark.parametrize(("estimator", "params"), [
    ("LogisticRegression", {"class_weight": {"a": 2.0, "b": 1.0}}), ("MLPClassifier", {"hidden_layer_sizes": [8, 4]}),
    ("DecisionTreeClassifier", {"class_weight": "balanced"}), ("HistGradientBoostingClassifier", {"monotonic_cst": [1, 0, -1]}),
    ("LogisticRegression", {"C": float("inf")}),
])
def test_params_that_take_mappings_or_lists_keep_them(estimator, params):
    (key, value), = params.items()
    assert make_estimator(ModelSpec(estimator=estimator, params=params), CLS).get_params()[key] == value


def test_a_sweep_names_its_entry_for_every_kind_of_problem():
    mlp = {"layers": [{"name": "h", "type": "Linear", "args": {"out_features": 4}}, {"name": "o", "type": "Linear", "output": True}]}
    with pytest.raises(SpecError) as caught:
        estimator_with_setting(ModelSpec(network=mlp), "model.network.training.epochs", 0, CLS, "s.yaml: ablations[1]")
    assert str(caught.value) == "s.yaml: ablations[1]: model.network.training.epochs: Input should be greater than or equal to 1, got 0"
    with pytest.raises(SpecError) as caught:
        estimator_with_setting(ModelSpec(estimator="Ridge"), "model.params.alpha", -1.0, REG, "s.yaml: ablations[0]")
    assert str(caught.value).startswith("s.yaml: ablations[0]: model.params.alpha: The 'alpha' parameter of Ridge must be")


def test_prepared_width_counts_every_category():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, None, 1.5], "city": ["x", "y", "z"]})
    assert prepared_width(frame, ["a", "b"], ["city"]) == 5
    assert prepared_width(frame, ["a"], []) == 1


def test_numeric_preprocessing_matches_imputing_and_scaling_the_frame_itself():
    """The numeric columns become one float array before imputing (faster than validating a frame's
    dtypes); every kind of numeric column and missing value gives what the frame itself gives."""
    frame = pd.DataFrame({
        "ints": [1, 2, 3, 4, 5, 6],
        "floats": [0.5, np.nan, 1.5, 2.0, None, 3.0],
        "nullable": pd.array([1, pd.NA, 3, 4, 5, pd.NA], dtype="Int64"),
        "flags": [True, False, True, True, False, True],
        "city": ["x", "y", "z", "x", "y", "z"],
    })
    numeric = ["ints", "floats", "nullable", "flags"]
    y = np.arange(6, dtype=float)
    model = build_pipeline(Ridge(), numeric, ["city"], random_state=0).fit(frame, y)
    reference = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()).fit(frame[numeric])
    prepared = model[:-1].transform(frame)
    np.testing.assert_allclose(prepared[:, :4], reference.transform(frame[numeric]))
    assert list(model[0].get_feature_names_out()[:4]) == [f"numeric__{c}" for c in numeric]
    assert model.predict(frame.iloc[:2]).shape == (2,)
