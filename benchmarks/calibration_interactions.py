"""Calibration of the interaction kinds by simulation with known truth: how often `interactions.csv`
calls a pair redundant / complementary / additive / inconclusive, per pair and metric.

    .venv/bin/python benchmarks/calibration_interactions.py               # default --studies 25: ~4 min on 2 cores
    .venv/bin/python benchmarks/calibration_interactions.py --studies 60

Each simulated study is real data written to a CSV and run end to end by `run_study` (no Dagster),
with one spec holding several pairs so their fits are shared (a temporary store lets the pairs reuse
the planned single drops). Two studies per data seed:

- regression, Ridge, 300 rows, 5 folds x 2 repeats, metrics mse and rmse;
  y = 2a + 1.5b + x1 + x2 + x3 + x4 + e, e ~ N(0, 1), every feature independent N(0, 1) except
  twin_k = x_k + N(0, s_k) (no effect of its own). Pairs: noise_1:noise_2 and a:noise_3 (null: no
  interaction in the population), a:b (independent effects: additive in MSE, but not in RMSE, which is
  concave in MSE), x_k:twin_k at copy noise s_k = 0.05, 0.3, 1, 2 (redundant, less so as s grows);
- classification, DecisionTreeClassifier(max_depth=4), 300 rows, accuracy: label = (a > 0) xor
  (b > 0) (a:b complementary: either alone is useless) and a pair of noise features.

The `true I` column is the expected interaction of the model actually fitted on 240 training rows
(4/5 of 300), by a separate Monte Carlo: OLS with the exact expected test loss for the regression
(Ridge with alpha 1 on 240 standardized rows is within a fraction of a percent of it), the same tree
on a 20,000-row test set for the classification. It differs from the population interaction by the
estimation terms (order beta^2 / n): dropping an informative feature inflates the residual variance and
with it the cost of every remaining noisy coefficient. Rates are over data seeds; alpha is the
library's default 0.05 (Holm across the pairs of a metric).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats as sps

ROWS = 300
TRAIN = ROWS * 4 // 5  # 5 folds
ALPHA = 0.05
KINDS = ("redundant", "complementary", "additive", "inconclusive")
OPPOSITE = {"redundant": "complementary", "complementary": "redundant"}

# regression: coefficients, and the copy noise of each twin
BETA = {"a": 2.0, "b": 1.5, "x1": 1.0, "x2": 1.0, "x3": 1.0, "x4": 1.0}
COPY_NOISE = {"1": 0.05, "2": 0.3, "3": 1.0, "4": 2.0}
REG_COLUMNS = ["a", "b", "noise_1", "noise_2", "noise_3", *[f"{p}{k}" for k in COPY_NOISE for p in ("x", "twin")]]


@dataclass(frozen=True)
class PairTruth:
    pair: tuple[str, str]
    role: str  # what the pair is, in words
    truth: dict[str, str]  # metric -> the kind the pair truly has: null, additive, redundant, complementary


REG_PAIRS = [
    PairTruth(("noise_1", "noise_2"), "two noise features", {"mse": "null", "rmse": "null"}),
    PairTruth(("a", "noise_3"), "informative + noise", {"mse": "null", "rmse": "null"}),
    PairTruth(("a", "b"), "independent effects", {"mse": "additive", "rmse": "complementary"}),
    *[PairTruth((f"x{k}", f"twin{k}"), f"near-copies, s = {s:g}", {"mse": "redundant", "rmse": "redundant"})
      for k, s in COPY_NOISE.items()],
]
CLS_PAIRS = [
    PairTruth(("a", "b"), "XOR", {"accuracy": "complementary"}),
    PairTruth(("noise_1", "noise_2"), "two noise features", {"accuracy": "null"}),
]


def regression_frame(rng: np.random.Generator, rows: int = ROWS) -> pd.DataFrame:
    a, b, n1, n2, n3 = rng.normal(size=(5, rows))
    columns = {"a": a, "b": b, "noise_1": n1, "noise_2": n2, "noise_3": n3}
    y = BETA["a"] * a + BETA["b"] * b + rng.normal(size=rows)
    for k, s in COPY_NOISE.items():
        x = rng.normal(size=rows)
        columns[f"x{k}"], columns[f"twin{k}"] = x, x + rng.normal(0, s, rows)
        y = y + BETA[f"x{k}"] * x
    return pd.DataFrame(columns).assign(y=y)


def classification_frame(rng: np.random.Generator, rows: int = ROWS) -> pd.DataFrame:
    a, b, n1, n2 = rng.normal(size=(4, rows))
    return pd.DataFrame({"a": a, "b": b, "noise_1": n1, "noise_2": n2, "label": np.where((a > 0) ^ (b > 0), "yes", "no")})


def study_spec(kind: str, seed: int) -> dict:
    if kind == "regression":
        target, model, metrics, pairs = "y", {"estimator": "Ridge"}, ["mse", "rmse"], REG_PAIRS
    else:
        target, metrics, pairs = "label", ["accuracy"], CLS_PAIRS
        model = {"estimator": "DecisionTreeClassifier", "params": {"max_depth": 4, "random_state": 0}}
    return {"name": f"sim_{kind}", "data": {"source": "data.csv", "target": target}, "model": model,
            "evaluation": {"folds": 5, "repeats": 2, "seed": seed, "metrics": metrics},
            "ablations": [{"features": "each", "mode": "drop"}], "statistics": {"simplify": False},
            "interactions": {"pairs": [list(p.pair) for p in pairs], "mode": "drop"}}


def simulate(kind: str, seed: int) -> pd.DataFrame:
    """One study run end to end: its interactions.csv, with the metric's margin from comparison.csv."""
    from ablation_pipeline.pipeline.run import run_study
    from ablation_pipeline.spec.loading import load_spec
    from ablation_pipeline.store.cache import ResultCache

    make = regression_frame if kind == "regression" else classification_frame
    frame = make(np.random.default_rng([seed, 0 if kind == "regression" else 1]))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        frame.to_csv(root / "data.csv", index=False)
        spec_path = root / "sim.yaml"
        spec_path.write_text(yaml.safe_dump(study_spec(kind, seed), sort_keys=False), encoding="utf-8")
        run_study(load_spec(spec_path), root / "out", ResultCache(root / "store"))
        table = pd.read_csv(root / "out" / "interactions.csv")
        margins = pd.read_csv(root / "out" / "comparison.csv").groupby("metric")["margin"].first()
    return table.assign(seed=seed, margin=table.metric.map(margins))


