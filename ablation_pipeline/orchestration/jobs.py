"""Per-study jobs, schedules and data-change sensors, and the job the CLI rebuilds in step processes."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ..data.files import source_version
from ..errors import AblationError
from ..pipeline.compute import Policy
from ..pipeline.paths import StudyPaths
from ..pipeline.setup import StudyPlan, plan_study, set_up
from ..spec.snapshot import read_snapshot
from .assets import build_study_assets
from .executors import dask_executor, dask_job_config, local_job_config
from .freshness import stale_assets
from .io_manager import study_resources
from .run_tags import DATA_TAG, study_tags

TRIGGER_TAG = "ablation/trigger"
def job_name(study: str, executor: str = "multiprocess") -> str:
    return f"{study}_dask" if executor == "dask" else f"{study}_job"


def study_selection(plan: StudyPlan) -> dg.AssetSelection:
    """Every materializable asset of the study (the observed source is not materialized; an upstream
    asset is the user's, outside the study's group)."""
    group = dg.AssetSelection.groups(plan.spec.name)
    return group if plan.spec.data.asset is not None else group - dg.AssetSelection.assets(dg.AssetKey([plan.spec.name, "source"]))


def study_jobs(plan: StudyPlan, with_dask: bool = True) -> list:
    """`<study>_job` (multiprocess, switchable to in-process) and, with dagster-dask installed, `<study>_dask`."""
    study = plan.spec.name
    tags = study_tags(plan)
    jobs = [dg.define_asset_job(job_name(study), selection=study_selection(plan), executor_def=dg.multi_or_in_process_executor,
                                config=local_job_config(), tags=tags,
                                description=f"Materialize the {study} study (multiprocess by default).")]
    dask = dask_executor() if with_dask else None
    if dask is not None:
        jobs.append(dg.define_asset_job(job_name(study, "dask"), selection=study_selection(plan), executor_def=dask,
                                        config=dask_job_config(), tags=tags, description=f"Materialize the {study} study on Dask."))
    return jobs


def stale_request(plan: StudyPlan, instance: dg.DagsterInstance, tags: dict[str, str], run_key: str | None = None,
                  paths: StudyPaths | None = None) -> dg.RunRequest | dg.SkipReason:
    """A run of exactly the study's stale assets, chosen as `ablation run` chooses them, against the
    results and store the study's steps write (`paths`: a component instance's own, else the
    environment's); nothing when everything is up to date (or, in one line, why the study cannot run now)."""
    try:
        setup = set_up(plan)
    except AblationError as exc:
        return dg.SkipReason(str(exc))
    paths = paths or StudyPaths.resolved()
    graph = dg.Definitions(assets=build_study_assets(plan, paths), resources=study_resources(paths)).resolve_asset_graph()
    stale = stale_assets(setup, instance, paths.results_dir(plan.spec), graph, Policy(paths.result_cache()))
    if not stale:
        return dg.SkipReason(f"{plan.spec.name} is up to date: nothing changed since the last run")
    return dg.RunRequest(run_key=run_key, asset_selection=[dg.AssetKey([plan.spec.name, name]) for name in stale],
                         tags={**tags, DATA_TAG: setup.dataset.version})


def study_schedules(plan: StudyPlan, paths: StudyPaths | None = None) -> list[dg.ScheduleDefinition]:
    """The spec's cron: each tick runs what is stale (nothing, when nothing changed)."""
    schedule = plan.spec.schedule
    if not schedule.cron:
        return []

    @dg.schedule(name=f"{plan.spec.name}_schedule", cron_schedule=schedule.cron, job_name=job_name(plan.spec.name),
                 execution_timezone=schedule.timezone, default_status=dg.DefaultScheduleStatus.RUNNING,
                 description=f"Re-runs what is stale in {plan.spec.name} on {schedule.cron} ({schedule.timezone}).")
    def on_schedule(context: dg.ScheduleEvaluationContext):
        return stale_request(plan, context.instance, {TRIGGER_TAG: "schedule"}, paths=paths)

    return [on_schedule]


