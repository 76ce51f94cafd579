"""Building declared networks: removal re-infers sizes, broken removals are one-line errors, and a
network past the size limits is refused before its layers are allocated."""

from __future__ import annotations

import time
import warnings

import pytest
import torch

from ablation_pipeline.errors import SpecError
from ablation_pipeline.spec.network import ALLOWED_LAYERS
from ablation_pipeline.torch_nets.build import (
    MAX_ACTIVATIONS_PER_ROW,
    MAX_PARAMETERS,
    _output_bound,
    build_network,
    count_parameters,
)

from builders import CNN, mlp_network


def test_remove_drops_exactly_the_layer_and_later_sizes_adapt():
    spec = mlp_network(hidden=(16, 16, 8))  # 6 -> 16 -> 16 -> 8 -> 2
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


def test_output_size_and_declared_input_sizes():
    net = build_network(mlp_network(hidden=(4,)), 3, 5)
    assert net.out.out_features == 5 and net.h1.in_features == 3
    spec = {"layers": [{"name": "h", "type": "Linear", "args": {"in_features": 4, "out_features": 3}},
                       {"name": "out", "type": "Linear", "output": True}]}
    with pytest.raises(SpecError, match=r"layers\[0\]\.args\.in_features: declared 4, but the layer receives 5"):
        build_network(spec, 5, 2)
    with pytest.raises(SpecError, match=r"input_shape: \[1, 8, 8\] holds 64 values per row, but the data has 63"):
        build_network(CNN, 63, 10)


# ---------------------------------------------------------------- sizes, measured before anything is built


def test_a_huge_layer_is_refused_in_milliseconds():
    spec = mlp_network(hidden=(100_000_000,))
    started = time.perf_counter()
    with pytest.raises(SpecError) as error:
        build_network(spec, 30, 2)
    assert time.perf_counter() - started < 0.5  # building it took ~20 s and 4 GB
    assert str(error.value) == ("model.network.layers[0]: layer 'h1' (Linear) brings the network to 3,100,000,000 parameters; "
                                f"at most {MAX_PARAMETERS:,} are allowed")


@pytest.mark.parametrize(("layers", "n_inputs", "message"), [
    ([{"name": "wide", "type": "LazyLinear", "args": {"out_features": 20_000_000}}],
     1, "layers[0]: layer 'wide' (LazyLinear) outputs up to 20,000,000 values per row"),
    ([{"name": "rows", "type": "Unflatten", "args": {"dim": 1, "unflattened_size": [1, 4]}},
      {"name": "conv", "type": "Conv1d", "args": {"out_channels": 8, "kernel_size": 1, "padding": 1_000_000}}],
     4, "layers[1]: layer 'conv' (Conv1d) outputs up to 16,000,032 values per row"),
    ([{"name": "rows", "type": "Unflatten", "args": {"dim": 1, "unflattened_size": [1, 4]}},
      {"name": "pool", "type": "AdaptiveAvgPool1d", "args": {"output_size": 9_000_000}},
      {"name": "conv", "type": "LazyConv1d", "args": {"out_channels": 2, "kernel_size": 1}}],
     4, "layers[2]: layer 'conv' (LazyConv1d) outputs up to 18,000,000 values per row"),
])
def test_activations_per_row_are_bounded(layers, n_inputs, message):
    spec = {"layers": [*layers, {"name": "flat", "type": "Flatten"}, {"name": "out", "type": "Linear", "output": True}]}
    with pytest.raises(SpecError) as error:
        build_network(spec, n_inputs, 2)
    assert str(error.value) == f"model.network.{message}; at most {MAX_ACTIVATIONS_PER_ROW:,} are allowed"


def test_a_removal_that_makes_the_network_too_large_names_the_removal():
    spec = {"input_shape": [1, 64, 64], "layers": [
        {"name": "pool", "type": "AvgPool2d", "args": {"kernel_size": 8}},
        {"name": "flat", "type": "Flatten"},
        {"name": "fc", "type": "Linear", "args": {"out_features": 20_000}},
        {"name": "out", "type": "Linear", "output": True}]}
    assert count_parameters(build_network(spec, 4096, 2)) == 64 * 20_000 + 20_000 + 20_000 * 2 + 2
    with pytest.raises(SpecError) as error:
        build_network(spec, 4096, 2, remove=["pool"])
    assert str(error.value) == ("model.network: removing 'pool' makes the network invalid: layer 'fc' (Linear) brings the network "
                                f"to 81,940,000 parameters; at most {MAX_PARAMETERS:,} are allowed")


