"""Building declared networks: removal re-infers sizes, broken removals are one-line errors."""

from __future__ import annotations

import pytest
import torch

from ablation_pipeline.errors import SpecError
from ablation_pipeline.torch_nets.build import build_network, count_parameters

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
