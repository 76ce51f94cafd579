"""Declared networks as data: allowed layer types, the output layer, arguments; no torch needed to validate."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ablation_pipeline.errors import SpecError
from ablation_pipeline.spec.network import parse_network, removable_layers
from ablation_pipeline.torch_nets.build import build_network

from builders import CNN, mlp_network


def test_removable_layers_skip_output_and_pure_reshapes():
    assert removable_layers(CNN) == ["conv1", "bn1", "relu1", "pool1", "conv2", "relu2"]
    for name in removable_layers(CNN):
        build_network(CNN, 64, 10, remove=[name])  # every one of them can be removed as is


@pytest.mark.parametrize("kind, hint", [("Transformer", ""), ("os.system", ""), ("Conv2D", "; did you mean 'Conv2d'?")])
def test_disallowed_layer_types(kind, hint):
    spec = mlp_network()
    spec["layers"][2]["type"] = kind
    with pytest.raises(SpecError) as error:
        parse_network(spec)
    message = str(error.value)
    assert message.startswith(f"model.network.layers[2].type: layer type '{kind}' is not allowed{hint} (allowed: Linear,")
    assert "\n" not in message


def test_output_layer_rules_and_names():
    spec = mlp_network()
    spec["layers"][0]["output"] = True
    with pytest.raises(SpecError, match=r"model\.network\.layers: 2 layers are marked output \('h1', 'out'\)"):
        parse_network(spec)
    spec = mlp_network()
    spec["layers"] = spec["layers"][::-1]
    with pytest.raises(SpecError, match="output layer 'out' .* must be the last layer"):
        parse_network(spec)
    spec = mlp_network()
    spec["layers"][1]["name"] = "h1"
    with pytest.raises(SpecError, match="repeats the name 'h1'"):
        parse_network(spec)


def test_args_and_keys_are_checked():
    spec = mlp_network()
    spec["layers"][0]["args"] = {"out_feature": 3}
    with pytest.raises(SpecError, match=r"layers\[0\]\.args: Linear has no argument 'out_feature'; did you mean 'out_features'"):
        build_network(spec, 4, 2)
    spec["layers"][0]["args"] = {"out_features": {"nested": 1}}
    with pytest.raises(SpecError, match="must be a number, string"):
        parse_network(spec)
    with pytest.raises(SpecError, match=r"model\.network\.training\.optimzer: unknown key 'optimzer'; did you mean 'optimizer'"):
        parse_network({**mlp_network(), "training": {"optimzer": "sgd"}})
    with pytest.raises(SpecError, match=r"model\.network\.device: unknown key 'device'; did you mean 'training\.device'\?"):
        parse_network({**mlp_network(), "device": "auto"})  # a key one level too high is found by its name


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
    code = ("import sys, ablation_pipeline.spec.network as t; "
            "t.parse_network({'layers': [{'name': 'o', 'type': 'Linear', 'output': True}]}); assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("training", "line"), [
    ({"seed": 2**32}, "model.network.training.seed: a seed is between 0 and 4294967295 (2**32 - 1), got 4294967296"),
    ({"seed": -3}, "model.network.training.seed: a seed is between 0 and 4294967295 (2**32 - 1), got -3"),
    ({"lr": float("inf")}, "model.network.training.lr: Input should be a finite number, got inf"),
    ({"weight_decay": float("nan")}, "model.network.training.weight_decay: Input should be a finite number, got nan"),
    ({"early_stopping": {"validation_fraction": float("nan")}},
     "model.network.training.early_stopping.validation_fraction: Input should be a finite number, got nan"),
])
def test_training_settings_a_fit_cannot_use(training, line):
    with pytest.raises(SpecError) as error:
        parse_network({**mlp_network(), "training": training})
    assert str(error.value) == line


@pytest.mark.parametrize(("value", "shown"), [(float("nan"), "nan"), ("1e999", "inf"), ([3, float("-inf")], "[3, -inf]")])
def test_layer_arguments_must_be_finite(value, shown):
    spec = mlp_network()
    spec["layers"][0]["args"]["x"] = value
    expected = "expected finite numbers" if isinstance(value, list) else "expected a finite number"
    with pytest.raises(SpecError) as error:
        parse_network(spec)
    assert str(error.value) == f"model.network.layers[0].args: argument 'x': {expected}, got {shown}"


def test_the_largest_seed_is_accepted():
    assert parse_network({**mlp_network(), "training": {"seed": 2**32 - 1}}).training.seed == 2**32 - 1
