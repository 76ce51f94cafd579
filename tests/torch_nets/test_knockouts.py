"""Knock-outs at inference: hand-computable outputs, always undone."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ablation_pipeline.errors import SpecError
from ablation_pipeline.torch_nets.build import build_network
from ablation_pipeline.torch_nets.estimator import TorchClassifier
from ablation_pipeline.torch_nets.knockouts import (
    knockout,
    mean_activations,
    predict_proba_with_knockout,
    predict_with_knockout,
)

from builders import mlp_network


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
    with pytest.raises(RuntimeError, match="boom"), knockout(hand_net, ["hidden", "out"], mode, factor=3.0):
        raise RuntimeError("boom")
    assert _no_hooks(hand_net) and _same_state(hand_net, before)


def test_knockout_errors_name_the_problem(hand_net):
    with pytest.raises(SpecError, match="unknown layer 'hiden'; did you mean 'hidden'"), knockout(hand_net, "hiden", "zero"):
        pass
    with pytest.raises(SpecError, match="did you mean 'zero'"), knockout(hand_net, "hidden", "zeros"):
        pass
    with pytest.raises(SpecError, match="no weights"), knockout(hand_net, "relu", "random"):
        pass
    assert _no_hooks(hand_net)


def test_knockout_helpers_on_a_fitted_estimator(separable):
    X, y = separable
    pipe = make_pipeline(StandardScaler(), TorchClassifier(mlp_network(epochs=10))).fit(X, y)
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
