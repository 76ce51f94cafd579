"""The user's own `nn.Module` as a study's network: built from a factory the project trusts (resolved
by `ablations.imports`, never here), reshaped to `input_shape`, with named submodules swapped for
`nn.Identity` (`remove`) and weights from a checkpoint read once, hashed, and loaded with
`weights_only=True` (a checkpoint cannot run code). Every problem is one line naming the field."""

from __future__ import annotations

import inspect
import io
import math
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..data.files import read_regular_file, version_of
from ..errors import DataError, SpecError, did_you_mean
from ..spec.network import NetworkSpec
from .build import count_parameters, first_line

MAX_CHECKPOINT_BYTES = 2 << 30  # a state_dict larger than this is not a model for CPU ablation studies


@dataclass(frozen=True, eq=False)
class Weights:
    """A checkpoint's state_dict and the hash of the bytes it was read from. Never changed after it is
    read (loading copies the tensors into the module), so clones share it instead of copying it."""

    digest: str
    state: Mapping[str, torch.Tensor]

    def __deepcopy__(self, memo: dict) -> Weights:
        return self

    def __repr__(self) -> str:  # what scikit-learn prints for the estimator's parameter
        return f"Weights({self.digest}, {len(self.state)} tensors)"


def read_checkpoint(path: Path, where: str) -> Weights:
    """The state_dict in the file at `path`: a mapping of parameter names to tensors, nothing else."""
    try:
        raw = read_regular_file(path, where)
    except DataError as exc:  # the checkpoint is the spec's: a bad one is a spec error (exit 2)
        raise SpecError(str(exc)) from None
    if len(raw) > MAX_CHECKPOINT_BYTES:
        raise SpecError(f"{where}: {path} holds {len(raw):,} bytes, more than the {MAX_CHECKPOINT_BYTES:,} a checkpoint may")
    try:
        with warnings.catch_warnings():  # torch's notes on an odd file: ours below is the one line the user needs
            warnings.simplefilter("ignore")
            state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch's unpickler refuses anything but tensors and plain containers
        raise SpecError(f"{where}: {path} is not a checkpoint torch.load(weights_only=True) can read ({type(exc).__name__}: "
                        f"{first_line(exc)})") from None
    if not isinstance(state, Mapping) or not state or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                              for k, v in state.items()):
        hint = " (it looks like a training checkpoint: save model.state_dict() itself)" if isinstance(state, Mapping) \
            and any(isinstance(v, Mapping) for v in state.values()) else ""
        raise SpecError(f"{where}: {path} is not a state_dict (a mapping of parameter names to tensors){hint}")
    return Weights(version_of(raw), dict(state))


def build_module(net: NetworkSpec, factory: Callable[..., Any], weights: Weights | None, n_inputs: int, n_outputs: int,
                 remove: Collection[str] = (), field: str = "model.network") -> nn.Module:
    """The user's module, `remove`d submodules replaced by `nn.Identity`, its checkpoint loaded (the removed
    modules' weights left out), checked to map a batch of `n_inputs` features to `n_outputs` per row."""
    module = construct(net, factory, field)
    example = example_batch(net, n_inputs, field)
    if remove:
        replace_with_identity(module, remove, example, field)
    if weights is not None:
        load_weights(module, weights, remove, f"{field}.checkpoint")
    if net.input_shape is not None:
        module.register_forward_pre_hook(Reshape(tuple(net.input_shape)))
    out = dry_run(module, example.reshape(len(example), -1), field)
    if out.ndim != 2 or out.shape[1] != n_outputs:
        raise SpecError(f"{field}.module: {net.module} outputs shape {_shape(out.shape)} per batch, but the task needs "
                        f"(N, {n_outputs}) ({'one output' if n_outputs == 1 else f'one logit per class, {n_outputs} classes'})")
    return module


def construct(net: NetworkSpec, factory: Callable[..., Any], field: str) -> nn.Module:
    """`factory(**kwargs)`, which must give an nn.Module; its arguments are checked against its signature."""
    try:
        module = factory(**net.kwargs)
    except TypeError as exc:
        raise SpecError(f"{field}.kwargs: {_argument_problem(factory, net.kwargs, exc)}") from None
    except Exception as exc:  # the user's constructor: whatever it raises is one line
        raise SpecError(f"{field}.module: {net.module}(**kwargs) raised {type(exc).__name__}: {first_line(exc)}") from None
    if not isinstance(module, nn.Module):
        raise SpecError(f"{field}.module: {net.module} gives {type(module).__name__}, not a torch.nn.Module")
    return module


def example_batch(net: NetworkSpec, n_inputs: int, field: str) -> torch.Tensor:
    """Two zero rows in the shape the module receives (after `input_shape`)."""
    if net.input_shape is None:
        return torch.zeros(2, n_inputs)
    if math.prod(net.input_shape) != n_inputs:
        raise SpecError(f"{field}.input_shape: {list(net.input_shape)} holds {math.prod(net.input_shape)} values per row, "
                        f"but the data has {n_inputs} features")
    return torch.zeros(2, *net.input_shape)


