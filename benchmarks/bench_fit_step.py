"""The fitting inside one variant step against the plain loop's fitting of the same variant, side by
side in one process: `ablations.fitting.fit_jobs` (a frame, the project's preprocessing, fold
predictions and fitted models sent back) against plain_scaling.py's numpy loop (one score sent
back), each over the same joblib worker count and RepeatedKFold splits, on Ridge drop variants.
No Dagster, no cache: this is the part of a step's time that is fitting.

    .venv/bin/python benchmarks/bench_fit_step.py [--rows 2000] [--features 10,50,150] [--variants 10] [--jobs 2]

To compare two commits, run it under each one's worktree in turn (PYTHONPATH=/tmp/old ...).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from joblib import Parallel, delayed
from plain_scaling import FOLDS, REPEATS, SEED, fit_and_score, splits_of
from sklearn.datasets import make_regression

from ablation_pipeline.ablations.fitting import FitJob, fit_jobs
from ablation_pipeline.data.splits import make_splits
from ablation_pipeline.pipeline.setup import check_study


def study(folder: Path, rows: int, features: int):
    """A Ridge study of `features` columns set up as a run would (data read and typed by the project)."""
    X, y = make_regression(n_samples=rows, n_features=features, n_informative=max(1, features // 2), noise=5.0, random_state=0)
    pd.DataFrame(X, columns=[f"x{i}" for i in range(features)]).assign(y=y).to_csv(folder / "data.csv", index=False)
    spec = {"name": f"fit_step_{features}", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "Ridge"},
            "evaluation": {"folds": FOLDS, "repeats": REPEATS, "seed": SEED, "metrics": ["rmse"]},
            "ablations": [{"features": "each", "mode": "drop"}]}
    (folder / "study.yaml").write_text(yaml.safe_dump(spec))
    return check_study(folder / "study.yaml")


def per_variant_ms(work, variants: list[list[str]]) -> float:
    started = time.perf_counter()
    for kept in variants:
        work(kept)
    return (time.perf_counter() - started) / len(variants) * 1000


def measure(rows: int, features: int, n_variants: int, jobs: int, rounds: int = 3) -> tuple[float, float]:
    """Best of `rounds` (alternating which goes first) ms per variant: (plain, project)."""
    with tempfile.TemporaryDirectory() as tmp:
        setup = study(Path(tmp), rows, features)
        dataset = setup.dataset
        columns = list(dataset.features.columns)
        variants = [[c for c in columns if c != gone] for gone in columns[:n_variants]]
        splits = make_splits(dataset, setup.plan.spec.evaluation)
        X_all, y = dataset.features.to_numpy(dtype=float), dataset.target
        plain_splits = splits_of("ridge", X_all, y)
        assert all((a[0] == s.train).all() for a, s in zip(plain_splits, splits, strict=True))  # the same folds
        plain_times, project_times = [], []
        with Parallel(n_jobs=jobs) as parallel:  # one pool for the loop, as plain_scaling.py keeps it
            def plain(kept: list[str]) -> None:
                X = dataset.features[kept].to_numpy(dtype=float)
                parallel(delayed(fit_and_score)("ridge", X, y, train, test) for train, test in plain_splits)

            def project(kept: list[str]) -> None:
                fit_jobs([FitJob("variant", setup.estimator, tuple(kept), s) for s in splits], dataset, SEED, jobs)

            plain(variants[0])  # workers started and warm for both
            project(variants[0])
            for round_ in range(rounds):
                order = [(plain, plain_times), (project, project_times)]
                for work, times in order if round_ % 2 == 0 else order[::-1]:
                    times.append(per_variant_ms(work, variants))
        return min(plain_times), min(project_times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--features", default="10,50,150")
    parser.add_argument("--variants", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.rows} rows, {FOLDS}x{REPEATS} "
          f"splits, {args.variants} drop variants, {args.jobs} joblib workers; ms per variant, best of 3")
    print(f"{'features':>8} {'plain':>9} {'fit_jobs':>9} {'ratio':>7}")
    for features in (int(f) for f in args.features.split(",")):
        plain, project = measure(args.rows, features, min(args.variants, features), args.jobs)
        print(f"{features:>8} {plain:>9.1f} {project:>9.1f} {project / plain:>7.2f}")
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