def study_sensors(plan: StudyPlan, paths: StudyPaths | None = None) -> list[dg.SensorDefinition]:
    """The sensor that observes the study's source (on first evaluation and on its cron) and, when the
    spec asks, the one that re-runs what is stale when the data's content hash changes."""
    spec = plan.spec
    if spec.data.asset is not None:
        return _follow_sensor(plan)
    source = dg.AssetKey([spec.name, "source"])
    observe = dg.AutomationConditionSensorDefinition(
        f"{spec.name}_observe_source", target=dg.AssetSelection.assets(source), default_status=dg.DefaultSensorStatus.RUNNING,
        run_tags={**study_tags(plan), TRIGGER_TAG: "observe_source"},
        description=f"Observes {spec.data.source} (its content hash) when the code location is first evaluated"
                    f"{' and on ' + spec.schedule.cron if spec.schedule.cron else ''}.")
    return [observe, *_data_change_sensor(plan, paths)]


def _follow_sensor(plan: StudyPlan) -> list[dg.SensorDefinition]:
    """A study of an upstream asset re-runs, when the spec asks, by its assets' eager conditions
    (`upstream.follows_upstream`), evaluated by this sensor, on by default."""
    spec = plan.spec
    if not spec.schedule.on_data_change:
        return []
    return [dg.AutomationConditionSensorDefinition(
        f"{spec.name}_follow_data", target=dg.AssetSelection.groups(spec.name), default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=spec.schedule.check_every_seconds, run_tags={**study_tags(plan), TRIGGER_TAG: "data_change"},
        description=f"Re-runs {spec.name} when {spec.data.asset} is materialized again.")]


def _data_change_sensor(plan: StudyPlan, paths: StudyPaths | None) -> list[dg.SensorDefinition]:
    """Re-run what is stale when the study's data's content hash changes (on by default when the spec asks)."""
    schedule = plan.spec.schedule
    if not schedule.on_data_change:
        return []
    spec = plan.spec

    @dg.sensor(name=f"{spec.name}_data_change", job_name=job_name(spec.name), minimum_interval_seconds=schedule.check_every_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING, description=f"Re-runs {spec.name} when {spec.data.source} changes.")
    def data_change(context: dg.SensorEvaluationContext):
        try:
            version = source_version(spec)
        except AblationError as exc:
            return dg.SkipReason(str(exc))
        previous = context.cursor
        if version == previous:
            return dg.SkipReason(f"data unchanged ({version})")
        context.update_cursor(version)
        if previous is None and _materialized_version(context.instance, spec.name) == version:
            return dg.SkipReason(f"results already computed for {version}")
        return stale_request(plan, context.instance, {TRIGGER_TAG: "data_change"}, run_key=f"{spec.name}:{version}", paths=paths)

    return [data_change]


def _materialized_version(instance: dg.DagsterInstance, study: str) -> str | None:
    event = instance.get_latest_materialization_event(dg.AssetKey([study, "dataset"]))
    return event.asset_materialization.tags.get("dagster/data_version") if event else None


def cli_job(snapshot: str, name: str, results_root: str, cache: str, key: str) -> dg.JobDefinition:
    """The job `ablation run` launches, rebuilt by every step process (or Dask worker) from the spec
    snapshot the run started with (passed as an argument, not through the environment, which a
    long-lived forkserver would keep from an earlier run). Only that job is built: a multiprocess
    run need not import dagster-dask. The paths are the run's too (`StudyPaths.as_args`)."""
    paths = StudyPaths.from_args(results_root, cache, key)
    plan = plan_study(read_snapshot(Path(snapshot)), paths.result_cache())
    jobs = study_jobs(plan, with_dask=name == job_name(plan.spec.name, "dask"))
    return dg.Definitions(assets=build_study_assets(plan, paths), jobs=jobs, resources=study_resources(paths)).resolve_job_def(name)
