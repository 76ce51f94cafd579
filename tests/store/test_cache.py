"""The content-addressed result store: what it returns is what this installation stored, and nothing
anyone else wrote into its folder is ever unpickled (unpickling runs code)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat

from ablation_pipeline.store.cache import ResultCache
from ablation_pipeline.store.signing import key_file

KEY = "ab" * 32


class Exploit:
    """A pickle that, when loaded, creates a file: the proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_stored_result_comes_back(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.put(KEY, {"score": 1.0}, step="study/baseline")
    assert cache.get(KEY) == {"score": 1.0} and cache.has(KEY)
    assert cache.get("cd" * 32) is None  # absent: a miss, not an error
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_a_payload_swapped_behind_our_back_is_not_unpickled(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.put(KEY, {"score": 1.0})
    payload, _ = cache._paths(KEY)
    payload.write_bytes(pickle.dumps(Exploit(tmp_path / "pwned")))
    assert cache.get(KEY) is None and not (tmp_path / "pwned").exists()


def test_a_forged_entry_with_its_own_matching_hash_record_is_not_unpickled(tmp_path):
    """The audit's attack: whoever can write the folder writes a payload and a record whose SHA-256
    matches it. Without the installation's key the signature cannot match."""
    cache = ResultCache(tmp_path / "cache")
    payload_path, record_path = cache._paths(KEY)
    payload_path.parent.mkdir(parents=True)
    payload = pickle.dumps(Exploit(tmp_path / "pwned"))
    payload_path.write_bytes(payload)
    forged = {"key": KEY, "sha256": hashlib.sha256(payload).hexdigest(), "hmac": hashlib.sha256(payload).hexdigest()}
    record_path.write_text(json.dumps(forged))
    assert cache.get(KEY) is None and not (tmp_path / "pwned").exists()


def test_entries_of_another_installation_or_another_key_are_misses(tmp_path):
    ours = ResultCache(tmp_path / "cache")
    theirs = ResultCache(tmp_path / "cache", tmp_path / "their.key")
    theirs.put(KEY, {"score": 2.0})
    assert theirs.get(KEY) == {"score": 2.0} and ours.get(KEY) is None
    ours.put(KEY, {"score": 1.0})
    payload, record = ours._paths(KEY)
    other_payload, other_record = ours._paths("cd" * 32)
    other_payload.parent.mkdir(parents=True, exist_ok=True)
    other_payload.write_bytes(payload.read_bytes())  # a valid entry copied under another key
    other_record.write_text(record.read_text().replace(KEY, "cd" * 32))
    assert ours.get("cd" * 32) is None


def test_the_key_is_private_to_its_owner(tmp_path):
    ResultCache(tmp_path / "cache").put(KEY, 1)
    mode = os.stat(key_file()).st_mode
    assert stat.S_IMODE(mode) == 0o600 and key_file().parent != tmp_path / "cache"
