"""Inference-time feature ablations: how each mode changes a test fold. Every mode perturbs the raw
rows (`raw`); a mode that can also perturb the pipeline's prepared matrix directly (exactly the same
predictions for far less work, see `prepared`) overrides `ablate_prepared`. A new mode is one more
class in PERTURBATIONS."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ..data.dataset import Dataset
from ..data.splits import Split, rows_of
from ..vocabulary import Mode
from .conditional import conditional_draws
from .plan import Variant
from .prepared import Recent, prepared_fold, prepared_value, prepared_values
from .seeds import derive_seed


class Perturbation:
    """One inference-time mode; its random draws per fold (`Variant.draws`) are averaged within the split."""

    def raw(self, variant: Variant, dataset: Dataset, split: Split, draw: int, seed: int) -> pd.DataFrame:
        """The test fold's raw rows with the variant's columns perturbed (draw `draw`)."""
        raise NotImplementedError

    def prepared(self, variant: Variant, model: Pipeline, dataset: Dataset, split: Split,
                 seed: int) -> list[np.ndarray] | None:
        """The prepared test matrix once per draw with the columns perturbed, ready for the model's last
        step; None when only perturbing the raw rows will do (the mode has no `ablate_prepared`, or a
        column's place in the prepared matrix is unknown)."""
        if type(self).ablate_prepared is Perturbation.ablate_prepared:
            return None
        fold = prepared_fold(model, split.test, lambda: rows_of(dataset.features, split.test), variant.components)
        if fold is None:
            return None
        matrix, layout = fold
        return self.ablate_prepared(variant, matrix, layout, model, dataset, split, seed)

    def ablate_prepared(self, variant: Variant, matrix: np.ndarray, layout: dict[str, list[int]], model: Pipeline,
                        dataset: Dataset, split: Split, seed: int) -> list[np.ndarray]:
        """The fast path, for modes that have one: perturb copies of the prepared test `matrix`, where
        `layout` maps each raw column to its columns in the matrix."""
        raise NotImplementedError


class Permute(Perturbation):
    """The columns shuffled jointly (a group's rows move together), as scikit-learn's
    permutation_importance shuffles them for the same `random_state`."""

    def orders(self, variant: Variant, split: Split, seed: int) -> list[np.ndarray]:
        random_state = permutation_seed(seed, variant.name, split.index)
        return [permutation_order(len(split.test), d, random_state) for d in range(variant.draws)]

    def raw(self, variant: Variant, dataset: Dataset, split: Split, draw: int, seed: int) -> pd.DataFrame:
        rows = rows_of(dataset.features, split.test).copy()
        order = permutation_order(len(rows), draw, permutation_seed(seed, variant.name, split.index))
        for column in variant.components:  # one order for all: a group's rows move together
            rows[column] = rows[column].to_numpy()[order]
        return rows

    def ablate_prepared(self, variant: Variant, matrix: np.ndarray, layout: dict[str, list[int]], model: Pipeline,
                        dataset: Dataset, split: Split, seed: int) -> list[np.ndarray]:
        targets = [j for column in variant.components for j in layout[column]]
        draws = []
        for order in self.orders(variant, split, seed):  # one order for all of a group's columns
            ablated = matrix.copy()
            ablated[:, targets] = matrix[order][:, targets]
            draws.append(ablated)
        return draws


class Conditional(Perturbation):
    """Conditional perturbation: each draw replaces the columns by a draw from their distribution given
    the other features, learned on the training fold only (see `conditional`). A near-copy of another
    feature then keeps its information, where permuting it would create rows that cannot exist."""

    def draws(self, variant: Variant, dataset: Dataset, split: Split, seed: int) -> list[pd.DataFrame]:
        """The replaced columns of the test rows, once per draw (one sampler per variant and split)."""
        def compute() -> list[pd.DataFrame]:
            features = dataset.features
            return conditional_draws(rows_of(features, split.train), rows_of(features, split.test), variant.components,
                                     dataset.categorical, variant.draws, derive_seed(seed, variant.name, split.index))

        return _CONDITIONAL_DRAWS.get(dataset, (variant.name, variant.permutations, split.test.tobytes(), seed), compute)

    def raw(self, variant: Variant, dataset: Dataset, split: Split, draw: int, seed: int) -> pd.DataFrame:
        rows = rows_of(dataset.features, split.test).copy()
        replaced = self.draws(variant, dataset, split, seed)[draw]
        for column in variant.components:
            rows[column] = replaced[column].to_numpy()
        return rows

    def ablate_prepared(self, variant: Variant, matrix: np.ndarray, layout: dict[str, list[int]], model: Pipeline,
                        dataset: Dataset, split: Split, seed: int) -> list[np.ndarray]:
        ablated = []
        for replaced in self.draws(variant, dataset, split, seed):
            draw = matrix.copy()
            for column in variant.components:
                draw[:, layout[column]] = prepared_values(model, column, replaced[column].to_numpy(dtype=object))
            ablated.append(draw)
        return ablated


class MeanFill(Perturbation):
    """Each column replaced by the training fold's mean (numeric) or most frequent value (categorical)."""

    def raw(self, variant: Variant, dataset: Dataset, split: Split, draw: int, seed: int) -> pd.DataFrame:
        rows = rows_of(dataset.features, split.test).copy()
        for column, value in training_fill(dataset, split, variant.components).items():
            rows[column] = value
        return rows

    def ablate_prepared(self, variant: Variant, matrix: np.ndarray, layout: dict[str, list[int]], model: Pipeline,
                        dataset: Dataset, split: Split, seed: int) -> list[np.ndarray]:
        ablated = matrix.copy()
        for column, value in training_fill(dataset, split, variant.components).items():
            ablated[:, layout[column]] = prepared_value(model, column, value)
        return [ablated]


class Noise(Perturbation):
    """Gaussian noise of `factor` training standard deviations added to each (numeric) column."""

    def raw(self, variant: Variant, dataset: Dataset, split: Split, draw: int, seed: int) -> pd.DataFrame:
        rows = rows_of(dataset.features, split.test).copy()
        rng = np.random.default_rng(derive_seed(seed, variant.name, split.index, draw))
        train = rows_of(dataset.features, split.train)
        for column in variant.components:
            noise = rng.normal(0.0, variant.factor * float(train[column].std()), len(rows))
            rows[column] = rows[column].to_numpy(dtype=float) + noise
        return rows


PERTURBATIONS: dict[Mode, Perturbation] = {Mode.PERMUTE: Permute(), Mode.CONDITIONAL: Conditional(), Mode.MEAN: MeanFill(),
                                            Mode.NOISE: Noise()}
_CONDITIONAL_DRAWS = Recent(8)  # per dataset, variant and test fold: the raw and prepared paths ask for every draw


def perturbation_for(variant: Variant) -> Perturbation:
    try:
        return PERTURBATIONS[variant.mode]
    except KeyError:
        raise ValueError(f"mode {variant.mode} is not an inference-time feature perturbation") from None


def perturb(variant: Variant, dataset: Dataset, split: Split, draw: int, seed: int) -> pd.DataFrame:
    """The test fold's raw rows with the variant's columns perturbed by its mode (draw `draw`)."""
    return perturbation_for(variant).raw(variant, dataset, split, draw, seed)


_TRAINING_MEANS = Recent(32)  # per dataset and training fold: asked once per variant and fold


def training_means(dataset: Dataset, split: Split) -> dict[str, float]:
    """Every numeric column's training-fold mean, missing values skipped (as pandas' mean does)."""
    values = np.asfortranarray(dataset.features[list(dataset.numeric)], dtype=float)
    return {column: float(np.nanmean(values[:, j][split.train])) for j, column in enumerate(dataset.numeric)}


def training_fill(dataset: Dataset, split: Split, columns: tuple[str, ...]) -> dict[str, object]:
    """The training fold's mean (numeric) or most frequent value (categorical) of each column."""
    fill: dict[str, object] = {}
    for column in columns:
        if column in dataset.categorical:
            modes = dataset.features[column].iloc[split.train].mode(dropna=True)
            fill[column] = modes.iloc[0] if len(modes) else np.nan
        else:
            fill[column] = _TRAINING_MEANS.get(dataset, split.train.tobytes(), lambda: training_means(dataset, split))[column]
    return fill


def permutation_seed(seed: int, variant: str, split: int) -> int:
    """The integer `random_state` that makes scikit-learn's `permutation_importance` draw exactly
    our permutations for this variant and split (it seeds its shuffles with `randint(2**31)` of it)."""
    return derive_seed(seed, variant, split)


def permutation_order(n_rows: int, draw: int, random_state: int) -> np.ndarray:
    """Row order of the `draw`-th permutation, drawn as scikit-learn's permutation_importance does:
    one RandomState seeded from `random_state`, shuffles applied cumulatively repeat after repeat."""
    shuffles = np.random.RandomState(np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1))
    index, order = np.arange(n_rows), np.arange(n_rows)
    for _ in range(draw + 1):
        shuffles.shuffle(index)
        order = order[index]
    return order
