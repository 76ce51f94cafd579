"""scikit-learn estimators around a torch network (declared layers, or the user's own module), so
pipelines, cloning, cross-validation and permutation importance work on it unchanged. The network is a
plain-dict parameter (clone and get_params copy it like any other value); `remove` names layers to leave
out of the build (a module's submodules become `nn.Identity`). A user's module comes as its resolved
factory (`module`) and checkpoint (`weights`); `pretrained` evaluates the checkpoint as given.

The public protocol the knock-outs use: `model_` (the fitted nn.Module), `inputs(X)` (rows as the
tensor it takes), `outputs(tensor)` (its raw outputs, batched) and `decode` / `decode_proba`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..errors import SpecError
from ..spec.network import NetworkSpec, parse_network
from .build import build_network, count_parameters
from .train import (
    TrainingResult,
    deterministic,
    predict_batches,
    resolve_device,
    torch_threads,
    train_network,
    validation_split,
)
from .user_module import Weights, build_module

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6

    def validate_data(estimator, *args, **kwargs):  # type: ignore[no-redef]
        return estimator._validate_data(*args, **kwargs)


FIELD = "model.network"


class _TorchEstimator(BaseEstimator):
    """Shared fit/forward; subclasses say how targets become tensors and outputs become predictions."""

    def __init__(self, network: dict | NetworkSpec | None = None, remove: tuple = (), module: Callable[..., Any] | None = None,
                 weights: Weights | None = None, pretrained: bool = False):
        self.network = network
        self.remove = remove
        self.module = module
        self.weights = weights
        self.pretrained = pretrained

    # --- subclass hooks
    def _encode_targets(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        raise NotImplementedError

    def _loss(self) -> nn.Module:
        raise NotImplementedError

    # --- fitting
    def fit(self, X: Any, y: Any) -> _TorchEstimator:
        started = time.perf_counter()
        if self.network is None:
            raise SpecError(f"{FIELD}: required; declare the layers of the network")
        spec = parse_network(self.network, FIELD)
        training = spec.training
        if self.pretrained and self.weights is None:
            raise SpecError(f"{FIELD}: pretrained needs a checkpoint (model.network.checkpoint)")
        X, y = validate_data(self, X, y, dtype=np.float32, multi_output=self._multi_output, y_numeric=self._multi_output)
        targets, n_outputs = self._encode_targets(y)
        device = resolve_device(training.device, FIELD)
        if self.pretrained:  # nothing is trained: no seeding or deterministic kernels (whose first use imports ~1.5 s of torch)
            with torch_threads(training.threads), torch.random.fork_rng(devices=[]):
                model = self._build(spec, X.shape[1], n_outputs).to(device)
            return self._fitted(spec, model.eval(), device, TrainingResult(), started)
        with torch_threads(training.threads), deterministic(training.seed, device):
            model = self._build(spec, X.shape[1], n_outputs).to(device)
            X_t, y_t = torch.from_numpy(np.require(X, requirements="W")).to(device), targets.to(device)  # a read-only view copied
            validation = None
            if training.early_stopping is not None:
                fit_rows, val_rows = validation_split(len(X_t), training.early_stopping.validation_fraction, training.seed)
                fit_rows, val_rows = torch.from_numpy(fit_rows).to(device), torch.from_numpy(val_rows).to(device)
                validation = (X_t[val_rows], y_t[val_rows])
                X_t, y_t = X_t[fit_rows], y_t[fit_rows]
            generator = torch.Generator().manual_seed(training.seed)
            result = train_network(model, X_t, y_t, self._loss(), training, generator, validation)
        return self._fitted(spec, model, device, result, started)

    def _build(self, spec: NetworkSpec, n_inputs: int, n_outputs: int) -> nn.Module:
        if not spec.is_module:
            return build_network(spec, n_inputs, n_outputs, self.remove, FIELD)
        if not callable(self.module):
            raise SpecError(f"{FIELD}.module: {spec.module} was not resolved to code; build the estimator with "
                            "ablations.estimators.make_estimator (it checks the project's trusted_modules)")
        return build_module(spec, self.module, self.weights, n_inputs, n_outputs, self.remove, FIELD)

    def _fitted(self, spec: NetworkSpec, model: nn.Module, device: torch.device, result: TrainingResult,
                started: float) -> _TorchEstimator:
        self.network_spec_ = spec
        self.model_ = model
        self.device_ = device
        self.training_ = result
        self.n_parameters_ = count_parameters(model)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    @property
    def _raw_targets(self) -> bool:
        """A checkpoint's outputs are in the units it was trained on: its targets are not standardized."""
        return self.weights is not None

    @property
    def loss_curve_(self) -> list[float]:
        return self.training_.loss_curve

    @property
    def n_epochs_(self) -> int:
        return self.training_.n_epochs

    @property
    def best_epoch_(self) -> int | None:
        """The (0-based) epoch whose weights were kept by early stopping; None without it."""
        return self.training_.best_epoch

    @property
    def validation_loss_curve_(self) -> list[float]:
        return self.training_.validation_loss_curve

    def _forward(self, X: Any) -> torch.Tensor:
        """Raw network outputs on CPU (logits, or standardized regression values)."""
        return self.outputs(self.inputs(X))

    def outputs(self, X_t: torch.Tensor) -> torch.Tensor:
        """The fitted network's raw outputs for a tensor of rows (from `inputs`), batched, on CPU."""
        with torch_threads(self.network_spec_.training.threads):
            return predict_batches(self.model_, X_t).cpu()

    def inputs(self, X: Any) -> torch.Tensor:
        """Validated rows as a tensor on the model's device (for knock-outs and mean activations).
        A plain finite 2-D array of the fitted width (what a pipeline hands over, once per ablation
        variant) skips scikit-learn's general validation, which costs more than a small forward pass."""
        if not hasattr(self, "model_"):  # scikit-learn's check is slow enough to show once per variant
            check_is_fitted(self, "model_")
        if isinstance(X, pd.DataFrame) and list(X.columns) == list(getattr(self, "feature_names_in_", X.columns)) \
                and all(getattr(d, "kind", "O") in "fiub" for d in X.dtypes):
            X = X.to_numpy(dtype=np.float32)  # rows handed over as read (preprocessing: none), all numeric, in order
        if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == self.n_features_in_ and X.dtype.kind == "f":
            rows = np.require(X, dtype=np.float32, requirements=["C", "W"])  # a read-only view copied: a network may work in place
            if np.isfinite(rows).all():
                return torch.from_numpy(rows).to(self.device_)
        return torch.from_numpy(validate_data(self, X, dtype=np.float32, reset=False)).to(self.device_)


