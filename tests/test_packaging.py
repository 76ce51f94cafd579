"""What an install without the project's pins resolves to: `pip install -e .` on a fresh machine must
pair dask and distributed of one release (a bare dagster-dask let pip pair the newest dask with
distributed 2021.4, which then failed to import and took the Dask job with it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from builders import REPO


@pytest.mark.slow
def test_an_unpinned_install_resolves_dask_and_distributed_of_one_release(tmp_path):
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--dry-run",
                           "--ignore-installed", "--report", str(report), "-e", str(REPO)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    versions = {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in json.loads(report.read_text())["install"]}
    assert versions["dask"] == versions["distributed"], versions
    assert int(versions["distributed"].split(".")[0]) >= 2025
