"""Advisory locks of the operating system (flock): held by one process at a time, released when the
holder exits or dies, so a crash never leaves a lock behind."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import AblationError

TIMEOUT_ENV = "ABLATION_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 1800.0  # seconds a process waits for a lock (a fit another run is computing) before it says so


@contextlib.contextmanager
def exclusive(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Held while the block runs; another process asking for `path` waits, at most `timeout` seconds
    (default ABLATION_LOCK_TIMEOUT, else 30 minutes), then fails in one line naming the lock. `path` may
    be a folder (its own descriptor is locked, nothing is created) or a lock file (created if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDONLY if path.is_dir() else os.O_RDWR | os.O_CREAT | os.O_NONBLOCK
    descriptor = os.open(path, flags, 0o644)
    limit = timeout if timeout is not None else float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT)
    try:
        _acquire(descriptor, path, limit)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _acquire(descriptor: int, path: Path, limit: float) -> None:
    waited, pause = 0.0, 0.01
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if waited >= limit:
                raise AblationError(f"{path}: waited {waited:.0f} s for a lock another process holds (a run computing the "
                                    f"same result?); let it finish or stop it, or raise {TIMEOUT_ENV}") from None
            time.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.5)
