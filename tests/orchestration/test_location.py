"""The code location: every shipped study loads; Dagster's own CLI materializes a selection."""

from __future__ import annotations

import dagster as dg
import pytest

from ablation_pipeline.orchestration.location import build_definitions, load_plans

from builders import STUDIES, broken_studies


def _key(*parts):
    return dg.AssetKey(["small", *parts])


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
               "-f", str(module), "--select", "small/dataset,small/baseline,small/permute__a"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    with dg.DagsterInstance.get() as instance:
        assert instance.get_latest_materialization_event(_key("permute__a")) is not None
        assert instance.get_latest_materialization_event(_key("drop__a")) is None


def test_a_broken_study_never_takes_the_others_down(tmp_path, monkeypatch, instance):
    folder = broken_studies(tmp_path / "studies")
    monkeypatch.setenv("ABLATION_STUDIES_DIR", str(folder))
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    assert {a.group_name for a in graph.asset_nodes} == {"small", "typo", "nodata", "twin"}
    assert dg.AssetKey(["small", "report"]) in graph.get_all_asset_keys()
    described = {key.path[0]: graph.get(key).description for key in graph.get_all_asset_keys() if key.path[-1] == "invalid_study"}
    assert f"{folder / 'typo.yaml'}: evaluation.foldz: unknown key 'foldz'; did you mean 'folds'?" in described["typo"]
    assert "missing.csv" in described["nodata"]
    assert f"name: 'small' is already the name of {folder / 'small.yaml'}" in described["twin"]
    broken = next(a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and dg.AssetKey(["typo", "invalid_study"]) in a.keys)
    result = dg.materialize([broken], instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.user_failure_data
    assert "evaluation.foldz: unknown key 'foldz'" in failure.description
