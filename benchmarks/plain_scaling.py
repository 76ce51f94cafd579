"""The reference for bench_scaling.py: the fits of a `features: each, mode: drop` study written as the
plain script a user would write instead (no Dagster, no cache, no statistics): the baseline and every
single-feature drop on the same RepeatedKFold splits, numeric columns median-imputed and scaled.

`--jobs N` spreads each variant's folds over N joblib workers, as the project's in-process runner
does; `--only-drop a,b` fits just the variant without those columns (what a "+1 variant" run adds).
The last line printed is JSON: fits, the fitting loop's seconds (data loaded, interpreter start
excluded) and the mean primary score, so the benchmark can read it.

    .venv/bin/python benchmarks/plain_scaling.py data.csv --model ridge|forest|mlp [--jobs 2] [--only-drop x0,x1]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, root_mean_squared_error
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

FOLDS, REPEATS, SEED = 5, 2, 0
N_ESTIMATORS = 30
MLP = {"hidden": (32, 16), "lr": 0.003, "epochs": 5, "batch_size": 32}


def prepare() -> Pipeline:
    """The project's numeric preprocessing (every column here is numeric)."""
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler())


def fit_sklearn(model: str, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    """Ridge or a random forest behind the preprocessing: fit, then predict the test fold."""
    if model == "ridge":
        from sklearn.linear_model import Ridge

        estimator = Ridge()
    else:
        from sklearn.ensemble import RandomForestRegressor

        estimator = RandomForestRegressor(n_estimators=N_ESTIMATORS, random_state=0)
    return make_pipeline(prepare(), estimator).fit(X_train, y_train).predict(X_test)


def fit_mlp(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    """A hand-written torch MLP classifier (Adam, cross-entropy, shuffled mini-batches, one thread per
    fit like the project's networks); torch is imported only for this model, as a Ridge-only script would not."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(0)
    scaler = prepare().fit(X_train)
    classes, codes = np.unique(y_train, return_inverse=True)
    X_t = torch.from_numpy(scaler.transform(X_train).astype(np.float32))
    y_t = torch.from_numpy(codes.astype(np.int64))
    (h1, h2), width = MLP["hidden"], X_t.shape[1]
    net = nn.Sequential(nn.Linear(width, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(), nn.Linear(h2, len(classes)))
    optimizer = torch.optim.Adam(net.parameters(), lr=MLP["lr"])
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    for _ in range(MLP["epochs"]):
        order = torch.randperm(len(X_t), generator=generator)
        for start in range(0, len(X_t), MLP["batch_size"]):
            batch = order[start : start + MLP["batch_size"]]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(net(X_t[batch]), y_t[batch]).backward()
            optimizer.step()
    with torch.inference_mode():
        logits = net(torch.from_numpy(scaler.transform(X_test).astype(np.float32)))
    return classes[logits.argmax(dim=1).numpy()]


def fit_and_score(model: str, X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    """One fold: RMSE for the regressors, accuracy for the classifier."""
    if model == "mlp":
        return accuracy_score(y[test], fit_mlp(X[train], y[train], X[test]))
    return root_mean_squared_error(y[test], fit_sklearn(model, X[train], y[train], X[test]))


def splits_of(model: str, X: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Repeated K-fold, stratified for the classifier as the project does for classification."""
    if model == "mlp":
        return list(RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=SEED).split(X, y))
    return list(RepeatedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=SEED).split(X))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--model", choices=["ridge", "forest", "mlp"], default="ridge")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only-drop", default=None, help="comma-separated columns: fit only the variant without them")
    args = parser.parse_args()
    frame = pd.read_csv(args.csv)
    y = frame.pop("y").to_numpy()
    features = list(frame.columns)
    if args.only_drop:
        dropped = set(args.only_drop.split(","))
        variants = [[f for f in features if f not in dropped]]
    else:
        variants = [features] + [[f for f in features if f != gone] for gone in features]
    splits = splits_of(args.model, frame.to_numpy(), y)
    if args.model == "mlp":
        import torch  # noqa: F401  (start-up, as a torch script's first line: not part of the fitting loop)
    started = time.perf_counter()
    scores = []
    with Parallel(n_jobs=args.jobs) as parallel:  # one pool for the whole loop, as the project reuses its workers
        for kept in variants:
            X = frame[kept].to_numpy()
            scores += parallel(delayed(fit_and_score)(args.model, X, y, train, test) for train, test in splits)
    seconds = time.perf_counter() - started
    print(json.dumps({"fits": len(scores), "fit_seconds": round(seconds, 4), "mean_score": float(np.mean(scores))}))


if __name__ == "__main__":
    main()
