"""Every executor gives the same numbers."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest
from typer.testing import CliRunner

from ablation_pipeline.cli import app


@pytest.mark.parametrize("executor", ["multiprocess", "dask"])
def test_executors_give_identical_scores(executor, small_study, tmp_path):
    """The same study in-process and on real step processes / a real Dask LocalCluster: same numbers."""
    runner = CliRunner()
    base = runner.invoke(app, ["run", str(small_study), "--results-dir", str(tmp_path / "in_process")])
    assert base.exit_code == 0, base.output
    other = runner.invoke(app, ["run", str(small_study), "--results-dir", str(tmp_path / executor), "--executor", executor, "--force"])
    assert other.exit_code == 0, other.output
    for name in ("scores.csv", "comparison.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "in_process" / "small" / name),
                                      pd.read_csv(tmp_path / executor / "small" / name))
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        assert run.tags["ablation/executor"] == executor and run.is_success


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_real_dask_scheduler_with_two_workers_gives_identical_scores(small_study, tmp_path):
    """`--dask-address` against a real `dask scheduler` and two `dask worker` processes started here (the
    workers share this test's cache folder and key file through their environment, as the README asks of
    a real cluster): the same numbers as in-process."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    dask = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    commands = [[dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                *([dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"]
                  for _ in range(2))]
    processes = []
    try:
        for i, command in enumerate(commands):
            with open(logs / f"{i}.log", "wb") as log:
                processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                                  env=os.environ.copy()))
            if i == 0:
                time.sleep(2)  # the scheduler listens before the workers dial it
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
            assert len(client.scheduler_info()["workers"]) == 2
        runner = CliRunner()
        base = runner.invoke(app, ["run", str(small_study), "--results-dir", str(tmp_path / "in_process")])
        assert base.exit_code == 0, base.output
        other = runner.invoke(app, ["run", str(small_study), "--results-dir", str(tmp_path / "cluster"), "--executor", "dask",
                                    "--dask-address", address, "--force"])
        assert other.exit_code == 0, other.output + "".join(p.read_text(errors="replace")[-2000:] for p in logs.iterdir())
        for name in ("scores.csv", "comparison.csv"):
            pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "in_process" / "small" / name),
                                          pd.read_csv(tmp_path / "cluster" / "small" / name))
    finally:
        for process in processes[::-1]:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def test_a_dask_that_cannot_be_imported_is_one_line_before_any_run(small_study, tmp_path):
    """A dagster-dask that fails to import (as it does beside a distributed of another release) is named
    with its import error in one line, exit 2, and nothing is recorded in Dagster."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    shadow = tmp_path / "shadow" / "dagster_dask"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError(\"cannot import name 'Status' from 'distributed.core'\")\n")
    ablation = str(Path(sys.executable).with_name("ablation"))
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    done = subprocess.run([ablation, "run", str(small_study), "--executor", "dask"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--executor dask: dagster-dask cannot be imported (ImportError: cannot import name 'Status'" in lines[0]
    assert done.stdout == ""
    assert not (Path(os.environ["DAGSTER_HOME"]) / "storage").exists()  # no run was recorded
