"""Rows handed over by an upstream Dagster asset (`data.asset`): checked to be a DataFrame and
versioned by the hash of exactly its content (column names, types and values, in row order), so a
study of an asset is labelled with what it read, as one of a file is by its bytes. Also the columns
a study of an asset knows before anything was read: the ones its spec lists."""

from __future__ import annotations

import hashlib

import pandas as pd

from ..errors import DataError
from ..spec.schema import StudySpec
from .sources import Source


def upstream_source(spec: StudySpec, value: object) -> Source:
    """The upstream asset's value as the study's rows, with the version of their content."""
    if not isinstance(value, pd.DataFrame):
        raise DataError(f"{spec.label}: data.asset: '{spec.data.asset}' materializes a {type(value).__module__}."
                        f"{type(value).__qualname__}, expected a pandas DataFrame with one column per feature and the target")
    frame = value.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    return Source(frame, frame_version(spec, frame))


def frame_version(spec: StudySpec, frame: pd.DataFrame) -> str:
    """sha256 of the frame's column names, types and values, column by column in row order."""
    digest = hashlib.sha256()
    for name in frame.columns:
        column = frame[name]
        digest.update(f"{name}\0{column.dtype}\0".encode())
        try:
            digest.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())
        except TypeError:
            raise DataError(f"{spec.label}: data.asset: column '{name}' of '{spec.data.asset}' holds values that are not "
                            "numbers, text or dates (such as lists); expected one plain value per cell") from None
    return f"sha256:{digest.hexdigest()[:16]}"


def listed_header(spec: StudySpec) -> tuple[str, ...] | None:
    """The columns a study of an asset reads, when its spec lists its features: those, the target, and the
    group and order columns of its splits; None when only the data can tell."""
    if spec.data.features is None:
        return None
    named = (*spec.data.features, spec.data.target, spec.evaluation.groups, spec.evaluation.order)
    return tuple(dict.fromkeys(name for name in named if name is not None))
