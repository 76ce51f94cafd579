"""Time the report's figures for studies of many variants: the forest plot and the cost plot, warm,
best of three, on a synthetic comparison table of N drop variants.

    .venv/bin/python benchmarks/bench_report_figures.py 10 50 150

To compare two commits side by side, run it under each one's worktree in turn:
    git worktree add /tmp/old <commit>
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/bench_report_figures.py 150
    .venv/bin/python benchmarks/bench_report_figures.py 150
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from ablation_pipeline.report.forest import forest_plot_png
from ablation_pipeline.report.plots import cost_figure, figure_png

VERDICTS = ("essential", "removable", "inconclusive")


def comparison(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    delta = rng.normal(0, 1, n)
    table = pd.DataFrame({
        "variant": [f"drop__feature_{i:03d}" for i in range(n)], "kind": "feature", "mode": "drop",
        "components": [f"feature_{i:03d}" for i in range(n)], "metric": "rmse", "baseline_mean": 10.0,
        "variant_mean": 10.0 + delta, "delta": delta, "ci_low": delta - 0.5, "ci_high": delta + 0.5, "t": 1.0, "df": 9,
        "p_value": 0.1, "p_adjusted": 0.5, "effect_size_dz": 0.1, "n_splits": 10,
        "verdict": [VERDICTS[i % 3] for i in range(n)], "reason": ""})
    costs = pd.DataFrame({"variant": ["baseline", *table.variant], "n_parameters": rng.integers(10, 100, n + 1),
                          "fit_seconds_per_split": rng.random(n + 1)})
    return table, costs


def best_of(runs: int, work) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    for n in [int(a) for a in sys.argv[1:]] or [10, 50, 150]:
        table, costs = comparison(n)
        forest_plot_png(table, "rmse", False, 0.1)  # warm: fonts and lazy imports
        forest = best_of(3, lambda: forest_plot_png(table, "rmse", False, 0.1))  # noqa: B023
        cost = best_of(3, lambda: figure_png(cost_figure(table, costs, "rmse")))  # noqa: B023
        print(f"n={n:4d}  forest plot {forest:.3f} s  cost plot {cost:.3f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
