"""Retrained sweeps of one model setting: `param: model.params.alpha, values: [0.1, 1, 10]` gives
one variant per value, each the baseline model with that setting changed and retrained."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import SpecError, did_you_mean
from ..spec.messages import describe_errors
from ..spec.model import ModelSpec

PREFIXES = ("model.params.", "model.network.training.", "model.network.layers.", "model.network.kwargs.")


def apply_setting(model: ModelSpec, path: str, value: Any) -> ModelSpec:
    """The model spec with the setting at `path` replaced by `value` (validated like the spec itself)."""
    data = model.model_dump(mode="json")
    if path.startswith("model.params."):
        if model.network is not None:
            raise SpecError(f"'{path}' needs model.estimator or model.factory; a network's settings live under model.network")
        data["params"][path.removeprefix("model.params.")] = value
    elif path.startswith("model.network.training.") and model.network is not None:
        key = path.removeprefix("model.network.training.")
        allowed = list(data["network"]["training"])
        if key not in allowed:
            raise SpecError(f"unknown training setting '{key}'{did_you_mean(key, allowed)}")
        data["network"]["training"][key] = value
    elif path.startswith("model.network.kwargs.") and model.network is not None and model.network.is_module:
        data["network"]["kwargs"][path.removeprefix("model.network.kwargs.")] = value  # the module's signature checks it
    elif path.startswith("model.network.layers.") and model.network is not None:
        layer, _, arg = path.removeprefix("model.network.layers.").partition(".args.")
        names = [entry["name"] for entry in data["network"]["layers"]]
        if layer not in names:
            raise SpecError(f"expected model.network.layers.<layer>.args.<argument>; unknown layer '{layer}'{did_you_mean(layer, names)}")
        if not arg:
            raise SpecError(f"expected model.network.layers.{layer}.args.<argument>")
        data["network"]["layers"][names.index(layer)]["args"][arg] = value
    else:
        raise SpecError(f"cannot sweep '{path}': expected a path starting with one of {', '.join(PREFIXES)}")
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError("; ".join(describe_errors(exc, ModelSpec, ("model",)))) from None

