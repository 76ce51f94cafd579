"""Where a study's rows come from: a CSV or Parquet file next to the spec, or a bundled scikit-learn
dataset; and the content version of that source (a hash of the file's bytes)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError, did_you_mean
from ..spec.schema import DataSpec, StudySpec

BUNDLED_PREFIX = "sklearn:"
BUNDLED = ("breast_cancer", "diabetes", "digits", "iris", "wine")
FILE_SUFFIXES = (".csv", ".parquet", ".pq")


def is_bundled(data: DataSpec) -> bool:
    return data.source.startswith(BUNDLED_PREFIX)


def source_path(spec: StudySpec) -> Path:
    """The data file, relative to the spec's folder first, then to the working directory."""
    raw = Path(spec.data.source).expanduser()
    candidates = [raw] if raw.is_absolute() else [spec.base_dir / raw, Path.cwd() / raw]
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    raise DataError(f"{spec.label}: data.source: file not found: {spec.data.source} (looked in {spec.base_dir})")


def source_version(spec: StudySpec) -> str:
    """Content version of the data: a hash of the file bytes, or the scikit-learn release for bundled data."""
    if is_bundled(spec.data):
        import sklearn

        return f"{spec.data.source}@sklearn-{sklearn.__version__}"
    digest = hashlib.sha256()
    with source_path(spec).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()[:16]}"


def read_frame(spec: StudySpec, header_only: bool = False) -> pd.DataFrame:
    """All columns of the source (features and target). `header_only` is cheap, for planning."""
    if is_bundled(spec.data):
        return _bundled_frame(spec)
    path = source_path(spec)
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DataError(f"{spec.label}: data.source: unsupported file type '{suffix}' in {path.name}; expected .csv or .parquet")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, nrows=0 if header_only else None)
        else:
            frame = pd.read_parquet(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{spec.label}: data.source: cannot read {path}: {reason}") from None
    if frame.columns.empty:
        raise DataError(f"{spec.label}: data.source: {path} has no columns")
    return frame


def _bundled_frame(spec: StudySpec) -> pd.DataFrame:
    from sklearn import datasets

    name = spec.data.source.removeprefix(BUNDLED_PREFIX)
    if name not in BUNDLED:
        raise SpecError(
            f"{spec.label}: data.source: unknown bundled dataset '{name}', expected one of "
            f"{', '.join(BUNDLED_PREFIX + b for b in BUNDLED)}{did_you_mean(name, BUNDLED)}"
        )
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.copy()
    frame.columns = [snake_case(c) for c in frame.columns]
    if name != "diabetes":  # class labels read better than codes
        frame["target"] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    return frame


def snake_case(name: object) -> str:
    """'mean radius' -> 'mean_radius': bundled column names become valid spec and asset names."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower() or "column"
