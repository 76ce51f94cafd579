"""Which inference-time feature variants are predicted together, decided from the spec and the data's
size alone (no numpy: the identity of a result names its company, and identities are computed on
the light path too). A variant is always predicted with the same companions, so its numbers never
depend on which variants a run selected."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..vocabulary import Kind
from .plan import Variant

MAX_PER_CALL = 8  # perturbations per predict call (Captum's fastest setting here)
ROW_BUDGET = 100_000  # stacked rows per call at most, whatever the data size


def batchable(variant: Variant) -> bool:
    """Inference-time feature variants: they only need the baseline's fold models and a predict."""
    return variant.kind == Kind.FEATURE and not variant.refits


def by_entry(variants: Sequence[Variant]) -> dict[str, tuple[Variant, ...]]:
    """Variants by the ablation entry they came from, in plan order."""
    grouped: dict[str, list[Variant]] = {}
    for variant in variants:
        grouped.setdefault(variant.entry, []).append(variant)
    return {entry: tuple(members) for entry, members in grouped.items()}


def chunks(members: Sequence[Variant], n_rows: int, folds: int) -> list[tuple[Variant, ...]]:
    """An entry's batchable variants cut into the fixed chunks that are predicted together."""
    most_draws = max(v.draws for v in members)
    rows_per_variant = math.ceil(n_rows / max(folds, 1)) * most_draws  # a test fold's rows, once per draw
    size = max(1, min(MAX_PER_CALL // most_draws, ROW_BUDGET // max(rows_per_variant, 1)))
    return [tuple(members[i : i + size]) for i in range(0, len(members), size)]


def chunk_of(variants: Sequence[Variant], name: str, n_rows: int, folds: int) -> tuple[Variant, ...] | None:
    """The variants predicted together with `name` (itself included); None when it is computed alone."""
    chosen = next(v for v in variants if v.name == name)
    if not batchable(chosen):
        return None
    members = [v for v in variants if batchable(v) and v.entry == chosen.entry]
    return next(c for c in chunks(members, n_rows, folds) if chosen in c)
