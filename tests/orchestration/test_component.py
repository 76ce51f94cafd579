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
import pytest
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


def test_exactly_one_source(tmp_path):
    with pytest.raises(ValueError, match="give exactly one of spec"):
        AblationStudy()
    spec = write_study(tmp_path, small_spec(), linear_frame())
    defs = AblationStudy(spec=spec.name).definitions(tmp_path)
    assert dg.AssetKey(["small", "report"]) in defs.resolve_asset_graph().get_all_asset_keys()
