"""Torch networks: spec validation, layer removal with inferred sizes, the scikit-learn estimators
(real fits on small data) and inference-time knock-outs, checked against hand-computed values."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, make_classification, make_regression  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from ablation_pipeline.errors import SpecError  # noqa: E402
from ablation_pipeline.spec.network import parse_network, removable_layers  # noqa: E402
from ablation_pipeline.torch_nets.build import build_network, count_parameters  # noqa: E402
from ablation_pipeline.torch_nets.estimator import TorchClassifier, TorchRegressor  # noqa: E402
from ablation_pipeline.torch_nets.knockouts import (  # noqa: E402
    knockout,
    mean_activations,
    predict_proba_with_knockout,
    predict_with_knockout,
)
from ablation_pipeline.torch_nets.train import validation_split  # noqa: E402


def _mlp(hidden=(16,), epochs=30, lr=0.01, **training) -> dict:
    layers = []
    for i, width in enumerate(hidden, start=1):
        layers += [{"name": f"h{i}", "type": "Linear", "args": {"out_features": width}}, {"name": f"relu{i}", "type": "ReLU"}]
    layers.append({"name": "out", "type": "Linear", "output": True})
    return {"layers": layers, "training": {"epochs": epochs, "lr": lr, "batch_size": 32, **training}}


CNN = {
    "input_shape": [1, 8, 8],
    "layers": [
        {"name": "conv1", "type": "Conv2d", "args": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
        {"name": "bn1", "type": "BatchNorm2d"},
        {"name": "relu1", "type": "ReLU"},
        {"name": "pool1", "type": "MaxPool2d", "args": {"kernel_size": 2}},
        {"name": "conv2", "type": "Conv2d", "args": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
        {"name": "relu2", "type": "ReLU"},
        {"name": "flatten", "type": "Flatten"},
        {"name": "out", "type": "Linear", "output": True},
    ],
    "training": {"epochs": 4, "lr": 0.01, "batch_size": 64},
}


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.data[:600] / 16.0, data.target[:600]


@pytest.fixture(scope="module")
def separable():
    return make_classification(n_samples=200, n_features=6, n_informative=4, class_sep=2.0, random_state=0)


# ---------------------------------------------------------------- a network with hand-set weights


@pytest.fixture
def hand_net():
    """x -> relu([[1, -1], [2, 0]] x + [0, -1]) -> [1, 1] h + 0.5.
    x=(3, 1): h=(2, 5), y=7.5;  x=(1, 3): h=(0, 1), y=1.5."""
    spec = {"layers": [{"name": "hidden", "type": "Linear", "args": {"out_features": 2}},
                       {"name": "relu", "type": "ReLU"},
                       {"name": "out", "type": "Linear", "output": True}]}
    net = build_network(spec, n_inputs=2, n_outputs=1).eval()
    with torch.no_grad():
        net.hidden.weight.copy_(torch.tensor([[1.0, -1.0], [2.0, 0.0]]))
        net.hidden.bias.copy_(torch.tensor([0.0, -1.0]))
        net.out.weight.copy_(torch.tensor([[1.0, 1.0]]))
        net.out.bias.copy_(torch.tensor([0.5]))
    return net


X_HAND = torch.tensor([[3.0, 1.0], [1.0, 3.0]])


def _out(net):
    with torch.no_grad():
        return net(X_HAND).ravel().tolist()


def _no_hooks(net) -> bool:
    return all(not m._forward_hooks for m in net.modules())


def _state(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


def _same_state(net, state) -> bool:
    return all(torch.equal(v, state[k]) for k, v in net.state_dict().items())


def test_hand_network_and_zero_knockout_gives_the_bias(hand_net):
    assert _out(hand_net) == [7.5, 1.5]
    with knockout(hand_net, "hidden", "zero"):
        assert _out(hand_net) == [0.5, 0.5]  # relu(0) = 0, so only the output bias is left
    assert _out(hand_net) == [7.5, 1.5] and _no_hooks(hand_net)


def test_mean_and_resample_knockouts(hand_net):
    mean = mean_activations(hand_net, "relu", X_HAND)
    assert mean.tolist() == [1.0, 3.0]  # ((2, 5) + (0, 1)) / 2
    with knockout(hand_net, "relu", "mean", mean_activation=mean):
        assert _out(hand_net) == [4.5, 4.5]
    with knockout(hand_net, ["relu"], "mean", mean_activation={"relu": mean}):
        assert _out(hand_net) == [4.5, 4.5]
    with knockout(hand_net, "relu", "resample", seed=3):
        assert _out(hand_net) == [1.5, 7.5]  # with two rows, "another sample" is the other row
    assert _no_hooks(hand_net)


def test_weight_knockouts_restore_weights_bit_for_bit(hand_net):
    before = _state(hand_net)
    with knockout(hand_net, "out", "scale", factor=0.0):
        assert _out(hand_net) == [0.5, 0.5]  # weights zeroed, bias kept
    with knockout(hand_net, "hidden", "scale", factor=2.0):
        assert _out(hand_net) == [15.5, 3.5]  # relu(2W x + b): h=(4, 11) and h=(0, 3)
    with knockout(hand_net, "hidden", "scale", factor=1.0):
        assert _out(hand_net) == [7.5, 1.5]
    with knockout(hand_net, "hidden", "random", seed=1):
        first = _out(hand_net)
        assert not torch.equal(hand_net.hidden.weight, before["hidden.weight"])
    with knockout(hand_net, "hidden", "random", seed=1):
        assert _out(hand_net) == first  # seeded re-initialization
    assert _same_state(hand_net, before) and _out(hand_net) == [7.5, 1.5]


@pytest.mark.parametrize("mode", ["zero", "resample", "random", "scale"])
def test_knockout_is_undone_when_the_body_raises(hand_net, mode):
    before = _state(hand_net)
    with pytest.raises(RuntimeError, match="boom"):
        with knockout(hand_net, ["hidden", "out"], mode, factor=3.0):
            raise RuntimeError("boom")
    assert _no_hooks(hand_net) and _same_state(hand_net, before)


def test_knockout_errors_name_the_problem(hand_net):
    with pytest.raises(SpecError, match="unknown layer 'hiden'; did you mean 'hidden'"):
        with knockout(hand_net, "hiden", "zero"):
            pass
    with pytest.raises(SpecError, match="did you mean 'zero'"):
        with knockout(hand_net, "hidden", "zeros"):
            pass
    with pytest.raises(SpecError, match="no weights"):
        with knockout(hand_net, "relu", "random"):
            pass
    assert _no_hooks(hand_net)


# ---------------------------------------------------------------- removing layers


def test_remove_drops_exactly_the_layer_and_later_sizes_adapt():
    spec = _mlp(hidden=(16, 16, 8))  # 6 -> 16 -> 16 -> 8 -> 2
    full = build_network(spec, 6, 2)
    assert count_parameters(full) == (6 * 16 + 16) + (16 * 16 + 16) + (16 * 8 + 8) + (8 * 2 + 2)
    same_width = build_network(spec, 6, 2, remove=["h2"])  # 16 -> 16: nothing downstream changes
    assert count_parameters(full) - count_parameters(same_width) == 16 * 16 + 16
    assert [name for name, _ in same_width.named_children()] == ["h1", "relu1", "relu2", "h3", "relu3", "out"]
    narrower = build_network(spec, 6, 2, remove=["h3", "relu3"])  # out now reads 16 features, not 8
    assert narrower.out.in_features == 16
    assert count_parameters(narrower) == (6 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2)
    assert narrower(torch.zeros(5, 6)).shape == (5, 2)


def test_remove_in_a_cnn(digits):
    full = build_network(CNN, 64, 10)
    without_conv2 = build_network(CNN, 64, 10, remove=["conv2", "relu2"])
    assert without_conv2.out.in_features == 8 * 4 * 4 and full.out.in_features == 8 * 4 * 4
    assert count_parameters(full) - count_parameters(without_conv2) == 8 * 8 * 9 + 8
    assert without_conv2(torch.zeros(3, 64)).shape == (3, 10)


def test_invalid_removals_are_one_line_spec_errors():
    with pytest.raises(SpecError, match=r"^model\.network: cannot remove the output layer 'out'$"):
        build_network(CNN, 64, 10, remove=["out"])
    with pytest.raises(SpecError, match="unknown layer 'conv3'; did you mean 'conv2'"):
        build_network(CNN, 64, 10, remove=["conv3"])
    with pytest.raises(SpecError) as error:
        build_network(CNN, 64, 10, remove=["flatten"])
    assert "\n" not in str(error.value) and "removing 'flatten' makes the network invalid" in str(error.value)
    unflat = {"layers": [{"name": "rows", "type": "Unflatten", "args": {"dim": 1, "unflattened_size": [1, 12]}},
                         {"name": "conv", "type": "Conv1d", "args": {"out_channels": 2, "kernel_size": 3}},
                         {"name": "flat", "type": "Flatten"},
                         {"name": "out", "type": "Linear", "output": True}]}
    assert build_network(unflat, 12, 3)(torch.zeros(2, 12)).shape == (2, 3)
    with pytest.raises(SpecError, match=r"removing 'rows' makes the network invalid: layer 'conv' \(Conv1d\) expects"):
        build_network(unflat, 12, 3, remove=["rows"])


def test_removable_layers_skip_output_and_pure_reshapes():
    assert removable_layers(CNN) == ["conv1", "bn1", "relu1", "pool1", "conv2", "relu2"]
    for name in removable_layers(CNN):
        build_network(CNN, 64, 10, remove=[name])  # every one of them can be removed as is


def test_output_size_and_declared_input_sizes():
    net = build_network(_mlp(hidden=(4,)), 3, 5)
    assert net.out.out_features == 5 and net.h1.in_features == 3
    spec = {"layers": [{"name": "h", "type": "Linear", "args": {"in_features": 4, "out_features": 3}},
                       {"name": "out", "type": "Linear", "output": True}]}
    with pytest.raises(SpecError, match=r"layers\[0\]\.args\.in_features: declared 4, but the layer receives 5"):
        build_network(spec, 5, 2)
    with pytest.raises(SpecError, match=r"input_shape: \[1, 8, 8\] holds 64 values per row, but the data has 63"):
        build_network(CNN, 63, 10)


# ---------------------------------------------------------------- spec validation


@pytest.mark.parametrize("kind, hint", [("Transformer", ""), ("os.system", ""), ("Conv2D", "; did you mean 'Conv2d'?")])
def test_disallowed_layer_types(kind, hint):
    spec = _mlp()
    spec["layers"][2]["type"] = kind
    with pytest.raises(SpecError) as error:
        parse_network(spec)
    message = str(error.value)
    assert message.startswith(f"model.network.layers[2].type: layer type '{kind}' is not allowed{hint} (allowed: Linear,")
    assert "\n" not in message


def test_output_layer_rules_and_names():
    spec = _mlp()
    spec["layers"][0]["output"] = True
    with pytest.raises(SpecError, match=r"model\.network\.layers: 2 layers are marked output \('h1', 'out'\)"):
        parse_network(spec)
    spec = _mlp()
    spec["layers"] = spec["layers"][::-1]
    with pytest.raises(SpecError, match="output layer 'out' .* must be the last layer"):
        parse_network(spec)
    spec = _mlp()
    spec["layers"][1]["name"] = "h1"
    with pytest.raises(SpecError, match="repeats the name 'h1'"):
        parse_network(spec)


def test_args_and_keys_are_checked():
    spec = _mlp()
    spec["layers"][0]["args"] = {"out_feature": 3}
    with pytest.raises(SpecError, match=r"layers\[0\]\.args: Linear has no argument 'out_feature'; did you mean 'out_features'"):
        build_network(spec, 4, 2)
    spec["layers"][0]["args"] = {"out_features": {"nested": 1}}
    with pytest.raises(SpecError, match="must be a number, string"):
        parse_network(spec)
    with pytest.raises(SpecError, match=r"model\.network\.training\.optimzer: unknown key 'optimzer'; did you mean 'optimizer'"):
        parse_network({**_mlp(), "training": {"optimzer": "sgd"}})


def test_yaml_spec_with_exponent_floats():
    import yaml

    net = parse_network(yaml.safe_load("""
        input_shape: [4]
        layers:
          - {name: norm, type: LayerNorm, args: {eps: 1e-5}}   # PyYAML reads 1e-5 as a string
          - {name: out, type: Linear, output: true}
        training: {lr: 1e-3, early_stopping: {patience: 2}}
    """))
    assert net.layers[0].args == {"eps": 1e-5} and net.training.lr == 1e-3
    assert build_network(net, 4, 2).norm.eps == 1e-5


def test_spec_imports_without_torch():
    code = "import sys, ablation_pipeline.spec.network as t; t.parse_network({'layers': [{'name': 'o', 'type': 'Linear', 'output': True}]}); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- estimators


def test_classifier_fits_clones_and_is_deterministic(separable):
    X, y = separable
    model = TorchClassifier(_mlp(), remove=())
    assert clone(model).get_params()["network"] == model.network
    threads, rng = torch.get_num_threads(), torch.random.get_rng_state()
    model.fit(X[:150], y[:150])
    assert torch.get_num_threads() == threads and torch.equal(torch.random.get_rng_state(), rng)
    check_is_fitted(model)
    assert model.score(X[150:], y[150:]) > 0.9
    assert model.predict_proba(X[:4]).shape == (4, 2) and model.n_parameters_ == 6 * 16 + 16 + 16 * 2 + 2
    assert model.fit_seconds_ > 0 and model.n_epochs_ == 30
    again = clone(model).fit(X[:150], y[:150])
    assert np.array_equal(again.predict_proba(X), model.predict_proba(X))
    other = TorchClassifier(_mlp(seed=1)).fit(X[:150], y[:150])
    assert not np.array_equal(other.predict_proba(X), model.predict_proba(X))


def test_classifier_keeps_labels_and_remove_param(separable):
    X, y = separable
    labels = np.array(["no", "yes"])[y]
    model = TorchClassifier(_mlp(hidden=(8, 8), epochs=5), remove=("h2", "relu2")).fit(X, labels)
    assert list(model.classes_) == ["no", "yes"] and set(model.predict(X)) <= {"no", "yes"}
    assert model.n_parameters_ == 6 * 8 + 8 + 8 * 2 + 2
    with pytest.raises(SpecError, match="cannot remove the output layer"):
        TorchClassifier(_mlp(), remove=("out",)).fit(X, y)


def test_regressor_learns_a_linear_function():
    X, y = make_regression(n_samples=300, n_features=5, noise=5.0, random_state=0)
    model = TorchRegressor(_mlp(hidden=(16,), epochs=40)).fit(X[:200], y[:200] * 10 + 1000)
    assert model.score(X[200:], y[200:] * 10 + 1000) > 0.9  # standardized inside, original units out
    assert model.predict(X[:3]).shape == (3,)


def test_cnn_on_digits(digits):
    X, y = digits
    model = TorchClassifier(CNN).fit(X[:500], y[:500])
    assert model.predict(X[500:]).shape == (100,) and model.predict_proba(X[500:]).shape == (100, 10)
    assert model.score(X[500:], y[500:]) > 0.6
    assert model.model_.conv1.weight.shape == (8, 1, 3, 3)


def test_pipeline_and_permutation_importance(separable):
    X, y = separable
    pipe = make_pipeline(StandardScaler(), TorchClassifier(_mlp(epochs=15))).fit(X, y)
    result = permutation_importance(pipe, X, y, n_repeats=3, random_state=0)
    assert result.importances_mean.shape == (6,) and result.importances_mean.max() > 0.05


def test_knockout_helpers_on_a_fitted_estimator(separable):
    X, y = separable
    pipe = make_pipeline(StandardScaler(), TorchClassifier(_mlp(epochs=10))).fit(X, y)
    model = pipe[-1]
    before = _state(model.model_)
    baseline = pipe.predict_proba(X)
    assert np.allclose(predict_proba_with_knockout(pipe, X, "h1", "scale", factor=1.0), baseline)
    zeroed = predict_with_knockout(pipe, X, "relu1", "zero")
    assert len(set(zeroed)) == 1  # every row now gets the same output: the output layer's bias
    mean = predict_proba_with_knockout(pipe, X, "relu1", "mean", X_train=X)
    assert np.allclose(mean, mean[0]) and not np.allclose(mean, baseline)
    resampled = predict_with_knockout(pipe, X, "h1", "resample", seed=0)
    assert resampled.shape == (200,) and (resampled != pipe.predict(X)).any()
    predict_with_knockout(pipe, X, "h1", "random", seed=0)
    assert _no_hooks(model.model_) and _same_state(model.model_, before)
    assert np.array_equal(pipe.predict_proba(X), baseline)


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 5)), rng.normal(size=120)  # pure noise: validation loss can only rise
    spec = _mlp(hidden=(64,), epochs=300, lr=0.03, early_stopping={"patience": 4, "validation_fraction": 0.25})
    model = TorchRegressor(spec).fit(X, y)
    assert model.n_epochs_ < 300 and model.n_epochs_ == model.best_epoch_ + 1 + 4
    _, val = validation_split(120, 0.25, seed=0)
    target = torch.tensor((y[val] - model.y_mean_) / model.y_scale_, dtype=torch.float32).reshape(-1, 1)
    with torch.no_grad():
        val_loss = torch.nn.functional.mse_loss(model.model_(torch.tensor(X[val], dtype=torch.float32)), target)
    assert float(val_loss) == pytest.approx(min(model.validation_loss_curve_), rel=1e-5)
    assert model.validation_loss_curve_[-1] > min(model.validation_loss_curve_)
