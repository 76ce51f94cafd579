"""Caching by content: the fingerprint of everything that determines an expensive step's result
(data content, split plan, model, variant, code version), and the baseline and variants computed
through the content-addressed store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from . import batched
from .ablate import Outcome
from .cache import ResultCache, fingerprint
from .data import Split
from .plan import Variant
from .study import Setup, baseline, make_splits, variant

# Bump when fitting or perturbation logic changes results: every cached fit becomes stale.
FIT_LOGIC_VERSION = "2"  # 2: permute draws as scikit-learn does; outcomes record costs


@dataclass(frozen=True)
class Computed:
    """A step's outcome, the fingerprint it is filed under, and whether it came from the cache."""

    outcome: Outcome
    fingerprint: str
    cached: bool


def splits_digest(splits: list[Split]) -> str:
    digest = hashlib.sha256()
    for split in splits:
        digest.update(split.train.astype("int64").tobytes() + b"|" + split.test.astype("int64").tobytes() + b";")
    return digest.hexdigest()


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
    return fingerprint(fit_fingerprint(setup, splits), setup.plan.variant(name).identity(), *together)


def chunk_of(setup: Setup, name: str) -> tuple[Variant, ...] | None:
    """The inference-time feature variants predicted together with `name`; None if it runs alone."""
    chosen = setup.plan.variant(name)
    if not batched.batchable(chosen):
        return None
    members = batched.entries(setup.plan.variants)[batched.entry_of(chosen)]
    return next(c for c in batched.chunks(members, setup.dataset.n_rows, setup.plan.spec.evaluation.folds) if chosen in c)


def needs_fitting(setup: Setup, cache: ResultCache) -> bool:
    """Whether the baseline or any retrained variant has no stored fit (cheap: fingerprints only)."""
    splits = make_splits(setup)
    return not cache.has(fit_fingerprint(setup, splits)) or any(
        not cache.has(variant_fingerprint(setup, splits, v.name)) for v in setup.plan.variants if v.refits)


def through_cache(key: str, compute: Callable[[], Outcome], cache: ResultCache | None, force: bool, label: str) -> Computed:
    if cache is not None and not force:
        stored = cache.get(key)
        if stored is not None:
            return Computed(stored, key, cached=True)
    outcome = compute()
    if cache is not None:
        cache.put(key, outcome, step=label)
    return Computed(outcome, key, cached=False)


def cached_baseline(setup: Setup, splits: list[Split], cache: ResultCache | None, force: bool = False,
                    n_jobs: int = 1) -> Computed:
    return through_cache(fit_fingerprint(setup, splits), lambda: baseline(setup, splits, n_jobs), cache, force,
                          f"{setup.plan.spec.name}/baseline")


def cached_variant(setup: Setup, name: str, splits: list[Split], base: Outcome | None,
                   cache: ResultCache | None, force: bool = False, n_jobs: int = 1) -> Computed:
    """One variant (a variant predicted together with others: its whole chunk, see `cached_variants`)."""
    if chunk_of(setup, name) is not None:
        return cached_variants(setup, [name], splits, base, cache, force, n_jobs)[name]
    return through_cache(variant_fingerprint(setup, splits, name), lambda: variant(setup, name, splits, base, n_jobs), cache, force,
                          f"{setup.plan.spec.name}/{name}")


def cached_variants(setup: Setup, names: list[str], splits: list[Split], base: Outcome | None,
                    cache: ResultCache | None, force: bool = False, n_jobs: int = 1) -> dict[str, Computed]:
    """Several variants: each chunk of inference-time feature variants is predicted together (once,
    unless all of it is stored), every other variant through `cached_variant`."""
    done: dict[str, Computed] = {}
    for name in names:
        if name in done:
            continue
        chunk = chunk_of(setup, name)
        if chunk is None:
            done[name] = cached_variant(setup, name, splits, base, cache, force, n_jobs)
        else:
            done.update(_cached_chunk(setup, chunk, splits, base, cache, force))
    return {name: done[name] for name in names}


def _cached_chunk(setup: Setup, chunk: tuple[Variant, ...], splits: list[Split], base: Outcome | None,
                  cache: ResultCache | None, force: bool) -> dict[str, Computed]:
    keys = {v.name: variant_fingerprint(setup, splits, v.name) for v in chunk}
    stored = {name: cache.get(key) for name, key in keys.items()} if cache is not None and not force else {}
    if stored and all(outcome is not None for outcome in stored.values()):
        return {name: Computed(stored[name], keys[name], cached=True) for name in keys}
    if base is None:
        raise ValueError(f"variants {', '.join(keys)} reuse the baseline's fitted models, which were not given")
    computed = {}
    for outcome in batched.predict_together(chunk, setup.dataset, splits, setup.plan.spec.evaluation.seed, base):
        if cache is not None:
            cache.put(keys[outcome.name], outcome, step=f"{setup.plan.spec.name}/{outcome.name}")
        computed[outcome.name] = Computed(outcome, keys[outcome.name], cached=False)
    return computed
