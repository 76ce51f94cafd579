"""`ablation run` launches only what is stale."""

from __future__ import annotations

import os

import dagster as dg
import pandas as pd

from ablation_pipeline.orchestration.policy import FOLD_JOBS_TAG

from builders import cache_spec, linear_frame, write_study


def run_tags() -> dict[str, str]:
    with dg.DagsterInstance.get() as instance:
        return dict(instance.get_runs(limit=1)[0].tags)


def cli_run(path, tmp_path):
    from typer.testing import CliRunner

    from ablation_pipeline.cli import app

    result = CliRunner().invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "res")])
    assert result.exit_code == 0, result.output
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        if not runs or "up to date" in result.output:
            return None, result.output
        materialized = instance.get_records_for_run(runs[0].run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        return {r.event_log_entry.dagster_event.asset_key.path[-1] for r in materialized}, result.output


def test_cli_runs_only_what_changed(study_dir, tmp_path):
    path = write_study(study_dir, cache_spec(), linear_frame())
    first, _ = cli_run(path, tmp_path)
    assert first == {"dataset", "baseline", "drop__a", "drop__c", "permute__b", "scores", "comparison", "simplified", "report"}
    assert run_tags()[FOLD_JOBS_TAG] == str(os.cpu_count() or 1)  # a cold run fits on every core
    again, output = cli_run(path, tmp_path)
    assert again is None and "small is up to date" in output
    with dg.DagsterInstance.get() as instance:
        assert len(instance.get_runs()) == 1  # the no-op launched nothing

    added = cache_spec(ablations=[{"features": ["a", "c", "city"], "mode": "drop"},
                              {"features": ["b"], "mode": "permute", "permutations": 2}])
    assert cli_run(write_study(study_dir, added), tmp_path)[0] == {"drop__city", "scores", "comparison", "simplified", "report"}
    assert run_tags()[FOLD_JOBS_TAG] == "1"  # one small variant's fits: in the run's own process, no workers started
    alpha = {**added, "statistics": {"alpha": 0.01}}
    assert cli_run(write_study(study_dir, alpha), tmp_path)[0] == {"comparison", "simplified", "report"}
    metric = {**alpha, "evaluation": {**alpha["evaluation"], "metrics": ["rmse", "mae"]}}
    assert cli_run(write_study(study_dir, metric), tmp_path)[0] == {"scores", "comparison", "simplified", "report"}
    assert set(pd.read_csv(tmp_path / "res" / "small" / "comparison.csv").metric) == {"rmse", "mae"}
    linear_frame(seed=3).to_csv(study_dir / "data.csv", index=False)
    assert cli_run(path, tmp_path)[0] == {"dataset", "baseline", "drop__a", "drop__c", "drop__city", "permute__b",
                                          "scores", "comparison", "simplified", "report"}


def test_cli_reruns_the_report_when_results_files_are_gone(study_dir, tmp_path):
    path = write_study(study_dir, cache_spec(), linear_frame())
    cli_run(path, tmp_path)
    (tmp_path / "res" / "small" / "report.md").unlink()
    assert cli_run(path, tmp_path)[0] == {"scores", "comparison", "simplified", "report"}
    assert (tmp_path / "res" / "small" / "report.md").is_file()


def test_every_run_is_named_by_its_study_job_and_tagged(study_dir, tmp_path, instance):
    """`ablation run` (in-process), a launch of the job as the UI does it, and a schedule's run all carry the
    study's job name and its study, spec-hash and data-version tags; a launch of the assets by Dagster's
    implicit asset job ("Materialize all", `dg launch --assets`) carries the tags."""
    from ablation_pipeline.data.dataset import load_dataset
    from ablation_pipeline.orchestration.location import build_definitions, load_plans
    from ablation_pipeline.orchestration.run_tags import DATA_TAG, SPEC_TAG, STUDY_TAG
    from ablation_pipeline.pipeline.setup import plan_study
    from ablation_pipeline.spec.loading import load_spec

    path = write_study(study_dir, {**cache_spec(), "schedule": {"cron": "0 3 * * *"}}, linear_frame())
    cli_run(path, tmp_path)
    plan = plan_study(load_spec(path))
    expected = {STUDY_TAG: "small", SPEC_TAG: plan.spec.fingerprint(), DATA_TAG: load_dataset(plan.spec).version}
    with dg.DagsterInstance.get() as home:
        [run] = home.get_runs()
        assert run.job_name == "small_job"
        assert {k: run.tags.get(k) for k in expected} == expected

    defs = build_definitions(load_plans([path]))
    launched = defs.resolve_job_def("small_job").execute_in_process(instance=instance, tags={"launched": "ui"})
    assert launched.success and launched.dagster_run.job_name == "small_job"
    tags = instance.get_run_by_id(launched.run_id).tags  # the data version was added by the dataset step
    assert {k: tags.get(k) for k in expected} == expected

    implicit = dg.materialize(list(defs.assets), instance=instance, resources=defs.resources)  # "Materialize all": no job of ours
    assert implicit.success
    tags = instance.get_run_by_id(implicit.run_id).tags  # all three added by the dataset step
    assert {k: tags.get(k) for k in expected} == expected

    schedule = defs.resolve_schedule_def("small_schedule")
    assert schedule.job_name == "small_job" and defs.resolve_job_def("small_job").tags[SPEC_TAG] == expected[SPEC_TAG]


def test_removing_a_variant_from_the_spec_removes_it_from_the_results(study_dir, tmp_path):
    path = write_study(study_dir, cache_spec(), linear_frame())
    cli_run(path, tmp_path)
    fewer = cache_spec(ablations=[{"features": ["a", "c"], "mode": "drop"}])
    ran, output = cli_run(write_study(study_dir, fewer), tmp_path)
    assert ran == {"scores", "comparison", "simplified", "report"}  # nothing refitted
    assert set(pd.read_csv(tmp_path / "res" / "small" / "comparison.csv").variant) == {"drop__a", "drop__c"}
    assert "permute__b" not in output and "permute__b" not in (tmp_path / "res" / "small" / "report.md").read_text()


def test_switching_interactions_off_removes_their_results(study_dir, tmp_path):
    with_pairs = cache_spec(ablations=[{"features": ["a", "c"], "mode": "drop"}], interactions={"pairs": [["a", "c"]]})
    first, first_output = cli_run(write_study(study_dir, with_pairs, linear_frame()), tmp_path)
    folder = tmp_path / "res" / "small"
    assert "interactions" in first and (folder / "interactions.csv").is_file() and "interaction a" in first_output
    assert "## Interactions" in (folder / "report.md").read_text()
    ran, output = cli_run(write_study(study_dir, cache_spec(ablations=[{"features": ["a", "c"], "mode": "drop"}])), tmp_path)
    assert ran == {"report"}  # nothing refitted, nothing recomputed but the report
    assert not (folder / "interactions.csv").exists() and not (folder / "interactions.png").exists()
    assert "## Interactions" not in (folder / "report.md").read_text() and "interaction a" not in output


def test_run_study_can_record_its_run_in_dagster_with_an_estimator_object(study_dir, tmp_path):
    """`run_study(..., record=True)`: the study's graph runs in this process, recorded in the local
    instance (the UI shows it), with the user's own estimator object; asked again, nothing runs."""
    from sklearn.linear_model import Ridge

    from ablation_pipeline import run_study

    spec = cache_spec()
    del spec["model"]
    path = write_study(study_dir, spec, linear_frame())
    first = run_study(path, estimator=Ridge(alpha=0.5), record=True)
    assert first.fits > 0 and set(first.comparison.variant) == {"drop__a", "drop__c", "permute__b"}
    with dg.DagsterInstance.get() as instance:
        [run] = instance.get_runs()
        assert run.job_name == "small_job" and run.is_success
        assert instance.get_latest_materialization_event(dg.AssetKey(["small", "report"])) is not None
    again = run_study(path, estimator=Ridge(alpha=0.5), record=True)
    assert again.fits == 0
    pd.testing.assert_frame_equal(again.comparison, first.comparison)
    other = run_study(path, estimator=Ridge(alpha=5.0), record=True)
    assert other.fits > 0  # another parameter: another model, refitted
