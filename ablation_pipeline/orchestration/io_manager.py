"""Where Dagster keeps a study's asset values between steps: in its storage folder, one file per
asset as Dagster's own file IO manager does, but signed (see `store.signing`), so a file someone
else wrote there is refused instead of unpickled. A fitted outcome that is already in the result
cache is kept there once: Dagster's file holds only its fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from ..ablations.fitting import Outcome
from ..pipeline.paths import StudyPaths
from ..store.atomic import atomic_write_bytes
from ..store.cache import ResultCache
from ..store.signing import dumps_signed, loads_signed

IO_MANAGER_KEY = "ablation_store"
REFERENCE = "cached outcome"


class StudyIOManager(dg.ConfigurableIOManager):
    """Signed values under `base_dir` (default: the instance's storage folder), by asset key; fitted
    outcomes by reference into the result cache at `cache`. `key` is the signing key's file."""

    cache: str
    key: str
    base_dir: str | None = None
    _root: Path | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._root = Path(self.base_dir or context.instance.storage_directory())

    def _path(self, key: dg.AssetKey) -> Path:
        return (self._root or Path(self.base_dir or ".")) / Path(*key.path)

    def _cache(self) -> ResultCache:
        return ResultCache(Path(self.cache), Path(self.key))

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        if isinstance(obj, Outcome) and obj.fingerprint and self._cache().has(obj.fingerprint):
            obj = {REFERENCE: obj.fingerprint}
        atomic_write_bytes(self._path(context.asset_key), dumps_signed(obj, _label(context.asset_key), Path(self.key)))

    def load_input(self, context: dg.InputContext) -> object:
        key = context.asset_key
        path = self._path(key)
        try:
            value = loads_signed(path.read_bytes(), _label(key), Path(self.key))
        except (OSError, ValueError) as exc:
            raise dg.Failure(f"{path}: the stored value of {key.to_user_string()} cannot be used ({exc}); "
                             "materialize it again") from None
        if isinstance(value, dict) and set(value) == {REFERENCE}:
            outcome = self._cache().get(value[REFERENCE])
            if outcome is None:
                raise dg.Failure(f"{key.to_user_string()}: its result ({value[REFERENCE][:16]}) is no longer in the cache "
                                 f"{self.cache}; materialize it again")
            outcome.fingerprint = value[REFERENCE]
            return outcome
        return value


def _label(key: dg.AssetKey) -> str:
    """What a stored value is signed for: its asset (a file moved to another asset's place is refused)."""
    return json.dumps(key.path)


def study_resources(paths: StudyPaths | None = None) -> dict[str, dg.ConfigurableIOManager]:
    paths = paths or StudyPaths.resolved()
    return {IO_MANAGER_KEY: StudyIOManager(cache=str(paths.cache), key=str(paths.key))}
