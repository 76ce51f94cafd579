"""The training loop behind the estimators, kept lean on purpose (tensors converted once, batches
taken by slicing a per-epoch shuffled copy, no DataLoader, one host sync per epoch) so that it
costs no more than a hand-written loop; plus the process-wide torch settings it scopes."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..errors import SpecError
from ..spec.network import TrainingSpec

PREDICT_BATCH = 2048


@dataclass
class TrainingResult:
    """Mean training loss per epoch, validation loss per epoch (early stopping only), and the
    epoch whose weights were kept."""

    loss_curve: list[float] = field(default_factory=list)
    validation_loss_curve: list[float] = field(default_factory=list)
    best_epoch: int | None = None

    @property
    def n_epochs(self) -> int:
        return len(self.loss_curve)


def train_network(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    loss_fn: nn.Module,
    training: TrainingSpec,
    generator: torch.Generator,
    validation: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> TrainingResult:
    """Mini-batch training for `training.epochs` epochs (shuffled by `generator`); with `validation`
    rows, stop after `patience` epochs without improvement and restore the best weights."""
    optimizer = make_optimizer(model, training)
    result = TrainingResult()
    n, size = len(X), training.batch_size
    starts = _batch_starts(n, size)
    patience = training.early_stopping.patience if training.early_stopping and validation is not None else None
    best_loss, best_state, waited = math.inf, None, 0
    for epoch in range(training.epochs):
        model.train()
        order = torch.randperm(n, generator=generator).to(X.device, non_blocking=True)
        X_epoch, y_epoch = X[order], y[order]
        losses = []
        for start, stop in starts:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_epoch[start:stop]), y_epoch[start:stop])
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        result.loss_curve.append(_epoch_mean(losses, starts, n))
        if patience is None:
            continue
        val_loss = evaluate_loss(model, *validation, loss_fn)
        result.validation_loss_curve.append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, result.best_epoch = val_loss, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return result


def make_optimizer(model: nn.Module, training: TrainingSpec) -> torch.optim.Optimizer:
    params = model.parameters()
    if training.optimizer == "sgd":
        return torch.optim.SGD(params, lr=training.lr, momentum=training.momentum, weight_decay=training.weight_decay)
    cls = torch.optim.AdamW if training.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=training.lr, weight_decay=training.weight_decay)


def predict_batches(model: nn.Module, X: torch.Tensor, batch_size: int = PREDICT_BATCH) -> torch.Tensor:
    """The network's raw outputs in eval mode, batch by batch, without autograd."""
    if model.training:  # eval() walks every module: skip it when already set (once per ablation variant)
        model.eval()
    with torch.inference_mode():
        outputs = [model(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    if len(outputs) == 1:
        return outputs[0]
    return torch.cat(outputs) if outputs else torch.empty(0)


def evaluate_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module) -> float:
    """Mean loss over all rows (batched), in eval mode."""
    outputs = predict_batches(model, X)
    with torch.inference_mode():
        return float(loss_fn(outputs, y))


def validation_split(n_rows: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (train rows, validation rows); at least one row on each side."""
    if n_rows < 2:
        raise SpecError("model.network.training.early_stopping: needs at least 2 training rows")
    n_val = min(max(1, round(n_rows * fraction)), n_rows - 1)
    order = np.random.default_rng(seed).permutation(n_rows)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def resolve_device(name: str, field: str = "model.network") -> torch.device:
    """'auto' -> CUDA when available, else CPU; asking for CUDA without it is a spec error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SpecError(f"{field}.training.device: cuda requested but torch sees no CUDA device; use auto or cpu")
    return torch.device(name)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Cap torch's intra-op threads for the block and restore the previous setting."""
    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if before != n:
            torch.set_num_threads(before)


@contextlib.contextmanager
def deterministic(seed: int, device: torch.device) -> Iterator[None]:
    """Seeded global RNG (forked, so the caller's stream is untouched) and deterministic kernels
    (warn-only) for the block; both restored afterwards."""
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    devices = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


def _batch_starts(n: int, size: int) -> list[tuple[int, int]]:
    """Batch bounds; a trailing single row joins the previous batch (BatchNorm cannot train on one row)."""
    bounds = [(s, min(s + size, n)) for s in range(0, n, size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def _epoch_mean(losses: list[torch.Tensor], bounds: list[tuple[int, int]], n: int) -> float:
    """Row-weighted mean of the batch losses, with one host sync for the whole epoch."""
    weights = torch.tensor([stop - start for start, stop in bounds], dtype=losses[0].dtype, device=losses[0].device)
    return float(torch.stack(losses) @ weights) / n
