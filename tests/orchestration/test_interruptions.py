"""Stopping a run: Ctrl-C stops it at once, keeps every finished fit and marks the run canceled; a run
whose process was killed is marked failed by the next command; results cut short are never taken as
current. Each test runs `ablation run` as a real process and signals its whole process group, as a
terminal's Ctrl-C does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from ablation_pipeline.cli import app
from ablation_pipeline.store.cache import ResultCache

from builders import linear_frame, slow_spec, small_spec, write_study
from ui_helpers import as_from_a_terminal, group_members

pytestmark = pytest.mark.slow
ABLATION = str(Path(sys.executable).with_name("ablation"))
FITS = 10 * 5  # slow_spec: 10 splits, the baseline and 4 variants


def stored(cache: Path) -> list[Path]:
    return [record for record in cache.rglob("*.json") if record.parent.name not in ("specs", "locks")]


def start_and_wait_for_a_fit(spec_path: Path, tmp_path: Path) -> subprocess.Popen:
    """`ablation run` in its own process group, returned once its first fit is in the cache."""
    process = subprocess.Popen([ABLATION, "run", str(spec_path), "--results-dir", str(tmp_path / "results")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=as_from_a_terminal)
    deadline = time.monotonic() + 240
    while not stored(tmp_path / "cache"):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no fit was stored"
        time.sleep(0.2)
    return process


def runs(tmp_path: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.get() as instance:
        return instance.get_runs()


def test_ctrl_c_stops_the_run_keeps_finished_fits_and_cancels_it(study_dir, tmp_path):
    process = start_and_wait_for_a_fit(write_study(study_dir, slow_spec(), linear_frame(rows=600)), tmp_path)
    signals = group_members(process.pid, signals=True)  # what each process of the run blocks, ignores, catches
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, f"{err}\n{signals}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: small: interrupted; the run was canceled"), err
    assert not (tmp_path / "results" / "small" / "comparison.csv").exists()  # stopped, not finished
    kept = stored(tmp_path / "cache")
    assert 1 <= len(kept) < 5 and all(ResultCache(tmp_path / "cache").get(record.stem) is not None for record in kept)
    assert [run.status for run in runs(tmp_path)] == [dg.DagsterRunStatus.CANCELED]


def test_a_killed_run_is_marked_failed_by_the_next_command(study_dir, tmp_path):
    path = write_study(study_dir, slow_spec(), linear_frame(rows=600))
    process = start_and_wait_for_a_fit(path, tmp_path)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    killed = runs(tmp_path)
    assert [run.status for run in killed] == [dg.DagsterRunStatus.STARTED]  # nobody is left to say otherwise
    result = CliRunner().invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "results")])
    assert result.exit_code == 0, result.output
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(killed[0].run_id).status == dg.DagsterRunStatus.FAILURE
        second = next(run for run in instance.get_runs() if run.run_id != killed[0].run_id)
        records = instance.get_records_for_run(second.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        fits = [r.event_log_entry.dagster_event.event_specific_data.materialization.metadata["fits"].value for r in records
                if "fits" in r.event_log_entry.dagster_event.event_specific_data.materialization.metadata]
    assert sum(fits) <= FITS - 10  # what the killed run finished was reused, not fitted again


def test_results_cut_short_are_not_current_and_show_says_so(study_dir, tmp_path):
    path = write_study(study_dir, small_spec(), linear_frame())
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "results")]).exit_code == 0
    comparison = tmp_path / "results" / "small" / "comparison.csv"
    comparison.write_bytes(comparison.read_bytes()[:40])  # a write cut short, or a bad copy
    shown = runner.invoke(app, ["show", str(path), "--results-dir", str(tmp_path / "results")])
    assert shown.exit_code == 1 and "cannot be read as results" in shown.stderr and "Traceback" not in shown.output
    again = runner.invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "results")])
    assert again.exit_code == 0 and "up to date" not in again.output
    assert runner.invoke(app, ["show", str(path), "--results-dir", str(tmp_path / "results")]).exit_code == 0
