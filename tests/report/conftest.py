"""The report tests' comparison table (r2 rows first on purpose) and report context."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ablation_pipeline.report.context import ReportContext
from ablation_pipeline.vocabulary import COMPARISON_COLUMNS as COLUMNS

from builders import comparison_row as row


@pytest.fixture
def comparison() -> pd.DataFrame:
    # r2 rows come first on purpose: the report must still put the primary metric (rmse) first.
    rows = [
        row("drop_rooms", "drop", "rooms", "r2", 0.81, 0.70, -0.15, -0.07, -7.0, 3e-5, -2.2, "essential"),
        row("drop_noise", "drop", "noise|junk", "r2", 0.81, 0.83, 0.01, 0.03, 3.9, 0.006, 1.2, "harmful"),
        row("permute_age", "permute", "age", "r2", 0.81, 0.809, -0.01, 0.008, -0.2, 0.8, -0.07, "removable"),
        row("mean_size", "mean", "size+garage", "r2", 0.81, 0.79, -0.08, 0.04, -0.8, 0.88, -0.25, "inconclusive"),
        row("drop_rooms", "drop", "rooms", "rmse", 2.5, 3.4, 0.6, 1.2, 8.1, 0.00001, 2.6, "essential"),
        row("drop_noise", "drop", "noise|junk", "rmse", 2.5, 2.3, -0.3, -0.1, -4.2, 0.0012, -1.3, "harmful"),
        row("permute_age", "permute", "age", "rmse", 2.5, 2.52, -0.05, 0.09, 0.9, 0.78, 0.28, "removable"),
        row("mean_size", "mean", "size+garage", "rmse", 2.5, 2.5, 0.0, 0.0, math.inf, 1.0, math.inf, "inconclusive"),
    ]
    df = pd.DataFrame(rows)
    assert list(df.columns) == list(COLUMNS)
    return df


@pytest.fixture
def ctx() -> ReportContext:
    return ReportContext(
        study="housing", description="Which features matter for house prices?", primary_metric="rmse",
        higher_is_better={"rmse": False, "r2": True}, alpha=0.05, correction="holm",
        margins={"rmse": 0.15, "r2": 0.025}, n_splits=10, folds=5, repeats=2, design="5 folds x 2 repeats", task="regression",
        model="sklearn.linear_model.Ridge",
        lineage={"data_version": "sha256:0123abcd", "spec_hash": "f00dfeed", "n_rows": "500"},
        omnibus={"rmse": {"F": 12.34, "df_num": 3, "df_den": 27, "p_value": 0.00002}},
    )