# ---- the truth, by a separate Monte Carlo -------------------------------------------------------

def regression_truth(reps: int, seed: int = 12345) -> dict[tuple[str, str], dict[str, float]]:
    """Expected I (mse, rmse) of OLS fitted on TRAIN rows, with the exact expected loss over the test
    distribution: E[(y - yhat)^2] = 1 + (beta - bhat)' Sigma (beta - bhat) + intercept^2."""
    rng = np.random.default_rng(seed)
    index = {c: i for i, c in enumerate(REG_COLUMNS)}
    sigma = np.eye(len(REG_COLUMNS))
    for k, s in COPY_NOISE.items():
        x, t = index[f"x{k}"], index[f"twin{k}"]
        sigma[x, t] = sigma[t, x] = 1.0
        sigma[t, t] = 1.0 + s**2
    beta = np.array([BETA.get(c, 0.0) for c in REG_COLUMNS])
    drops = {(): None} | {(c,): None for p in REG_PAIRS for c in p.pair} | {p.pair: None for p in REG_PAIRS}
    losses = {d: np.empty(reps) for d in drops}
    for r in range(reps):
        frame = regression_frame(rng, TRAIN)
        x, y = frame[REG_COLUMNS].to_numpy(), frame.y.to_numpy()
        for dropped in drops:
            keep = [i for c, i in index.items() if c not in dropped]
            coef = np.linalg.lstsq(np.column_stack([np.ones(TRAIN), x[:, keep]]), y, rcond=None)[0]
            w = beta.copy()
            w[keep] -= coef[1:]
            losses[dropped][r] = 1.0 + w @ sigma @ w + coef[0] ** 2
    out = {}
    for p in REG_PAIRS:
        a, b = p.pair
        mse = losses[p.pair] - losses[(a,)] - losses[(b,)] + losses[()]
        root = {d: np.sqrt(losses[d]) for d in ((), (a,), (b,), p.pair)}
        rmse = root[p.pair] - root[(a,)] - root[(b,)] + root[()]
        out[p.pair] = {"mse": float(mse.mean()), "rmse": float(rmse.mean()),
                       "mse_se": float(mse.std(ddof=1) / np.sqrt(reps)), "rmse_se": float(rmse.std(ddof=1) / np.sqrt(reps))}
    return out


def classification_truth(reps: int, seed: int = 54321, test_rows: int = 20_000) -> dict[tuple[str, str], dict[str, float]]:
    """Expected I (accuracy) of the tree fitted on TRAIN rows, scored on one large test set."""
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(seed)
    columns = ["a", "b", "noise_1", "noise_2"]

    def arrays(rows: int) -> tuple[np.ndarray, np.ndarray]:
        frame = classification_frame(rng, rows)
        return frame[columns].to_numpy(), (frame.label == "yes").to_numpy()

    test_x, test_y = arrays(test_rows)
    drops = [(), *[(c,) for p in CLS_PAIRS for c in p.pair], *[p.pair for p in CLS_PAIRS]]
    keeps = {d: [i for i, c in enumerate(columns) if c not in d] for d in drops}
    scores = {d: np.empty(reps) for d in drops}
    for r in range(reps):
        train_x, train_y = arrays(TRAIN)
        for dropped, keep in keeps.items():
            tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(train_x[:, keep], train_y)
            scores[dropped][r] = np.mean(tree.predict(test_x[:, keep]) == test_y)
    out = {}
    for p in CLS_PAIRS:
        a, b = p.pair
        acc = scores[p.pair] - scores[(a,)] - scores[(b,)] + scores[()]
        out[p.pair] = {"accuracy": float(acc.mean()), "accuracy_se": float(acc.std(ddof=1) / np.sqrt(reps))}
    return out


