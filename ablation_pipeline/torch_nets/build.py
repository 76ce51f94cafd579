"""NetworkSpec -> `nn.Sequential`. Input sizes are inferred layer by layer from a dry forward pass
over a zero batch, so "remove layer k and rebuild" never asks the user to recompute sizes, and a
removal that breaks the shapes becomes one SpecError naming the removed layer(s).

Each layer is measured before it is built: its parameters counted on a copy built on torch's `meta`
device (shapes, no data) and its output per row bounded arithmetically, against MAX_PARAMETERS and
MAX_ACTIVATIONS_PER_ROW. A Linear with 1e8 outputs is refused in a millisecond instead of taking
seconds and gigabytes. (A dry pass on `meta` would also give the shapes, but its first use imports
~800 modules, over a second in every process that builds a network.)"""

from __future__ import annotations

import contextlib
import inspect
import math
from collections import OrderedDict
from collections.abc import Collection, Iterator
from typing import Any

import torch
from torch import nn

from ..errors import SpecError, did_you_mean
from ..spec.network import ALLOWED_LAYERS, FORBIDDEN_ARGS, LayerSpec, NetworkSpec, parse_network

INPUT_CHILD = "_input"  # the leading reshape for input_shape; users cannot name a layer like this
# Learned weights and biases in all: 200 MB of float32, about 800 MB with Adam's state, per fit.
MAX_PARAMETERS = 50_000_000
# One layer's output for one row: 40 MB per row, and a batch holds many rows (activations are kept for backward).
MAX_ACTIVATIONS_PER_ROW = 10_000_000
# A size argument torch cannot even hold on the meta device; what is smaller is measured there.
_MAX_ARGUMENT = 2**31 - 1
# Layers whose removal is a no-op or a shape error, never an informative ablation.
# type -> (argument filled from the incoming shape, which dimension it reads, input ranks it accepts)
_INFERRED: dict[str, tuple[str, int, tuple[int, ...] | None]] = {
    "Linear": ("in_features", -1, None),
    "Conv1d": ("in_channels", 1, (3,)),
    "Conv2d": ("in_channels", 1, (4,)),
    "BatchNorm1d": ("num_features", 1, (2, 3)),
    "BatchNorm2d": ("num_features", 1, (4,)),
    "LayerNorm": ("normalized_shape", -1, None),
}
_RANK_NAMES = {2: "(N, C)", 3: "(N, C, L)", 4: "(N, C, H, W)"}
# A lazy layer sizes its weights on first use; it is measured as the eager layer it becomes.
_EAGER_TWINS = {"LazyLinear": "Linear", "LazyConv1d": "Conv1d", "LazyConv2d": "Conv2d",
                "LazyBatchNorm1d": "BatchNorm1d", "LazyBatchNorm2d": "BatchNorm2d"}
# Layers with as many values out as in (per row).
_SAME_SIZE = ("BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "Dropout2d", "ReLU", "LeakyReLU", "GELU", "ELU",
              "Tanh", "Sigmoid", "SiLU", "Softplus", "Flatten", "Unflatten", "Identity")
_OUTPUT_SIZED = ("Linear", "LazyLinear")


class _ShapeProblem(Exception):
    """A layer cannot take the shape it receives; the caller words it (declared vs after removal)."""


def build_network(
    net: NetworkSpec | dict,
    n_inputs: int,
    n_outputs: int,
    remove: Collection[str] = (),
    field: str = "model.network",
    *,
    seed: int | None = None,
) -> nn.Sequential:
    """The declared layers in order, minus `remove`, as named children (plus a leading `_input`
    reshape when `input_shape` is set). The output Linear gets `out_features = n_outputs` when
    omitted. `seed` makes the initial weights reproducible without touching the global RNG."""
    net = parse_network(net, field)
    removed = _checked_removal(net, remove, field)
    with _seeded(seed), torch.no_grad():
        return nn.Sequential(OrderedDict(_assemble(net, n_inputs, n_outputs, removed, field)))


