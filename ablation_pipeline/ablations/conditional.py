"""Conditional perturbation: replace the ablated columns by a draw from their distribution given the
other features, so a feature correlated with others is not moved to rows that cannot exist, as a
marginal permutation does (Hooker et al. 2021). A simplified form of the conditional samplers of R's
cpi and xplainfi packages.

Assumptions: the conditional model is learned on the training fold only, on a design of the other
columns (numeric ones mean-imputed and standardized with training statistics, constant ones dropped;
categorical ones one-hot encoded with the training categories, unknown or missing ones all zeros).
Numeric targets are linear in that design (one multi-output ridge regression, alpha 1e-3, training
values missing imputed by the training mean) with exchangeable residuals: a draw is the prediction
plus the test fold's own residual rows, shuffled by one permutation so a group's residuals move
together (a missing test value keeps NaN and lends a zero residual). Each categorical target is drawn
from a logistic regression's (multinomial, C=1) predicted probabilities; missing test values stay missing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge

ALPHA = 1e-3  # ridge penalty: only there to keep collinear designs solvable


@dataclass(frozen=True)
class _Design:
    """The other columns as a numeric matrix, with parameters taken from the training rows only."""

    numeric: dict[str, tuple[float, float]]  # column -> (mean, std); constant columns left out
    categories: dict[str, pd.Index]  # column -> training categories, in order of appearance

    @classmethod
    def fit(cls, train: pd.DataFrame, others: Sequence[str], categorical: set[str]) -> _Design:
        numeric, categories = {}, {}
        for column in others:
            if column in categorical:
                categories[column] = pd.Index(pd.unique(train[column].dropna().to_numpy(dtype=object)), dtype=object)
            else:
                values = train[column].to_numpy(dtype=float, na_value=np.nan)
                if np.isfinite(values).any() and (std := float(np.nanstd(values))) > 0:
                    numeric[column] = (float(np.nanmean(values)), std)
        return cls(numeric, categories)

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Standardized numeric columns (missing -> 0, the training mean) and one-hot categoricals."""
        blocks = [np.zeros((len(frame), 1))]  # a constant column keeps a design with nothing left fittable
        for column, (mean, std) in self.numeric.items():
            blocks.append(np.nan_to_num((frame[column].to_numpy(dtype=float, na_value=np.nan) - mean) / std)[:, None])
        for column, index in self.categories.items():
            codes = index.get_indexer(frame[column].to_numpy(dtype=object))  # -1: unknown or missing
            blocks.append((codes[:, None] == np.arange(len(index))).astype(float))
        return np.hstack(blocks)


class ConditionalSampler:
    """Learned on training rows: how `targets` depend on the other columns."""

    def __init__(self, design: _Design, numeric: list[str], regression: Ridge | None,
                 classifiers: dict[str, tuple[pd.Index, LogisticRegression | None]]) -> None:
        self.design, self.numeric, self.regression, self.classifiers = design, numeric, regression, classifiers

    @classmethod
    def fit(cls, train: pd.DataFrame, targets: Sequence[str], categorical: Sequence[str]) -> ConditionalSampler:
        targets = list(dict.fromkeys(targets))
        if missing := [t for t in targets if t not in train.columns]:
            raise ValueError(f"conditional perturbation: unknown target column(s) {missing}")
        others = [c for c in train.columns if c not in targets]
        if not others:
            raise ValueError(f"conditional perturbation of {targets}: no other column to condition on")
        design = _Design.fit(train, others, set(categorical))
        x = design.matrix(train)
        numeric = [t for t in targets if t not in set(categorical)]
        regression = None
        if numeric:
            y = train[numeric].to_numpy(dtype=float, na_value=np.nan)
            present = ~np.isnan(y).all(axis=1)
            if np.isnan(y).all(axis=0).any():
                raise ValueError(f"conditional perturbation: a target in {numeric} has no training value")
            y = np.where(np.isnan(y), np.nanmean(y, axis=0), y)
            regression = Ridge(alpha=ALPHA).fit(x[present], y[present])
        classifiers = {}
        for target in (t for t in targets if t not in numeric):
            values = train[target].to_numpy(dtype=object)
            present = ~pd.isna(values)
            codes, classes = pd.factorize(values[present])
            if len(classes) == 0:
                raise ValueError(f"conditional perturbation: target '{target}' has no training value")
            model = LogisticRegression(max_iter=1000).fit(x[present], codes) if len(classes) > 1 else None
            classifiers[target] = (pd.Index(classes, dtype=object), model)
        return cls(design, numeric, regression, classifiers)

    def predict(self, test: pd.DataFrame) -> pd.DataFrame:
        """The numeric targets' conditional mean at the test rows: what a draw adds residuals to."""
        x = self.design.matrix(test)
        return pd.DataFrame(self._predict(x), index=test.index, columns=self.numeric)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        if self.regression is None:
            return np.empty((len(x), 0))
        return self.regression.predict(x).reshape(len(x), len(self.numeric))

    def draw(self, test: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """A copy of `test` with the target columns replaced by one draw (numeric first, then each
        categorical target in order, all randomness from `rng`)."""
        out = test.copy()
        x = self.design.matrix(test)
        n = len(test)
        if self.regression is not None:
            observed = test[self.numeric].to_numpy(dtype=float, na_value=np.nan)
            prediction = self._predict(x)
            residuals = np.nan_to_num(observed - prediction)  # a missing value lends no noise
            drawn = prediction + residuals[rng.permutation(n)]
            drawn[np.isnan(observed)] = np.nan
            for j, column in enumerate(self.numeric):
                out[column] = _like(drawn[:, j], test[column])
        for column, (classes, model) in self.classifiers.items():
            if model is None:
                picks = np.zeros(n, dtype=int)
            else:
                cumulative = model.predict_proba(x).cumsum(axis=1)
                picks = np.minimum((rng.random(n)[:, None] >= cumulative).sum(axis=1), len(classes) - 1)
                picks = model.classes_[picks]
            values = classes.to_numpy()[picks]
            values[pd.isna(test[column].to_numpy(dtype=object))] = np.nan
            out[column] = _like(values, test[column])
        return out


def _like(values: np.ndarray, original: pd.Series) -> pd.Series:
    """The drawn values in the original column's dtype where that holds them unchanged: floats stay
    in their width, strings in their string dtype; integers become floats, other categories objects."""
    series = pd.Series(values, index=original.index, name=original.name)
    dtype = original.dtype
    if values.dtype.kind == "f":  # a numeric target
        return series.astype(dtype if pd.api.types.is_float_dtype(dtype) else float)
    return series.astype(dtype if isinstance(dtype, pd.StringDtype) else object)


def conditional_draws(train: pd.DataFrame, test: pd.DataFrame, targets: Sequence[str], categorical: Sequence[str],
                      draws: int, seed: int) -> list[pd.DataFrame]:
    """`draws` independent draws of the test rows' target columns (only those columns returned, same
    index), from one sampler fitted on `train`, rng = np.random.default_rng(seed) used in order draw 0, 1, ..."""
    sampler = ConditionalSampler.fit(train, targets, categorical)
    rng = np.random.default_rng(seed)
    columns = list(dict.fromkeys(targets))
    return [sampler.draw(test, rng)[columns] for _ in range(draws)]
