"""A torch network as data: an ordered list of named `torch.nn` layers from an allowed list, or the
user's own `nn.Module` named by a trusted module path (with its keyword arguments and an optional
checkpoint), plus training settings. Validation never imports torch, so specs parse where torch is
not installed."""

from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from ..errors import SpecError, did_you_mean, require_one_of
from .base import Frozen
from .messages import describe_errors, shown

LAYER_NAME = r"^[a-z][a-z0-9_]*$"
OPTIMIZERS = ("adam", "adamw", "sgd")
DEVICES = ("auto", "cpu", "cuda")

# The only names ever looked up in `torch.nn`; anything else in a spec is rejected before torch is touched.
ALLOWED_LAYERS = (
    "Linear", "LazyLinear",
    "Conv1d", "Conv2d", "LazyConv1d", "LazyConv2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "BatchNorm1d", "BatchNorm2d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LayerNorm",
    "Dropout", "Dropout2d",
    "ReLU", "LeakyReLU", "GELU", "ELU", "Tanh", "Sigmoid", "SiLU", "Softplus",
    "Flatten", "Unflatten", "Identity",
)
# Pure reshapes: removing one is a no-op or a shape error, so `layers: each` skips them.
RESHAPES = ("Flatten", "Unflatten", "Identity")
# Placement is the estimator's job; a spec cannot pick devices or dtypes per layer.
FORBIDDEN_ARGS = ("device", "dtype")

MAX_SEED = 2**32 - 1  # numpy's seed range; torch takes more, but one seed must suit both

_Scalar = (bool, int, float, str, type(None))
# PyYAML (YAML 1.1) reads `eps: 1e-5` as a string; such arguments are meant as numbers.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def require_finite(value: Any) -> Any:
    """`value` if no float in it (nested lists and mappings included) is inf or nan: no setting means that."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value}")
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for item in items:
        if isinstance(item, (float, list, tuple, dict)):
            try:
                require_finite(item)
            except ValueError:
                raise ValueError(f"expected finite numbers, got {shown(value)}") from None
    return value


def _seed_in_range(seed: int) -> int:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"a seed is between 0 and {MAX_SEED} (2**32 - 1), got {seed}")
    return seed


Seed = Annotated[int, AfterValidator(_seed_in_range)]


class LayerSpec(Frozen):
    """One layer: `type` is a class name from ALLOWED_LAYERS, `args` its keyword arguments.
    Input sizes (in_features, in_channels, num_features, normalized_shape) are best omitted: they
    are inferred from the previous layer. A declared one is checked against the full network and
    replaced by the inferred size when layers are removed."""

    name: str = Field(pattern=LAYER_NAME)
    type: str
    args: dict[str, Any] = {}
    output: bool = False

    @field_validator("type")
    @classmethod
    def _allowed_type(cls, kind: str) -> str:
        if kind not in ALLOWED_LAYERS:
            raise ValueError(
                f"layer type '{kind}' is not allowed{did_you_mean(kind, ALLOWED_LAYERS)} "
                f"(allowed: {', '.join(ALLOWED_LAYERS)})"
            )
        return kind

    @field_validator("args")
    @classmethod
    def _plain_args(cls, args: dict[str, Any]) -> dict[str, Any]:
        for key, value in args.items():
            if key in FORBIDDEN_ARGS:
                raise ValueError(f"argument '{key}' cannot be set per layer; use training.device")
            if not _is_plain(value):
                raise ValueError(f"argument '{key}' must be a number, string, boolean, null or a list of them, got {shown(value)}")
        args = {key: _numeric(value) for key, value in args.items()}
        for key, value in args.items():
            try:
                require_finite(value)
            except ValueError as exc:
                raise ValueError(f"argument '{key}': {exc}") from None
        return args


class EarlyStopping(Frozen):
    """Stop when the loss on a seeded validation slice of the training rows has not improved for
    `patience` epochs, and keep the best weights."""

    patience: int = Field(default=5, ge=1)
    validation_fraction: float = Field(default=0.1, gt=0, lt=1)


class TrainingSpec(Frozen):
    """How the network is fitted. `threads` caps torch's CPU threads during fit/predict so parallel
    study steps do not oversubscribe the cores."""

    optimizer: str = "adam"
    lr: float = Field(default=1e-3, gt=0)
    momentum: float = Field(default=0.0, ge=0, description="sgd only")
    epochs: int = Field(default=20, ge=1)
    batch_size: int = Field(default=64, ge=1)
    seed: Seed = 0
    weight_decay: float = Field(default=0.0, ge=0)
    early_stopping: EarlyStopping | None = None
    device: str = "cpu"
    threads: int = Field(default=1, ge=1)

    @field_validator("optimizer")
    @classmethod
    def _known_optimizer(cls, name: str) -> str:
        return require_one_of(name, OPTIMIZERS, "optimizer")

    @field_validator("device")
    @classmethod
    def _known_device(cls, name: str) -> str:
        return require_one_of(name, DEVICES, "device")


class NetworkSpec(Frozen):
    """Either `layers` in order, the last one marked `output: true`, or `module`: the user's own
    `nn.Module` class (or a factory returning one) as `package.module:Name` from a module the project
    trusts, built with `kwargs`, its weights loaded from `checkpoint` (a state_dict file, relative to
    the spec) when given. `input_shape` (e.g. [1, 8, 8]) reshapes each flat feature row first."""

    layers: tuple[LayerSpec, ...] = ()
    module: str | None = Field(default=None, min_length=1, description="an nn.Module class or a factory returning one, "
                               "as package.module:Name, from a module the project trusts")
    kwargs: dict[str, Any] = Field(default={}, description="keyword arguments of module")
    checkpoint: str | None = Field(default=None, min_length=1, description="a state_dict saved with torch.save, relative to "
                                   "the spec; loaded with weights_only=True")
    input_shape: tuple[typing.Annotated[int, Field(ge=1)], ...] | None = Field(default=None, min_length=1)
    training: TrainingSpec = TrainingSpec()

    @field_validator("layers")
    @classmethod
    def _names_and_output(cls, layers: tuple[LayerSpec, ...]) -> tuple[LayerSpec, ...]:
        if not layers:
            return layers  # `module` instead, or the one-line "give layers or module" below
        seen: dict[str, int] = {}
        for i, layer in enumerate(layers):
            if layer.name in seen:
                raise ValueError(f"layers[{i}] repeats the name '{layer.name}' of layers[{seen[layer.name]}]; names must be unique")
            seen[layer.name] = i
        outputs = [i for i, layer in enumerate(layers) if layer.output]
        if not outputs:
            raise ValueError(f"no layer is marked output; add `output: true` to the last layer '{layers[-1].name}'")
        if len(outputs) > 1:
            named = ", ".join(f"'{layers[i].name}'" for i in outputs)
            raise ValueError(f"{len(outputs)} layers are marked output ({named}); mark exactly one, the last")
        if outputs[0] != len(layers) - 1:
            raise ValueError(
                f"the output layer '{layers[outputs[0]].name}' (layers[{outputs[0]}]) must be the last layer, "
                f"but '{layers[-1].name}' follows it"
            )
        return layers

    @field_validator("kwargs")
    @classmethod
    def _plain_kwargs(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        for key, value in kwargs.items():
            if not _is_plain(value):
                raise ValueError(f"argument '{key}' must be a number, string, boolean, null or a list of them, got {shown(value)}")
            try:
                require_finite(value)
            except ValueError as exc:
                raise ValueError(f"argument '{key}': {exc}") from None
        return {key: _numeric(value) for key, value in kwargs.items()}

    @model_validator(mode="after")
    def _layers_or_module(self) -> NetworkSpec:
        if bool(self.layers) == (self.module is not None):
            raise ValueError("give either layers (torch.nn layers in order) or module (your own nn.Module as "
                             "package.module:Name), not both" if self.layers else
                             "give layers (torch.nn layers in order, the last with `output: true`) or module (your own "
                             "nn.Module as package.module:Name)")
        if self.module is None and (self.kwargs or self.checkpoint):
            raise ValueError("kwargs and checkpoint belong to a module network (model.network.module)")
        return self

    @property
    def is_module(self) -> bool:
        """The user's own nn.Module, rather than declared layers."""
        return self.module is not None

    @property
    def output_layer(self) -> LayerSpec:
        return self.layers[-1]

    def index(self, name: str) -> int:
        return next(i for i, layer in enumerate(self.layers) if layer.name == name)


