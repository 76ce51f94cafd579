"""Schedules and data-change sensors from the spec."""

from __future__ import annotations

import datetime
import os

import dagster as dg
import pytest

from ablation_pipeline.orchestration.location import build_definitions, load_plans

from builders import linear_frame, small_spec, write_study


def triggered_spec(**schedule) -> dict:
    spec = small_spec(ablations=[{"features": ["a", "c"], "mode": "drop"}])
    spec["schedule"] = schedule
    return spec


def test_cron_in_the_spec_makes_a_running_schedule(tmp_path, instance):
    defs = build_definitions(load_plans([write_study(tmp_path, triggered_spec(cron="0 3 * * 1"), linear_frame())]))
    schedule = defs.resolve_schedule_def("small_schedule")
    assert schedule.cron_schedule == "0 3 * * 1"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "small_job"
    job = defs.resolve_job_def("small_job")
    assert {k.path[-1] for k in job.asset_layer.executable_asset_keys} == {
        "dataset", "baseline", "drop__a", "drop__c", "scores", "comparison", "simplified", "report"}
    with dg.build_schedule_context(instance=instance) as context:
        requests = schedule.evaluate_tick(context).run_requests
    assert len(requests) == 1 and requests[0].tags["ablation/trigger"] == "schedule"
    assert {k.path[-1] for k in requests[0].asset_selection} == {k.path[-1] for k in job.asset_layer.executable_asset_keys}


def test_schedules_and_sensors_launch_only_what_is_stale(tmp_path, instance):
    """After a full run, a tick launches nothing; after an alpha-only change, only the steps that read alpha,
    which fit nothing (counted from the run's materializations)."""
    from ablation_pipeline.orchestration.jobs import stale_request
    from ablation_pipeline.orchestration.run_tags import DATA_TAG
    from ablation_pipeline.pipeline.setup import plan_study
    from ablation_pipeline.spec.loading import load_spec

    path = write_study(tmp_path, triggered_spec(cron="0 3 * * 1"), linear_frame())
    defs = build_definitions(load_plans([path]))
    job = defs.resolve_job_def("small_job")
    assert job.execute_in_process(instance=instance).success
    with dg.build_schedule_context(instance=instance) as context:
        skipped = defs.resolve_schedule_def("small_schedule").evaluate_tick(context)
    assert skipped.run_requests == [] and "small is up to date" in skipped.skip_message

    write_study(tmp_path, {**triggered_spec(cron="0 3 * * 1"), "statistics": {"alpha": 0.01}})
    request = stale_request(plan_study(load_spec(path)), instance, {"ablation/trigger": "schedule"})
    assert {k.path[-1] for k in request.asset_selection} == {"comparison", "simplified", "report"}
    assert request.tags[DATA_TAG].startswith("sha256:")
    changed = build_definitions(load_plans([path])).resolve_job_def("small_job")
    run = changed.execute_in_process(instance=instance, asset_selection=list(request.asset_selection), tags=request.tags)
    fits = {e.asset_key.path[-1]: e.materialization.metadata.get("fits") for e in run.get_asset_materialization_events()}
    assert set(fits) == {"comparison", "simplified", "report"} and fits["simplified"].value == 0


def test_a_component_instances_schedule_judges_its_own_results_and_store(tmp_path, instance):
    """An instance whose results and fits live in its attributes' folders (not the environment's): after a
    full run its schedule's tick launches nothing; it used to compare against the environment's folders,
    find no results there and re-run everything."""
    from ablation_pipeline.orchestration.component import AblationStudy

    folder = tmp_path / "project" / "defs" / "small"
    write_study(folder, triggered_spec(cron="0 3 * * 1"), linear_frame())
    defs = AblationStudy(spec="small.yaml", results_dir="own_results", cache_dir="own_cache").definitions(folder)
    assert defs.resolve_job_def("small_job").execute_in_process(instance=instance).success
    assert (folder / "own_results" / "small" / "report.md").is_file()
    with dg.build_schedule_context(instance=instance) as context:
        tick = defs.resolve_schedule_def("small_schedule").evaluate_tick(context)
    assert tick.run_requests == [] and "small is up to date" in tick.skip_message


def test_no_schedule_and_no_rerun_sensor_unless_asked(tmp_path):
    """Only the source's observation sensor, which runs no step of the study."""
    defs = build_definitions(load_plans([write_study(tmp_path, small_spec(), linear_frame())]))
    assert list(defs.schedules or []) == []
    assert [s.name for s in defs.sensors] == ["small_observe_source"]
    assert defs.sensors[0].default_status == dg.DefaultSensorStatus.RUNNING


@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")  # Dagster's own condition tester selects sources (beta)
def test_the_source_is_observed_on_first_evaluation_and_on_the_cron(tmp_path, instance):
    """The observation sensor's condition requests the source (and nothing else) when first evaluated,
    not again until the study's cron ticks, then again."""
    defs = build_definitions(load_plans([write_study(tmp_path, triggered_spec(cron="0 3 * * *"), linear_frame())]))
    start = datetime.datetime(2026, 1, 5, 1, 0, tzinfo=datetime.UTC)
    requested = []
    cursor = None
    for hours in (0, 1, 3):  # 01:00, 02:00, 04:00: the 03:00 tick passed before the last
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor,
                                                   evaluation_time=start + datetime.timedelta(hours=hours))
        cursor = result.cursor
        requested.append({r.key.to_user_string() for r in result.results if r.true_subset.size})
    assert requested == [{"small/source"}, set(), {"small/source"}]


def test_data_change_sensor_requests_exactly_one_run_per_change(tmp_path, instance):
    path = write_study(tmp_path, triggered_spec(on_data_change=True), linear_frame())
    defs = build_definitions(load_plans([path]))
    sensor = defs.resolve_sensor_def("small_data_change")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING

    def tick(cursor):
        with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
            data = sensor.evaluate_tick(context)
        return data.run_requests, data.cursor

    requests, cursor = tick(None)  # never computed: one run
    assert len(requests) == 1 and requests[0].tags["ablation/trigger"] == "data_change"
    requests, cursor = tick(cursor)  # nothing changed
    assert requests == []
    os.utime(path.parent / "data.csv")  # touched, same bytes: still nothing
    (path.parent / "data.csv").write_bytes((path.parent / "data.csv").read_bytes())
    requests, cursor = tick(cursor)
    assert requests == []
    linear_frame(seed=5).to_csv(path.parent / "data.csv", index=False)  # new content: exactly one run
    requests, new_cursor = tick(cursor)
    assert len(requests) == 1 and new_cursor != cursor
    assert requests[0].run_key == f"small:{new_cursor}"
    assert tick(new_cursor)[0] == []


def test_sensor_skips_data_already_materialized(tmp_path, instance):
    path = write_study(tmp_path, triggered_spec(on_data_change=True), linear_frame())
    defs = build_definitions(load_plans([path]))
    assert dg.materialize(list(defs.assets), instance=instance, resources=defs.resources).success
    with dg.build_sensor_context(instance=instance) as context:
        assert defs.resolve_sensor_def("small_data_change").evaluate_tick(context).run_requests == []
