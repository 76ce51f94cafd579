"""Small real studies and networks for tests: specs, data frames and declared layers, written to
temporary folders by the tests that use them."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ablation_pipeline.spec.loading import parse_spec
from ablation_pipeline.spec.schema import StudySpec

REPO = Path(__file__).resolve().parent.parent
STUDIES = REPO / "data" / "studies"


def write_study(folder: Path, spec: dict | str, frame: pd.DataFrame | None = None, data_name: str = "data.csv",
                name: str | None = None) -> Path:
    """Write a spec (a mapping, or raw YAML text) and its data into `folder`; returns the spec's path,
    `<study name>.yaml` unless `name` says otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    if frame is not None:
        frame.to_csv(folder / data_name, index=False)
    path = folder / (name or (f"{spec['name']}.yaml" if isinstance(spec, dict) else "study.yaml"))
    path.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def linear_frame(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    """y = 3*a - 2*b + noise; `c` is pure noise, `const` never varies, `city` shifts y by 5 in 'north'."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, rows))
    city = rng.choice(["north", "south"], size=rows)
    y = 3 * a - 2 * b + 5 * (city == "north") + rng.normal(0, 0.5, rows)
    return pd.DataFrame({"a": a, "b": b, "c": c, "const": 1.0, "city": city, "y": y})


def twins_frame(rows: int = 240, seed: int = 0, copy_noise: float = 0.05) -> pd.DataFrame:
    """y = 3x + 2·other + noise; `twin` is x plus a little noise (a near-copy); `noise` carries nothing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    frame = pd.DataFrame({"x": x, "twin": x + rng.normal(0, copy_noise, rows), "other": rng.normal(size=rows),
                          "noise": rng.normal(size=rows)})
    return frame.assign(y=3 * frame.x + 2 * frame.other + rng.normal(0, 0.3, rows))


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


def cache_spec(**changes) -> dict:
    """Two retrained variants and one inference-time variant, one metric: the caching tests' study."""
    study = small_spec(ablations=[{"features": ["a", "c"], "mode": "drop"}, {"features": ["b"], "mode": "permute", "permutations": 2}])
    study["evaluation"]["metrics"] = ["rmse"]
    study.update(changes)
    return study


HOUSE_FEATURES = ["rooms", "size", "location", "age", "noise"]


def slow_spec(**changes) -> dict:
    """A study that takes a while (random forests of 300 trees, 10 splits, 5 fits per split): long
    enough to be interrupted after its first fit is stored."""
    study = small_spec(model={"estimator": "RandomForestRegressor", "params": {"n_estimators": 300}},
                       evaluation={"folds": 5, "repeats": 2, "seed": 1, "metrics": ["rmse"]},
                       ablations=[{"features": ["a", "b", "c", "city"], "mode": "drop"}], statistics={"simplify": False})
    study.update(changes)
    return study


def house_spec(ablations: list, groups: dict | None = None) -> StudySpec:
    """A parsed spec over the house-price features (no data file needed: for planning only)."""
    data = {"source": "x.csv", "target": "price", "groups": groups or {}}
    return parse_spec({"name": "t", "data": data, "model": {"estimator": "Ridge"}, "ablations": ablations})


MLP = {
    "layers": [
        {"name": "hidden1", "type": "Linear", "args": {"out_features": 16}},
        {"name": "act1", "type": "ReLU"},
        {"name": "hidden2", "type": "Linear", "args": {"out_features": 8}},
        {"name": "act2", "type": "ReLU"},
        {"name": "out", "type": "Linear", "output": True},
    ],
    "training": {"lr": 0.01, "epochs": 8, "batch_size": 32, "seed": 0},
}


def mlp_spec(**changes) -> dict:
    """A torch MLP on six breast-cancer features, with layer ablations of every mode and one feature ablation."""
    spec = {
        "name": "mlp",
        "data": {"source": "sklearn:breast_cancer", "target": "target", "features": [
            "mean_radius", "mean_texture", "mean_concave_points", "worst_area", "worst_concavity", "area_error"]},
        "model": {"network": copy.deepcopy(MLP)},
        "evaluation": {"folds": 3, "repeats": 1, "seed": 0, "metrics": ["accuracy", "roc_auc"]},
        "ablations": [
            {"layers": "each", "mode": "remove"},
            {"layers": ["hidden1", "hidden2"], "mode": "zero"},
            {"layers": ["hidden2"], "mode": "mean"},
            {"layers": ["hidden2"], "mode": "resample"},
            {"layers": ["hidden2"], "mode": "random"},
            {"layers": ["hidden1"], "mode": "scale", "factors": [0, 1]},
            {"features": ["worst_area"], "mode": "permute", "permutations": 2},
        ],
    }
    spec.update(changes)
    return spec


def mlp_network(hidden=(16,), epochs=30, lr=0.01, **training) -> dict:
    """A declared MLP with the given hidden widths (the output layer is sized by the task)."""
    layers = []
    for i, width in enumerate(hidden, start=1):
        layers += [{"name": f"h{i}", "type": "Linear", "args": {"out_features": width}}, {"name": f"relu{i}", "type": "ReLU"}]
    layers.append({"name": "out", "type": "Linear", "output": True})
    return {"layers": layers, "training": {"epochs": epochs, "lr": lr, "batch_size": 32, **training}}


CNN = {
    "input_shape": [1, 8, 8],
    "layers": [
        {"name": "conv1", "type": "Conv2d", "args": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
        {"name": "bn1", "type": "BatchNorm2d"},
        {"name": "relu1", "type": "ReLU"},
        {"name": "pool1", "type": "MaxPool2d", "args": {"kernel_size": 2}},
        {"name": "conv2", "type": "Conv2d", "args": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
        {"name": "relu2", "type": "ReLU"},
        {"name": "flatten", "type": "Flatten"},
        {"name": "out", "type": "Linear", "output": True},
    ],
    "training": {"epochs": 4, "lr": 0.01, "batch_size": 64},
}


def comparison_row(variant, mode, components, metric, base, var, lo, hi, t, p_adj, dz, verdict) -> dict:
    """One row of a comparison table, for report tests."""
    return {
        "variant": variant, "kind": "feature", "mode": mode, "components": components, "metric": metric,
        "baseline_mean": base, "variant_mean": var, "delta": var - base, "ci_low": lo, "ci_high": hi, "t": t, "df": 9.0,
        "p_value": p_adj / 2, "p_adjusted": p_adj, "effect_size_dz": dz, "n_splits": 10, "verdict": verdict, "reason": "",
    }


def house_prices_study(folder: Path) -> Path:
    """The shipped house_prices example, copied with its data into `folder` (its source made relative to it)."""
    spec = (REPO / "data" / "studies" / "house_prices.yaml").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "house_prices.csv").write_bytes((REPO / "data" / "house_prices.csv").read_bytes())
    return write_study(folder, spec.replace("source: ../house_prices.csv", "source: house_prices.csv"), name="house_prices.yaml")


def broken_studies(folder: Path) -> Path:
    """A studies folder with a valid study and three that cannot load: a misspelt field, missing data,
    a name already taken."""
    write_study(folder, small_spec(), linear_frame())
    write_study(folder, {**small_spec("typo"), "evaluation": {"foldz": 3}}, name="typo.yaml")
    write_study(folder, {**small_spec("nodata"), "data": {"source": "missing.csv", "target": "y"}}, name="nodata.yaml")
    write_study(folder, small_spec(), name="twin.yaml")
    return folder
