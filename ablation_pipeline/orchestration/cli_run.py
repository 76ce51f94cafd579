"""Run a study's graph from the CLI in the persistent local instance (so it shows in the UI),
with a progress bar fed by the run's own event log."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
from rich.console import Console

from ..errors import AblationError, Interrupted
from ..pipeline.compute import Policy, fitting_estimate
from ..pipeline.identity import Identity
from ..pipeline.paths import StudyPaths, dagster_home
from ..pipeline.setup import Setup, StudyPlan
from ..pipeline.steps import study_splits
from ..pipeline.warmup import fold_workers, start_workers
from ..spec.snapshot import write_snapshot
from ..store.locks import exclusive
from .assets import build_study_assets
from .executors import dask_job_config, local_job_config
from .freshness import stale_assets
from .io_manager import study_resources
from .jobs import cli_job, job_name, study_jobs
from .policy import FOLD_JOBS_TAG, FORCE_TAG
from .progress import ProgressView, RunEvents
from .run_records import cancel, fail_orphans, find_run, process_tags
from .run_tags import DATA_TAG, study_tags

DATA_VERSION_TAG = "dagster/data_version"  # where Dagster keeps an asset event's data version
LARGE_PLAN = 100  # variants from which a run says it is starting before its progress bar can
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # failures: one line each, from the event log
# A new local instance: no telemetry, and no capture of steps' stdout (our steps log through Dagster's
# event log; capturing starts helper processes per step, which also print tracebacks on Ctrl-C).
INSTANCE_CONFIG = """telemetry:
  enabled: false
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
"""


@contextmanager
def quiet_stderr(quiet: bool) -> Iterator[None]:
    """Point file descriptor 2 at the null device while a run's step processes (which inherit it and print
    Dagster's DEBUG lines there) are alive; the run's event log keeps everything, and its failures are
    reported from it."""
    if not quiet:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass
class RunOutcome:
    success: bool
    run_id: str | None
    errors: list[str] = field(default_factory=list)
    assets: int = 0  # materialized (0: everything was up to date)
    fits: int = 0  # performed by the run's steps


def local_instance() -> dg.DagsterInstance:
    """The instance `dagster dev` reads: DAGSTER_HOME, by default `.dagster_home` in the project. Made
    under a lock: two commands starting together on a new home would both create its SQLite tables."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    with exclusive(home / ".ablation-instance.lock"):
        config = home / "dagster.yaml"
        if not config.exists():
            config.write_text(INSTANCE_CONFIG)
        os.environ["DAGSTER_HOME"] = str(home.resolve())
        instance = dg.DagsterInstance.get()
        instance.get_runs(limit=1)  # every storage created and migrated while the lock is held
        instance.all_instigator_state()
    return instance


def materialize_study(setup: Setup, console: Console, executor: str = "in_process", dask_address: str | None = None,
                      force: bool = False, instance: dg.DagsterInstance | None = None,
                      paths: StudyPaths | None = None, verbose: bool = False) -> RunOutcome:
    """Materialize what is stale (everything with `force`); the main thread draws progress from the event log.
    Every step writes where `paths` says (default: resolved from the environment now). Step processes'
    Dagster log lines are kept off the terminal unless `verbose`."""
    plan = setup.plan
    if len(plan.variants) >= LARGE_PLAN:  # building the graph of a large study takes a while: say what is going on
        console.print(f"{plan.spec.name}: {len(plan.variants)} variants; building the graph and starting the run ...", highlight=False)
    paths = paths or StudyPaths.resolved()
    store = paths.result_cache()
    fold_jobs = 1  # steps that run side by side must not oversubscribe the cores
    if executor == "in_process":  # one step at a time: its folds may use every core
        estimate = None if force else fitting_estimate(setup, Identity.of(setup, study_splits(setup)), store)
        fold_jobs = fold_workers(os.cpu_count() or 1, estimate)
        if fold_jobs > 1 and estimate != 0:
            start_workers(fold_jobs, setup.estimator)  # while Dagster starts the run
    instance = instance or local_instance()
    fail_orphans(instance)
    observe_source(instance, plan, setup.dataset.version)
    assets = build_study_assets(plan, paths)
    names = [k.path[-1] for a in assets if isinstance(a, dg.AssetsDefinition) and a.is_executable for k in a.keys]
    graph = dg.Definitions(assets=assets, resources=study_resources(paths)).resolve_asset_graph()
    selected = names if force else stale_assets(setup, instance, paths.results_dir(plan.spec), graph, Policy(store))
    if not selected:
        return RunOutcome(True, None, assets=0)
    selection = [dg.AssetKey([plan.spec.name, name]) for name in selected]
    token = uuid.uuid4().hex
    tags = {**process_tags(token), **study_tags(plan), DATA_TAG: setup.dataset.version, "ablation/executor": executor,
            **({FORCE_TAG: "true"} if force else {}), FOLD_JOBS_TAG: str(fold_jobs)}
    result: dict[str, object] = {}

    def execute() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if executor == "in_process":  # no step processes: the cheapest path for small studies
                    job = dg.Definitions(assets=assets, jobs=study_jobs(plan, with_dask=False),
                                         resources=study_resources(paths)).resolve_job_def(job_name(plan.spec.name))
                    result["run"] = job.execute_in_process(instance=instance, tags=tags, run_config={} if verbose else QUIET_LOGS,
                                                           asset_selection=selection, raise_on_error=False)
                else:
                    result["run"] = _execute_job(plan, executor, dask_address, instance, tags, selection, paths, verbose)
            except Exception as exc:  # reported below as the run's failure, never swallowed
                result["error"] = exc

    # A Ctrl-C that lands while the progress poll reads the run's events makes SQLAlchemy log a
    # traceback as it closes the interrupted cursor; the user is owed one line, not that.
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    worker = threading.Thread(target=execute, daemon=True)
    with ProgressView(console, plan.spec.name, len(selection)) as view, quiet_stderr(executor != "in_process" and not verbose):
        worker.start()
        events: RunEvents | None = None
        try:
            while worker.is_alive():
                run_id = find_run(instance, token) if events is None else events.run_id
                if run_id:
                    events = events or RunEvents(run_id)
                    view.update(events, events.poll(instance))
                time.sleep(0.25)
        except KeyboardInterrupt:
            logging.disable(logging.CRITICAL)  # the step being cancelled logs its interruption: the user gets one line
            run_id = events.run_id if events else find_run(instance, token)
            cancel(instance, run_id)
            raise Interrupted(f"{plan.spec.name}: interrupted; the run was canceled and every fit that finished is kept "
                              f"in the cache (run {run_id or 'not started'})") from None
        worker.join()
        run_id = events.run_id if events else find_run(instance, token)
        if run_id:
            events = events or RunEvents(run_id)
            view.update(events, events.poll(instance))
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    run = result["run"]
    return RunOutcome(run.success, run_id, [] if run.success else _failures(instance, run_id), assets=len(selection),
                      fits=_fits(instance, run_id))


