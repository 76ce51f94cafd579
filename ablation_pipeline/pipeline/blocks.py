"""The split plan as looks: with `evaluation.repeats: auto` a variant takes whole repeats in blocks
(the splits one look adds), each filed in the store on its own; a fixed design is one block."""

from __future__ import annotations

from ..data.splits import Split, holdout_ratio
from ..stats import rule
from ..stats.sequential import Design, looks_for
from ..store.cache import fingerprint
from .fingerprints import variant_fingerprint
from .setup import Setup


def looks(setup: Setup) -> tuple[int, ...]:
    """Cumulative repeats after which a variant may stop (one look: a fixed design)."""
    evaluation = setup.plan.spec.evaluation
    return looks_for(evaluation.max_repeats) if evaluation.adaptive else (int(evaluation.repeats),)


def design(setup: Setup, splits: list[Split]) -> Design:
    return Design(setup.plan.spec.evaluation.folds, looks(setup), holdout_ratio(splits))


def sequential_looks(setup: Setup) -> tuple[int, ...] | None:
    """What the comparison is told about the looks: None for a fixed design."""
    return looks(setup) if setup.plan.spec.evaluation.adaptive else None


def blocks(setup: Setup, splits: list[Split]) -> list[list[Split]]:
    """The splits each look adds (the whole plan for a fixed design)."""
    looks_taken = looks(setup)
    return [[s for s in splits if start <= s.repeat < end] for start, end in zip((0, *looks_taken[:-1]), looks_taken, strict=True)]


def first_block(setup: Setup, splits: list[Split]) -> list[Split]:
    """The splits every variant takes: those the baseline step fits."""
    return blocks(setup, splits)[0]


def adaptive_fingerprint(setup: Setup, splits: list[Split], name: str) -> str:
    """A `repeats: auto` variant's outcome: its fits on the whole plan, cut where the stopping rule
    (its constants, alpha, margins, test, how many variants share its level) says."""
    return fingerprint("looks", variant_fingerprint(setup, splits, name), looks(setup), rule.identity(),
                       setup.plan.spec.statistics.model_dump(mode="json"), setup.plan.family_size(name))
