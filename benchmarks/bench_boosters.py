"""A booster's study two ways, side by side in one run: `preprocessing: none` (the frame as read) against
`auto` (imputed, scaled, one-hot encoded), and a booster's own threads one per fit (the default: the
folds run in parallel) against its own default (`n_jobs: -1`, every core per fit). Time of the whole
study in this process (the fits, nothing cached; 2 fold workers as `ablation run` uses), and whether the
verdicts agree. Each configuration timed `--rounds` times, interleaved; the best is shown.

    .venv/bin/python benchmarks/bench_boosters.py [--rounds 3] [--rows 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.datasets import make_friedman1

HERE = Path(__file__).resolve().parent
PENGUINS = HERE.parent / "data" / "penguins.csv"


def friedman_with_gaps(rows: int) -> pd.DataFrame:
    """Friedman #1 (x0..x4 informative) with 5% missing values in two columns and a categorical one."""
    X, y = make_friedman1(n_samples=rows, n_features=10, noise=1.0, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)]).assign(y=y)
    rng = np.random.default_rng(0)
    for column in ("x1", "x7"):
        frame.loc[rng.choice(rows, rows // 20, replace=False), column] = np.nan
    frame["site"] = np.where(frame.x0 > 0.5, "north", rng.choice(["south", "east"], rows))
    return frame


STUDIES = {
    "friedman (regression)": ("friedman", "y", "lightgbm.LGBMRegressor", ["rmse"]),
    "penguins (3 classes)": ("penguins", "species", "lightgbm.LGBMClassifier", ["accuracy"]),
}
CONFIGS = {"none, 1 thread per fit": ("none", {}), "auto, 1 thread per fit": ("auto", {}),
           "none, booster's own threads": ("none", {"n_jobs": -1})}


def write(folder: Path, data: str, target: str, estimator: str, metrics: list[str], preprocessing: str, extra: dict) -> Path:
    spec = {"name": "bench", "data": {"source": f"{data}.csv", "target": target},
            "model": {"estimator": estimator, "params": {"n_estimators": 150, "verbose": -1, **extra},
                      "preprocessing": preprocessing},
            "evaluation": {"folds": 5, "repeats": 2, "seed": 0, "metrics": metrics},
            "ablations": [{"features": "each", "mode": "drop"}, {"features": "each", "mode": "permute"}],
            "statistics": {"simplify": False}}
    path = folder / f"{preprocessing}_{len(extra)}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    os.environ["ABLATION_TRUSTED_MODULES"] = "lightgbm"
    from ablation_pipeline.pipeline.run import run_study

    print(f"command: bench_boosters.py --rounds {args.rounds} --rows {args.rows}; load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; 5 folds x 2 repeats, every feature dropped and permuted")
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root)
        os.environ.update(ABLATION_RESULTS_DIR=str(folder / "results"), ABLATION_CACHE_DIR=str(folder / "cache"),
                          ABLATION_KEY_FILE=str(folder / "key"))
        friedman_with_gaps(args.rows).to_csv(folder / "friedman.csv", index=False)
        pd.read_csv(PENGUINS).to_csv(folder / "penguins.csv", index=False)
        for label, (data, target, estimator, metrics) in STUDIES.items():
            paths = {name: write(folder, data, target, estimator, metrics, *config) for name, config in CONFIGS.items()}
            run_study(paths[next(iter(CONFIGS))], folder / "warm", cache=False)  # the fold workers started and warm
            times: dict[str, list[float]] = {name: [] for name in CONFIGS}
            verdicts = {}
            for _ in range(args.rounds):
                for name, path in paths.items():
                    started = time.perf_counter()
                    result = run_study(path, folder / "out" / name, cache=False)
                    times[name].append(time.perf_counter() - started)
                    verdicts[name] = result.verdicts
            reference = verdicts[next(iter(CONFIGS))]
            print(f"\n{label}: {len(reference)} variants")
            print(f"  {'configuration':<30} {'best s':>7} {'median s':>9}  verdicts as the first row")
            for name in CONFIGS:
                same = int((verdicts[name] == reference).sum())
                print(f"  {name:<30} {min(times[name]):>7.2f} {np.median(times[name]):>9.2f}  {same}/{len(reference)}")
            changed = reference[verdicts["auto, 1 thread per fit"] != reference]
            for variant in changed.index:
                print(f"    {variant}: none {reference[variant]}, auto {verdicts['auto, 1 thread per fit'][variant]}")
    print(f"\nload average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