# ---- the report -----------------------------------------------------------------------------------

def upper_bound(k: int, n: int, level: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound of a binomial rate."""
    return 1.0 if k >= n else float(sps.beta.ppf(level, k + 1, n - k))


def summarize(results: pd.DataFrame, pairs: list[PairTruth], truth: dict) -> pd.DataFrame:
    rows = []
    for p in pairs:
        name = ":".join(p.pair)
        for metric, true_kind in p.truth.items():
            got = results[(results.pair == name) & (results.metric == metric)]
            n = len(got)
            rate = {k: float(np.mean(got.kind == k)) for k in KINDS}
            margin = float(got.margin.mean())
            row = {"pair": name, "role": p.role, "metric": metric, "true I": truth[p.pair][metric],
                   "(margins)": truth[p.pair][metric] / margin, "mean I": float(got.interaction.mean()),
                   "truth": true_kind, "n": n, **{k[:5] if k != "inconclusive" else "inconcl": rate[k] for k in KINDS}}
            if true_kind == "null":
                false = int(np.sum(got.kind.isin(["redundant", "complementary"])))
                row |= {"false R/C": false / n, "95% upper": upper_bound(false, n), "power": np.nan, "wrong": np.nan}
            else:
                row |= {"false R/C": np.nan, "95% upper": np.nan, "power": rate[true_kind],
                        "wrong": rate.get(OPPOSITE.get(true_kind, ""), np.nan) if true_kind in OPPOSITE
                        else rate["redundant"] + rate["complementary"]}
            rows.append(row)
    return pd.DataFrame(rows)


def pooled_nulls(results: pd.DataFrame, pairs: list[PairTruth], scenario: str) -> list[dict]:
    """Per metric: every null pair's tests pooled, and the share of studies with any false call."""
    out = []
    metrics = sorted({m for p in pairs for m in p.truth})
    for metric in metrics:
        names = [":".join(p.pair) for p in pairs if p.truth.get(metric) == "null"]
        got = results[results.pair.isin(names) & (results.metric == metric)]
        false = got.kind.isin(["redundant", "complementary"])
        studies = got.assign(false=false).groupby("seed")["false"].any()
        out.append({"scenario": scenario, "metric": metric, "null pairs": len(names), "tests": len(got),
                    "false R/C": float(false.mean()), "95% upper": upper_bound(int(false.sum()), len(got)),
                    "studies with any": float(studies.mean()), "95% upper (studies)": upper_bound(int(studies.sum()), len(studies))})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=25, help="data seeds (one regression and one classification study each)")
    parser.add_argument("--truth-reps", type=int, default=2000, help="Monte Carlo fits for the true I column")
    args = parser.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)

    start = time.perf_counter()
    results = {"regression": [], "classification": []}
    for seed in range(args.studies):
        for kind in results:
            results[kind].append(simulate(kind, seed))
        if (seed + 1) % 5 == 0 or seed + 1 == args.studies:
            print(f"  {seed + 1}/{args.studies} seeds simulated, {time.perf_counter() - start:.0f} s", flush=True)
    simulated = time.perf_counter() - start
    truths = {"regression": regression_truth(args.truth_reps), "classification": classification_truth(args.truth_reps // 4)}

    pooled = []
    for kind, pairs in (("regression", REG_PAIRS), ("classification", CLS_PAIRS)):
        table = summarize(pd.concat(results[kind], ignore_index=True), pairs, truths[kind])
        pooled += pooled_nulls(pd.concat(results[kind], ignore_index=True), pairs, kind)
        print(f"\n{kind}, {args.studies} studies, alpha = {ALPHA} (Holm across the {len(pairs)} pairs of each metric); "
              f"rates of each kind")
        print("  true I: expected interaction of the fitted model (Monte Carlo), also in margins; mean I: over the studies;\n"
              "  false R/C: redundant or complementary on a null pair; power: rate of the true kind; wrong: the opposite kind\n"
              "  (for an additive truth: redundant or complementary)")
        print(table.round(3).to_string(index=False, na_rep=""))
    print("\nnull pairs pooled per metric (false R/C per test; share of studies with any false call among them)")
    print(pd.DataFrame(pooled).round(3).to_string(index=False))
    se = {f"{':'.join(k)} {m}": round(v[f"{m}_se"], 4) for truth in truths.values() for k, v in truth.items()
          for m in ("mse", "rmse", "accuracy") if f"{m}_se" in v}
    print(f"\ntrue I Monte Carlo standard errors: {se}")
    print(f"simulation {simulated:.0f} s, total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
