"""Parse -> plan -> set up: planning reads only the data header; set-up checks everything else,
reporting every problem at once."""

from __future__ import annotations

import pytest

from ablation_pipeline.errors import DataError, SpecError
from ablation_pipeline.pipeline.setup import check_study, plan_study, set_up
from ablation_pipeline.spec.loading import load_spec

from builders import linear_frame, small_spec, write_study


def test_plan_reads_only_the_header(tmp_path):
    """Rows that cannot even be decoded do not stop planning: only the header line was parsed."""
    path = write_study(tmp_path, small_spec(), linear_frame())
    header = (tmp_path / "data.csv").read_bytes().split(b"\n", 1)[0]
    (tmp_path / "data.csv").write_bytes(header + b"\n1,2,3\x00\xff\xfe,not,a,row,at,all\n")
    plan = plan_study(load_spec(path))
    assert plan.features == ("a", "b", "c", "const", "city")
    assert len(plan.variants) == 7
    with pytest.raises(DataError, match="cannot read"):
        set_up(plan)


def test_data_features_subset_limits_each(tmp_path):
    spec = small_spec(ablations=[{"features": "each"}])
    spec["data"] = {"source": "data.csv", "target": "y", "features": ["a", "b", "city"]}
    path = write_study(tmp_path, spec, linear_frame())
    assert [v.name for v in plan_study(load_spec(path)).variants] == ["drop__a", "drop__b", "drop__city"]


def test_check_study_reports_every_problem_at_once(tmp_path):
    spec = small_spec(evaluation={"folds": 3, "metrics": ["rmse", "accuracy"]}, model={"estimator": "Ridge", "params": {"alpah": 1}})
    with pytest.raises(SpecError) as caught:
        check_study(write_study(tmp_path, spec, linear_frame()))
    lines = str(caught.value).splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "evaluation.metrics[1]: 'accuracy' is a classification metric but the task is regression",
        "model.params.alpah: unknown parameter of Ridge; did you mean 'alpha'?",
    ]
