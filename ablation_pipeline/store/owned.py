"""Results folders this project owns. A study writes only into a folder that is new, empty, or marked
as ours, and never replaces a file it did not write there: a mistyped results folder cannot clobber
someone's files. The mark is a manifest of the files written (`.ablation-results.json`), and only the
manifest proves it: file names prove nothing (a user's own report.md looks like ours)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AblationError
from .atomic import atomic_write_bytes, atomic_write_text, read_regular, regular_file
from .locks import exclusive

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = ".ablation-results.json"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula


class NotOursError(AblationError):
    """A results folder, or a file in it, that this project did not write."""


def unclaimable(folder: Path, field: str = "results folder") -> str | None:
    """Why `folder` cannot be ours (a file, or a folder of someone else's files), or None; writes nothing.
    `field` names the setting that chose the folder."""
    if folder.exists() and not folder.is_dir():
        return f"{folder}: {field}: is a file, not a folder"
    if folder.is_dir() and not regular_file(folder / MANIFEST) and any(folder.iterdir()):
        return (f"{folder}: {field}: holds files ablation_pipeline did not write (it has no {MANIFEST}); choose an "
                "empty or new folder")
    return None


def claim(folder: Path) -> Path:
    """Make `folder` ours: create it, or accept it when it is empty or already ours."""
    problem = unclaimable(folder)
    if problem:
        raise NotOursError(problem)
    folder.mkdir(parents=True, exist_ok=True)
    with _manifest(folder):
        pass
    return folder


def write_owned(path: Path, payload: bytes) -> Path:
    """Write `path` atomically in a folder of ours, refusing to replace a file we did not write."""
    claim(path.parent)
    with _manifest(path.parent) as names:
        if path.exists() and path.name not in names:
            raise NotOursError(f"{path}: not written by ablation_pipeline; it is left as it is (move it away to write results here)")
        names.add(path.name)
    return atomic_write_bytes(path, payload)


def write_owned_csv(path: Path, frame: pd.DataFrame) -> Path:
    """A CSV whose text cells cannot start a spreadsheet formula (a column named `=HYPERLINK(...)`
    is written as `'=HYPERLINK(...)`, as OWASP advises)."""
    return write_owned(path, neutralised(frame).to_csv(index=False).encode("utf-8"))


def remove_owned(path: Path) -> None:
    """Remove a file we wrote (a result that no longer applies); anything else is left alone."""
    if path.parent.is_dir() and regular_file(path.parent / MANIFEST):
        with _manifest(path.parent) as names:
            if path.name in names:
                path.unlink(missing_ok=True)
                names.discard(path.name)


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]
    if not text:
        return frame
    safe = frame.copy()
    for column in text:
        safe[column] = [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in safe[column]]
    return safe


@contextlib.contextmanager
def _manifest(folder: Path) -> Iterator[set[str]]:
    """The names of the files we wrote in `folder`, for reading and adding to, under a lock."""
    path = folder / MANIFEST
    with exclusive(folder):  # the folder itself is the lock: nothing extra left behind
        try:
            names = {name for name in json.loads(read_regular(path).decode("utf-8"))["files"] if isinstance(name, str)}
        except (OSError, ValueError, KeyError, TypeError):
            names = set()
        before = set(names)
        yield names
        if names != before or not regular_file(path):
            atomic_write_text(path, json.dumps({"files": sorted(names)}, indent=1))
