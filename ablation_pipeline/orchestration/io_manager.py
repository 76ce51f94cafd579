"""Where Dagster keeps a study's asset values between steps: in its storage folder, one file per
asset as Dagster's own file IO manager does, but signed (see `store.signing`), so a file someone
else wrote there is refused instead of unpickled. Nothing is kept twice: a result whose blocks are
in the result cache is stored as their keys, and the study's data, which later values carry
(`pipeline.handoff`), as a reference to the dataset asset's own file."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from ..pipeline.compute import Filed
from ..pipeline.handoff import StudyData
from ..pipeline.paths import StudyPaths
from ..store.atomic import atomic_write_bytes, read_regular
from ..store.cache import ResultCache
from ..store.signing import dumps_signed, loads_signed
from .policy import POLICY_KEY, RunPolicy

IO_MANAGER_KEY = "ablation_store"
DATASET = "dataset"  # the asset whose file holds the study data other values refer to
FILED_BLOCKS, STUDY_DATA = "filed blocks", "study data"


class StudyIOManager(dg.ConfigurableIOManager):
    """Signed values under `base_dir` (default: the instance's storage folder), by asset key; results
    by reference to their blocks in the result cache at `cache`. `key` is the signing key's file."""

    cache: str
    key: str
    base_dir: str | None = None
    _root: Path | None = PrivateAttr(default=None)
    _study_data_read: dict[str, StudyData] = PrivateAttr(default_factory=dict)  # by digest, read once per step
    _data_files_read: dict[Path, tuple[tuple[int, int, int], StudyData]] = PrivateAttr(default_factory=dict)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._root = Path(self.base_dir or context.instance.storage_directory())

    def _path(self, key: dg.AssetKey) -> Path:
        return (self._root or Path(self.base_dir or ".")) / Path(*key.path)

    def _cache(self) -> ResultCache:
        return ResultCache(Path(self.cache), Path(self.key))

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        cache = self._cache()

        def reference(part: object) -> tuple | None:
            if isinstance(part, Filed) and not part.failed and all(cache.has(key) for key in part.keys):
                return FILED_BLOCKS, part.name, part.keys
            if isinstance(part, StudyData) and part is not obj:
                return STUDY_DATA, part.digest
            return None

        path = self._path(context.asset_key)
        self._data_files_read.pop(path, None)
        atomic_write_bytes(path, dumps_signed(obj, _label(context.asset_key), Path(self.key), reference))

    def load_input(self, context: dg.InputContext) -> object:
        return self.stored_value(context.asset_key)

    def stored_value(self, key: dg.AssetKey) -> object:
        """The value stored for `key`, its references resolved: what `load_input` gives, for a step that
        depends on many assets without declaring each an input (each input costs two Dagster events)."""
        data = dg.AssetKey([*key.path[:-1], DATASET])

        def resolve(reference: object) -> object:
            kind = reference[0] if isinstance(reference, tuple) and reference else None
            if kind == FILED_BLOCKS and len(reference) == 3:
                return self._filed(key, *reference[1:])
            if kind == STUDY_DATA and len(reference) == 2:
                return self._study_data(key, data, reference[1])
            raise ValueError(f"an unknown reference {reference!r}")

        if key.path[-1] == DATASET:
            return self._data_file(key)
        return self._load(key, resolve)

    def _data_file(self, key: dg.AssetKey) -> object:
        """The dataset asset's value (the study's rows and plan, read by every retrained variant's step),
        verified and unpickled once while its file stays the same one (a rewrite replaces the file)."""
        path = self._path(key)
        try:
            stat = path.stat()
        except OSError:
            return self._load(key, _no_reference)
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        known = self._data_files_read.get(path)
        if known is not None and known[0] == seen:
            return known[1]
        value = self._load(key, _no_reference)
        if isinstance(value, StudyData):
            self._data_files_read[path] = (seen, value)
        return value

    def _load(self, key: dg.AssetKey, resolve) -> object:
        path = self._path(key)
        try:
            return loads_signed(read_regular(path), _label(key), Path(self.key), resolve)
        except (OSError, ValueError) as exc:
            raise dg.Failure(f"{path}: the stored value of {key.to_user_string()} cannot be used ({exc}); "
                             "materialize it again") from None

    def _filed(self, key: dg.AssetKey, name: str, keys: tuple[str, ...]) -> Filed:
        cache = self._cache()
        blocks = [cache.get(block) for block in keys]
        if any(block is None for block in blocks):
            raise dg.Failure(f"{key.to_user_string()}: its result ({keys[0][:16]}...) is no longer in the cache "
                             f"{self.cache}; materialize it again")
        return Filed(name, tuple(keys), tuple(blocks))

    def _study_data(self, key: dg.AssetKey, data: dg.AssetKey, digest: str) -> StudyData:
        """The data a value was computed on, from the dataset asset's file, if that still holds it."""
        if digest in self._study_data_read:
            return self._study_data_read[digest]
        value = self._data_file(data)  # the copy the variant steps read, not a second one
        if not isinstance(value, StudyData) or value.digest != digest:
            raise dg.Failure(f"{key.to_user_string()} was computed on data that {data.to_user_string()} no longer holds "
                             "(it was materialized again since); materialize it again")
        self._study_data_read[digest] = value
        return value


def _no_reference(reference: object) -> object:
    raise ValueError(f"an unexpected reference {reference!r}")


def _label(key: dg.AssetKey) -> str:
    """What a stored value is signed for: its asset (a file moved to another asset's place is refused)."""
    return json.dumps(key.path)


def study_resources(paths: StudyPaths | None = None) -> dict[str, dg.ConfigurableResource]:
    """What a study's steps need: the signed value store and the run's compute policy, on `paths`."""
    paths = paths or StudyPaths.resolved()
    return {IO_MANAGER_KEY: StudyIOManager(cache=str(paths.cache), key=str(paths.key)),
            POLICY_KEY: RunPolicy(cache=str(paths.cache), key=str(paths.key))}
