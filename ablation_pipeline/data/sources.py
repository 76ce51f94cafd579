"""Where a study's rows come from: a CSV or Parquet file next to the spec, or a bundled scikit-learn
dataset. A source is read once: its version is the hash of exactly the bytes the rows were parsed
from, so a file rewritten while a run reads it can never give rows of one version labelled with
another."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError, did_you_mean
from ..spec.schema import StudySpec
from .arrays import npz_frame
from .files import BUNDLED_PREFIX, bundled_version, data_file, is_bundled, open_regular_file, read_regular_file, version_of

BUNDLED = ("breast_cancer", "diabetes", "digits", "iris", "wine")


@dataclass(frozen=True)
class Source:
    """The data exactly as read: every column, and the version of the bytes they were parsed from."""

    frame: pd.DataFrame
    version: str


def read_source(spec: StudySpec, source: str | None = None, field: str = "data.source") -> Source:
    """Every column of the source, with the version of exactly the bytes they came from. `source`: another
    file of rows the spec names in `field` (evaluation.holdout.source), read the same way."""
    if source is None and is_bundled(spec.data):
        return Source(_bundled_frame(spec), bundled_version(spec))
    path, suffix = data_file(spec, source, field)
    raw = read_regular_file(path, f"{spec.label}: {field}")
    if suffix == ".csv":
        _refuse_duplicate_header(spec, path, raw, field)
    if suffix == ".npz":
        return Source(npz_frame(spec, path, raw), version_of(raw))
    frame = _parse(spec, path, lambda: pd.read_csv(io.BytesIO(raw)) if suffix == ".csv" else pd.read_parquet(io.BytesIO(raw)),
                   field)
    return Source(frame, version_of(raw))


def read_header(spec: StudySpec) -> list[str]:
    """The column names only (cheap, for planning): a CSV's first line, a Parquet file's schema."""
    if is_bundled(spec.data):
        return [str(c) for c in _bundled_frame(spec).columns]
    path, suffix = data_file(spec)
    if suffix == ".npz":  # the arrays' shapes are in the file's members: read it whole (planning caches what it learns)
        return list(npz_frame(spec, path, read_regular_file(path, f"{spec.label}: data.source")).columns)
    if suffix == ".csv":
        first = read_regular_file(path, f"{spec.label}: data.source", first_line=True)
        _refuse_duplicate_header(spec, path, first)
        frame = _parse(spec, path, lambda: pd.read_csv(io.BytesIO(first), nrows=0))
    else:
        import pyarrow.parquet as pq

        with open_regular_file(path, f"{spec.label}: data.source") as handle:
            frame = _parse(spec, path, lambda: pd.DataFrame(columns=pq.read_schema(handle).names))
    return [str(c) for c in frame.columns]


def _refuse_duplicate_header(spec: StudySpec, path: Path, raw: bytes, field: str = "data.source") -> None:
    """pandas would silently rename a repeated column to 'x.1'; a study must name each column once."""
    first = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    names = next(csv.reader([first]), [])
    repeated = [name for name, count in Counter(names).items() if count > 1 and name]
    if repeated:
        raise DataError(f"{spec.label}: {field}: column '{repeated[0]}' appears more than once in the header of {path.name}")


def _parse(spec: StudySpec, path: Path, parse, field: str = "data.source") -> pd.DataFrame:
    try:
        frame = parse()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{spec.label}: {field}: cannot read {path}: {reason}") from None
    if frame.columns.empty:
        raise DataError(f"{spec.label}: {field}: {path} has no columns")
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
