"""Torch networks as ablation subjects: declare layers in the spec, remove layers and rebuild, train
behind scikit-learn estimators, knock layers out at inference. Only the spec is imported eagerly,
so specs validate where torch is not installed; the rest loads on first use."""

from __future__ import annotations

import importlib
from typing import Any

from .spec import ALLOWED_LAYERS, EarlyStopping, LayerSpec, NetworkSpec, TrainingSpec, parse_network, removable_layers

_LAZY = {
    "build_network": "build",
    "count_parameters": "build",
    "TorchClassifier": "estimator",
    "TorchRegressor": "estimator",
    "knockout": "knockouts",
    "mean_activations": "knockouts",
    "estimator_mean_activations": "knockouts",
    "predict_with_knockout": "knockouts",
    "predict_proba_with_knockout": "knockouts",
}

__all__ = ["ALLOWED_LAYERS", "EarlyStopping", "LayerSpec", "NetworkSpec", "TrainingSpec", "parse_network", "removable_layers", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
