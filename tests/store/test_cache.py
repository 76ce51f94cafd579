"""The content-addressed result store."""

from __future__ import annotations

import pickle

from ablation_pipeline.store.cache import ResultCache


def test_store_never_unpickles_a_file_it_did_not_write(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.put("ab" * 32, {"score": 1.0})
    assert cache.get("ab" * 32) == {"score": 1.0}
    payload, _ = cache._paths("ab" * 32)

    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    payload.write_bytes(pickle.dumps(Boom()))  # swapped behind our back
    assert cache.get("ab" * 32) is None and not (tmp_path / "pwned").exists()
    assert cache.get("cd" * 32) is None  # absent: a miss, not an error
    assert not list((tmp_path / "cache").rglob("*.tmp"))
