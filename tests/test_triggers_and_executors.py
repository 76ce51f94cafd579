"""Triggers (cron schedule, data-change sensor) and execution engines (multiprocess, Dask)."""

from __future__ import annotations

import os

import dagster as dg
import pandas as pd
import pytest
from typer.testing import CliRunner

from ablation_pipeline.cli import app
from ablation_pipeline.orchestration.location import build_definitions, load_plans
from conftest import linear_frame, small_spec, write_study


def triggered_spec(**schedule) -> dict:
    spec = small_spec(ablations=[{"features": ["a", "c"], "mode": "drop"}])
    spec["schedule"] = schedule
    return spec


def test_cron_in_the_spec_makes_a_running_schedule(tmp_path):
    defs = build_definitions(load_plans([write_study(tmp_path, triggered_spec(cron="0 3 * * 1"), linear_frame())]))
    schedule = defs.resolve_schedule_def("small_schedule")
    assert schedule.cron_schedule == "0 3 * * 1"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "small_job"
    job = defs.resolve_job_def("small_job")
    assert {k.path[-1] for k in job.asset_layer.executable_asset_keys} == {
        "dataset", "splits", "baseline", "drop__a", "drop__c", "scores", "comparison", "simplified", "report"}
    with dg.build_schedule_context() as context:
        requests = schedule.evaluate_tick(context).run_requests
    assert len(requests) == 1 and requests[0].tags["ablation/trigger"] == "schedule"


def test_no_schedule_and_no_sensor_unless_asked(tmp_path):
    defs = build_definitions(load_plans([write_study(tmp_path, small_spec(), linear_frame())]))
    assert list(defs.schedules or []) == [] and list(defs.sensors or []) == []


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
    assert dg.materialize(list(defs.assets), instance=instance).success
    with dg.build_sensor_context(instance=instance) as context:
        assert defs.resolve_sensor_def("small_data_change").evaluate_tick(context).run_requests == []


@pytest.mark.parametrize("executor", ["multiprocess", "dask"])
def test_executors_give_identical_scores(executor, small_study, tmp_path):
    """The same study in-process and on real step processes / a real Dask LocalCluster: same numbers."""
    runner = CliRunner()
    base = runner.invoke(app, ["run", str(small_study), "--results-dir", str(tmp_path / "in_process")])
    assert base.exit_code == 0, base.output
    other = runner.invoke(app, ["run", str(small_study), "--results-dir", str(tmp_path / executor), "--executor", executor, "--force"])
    assert other.exit_code == 0, other.output
    for name in ("scores.csv", "comparison.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "in_process" / "small" / name),
                                      pd.read_csv(tmp_path / executor / "small" / name))
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        assert run.tags["ablation/executor"] == executor and run.is_success


def test_unknown_executor_is_a_clear_error(small_study):
    result = CliRunner().invoke(app, ["run", str(small_study), "--executor", "dsak"])
    assert result.exit_code == 2
    assert "--executor: unknown executor 'dsak', expected one of in_process, multiprocess, dask; did you mean 'dask'?" in result.stderr