class UnitsSpec(Frozen):
    """Units inside a layer, one variant per slice: `size` consecutive positions along `dim` of the
    layer's output (neurons: dim -1; channels: dim 1), or of its input with `on: input` (attention
    heads: the input of the output projection, where each head is still its own slice)."""

    size: int = Field(ge=1, description="positions per slice: one variant per slice")
    dim: int = Field(default=-1, description="the dimension sliced, counted with the batch (1: channels, -1: last)")
    on: Literal["output", "input"] = "output"

    @field_validator("dim")
    @classmethod
    def _not_the_batch(cls, dim: int) -> int:
        if dim == 0:
            raise ValueError("dim 0 is the batch; slice a layer's features (-1) or channels (1)")
        return dim


@dataclass(frozen=True)
class UnitSlice:
    """One slice of a layer's units: positions [start, stop) along `dim` of its output (or input)."""

    dim: int
    start: int
    stop: int
    on: str = "output"

    @property
    def text(self) -> str:
        where = "" if self.on == "output" else " of its input"
        return f"[{self.start}:{self.stop}] along dim {self.dim}{where}"

    @property
    def slug(self) -> str:
        """The variant name's part: `u0_4` for output units, `in0_4` for input units (heads), so that both
        of one layer can be in a study."""
        return f"{'u' if self.on == 'output' else 'in'}{self.start}_{self.stop}"

    def identity(self) -> list:
        return [self.dim, self.start, self.stop, self.on]


def removable_layers(net: NetworkSpec | dict) -> list[str]:
    """Declared layers worth removing one at a time: all but the output layer and the pure reshapes."""
    net = parse_network(net)
    return [layer.name for layer in net.layers[:-1] if layer.type not in RESHAPES]


def parse_network(raw: Any, field: str = "model.network") -> NetworkSpec:
    """A NetworkSpec (or its plain-dict form) -> NetworkSpec; every problem is one line naming its field."""
    if isinstance(raw, NetworkSpec):
        return raw
    if not isinstance(raw, dict):
        raise SpecError(f"{field}: expected a mapping with layers (and optionally input_shape, training), got {type(raw).__name__}")
    try:
        return NetworkSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError("\n".join(describe_errors(exc, NetworkSpec, (field,)))) from None


def _numeric(value: Any) -> Any:
    if isinstance(value, str) and _EXPONENT_FLOAT.match(value):
        return float(value)
    if isinstance(value, list):
        return [_numeric(v) for v in value]
    return value


def _is_plain(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _Scalar)
