"""Shared fixtures: small real studies written to temp folders, and an isolated environment so
tests never touch the project's own results or Dagster instance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
STUDIES = REPO / "data" / "studies"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Results and the Dagster instance go to the test's temp folder."""
    monkeypatch.setenv("ABLATION_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("ABLATION_CACHE_DIR", str(tmp_path / "cache"))
    yield


def write_study(folder: Path, spec: dict, frame: pd.DataFrame | None = None, data_name: str = "data.csv") -> Path:
    """Write a spec (and its CSV) into `folder`; returns the spec path."""
    folder.mkdir(parents=True, exist_ok=True)
    if frame is not None:
        frame.to_csv(folder / data_name, index=False)
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def linear_frame(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    """y = 3*a - 2*b + noise; `c` is pure noise, `const` never varies, `city` shifts y by 5 in 'north'."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, rows))
    city = rng.choice(["north", "south"], size=rows)
    y = 3 * a - 2 * b + 5 * (city == "north") + rng.normal(0, 0.5, rows)
    return pd.DataFrame({"a": a, "b": b, "c": c, "const": 1.0, "city": city, "y": y})


def small_spec(name: str = "small", **overrides) -> dict:
    spec = {
        "name": name,
        "description": "A small linear study for tests.",
        "data": {"source": "data.csv", "target": "y", "groups": {"ab": ["a", "b"]}},
        "model": {"estimator": "LinearRegression"},
        "evaluation": {"folds": 3, "repeats": 2, "seed": 1, "metrics": ["rmse", "r2"]},
        "ablations": [
            {"features": ["a", "c", "city", "ab"], "mode": "drop"},
            {"features": ["a", "const"], "mode": "permute", "permutations": 2},
            {"features": ["b"], "mode": "mean"},
        ],
    }
    spec.update(overrides)
    return spec


@pytest.fixture
def small_study(tmp_path) -> Path:
    return write_study(tmp_path / "study", small_spec(), linear_frame())


@pytest.fixture
def instance(tmp_path):
    """A real, temporary Dagster instance (SQLite storage in the test's folder)."""
    import dagster as dg

    folder = tmp_path / "instance"
    folder.mkdir()
    with dg.instance_for_test(temp_dir=str(folder)) as test_instance:
        yield test_instance