def _assemble(net: NetworkSpec, n_inputs: int, n_outputs: int, removed: frozenset[str], field: str) -> list[tuple[str, nn.Module]]:
    """Construct the layers in order, each sized by a dry pass of a zero batch, and each measured on
    the meta device before it is built for real."""
    x = torch.zeros(2, n_inputs)
    children: list[tuple[str, nn.Module]] = []
    if net.input_shape is not None:
        if math.prod(net.input_shape) != n_inputs:
            raise SpecError(
                f"{field}.input_shape: {list(net.input_shape)} holds {math.prod(net.input_shape)} values per row, "
                f"but the data has {n_inputs} features"
            )
        children.append((INPUT_CHILD, nn.Unflatten(1, net.input_shape)))
        x = x.reshape(2, *net.input_shape)
    parameters = 0
    for i, layer in enumerate(net.layers):
        if layer.name in removed:
            continue
        where, shape = f"{field}.layers[{i}]", tuple(x.shape)
        try:
            parameters += _measured(layer, where, shape, n_outputs, not removed, parameters)
            module = _make_layer(layer, where, shape, n_outputs, strict=not removed)
            x = _dry_run(module, x)
        except _ShapeProblem as problem:
            raise _invalid(field, i, layer, removed, str(problem)) from None
        children.append((layer.name, module))
    if tuple(x.shape[1:]) != (n_outputs,):
        problem = f"outputs shape {tuple(x.shape[1:])} per row, expected ({n_outputs},)"
        raise _invalid(field, len(net.layers) - 1, net.output_layer, removed, problem)
    return children


def _measured(layer: LayerSpec, where: str, shape: tuple[int, ...], n_outputs: int, strict: bool, so_far: int) -> int:
    """The layer's parameter count, from a copy built on the meta device (shapes only: no memory, no
    time, the RNG untouched; a lazy layer is measured as its eager twin). Past MAX_PARAMETERS in all,
    or with more than MAX_ACTIVATIONS_PER_ROW outputs per row, it is refused before it is built."""
    for arg in ("out_features", "out_channels"):
        if layer.args.get(arg) == 0:  # refused before torch warns about initializing an empty weight
            raise _ShapeProblem(f"has {arg} 0, so it outputs nothing")
    twin = layer.model_copy(update={"type": _EAGER_TWINS[layer.type]}) if layer.type in _EAGER_TWINS else layer
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        module = _make_layer(twin, where, shape, n_outputs, strict)
    total = so_far + count_parameters(module)
    if total > MAX_PARAMETERS:
        raise _ShapeProblem(f"brings the network to {total:,} parameters; at most {MAX_PARAMETERS:,} are allowed")
    largest = _output_bound(module, shape)
    if largest > MAX_ACTIVATIONS_PER_ROW:
        raise _ShapeProblem(f"outputs up to {largest:,} values per row; at most {MAX_ACTIVATIONS_PER_ROW:,} are allowed")
    return total - so_far