class Reshape:
    """A forward pre-hook giving each flat row the shape `input_shape` (a class, so the module pickles)."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def __call__(self, _module: nn.Module, args: tuple) -> tuple:
        x = args[0]
        return (x.reshape(len(x), *self.shape), *args[1:]) if tuple(x.shape[1:]) != self.shape else None


def submodules(module: nn.Module) -> dict[str, nn.Module]:
    """Every named submodule, by dotted name (as `named_modules`, the root left out)."""
    return {name: sub for name, sub in module.named_modules() if name}


def require_layers(module: nn.Module, names: Collection[str], where: str) -> None:
    """Each name must be a submodule; an unknown one is refused with the names near it."""
    known = submodules(module)
    for name in names:
        if name not in known:
            near = [n for n in known if n.split(".")[0] == name.split(".")[0]] or [n for n in known if "." not in n]
            raise SpecError(f"{where}: '{name}' is not a layer of the module{did_you_mean(name, known)} "
                            f"(layers near it: {', '.join(near[:12])}; `ablation layers` lists them all)")


def shapes_of(module: nn.Module, example: torch.Tensor, names: Collection[str]) -> dict[str, tuple[tuple, tuple]]:
    """(input shape, output shape) of each named submodule on one forward pass of `example` in eval mode;
    a module not called on that pass is missing from the result."""
    found: dict[str, tuple[tuple, tuple]] = {}
    layers = submodules(module)

    def recorder(name: str):
        def hook(_m: nn.Module, args: tuple, output: Any) -> None:
            first = args[0] if args and isinstance(args[0], torch.Tensor) else None
            found.setdefault(name, (_shape_tuple(first), _shape_tuple(output)))
        return hook

    handles = [layers[name].register_forward_hook(recorder(name)) for name in names]
    try:
        dry_run(module, example, "model.network")
    finally:
        for handle in handles:
            handle.remove()
    return found


def replace_with_identity(module: nn.Module, remove: Collection[str], example: torch.Tensor, field: str) -> None:
    """Swap each named submodule for `nn.Identity`, only where its input and output shapes match (an
    Identity in place of a shape-changing layer cannot work, whatever is retrained)."""
    names = list(remove)
    require_layers(module, names, f"{field}: remove")
    shapes = shapes_of(module, example, names)
    for name in names:
        if name not in shapes:
            raise SpecError(f"{field}: cannot remove '{name}': the module's forward never calls it")
        given, made = shapes[name]
        if given != made:
            raise SpecError(f"{field}: cannot remove '{name}': it maps {_shape(given)} to {_shape(made)}, so an Identity cannot "
                            "take its place; use mode zero (or mean) to knock it out instead")
    for name in names:
        module.set_submodule(name, nn.Identity())


def load_weights(module: nn.Module, weights: Weights, removed: Collection[str], where: str) -> None:
    """Load the checkpoint into the module; the first key that does not match (missing, unexpected or of
    another shape) is refused by name. Keys of removed submodules are left out on both sides."""
    prefixes = tuple(f"{name}." for name in removed)
    state = {k: v for k, v in weights.state.items() if not k.startswith(prefixes)}
    own = {k: v for k, v in module.state_dict().items() if not k.startswith(prefixes)}
    for key, value in own.items():
        if key not in state:
            raise SpecError(f"{where}: does not match the module: '{key}' is not in the checkpoint{did_you_mean(key, state)}")
        if tuple(state[key].shape) != tuple(value.shape):
            raise SpecError(f"{where}: does not match the module: '{key}' has shape {tuple(state[key].shape)} in the "
                            f"checkpoint, {tuple(value.shape)} in the module (check model.network.kwargs)")
    extra = [k for k in state if k not in own]
    if extra:
        raise SpecError(f"{where}: does not match the module: '{extra[0]}' is in the checkpoint but not in the module"
                        f"{did_you_mean(extra[0], own)}")
    module.load_state_dict(state, strict=False)


def dry_run(module: nn.Module, x: torch.Tensor, field: str) -> torch.Tensor:
    """One forward pass in eval mode without autograd (running statistics untouched); the module's mode
    is restored. A failure is one line."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            out = module(x)
    except Exception as exc:  # the user's forward: whatever it raises is one line
        raise SpecError(f"{field}: the module fails on a batch of shape {_shape(x.shape)}: {type(exc).__name__}: "
                        f"{first_line(exc)}") from None
    finally:
        module.train(was_training)
    if not isinstance(out, torch.Tensor):
        raise SpecError(f"{field}: the module's forward returns {type(out).__name__}, not a tensor")
    return out


@dataclass(frozen=True)
class LayerInfo:
    """One row of `ablation layers`: a submodule, what it outputs on one batch, and what can be done to it."""

    name: str
    type: str
    output_shape: str
    parameters: int
    removable: bool
    called: bool


def module_catalog(module: nn.Module, n_inputs: int) -> list[LayerInfo]:
    """Every submodule with its type, output shape on a batch of `n_inputs` features, parameter count, and
    whether `remove` may replace it (its input and output shapes match); `called` is False for one the
    forward skips."""
    layers = submodules(module)
    shapes = shapes_of(module, torch.zeros(2, n_inputs), list(layers))
    rows = []
    for name, sub in layers.items():
        given, made = shapes.get(name, ((), ()))
        rows.append(LayerInfo(name, type(sub).__name__, _shape(made) if name in shapes else "not called",
                              count_parameters(sub), name in shapes and given == made and bool(given), name in shapes))
    return rows


def _argument_problem(factory: Callable[..., Any], kwargs: dict[str, Any], exc: TypeError) -> str:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return first_line(exc)
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return first_line(exc)
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    for key in kwargs:
        if key not in names:
            return f"'{key}' is not an argument of {getattr(factory, '__name__', 'the module')}{did_you_mean(key, names)} " \
                   f"(arguments: {', '.join(names) or 'none'})"
    missing = [p.name for p in params if p.default is p.empty and p.name not in kwargs
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if missing:
        return f"{getattr(factory, '__name__', 'the module')} needs argument(s) {', '.join(missing)}"
    return first_line(exc)


def _shape_tuple(value: Any) -> tuple:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else ()


def _shape(shape: Any) -> str:
    dims = tuple(shape)
    return "(N" + "".join(f", {d}" for d in dims[1:]) + ")" if dims else "()"
