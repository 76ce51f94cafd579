"""A study whose rows are an upstream asset (`data.asset`): lineage from the user's asset to the report,
staleness and eager re-runs when the upstream is materialized again, the columns learned before the
variants can be planned, and one line for an upstream that cannot be read. Real Dagster runs on an
ephemeral instance with the user's asset beside the study's definitions, as a dg project merges them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from typer.testing import CliRunner

from ablation_pipeline.cli import app
from ablation_pipeline.orchestration.cli_run import error_line
from ablation_pipeline.orchestration.component import AblationStudy

from builders import linear_frame, write_study

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")  # Dagster's automation tester selects sources (beta)
ROWS = {"n": 120}
STUDY = {"name": "follows", "data": {"asset": "raw/linear", "target": "y"}, "model": {"estimator": "Ridge"},
         "evaluation": {"folds": 3, "repeats": 1, "seed": 0, "metrics": ["rmse"]}, "schedule": {"on_data_change": True},
         "ablations": [{"features": "each", "mode": "drop"}]}


@dg.asset(key=["raw", "linear"])
def linear() -> pd.DataFrame:
    """The user's asset: rows that change when ROWS says so."""
    return linear_frame(ROWS["n"])


@dg.asset(key=["raw", "listed"])
def not_a_frame() -> list:
    return [1, 2, 3]


def definitions(tmp_path: Path, study: dict, *own: dg.AssetsDefinition) -> dg.Definitions:
    """The study as a component instance of a project in tmp_path, merged with the user's own assets."""
    folder = tmp_path / "project" / "defs" / study["name"]
    folder.mkdir(parents=True, exist_ok=True)
    (tmp_path / "project" / "pyproject.toml").write_text("[project]\nname = 'project'\n")
    return dg.Definitions.merge(AblationStudy(study=study).definitions(folder), dg.Definitions(assets=list(own)))


def materialize(defs: dg.Definitions, instance: dg.DagsterInstance, group: str | None = None) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    selection = None if group is None else list(dg.AssetSelection.groups(group).resolve(defs.resolve_asset_graph()))
    return job.execute_in_process(instance=instance, asset_selection=selection, raise_on_error=False)


def keys(defs: dg.Definitions) -> set[str]:
    return {"/".join(k.path) for k in defs.resolve_asset_graph().get_all_asset_keys()}


def failure(result: dg.ExecuteInProcessResult) -> str:
    """The one line the step's failure says (as `ablation run` and the UI's error cause show it)."""
    return error_line(next(e for e in result.all_events if e.is_step_failure).step_failure_data.error)


def test_a_study_of_an_asset_learns_its_columns_then_follows_the_asset(tmp_path):
    """Without listed features the study is its dataset step alone, saying why in one line; that step reads
    the asset and the next load plans a variant per column, with the edge from the user's asset. A new
    materialization of the asset with other rows makes the study stale and requests it, step by step."""
    ROWS["n"] = 120
    instance = dg.DagsterInstance.ephemeral()
    pending = definitions(tmp_path, STUDY, linear)
    assert keys(pending) == {"raw/linear", "follows/dataset"}
    assert "has not read 'raw/linear' yet" in pending.resolve_asset_graph().get(dg.AssetKey(["follows", "dataset"])).description
    assert materialize(pending, instance).success

    defs = definitions(tmp_path, STUDY, linear)
    graph = defs.resolve_asset_graph()
    assert {"follows/drop__a", "follows/drop__city", "follows/report"} <= keys(defs)
    assert graph.get(dg.AssetKey(["follows", "dataset"])).parent_keys == {dg.AssetKey(["raw", "linear"])}
    assert materialize(defs, instance, "follows").success

    ROWS["n"] = 150
    assert materialize(defs, instance).success  # the user's asset and the study, as a launch of both would
    upstream = instance.get_latest_materialization_event(dg.AssetKey(["raw", "linear"])).asset_materialization
    read = instance.get_latest_materialization_event(dg.AssetKey(["follows", "dataset"])).asset_materialization
    assert read.metadata["rows"].value == 150
    assert read.tags["dagster/input_data_version/raw/linear"] == upstream.tags["dagster/data_version"]
    settled = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert settled.total_requested == 0

    assert dg.materialize([linear], instance=instance).success  # the asset alone, with new rows
    ROWS["n"] = 120
    changed = instance.get_latest_materialization_event(dg.AssetKey(["raw", "linear"])).asset_materialization
    assert changed.tags["dagster/data_version"] != read.tags["dagster/input_data_version/raw/linear"]  # the study is stale
    requested = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=settled.cursor)
    assert requested.get_num_requested(dg.AssetKey(["follows", "dataset"])) == 1
    assert requested.get_num_requested(dg.AssetKey(["follows", "report"])) == 1


def test_listed_features_plan_the_study_before_the_asset_was_ever_materialized(tmp_path):
    study = {**STUDY, "data": {**STUDY["data"], "features": ["a", "b", "city"]}, "schedule": {}}
    defs = definitions(tmp_path, study, linear)
    assert {"follows/drop__a", "follows/drop__b", "follows/drop__city"} <= keys(defs)
    assert "follows/drop__c" not in keys(defs)
    assert defs.resolve_asset_graph().get(dg.AssetKey(["follows", "report"])).automation_condition is None
    instance = dg.DagsterInstance.ephemeral()
    assert not materialize(defs, instance, "follows").success  # the asset was never materialized: one line
    assert failure(materialize(defs, instance, "follows")).endswith(
        "data.asset: no asset 'raw/linear' has been materialized in this Dagster instance; check the key, "
        "or materialize it first (dg launch --assets raw/linear)")
    result = materialize(defs, instance)
    assert result.success
    comparison = instance.get_latest_materialization_event(dg.AssetKey(["follows", "comparison"])).asset_materialization
    assert comparison.metadata["n_essential"].value >= 2  # a and city carry y


@pytest.mark.parametrize(("data", "expected"), [
    ({"asset": "raw/lineer", "features": ["a", "b"]}, "no asset 'raw/lineer' has been materialized in this Dagster instance; "
                                                 "did you mean 'raw/linear'?"),
    ({"asset": "raw/listed", "features": ["a", "b"]}, "'raw/listed' materializes a builtins.list, expected a pandas DataFrame"),
    ({"asset": "raw/linear", "features": ["a", "nope"]}, "data.features[1]: 'nope' is not a column of the data"),
])
def test_an_upstream_the_study_cannot_use_fails_its_dataset_step_in_one_line(tmp_path, data, expected):
    """A misspelt key loads (the code location stays up) and its run fails with a did-you-mean; nothing
    of the study is materialized."""
    study = {**STUDY, "data": {**data, "target": "y"}}
    defs = definitions(tmp_path, study, linear, not_a_frame)
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize([linear, not_a_frame], instance=instance).success
    result = materialize(defs, instance, "follows")
    message = failure(result)
    assert expected in message and "\n" not in message
    assert instance.get_latest_materialization_event(dg.AssetKey(["follows", "dataset"])) is None


def test_an_asset_study_is_refused_where_no_dagster_project_can_read_it(tmp_path):
    """`ablation run` reads files: a study of an asset says where it runs instead, in one line."""
    study = {**STUDY, "data": {**STUDY["data"], "features": ["a", "b"]}}
    path = write_study(tmp_path / "studies", study, linear_frame())
    result = CliRunner().invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "res")])
    assert result.exit_code != 0
    assert "data.asset: the rows are the Dagster asset 'raw/linear', which only the project that defines it can load" \
        in result.output
    assert "Traceback" not in result.output
