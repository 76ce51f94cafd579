"""Inference-time knock-outs of named layers in a trained network: replace a layer's output
(zero, mean, resample) or perturb its weights (random, scale), and always undo it on exit, even
when the body raises, so the same trained model serves every variant."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from torch import nn

from ..errors import SpecError, did_you_mean
from ..spec.network import UnitSlice
from .train import PREDICT_BATCH, torch_threads

OUTPUT_MODES = ("zero", "mean", "resample")  # replace the layer's output with a forward hook
WEIGHT_MODES = ("random", "scale")  # change the layer's weights, restored from a copy afterwards
MODES = OUTPUT_MODES + WEIGHT_MODES


@contextlib.contextmanager
def knockout(
    module: nn.Module,
    layer_names: str | Sequence[str],
    mode: str,
    *,
    mean_activation: torch.Tensor | Mapping[str, torch.Tensor] | None = None,
    seed: int = 0,
    factor: float | None = None,
    units: UnitSlice | None = None,
) -> Iterator[nn.Module]:
    """Knock out `layer_names` of `module` (any submodules, by dotted name) for the block: `zero` outputs
    zeros; `mean` outputs the layer's mean activation (per layer, from `mean_activations`); `resample`
    outputs the activation of another sample of the same batch (seeded); `random` re-initializes the
    weights with the layer's own `reset_parameters` (seeded); `scale` multiplies the weights (not biases)
    by `factor`. With `units`, only that slice of the output (or, `on: input`, of the input) is replaced.
    The module is changed in place for the block, so do not share it with concurrent predictions. A
    hooked layer the block's forward passes never call is an error: knocking it out would change nothing."""
    if mode not in MODES:
        raise SpecError(f"knock-out mode '{mode}' is unknown, expected one of {', '.join(MODES)}{did_you_mean(mode, MODES)}")
    layers = resolve_layers(module, layer_names)
    if mode == "scale" and factor is None:
        raise ValueError("knock-out mode 'scale' needs a factor")
    if units is not None and mode not in OUTPUT_MODES:
        raise SpecError(f"knock-out: units take modes {', '.join(OUTPUT_MODES)}; mode '{mode}' changes whole layers' weights")
    handles: list[torch.utils.hooks.RemovableHandle] = []
    saved: list[tuple[torch.Tensor, torch.Tensor]] = []
    called: set[str] = set()
    try:
        if mode in OUTPUT_MODES:
            replace = _replacements(mode, layers, mean_activation, seed)
            handles = [_hook(layer, name, replace[name], units, called) for name, layer in layers.items()]
        else:
            saved = _snapshot(layers)
            if mode == "random":
                _reinitialize(layers, seed)
            else:
                _scale(layers, float(factor))
        yield module
        if handles and len(called) < len(layers):
            raise SpecError(_never_called(module, [n for n in layers if n not in called]))
    finally:
        for handle in handles:
            handle.remove()
        with torch.no_grad():
            for target, copy in saved:
                target.copy_(copy)


def resolve_layers(module: nn.Module, layer_names: str | Sequence[str]) -> dict[str, nn.Module]:
    """Names (as in `named_modules`, e.g. 'hidden' or 'block.conv') -> the submodules."""
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    if not names:
        raise SpecError("knock-out: name at least one layer")
    known = {name: sub for name, sub in module.named_modules() if name}
    for name in names:
        if name not in known:
            raise SpecError(f"knock-out: unknown layer '{name}'{did_you_mean(name, known)} (layers: {', '.join(known)})")
    return {name: known[name] for name in names}


def mean_activations(module: nn.Module, layer_name: str, X: torch.Tensor, batch_size: int = PREDICT_BATCH,
                     on: str = "output") -> torch.Tensor:
    """The layer's output (or first input) averaged over the rows of X (typically the training fold), per
    position: shape = the layer's output shape without the batch dimension. Computed in eval mode."""
    layer = resolve_layers(module, layer_name)[layer_name]
    total: list[torch.Tensor] = []

    def capture(tensor: torch.Tensor) -> None:
        total.append(tensor.detach().double().sum(dim=0))

    was_training = module.training
    handle = layer.register_forward_pre_hook(lambda _m, args: capture(args[0])) if on == "input" else \
        layer.register_forward_hook(lambda _m, _args, output: capture(output))
    try:
        module.eval()
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                module(X[start : start + batch_size])
    finally:
        handle.remove()
        module.train(was_training)
    if not total and len(X):
        raise SpecError(_never_called(module, [layer_name]))
    if not total:
        raise ValueError("mean_activations needs at least one row")
    return (torch.stack(total).sum(dim=0) / len(X)).float()


