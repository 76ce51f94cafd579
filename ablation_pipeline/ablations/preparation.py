"""What stands between the data and the estimator, and how each fit is made. `preprocessing: auto`:
numeric columns median-imputed and scaled, categorical ones imputed and one-hot encoded (dropping a
categorical feature drops all its encoded columns). `preprocessing: none`: the frame as read, missing
values kept and categorical columns as pandas `category` with the categories of the whole data (what
LightGBM, XGBoost and HistGradientBoosting take natively; a fold never meets a category as new)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

THREAD_PARAMS = ("n_jobs", "nthread", "num_threads", "thread_count")  # what boosters call their own threads


@dataclass(frozen=True)
class FitOptions:
    """How every fit of a study is made, beyond the estimator: the preprocessing (and, for `none`, each
    categorical column's categories), arguments passed to `fit`, early stopping as (validation
    fraction, rounds), and the estimator's own threads when the fits already run in parallel (None:
    its default)."""

    preprocessing: str = "auto"
    categories: dict[str, tuple] = field(default_factory=dict)
    fit_params: dict[str, Any] = field(default_factory=dict)
    early_stopping: tuple[float, int] | None = None
    threads: int | None = None


class AsCategories(TransformerMixin, BaseEstimator):
    """The frame as read, its categorical columns as pandas `category` of the given categories."""

    def __init__(self, categories: dict[str, tuple] | None = None):
        self.categories = categories

    def fit(self, X: pd.DataFrame, y: Any = None) -> AsCategories:
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        present = {c: cats for c, cats in (self.categories or {}).items() if c in X.columns}
        if not present:
            return X  # nothing to convert: the rows as handed over (a copy cost 0.9 s at 100,000 x 256)
        frame = X.copy()
        for column, categories in present.items():
            frame[column] = pd.Categorical(frame[column], categories=list(categories))
        return frame


def build_pipeline(estimator: BaseEstimator, numeric: list[str], categorical: list[str], random_state: int | None,
                   options: FitOptions | None = None) -> Pipeline:
    """Preprocessing + a fresh clone of the estimator; `random_state` is set when the estimator has one
    and the user did not fix it, so baseline and variants share their randomness per split; a booster's
    own threads are set when `options` says so."""
    options = options or FitOptions()
    model = clone(estimator)
    params = model.get_params(deep=False)
    if random_state is not None and "random_state" in params and params["random_state"] is None:
        model.set_params(random_state=random_state)
    if options.threads is not None and type(model).__module__.split(".")[0] != "sklearn":  # scikit-learn's default is one
        model.set_params(**{name: options.threads for name in THREAD_PARAMS if name in params})
    if options.preprocessing == "none":
        prepare = AsCategories({c: options.categories[c] for c in categorical if c in options.categories})
    else:
        prepare = _preprocessing(numeric, categorical)
    return Pipeline([("prepare", prepare), ("model", model)])


def categories_of(features: pd.DataFrame, categorical: tuple[str, ...]) -> dict[str, tuple]:
    """Every categorical column's categories in the whole data, sorted (missing values are not one)."""
    return {c: tuple(sorted(features[c].dropna().unique().tolist(), key=str)) for c in categorical}


def prepared_width(features: Any, numeric: list[str], categorical: list[str]) -> int:
    """How many columns the preprocessing makes of these features (every category seen counts): the
    input width of a network trained on them."""
    prepare = _preprocessing(list(numeric), list(categorical))
    return prepare.fit(features).transform(features.head(2)).shape[1]


def float_matrix(columns: Any) -> np.ndarray:
    """The numeric columns as one float array, missing values (NaN, None, pd.NA) as NaN."""
    if isinstance(columns, pd.DataFrame):
        return columns.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(columns, dtype=float)


def _preprocessing(numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        # The frame becomes one float array first: the imputer and scaler then validate an array, not
        # every column's dtype of a frame (a third of a Ridge fit's time on 150 columns, twice per fold).
        as_array = FunctionTransformer(float_matrix, feature_names_out="one-to-one")
        steps = [("array", as_array), ("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
        transformers.append(("numeric", Pipeline(steps), numeric))
    if categorical:
        encode = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        impute = SimpleImputer(strategy="most_frequent")
        transformers.append(("categorical", Pipeline([("impute", impute), ("encode", encode)]), categorical))
    return ColumnTransformer(transformers)
