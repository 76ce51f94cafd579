"""Start the in-process run's fold workers early. A joblib worker starts a fresh interpreter that
imports scikit-learn and this package (~2 s); started in the background once a run is known to
fit something, that happens while the main process starts Dagster's run."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

_starting: dict[int, threading.Thread] = {}
# Wall seconds that starting the workers costs a run (their interpreters import scikit-learn beside the main
# process's own start): measured on a 2-core machine, adding a 10-fit Ridge variant took 1.2-1.4 s longer
# with 2 fresh workers than with none (benchmarks/RESULTS.md, "small work in process").
POOL_START_S = 1.5


def fold_workers(cores: int, estimate: float | None) -> int:
    """How many workers a run's fits should use: every core, unless the fitting to do is known and so small
    (`estimate` seconds in one process) that the workers' start would cost more than sharing it saves."""
    if cores > 1 and estimate is not None and 0 < estimate * (1 - 1 / cores) < POOL_START_S:
        return 1
    return cores


def start_workers(n_jobs: int, estimator: Any = None) -> None:
    """Start joblib's reusable workers (the ones `ablations.fitting.fit_all` then uses) in the background,
    once per process: they stay up between steps and runs."""
    if n_jobs <= 1 or n_jobs in _starting:
        return
    thread = threading.Thread(target=_start, args=(n_jobs, estimator), name="start-fold-workers", daemon=True)
    _starting[n_jobs] = thread
    thread.start()


def wait_for_workers(timeout: float = 10.0) -> None:
    """Before stopping the workers: let a start in progress finish, so nothing is cut halfway."""
    for thread in _starting.values():
        thread.join(timeout)


def _start(n_jobs: int, estimator: Any) -> None:
    from joblib import Parallel, delayed

    with contextlib.suppress(Exception):  # only a head start: a real problem shows when the folds are fitted
        Parallel(n_jobs=n_jobs)(delayed(_ready)(estimator) for _ in range(n_jobs))


def _ready(estimator: Any) -> bool:
    """Runs on a worker: importing the fitting code now (and the estimator's module, by unpickling
    it) is the point."""
    import ablation_pipeline.ablations.fitting  # noqa: F401

    return True
