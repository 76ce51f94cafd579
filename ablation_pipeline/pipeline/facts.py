"""What planning learns from the data (its columns, and the clusters a `features: clusters` entry
finds), kept in the store so that loading definitions reads no data: for a file, while the file is
unchanged (same path, size, modification time and inode); for an upstream asset (`data.asset`),
which cannot be read when definitions load, what the study's last read of it found, unless the spec
lists its features."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from ..ablations.clusters import Cluster, feature_clusters
from ..data.dataset import Dataset, data_spec_fingerprint, load_dataset
from ..data.files import source_identity
from ..data.sources import read_header
from ..data.upstream import listed_header
from ..errors import SpecError
from ..spec.schema import StudySpec
from ..store.cache import ResultCache, fingerprint

PLAN_VERSION = "2"  # bump when what planning learns from the data changes


class ColumnsUnknownError(SpecError):
    """A study of an upstream asset that lists no features, before it ever read the asset: its variants
    cannot be planned yet (its dataset step, which reads the asset, can run)."""


@dataclass(frozen=True)
class DataFacts:
    """What planning needs to know from the data: its header, and the clusters a `features: clusters`
    entry finds in it (with the version of the data they were found in)."""

    header: tuple[str, ...]
    clusters: dict[int, tuple[Cluster, ...]] = field(default_factory=dict)
    clusters_from: str = ""


def planning_facts(spec: StudySpec, cache: ResultCache | None) -> DataFacts:
    """The data's facts for planning: remembered while they hold, else learned (and remembered)."""
    if spec.data.asset is not None:
        return _asset_facts(spec, cache)
    key = _facts_key(spec)
    learned = cache.get(key) if cache is not None else None
    if isinstance(learned, DataFacts):
        return learned
    learned = data_facts(spec)
    _remember(cache, key, learned, spec)
    return learned


def _asset_facts(spec: StudySpec, cache: ResultCache | None) -> DataFacts:
    listed = listed_header(spec)
    if listed is not None and not _finds_clusters(spec):
        return DataFacts(listed)
    learned = cache.get(_facts_key(spec)) if cache is not None else None
    if isinstance(learned, DataFacts):
        return learned
    why = "finds its clusters in the data" if listed is not None else "lists no data.features"
    raise ColumnsUnknownError(
        f"{spec.label}: data.asset: the study {why} and has not read '{spec.data.asset}' yet: materialize "
        f"{spec.name}/dataset once (it reads the asset) and reload the definitions to plan its variants"
        f"{'' if listed is not None else ', or list data.features'}")


def remember_read(spec: StudySpec, columns: list[str], dataset: Dataset, cache: ResultCache) -> None:
    """After a study read its upstream asset: what the next planning of this spec needs from it."""
    clusters = data_clusters(spec, dataset) if _finds_clusters(spec) else {}
    _remember(cache, _facts_key(spec), DataFacts(tuple(columns), clusters, dataset.version if clusters else ""), spec)


def data_facts(spec: StudySpec) -> DataFacts:
    header = tuple(read_header(spec))
    if not _finds_clusters(spec):
        return DataFacts(header)
    dataset = load_dataset(spec)
    return DataFacts(header, data_clusters(spec, dataset), dataset.version)


def data_clusters(spec: StudySpec, dataset: Dataset) -> dict[int, tuple[Cluster, ...]]:
    """Per `features: clusters` entry, the clusters of associated features at its threshold."""
    return {i: tuple(feature_clusters(dataset.features, dataset.categorical, a.cluster_threshold))
            for i, a in enumerate(spec.ablations) if a.features == "clusters"}


def _finds_clusters(spec: StudySpec) -> bool:
    return any(a.features == "clusters" for a in spec.ablations)


def _facts_key(spec: StudySpec) -> str:
    """A file's facts hold for this spec while the file is unchanged; an asset's for its data section and
    cluster thresholds, whatever else of the spec changes (so editing the model does not forget them)."""
    if spec.data.asset is None:
        return fingerprint("plan", PLAN_VERSION, spec.fingerprint(), str(spec.base_dir), source_identity(spec))
    thresholds = [(i, a.cluster_threshold) for i, a in enumerate(spec.ablations) if a.features == "clusters"]
    return fingerprint("asset facts", PLAN_VERSION, spec.name, str(spec.base_dir), data_spec_fingerprint(spec), thresholds)


def _remember(cache: ResultCache | None, key: str, facts: DataFacts, spec: StudySpec) -> None:
    if cache is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be written is only not used
            cache.put(key, facts, kind="plan", study=spec.name)
