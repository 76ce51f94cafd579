"""state.json, written last into a results folder: what its results were computed from and a hash of
every result file, so that results changed or cut short since are never taken as current, and the
snapshot key (pipeline.identity) of the spec and data bytes they came from.

Light on purpose (no pandas, no scikit-learn, no Dagster): `ablation run` asks it first, and a study
whose spec and data are unchanged is answered without setting anything up."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..data.files import source_version
from ..spec.schema import StudySpec
from ..store.atomic import read_regular, regular_file
from .identity import snapshot_key

STATE_FILE = "state.json"
RESULT_FILES = ("scores.csv", "comparison.csv", "report.md")  # what complete results hold at least


def unchanged_since_last_run(spec: StudySpec, folder: Path, model: dict | None = None) -> bool:
    """The folder holds complete, intact results computed from exactly this spec (and `model`, the
    identity of an estimator given in code) and the data's current bytes: read the data file once and
    hash it, parse nothing."""
    recorded = recorded_state(folder)
    if recorded is None or recorded.get("snapshot") is None or not result_files_intact(folder):
        return False
    return recorded["snapshot"] == snapshot_key(spec, source_version(spec), model)


def result_files_intact(folder: Path) -> bool:
    """Every result file the last complete run wrote is there, unchanged (none missing, cut short or edited)."""
    recorded = recorded_state(folder)
    if recorded is None:
        return False
    try:
        files = dict(recorded["files"])
    except (KeyError, TypeError, ValueError):
        return False
    return set(RESULT_FILES) <= set(files) and all(
        regular_file(folder / name) and file_digest(folder / name) == digest for name, digest in files.items())


def recorded_state(folder: Path) -> dict | None:
    try:
        recorded = json.loads(read_regular(folder / STATE_FILE).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) else None


def file_digest(path: Path) -> str:
    return hashlib.sha256(read_regular(path)).hexdigest()
