"""Inference-time feature ablation in the model's prepared space: transform the test fold once,
then permute or mean-fill the columns a feature became. Preprocessing works column by column and
row by row, so this gives exactly the predictions of perturbing the raw rows and re-running the
pipeline, without re-running pandas and the ColumnTransformer for every variant and draw."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline


class Recent:
    """The last few values computed for an object, keyed by its identity (the object is kept with
    its value, so an id cannot be reused while cached). The variants of a study run in one process
    share the baseline's fold models, the dataset and the test folds."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[tuple[int, Hashable], tuple[object, Any]] = OrderedDict()

    def get(self, owner: object, key: Hashable, compute: Callable[[], Any]) -> Any:
        hit = self._items.get((id(owner), key))
        if hit is not None and hit[0] is owner:
            return hit[1]
        value = compute()
        self._items[(id(owner), key)] = (owner, value)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value


# One per fold model: at least as many as a study has splits (variants visit the folds in turn).
_MATRICES, _LAYOUTS = Recent(32), Recent(32)


def prepared_matrix(model: Pipeline, test: np.ndarray, rows: Callable[[], pd.DataFrame]) -> np.ndarray:
    """model[:-1].transform(test rows), remembered per fold model and test fold."""
    return _MATRICES.get(model, test.tobytes(), lambda: np.asarray(model[:-1].transform(rows()), dtype=float))


def prepared_columns(model: Pipeline) -> dict[str, list[int]] | None:
    """Raw feature -> indices of its columns in the prepared matrix; None when the layout is unknown."""
    return _LAYOUTS.get(model, None, lambda: _layout(model))


def _layout(model: Pipeline) -> dict[str, list[int]] | None:
    prepare = model[0]
    layout: dict[str, list[int]] = {}
    for name, transformer, columns in getattr(prepare, "transformers_", []):
        if name == "remainder":
            continue
        block = prepare.output_indices_[name]
        if name == "categorical":
            sizes = [len(c) for c in transformer.named_steps["encode"].categories_]
        else:
            sizes = [1] * len(columns)
        if sum(sizes) != block.stop - block.start:  # e.g. an imputer dropped a column: take the slow path
            return None
        offsets = np.cumsum([block.start, *sizes])
        layout.update({column: list(range(offsets[i], offsets[i + 1])) for i, column in enumerate(columns)})
    return layout or None


def prepared_value(model: Pipeline, column: str, value: object) -> np.ndarray:
    """What the pipeline's preprocessing turns `value` of `column` into (scaled number or one-hot row)."""
    return prepared_values(model, column, np.array([value], dtype=object))[0]


def prepared_values(model: Pipeline, column: str, values: np.ndarray) -> np.ndarray:
    """What the pipeline's preprocessing turns each of `values` of `column` into, one row per value:
    missing values imputed as the fitted imputer does, then scaled (numeric) or one-hot encoded."""
    prepare = model[0]
    for name, transformer, columns in prepare.transformers_:
        if column in list(columns):
            position = list(columns).index(column)
            fill = transformer.named_steps["impute"].statistics_[position]
            missing = pd.isna(values)
            if name == "categorical":
                categories = transformer.named_steps["encode"].categories_[position]
                filled = np.where(missing, fill, values)
                return (filled[:, None] == categories[None, :]).astype(float)
            scaler = transformer.named_steps["scale"]
            numbers = np.where(missing, fill, values).astype(float)
            return ((numbers - scaler.mean_[position]) / scaler.scale_[position])[:, None]
    raise KeyError(column)


def prepared_fold(model: Pipeline, test: np.ndarray, rows: Callable[[], pd.DataFrame],
                  columns: Sequence[str]) -> tuple[np.ndarray, dict[str, list[int]]] | None:
    """The prepared test fold and the layout of its columns, or None when a column's place in the
    prepared matrix is unknown (then only perturbing the raw rows will do). `test` are the fold's row
    positions; `rows()` gives the raw rows when they must be transformed."""
    layout = prepared_columns(model)
    if layout is None or any(c not in layout for c in columns):
        return None
    return prepared_matrix(model, test, rows), layout
