"""The reference for bench_executors.py: the same fits and scoring as the benchmark study, written
as a plain scikit-learn script (no Dagster, no caching). `--jobs 2` spreads it over joblib workers."""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import RepeatedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def fit_and_score(frame: pd.DataFrame, y: np.ndarray, features: list[str], train, test, params: dict) -> float:
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    prepare = ColumnTransformer([("numeric", numeric, features)])
    model = Pipeline([("prepare", prepare), ("model", GradientBoostingRegressor(random_state=0, **params))])
    model.fit(frame.iloc[train][features], y[train])
    return root_mean_squared_error(y[test], model.predict(frame.iloc[test][features]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--n-estimators", type=int, default=60)
    args = parser.parse_args()
    started = time.perf_counter()
    frame = pd.read_csv(args.csv)
    y = frame.pop("y").to_numpy()
    features = list(frame.columns)
    variants = [features] + [[f for f in features if f != dropped] for dropped in features]
    splits = list(RepeatedKFold(n_splits=5, n_repeats=2, random_state=0).split(frame))
    tasks = [(kept, train, test) for kept in variants for train, test in splits]
    params = {"n_estimators": args.n_estimators}
    scores = Parallel(n_jobs=args.jobs)(delayed(fit_and_score)(frame, y, kept, tr, te, params) for kept, tr, te in tasks)
    print(f"{len(tasks)} fits, mean rmse {np.mean(scores):.4f}, {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
