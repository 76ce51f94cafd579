"""The stores read only regular files: a FIFO, a folder or a device where an entry, a note or a state
file belongs is a miss, never a hang; a lock held too long is one line that names it."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from ablation_pipeline.errors import AblationError
from ablation_pipeline.store.atomic import read_regular
from ablation_pipeline.store.cache import ResultCache
from ablation_pipeline.store.locks import exclusive


def test_a_fifo_where_an_entry_belongs_is_a_miss_not_a_hang(tmp_path):
    cache = ResultCache(tmp_path / "cache", tmp_path / "key")
    key = "ab" * 32
    cache.put(key, {"value": 1})
    payload, record = cache._paths(key)
    record.unlink()
    os.mkfifo(record)
    started = time.perf_counter()
    assert cache.get(key) is None and not cache.has(key)
    assert time.perf_counter() - started < 5
    record.unlink()
    record.mkdir()  # a folder where the record belongs
    assert cache.get(key) is None
    os.rmdir(record)
    os.mkfifo(tmp_path / "cache" / key[:2] / f"{key}.scores1.json")
    assert cache.get_note(key, "scores1") is None
    cache.put(key, {"value": 2})  # filed again over whatever was there
    assert cache.get(key) == {"value": 2}


def test_a_fifo_where_results_state_belongs_is_not_current(tmp_path):
    from ablation_pipeline.pipeline.state import recorded_state, result_files_intact

    os.mkfifo(tmp_path / "state.json")
    assert recorded_state(tmp_path) is None and not result_files_intact(tmp_path)
    with pytest.raises(OSError):
        read_regular(tmp_path / "state.json")


def _hold(path: str, holding, release) -> None:
    from pathlib import Path

    with exclusive(Path(path)):
        holding.set()
        release.wait(60)


def test_a_lock_held_too_long_is_one_line_naming_it(tmp_path):
    context = multiprocessing.get_context("fork")
    holding, release = context.Event(), context.Event()
    lock = tmp_path / "locks" / "fit.lock"
    other = context.Process(target=_hold, args=(str(lock), holding, release))
    other.start()
    try:
        assert holding.wait(60)
        with pytest.raises(AblationError) as caught, exclusive(lock, timeout=0.3):
            pass
        message = str(caught.value)
        assert message.startswith(f"{lock}: waited 0 s for a lock another process holds") and "ABLATION_LOCK_TIMEOUT" in message
        assert "\n" not in message
    finally:
        release.set()
        other.join(60)
    with exclusive(lock, timeout=5):  # free again
        pass
