"""One snapshot per run, in real multi-process runs where every step rebuilds the job in a process
of its own and so re-reads the spec: a spec edited mid-run never gives mixed results."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml

from ablation_pipeline.orchestration.assets import build_study_assets
from ablation_pipeline.orchestration.cli_run import _execute_job
from ablation_pipeline.orchestration.io_manager import study_resources
from ablation_pipeline.orchestration.jobs import cli_job
from ablation_pipeline.pipeline.paths import StudyPaths
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import check_study, plan_study
from ablation_pipeline.spec.loading import load_spec

from builders import REPO, cache_spec, linear_frame, write_study

SPEC_ENV = "TEST_EDITED_SPEC"
EDITED_MODEL = {"estimator": "Ridge", "params": {"alpha": 50.0}}


def edit_spec(path: Path) -> None:
    spec = yaml.safe_load(path.read_text())
    spec["model"] = EDITED_MODEL
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def job_that_edits_its_spec():
    """The study's assets plus one step that edits the spec file as soon as the baseline is done
    (highest priority, one step at a time), rebuilt by every step process from the file as it is then."""
    path = Path(os.environ[SPEC_ENV])

    @dg.asset(key=["small", "edit_the_spec"], deps=[dg.AssetKey(["small", "baseline"])], op_tags={"dagster/priority": "100"})
    def edit_the_spec() -> None:
        edit_spec(path)

    assets = [*build_study_assets(plan_study(load_spec(path))), edit_the_spec]
    job = dg.define_asset_job("edited", selection=dg.AssetSelection.all() - dg.AssetSelection.assets(dg.AssetKey(["small", "source"])),
                              executor_def=dg.multiprocess_executor)
    return dg.Definitions(assets=assets, jobs=[job], resources=study_resources()).resolve_job_def("edited")


@pytest.mark.slow
def test_a_spec_edited_mid_run_fails_the_run_clearly_and_writes_nothing(study_dir, tmp_path, instance, monkeypatch):
    path = write_study(study_dir, cache_spec(), linear_frame())
    monkeypatch.setenv(SPEC_ENV, str(path))
    # step processes import this module; Dagster drops sys.path[0] while it does, which pytest made tests/
    monkeypatch.syspath_prepend(str(REPO))
    config = {"execution": {"config": {"max_concurrent": 1}}}
    with dg.execute_job(dg.reconstructable(job_that_edits_its_spec), instance=instance, run_config=config,
                        raise_on_error=False) as result:
        assert not result.success
        failures = [event.step_failure_data.error for event in result.all_events if event.is_step_failure]
    messages = []
    for error in failures:
        while error.cause is not None and "ChangedDuringRunError" not in error.cls_name:
            error = error.cause
        messages.append(error.message)
    assert failures and all("changed while the study was running" in message for message in messages), messages
    assert not (tmp_path / "results" / "small" / "comparison.csv").exists()
    # nothing in the cache is filed under the wrong fingerprint: the edited study now gives exactly
    # what a fresh run of it gives on an empty cache
    edited = load_spec(path)
    through_cache = run_study(edited, tmp_path / "again").comparison
    monkeypatch.setenv("ABLATION_CACHE_DIR", str(tmp_path / "empty_cache"))
    pd.testing.assert_frame_equal(through_cache, run_study(edited, tmp_path / "fresh").comparison)


@pytest.mark.slow
def test_the_cli_runs_every_step_on_the_spec_it_started_with(study_dir, tmp_path, instance):
    path = write_study(study_dir, cache_spec(), linear_frame())
    setup = check_study(path)  # what `ablation run` checks and snapshots
    edit_spec(path)  # ... and the user edits the spec while the run is starting
    plan = setup.plan
    names = ["dataset", "baseline", *(v.name for v in plan.variants), "scores", "comparison", "simplified", "report"]
    selection = [dg.AssetKey(["small", name]) for name in names]
    result = _execute_job(plan, "multiprocess", None, instance, {}, selection, StudyPaths.resolved())
    assert result.success
    written = pd.read_csv(tmp_path / "results" / "small" / "comparison.csv")
    original = write_study(tmp_path / "original", cache_spec(), linear_frame())
    expected = run_study(load_spec(original), tmp_path / "expected").comparison
    pd.testing.assert_frame_equal(written, pd.read_csv(tmp_path / "expected" / "comparison.csv"))
    assert len(expected) == len(written)


def test_a_step_process_rebuilds_the_job_from_the_snapshot(study_dir, monkeypatch, tmp_path):
    from ablation_pipeline.spec.snapshot import write_snapshot

    path = write_study(study_dir, cache_spec(), linear_frame())
    snapshot = write_snapshot(load_spec(path), tmp_path / "specs")
    edit_spec(path)
    job = cli_job(str(snapshot), "small_job", *StudyPaths.resolved().as_args())
    assert job.name == "small_job"
    assert load_spec(path).model.estimator == "Ridge" and "LinearRegression" in job.asset_layer.asset_graph.get(
        dg.AssetKey(["small", "baseline"])).description
