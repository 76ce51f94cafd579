"""Dagster's own floor for one command that records a run: the interpreter, the imports a study's steps
need (Dagster, pandas, scikit-learn, scipy.stats, statsmodels' multiple testing, matplotlib), the local
instance in DAGSTER_HOME, and one run of one trivial asset in it. `bench_scaling.py` times it as a
whole command beside `ablation run`'s: an alpha-only or +1 command cannot cost less than this.

    DAGSTER_HOME=... .venv/bin/python benchmarks/run_floor.py

(No `from __future__ import annotations`: Dagster checks the `context` annotation's type.)
"""

import matplotlib

matplotlib.use("Agg")

import dagster as dg  # noqa: E402
import matplotlib.figure  # noqa: E402, F401
import pandas  # noqa: E402, F401
import scipy.stats  # noqa: E402, F401
import sklearn.linear_model  # noqa: E402, F401
import statsmodels.stats.multitest  # noqa: E402, F401


@dg.asset(key=["floor", "nothing"])
def nothing() -> dg.MaterializeResult:
    return dg.MaterializeResult(data_version=dg.DataVersion("0"))


def main() -> None:
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([nothing], instance=instance, run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
        assert result.success


if __name__ == "__main__":
    main()