# ---------------------------------------------------------------- estimator helpers


def predict_with_knockout(estimator: Any, X: Any, layer_names: str | Sequence[str], mode: str, *,
                          X_train: Any = None, **kwargs: Any) -> np.ndarray:
    """`estimator.predict(X)` with the layers knocked out. For mode `mean`, pass `X_train` (the
    training fold) or a precomputed `mean_activation`. A Pipeline ending in a torch estimator works:
    its preprocessing is applied to X and X_train first."""
    estimator, X, X_train = _unwrap(estimator, X, X_train)
    return estimator.decode(_knocked_out_outputs(estimator, X, layer_names, mode, X_train, kwargs))


def predict_proba_with_knockout(estimator: Any, X: Any, layer_names: str | Sequence[str], mode: str, *,
                                X_train: Any = None, **kwargs: Any) -> np.ndarray:
    """`estimator.predict_proba(X)` with the layers knocked out (classifiers only)."""
    estimator, X, X_train = _unwrap(estimator, X, X_train)
    return estimator.decode_proba(_knocked_out_outputs(estimator, X, layer_names, mode, X_train, kwargs))


def estimator_mean_activations(estimator: Any, layer_names: str | Sequence[str], X_train: Any,
                               on: str = "output") -> dict[str, torch.Tensor]:
    """Mean activation of each named layer (its output, or its input) over the (raw) training rows of a
    fitted estimator."""
    estimator, _, X_train = _unwrap(estimator, None, X_train)
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    X_t = estimator.inputs(X_train)
    with torch_threads(estimator.network_spec_.training.threads):
        return {name: mean_activations(estimator.model_, name, X_t, on=on) for name in names}


def _knocked_out_outputs(estimator: Any, X: Any, layer_names: Any, mode: str, X_train: Any, kwargs: dict) -> torch.Tensor:
    if mode == "mean" and kwargs.get("mean_activation") is None:
        if X_train is None:
            raise ValueError("knock-out mode 'mean' needs X_train (the training fold) or mean_activation")
        units = kwargs.get("units")
        kwargs["mean_activation"] = estimator_mean_activations(estimator, layer_names, X_train,
                                                               on=units.on if units is not None else "output")
    X_t = estimator.inputs(X)
    with knockout(estimator.model_, layer_names, mode, **kwargs):
        return estimator.outputs(X_t)


def _unwrap(estimator: Any, X: Any, X_train: Any) -> tuple[Any, Any, Any]:
    if isinstance(estimator, Pipeline):
        head, estimator = estimator[:-1], estimator[-1]
        X = head.transform(X) if X is not None else None
        X_train = head.transform(X_train) if X_train is not None else None
    if not hasattr(estimator, "model_"):
        raise ValueError(f"{type(estimator).__name__} is not a fitted torch estimator")
    return estimator, X, X_train


# ---------------------------------------------------------------- hooks and weight changes


def _replacements(mode: str, layers: dict[str, nn.Module], mean_activation: Any, seed: int) -> dict[str, Any]:
    """Per layer, what its (output or input) tensor is replaced by: zeros, its mean, or other rows'."""
    if mode == "zero":
        return dict.fromkeys(layers, torch.zeros_like)
    if mode == "mean":
        return {name: _constant(mean) for name, mean in _means_by_layer(layers, mean_activation).items()}
    generator = torch.Generator().manual_seed(seed)
    return dict.fromkeys(layers, _resampled(generator))


