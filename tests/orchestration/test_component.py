"""The AblationStudy component: a study as a defs.yaml instance (a spec path, or the spec inline),
scaffolded with `dg scaffold defs`, checked with `dg check yaml`, listed by `dg list defs`, in a dg
project of its own; a broken instance is one asset carrying its error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import yaml

from ablation_pipeline.orchestration.component import AblationStudy

from builders import linear_frame, small_spec, write_study

DG = str(Path(sys.executable).with_name("dg"))
TYPE = "ablation_pipeline.orchestration.component.AblationStudy"
PYPROJECT = """
[project]
name = "studies"
version = "0.0.1"

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "studies"
registry_modules = ["ablation_pipeline.orchestration.component"]

[tool.dg.cli]
suppress_warnings = ["project_and_activated_venv_mismatch"]
"""
DEFINITIONS = """from pathlib import Path

import dagster as dg

defs = dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
"""


def dg_project(root: Path) -> Path:
    """A fresh dg project whose defs folder holds nothing yet."""
    (root / "studies" / "defs").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "studies" / "__init__.py").write_text("")
    (root / "studies" / "defs" / "__init__.py").write_text("")
    (root / "studies" / "definitions.py").write_text(DEFINITIONS)
    return root


def run_dg(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([DG, *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def instance(root: Path, name: str, attributes: dict) -> None:
    (root / "studies" / "defs" / name / "defs.yaml").write_text(yaml.safe_dump({"type": TYPE, "attributes": attributes}))


def test_instances_by_path_inline_and_broken_are_checked_and_listed(tmp_path):
    """One instance scaffolded by dg, two more written beside it; dg check yaml refuses a misspelt
    attribute, then accepts them; dg list defs shows both studies and the broken one as one asset."""
    root = dg_project(tmp_path / "project")
    scaffolded = run_dg(root, "scaffold", "defs", TYPE, "by_path")
    assert scaffolded.returncode == 0, scaffolded.stderr[-2000:]
    assert yaml.safe_load((root / "studies" / "defs" / "by_path" / "defs.yaml").read_text())["type"] == TYPE
    for name in ("inline", "broken"):
        (root / "studies" / "defs" / name).mkdir()
    write_study(root / "specs", small_spec("by_path"), linear_frame())
    instance(root, "by_path", {"spek": "../../../specs/by_path.yaml"})
    refused = run_dg(root, "check", "yaml")
    assert refused.returncode != 0 and "spek" in refused.stdout + refused.stderr

    instance(root, "by_path", {"spec": "../../../specs/by_path.yaml"})
    for name in ("inline", "broken"):
        linear_frame().to_csv(root / "studies" / "defs" / name / "data.csv", index=False)
    instance(root, "inline", {"study": small_spec("inline")})  # data.csv relative to the defs.yaml
    unknown_feature = [{"features": ["zz"], "mode": "drop"}]  # only the data can tell: the study loads broken
    instance(root, "broken", {"study": {**small_spec("broken"), "ablations": unknown_feature}})
    checked = run_dg(root, "check", "yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = run_dg(root, "list", "defs", "--json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assets = {a["asset_key"]: a for a in json.loads(listed.stdout)["assets"]}
    assert {"by_path/report", "inline/report", "inline/drop__a", "broken/invalid_study"} <= set(assets)
    assert "ablations[0].features[0]: unknown feature or group 'zz' (expected one of a, b" in assets["broken/invalid_study"]["description"]


def test_dg_check_yaml_checks_an_inline_study_field_by_field(tmp_path):
    """A misspelt key, a value out of range and a wrong type inside `study` are refused by dg check yaml
    (the spec's JSON Schema is the component's), each with its field path."""
    root = dg_project(tmp_path / "project")
    (root / "studies" / "defs" / "inline").mkdir()
    study = {**small_spec("inline"), "evaluation": {"foldz": 3, "repeats": 0}, "statistics": {"alpha": "often"}}
    instance(root, "inline", {"study": study})
    refused = run_dg(root, "check", "yaml")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "'foldz' was unexpected" in output and "often" in output, output
    assert "attributes.study.evaluation" in output and "attributes.study.statistics.alpha" in output, output


def broken_keys(defs: dg.Definitions) -> set[dg.AssetKey]:
    return set(defs.resolve_asset_graph().get_all_asset_keys())


def test_an_instance_without_exactly_one_source_or_with_a_typo_is_one_asset_carrying_its_error(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    for attributes, expected in (({}, "give exactly one of spec"), ({"spek": "x.yaml"}, "unknown attribute 'spek'; did you mean 'spec'?"),
                                 ({"spec": "missing.yaml"}, "missing.yaml")):
        defs = AblationStudy(**attributes).definitions(folder)
        (asset,) = defs.resolve_asset_graph().get_all_asset_keys()
        assert asset == dg.AssetKey(["empty", "invalid_study"])
        assert expected in defs.resolve_asset_graph().get(asset).description
    spec = write_study(tmp_path, small_spec(), linear_frame())
    defs = AblationStudy(spec=spec.name).definitions(tmp_path)
    assert dg.AssetKey(["small", "report"]) in broken_keys(defs)


def test_results_and_cache_live_in_the_users_project(tmp_path, monkeypatch):
    monkeypatch.delenv("ABLATION_RESULTS_DIR", raising=False)
    monkeypatch.delenv("ABLATION_CACHE_DIR", raising=False)
    root = dg_project(tmp_path / "project")
    folder = root / "studies" / "defs" / "study"
    folder.mkdir()
    paths = AblationStudy(spec="x.yaml").paths(folder)
    assert (paths.results_root, paths.cache) == ((root / "data" / "results").resolve(), (root / "data" / "cache").resolve())
    chosen = AblationStudy(spec="x.yaml", results_dir="../../../out", cache_dir="../../../fits").paths(folder)
    assert (chosen.results_root, chosen.cache) == ((root / "out").resolve(), (root / "fits").resolve())
    monkeypatch.setenv("ABLATION_RESULTS_DIR", str(tmp_path / "elsewhere"))
    assert AblationStudy(spec="x.yaml").paths(folder).results_root == (tmp_path / "elsewhere").resolve()


OWN_ASSET = """from pathlib import Path

