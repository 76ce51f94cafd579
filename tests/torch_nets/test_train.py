"""The training loop: early stopping keeps the best weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ablation_pipeline.torch_nets.estimator import TorchRegressor
from ablation_pipeline.torch_nets.train import validation_split

from builders import mlp_network


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 5)), rng.normal(size=120)  # pure noise: validation loss can only rise
    spec = mlp_network(hidden=(64,), epochs=300, lr=0.03, early_stopping={"patience": 4, "validation_fraction": 0.25})
    model = TorchRegressor(spec).fit(X, y)
    assert model.n_epochs_ < 300 and model.n_epochs_ == model.best_epoch_ + 1 + 4
    _, val = validation_split(120, 0.25, seed=0)
    target = torch.tensor((y[val] - model.y_mean_) / model.y_scale_, dtype=torch.float32).reshape(-1, 1)
    with torch.no_grad():
        val_loss = torch.nn.functional.mse_loss(model.model_(torch.tensor(X[val], dtype=torch.float32)), target)
    assert float(val_loss) == pytest.approx(min(model.validation_loss_curve_), rel=1e-5)
    assert model.validation_loss_curve_[-1] > min(model.validation_loss_curve_)
