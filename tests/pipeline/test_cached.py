"""Fits through the content-addressed store."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from ablation_pipeline.ablations.fitting import Outcome
from ablation_pipeline.pipeline.cached import needs_fitting, through_cache
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.store.cache import ResultCache

from builders import cache_spec, linear_frame, write_study


def test_needs_fitting_reads_the_cache_only(study_dir, tmp_path):
    """The hint that starts fold workers before a run: whether any fit's fingerprint is not stored."""
    path = write_study(study_dir, cache_spec(), linear_frame())
    cache = ResultCache(tmp_path / "hint-cache")
    assert needs_fitting(check_study(path), cache)
    run_study(load_spec(path), cache=cache)
    assert not needs_fitting(check_study(path), cache)
    write_study(study_dir, cache_spec(ablations=[{"features": ["a", "c", "city"], "mode": "drop"}]))
    assert needs_fitting(check_study(path), cache)


def _compute_while_holding_the_lock(root: str, key: str, holding, release) -> None:
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
    other = context.Process(target=_compute_while_holding_the_lock, args=(str(tmp_path / "cache"), key, holding, release))
    other.start()
    assert holding.wait(60)
    computed, done = [], []

    def ours() -> Outcome:
        computed.append(True)
        return Outcome("here", [])

    waiting = threading.Thread(target=lambda: done.append(through_cache(key, ours, ResultCache(tmp_path / "cache"), False, "t")))
    waiting.start()
    release.set()
    waiting.join(60)
    other.join(60)
    assert computed == [] and done[0].cached and done[0].outcome.name == "elsewhere"


def test_a_forced_run_refits_once_what_its_steps_share(tmp_path):
    """`--force` refits what was stored before the run, but a fit another step of the same forced run
    filed (a `repeats: auto` baseline block several variants need) is reused, not refitted again."""
    import time

    cache = ResultCache(tmp_path / "cache")
    computed: list[str] = []

    def compute() -> Outcome:
        computed.append("fit")
        return Outcome("baseline", [])

    through_cache("k" * 64, compute, cache, force=False, label="before the run")
    run_started = time.time() + 0.01
    time.sleep(0.05)
    first = through_cache("k" * 64, compute, cache, force=True, label="forced step 1", forced_since=run_started)
    second = through_cache("k" * 64, compute, cache, force=True, label="forced step 2", forced_since=run_started)
    assert computed == ["fit", "fit"]  # once before, once by the forced run: not once per step
    assert not first.cached and second.cached
