"""state.json, written last into a results folder: what its results were computed from and a hash of
every result file, so that results changed or cut short since are never taken as current. Also the
versions of the logic that computes results (bump them when it changes), because a snapshot of the
spec and the data decides "nothing to do" only together with them.

Light on purpose (no pandas, no scikit-learn, no Dagster): `ablation run` asks it first, and a study
whose spec and data are unchanged is answered without setting anything up."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..data.files import source_version
from ..spec.schema import StudySpec
from ..stats import rule

# Bump when the logic that produces a step's result changes, so old results count as stale. The stopping
# rule's constants are part of it: results a `repeats: auto` study was cut to by another rule are others.
# 4: each claim its own error spending, a look at 7 repeats, futility at 30%; 3: the dataset step holds the
# split plan; 2: backward elimination, interactions, clusters
CODE_VERSION = f"4 ({rule.identity()})"
# Bump when fitting or perturbation logic changes results: every cached fit becomes stale.
FIT_LOGIC_VERSION = "2"  # 2: permute draws as scikit-learn does; outcomes record costs
STATE_FILE = "state.json"
RESULT_FILES = ("scores.csv", "comparison.csv", "report.md")  # what complete results hold at least


def snapshot_key(spec: StudySpec, data_version: str) -> str:
    """Everything a study's results are a function of: the whole spec, the data's bytes (their version)
    and the logic versions. Equal keys mean equal results."""
    return spec.fingerprint(spec.model_dump(mode="json"), data_version, CODE_VERSION, FIT_LOGIC_VERSION)


def unchanged_since_last_run(spec: StudySpec, folder: Path) -> bool:
    """The folder holds complete, intact results computed from exactly this spec and the data's current
    bytes: read the data file once and hash it, parse nothing."""
    recorded = recorded_state(folder)
    return (recorded is not None and "snapshot" in recorded and result_files_intact(folder)
            and recorded["snapshot"] == snapshot_key(spec, source_version(spec)))


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
        (folder / name).is_file() and file_digest(folder / name) == digest for name, digest in files.items())


def recorded_state(folder: Path) -> dict | None:
    try:
        recorded = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) else None


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
