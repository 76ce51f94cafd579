"""`features: clusters`: one variant per cluster of associated features found in the data, listed in
clusters.csv and the report; a plan whose clusters no longer match the data is refused, not mixed."""

from __future__ import annotations

import pandas as pd
import pytest

from ablation_pipeline.data.dataset import load_dataset
from ablation_pipeline.errors import ChangedDuringRunError
from ablation_pipeline.pipeline.results import CLUSTER_COLUMNS
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import plan_study, setup_from
from ablation_pipeline.spec.loading import load_spec

from builders import twins_frame, write_study

SPEC = {"name": "clustered", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "Ridge"},
        "evaluation": {"folds": 3, "repeats": 1, "metrics": ["rmse"]},
        "ablations": [{"features": "clusters", "threshold": 0.8, "mode": "drop"}, {"features": "each", "mode": "drop"}],
        "statistics": {"simplify": False}}


def test_one_variant_per_cluster_and_no_duplicates(tmp_path):
    plan = plan_study(load_spec(write_study(tmp_path, SPEC, twins_frame())))
    assert [v.name for v in plan.variants] == ["drop__x_and_twin", "drop__other", "drop__noise", "drop__x", "drop__twin"]
    assert [c.members for c in plan.clusters[0]] == [("x", "twin"), ("other",), ("noise",)]


def test_clusters_csv_and_report(tmp_path):
    run_study(load_spec(write_study(tmp_path, SPEC, twins_frame())), tmp_path / "out")
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv")
    assert tuple(clusters.columns) == CLUSTER_COLUMNS
    assert clusters.features.tolist() == ["x+twin", "other", "noise"] and clusters["size"].tolist() == [2, 1, 1]
    assert clusters.association.iloc[0] > 0.99 and clusters.association.iloc[1:].isna().all()
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Feature clusters" in report and "| ablations[0] | 0.8 | 1 | `x+twin` |" in report


def test_a_lower_threshold_joins_more(tmp_path):
    frame = twins_frame().assign(other=lambda f: f.x * 0.6 + f.other * 0.4)  # other now leans on x
    spec = {**SPEC, "ablations": [{"features": "clusters", "threshold": 0.3}]}
    plan = plan_study(load_spec(write_study(tmp_path, spec, frame)))
    assert [c.members for c in plan.clusters[0]] == [("x", "twin", "other"), ("noise",)]


def test_clusters_that_changed_with_the_data_are_refused(tmp_path):
    path = write_study(tmp_path, SPEC, twins_frame())
    plan = plan_study(load_spec(path))
    twins_frame().assign(twin=twins_frame(seed=5).x).to_csv(tmp_path / "data.csv", index=False)  # twin no longer copies x
    changed = load_dataset(load_spec(path))
    with pytest.raises(ChangedDuringRunError, match="clusters of associated features changed"):
        setup_from(plan, changed)
    assert setup_from(plan_study(load_spec(path)), changed).dataset is changed  # planned afresh: fine
