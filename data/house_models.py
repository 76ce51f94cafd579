"""A model of the project's own, for `data/studies/house_prices_factory.yaml`: a factory that returns a
scikit-learn Pipeline with a custom transformer. The project trusts this module in its pyproject.toml
(`[tool.ablation_pipeline] trusted_modules`), so a study may name `data.house_models:make_model`.

The pipeline selects its columns by type, never by name: a drop variant hands it the frame without
that column, and `preprocessing: none` hands categorical columns over as pandas `category`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


class Winsorize(TransformerMixin, BaseEstimator):
    """Clip each column to the `clip` and 1 - `clip` quantiles of the rows it was fitted on."""

    def __init__(self, clip: float = 0.01):
        self.clip = clip

    def fit(self, X, y=None):
        values = np.asarray(X, dtype=float)
        self.low_, self.high_ = np.nanquantile(values, self.clip, axis=0), np.nanquantile(values, 1 - self.clip, axis=0)
        return self

    def transform(self, X):
        return np.clip(np.asarray(X, dtype=float), self.low_, self.high_)


def make_model(alpha: float = 1.0, clip: float = 0.01):
    """Numbers imputed, winsorized and scaled, categories one-hot encoded, then a ridge regression."""
    numbers = make_pipeline(SimpleImputer(strategy="median"), Winsorize(clip), StandardScaler())
    categories = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore"))
    prepare = make_column_transformer((numbers, make_column_selector(dtype_include="number")),
                                      (categories, make_column_selector(dtype_include=["category", "object"])))
    return make_pipeline(prepare, Ridge(alpha=alpha))


if __name__ == "__main__":  # a quick look: python data/house_models.py
    frame = pd.read_csv(__file__.replace("house_models.py", "house_prices.csv"))
    print(make_model().fit(frame.drop(columns="price"), frame["price"]).score(frame.drop(columns="price"), frame["price"]))
