"""Dagster's `dg` CLI on the project as it stands: it lists and checks the definitions (a broken study
among them), and launches a study's assets into the local instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from builders import REPO, broken_studies

DG = str(Path(sys.executable).with_name("dg"))


def run_dg(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([DG, *args], cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, **env})


def test_dg_lists_checks_and_launches(tmp_path):
    env = {"ABLATION_STUDIES_DIR": str(broken_studies(tmp_path / "studies"))}
    listed = run_dg("list", "defs", "--json", env=env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    keys = {asset["asset_key"] for asset in json.loads(listed.stdout)["assets"]}
    assert {"small/report", "small/drop__a", "typo/invalid_study", "nodata/invalid_study"} <= keys
    checked = run_dg("check", "defs", env=env)
    assert checked.returncode == 0 and "All definitions loaded successfully" in checked.stdout + checked.stderr
    launched = run_dg("launch", "--assets", '+key:"small/baseline"', env=env)  # the baseline and what it needs
    assert launched.returncode == 0, launched.stderr[-2000:]
    with dg.DagsterInstance.get() as instance:
        assert instance.get_latest_materialization_event(dg.AssetKey(["small", "baseline"])) is not None
        assert instance.get_latest_materialization_event(dg.AssetKey(["small", "drop__a"])) is None
