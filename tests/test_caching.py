"""Caching by content: a run does only the fitting that changed, whoever triggers it.

Each test materializes the real graph on a temporary instance and counts model fits from the
assets' own metadata (`fits`, `cache`), i.e. what the UI shows for each step."""

from __future__ import annotations

import pickle

import dagster as dg
import pandas as pd
import pytest

from ablation_pipeline.store.cache import ResultCache
from ablation_pipeline.orchestration.location import build_definitions, load_plans
from ablation_pipeline.orchestration.study_graph import FORCE_TAG
from ablation_pipeline.pipeline.cached import needs_fitting
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.pipeline.run import run_study
from conftest import linear_frame, small_spec, write_study


def spec(**changes) -> dict:
    study = small_spec(ablations=[{"features": ["a", "c"], "mode": "drop"}, {"features": ["b"], "mode": "permute", "permutations": 2}])
    study["evaluation"]["metrics"] = ["rmse"]
    study.update(changes)
    return study


def materialize(path, instance, tags=None):
    result = dg.materialize(list(build_definitions(load_plans([path])).assets), instance=instance, tags=tags or {})
    assert result.success
    fits, computed = {}, set()
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        name = event.asset_key.path[-1]
        if "fits" in meta:
            fits[name] = meta["fits"].value
            if meta["cache"].value == "miss":
                computed.add(name)
    return fits, computed, result


@pytest.fixture
def study_dir(tmp_path):
    return tmp_path / "study"


def test_second_run_fits_nothing(study_dir, instance):
    path = write_study(study_dir, spec(), linear_frame())
    fits, computed, _ = materialize(path, instance)
    assert {k: v for k, v in fits.items() if k != "simplified"} == {"baseline": 6, "drop__a": 6, "drop__c": 6, "permute__b": 0}
    assert computed - {"simplified"} == {"baseline", "drop__a", "drop__c", "permute__b"}
    fits, computed, result = materialize(path, instance)
    assert sum(fits.values()) == 0 and computed == set()
    scores = result.asset_value(dg.AssetKey(["small", "scores"]))
    assert len(scores) == 4 * 6  # the cached predictions still give every score


def test_adding_a_variant_fits_only_it(study_dir, instance):
    materialize(write_study(study_dir, spec(), linear_frame()), instance)
    more = spec(ablations=[{"features": ["a", "c", "city"], "mode": "drop"}, {"features": ["b"], "mode": "permute", "permutations": 2}])
    fits, computed, _ = materialize(write_study(study_dir, more), instance)
    assert computed - {"simplified"} == {"drop__city"} and sum(v for k, v in fits.items() if k != "simplified") == 6


def test_changing_one_variant_recomputes_only_it(study_dir, instance):
    materialize(write_study(study_dir, spec(), linear_frame()), instance)
    changed = spec(ablations=[{"features": ["a", "c"], "mode": "drop"}, {"features": ["b"], "mode": "permute", "permutations": 3}])
    fits, computed, _ = materialize(write_study(study_dir, changed), instance)
    assert computed == {"permute__b"} and sum(fits.values()) == 0


def test_metric_or_alpha_change_refits_nothing(study_dir, instance):
    materialize(write_study(study_dir, spec(), linear_frame()), instance)
    evaluation = {**spec()["evaluation"], "metrics": ["rmse", "mae"]}
    fits, computed, result = materialize(write_study(study_dir, spec(evaluation=evaluation, statistics={"alpha": 0.01})), instance)
    assert computed == set() and sum(fits.values()) == 0
    comparison = result.asset_value(dg.AssetKey(["small", "comparison"]))
    assert set(comparison.metric) == {"rmse", "mae"}


def test_data_change_refits_everything(study_dir, instance):
    materialize(write_study(study_dir, spec(), linear_frame()), instance)
    fits, computed, _ = materialize(write_study(study_dir, spec(), linear_frame(seed=1)), instance)
    assert computed - {"simplified"} == {"baseline", "drop__a", "drop__c", "permute__b"}
    assert sum(v for k, v in fits.items() if k != "simplified") == 18


