"""Side-by-side timings of the study graph against a plain script, on this machine, in one run.

  cold      the graph from scratch (`ablation run --executor E`, empty cache and instance)
  no-op     the same command again (nothing changed)
  +variant  one ablation added to the spec
  plain     benchmarks/plain_study.py: the same fits and scoring, sequential (and on 2 joblib workers)

Every number is the wall time of a whole command (interpreter start included), as a user sees it.
Run: .venv/bin/python benchmarks/bench_executors.py [--features 14] [--rows 3000] [--n-estimators 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from sklearn.datasets import make_regression

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def write_spec(folder: Path, n_estimators: int, extra: bool = False) -> Path:
    ablations = [{"features": "each", "mode": "drop"}]
    if extra:
        ablations.append({"features": [["x0", "x1"]], "mode": "drop"})
    spec = {
        "name": "bench", "data": {"source": "bench.csv", "target": "y"},
        "model": {"estimator": "GradientBoostingRegressor", "params": {"n_estimators": n_estimators, "random_state": 0}},
        "evaluation": {"folds": 5, "repeats": 2, "seed": 0, "metrics": ["rmse"]},
        "ablations": ablations,
        "statistics": {"simplify": False},  # exactly the plain script's fits (the simplified model would add one variant's)
    }
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=14)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--n-estimators", type=int, default=60)
    parser.add_argument("--executors", default="multiprocess,in_process,dask")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ablation-bench-"))
    X, y = make_regression(n_samples=args.rows, n_features=args.features, n_informative=args.features // 2, noise=5.0, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(args.features)]).assign(y=y)
    frame.to_csv(root / "bench.csv", index=False)
    spec = write_spec(root, args.n_estimators)
    print(f"study: {args.features} drop variants + baseline, 5x2 splits, GradientBoostingRegressor({args.n_estimators} trees), "
          f"{args.rows} rows; {os.cpu_count()} cores; folder {root}")

    base_env = {**os.environ, "COLUMNS": "160"}
    plain_command = [sys.executable, str(HERE / "plain_study.py"), str(root / "bench.csv"), "--n-estimators", str(args.n_estimators)]
    plain = timed(plain_command, base_env)
    plain2 = timed([*plain_command, "--jobs", "2"], base_env)
    print(f"plain sequential script          {plain:7.1f} s   1.00")
    print(f"plain script, 2 joblib workers   {plain2:7.1f} s   {plain2 / plain:.2f}")

    for executor in args.executors.split(","):
        env = {**base_env, "DAGSTER_HOME": str(root / f"home_{executor}"), "ABLATION_CACHE_DIR": str(root / f"cache_{executor}"),
               "ABLATION_RESULTS_DIR": str(root / f"results_{executor}")}
        run = [str(BIN / "ablation"), "run", str(spec), "--executor", executor]
        write_spec(root, args.n_estimators)
        cold = timed(run, env)
        noop = timed(run, env)
        write_spec(root, args.n_estimators, extra=True)
        added = timed(run, env)
        print(f"graph {executor:<13} cold          {cold:7.1f} s   {cold / plain:.2f}   (target <= 0.65 for the default executor)")
        print(f"graph {executor:<13} no-op         {noop:7.1f} s   {noop / cold:.3f} of cold (target <= 0.05)")
        print(f"graph {executor:<13} +1 variant    {added:7.1f} s   {added / cold:.3f} of cold (target <= 0.15)")


if __name__ == "__main__":
    main()
