"""Getting results block by block: from the store where they are filed, else computed and filed under
their key (pipeline.identity). One `Policy` says how (the store, whether to refit what is stored, since
when, how many workers); the asset graph and `run_study` each build it once and hand it down.

The retrained variants a step needs on a block are fitted in one call over the worker pool (every
split of every variant), the inference-time ones predicted on the baseline's models of that block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from sklearn.base import BaseEstimator

from ..ablations.batched import predict_together
from ..ablations.chunks import chunk_of
from ..ablations.fitting import Outcome, fit_jobs, outcomes_of
from ..ablations.plan import Variant
from ..ablations.variants import dropped_features, predicted, retrain_jobs, retrained_estimator
from ..data.splits import Split
from ..errors import FitError
from ..store.cache import ResultCache
from ..vocabulary import Kind
from .identity import Identity, failed_version, result_version
from .setup import Setup, sweep_estimator


@dataclass(frozen=True)
class Policy:
    """How a run gets its results: the store (None: compute everything, file nothing), whether to refit
    what is stored (`force`; a fit filed at or after `since` was refitted by this forced run already, by
    another of its steps) and how many workers fit a step's splits."""

    store: ResultCache | None = None
    force: bool = False
    since: float | None = None
    workers: int = 1

    def stored(self, key: str) -> Outcome | None:
        if self.store is None:
            return None
        if self.force and not (self.since is not None and self.store.filed_since(key, self.since)):
            return None
        return self.store.get(key)

    @contextlib.contextmanager
    def claimed(self, keys: Iterable[str]) -> Iterator[dict[str, Outcome | None]]:
        """What is stored under each key, with every key's lock held meanwhile (taken in sorted order, so
        two steps claiming overlapping keys never wait for each other): a run that wants a fit another
        is computing waits for it, then finds it stored."""
        keys = sorted(set(keys))
        with contextlib.ExitStack() as locks:
            if self.store is not None:
                for key in keys:
                    locks.enter_context(self.store.lock(key))
            yield {key: self.stored(key) for key in keys}

    def file(self, key: str, outcome: Outcome, step: str) -> None:
        if self.store is not None and not outcome.failed:
            self.store.put(key, outcome, step=step, fit_seconds=sum(f.fit_seconds for f in outcome.folds))


@dataclass(frozen=True)
class Filed:
    """A result and the keys of the stored blocks it is made of, in order: its identity. `computed`
    counts the blocks this computation made (0: every block came from the store), `fitted` the fits
    that took (an inference-time variant takes none)."""

    name: str
    keys: tuple[str, ...]
    blocks: tuple[Outcome, ...]
    computed: int = 0
    fitted: int = 0
    failure: str | None = None

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def outcome(self) -> Outcome:
        """Every fold of every block (one block: itself, with its fitted models)."""
        if self.failed:
            return Outcome(self.name, [], failure=self.failure)
        if len(self.blocks) == 1:
            return self.blocks[0] if self.blocks[0].name == self.name else replace(self.blocks[0], name=self.name)
        return Outcome(self.name, [f for b in self.blocks for f in b.folds], fits=sum(b.fits for b in self.blocks))

    @property
    def version(self) -> str:
        """Its Dagster data version."""
        return failed_version(self.name) if self.failed else result_version(self.keys)

    def cut(self, blocks: int) -> Filed:
        return Filed(self.name, self.keys[:blocks], self.blocks[:blocks], self.computed, self.fitted, self.failure)

    def then(self, more: Filed) -> Filed:
        """This result with the next block's appended (failed if that one failed)."""
        return Filed(self.name, self.keys + more.keys, self.blocks + more.blocks, self.computed + more.computed,
                     self.fitted + more.fitted, self.failure or more.failure)


@dataclass(frozen=True)
class Work:
    """One result to get on a block: its name and key, and how to compute it. A retrained one fits
    `estimator` without the `dropped` features; an inference-time one is `variant` on the baseline's
    models, predicted together with its `chunk` (its own key among them) when it has one."""

    name: str
    key: str
    variant: Variant | None = None
    estimator: BaseEstimator | None = None
    dropped: tuple[str, ...] = ()
    chunk: tuple[tuple[Variant, str], ...] = field(default=())

    @property
    def refits(self) -> bool:
        return self.estimator is not None


def planned_work(setup: Setup, identity: Identity, name: str, b: int) -> Work:
    """A planned variant on block `b`, with the company it is predicted in."""
    variant = setup.plan.variant(name)
    key = identity.key(name, b)
    if variant.refits:
        return Work(name, key, variant, _estimator_of(setup, variant), dropped_features(variant))
    chunk = chunk_of(setup.plan.variants, name, setup.dataset.n_rows, setup.plan.spec.evaluation.folds)
    return Work(name, key, variant, chunk=tuple((v, identity.key(v.name, b)) for v in chunk or ()))


