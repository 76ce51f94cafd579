"""Shared helpers for the bad-input corpus (tests/cli/test_bad_*input.py): small generated data sets and
a spec builder that writes a valid study into a folder, so each test changes only what it breaks."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from ablation_pipeline.cli import app

from builders import write_study

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
N_ROWS = 40
CITIES = ("paris", "lyon", "nice", "lille")


def regression_frame(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """Numeric a, b, c, categorical city and a numeric target y."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, n))
    city = np.array(CITIES)[np.arange(n) % len(CITIES)]
    y = 3 * a - 2 * b + 0.5 * c + rng.normal(scale=0.1, size=n)
    return pd.DataFrame({"a": a.round(4), "b": b.round(4), "c": c.round(4), "city": city, "y": y.round(4)})


def classification_frame(counts: dict[str, int] | None = None, seed: int = 1) -> pd.DataFrame:
    """Numeric a, b, c, categorical city and a string label; `counts` rows per class."""
    counts = counts or {"cat": 20, "dog": 20}
    labels = np.concatenate([[name] * k for name, k in counts.items()])
    frame = regression_frame(len(labels), seed).drop(columns="y")
    frame["label"] = labels
    return frame


REGRESSION_SPEC: dict[str, Any] = {
    "name": "tiny_study",
    "description": "A small generated study for the bad-input tests.",
    "data": {
        "source": "data.csv",
        "target": "y",
        "groups": {"ab": ["a", "b"]},
    },
    "model": {"estimator": "Ridge", "params": {"alpha": 1.0}},
    "evaluation": {"folds": 3, "repeats": 1, "seed": 0, "metrics": ["rmse", "r2"]},
    "ablations": [
        {"features": "each", "mode": "drop"},
        {"features": ["c", "city"], "mode": "permute", "permutations": 2},
    ],
}

CLASSIFICATION_SPEC: dict[str, Any] = {
    "name": "tiny_classes",
    "data": {"source": "data.csv", "target": "label"},
    "model": {"estimator": "LogisticRegression", "params": {"max_iter": 200}},
    "evaluation": {"folds": 3, "repeats": 1, "metrics": ["accuracy"]},
    "ablations": [{"features": "each", "mode": "drop"}],
}


def regression_spec() -> dict[str, Any]:
    return copy.deepcopy(REGRESSION_SPEC)


def classification_spec() -> dict[str, Any]:
    return copy.deepcopy(CLASSIFICATION_SPEC)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes), to prove nothing changed."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def study(tmp_path: Path, spec, frame=None, folder: str = "study") -> Path:
    """Write spec (a mapping or YAML text) and data.csv (regression data by default) into tmp_path/folder."""
    return write_study(tmp_path / folder, spec, regression_frame() if frame is None else frame, name="study.yaml")


def reg(**changes) -> dict[str, Any]:
    """The valid regression spec with `section__key=value` (or top-level key=value) changes."""
    spec = regression_spec()
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            spec[section][field] = value
        else:
            spec[section] = value
    return spec


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


CHECKING = re.compile(r"\S+: checking the spec and .+ \.\.\.")  # what `run` says before its slow check


def assert_nothing_run(stdout: str) -> None:
    """A refused command printed nothing on stdout but, for `run`, the line it says before checking."""
    lines = [line for line in ANSI.sub("", stdout).splitlines() if line.strip()]
    assert lines == [] or (len(lines) == 1 and CHECKING.fullmatch(lines[0])), stdout


def lines_of(result) -> list[str]:
    """Exit code 2 through SystemExit, no traceback, nothing on stdout but `run`'s first line; the stderr lines."""
    output = ANSI.sub("", result.output)
    assert "Traceback" not in output, output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, output)
    assert_nothing_run(result.stdout)
    return [line for line in ANSI.sub("", result.stderr).splitlines() if line.strip()]


def assert_lines(result, path: Path | str, *expected: str) -> None:
    """Exactly these `error: <spec>: ...` lines, in any order."""
    assert sorted(lines_of(result)) == sorted(f"error: {path}: {line}" for line in expected), lines_of(result)


def nothing_written(tmp_path: Path) -> None:
    """The conftest fixture points results, cache and Dagster storage into tmp_path."""
    for name in ("results", "cache", "dagster_home"):
        assert not (tmp_path / name).exists(), name
