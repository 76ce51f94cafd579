"""Live progress of `ablation run`, in every executor: under a pseudo-terminal the bar advances while the
run goes (not 0/N then N/N), with elapsed time and an estimate, and no Dagster log line in it; piped, one
line per finished asset."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builders import cache_spec, linear_frame, write_study

ABLATION = str(Path(sys.executable).with_name("ablation"))
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COUNT = re.compile(r"(\d+)/(\d+)")


def env_for(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ABLATION_RESULTS_DIR": str(tmp_path / "results"), "DAGSTER_HOME": str(tmp_path / "home"),
            "ABLATION_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "120", "TERM": "xterm"}


def under_pty(command: list[str], env: dict[str, str], timeout: float = 240) -> list[tuple[float, str]]:
    """The command's terminal output as (seconds since start, text) chunks, ANSI codes removed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the command, with the pty as its terminal
        os.execve(command[0], command, env)
    chunks, started = [], time.monotonic()
    while time.monotonic() - started < timeout:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append((time.monotonic() - started, ANSI.sub("", data.decode(errors="replace"))))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "".join(text for _, text in chunks)[-3000:]
    return chunks


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_the_bar_advances_as_assets_finish(tmp_path, executor):
    path = write_study(tmp_path / "study", cache_spec(), linear_frame())
    chunks = under_pty([ABLATION, "run", str(path), "--executor", executor], env_for(tmp_path))
    text = "".join(t for _, t in chunks)
    counts = [(at, int(m.group(1)), int(m.group(2))) for at, t in chunks for m in COUNT.finditer(t)]
    total = counts[-1][2]
    seen = sorted({done for _, done, n in counts if n == total})
    assert seen[-1] == total and len([d for d in seen if 0 < d < total]) >= total // 2, seen  # it moved step by step
    first_full = min(at for at, done, n in counts if done == total)
    assert any(0 < done < total and at < first_full - 1 for at, done, _ in counts)  # partway, a while before the end
    assert "eta" in text and re.search(r"0:00:\d\d", text)
    assert "dagster - DEBUG" not in text and "STEP_WORKER_STARTED" not in text
    assert "essential" in text  # the table follows


def test_piped_output_prints_one_line_per_finished_asset(tmp_path):
    path = write_study(tmp_path / "study", cache_spec(), linear_frame())
    done = subprocess.run([ABLATION, "run", str(path)], env=env_for(tmp_path), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = re.findall(r"^small \[(\d+)/(\d+)\] (\S+) done, \d:\d\d:\d\d elapsed(, about \d:\d\d:\d\d left)?$", done.stdout, re.M)
    assert [int(i) for i, _, _, _ in lines] == list(range(1, int(lines[0][1]) + 1))
    assert [bool(left) for *_, left in lines] == [False] + [True] * (len(lines) - 1)  # an estimate once there is a pace
    assert done.stdout.startswith("small: checking the spec and data.csv ...\n")  # said before the slow check
    assert {name for _, _, name, _ in lines} >= {"dataset", "baseline", "drop__a", "comparison", "report"}
