"""Start the in-process run's fold workers early. A joblib worker starts a fresh interpreter that
imports scikit-learn and this package (~2 s); started in the background as soon as a run will
probably fit, that happens while the main process imports Dagster and checks the study.

Only a hint: workers started in vain cost some CPU, never a wrong result. Light imports only."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from .paths import results_dir
from .spec import StudySpec

STATE_FILE = "state.json"  # written by the report step: the versions the results came from


def probably_stale(spec: StudySpec) -> bool:
    """Cheap guess before anything is checked: no recorded results, or the spec or its data file
    changed since they were recorded (modification times; `versions` decides for real)."""
    try:
        recorded = (results_dir(spec) / STATE_FILE).stat().st_mtime
    except OSError:
        return True
    inputs = [spec.path, spec.base_dir / spec.data.source, Path.cwd() / spec.data.source]
    return any(p is not None and p.is_file() and p.stat().st_mtime > recorded for p in inputs)


_started: list[int] = []


def start_workers(n_jobs: int, estimator: Any = None) -> None:
    """Start joblib's reusable workers (the ones `ablate.fit_all` then uses) in the background,
    once per process (they stay up between steps and runs)."""
    if n_jobs <= 1 or n_jobs in _started:
        return
    _started.append(n_jobs)
    from joblib import Parallel, delayed

    def start() -> None:
        Parallel(n_jobs=n_jobs)(delayed(_ready)(estimator) for _ in range(n_jobs))

    threading.Thread(target=start, name="start-fold-workers", daemon=True).start()


def _ready(estimator: Any) -> bool:
    """Runs on a worker: importing the fitting code now (and the estimator's module, by unpickling
    it) is the point."""
    import ablation_pipeline.ablate  # noqa: F401

    return True
