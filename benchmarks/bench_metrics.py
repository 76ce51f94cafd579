"""The study's label and ranking metrics against scikit-learn's own functions, per call, side by side: a
study calls them once per variant, split and draw, and a held-out study's paired bootstrap 200 times more.
Each pair is checked equal before it is timed. Medians of 5 rounds of 200 calls.

    .venv/bin/python benchmarks/bench_metrics.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from sklearn import metrics as skm

from ablation_pipeline.evaluation.metrics import METRICS, evaluate

CASES = ((200, 2), (200, 3), (2000, 2), (2000, 10))


def per_call_ms(work, *args, calls: int = 200, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            work(*args)
        times.append((time.perf_counter() - started) / calls * 1e3)
    return statistics.median(times)


def theirs(name: str, y: np.ndarray, pred: np.ndarray, proba: np.ndarray, classes: int) -> float:
    if name == "roc_auc":
        return skm.roc_auc_score(y, proba[:, 1]) if classes == 2 else \
            skm.roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(classes))
    if name == "balanced_accuracy":
        return skm.balanced_accuracy_score(y, pred)
    average = {"average": "binary", "pos_label": 1} if classes == 2 else {"average": "macro"}
    return getattr(skm, f"{name}_score")(y, pred, zero_division=0, **average)


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'metric':18s} {'rows':>5s} {'classes':>7s} {'ours ms':>8s} {'sklearn ms':>10s} {'sklearn/ours':>12s}")
    for rows, classes in CASES:
        y = rng.integers(0, classes, rows)
        logits = rng.normal(size=(rows, classes)) + np.eye(classes)[y]
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        pred = proba.argmax(axis=1)
        for name in ("roc_auc", "f1", "precision", "recall", "balanced_accuracy"):
            metric = METRICS[name]
            assert np.isclose(evaluate(metric, y, pred, proba, classes), theirs(name, y, pred, proba, classes), rtol=1e-12)
            ours = per_call_ms(evaluate, metric, y, pred, proba, classes)
            plain = per_call_ms(theirs, name, y, pred, proba, classes)
            print(f"{name:18s} {rows:5d} {classes:7d} {ours:8.3f} {plain:10.3f} {plain / ours:12.1f}")


if __name__ == "__main__":
    main()
