"""Two commands at once: a new Dagster home is created by one of them at a time, and two runs of the
same study share their fits instead of both fitting everything."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import pytest

from ablation_pipeline.orchestration.cli_run import local_instance
from ablation_pipeline.store.locks import exclusive

from builders import cache_spec, linear_frame, write_study

ABLATION = str(Path(sys.executable).with_name("ablation"))


def _hold(path: str, holding, release) -> None:
    with exclusive(Path(path)):
        holding.set()
        release.wait(60)


def test_a_new_instance_is_made_by_one_command_at_a_time(tmp_path):
    """While another process holds the instance lock, nothing of the instance is created; after, it is."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    context = multiprocessing.get_context("fork")
    holding, release = context.Event(), context.Event()
    other = context.Process(target=_hold, args=(str(home / ".ablation-instance.lock"), holding, release))
    other.start()
    assert holding.wait(60)
    made = []
    waiting = threading.Thread(target=lambda: made.append(local_instance()))
    waiting.start()
    waiting.join(2)
    assert waiting.is_alive() and not made and not (home / "dagster.yaml").exists()
    release.set()
    waiting.join(60)
    other.join(60)
    assert made and (home / "dagster.yaml").is_file() and made[0].get_runs() == []


@pytest.mark.slow
def test_two_runs_of_one_study_at_once_on_a_new_home_both_finish_and_fit_once(study_dir, tmp_path):
    path = write_study(study_dir, cache_spec(), linear_frame())
    runs = [subprocess.Popen([ABLATION, "run", str(path), "--results-dir", str(tmp_path / f"results_{i}")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    with dg.DagsterInstance.get() as instance:
        fits = []
        for run in instance.get_runs():
            for record in instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records:
                meta = record.event_log_entry.dagster_event.event_specific_data.materialization.metadata
                if "fits" in meta and record.event_log_entry.dagster_event.asset_key.path[-1] != "simplified":
                    fits.append(meta["fits"].value)
    assert sum(fits) == 3 * 6  # the baseline and two drops, 6 splits each: fitted once between the two runs
