"""Grouped splits against plain K-fold, by simulation with known truth (issue 25).

Repeated visits of the same patients: y = 1.5 dose + the patient's own offset (a random effect, sd 2)
+ noise; `patient_code` is the patient's number, which identifies the patient and nothing else, `noise`
carries nothing. A flexible model (a random forest) learns each patient's offset from `patient_code`
when the same patient is on both sides of a split, so plain K-fold calls the code essential; for a new
patient it carries nothing, which grouped K-fold (`evaluation.groups: patient_id`) measures. Each study
is run end to end by `run_study`, once per split kind, on the same data.

    .venv/bin/python benchmarks/calibration_groups.py --studies 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec

PATIENTS, VISITS = 40, 5


def visits(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(2000 + seed)
    patient = np.repeat(np.arange(PATIENTS), VISITS)
    offset = rng.normal(0, 2.0, PATIENTS)[patient]
    dose, noise = rng.normal(size=(2, PATIENTS * VISITS))
    y = 1.5 * dose + offset + rng.normal(0, 0.5, PATIENTS * VISITS)
    return pd.DataFrame({"patient_id": [f"p{p:03d}" for p in patient], "patient_code": patient.astype(float),
                         "dose": dose, "noise": noise, "y": y})


def study_spec(seed: int, grouped: bool) -> dict:
    evaluation = {"folds": 5, "repeats": "auto", "seed": seed, "metrics": ["rmse"]}
    return {"name": "visits", "data": {"source": "data.csv", "target": "y", "features": ["patient_code", "dose", "noise"]},
            "model": {"estimator": "RandomForestRegressor", "params": {"n_estimators": 50, "random_state": 0}},
            "evaluation": evaluation | ({"groups": "patient_id"} if grouped else {}),
            "ablations": [{"features": "each", "mode": "drop"}], "statistics": {"simplify": False}}


def verdicts(seed: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        visits(seed).to_csv(root / "data.csv", index=False)
        for grouped in (False, True):
            path = root / f"study_{grouped}.yaml"
            path.write_text(yaml.safe_dump(study_spec(seed, grouped)))
            table = run_study(load_spec(path), root / f"out_{grouped}").comparison
            rows += [{"splits": "grouped" if grouped else "plain K-fold", "feature": r.components, "verdict": r.verdict,
                      "delta": r.delta} for r in table.itertuples()]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=20)
    args = parser.parse_args()
    frame = pd.DataFrame([row for seed in range(args.studies) for row in verdicts(seed)])
    rates = pd.crosstab([frame.splits, frame.feature], frame.verdict, normalize="index").round(2)
    rates["mean delta (rmse)"] = frame.groupby(["splits", "feature"]).delta.mean().round(3)
    print(f"{args.studies} studies, {PATIENTS} patients x {VISITS} visits, random forest, alpha 0.05")
    print(rates.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
