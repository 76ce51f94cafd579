"""The `interactions` section of a study: which pairs of components to test for interaction."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from ..vocabulary import Mode
from .base import Frozen, OptionalMode
from .messages import shown

MAX_PAIRS = 100  # interaction pairs: each costs up to three variants
MAX_TOP = 15  # `interactions.top`: k components give k (k - 1) / 2 pairs


class InteractionsSpec(Frozen):
    """Which pairs of components to test for interaction: named `pairs` of features, groups or layers,
    and/or all pairs among the `top` components with the largest single effects; `mode` is how each
    of A, B and both together are ablated (default: drop for features, remove for layers)."""

    pairs: tuple[tuple[str, str], ...] = Field(default=(), max_length=MAX_PAIRS)
    top: int | None = Field(default=None, ge=2, le=MAX_TOP)
    mode: OptionalMode = None

    @field_validator("pairs", mode="before")
    @classmethod
    def _two_different(cls, pairs: Any) -> Any:
        if not isinstance(pairs, (list, tuple)):
            raise ValueError(f"expected a list of [component, component] pairs, got {shown(pairs)}")
        for pair in pairs:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(m, str) for m in pair):
                raise ValueError(f"expected a pair of two feature, group or layer names such as [rooms, size], got {shown(pair)}")
            if pair[0] == pair[1]:
                raise ValueError(f"a pair of the same component [{pair[0]}, {pair[1]}]; name two different components")
        return tuple(tuple(pair) for pair in pairs)

    @model_validator(mode="after")
    def _something_to_pair(self) -> InteractionsSpec:
        if not self.pairs and self.top is None:
            raise ValueError("give pairs (e.g. [[rooms, size]]) and/or top (pairs among the k largest single effects)")
        if self.mode is not None and (self.mode.takes_factors or self.mode in (Mode.SWEEP,)):
            raise ValueError(f"mode '{self.mode}' sweeps a factor or setting; interactions take a mode that removes or "
                             "perturbs a component (drop, permute, conditional, mean; remove, zero, resample, random)")
        return self
