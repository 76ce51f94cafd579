"""A spec frozen for one run. The processes of a multi-process or Dask run each rebuild the study's
job; they rebuild it from this snapshot, not from the spec file a user may be editing meanwhile.

A snapshot is JSON (it cannot run code when read), named by the spec's content fingerprint and
checked against it when read back, and it remembers the spec's own path so that relative data
paths resolve as they did."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SpecError
from ..store.atomic import atomic_write_text
from .loading import parse_spec
from .schema import StudySpec


def write_snapshot(spec: StudySpec, folder: Path) -> Path:
    """The spec as it is now, in `folder/<fingerprint>.json` (written once; equal specs share it)."""
    path = folder / f"{spec.fingerprint()}.json"
    if not path.is_file():
        document = {"path": str(spec.path) if spec.path else None, "spec": spec.model_dump(mode="json")}
        atomic_write_text(path, json.dumps(document, sort_keys=True))
    return path


def read_snapshot(path: Path) -> StudySpec:
    """The spec a snapshot holds; refused when its content does not match its name."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        spec = parse_spec(document["spec"], Path(document["path"]) if document.get("path") else None)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SpecError(f"{path}: not a readable spec snapshot ({type(exc).__name__})") from None
    if spec.fingerprint() != Path(path).stem:
        raise SpecError(f"{path}: the snapshot's content does not match its name; it was changed after it was written")
    return spec
