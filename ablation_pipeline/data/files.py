"""Finding a study's data file and reading its bytes, without parsing them: the version of a source
(the hash of exactly those bytes), its identity on the file system, and the checks that a path is a
regular file. Light on purpose (no pandas, no scikit-learn): deciding that a study is unchanged
needs only this."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

from ..errors import DataError
from ..spec.schema import DataSpec, StudySpec

BUNDLED_PREFIX = "sklearn:"
FILE_SUFFIXES = (".csv", ".parquet", ".pq", ".npz")
MAX_HEADER_BYTES = 1 << 20  # a header line longer than this is not a header


def is_bundled(data: DataSpec) -> bool:
    return data.source is not None and data.source.startswith(BUNDLED_PREFIX)


def source_path(spec: StudySpec, source: str | None = None, field: str = "data.source") -> Path:
    """The data file (`data.source`, or another file of rows the spec names in `field`), relative to the
    spec's folder first, then to the working directory."""
    source = source or spec.data.source
    if source is None:
        raise DataError(f"{spec.label}: data.asset: the rows are the Dagster asset '{spec.data.asset}', which only the "
                        "project that defines it can load: materialize the study there (dg launch --assets ...), or give "
                        "data.source a file to run it from the command line")
    raw = Path(source).expanduser()
    candidates = [raw] if raw.is_absolute() else [spec.base_dir / raw, Path.cwd() / raw]
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    raise DataError(f"{spec.label}: {field}: file not found: {source} (looked in {spec.base_dir})")


def source_identity(spec: StudySpec) -> str:
    """Which data the source is now, from the file system alone (path, size, modification time, inode),
    without reading it: what a plan learned from the data stays valid while this is unchanged."""
    if is_bundled(spec.data):
        return bundled_version(spec)
    path, _ = data_file(spec)
    try:
        facts = path.stat()
    except OSError as exc:
        raise DataError(f"{spec.label}: data.source: cannot read {path}: {exc.strerror}") from None
    return f"{path}:{facts.st_size}:{facts.st_mtime_ns}:{facts.st_ino}"


def source_version(spec: StudySpec) -> str:
    """The source's current version, for noticing a change (the data-change sensor, the observed
    source asset); a run labels its rows with `read_source(...).version` instead."""
    if is_bundled(spec.data):
        return bundled_version(spec)
    path, _ = data_file(spec)
    return version_of(read_regular_file(path, f"{spec.label}: data.source"))


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


def data_file(spec: StudySpec, source: str | None = None, field: str = "data.source") -> tuple[Path, str]:
    path = source_path(spec, source, field)
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DataError(f"{spec.label}: {field}: unsupported file type '{suffix}' in {path.name}; expected .csv, .parquet or .npz")
    return path, ".parquet" if suffix == ".pq" else suffix


def version_of(raw: bytes) -> str:
    return f"sha256:{hashlib.sha256(raw).hexdigest()[:16]}"


def bundled_version(spec: StudySpec) -> str:
    """The bundled data ships with scikit-learn: its version is the library's (read from the installed
    package's metadata, which is what `sklearn.__version__` reports, without importing it)."""
    return f"{spec.data.source}@sklearn-{metadata.version('scikit-learn')}"
