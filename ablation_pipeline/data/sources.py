"""Where a study's rows come from: a CSV or Parquet file next to the spec, or a bundled scikit-learn
dataset. A source is read once: its version is the hash of exactly the bytes the rows were parsed
from, so a file rewritten while a run reads it can never give rows of one version labelled with
another."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError, did_you_mean
from ..spec.schema import DataSpec, StudySpec

BUNDLED_PREFIX = "sklearn:"
BUNDLED = ("breast_cancer", "diabetes", "digits", "iris", "wine")
FILE_SUFFIXES = (".csv", ".parquet", ".pq")
MAX_HEADER_BYTES = 1 << 20  # a header line longer than this is not a header


@dataclass(frozen=True)
class Source:
    """The data exactly as read: every column, and the version of the bytes they were parsed from."""

    frame: pd.DataFrame
    version: str


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


def read_source(spec: StudySpec) -> Source:
    """Every column of the source, with the version of exactly the bytes they came from."""
    if is_bundled(spec.data):
        return Source(_bundled_frame(spec), _bundled_version(spec))
    path, suffix = _data_file(spec)
    raw = read_regular_file(path, f"{spec.label}: data.source")
    if suffix == ".csv":
        _refuse_duplicate_header(spec, path, raw)
    frame = _parse(spec, path, lambda: pd.read_csv(io.BytesIO(raw)) if suffix == ".csv" else pd.read_parquet(io.BytesIO(raw)))
    return Source(frame, _version_of(raw))


def read_header(spec: StudySpec) -> list[str]:
    """The column names only (cheap, for planning): a CSV's first line, a Parquet file's schema."""
    if is_bundled(spec.data):
        return [str(c) for c in _bundled_frame(spec).columns]
    path, suffix = _data_file(spec)
    if suffix == ".csv":
        first = read_regular_file(path, f"{spec.label}: data.source", first_line=True)
        _refuse_duplicate_header(spec, path, first)
        frame = _parse(spec, path, lambda: pd.read_csv(io.BytesIO(first), nrows=0))
    else:
        import pyarrow.parquet as pq

        with open_regular_file(path, f"{spec.label}: data.source") as handle:
            frame = _parse(spec, path, lambda: pd.DataFrame(columns=pq.read_schema(handle).names))
    return [str(c) for c in frame.columns]


def source_identity(spec: StudySpec) -> str:
    """Which data the source is now, from the file system alone (path, size, modification time, inode),
    without reading it: what a plan learned from the data stays valid while this is unchanged."""
    if is_bundled(spec.data):
        return _bundled_version(spec)
    path, _ = _data_file(spec)
    try:
        facts = path.stat()
    except OSError as exc:
        raise DataError(f"{spec.label}: data.source: cannot read {path}: {exc.strerror}") from None
    return f"{path}:{facts.st_size}:{facts.st_mtime_ns}:{facts.st_ino}"


def source_version(spec: StudySpec) -> str:
    """The source's current version, for noticing a change (the data-change sensor, the observed
    source asset); a run labels its rows with `read_source(...).version` instead."""
    if is_bundled(spec.data):
        return _bundled_version(spec)
    path, _ = _data_file(spec)
    return _version_of(read_regular_file(path, f"{spec.label}: data.source"))


@contextlib.contextmanager
def open_regular_file(path: Path, where: str) -> Iterator[BinaryIO]:
    """The file opened for reading, if it is a regular file. A FIFO, device or folder is refused
    without blocking: its type is checked on the opened descriptor, which O_NONBLOCK keeps from waiting."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise DataError(f"{where}: cannot open {path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise DataError(f"{where}: {path} is not a regular file")
    with os.fdopen(descriptor, "rb") as handle:
        yield handle


def read_regular_file(path: Path, where: str, first_line: bool = False) -> bytes:
    """All bytes of a regular file, or its first line only."""
    with open_regular_file(path, where) as handle:
        return handle.readline(MAX_HEADER_BYTES) if first_line else handle.read()


def _data_file(spec: StudySpec) -> tuple[Path, str]:
    path = source_path(spec)
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DataError(f"{spec.label}: data.source: unsupported file type '{suffix}' in {path.name}; expected .csv or .parquet")
    return path, ".parquet" if suffix == ".pq" else suffix


def _version_of(raw: bytes) -> str:
    return f"sha256:{hashlib.sha256(raw).hexdigest()[:16]}"


def _bundled_version(spec: StudySpec) -> str:
    import sklearn

    return f"{spec.data.source}@sklearn-{sklearn.__version__}"


def _refuse_duplicate_header(spec: StudySpec, path: Path, raw: bytes) -> None:
    """pandas would silently rename a repeated column to 'x.1'; a study must name each column once."""
    first = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    names = next(csv.reader([first]), [])
    repeated = [name for name, count in Counter(names).items() if count > 1 and name]
    if repeated:
        raise DataError(f"{spec.label}: data.source: column '{repeated[0]}' appears more than once in the header of {path.name}")


def _parse(spec: StudySpec, path: Path, parse) -> pd.DataFrame:
    try:
        frame = parse()
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
