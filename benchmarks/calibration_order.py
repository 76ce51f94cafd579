"""Calibration of forward-chaining splits (`evaluation.order`, issue 25) by simulation with known truth:
error rates and power of the verdicts when every split trains on the past and tests on the next block.

Each simulated study is calibration.py's regression scenario (300 rows; y = anchor + sum_j beta_j x_j + e,
effects known in margins of rmse: 3 noise features, then 1, 1.8, 4.5, 10 and 20 margins) with a time
column `t` (the row's position), run end to end by `run_study` with `evaluation: {folds: 5, order: t}`
(6 blocks, 5 splits: train on blocks 0..k, test on block k + 1), Ridge, every feature dropped. Two
noise processes: independent (`iid`), and autocorrelated in time (`ar`: e_t = 0.6 e_(t-1) + u_t, scaled to
the same variance), where neighbouring test rows are no longer independent.

    .venv/bin/python benchmarks/calibration_order.py --studies 60
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import EFFECTS, NAMES, ROWS  # noqa: E402

AR = 0.6


def frame(rng: np.random.Generator, noise: str) -> pd.DataFrame:
    x = rng.normal(size=(ROWS, len(EFFECTS) + 1))
    beta = np.sqrt(2 * np.array(EFFECTS) * 0.01)  # as calibration.regression_frame: dropping x_j costs C_j % of rmse
    e = rng.normal(size=ROWS)
    if noise == "ar":
        for t in range(1, ROWS):
            e[t] = AR * e[t - 1] + np.sqrt(1 - AR**2) * e[t]
    y = x[:, 0] + x[:, 1:] @ beta + e
    return pd.DataFrame(x, columns=["anchor", *NAMES]).assign(t=np.arange(ROWS), y=y)


def verdicts(studies: int, noise: str, metric: str = "rmse", folds: int = 5) -> pd.DataFrame:
    from ablation_pipeline.pipeline.run import run_study

    found = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(studies):
            frame(np.random.default_rng(7000 + seed), noise).to_csv(Path(folder) / "data.csv", index=False)
            raw = {"name": "ordered", "data": {"source": str(Path(folder) / "data.csv"), "target": "y"},
                   "model": {"estimator": "Ridge"},
                   "evaluation": {"folds": folds, "order": "t", "metrics": [metric, *(m for m in ("rmse", "mse") if m != metric)]},
                   "ablations": [{"features": list(NAMES), "mode": "drop"}], "statistics": {"simplify": False}}
            table = run_study(raw, Path(folder) / "out", cache=False).comparison
            rmse = table[table.metric == metric].set_index("variant")["verdict"]
            found.append({name: rmse[f"drop__{name}"] for name in NAMES})
    return pd.DataFrame(found)


def rates(table: pd.DataFrame) -> dict[str, float]:
    noise = [n for n, c in zip(NAMES, EFFECTS, strict=True) if c == 0]
    out = {"false essential/harmful (family of 3 noise)": float(table[noise].isin(["essential", "harmful"]).any(axis=1).mean()),
           "removable | noise": float((table[noise] == "removable").to_numpy().mean())}
    for name, effect in zip(NAMES, EFFECTS, strict=True):
        if effect > 0:
            out[f"essential | {effect:g} margins"] = float((table[name] == "essential").mean())
            out[f"removable | {effect:g} margins (wrong if >= 1)"] = float((table[name] == "removable").mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=60)
    parser.add_argument("--noise", nargs="*", default=["iid", "ar"])
    parser.add_argument("--metric", default="rmse", help="primary metric: rmse (split-level test) or mse (the rows tell the variance)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    result = {noise: rates(verdicts(args.studies, noise, args.metric, args.folds)) for noise in args.noise}
    print(f"forward chaining, {args.folds} folds ({args.folds + 1} blocks of about {ROWS // (args.folds + 1)} rows), Ridge, drop, "
          f"{args.metric}; {args.studies} studies each; alpha 0.05")
    print(pd.DataFrame(result).round(3).to_string())


if __name__ == "__main__":
    main()