class TorchClassifier(ClassifierMixin, _TorchEstimator):
    """Cross-entropy on integer codes of `classes_`; `predict_proba` is the softmax of the logits."""

    _multi_output = False

    def _encode_targets(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        return torch.from_numpy(codes.astype(np.int64)), len(self.classes_)

    def _loss(self) -> nn.Module:
        return nn.CrossEntropyLoss()

    def decode(self, outputs: torch.Tensor) -> np.ndarray:
        return self.classes_[outputs.argmax(dim=1).numpy()]

    def decode_proba(self, outputs: torch.Tensor) -> np.ndarray:
        return torch.softmax(outputs.double(), dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        return self.decode(self._forward(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.decode_proba(self._forward(X))


class TorchRegressor(RegressorMixin, _TorchEstimator):
    """Mean squared error on targets standardized with the training mean/std; predictions are
    mapped back to the original units."""

    _multi_output = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _encode_targets(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        y = np.asarray(y, dtype=np.float64)
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        self.y_mean_ = np.zeros(y2.shape[1]) if self._raw_targets else y2.mean(axis=0)
        scale = np.ones(y2.shape[1]) if self._raw_targets else y2.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        standardized = ((y2 - self.y_mean_) / self.y_scale_).astype(np.float32)
        return torch.from_numpy(standardized), y2.shape[1]

    def _loss(self) -> nn.Module:
        return nn.MSELoss()

    def decode(self, outputs: torch.Tensor) -> np.ndarray:
        values = outputs.double().numpy() * self.y_scale_ + self.y_mean_
        return values.ravel() if self._y_1d else values

    def predict(self, X: Any) -> np.ndarray:
        return self.decode(self._forward(X))


__all__ = ["TorchClassifier", "TorchRegressor", "TrainingResult"]