def test_sizes_torch_cannot_hold_and_empty_layers():
    with pytest.raises(SpecError, match=r"^model\.network\.layers\[0\]\.args\.out_features: 100,000,000,000,000,000,000 is too large "
                                        r"for any layer \(at most 2,147,483,647\)$"):
        build_network(mlp_network(hidden=(10**20,)), 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch would warn about initializing an empty weight
        with pytest.raises(SpecError, match=r"^model\.network\.layers\[0\]: layer 'h1' \(Linear\) has out_features 0, "
                                            r"so it outputs nothing$"):
            build_network(mlp_network(hidden=(0,)), 3, 2)


SAMPLES = [  # (layer type, args, input batch shape): every allowed type, padded and strided where it can be
    ("Linear", {"in_features": 7, "out_features": 5}, (2, 3, 7)), ("LazyLinear", {"out_features": 4}, (2, 6)),
    ("Conv1d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "padding": 2}, (2, 3, 9)),
    ("Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1}, (2, 2, 7, 6)),
    ("Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": "same"}, (2, 2, 5, 5)),
    ("LazyConv1d", {"out_channels": 2, "kernel_size": 2, "padding": "valid"}, (2, 3, 8)),
    ("LazyConv2d", {"out_channels": 2, "kernel_size": 1, "padding": 3}, (2, 1, 4, 4)),
    ("MaxPool1d", {"kernel_size": 3, "padding": 1, "ceil_mode": True}, (2, 3, 10)), ("MaxPool1d", {"kernel_size": 2}, (2, 9)),
    ("MaxPool2d", {"kernel_size": 2, "stride": 1, "padding": 1}, (2, 2, 5, 5)),
    ("AvgPool1d", {"kernel_size": 2, "padding": 1}, (2, 3, 7)), ("AvgPool2d", {"kernel_size": 3, "ceil_mode": True}, (2, 1, 8, 8)),
    ("AdaptiveAvgPool1d", {"output_size": 12}, (2, 3, 5)), ("AdaptiveAvgPool2d", {"output_size": [2, None]}, (2, 3, 6, 7)),
    ("BatchNorm1d", {"num_features": 3}, (2, 3)), ("BatchNorm2d", {"num_features": 2}, (2, 2, 3, 3)),
    ("LazyBatchNorm1d", {}, (2, 4, 5)), ("LazyBatchNorm2d", {}, (2, 2, 3, 3)), ("LayerNorm", {"normalized_shape": 4}, (2, 3, 4)),
    ("Dropout", {"p": 0.5}, (2, 6)), ("Dropout2d", {}, (2, 2, 3, 3)), ("ReLU", {}, (2, 5)), ("LeakyReLU", {}, (2, 5)),
    ("GELU", {}, (2, 5)), ("ELU", {}, (2, 5)), ("Tanh", {}, (2, 5)), ("Sigmoid", {}, (2, 5)), ("SiLU", {}, (2, 5)),
    ("Softplus", {}, (2, 5)), ("Flatten", {}, (2, 3, 4)), ("Unflatten", {"dim": 1, "unflattened_size": [2, 3]}, (2, 6)),
    ("Identity", {}, (2, 5)),
]


def test_every_allowed_layer_type_has_a_sound_output_bound():
    assert {kind for kind, _, _ in SAMPLES} == set(ALLOWED_LAYERS)
    for kind, args, shape in SAMPLES:
        module = getattr(torch.nn, kind)(**{k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}).eval()
        out = module(torch.zeros(shape))
        bound = _output_bound(module, shape)
        assert out[0].numel() <= bound, (kind, args, shape, tuple(out.shape), bound)
        if kind in ("Linear", "LazyLinear", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d") or "Norm" in kind:
            assert out[0].numel() == bound, (kind, out.shape, bound)


def test_measuring_leaves_the_random_stream_and_the_weights_alone():
    """Layers measured on the meta device before each real one: the real weights are those of the
    same layers constructed directly, and the global RNG advances exactly as much."""
    torch.manual_seed(5)
    net = build_network(mlp_network(hidden=(8,)), 4, 3)
    after_build = torch.rand(2)
    torch.manual_seed(5)
    hidden, out = torch.nn.Linear(4, 8), torch.nn.Linear(8, 3)
    assert torch.equal(net.h1.weight, hidden.weight) and torch.equal(net.out.bias, out.bias)
    assert torch.equal(after_build, torch.rand(2))
