"""Caching by content: the fingerprint of everything that determines an expensive step's result
(data content, split plan, model, variant, code version). Equal fingerprints mean equal results."""

from __future__ import annotations

import hashlib

from ..ablations import batched
from ..ablations.plan import Variant
from ..data.splits import Split
from ..store.cache import fingerprint
from .setup import Setup
from .state import FIT_LOGIC_VERSION

_RECENT_PLANS: list[tuple[list[Split], str]] = []  # the last plans digested, held so their ids stay theirs
RECENT_PLANS = 2


def splits_digest(splits: list[Split]) -> str:
    """The hash of every index of the plan. Each step fingerprints its plan many times over (per
    variant, per consistency check): 40 MB to hash each time at 100,000 rows and 50 splits, so the
    last plans are remembered by the identity of their (immutable) splits."""
    for known, digest in _RECENT_PLANS:
        if len(known) == len(splits) and all(a is b for a, b in zip(known, splits, strict=True)):
            return digest
    hashed = hashlib.sha256()
    for split in splits:
        hashed.update(split.train.astype("int64").tobytes() + b"|" + split.test.astype("int64").tobytes() + b";")
    digest = hashed.hexdigest()
    _RECENT_PLANS.insert(0, (list(splits), digest))
    del _RECENT_PLANS[RECENT_PLANS:]
    return digest


def fit_fingerprint(setup: Setup, splits: list[Split]) -> str:
    """Everything that determines the baseline's fits: data content, split plan, model, columns, code."""
    spec, data = setup.plan.spec, setup.dataset
    return fingerprint("fit", FIT_LOGIC_VERSION, data.version, data.target_name, data.task, splits_digest(splits),
                       spec.model.model_dump(mode="json"), spec.evaluation.seed, list(data.numeric), list(data.categorical))


def variant_fingerprint(setup: Setup, splits: list[Split], name: str) -> str:
    """The fit's fingerprint plus the variant's own spec (and, when predicted together with others,
    their names: the result is computed in exactly that company)."""
    chunk = chunk_of(setup, name)
    together = [] if chunk is None else [{"predicted_with": [v.name for v in chunk]}]
    return own_fingerprint(setup, splits, setup.plan.variant(name), *together)


def own_fingerprint(setup: Setup, splits: list[Split], variant: Variant, *company: object) -> str:
    """A variant computed on its own: the fit's fingerprint and the variant's identity. An interaction
    pair's variant gets the same key as the plan variant it equals, so each is fitted once."""
    return fingerprint(fit_fingerprint(setup, splits), variant.identity(), *company)


def chunk_of(setup: Setup, name: str) -> tuple[Variant, ...] | None:
    """The inference-time feature variants predicted together with `name`; None if it runs alone."""
    chosen = setup.plan.variant(name)
    if not batched.batchable(chosen):
        return None
    members = batched.entries(setup.plan.variants)[batched.entry_of(chosen)]
    return next(c for c in batched.chunks(members, setup.dataset.n_rows, setup.plan.spec.evaluation.folds) if chosen in c)
