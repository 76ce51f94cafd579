"""Results through the content-addressed store: the policy that says how, what a fit in progress
elsewhere does to us, a forced run, and the estimate that decides whether fold workers start."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from ablation_pipeline.ablations.fitting import Outcome
from ablation_pipeline.pipeline.compute import Policy, baseline_block, fitting_estimate, on_block, planned_work
from ablation_pipeline.pipeline.identity import Identity
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.pipeline.steps import study_splits
from ablation_pipeline.pipeline.warmup import POOL_START_S, fold_workers
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.store.cache import ResultCache

from builders import cache_spec, linear_frame, write_study


def test_the_fitting_estimate_reads_the_stores_records_only(study_dir, tmp_path):
    """Unknown before the baseline is stored, nothing once every fit is, and for one added variant what the
    baseline's own fits took, as filed beside its entry."""
    path = write_study(study_dir, cache_spec(), linear_frame())
    cache = ResultCache(tmp_path / "hint-cache")

    def estimate() -> float | None:
        setup = check_study(path)
        return fitting_estimate(setup, Identity.of(setup, study_splits(setup)), cache)

    assert estimate() is None
    run_study(load_spec(path), cache=cache)
    assert estimate() == 0.0
    write_study(study_dir, cache_spec(ablations=[{"features": ["a", "c", "city"], "mode": "drop"}]))
    setup = check_study(path)
    baseline = cache.get(Identity.of(setup, study_splits(setup)).fit_key(0))
    assert estimate() == sum(f.fit_seconds for f in baseline.folds) > 0


def test_workers_start_only_when_sharing_the_fits_saves_more_than_their_start():
    assert fold_workers(2, None) == 2  # unknown: the cold run's fitting is what the workers are for
    assert fold_workers(2, 0.0) == 2  # nothing planned: a fit found later (the simplified model) may share them
    assert fold_workers(2, 0.5) == 1
    assert fold_workers(2, 2 * POOL_START_S + 0.1) == 2
    assert fold_workers(8, 1.2 * POOL_START_S) == 8
    assert fold_workers(1, 100.0) == 1


def _file_while_holding_the_lock(root: str, key: str, holding, release) -> None:
    """In another process: take `key`'s lock as a fit in progress does, wait to be told, then file it."""
    cache = ResultCache(Path(root))
    with cache.lock(key):
        holding.set()
        release.wait(60)
        cache.put(key, Outcome("elsewhere", []), step="another run")


def test_a_fit_in_progress_elsewhere_is_waited_for_and_reused(tmp_path):
    """Two runs wanting the same fit: the second waits for the first's lock, then finds the result
    stored instead of fitting it again."""
    context = multiprocessing.get_context("fork")
    holding, release = context.Event(), context.Event()
    key = "cd" * 32
    other = context.Process(target=_file_while_holding_the_lock, args=(str(tmp_path / "cache"), key, holding, release))
    other.start()
    assert holding.wait(60)
    found = []
    policy = Policy(ResultCache(tmp_path / "cache"))

    def ours() -> None:
        with policy.claimed([key]) as stored:
            found.append(stored[key])

    waiting = threading.Thread(target=ours)
    waiting.start()
    release.set()
    waiting.join(60)
    other.join(60)
    assert found[0] is not None and found[0].name == "elsewhere"


def test_a_forced_run_refits_once_what_its_steps_share(study_dir, tmp_path):
    """`--force` refits what was stored before the run, but a fit another step of the same forced run
    filed (a `repeats: auto` baseline block several variants need) is reused, not refitted again."""
    setup = check_study(write_study(study_dir, cache_spec(), linear_frame()))
    identity = Identity.of(setup, study_splits(setup))
    cache = ResultCache(tmp_path / "cache")
    assert baseline_block(setup, identity, 0, Policy(cache)).fitted == len(identity.block(0))
    run_started = time.time() + 0.01
    time.sleep(0.05)
    forced = Policy(cache, force=True, since=run_started)
    first, second = (baseline_block(setup, identity, 0, forced) for _ in range(2))
    assert first.fitted == len(identity.block(0)) and second.fitted == 0  # once by the forced run: not once per step


def test_a_block_fits_every_missing_retrained_variant_and_files_each(study_dir, tmp_path):
    """Retrained and inference-time variants on one block: what is missing is computed (the retrained
    fits in one pool call, over two workers here) and filed under its own key; asked again, the store
    answers with the same predictions."""
    setup = check_study(write_study(study_dir, cache_spec(), linear_frame()))
    identity = Identity.of(setup, study_splits(setup))
    policy = Policy(ResultCache(tmp_path / "cache"), workers=2)
    base = baseline_block(setup, identity, 0, policy)
    names = [v.name for v in setup.plan.variants]
    works = [planned_work(setup, identity, name, 0) for name in names]
    first = on_block(setup, works, identity.block(0), base.outcome, policy)
    splits = len(identity.block(0))
    assert {name: result.fitted for name, result in first.items()} == {"drop__a": splits, "drop__c": splits, "permute__b": 0}
    assert all(policy.store.has(identity.key(name, 0)) for name in names)
    again = on_block(setup, works, identity.block(0), base.outcome, policy)
    assert {result.fitted for result in again.values()} == {0}
    for name in names:
        for fold, stored in zip(first[name].outcome.folds, again[name].outcome.folds, strict=True):
            assert (fold.predictions == stored.predictions).all()
