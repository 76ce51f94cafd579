"""Whole studies of torch networks: layer ablations both ways, reproducibility, costs, the report's insight sections."""

from __future__ import annotations

import pandas as pd
import pytest

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec

from builders import mlp_spec, write_study


def test_torch_study_is_reproducible(tmp_path, mlp_result):
    again = run_study(load_spec(write_study(tmp_path, mlp_spec())), tmp_path / "out")
    pd.testing.assert_frame_equal(again.scores, mlp_result.scores)


def test_costs_count_parameters_by_hand(mlp_result):
    """6 inputs, hidden 16 and 8, 2 classes: 6*16+16 + 16*8+8 + 8*2+2 = 266 parameters."""
    costs = pd.read_csv(mlp_result.files["costs"]).set_index("variant")
    assert costs.loc["baseline", "n_parameters"] == 266
    assert costs.loc["remove__hidden1", "n_parameters"] == 6 * 8 + 8 + 8 * 2 + 2
    assert costs.loc["remove__hidden2", "n_parameters"] == 6 * 16 + 16 + 16 * 2 + 2
    assert costs.loc["zero__hidden1", "n_parameters"] == 266 and costs.loc["zero__hidden1", "fit_seconds_per_split"] == 0
    assert (costs["inference_ms_per_1000_rows"] > 0).all()


def test_report_shows_retrain_gap_dose_response_and_costs(mlp_result):
    from ablation_pipeline.evaluation.insights import retrain_gaps

    table = mlp_result.comparison
    gaps = retrain_gaps(table, "accuracy", {"scale__hidden1__x0": 0.0, "scale__hidden1__x1": 1.0}).set_index("inference")
    accuracy = table[table.metric == "accuracy"].set_index("variant")["delta"]
    assert set(gaps.index) == {"zero__hidden1", "zero__hidden2", "mean__hidden2", "resample__hidden2", "random__hidden2"}
    assert gaps.loc["zero__hidden2", "retrain_gap"] == pytest.approx(accuracy["remove__hidden2"] - accuracy["zero__hidden2"])
    report = mlp_result.files["report"].read_text()
    for section in ("## Retrain gap", "## Dose-response", "## Cost", "![cost](costs.png)"):
        assert section in report
    assert (mlp_result.files["report"].parent / "dose_0.png").read_bytes().startswith(b"\x89PNG")


def test_width_sweep_retrains_the_network(tmp_path):
    spec = mlp_spec(ablations=[{"param": "model.network.layers.hidden1.args.out_features", "values": [4, 16]}])
    result = run_study(load_spec(write_study(tmp_path, spec)), tmp_path / "out")
    accuracy = result.comparison[result.comparison.metric == "accuracy"].set_index("variant")["delta"]
    assert accuracy["sweep__out_features__v16"] == 0.0  # the declared width: the baseline, bit for bit
    costs = pd.read_csv(tmp_path / "out" / "costs.csv").set_index("variant")["n_parameters"]
    assert costs["sweep__out_features__v4"] == 6 * 4 + 4 + 4 * 8 + 8 + 8 * 2 + 2


def test_a_study_of_the_users_own_module(tmp_path, monkeypatch):
    """The example's residual network by cross-validation: knock-outs by dotted name, a block removed and
    retrained (an Identity in its place), a constructor argument swept (reproducibility: test_torch_study_is_reproducible)."""
    from builders import REPO

    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.setenv("ABLATION_TRUSTED_MODULES", "data.digits_nets")
    spec = {"name": "own_module", "data": {"source": "sklearn:digits", "target": "target"},
            "model": {"network": {"module": "data.digits_nets:DigitsResNet", "kwargs": {"channels": 8},
                                  "input_shape": [1, 8, 8], "training": {"epochs": 5, "lr": 0.01}}},
            "evaluation": {"folds": 3, "repeats": 1, "metrics": ["accuracy"]},
            "ablations": [{"layers": ["block1.conv2", "block2"], "mode": "zero"}, {"layers": ["block2"], "mode": "remove"},
                          {"param": "model.network.kwargs.channels", "values": [2]}],
            "statistics": {"simplify": False}}
    path = write_study(tmp_path, spec)
    result = run_study(load_spec(path), tmp_path / "out")
    accuracy = result.comparison[result.comparison.metric == "accuracy"].set_index("variant")
    assert set(accuracy.index) == {"zero__block1_conv2", "zero__block2", "remove__block2", "sweep__channels__v2"}
    assert accuracy.verdict.ne("failed").all() and accuracy.baseline_mean.iloc[0] > 0.5
    costs = pd.read_csv(result.files["costs"]).set_index("variant")
    assert costs.loc["remove__block2", "n_parameters"] == costs.loc["baseline", "n_parameters"] - 2 * (8 * 8 * 9 + 8)