def _output_bound(module: nn.Module, shape: tuple[int, ...]) -> int:
    """At most how many values per row the layer outputs for input batches of `shape`: exact for
    Linear, an upper bound for convolutions and pools (stride 1, no dilation, padded input)."""
    per_row = math.prod(shape[1:])
    kind = type(module).__name__
    if kind in _SAME_SIZE:
        return per_row
    if isinstance(module, nn.Linear):
        return per_row // max(shape[-1], 1) * module.out_features
    dims = 2 if kind.endswith("2d") else 1
    spatial = shape[max(1, len(shape) - dims):]
    rest = per_row // max(math.prod(spatial), 1)
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        padding = (0,) * dims if isinstance(module.padding, str) else module.padding
        return module.out_channels * math.prod(n + 2 * p for n, p in zip(spatial, padding, strict=False))
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)):
        padding = _per_dim(module.padding, dims)
        return rest * math.prod(n + 2 * p for n, p in zip(spatial, padding, strict=False))
    if isinstance(module, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
        sizes = _per_dim(module.output_size, dims)
        return rest * math.prod(n if size is None else size for n, size in zip(spatial, sizes, strict=False))
    raise TypeError(f"no output size rule for layer type {kind}; add one to _output_bound")


def _per_dim(value: Any, dims: int) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


def count_parameters(module: nn.Module) -> int:
    """All parameters (weights and biases) of the module."""
    return sum(p.numel() for p in module.parameters())


def layer_class(kind: str) -> type[nn.Module]:
    """Resolve a layer type in `torch.nn`, only ever for names in ALLOWED_LAYERS."""
    if kind not in ALLOWED_LAYERS:
        raise SpecError(f"layer type '{kind}' is not allowed{did_you_mean(kind, ALLOWED_LAYERS)}")
    return getattr(nn, kind)


def _checked_removal(net: NetworkSpec, remove: Collection[str], field: str) -> frozenset[str]:
    names = [layer.name for layer in net.layers]
    remove = (remove,) if isinstance(remove, str) else tuple(remove)
    for name in remove:
        if name not in names:
            raise SpecError(f"{field}: cannot remove unknown layer '{name}'{did_you_mean(name, names)} (layers: {', '.join(names)})")
        if name == net.output_layer.name:
            raise SpecError(f"{field}: cannot remove the output layer '{name}'")
    return frozenset(remove)


def _make_layer(layer: LayerSpec, where: str, shape: tuple[int, ...], n_outputs: int, strict: bool) -> nn.Module:
    """Construct one layer, filling its input size from `shape` (the batch shape it will receive)."""
    for key, value in layer.args.items():
        largest = max((abs(v) for v in _integers(value)), default=0)
        if largest > _MAX_ARGUMENT:
            raise SpecError(f"{where}.args.{key}: {largest:,} is too large for any layer (at most {_MAX_ARGUMENT:,})")
    args = {k: _tupled(v) for k, v in layer.args.items()}
    inferred = _INFERRED.get(layer.type)
    if inferred is not None:
        arg, dim, ranks = inferred
        if ranks is not None and len(shape) not in ranks:
            wanted = " or ".join(_RANK_NAMES[r] for r in ranks)
            raise _ShapeProblem(f"expects input of shape {wanted}, got {_batch_shape(shape)}")
        size = shape[dim]
        declared = args.get(arg)
        if isinstance(declared, tuple) and len(declared) == 1:
            declared = declared[0]
        if isinstance(declared, tuple):  # a multi-dimensional LayerNorm shape is taken as declared
            size = declared
        if declared is not None and declared != size and strict:
            raise SpecError(f"{where}.args.{arg}: declared {declared}, but the layer receives {size}; omit it to infer it")
        args[arg] = size
    if layer.output and layer.type in _OUTPUT_SIZED:
        declared = args.setdefault("out_features", n_outputs)
        if declared != n_outputs:
            raise SpecError(f"{where}.args.out_features: declared {declared}, but the task needs {n_outputs} outputs; omit it")
    cls = layer_class(layer.type)
    try:
        return cls(**args)
    except TypeError as exc:
        raise SpecError(f"{where}.args: {_argument_problem(cls, args, exc)}") from None
    except (ValueError, RuntimeError) as exc:
        raise SpecError(f"{where}.args: {layer.type}: {first_line(exc)}") from None


def _dry_run(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Run the zero batch through one layer in eval mode (no running statistics change; lazy layers
    materialize here); the layer is left in train mode like any fresh module."""
    module.eval()
    try:
        out = module(x)
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        raise _ShapeProblem(f"fails on input of shape {_batch_shape(tuple(x.shape))}: {first_line(exc)}") from None
    finally:
        module.train()
    if not isinstance(out, torch.Tensor) or out.ndim < 2 or out.numel() == 0:
        shown = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise _ShapeProblem(f"gives an empty or batch-less output {shown} for input of shape {_batch_shape(tuple(x.shape))}")
    return out


def _invalid(field: str, index: int, layer: LayerSpec, removed: frozenset[str], problem: str) -> SpecError:
    who = f"layer '{layer.name}' ({layer.type})"
    if removed:
        names = ", ".join(f"'{n}'" for n in sorted(removed))
        return SpecError(f"{field}: removing {names} makes the network invalid: {who} {problem}")
    return SpecError(f"{field}.layers[{index}]: {who} {problem}")


def _argument_problem(cls: type, args: dict[str, Any], exc: TypeError) -> str:
    """'unexpected argument x; did you mean y?' or 'missing argument z', else torch's own first line."""
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in FORBIDDEN_ARGS]
    for key in args:
        if key not in names:
            return f"{cls.__name__} has no argument '{key}'{did_you_mean(key, names)} (arguments: {', '.join(names)})"
    missing = [p.name for p in params if p.default is p.empty and p.name not in args and p.kind is not p.VAR_KEYWORD
               and p.kind is not p.VAR_POSITIONAL]
    if missing:
        return f"{cls.__name__} needs argument(s) {', '.join(missing)}"
    return f"{cls.__name__}: {first_line(exc)}"


def _batch_shape(shape: tuple[int, ...]) -> str:
    return "(N, " + ", ".join(str(s) for s in shape[1:]) + ")"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def _integers(value: Any) -> list[int]:
    """The integers in an argument (a list's too), booleans aside."""
    if isinstance(value, (list, tuple)):
        return [i for v in value for i in _integers(v)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Seed initial weights locally: the caller's global RNG state is left as it was."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
