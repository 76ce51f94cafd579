"""The command line's runs in the Dagster instance: tagged with the process that runs them, marked
canceled when the user interrupts them, and marked failed by a later command when the process that
ran them is gone (killed), instead of staying STARTED for ever."""

from __future__ import annotations

import os
import socket

import dagster as dg

CLI_TAG = "ablation/cli"
PID_TAG = "ablation/pid"
HOST_TAG = "ablation/host"


def process_tags(token: str) -> dict[str, str]:
    """What identifies a run as this command's, and the process running it."""
    return {CLI_TAG: token, PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def find_run(instance: dg.DagsterInstance, token: str) -> str | None:
    runs = instance.get_runs(filters=dg.RunsFilter(tags={CLI_TAG: token}), limit=1)
    return runs[0].run_id if runs else None


def cancel(instance: dg.DagsterInstance, run_id: str | None) -> None:
    """Mark a run the user interrupted as canceled (its finished fits stay in the cache)."""
    run = instance.get_run_by_id(run_id) if run_id else None
    if run is not None and not run.is_finished:
        instance.report_run_canceled(run, message="interrupted by the user (Ctrl-C) in the ablation command")


def fail_orphans(instance: dg.DagsterInstance) -> list[str]:
    """Runs of an `ablation` command on this machine whose process no longer exists, marked failed."""
    orphans = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
                                                       tags={HOST_TAG: socket.gethostname()})):
        pid = run.tags.get(PID_TAG, "")
        if pid.isdigit() and not _alive(int(pid)):
            instance.report_run_failed(run, message=f"the ablation command running it (process {pid}) stopped without finishing it")
            orphans.append(run.run_id)
    return orphans


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True