def test_force_tag_ignores_the_cache(study_dir, instance):
    path = write_study(study_dir, spec(), linear_frame())
    materialize(path, instance)
    fits, computed, _ = materialize(path, instance, tags={FORCE_TAG: "true"})
    assert sum(v for k, v in fits.items() if k != "simplified") == 18 and len(computed - {"simplified"}) == 4


def test_data_version_is_the_content_fingerprint(study_dir, instance):
    path = write_study(study_dir, spec(), linear_frame())
    materialize(path, instance)
    first = instance.get_latest_materialization_event(dg.AssetKey(["small", "drop__a"])).asset_materialization.tags
    materialize(path, instance)
    second = instance.get_latest_materialization_event(dg.AssetKey(["small", "drop__a"])).asset_materialization.tags
    assert first["dagster/data_version"] == second["dagster/data_version"]


def test_store_never_unpickles_a_file_it_did_not_write(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.put("ab" * 32, {"score": 1.0})
    assert cache.get("ab" * 32) == {"score": 1.0}
    payload, _ = cache._paths("ab" * 32)

    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    payload.write_bytes(pickle.dumps(Boom()))  # swapped behind our back
    assert cache.get("ab" * 32) is None and not (tmp_path / "pwned").exists()
    assert cache.get("cd" * 32) is None  # absent: a miss, not an error
    assert not list((tmp_path / "cache").rglob("*.tmp"))


# ---------------------------------------------------------------- `ablation run` selects only stale assets


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
    path = write_study(study_dir, spec(), linear_frame())
    first, _ = cli_run(path, tmp_path)
    assert first == {"dataset", "splits", "baseline", "drop__a", "drop__c", "permute__b", "scores", "comparison", "simplified", "report"}
    again, output = cli_run(path, tmp_path)
    assert again is None and "small is up to date" in output
    with dg.DagsterInstance.get() as instance:
        assert len(instance.get_runs()) == 1  # the no-op launched nothing

    added = spec(ablations=[{"features": ["a", "c", "city"], "mode": "drop"}, {"features": ["b"], "mode": "permute", "permutations": 2}])
    assert cli_run(write_study(study_dir, added), tmp_path)[0] == {"drop__city", "scores", "comparison", "simplified", "report"}
    alpha = {**added, "statistics": {"alpha": 0.01}}
    assert cli_run(write_study(study_dir, alpha), tmp_path)[0] == {"comparison", "simplified", "report"}
    metric = {**alpha, "evaluation": {**alpha["evaluation"], "metrics": ["rmse", "mae"]}}
    assert cli_run(write_study(study_dir, metric), tmp_path)[0] == {"scores", "comparison", "simplified", "report"}
    assert set(pd.read_csv(tmp_path / "res" / "small" / "comparison.csv").metric) == {"rmse", "mae"}
    linear_frame(seed=3).to_csv(study_dir / "data.csv", index=False)
    assert cli_run(path, tmp_path)[0] == {"dataset", "splits", "baseline", "drop__a", "drop__c", "drop__city", "permute__b",
                                          "scores", "comparison", "simplified", "report"}


def test_cli_reruns_the_report_when_results_files_are_gone(study_dir, tmp_path):
    path = write_study(study_dir, spec(), linear_frame())
    cli_run(path, tmp_path)
    (tmp_path / "res" / "small" / "report.md").unlink()
    assert cli_run(path, tmp_path)[0] == {"scores", "comparison", "simplified", "report"}
    assert (tmp_path / "res" / "small" / "report.md").is_file()


def test_needs_fitting_reads_the_cache_only(study_dir, tmp_path):
    """The hint that starts fold workers before a run: whether any fit's fingerprint is not stored."""
    path = write_study(study_dir, spec(), linear_frame())
    cache = ResultCache(tmp_path / "hint-cache")
    assert needs_fitting(check_study(path), cache)
    run_study(load_spec(path), cache=cache)
    assert not needs_fitting(check_study(path), cache)
    write_study(study_dir, spec(ablations=[{"features": ["a", "c", "city"], "mode": "drop"}]))
    assert needs_fitting(check_study(path), cache)
