"""Content-addressed store of expensive step results (baseline and variant fits).

A result is filed under the fingerprint of everything that determines it. Each entry is a pickle
plus an index record (`<key>.json`) holding the pickle's SHA-256; the record is written after the
payload, both atomically, so a reader sees a complete entry or none. A payload is unpickled only
when its bytes hash to what our own index recorded: files this project did not write are never
unpickled. Two runs storing the same key write identical content, so overlapping runs are safe."""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes, atomic_write_text


def fingerprint(*parts: Any) -> str:
    """A stable SHA-256 of JSON-able parts (dict keys sorted)."""
    payload = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ResultCache:
    root: Path

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.pkl", folder / f"{key}.json"

    def has(self, key: str) -> bool:
        return self._paths(key)[1].is_file()

    def get(self, key: str) -> Any | None:
        """The stored result, or None when absent or when the payload does not match its index record."""
        payload_path, record_path = self._paths(key)
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            payload = payload_path.read_bytes()
        except (OSError, ValueError):
            return None
        if record.get("key") != key or hashlib.sha256(payload).hexdigest() != record.get("sha256"):
            return None
        return pickle.loads(payload)

    def put(self, key: str, value: Any, **info: Any) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        payload_path, record_path = self._paths(key)
        atomic_write_bytes(payload_path, payload)
        record = {"key": key, "sha256": hashlib.sha256(payload).hexdigest(), "bytes": len(payload),
                  "stored_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **info}
        atomic_write_text(record_path, json.dumps(record, sort_keys=True, default=str))
