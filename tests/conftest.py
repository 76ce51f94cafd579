"""Shared fixtures: an isolated environment (results, cache and Dagster instance in the test's own
temp folder), small real studies, a temporary Dagster instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from ablation_pipeline.pipeline.run import StudyResult, run_study
from ablation_pipeline.spec.loading import load_spec

from builders import linear_frame, mlp_spec, small_spec, write_study


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Results, the cache, its signing key and the Dagster instance go to the test's temp folder."""
    monkeypatch.setenv("ABLATION_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("ABLATION_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ABLATION_KEY_FILE", str(tmp_path / "store.key"))
    yield


@pytest.fixture
def small_study(tmp_path) -> Path:
    return write_study(tmp_path / "study", small_spec(), linear_frame())


@pytest.fixture
def study_dir(tmp_path):
    return tmp_path / "study"


@pytest.fixture
def instance(tmp_path):
    """A real, temporary Dagster instance (SQLite storage in the test's folder)."""
    import dagster as dg

    folder = tmp_path / "instance"
    folder.mkdir()
    with dg.instance_for_test(temp_dir=str(folder)) as test_instance:
        yield test_instance


@pytest.fixture(scope="session")
def mlp_result(tmp_path_factory) -> StudyResult:
    """The torch MLP study of `builders.mlp_spec`, run once for every test that reads it."""
    folder = tmp_path_factory.mktemp("mlp")
    return run_study(load_spec(write_study(folder, mlp_spec())), folder / "out")
