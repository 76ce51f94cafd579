"""Torch networks in studies: layer ablations (retrained and at inference), weight-scale sweeps,
feature ablations on torch models, agreement with Captum, and the errors a spec can make."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from ablation_pipeline.cli import app
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.pipeline.steps import study_splits as make_splits
from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.pipeline.run import run_study
from conftest import write_study

MLP = {
    "layers": [
        {"name": "hidden1", "type": "Linear", "args": {"out_features": 16}},
        {"name": "act1", "type": "ReLU"},
        {"name": "hidden2", "type": "Linear", "args": {"out_features": 8}},
        {"name": "act2", "type": "ReLU"},
        {"name": "out", "type": "Linear", "output": True},
    ],
    "training": {"lr": 0.01, "epochs": 8, "batch_size": 32, "seed": 0},
}


def mlp_spec(**changes) -> dict:
    spec = {
        "name": "mlp",
        "data": {"source": "sklearn:breast_cancer", "target": "target", "features": [
            "mean_radius", "mean_texture", "mean_concave_points", "worst_area", "worst_concavity", "area_error"]},
        "model": {"network": copy.deepcopy(MLP)},
        "evaluation": {"folds": 3, "repeats": 1, "seed": 0, "metrics": ["accuracy", "roc_auc"]},
        "ablations": [
            {"layers": "each", "mode": "remove"},
            {"layers": ["hidden1", "hidden2"], "mode": "zero"},
            {"layers": ["hidden2"], "mode": "mean"},
            {"layers": ["hidden2"], "mode": "resample"},
            {"layers": ["hidden2"], "mode": "random"},
            {"layers": ["hidden1"], "mode": "scale", "factors": [0, 1]},
            {"features": ["worst_area"], "mode": "permute", "permutations": 2},
        ],
    }
    spec.update(changes)
    return spec


@pytest.fixture(scope="module")
def mlp_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlp")
    return run_study(load_spec(write_study(folder, mlp_spec())), folder / "out")


def test_layer_ablation_variants_and_their_names(mlp_result):
    names = list(dict.fromkeys(mlp_result.comparison.variant))
    assert names == ["remove__hidden1", "remove__act1", "remove__hidden2", "remove__act2", "zero__hidden1", "zero__hidden2",
                     "mean__hidden2", "resample__hidden2", "random__hidden2", "scale__hidden1__x0", "scale__hidden1__x1",
                     "permute__worst_area"]
    kinds = mlp_result.comparison.drop_duplicates("variant").set_index("variant")["kind"]
    assert kinds["remove__hidden1"] == "layer" and kinds["permute__worst_area"] == "feature"


def test_scale_one_is_the_baseline_and_zeroing_hurts(mlp_result):
    table = mlp_result.comparison[mlp_result.comparison.metric == "accuracy"].set_index("variant")
    same = table.loc["scale__hidden1__x1"]
    assert (same.delta, same.p_value) == (0.0, 1.0)  # weights x1: identical predictions, "no difference"
    assert table.loc["zero__hidden1", "delta"] < -0.2  # nothing flows through: near chance
    assert table.loc["scale__hidden1__x0", "delta"] < -0.2  # weights x0 leave only hidden1's bias: as bad


def test_torch_study_is_reproducible(tmp_path, mlp_result):
    again = run_study(load_spec(write_study(tmp_path, mlp_spec())), tmp_path / "out")
    pd.testing.assert_frame_equal(again.scores, mlp_result.scores)


def test_feature_ablation_on_a_torch_model_agrees_with_captum(tmp_path):
    """Our `mean` feature ablation, on a fitted torch pipeline, equals Captum's FeatureAblation with
    the training mean as baseline (0 after the pipeline's scaler), row by row."""
    from captum.attr import FeatureAblation

    from ablation_pipeline.ablations.perturbations import perturb
    from ablation_pipeline.pipeline.steps import baseline

    spec = mlp_spec(ablations=[{"features": "each", "mode": "mean"}])
    setup = set_up(plan_study(load_spec(write_study(tmp_path, spec))))
    split = make_splits(setup)[0]
    model = baseline(setup, [split]).models[0]
    rows = setup.dataset.features.iloc[split.test]
    scaled = torch.tensor(model[:-1].transform(rows), dtype=torch.float32)
    network = model[-1].model_.eval()
    attribution = FeatureAblation(lambda x: torch.softmax(network(x), dim=1)).attribute(scaled, baselines=0.0, target=1)
    original = model.predict_proba(rows)[:, 1]
    for i, variant in enumerate(setup.plan.variants):
        ablated = model.predict_proba(perturb(variant, setup.dataset, split, 0, 0))[:, 1]
        np.testing.assert_allclose(original - ablated, attribution[:, i].detach().numpy(), atol=2e-6)


@pytest.mark.parametrize(("change", "message"), [
    ({"model": {"estimator": "LogisticRegression"}},
     "ablations[0].layers: layer ablations need a torch network (model.network); model.estimator 'LogisticRegression' has no named layers"),
    ({"ablations": [{"layers": ["out"], "mode": "zero"}]}, "ablations[0].layers[0]: 'out' is the output layer and cannot be ablated"),
    ({"ablations": [{"layers": ["hiden2"], "mode": "zero"}]}, "ablations[0].layers[0]: unknown layer 'hiden2'; did you mean 'hidden2'?"),
    ({"ablations": [{"layers": ["hidden1"], "mode": "drop"}]}, "ablations[0]: mode 'drop' does not apply to layers; expected one of remove"),
    ({"ablations": [{"layers": ["hidden1"], "mode": "scale"}]}, "ablations[0]: modes scale and noise need factors"),
    ({"model": {"network": {**MLP, "layers": [{"name": "h", "type": "Transformer"}, MLP["layers"][-1]]}}},
     "model.network.layers[0].type: layer type 'Transformer' is not allowed"),
    ({"model": {"estimator": "Ridge", "network": MLP}}, "model: give exactly one of estimator"),
])
def test_bad_torch_specs_give_one_clear_line(tmp_path, change, message):
    path = write_study(tmp_path, mlp_spec(**change))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_removal_that_breaks_the_network_is_named(tmp_path):
    cnn = {"input_shape": [1, 8, 8], "layers": [
        {"name": "conv", "type": "Conv2d", "args": {"out_channels": 4, "kernel_size": 3}},
        {"name": "flat", "type": "Flatten"},
        {"name": "out", "type": "Linear", "output": True}]}
    spec = {"name": "cnn", "data": {"source": "sklearn:digits", "target": "target"}, "model": {"network": cnn},
            "ablations": [{"layers": ["flat"], "mode": "remove"}]}
    result = CliRunner().invoke(app, ["validate", str(write_study(tmp_path, spec))])
    assert result.exit_code == 2
    line = " ".join(result.stderr.split())
    assert "ablations[0].layers[0]: removing 'flat' makes the network invalid" in line and "'out'" in line


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