def _fits(instance: dg.DagsterInstance, run_id: str | None) -> int:
    """The fits the run's steps performed, as their materializations' metadata says."""
    if run_id is None:
        return 0
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return sum(int(r.event_log_entry.asset_materialization.metadata["fits"].value or 0) for r in records
               if "fits" in r.event_log_entry.asset_materialization.metadata)


def observe_source(instance: dg.DagsterInstance, plan: StudyPlan, version: str) -> None:
    """Record the data the run reads as an observation of the study's source (unless it is the last one
    observed), so the dataset step reads that version as its input: a server's sensor that observes the
    same file afterwards then finds the study in sync, not stale."""
    key = dg.AssetKey([plan.spec.name, "source"])
    last = instance.fetch_observations(key, limit=1).records
    if last and last[0].asset_observation.tags.get(DATA_VERSION_TAG) == version:
        return
    instance.report_runless_asset_event(dg.AssetObservation(asset_key=key, tags={DATA_VERSION_TAG: version}))


def _execute_job(plan: StudyPlan, executor: str, dask_address: str | None, instance: dg.DagsterInstance,
                 tags: dict[str, str], selection: list[dg.AssetKey], paths: StudyPaths, verbose: bool = False) -> dg.ExecuteJobResult:
    """The study's job, rebuilt by each step process from a snapshot of the spec taken now, whatever
    happens to the spec file during the run."""
    snapshot = write_snapshot(plan.spec, paths.cache / "specs")
    name = job_name(plan.spec.name, executor)
    job = dg.build_reconstructable_job(cli_job.__module__, cli_job.__name__,
                                       reconstructable_args=(str(snapshot), name, *paths.as_args()))
    config = dask_job_config(dask_address) if executor == "dask" else local_job_config(executor)
    with dg.execute_job(job, instance=instance, run_config={**config, **({} if verbose else QUIET_LOGS)},
                        tags=tags, asset_selection=selection, raise_on_error=False) as outcome:
        return outcome


def _failures(instance: dg.DagsterInstance, run_id: str | None) -> list[str]:
    """One line per failed step or blocking check: the asset, then the underlying error's own message
    (full tracebacks stay in the run's log in the UI)."""
    if run_id is None:
        return ["the run did not start"]
    lines: list[str] = []
    for record in instance.get_records_for_run(run_id, of_type={dg.DagsterEventType.STEP_FAILURE,
                                                                dg.DagsterEventType.ASSET_CHECK_EVALUATION}).records:
        event = record.event_log_entry.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            step = record.event_log_entry.step_key or "?"
            lines.append(f"{step.replace('__', '/', 1)}: {error_line(event.step_failure_data.error)}")
        elif not event.event_specific_data.passed:
            check = event.event_specific_data
            problems, reason = check.metadata.get("problems"), check.metadata.get("reason")
            if problems:
                lines.extend(str(problems.value).splitlines())
            else:
                lines.append(f"{'/'.join(check.asset_key.path)}: {reason.value if reason else f'check {check.check_name} failed'}")
    return lines or [f"run {run_id} failed; see it in the Dagster UI"]


def error_line(error) -> str:
    """The line that says what went wrong in a step's error chain: our own error's message (one line,
    naming the file, field or split), else the first error that is neither Dagster's wrapper nor
    joblib's copy of a worker's traceback."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    ours = next((e for e in chain if e.cls_name in _error_classes(AblationError)), None)
    if ours is not None:
        return _first_line(ours.message).split(f"{ours.cls_name}: ", 1)[-1]
    real = [e for e in chain if not (e.cls_name or "").startswith("Dagster") and e.cls_name != "_RemoteTraceback"]
    return _first_line((real or chain)[0].message)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "(no message)"


def _error_classes(cls: type) -> set[str]:
    return {cls.__name__} | {name for sub in cls.__subclasses__() for name in _error_classes(sub)}