def own_work(setup: Setup, identity: Identity, variant: Variant, b: int) -> Work:
    """Any variant computed alone on block `b` (an interaction pair's), under the key of the planned
    variant it equals."""
    key = identity.own_key(variant, b)
    if variant.refits:
        return Work(variant.name, key, variant, _estimator_of(setup, variant), dropped_features(variant))
    return Work(variant.name, key, variant)


def removal_work(name: str, key: str, estimator: BaseEstimator, dropped: tuple[str, ...]) -> Work:
    """A retrained model without some features (and, through `estimator`, layers): the simplified model."""
    return Work(name, key, estimator=estimator, dropped=dropped)


def _estimator_of(setup: Setup, variant: Variant) -> BaseEstimator:
    estimator = sweep_estimator(setup, variant) if variant.kind == Kind.PARAM else setup.estimator
    return retrained_estimator(variant, estimator)


def fitting_estimate(setup: Setup, identity: Identity, store: ResultCache) -> float | None:
    """Seconds one process would spend fitting the retrained variants the store lacks (cheap: keys and the
    baseline's index records only): each missing variant costs what the baseline's fits took on the blocks
    it holds (a variant is cut to no more blocks than the baseline). None when that is unknown: the baseline
    itself is not stored, or was filed without its fit time."""
    if not store.has(identity.fit_key(0)):
        return None
    missing = sum(1 for v in setup.plan.variants if v.refits and not store.has(identity.key(v.name, 0)))
    if missing == 0:
        return 0.0
    held = [record.get("fit_seconds") for record in map(store.info, identity.fit_keys) if record]  # the blocks stored
    if not all(isinstance(s, int | float) for s in held):
        return None
    return missing * float(sum(held))


def baseline_block(setup: Setup, identity: Identity, b: int, policy: Policy) -> Filed:
    """The baseline on block `b`, with its fitted fold models. A baseline fit that fails raises."""
    key = identity.fit_key(b)
    with policy.claimed([key]) as stored:
        if stored[key] is not None:
            return Filed("baseline", (key,), (stored[key],))
        jobs = retrain_jobs("baseline", setup.estimator, setup.dataset, identity.block(b), keep_models=True, options=setup.fit_options)
        outcome = outcomes_of(jobs, fit_jobs(jobs, setup.dataset, setup.plan.spec.evaluation.seed, policy.workers))["baseline"]
        if outcome.failed:
            raise FitError(outcome.failure)
        policy.file(key, outcome, f"{setup.plan.spec.name}/baseline")
        return Filed("baseline", (key,), (outcome,), computed=1, fitted=outcome.fits)


def on_block(setup: Setup, works: list[Work], block: list[Split], base: Outcome | None, policy: Policy) -> dict[str, Filed]:
    """Each work's result on one block: from the store, or computed and filed. Every retrained fit the
    block needs goes to the worker pool in one call; a chunk of inference-time variants is predicted
    together (and filed whole) when any of it is missing. A result that fails is not filed (the next
    run tries again); the others go on."""
    seed = setup.plan.spec.evaluation.seed
    with policy.claimed([key for w in works for key in (w.key, *(k for _, k in w.chunk))]) as stored:
        missing = [w for w in works if stored[w.key] is None]
        jobs = [job for w in missing if w.refits
                for job in retrain_jobs(w.key, w.estimator, setup.dataset, block, w.dropped, options=setup.fit_options)]
        named = {w.key: w.name for w in missing}  # the jobs are grouped by key: names may repeat across pairs
        computed = {key: replace(outcome, name=named[key])
                    for key, outcome in outcomes_of(jobs, fit_jobs(jobs, setup.dataset, seed, policy.workers)).items()}
        for w in missing:
            if w.refits or w.key in computed:
                continue
            if not w.chunk:
                computed[w.key] = predicted(w.variant, setup.dataset, block, seed, base)
                continue
            together = predict_together([v for v, _ in w.chunk], setup.dataset, block, seed, base)
            computed.update({key: outcome for (_, key), outcome in zip(w.chunk, together, strict=True)})
        for key, outcome in computed.items():
            policy.file(key, outcome, f"{setup.plan.spec.name}/{outcome.name}")
    return {w.name: _filed(w, stored[w.key], computed.get(w.key)) for w in works}


def _filed(work: Work, stored: Outcome | None, computed: Outcome | None) -> Filed:
    if stored is not None:
        return Filed(work.name, (work.key,), (stored,))
    if computed.failed:
        return Filed(work.name, (work.key,), (), computed=1, failure=computed.failure)
    return Filed(work.name, (work.key,), (computed,), computed=1, fitted=computed.fits)