import dagster as dg
import pandas as pd


@dg.asset
def penguins_clean() -> pd.DataFrame:
    \"\"\"The user's own asset, which no study may take down: the penguins without incomplete rows.\"\"\"
    return pd.read_csv(Path(__file__).parent / "penguins.csv").dropna()
"""
PENGUINS = Path(__file__).resolve().parents[2] / "data" / "penguins.csv"
ASSET_STUDY = {"name": "penguin_asset_study",
               "data": {"asset": "penguins_clean", "target": "species", "features": ["bill_length_mm", "flipper_length_mm", "island"]},
               "model": {"estimator": "LogisticRegression", "params": {"max_iter": 500}},
               "evaluation": {"folds": 3, "repeats": 1, "metrics": ["accuracy"]}, "statistics": {"simplify": False},
               "ablations": [{"features": "each", "mode": "drop"}]}


def test_a_users_project_loads_and_runs_whatever_its_study_instances_say(tmp_path):
    """A scaffolded instance as dg writes it, an empty, a misspelt and a broken one beside the user's own
    asset: dg check yaml names the misspelt attribute, and dg list defs / check defs / launch load the
    project, the user's asset and the scaffolded study run, and each bad instance is one asset carrying
    its error."""
    root = dg_project(tmp_path / "project")
    (root / "studies" / "defs" / "own.py").write_text(OWN_ASSET)
    pd.read_csv(PENGUINS).iloc[::2].to_csv(root / "studies" / "defs" / "penguins.csv", index=False)
    scaffolded = run_dg(root, "scaffold", "defs", TYPE, "penguin_study")
    assert scaffolded.returncode == 0, scaffolded.stderr[-2000:]
    template = (root / "studies" / "defs" / "penguin_study" / "defs.yaml").read_text()
    assert template.count("#") > 10 and "name: penguin_study" in template
    assert run_dg(root, "check", "yaml").returncode == 0
    for name in ("empty", "misspelt", "missing", "asset_study", "misspelt_asset"):
        (root / "studies" / "defs" / name).mkdir()
    instance(root, "asset_study", {"study": ASSET_STUDY})
    instance(root, "misspelt_asset", {"study": {**ASSET_STUDY, "name": "typo_study", "data": {**ASSET_STUDY["data"],
                                                                                             "asset": "penguins_cleen"}}})
    instance(root, "empty", {})
    instance(root, "misspelt", {"spek": "study.yaml"})
    instance(root, "missing", {"spec": "nowhere.yaml"})
    checked = run_dg(root, "check", "yaml", "studies/defs/misspelt")  # (dg 1.13 reports only some files' errors without a path)
    assert checked.returncode != 0 and "'spek' was unexpected" in checked.stdout + checked.stderr
    listed = run_dg(root, "list", "defs", "--json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assets = {a["asset_key"]: a.get("description") or "" for a in json.loads(listed.stdout)["assets"]}
    assert {"penguins_clean", "penguin_study/report", "empty/invalid_study", "misspelt/invalid_study",
            "missing/invalid_study"} <= set(assets)
    assert "unknown attribute 'spek'; did you mean 'spec'?" in assets["misspelt/invalid_study"]
    assert "nowhere.yaml" in assets["missing/invalid_study"]
    assert {"penguin_asset_study/drop__island", "typo_study/report"} <= set(assets)  # planned before any materialization
    edges = {a["asset_key"]: a.get("dependency_keys", []) for a in json.loads(listed.stdout)["assets"]}
    assert edges["penguin_asset_study/dataset"] == ["penguins_clean"]  # lineage from the user's asset to the report
    assert run_dg(root, "check", "defs").returncode == 0
    launched = run_dg(root, "launch", "--assets", 'penguins_clean,+key:"penguin_study/baseline",group:penguin_asset_study')
    assert launched.returncode == 0, launched.stderr[-2000:]
    report = (Path(os.environ["ABLATION_RESULTS_DIR"]) / "penguin_asset_study" / "report.md").read_text()
    assert "drop__island" in report and "asset penguins_clean" in report

    pd.read_csv(PENGUINS).iloc[1::2].to_csv(root / "studies" / "defs" / "penguins.csv", index=False)  # other rows
    assert run_dg(root, "launch", "--assets", "penguins_clean").returncode == 0
    with dg.instance_for_test(temp_dir=os.environ["DAGSTER_HOME"]) as dagster:
        upstream = dagster.get_latest_materialization_event(dg.AssetKey("penguins_clean")).asset_materialization
        read = dagster.get_latest_materialization_event(dg.AssetKey(["penguin_asset_study", "dataset"])).asset_materialization
    assert read.tags["dagster/input_data_version/penguins_clean"] != upstream.tags["dagster/data_version"]  # stale
