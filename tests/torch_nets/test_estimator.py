"""The scikit-learn estimators around declared networks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.inspection import permutation_importance
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ablation_pipeline.errors import SpecError
from ablation_pipeline.torch_nets.estimator import TorchClassifier, TorchRegressor

from builders import CNN, mlp_network


def test_classifier_fits_clones_and_is_deterministic(separable):
    X, y = separable
    model = TorchClassifier(mlp_network(), remove=())
    assert clone(model).get_params()["network"] == model.network
    threads, rng = torch.get_num_threads(), torch.random.get_rng_state()
    model.fit(X[:150], y[:150])
    assert torch.get_num_threads() == threads and torch.equal(torch.random.get_rng_state(), rng)
    check_is_fitted(model)
    assert model.score(X[150:], y[150:]) > 0.9
    assert model.predict_proba(X[:4]).shape == (4, 2) and model.n_parameters_ == 6 * 16 + 16 + 16 * 2 + 2
    assert model.fit_seconds_ > 0 and model.n_epochs_ == 30
    again = clone(model).fit(X[:150], y[:150])
    assert np.array_equal(again.predict_proba(X), model.predict_proba(X))
    other = TorchClassifier(mlp_network(seed=1)).fit(X[:150], y[:150])
    assert not np.array_equal(other.predict_proba(X), model.predict_proba(X))


def test_inputs_never_share_a_read_only_view_of_the_studys_rows(separable):
    """Rows handed over as a view the study must not see changed (an .npz array is its frame's block, read
    only under copy-on-write): the tensor a network gets is its own, so working on it in place is safe."""
    X, y = separable
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"x{i}" for i in range(X.shape[1])], copy=False)
    model = TorchClassifier(mlp_network()).fit(frame, y)
    rows = frame.to_numpy()
    before = rows.copy()
    tensor = model.inputs(frame)
    tensor.add_(1.0)  # what an in-place first layer (ReLU(inplace=True), say) does to its input
    assert np.array_equal(rows, before) and np.array_equal(frame.to_numpy(), before)


def test_classifier_keeps_labels_and_remove_param(separable):
    X, y = separable
    labels = np.array(["no", "yes"])[y]
    model = TorchClassifier(mlp_network(hidden=(8, 8), epochs=5), remove=("h2", "relu2")).fit(X, labels)
    assert list(model.classes_) == ["no", "yes"] and set(model.predict(X)) <= {"no", "yes"}
    assert model.n_parameters_ == 6 * 8 + 8 + 8 * 2 + 2
    with pytest.raises(SpecError, match="cannot remove the output layer"):
        TorchClassifier(mlp_network(), remove=("out",)).fit(X, y)


def test_regressor_learns_a_linear_function():
    X, y = make_regression(n_samples=300, n_features=5, noise=5.0, random_state=0)
    model = TorchRegressor(mlp_network(hidden=(16,), epochs=40)).fit(X[:200], y[:200] * 10 + 1000)
    assert model.score(X[200:], y[200:] * 10 + 1000) > 0.9  # standardized inside, original units out
    assert model.predict(X[:3]).shape == (3,)


def test_cnn_on_digits(digits):
    X, y = digits
    model = TorchClassifier(CNN).fit(X[:500], y[:500])
    assert model.predict(X[500:]).shape == (100,) and model.predict_proba(X[500:]).shape == (100, 10)
    assert model.score(X[500:], y[500:]) > 0.6
    assert model.model_.conv1.weight.shape == (8, 1, 3, 3)


def test_pipeline_and_permutation_importance(separable):
    X, y = separable
    pipe = make_pipeline(StandardScaler(), TorchClassifier(mlp_network(epochs=15))).fit(X, y)
    result = permutation_importance(pipe, X, y, n_repeats=3, random_state=0)
    assert result.importances_mean.shape == (6,) and result.importances_mean.max() > 0.05
