"""Time-ordered data (`evaluation.order`): forward-chaining splits never train on the future, the order
column is not a feature, and every problem with it is one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation_pipeline.data.dataset import data_spec_fingerprint, load_dataset
from ablation_pipeline.data.splits import make_splits
from ablation_pipeline.errors import AblationError
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.spec.loading import load_spec

from builders import write_study


def _timed(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, rows))
    days = pd.date_range("2024-01-01", periods=rows, freq="D").strftime("%Y-%m-%d").to_numpy()
    shuffled = rng.permutation(rows)  # the file is not in time order
    frame = pd.DataFrame({"day": days, "a": a, "b": b, "c": rng.normal(size=rows), "y": 2 * a + rng.normal(0, 0.5, rows)})
    return frame.iloc[shuffled].reset_index(drop=True)


def _spec(**evaluation) -> dict:
    return {"name": "timed", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "Ridge"},
            "evaluation": {"folds": 4, "order": "day", **evaluation}, "ablations": [{"features": "each", "mode": "drop"}]}


def test_every_split_trains_on_the_past_and_tests_on_the_next_block(tmp_path):
    frame = _timed()
    spec = load_spec(write_study(tmp_path, _spec(), frame))
    dataset = load_dataset(spec)
    assert "day" not in dataset.features.columns and spec.evaluation.planned_repeats == 1 and not spec.evaluation.adaptive
    splits = make_splits(dataset, spec.evaluation)
    times = pd.to_datetime(frame["day"]).to_numpy()
    assert [len(s.test) for s in splits] == [24, 24, 24, 24] and [len(s.train) for s in splits] == [24, 48, 72, 96]
    for split in splits:
        assert times[split.train].max() < times[split.test].min()  # never trained on the future
    first_block = set(range(120)) - set(np.concatenate([s.test for s in splits]))
    assert times[list(first_block)].max() < times[splits[0].test].min()  # the first block is only ever trained on
    assert data_spec_fingerprint(spec) != data_spec_fingerprint(load_spec(write_study(tmp_path / "plain", {
        **_spec(), "evaluation": {"folds": 4}}, frame)))


def test_a_study_in_time_order_runs_every_part(tmp_path):
    """Drop, permute, an interaction pair and the simplified model, all on the forward chain."""
    spec = {**_spec(), "ablations": [{"features": "each", "mode": "drop"}, {"features": ["a"], "mode": "permute"}],
            "interactions": {"pairs": [["a", "b"]]}}
    result = run_study(load_spec(write_study(tmp_path, spec, _timed(200))), tmp_path / "out")
    rmse = result.comparison[result.comparison.metric == "rmse"].set_index("variant")
    assert (rmse.n_splits == 4).all() and rmse.loc["drop__a", "verdict"] == "essential"
    assert rmse.loc["permute__a", "verdict"] == "essential"
    assert (tmp_path / "out" / "interactions.csv").is_file() and "## Simplified model" in result.files["report"].read_text()


@pytest.mark.parametrize(("change", "frame_change", "message"), [
    ({"order": "dy"}, None, "evaluation.order: unknown column 'dy'; did you mean 'day'?"),
    ({"order": "y"}, None, "evaluation.order: 'y' is the target; name the column that orders the rows in time"),
    ({}, lambda f: f.assign(day=["2024-01-05"] * 60 + ["Jan 6"] * 60),
     "evaluation.order: column 'day' holds 'Jan 6', which is neither a number nor an ISO date or time"),
    ({}, lambda f: f.assign(day=f.day.where(f.index > 2)), "evaluation.order: column 'day' has 3 missing value(s)"),
    ({"groups": "a"}, None, "order chains the splits forward in time; it cannot be combined with groups"),
    ({"holdout": {"fraction": 0.2}, "folds": None}, None, "it cannot be combined with holdout"),
    ({"repeats": 3}, None, "repeats: splits ordered in time are one fixed chain, nothing to repeat; drop repeats"),
])
def test_an_order_that_cannot_work_is_one_line(tmp_path, change, frame_change, message):
    spec = _spec(**change)
    spec["evaluation"] = {k: v for k, v in spec["evaluation"].items() if v is not None}
    frame = _timed() if frame_change is None else frame_change(_timed())
    with pytest.raises(AblationError) as caught:
        check_study(write_study(tmp_path, spec, frame))
    assert message in str(caught.value) and "\n" not in str(caught.value)
