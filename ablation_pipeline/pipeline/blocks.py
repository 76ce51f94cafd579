"""The split plan as looks: with `evaluation.repeats: auto` a variant takes whole repeats in blocks
(the splits one look adds), each filed in the store on its own; a fixed design is one block."""

from __future__ import annotations

from ..data.splits import Split, holdout_ratio
from ..stats.sequential import Design, looks_for
from ..store.cache import fingerprint
from .fingerprints import variant_fingerprint
from .setup import Setup


def design(setup: Setup, splits: list[Split]) -> Design:
    evaluation = setup.plan.spec.evaluation
    looks = looks_for(evaluation.max_repeats) if evaluation.adaptive else (int(evaluation.repeats),)
    return Design(evaluation.folds, looks, holdout_ratio(splits))


def blocks(setup: Setup, splits: list[Split]) -> list[list[Split]]:
    """The splits each look adds (the whole plan for a fixed design)."""
    looks = design(setup, splits).looks
    return [[s for s in splits if start <= s.repeat < end] for start, end in zip((0, *looks[:-1]), looks, strict=True)]


def first_block(setup: Setup, splits: list[Split]) -> list[Split]:
    """The splits every variant takes: those the baseline step fits."""
    return blocks(setup, splits)[0]


def adaptive_fingerprint(setup: Setup, splits: list[Split], name: str) -> str:
    """A `repeats: auto` variant's outcome: its fits on the whole plan, cut where the stopping rule
    (alpha, margins, test, the number of variants) says."""
    return fingerprint("looks", variant_fingerprint(setup, splits, name), design(setup, splits).looks,
                       setup.plan.spec.statistics.model_dump(mode="json"), len(setup.plan.variants))
