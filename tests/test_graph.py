"""The Dagster adapter: graph shape (keys, deps, checks) and real materializations on a temp instance."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from ablation_pipeline.orchestration.location import build_definitions, load_plans
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.pipeline.run import run_study
from conftest import STUDIES, linear_frame, small_spec, write_study


def _graph(spec_path):
    defs = build_definitions(load_plans([spec_path]))
    return defs, defs.resolve_asset_graph()


def _key(*parts):
    return dg.AssetKey(["small", *parts])


def test_graph_keys_and_deps(small_study):
    defs, graph = _graph(small_study)
    variants = ["drop__a", "drop__c", "drop__city", "drop__ab", "permute__a", "permute__const", "mean__b"]
    expected = {_key(n) for n in ["source", "dataset", "splits", "baseline", *variants, "scores", "comparison", "simplified", "report"]}
    assert set(graph.get_all_asset_keys()) == expected
    parents = lambda name: set(graph.get(_key(name)).parent_keys)  # noqa: E731
    assert parents("dataset") == {_key("source")}
    assert parents("splits") == {_key("dataset")}
    assert parents("baseline") == {_key("dataset"), _key("splits")}
    # drop variants refit on their own; inference-mode variants need the baseline's fitted models
    assert parents("drop__a") == {_key("dataset"), _key("splits")}
    assert parents("permute__a") == parents("mean__b") == {_key("dataset"), _key("splits"), _key("baseline")}
    assert parents("scores") == {_key("dataset"), _key("splits"), _key("baseline"), *(_key(v) for v in variants)}
    assert parents("comparison") == {_key("dataset"), _key("splits"), _key("scores")}
    assert parents("simplified") == {_key("dataset"), _key("splits"), _key("baseline"), _key("scores"), _key("comparison")}
    assert parents("report") == {_key("dataset"), _key("splits"), _key("scores"), _key("comparison"), _key("simplified")}
    assert {a.group_name for a in (graph.get(k) for k in expected)} == {"small"}
    checks = {c.name for c in graph.asset_check_keys}
    assert checks == {"fit_for_study"}
    assert all(c.blocking for a in defs.assets if isinstance(a, dg.AssetsDefinition) for c in a.check_specs)


def test_variant_code_version_tracks_its_own_spec(tmp_path):
    first = write_study(tmp_path / "one", small_spec(), linear_frame())
    changed = small_spec()
    changed["ablations"][1]["permutations"] = 3  # only permute__* change
    second = write_study(tmp_path / "two", changed, linear_frame())
    versions = [{k.path[-1]: g.get(k).code_version for k in g.get_all_asset_keys()} for g in (_graph(first)[1], _graph(second)[1])]
    differs = {name for name in versions[0] if versions[0][name] != versions[1][name]}
    assert differs == {"permute__a", "permute__const"}


def test_materialize_small_study(small_study, tmp_path, instance):
    defs, _ = _graph(small_study)
    result = dg.materialize(list(defs.assets), instance=instance)
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert len(materialized) == 14  # dataset, splits, baseline, 7 variants, scores, comparison, simplified, report
    comparison = result.asset_value(_key("comparison"))
    meta = instance.get_latest_materialization_event(_key("comparison")).asset_materialization.metadata
    assert meta["primary_metric"].value == "rmse"
    assert meta["n_essential"].value == int((comparison[comparison.metric == "rmse"].verdict == "essential").sum())
    report_meta = instance.get_latest_materialization_event(_key("report")).asset_materialization.metadata
    assert "data:image/png;base64," in report_meta["report"].value
    dataset_event = instance.get_latest_materialization_event(_key("dataset"))
    assert dataset_event.asset_materialization.tags["dagster/data_version"].startswith("sha256:")
    # the graph and the Dagster-free core agree to the last digit
    core = run_study(load_spec(small_study), tmp_path / "core").comparison
    written = pd.read_csv(tmp_path / "results" / "small" / "comparison.csv")
    pd.testing.assert_frame_equal(written, pd.read_csv(tmp_path / "core" / "comparison.csv"))
    assert len(core) == len(written)


def test_blocking_check_stops_downstream(tmp_path, instance):
    frame = linear_frame()
    frame.loc[[3, 7], "y"] = None
    defs, _ = _graph(write_study(tmp_path / "bad", small_spec(), frame))
    if True:
        result = dg.materialize(list(defs.assets), instance=instance, raise_on_error=False)
        assert not result.success
        checks = [e for e in result.get_asset_check_evaluations() if e.check_name == "fit_for_study"]
        assert len(checks) == 1 and not checks[0].passed
        assert "data.target: column 'y' has 2 missing value(s)" in checks[0].metadata["problems"].value
        materialized = {e.asset_key for e in result.get_asset_materialization_events()}
        assert materialized == {_key("dataset")}
    assert not (tmp_path / "results" / "small").exists()


def test_code_location_loads_every_shipped_study():
    from ablation_pipeline.pipeline.paths import study_files

    defs = build_definitions(load_plans(study_files(STUDIES)))
    groups = {a.group_name for a in defs.resolve_asset_graph().asset_nodes}
    assert groups == {"house_prices", "diabetes", "breast_cancer", "digits_cnn", "breast_cancer_mlp"}


@pytest.mark.parametrize("cli", ["dagster"])
def test_dagster_cli_materializes_selection(small_study, tmp_path, cli):
    """Dagster's own CLI against a module that defines one study."""
    import subprocess
    import sys

    module = tmp_path / "one_study_defs.py"
    module.write_text(
        "from pathlib import Path\nfrom ablation_pipeline.orchestration.location import build_definitions, load_plans\n"
        f"defs = build_definitions(load_plans([Path({str(small_study)!r})]))\n"
    )
    (tmp_path / "dagster_home").mkdir(exist_ok=True)
    command = [str(__import__("pathlib").Path(sys.executable).with_name("dagster")), "asset", "materialize",
               "-f", str(module), "--select", "small/dataset,small/splits,small/baseline,small/permute__a"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    with dg.DagsterInstance.get() as instance:
        assert instance.get_latest_materialization_event(_key("permute__a")) is not None
        assert instance.get_latest_materialization_event(_key("drop__a")) is None
