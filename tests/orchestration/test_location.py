"""The code location: every shipped study loads; Dagster's own CLI materializes a selection."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pytest

from ablation_pipeline.orchestration.location import build_definitions, load_plans

from builders import STUDIES, broken_studies, linear_frame, small_spec, twins_frame, write_study


def _key(*parts):
    return dg.AssetKey(["small", *parts])


def test_code_location_loads_every_shipped_study():
    from ablation_pipeline.pipeline.paths import study_files

    defs = build_definitions(load_plans(study_files(STUDIES)))
    groups = {a.group_name for a in defs.resolve_asset_graph().asset_nodes}
    assert groups == {"house_prices", "diabetes", "breast_cancer", "digits_cnn", "breast_cancer_mlp", "house_prices_factory",
                      "penguins_boosted", "digits_resnet", "digits_resnet_cv"}


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


LOAD_AND_LIST_OPENED_DATA = """
import json, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and isinstance(args[0], str) else None)
from ablation_pipeline.orchestration.location import build_definitions
assets = build_definitions().resolve_asset_graph().get_all_asset_keys()
print(json.dumps({"opened": sorted({p.rsplit("/", 1)[-1] for p in opened if p.endswith(".csv")}), "assets": len(assets)}))
"""


def test_loading_again_reads_no_data(tmp_path):
    """The first load of the code location reads the data headers (and, for `features: clusters`, the
    whole file); a second load opens no data file at all: what the data told the first is reused while
    the file is unchanged. A changed file is read again, and a new column is a new variant."""
    import json
    import os
    import subprocess
    import sys

    studies = tmp_path / "studies"
    write_study(studies, small_spec(), linear_frame())
    clustered = small_spec("clustered", ablations=[{"features": "clusters", "mode": "drop"}])
    write_study(studies, {**clustered, "data": {"source": "twins.csv", "target": "y"}}, twins_frame(), data_name="twins.csv")
    env = {**os.environ, "ABLATION_STUDIES_DIR": str(studies), "ABLATION_CACHE_DIR": str(tmp_path / "cache"),
           "ABLATION_RESULTS_DIR": str(tmp_path / "results"), "DAGSTER_HOME": str(tmp_path)}

    def load() -> dict:
        done = subprocess.run([sys.executable, "-c", LOAD_AND_LIST_OPENED_DATA], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = load()
    assert first["opened"] == ["data.csv", "twins.csv"]
    assert load() == {"opened": [], "assets": first["assets"]}
    frame = twins_frame()
    frame.insert(0, "fresh", np.random.default_rng(5).normal(size=len(frame)))  # a column of its own: one more cluster
    frame.to_csv(studies / "twins.csv", index=False)
    assert load() == {"opened": ["twins.csv"], "assets": first["assets"] + 1}
