"""Seeds derived from the study seed and a name, so randomness never depends on how work is split."""

from __future__ import annotations

import hashlib


def derive_seed(seed: int, *labels: object) -> int:
    """A 32-bit seed that is a pure function of the study seed and the labels (variant, split, draw)."""
    text = "/".join([str(seed), *map(str, labels)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
