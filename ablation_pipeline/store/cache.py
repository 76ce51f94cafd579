"""Content-addressed store of expensive step results (baseline and variant fits).

A result is filed under the fingerprint of everything that determines it. Each entry is a pickle
plus an index record (`<key>.json`) holding the pickle's HMAC, keyed by this installation's secret
and bound to the key (see `signing`); both are written atomically, record last, so a reader sees a
complete entry or none. A payload is unpickled only when its signature matches: an entry this
installation did not write, or one damaged or swapped since, is a miss and is computed again.
Two runs storing the same key write identical content, and `lock(key)` lets the second wait for
the first's fit instead of repeating it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes, atomic_write_text, read_regular, regular_file
from .locks import exclusive
from .signing import is_signed, signature


def fingerprint(*parts: Any) -> str:
    """A stable SHA-256 of JSON-able parts (dict keys sorted)."""
    payload = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ResultCache:
    """The store in `root`, its entries signed with the secret in `key` (default: `signing.key_file()`)."""

    root: Path
    key: Path | None = None

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.pkl", folder / f"{key}.json"

    def has(self, key: str) -> bool:
        return regular_file(self._paths(key)[1])

    def get(self, key: str) -> Any | None:
        """The stored result, or None when absent or when the payload is not signed by this installation."""
        payload_path, record_path = self._paths(key)
        try:  # regular files only: a FIFO or a folder where an entry belongs is a miss, never a hang
            record = json.loads(read_regular(record_path).decode("utf-8"))
            payload = read_regular(payload_path)
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("key") != key or not is_signed(payload, key, record.get("hmac"), self.key):
            return None
        return pickle.loads(payload)

    def info(self, key: str) -> dict:
        """What `put` recorded beside `key`'s entry (empty when absent). Not signed, and read as data
        only: it may steer how work is scheduled, never what a result is."""
        try:
            record = json.loads(read_regular(self._paths(key)[1]).decode("utf-8"))
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def put(self, key: str, value: Any, **info: Any) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        payload_path, record_path = self._paths(key)
        atomic_write_bytes(payload_path, payload)
        record = {"key": key, "hmac": signature(payload, key, self.key), "bytes": len(payload),
                  "stored_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **info}
        atomic_write_text(record_path, json.dumps(record, sort_keys=True, default=str))

    def put_note(self, key: str, kind: str, value: Any) -> None:
        """A small JSON note about `key`'s entry (its scores, say), signed like a payload: what a note
        says decides what is computed, so one this installation did not write is never read."""
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        note = {"key": key, "kind": kind, "value": text, "hmac": signature(text.encode(), f"{key}/{kind}", self.key)}
        atomic_write_text(self._note_path(key, kind), json.dumps(note))

    def get_note(self, key: str, kind: str) -> Any | None:
        """The note of that kind about `key`, or None when absent or not signed by this installation."""
        try:
            note = json.loads(read_regular(self._note_path(key, kind)).decode("utf-8"))
            text = note["value"]
            if note.get("key") != key or not is_signed(text.encode(), f"{key}/{kind}", note.get("hmac"), self.key):
                return None
            return json.loads(text)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _note_path(self, key: str, kind: str) -> Path:
        return self.root / key[:2] / f"{key}.{kind}.json"

    def filed_since(self, key: str, since: float) -> bool:
        """Whether `key` was filed at or after `since` (seconds since the epoch)."""
        try:
            return self._paths(key)[1].stat().st_mtime >= since
        except OSError:
            return False

    def lock(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Held while one process computes `key`: another that wants it waits, then finds it stored."""
        return exclusive(self.root / "locks" / f"{key}.lock")
