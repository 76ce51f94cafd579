"""Dagster's `dg` CLI on the project as it stands: it lists and checks the definitions (a broken study
among them), and launches a study's assets into the local instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from builders import REPO, broken_studies, linear_frame, small_spec, write_study

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


def test_a_dg_launch_of_an_up_to_date_study_fits_nothing(tmp_path):
    """After `ablation run`, `dg launch` of the whole group (what "Materialize all" launches) executes
    every step, and every fitting step answers from the store: zero fits, counted per asset."""
    studies = tmp_path / "studies"
    write_study(studies, small_spec(), linear_frame())
    env = {"ABLATION_STUDIES_DIR": str(studies)}
    ran = subprocess.run([str(Path(sys.executable).with_name("ablation")), "run", "small"], capture_output=True, text=True,
                         timeout=300, env={**os.environ, **env})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    launched = run_dg("launch", "--assets", "group:small", env=env)
    assert launched.returncode == 0, launched.stderr[-2000:]
    fitting = ["baseline", "drop__a", "drop__c", "drop__city", "drop__ab", "permute__a", "permute__const", "mean__b", "simplified"]
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert len(runs) == 2  # `ablation run`, then the launch (newest first)
        events = {name: instance.get_latest_materialization_event(dg.AssetKey(["small", name])) for name in fitting}
    assert all(event.run_id == runs[0].run_id for event in events.values())
    fits = {name: event.asset_materialization.metadata["fits"].value for name, event in events.items()}
    assert fits == dict.fromkeys(fitting, 0)
