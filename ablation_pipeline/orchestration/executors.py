"""Execution engines: in-process, multiprocess (the default) and Dask, as run config for one job."""

from __future__ import annotations

import importlib.util
import os

import dagster as dg

# Steps are CPU-bound fits: one process per core, started from a forkserver that has already
# imported Dagster, pandas and scikit-learn (spawn re-imports them in every step: 2.4x slower here).
PRELOADED = ["dagster", "pandas", "sklearn", "ablation_pipeline.orchestration.location", "ablation_pipeline.orchestration.jobs"]
if importlib.util.find_spec("dagster_dask") is not None:
    PRELOADED.append("dagster_dask")


def multiprocess_config(max_concurrent: int | None = None) -> dict:
    return {"max_concurrent": max_concurrent or os.cpu_count() or 1,
            "start_method": {"forkserver": {"preload_modules": PRELOADED}}}


def default_executor() -> dg.ExecutorDefinition:
    """For ad-hoc materializations from the UI: multiprocess, tuned as above."""
    return dg.multiprocess_executor.configured(multiprocess_config())


def local_job_config(executor: str = "multiprocess") -> dict:
    """Run config for a job on `multi_or_in_process_executor` (the UI launchpad can switch it)."""
    if executor == "in_process":
        return {"execution": {"config": {"in_process": {}}}}
    return {"execution": {"config": {"multiprocess": multiprocess_config()}}}


def dask_job_config(address: str | None = None) -> dict:
    """A local cluster (one single-threaded worker per core) or an existing scheduler."""
    if address:
        return {"execution": {"config": {"cluster": {"existing": {"address": address}}}}}
    local = {"n_workers": os.cpu_count() or 1, "threads_per_worker": 1, "dashboard_address": None}
    return {"execution": {"config": {"cluster": {"local": local}}}}


def dask_executor() -> dg.ExecutorDefinition | None:
    """dagster-dask's executor, or None when the package is not installed."""
    try:
        from dagster_dask import dask_executor as executor
    except ImportError:
        return None
    return executor


def dask_problem() -> str | None:
    """Why the Dask executor cannot be used here (one line, with the import error), or None: said before
    anything is set up or recorded, never as a run that fails or a job that is missing."""
    try:
        import dagster_dask  # noqa: F401
        import dask.distributed  # noqa: F401
    except Exception as exc:  # an ImportError, or a package of the wrong release failing as it loads
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return (f"--executor dask: dagster-dask cannot be imported ({type(exc).__name__}: {reason}); install dask and "
                "distributed of the same release (`pip install -c .ci/constraints.txt dagster-dask dask distributed`)")
    return None
