"""The baseline and the variants computed through the content-addressed store: a step whose
fingerprint is stored returns the stored outcome without fitting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ablations import batched
from ..ablations.fitting import Outcome
from ..ablations.plan import Variant
from ..data.splits import Split
from ..errors import FitError
from ..store.cache import ResultCache
from .blocks import first_block
from .consistency import require_baseline_fits
from .fingerprints import chunk_of, fit_fingerprint, own_fingerprint, variant_fingerprint
from .setup import Setup
from .steps import ablated, baseline, study_splits


@dataclass(frozen=True)
class Computed:
    """A step's outcome, the fingerprint it is filed under, and whether it came from the cache."""

    outcome: Outcome
    fingerprint: str
    cached: bool


def needs_fitting(setup: Setup, cache: ResultCache) -> bool:
    """Whether the baseline or any retrained variant has no stored fit on the splits every variant takes
    (cheap: fingerprints only)."""
    splits = first_block(setup, study_splits(setup))
    return not cache.has(fit_fingerprint(setup, splits)) or any(
        not cache.has(variant_fingerprint(setup, splits, v.name)) for v in setup.plan.variants if v.refits)


def through_cache(key: str, compute: Callable[[], Outcome], cache: ResultCache | None, force: bool, label: str,
                  forced_since: float | None = None) -> Computed:
    """The outcome filed under `key`, computed (and filed) only when the store does not have it. The
    outcome carries its key, so a later step can tell what it was computed from. `force` computes it
    again, unless it was filed at or after `forced_since` (by another step of the same forced run)."""
    if cache is None:
        return _computed(key, compute)
    with cache.lock(key):  # a concurrent run computing the same fit: wait for it, then reuse it
        fresh = forced_since is not None and cache.filed_since(key, forced_since)
        stored = None if force and not fresh else cache.get(key)
        if stored is not None:
            stored.fingerprint = key
            return Computed(stored, key, cached=True)
        computed = _computed(key, compute)
        cache.put(key, computed.outcome, step=label)
        return computed


def _computed(key: str, compute: Callable[[], Outcome]) -> Computed:
    outcome = compute()
    outcome.fingerprint = key
    return Computed(outcome, key, cached=False)


def cached_baseline(setup: Setup, splits: list[Split], cache: ResultCache | None, force: bool = False,
                    n_jobs: int = 1, forced_since: float | None = None) -> Computed:
    return through_cache(fit_fingerprint(setup, splits), lambda: baseline(setup, splits, n_jobs), cache, force,
                          f"{setup.plan.spec.name}/baseline", forced_since)


def cached_variant(setup: Setup, name: str, splits: list[Split], base: Outcome | None,
                   cache: ResultCache | None, force: bool = False, n_jobs: int = 1) -> Computed:
    """One variant (a variant predicted together with others: its whole chunk, see `cached_variants`)."""
    if chunk_of(setup, name) is not None:
        return cached_variants(setup, [name], splits, base, cache, force, n_jobs)[name]
    return cached_own(setup, setup.plan.variant(name), splits, base, cache, force, n_jobs)


def cached_own(setup: Setup, chosen: Variant, splits: list[Split], base: Outcome | None, cache: ResultCache | None,
               force: bool = False, n_jobs: int = 1, forced_since: float | None = None) -> Computed:
    """A variant computed on its own, planned or not (an interaction pair's), filed under `own_fingerprint`."""
    def compute() -> Outcome:
        if base is not None:
            require_baseline_fits(setup, splits, base)
        return ablated(setup, chosen, splits, base, n_jobs)

    key = own_fingerprint(setup, splits, chosen)
    try:
        return through_cache(key, compute, cache, force, f"{setup.plan.spec.name}/{chosen.name}", forced_since)
    except FitError as exc:
        return failed(chosen.name, key, exc)


def failed(name: str, key: str, exc: FitError) -> Computed:
    """A variant that could not be computed: its outcome says why, has no folds, and is never filed,
    so the next run tries again. The other variants of the study go on."""
    return Computed(Outcome(name, [], fingerprint=key, failure=str(exc)), key, cached=False)


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
    if cache is None:
        return _predicted_together(setup, chunk, splits, base, keys)
    with cache.lock(keys[chunk[0].name]):  # the chunk is computed together: one lock for all of it
        stored = {} if force else {name: cache.get(key) for name, key in keys.items()}
        if stored and all(outcome is not None for outcome in stored.values()):
            for name, outcome in stored.items():
                outcome.fingerprint = keys[name]
            return {name: Computed(stored[name], keys[name], cached=True) for name in keys}
        try:
            computed = _predicted_together(setup, chunk, splits, base, keys)
        except FitError as exc:  # computed together, they fail together
            return {name: failed(name, key, exc) for name, key in keys.items()}
        for name, result in computed.items():
            cache.put(keys[name], result.outcome, step=f"{setup.plan.spec.name}/{name}")
        return computed


def _predicted_together(setup: Setup, chunk: tuple[Variant, ...], splits: list[Split], base: Outcome | None,
                        keys: dict[str, str]) -> dict[str, Computed]:
    if base is None:
        raise ValueError(f"variants {', '.join(keys)} reuse the baseline's fitted models, which were not given")
    require_baseline_fits(setup, splits, base)
    computed = {}
    for outcome in batched.predict_together(chunk, setup.dataset, splits, setup.plan.spec.evaluation.seed, base):
        outcome.fingerprint = keys[outcome.name]
        computed[outcome.name] = Computed(outcome, keys[outcome.name], cached=False)
    return computed
