"""Signatures that make stored pickles safe to load. A pickle runs code when it is loaded, so a
stored one is loaded only when its HMAC, keyed by a secret of this installation that is kept
outside every store, matches: whoever can write a cache or Dagster storage folder, but cannot read
the key, cannot make us run anything (a forged or damaged entry is simply not found).

The key lives in `ABLATION_KEY_FILE`, by default `~/.config/ablation_pipeline/store.key`, created
on first use with mode 0600. Machines that share a cache share this file (and must be trusted)."""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import pickle
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from ..errors import AblationError
from .atomic import read_regular

KEY_ENV = "ABLATION_KEY_FILE"
KEY_BYTES = 32


def key_file() -> Path:
    configured = os.environ.get(KEY_ENV)
    if configured:
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "ablation_pipeline" / "store.key"


def signature(payload: bytes, label: str, key: Path | None = None) -> str:
    """HMAC-SHA256 of `label` and `payload` (the label binds a payload to the name it is filed under),
    keyed by the secret in `key` (default: `key_file()`)."""
    return hmac.new(_key(str(key or key_file())), label.encode() + b"\0" + payload, hashlib.sha256).hexdigest()


def is_signed(payload: bytes, label: str, claimed: object, key: Path | None = None) -> bool:
    return isinstance(claimed, str) and hmac.compare_digest(signature(payload, label, key), claimed)


@lru_cache(maxsize=4)
def _key(path_text: str) -> bytes:
    """The installation's secret, created when it does not exist yet: written whole to a private temp
    file first, then linked into place, so a process starting at the same moment never reads half a key."""
    path = Path(path_text)
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
            descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(KEY_BYTES))
            try:
                os.link(temp, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            finally:
                temp.unlink()
        except OSError as exc:
            raise AblationError(f"{path}: cannot create the store key ({exc.strerror}); set {KEY_ENV} to a writable file") from None
    try:
        key = bytes.fromhex(read_regular(path).decode().strip())
    except (OSError, ValueError):
        raise AblationError(f"{path}: the store key cannot be read; it must hold {KEY_BYTES * 2} hex digits") from None
    if len(key) < 16:
        raise AblationError(f"{path}: the store key is too short; it must hold {KEY_BYTES * 2} hex digits")
    return key


SIGNED_HEADER = b"ablation-signed-v1 "


def dumps_signed(value: object, label: str, key: Path | None = None,
                 reference: Callable[[object], object] | None = None) -> bytes:
    """A pickle of `value` preceded by its signature line. `reference(obj)` may name a part that is
    kept elsewhere (a tuple of strings); that part is stored as its name, for `loads_signed`'s `resolve`."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    if reference is not None:
        pickler.persistent_id = reference
    pickler.dump(value)
    payload = buffer.getvalue()
    return SIGNED_HEADER + signature(payload, label, key).encode() + b"\n" + payload


def loads_signed(data: bytes, label: str, key: Path | None = None,
                 resolve: Callable[[object], object] | None = None) -> object:
    """The value `dumps_signed` stored under `label`, its named parts brought back by `resolve`; a
    ValueError, never an unpickling, when the signature is missing or does not match."""
    header, _, payload = data.partition(b"\n")
    claimed = header[len(SIGNED_HEADER):].decode("ascii", "replace")
    if not header.startswith(SIGNED_HEADER) or not is_signed(payload, label, claimed, key):
        raise ValueError("not signed by this installation")
    unpickler = pickle.Unpickler(io.BytesIO(payload))
    if resolve is not None:
        unpickler.persistent_load = resolve
    return unpickler.load()
