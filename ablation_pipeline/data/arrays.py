"""An `.npz` file of named arrays as a study's rows: the inputs array (N x ..., an image batch such as
N x 1 x 8 x 8 included) flattened into one column per value, the targets array as the target column.
Loaded with `allow_pickle=False`: an object array (which could run code as it is read) is refused."""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, did_you_mean
from ..spec.schema import StudySpec

MAX_COLUMNS = 1_000_000  # values per row: a 1000 x 1000 image; more is not a table this tool should build


def npz_frame(spec: StudySpec, path: Path, raw: bytes) -> pd.DataFrame:
    """The rows of the .npz file: columns `<x>_0 ... <x>_{k-1}` then the target."""
    where = f"{spec.label}: data"
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
            names = list(arrays.files)
            x, y = (_array(arrays, names, name, f"{where}.{field}", path) for field, name in (("x", spec.data.x), ("y", spec.data.y)))
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{where}.source: cannot read {path} as .npz arrays: {text}") from None
    if len(x) != len(y):
        raise DataError(f"{where}: arrays '{spec.data.x}' and '{spec.data.y}' of {path.name} have {len(x)} and {len(y)} rows; "
                        "each input needs its target")
    if x.ndim < 1 or y.ndim != 1:
        raise DataError(f"{where}.y: '{spec.data.y}' has shape {y.shape}; expected one target per row (N,)")
    if x.dtype.kind not in "biuf":
        raise DataError(f"{where}.x: '{spec.data.x}' holds {x.dtype}, not numbers")
    width = math.prod(x.shape[1:])
    if width > MAX_COLUMNS:
        raise DataError(f"{where}.x: '{spec.data.x}' has {width:,} values per row, more than the {MAX_COLUMNS:,} a study reads")
    flat = x.reshape(len(x), width)
    # The array was read for this frame alone: it becomes the frame's block as it is (pandas would copy it,
    # transposing, by default: 1.1 s for 100,000 rows of 256 floats).
    frame = pd.DataFrame(flat, columns=[f"{spec.data.x}_{i}" for i in range(width)], copy=False)
    frame[spec.data.target] = y
    return frame


def _array(arrays, names: list[str], name: str, where: str, path: Path) -> np.ndarray:
    if name not in names:
        raise DataError(f"{where}: {path.name} has no array '{name}'{did_you_mean(name, names)} (arrays: {', '.join(names)})")
    return arrays[name]