def _hook(layer: nn.Module, name: str, replace: Any, units: UnitSlice | None, called: set[str]):
    """Register the hook that swaps the layer's output (or, for `units.on: input`, its first input) for
    `replace` of it, in whole or in the units' slice; it notes in `called` that it ran."""

    def merged(tensor: torch.Tensor) -> torch.Tensor:
        called.add(name)
        replacement = replace(tensor)
        if units is None:
            return replacement
        if not -tensor.ndim <= units.dim < tensor.ndim or units.stop > tensor.shape[units.dim]:
            raise SpecError(f"knock-out: units {units.text} of layer '{name}' are beyond its shape {tuple(tensor.shape)}")
        index = [slice(None)] * tensor.ndim
        index[units.dim] = slice(units.start, units.stop)
        out = tensor.clone()
        out[tuple(index)] = replacement[tuple(index)]
        return out

    if units is not None and units.on == "input":
        return layer.register_forward_pre_hook(lambda _m, args: (merged(args[0]), *args[1:]))
    return layer.register_forward_hook(lambda _m, _args, output: merged(output))


def _constant(mean: torch.Tensor):
    def replace(output: torch.Tensor) -> torch.Tensor:
        if tuple(mean.shape) != tuple(output.shape[1:]):
            raise ValueError(f"mean activation has shape {tuple(mean.shape)}, the layer outputs {tuple(output.shape[1:])}")
        return mean.to(device=output.device, dtype=output.dtype).expand_as(output).clone()

    return replace


def _resampled(generator: torch.Generator):
    """Each row gets another row's activation: a seeded random cycle over the batch (no fixed points)."""

    def replace(output: torch.Tensor) -> torch.Tensor:
        n = output.shape[0]
        if n < 2:
            return output
        order = torch.randperm(n, generator=generator)
        source = torch.empty_like(order)
        source[order] = order.roll(-1)
        return output[source.to(output.device)]

    return replace


def _never_called(module: nn.Module, names: list[str]) -> str:
    """Why a knock-out would change nothing, with the known cause for attention's output projection."""
    hint = ""
    for name in names:
        parent = module.get_submodule(name.rsplit(".", 1)[0]) if "." in name else module
        if isinstance(parent, nn.MultiheadAttention):
            hint = (f" (torch's nn.MultiheadAttention uses its out_proj's weights directly; to ablate heads, knock out the "
                    f"attention module '{name.rsplit('.', 1)[0]}' itself, or write attention with its own output projection "
                    "and slice that projection's input with units.on: input)")
    return f"knock-out: the module's forward never called layer(s) {', '.join(names)}, so knocking them out changes nothing{hint}"


def _means_by_layer(layers: dict[str, nn.Module], mean_activation: Any) -> dict[str, torch.Tensor]:
    if mean_activation is None:
        raise ValueError("knock-out mode 'mean' needs mean_activation (see mean_activations)")
    if isinstance(mean_activation, Mapping):
        missing = [name for name in layers if name not in mean_activation]
        if missing:
            raise ValueError(f"mean_activation has no entry for layer(s) {', '.join(missing)}")
        return {name: torch.as_tensor(mean_activation[name]) for name in layers}
    if len(layers) != 1:
        raise ValueError("with several layers, pass mean_activation as a mapping layer name -> tensor")
    return {name: torch.as_tensor(mean_activation) for name in layers}


def _snapshot(layers: dict[str, nn.Module]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Exact copies of every parameter and buffer of the layers, to restore bit for bit."""
    tensors = [t for layer in layers.values() for t in (*layer.parameters(), *layer.buffers())]
    if not any(True for layer in layers.values() for _ in layer.parameters()):
        raise SpecError(f"knock-out: layer(s) {', '.join(layers)} have no weights; use mode zero, mean or resample")
    return [(t, t.detach().clone()) for t in tensors]


def _reinitialize(layers: dict[str, nn.Module], seed: int) -> None:
    devices = sorted({p.device.index or 0 for layer in layers.values() for p in layer.parameters() if p.device.type == "cuda"})
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        torch.manual_seed(seed)
        for layer in layers.values():
            for sub in layer.modules():
                reset = getattr(sub, "reset_parameters", None)
                if callable(reset):
                    reset()


def _scale(layers: dict[str, nn.Module], factor: float) -> None:
    with torch.no_grad():
        for layer in layers.values():
            for name, param in layer.named_parameters():
                if name.rsplit(".", 1)[-1] != "bias":
                    param.mul_(factor)
