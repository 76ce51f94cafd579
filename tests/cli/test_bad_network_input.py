"""Bad input when a study brings its own torch module: from `ablation validate` and `ablation run`, one
line each naming the spec and the field, exit code 2, nothing written; and `ablation layers`, which lists
the names a spec may use even when its layer names are wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from bad_input_cases import invoke, lines_of, nothing_written, study
from builders import REPO


def _digits(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.random((rows, 64)).round(3), columns=[f"p{i}" for i in range(64)])
    return frame.assign(label=np.arange(rows) % 3)


def _spec(ablations=None, **network) -> dict:
    return {"name": "nets", "data": {"source": "data.csv", "target": "label"},
            "model": {"network": {"module": "data.digits_nets:DigitsResNet", "kwargs": {"channels": 4, "classes": 3},
                                  "input_shape": [1, 8, 8], "training": {"epochs": 1}, **network}},
            "evaluation": {"folds": 2, "repeats": 1},
            "ablations": ablations or [{"layers": ["block1.conv2"], "mode": "zero"}]}


@pytest.fixture
def trusted(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.setenv("ABLATION_TRUSTED_MODULES", "data.digits_nets")


CASES = [
    pytest.param(_spec(ablations=[{"layers": ["block1.conv3"], "mode": "zero"}]),
                 ("ablations[0].layers[0]: 'block1.conv3' is not a layer of the module; did you mean 'block1.conv2'?",
                  "`ablation layers` lists them all"), id="unknown-layer"),
    pytest.param(_spec(ablations=[{"layers": ["stem"], "mode": "remove"}]),
                 ("ablations[0].layers[0]: cannot remove 'stem': it maps (N, 1, 8, 8) to (N, 4, 8, 8)", "use mode zero"),
                 id="remove-shape-changing"),
    pytest.param(_spec(ablations=[{"layers": ["stem.0"], "units": {"dim": 1, "size": 5}, "mode": "zero"}]),
                 ("ablations[0].units.size: 5 is more than the 4 units 'stem.0' has along dim 1",), id="units-beyond"),
    pytest.param(_spec(ablations=[{"layers": ["stem.0"], "units": {"dim": 4, "size": 1}, "mode": "zero"}]),
                 ("ablations[0].units.dim: 4 is not a dimension of 'stem.0's output, of shape (N, 4, 8, 8)",), id="units-dim"),
    pytest.param(_spec(kwargs={"chanels": 4}), ("model.network.kwargs: 'chanels' is not an argument of DigitsResNet; "
                                                "did you mean 'channels'?",), id="bad-kwargs"),
    pytest.param(_spec(module="data.house_models:make_model"), ("'data.house_models:make_model' is in module "
                                                                "'data.house_models', which this project does not trust",),
                 id="untrusted"),
    pytest.param(_spec(checkpoint="missing.pt"), ("model.network.checkpoint: file not found: missing.pt",), id="no-checkpoint"),
    pytest.param(_spec(kwargs={"channels": 4, "classes": 5}), ("outputs shape (N, 5) per batch, but the task needs (N, 3)",),
                 id="wrong-outputs"),
    pytest.param({**_spec(), "evaluation": {"holdout": {"fraction": 0.3}}, "ablations": [{"layers": ["block2"], "mode": "remove"}]},
                 ("ablations[0]: mode remove retrains, and a held-out study retrains nothing",), id="held-out-remove"),
]


@pytest.mark.parametrize(("spec", "expected"), CASES)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_network_that_cannot_serve_is_one_line(tmp_path, trusted, spec, expected, command):
    path = study(tmp_path, spec, _digits())
    lines = lines_of(invoke(command, path))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}: ") and all(part in lines[0] for part in expected), lines[0]
    nothing_written(tmp_path)


def test_a_checkpoint_that_does_not_match_names_the_key(tmp_path, trusted):
    from data.digits_nets import DigitsResNet

    path = study(tmp_path, _spec(checkpoint="net.pt"), _digits())
    torch.save(DigitsResNet(channels=8, classes=3).state_dict(), path.parent / "net.pt")
    [line] = lines_of(invoke("validate", path))
    assert "model.network.checkpoint: does not match the module: 'stem.0.weight' has shape (8, 1, 3, 3) in the checkpoint, " \
           "(4, 1, 3, 3) in the module" in line


def test_layers_lists_the_modules_names_even_when_the_spec_gets_them_wrong(tmp_path, trusted):
    path = study(tmp_path, _spec(ablations=[{"layers": ["block1.conv3"], "mode": "zero"}]), _digits())
    result = invoke("layers", path)
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 4}
    assert {"stem", "stem.0", "block1", "block1.conv2", "block2", "pool", "head"} <= set(rows)
    assert "(N, 4, 8, 8)" in rows["block1.conv2"] and "yes" in rows["block1"] and "no" in rows["stem.0"]
    assert "Conv2d" in rows["block1.conv1"] and "148" in rows["block1.conv1"]  # 4*4*9 + 4 parameters
    assert "Quote a numeric name" not in result.stdout  # stem.0 is text to YAML
    nothing_written(tmp_path)


def test_layers_says_to_quote_a_sequentials_numeric_names(tmp_path, monkeypatch):
    (tmp_path / "seqnets.py").write_text("from torch import nn\n\ndef make(n_in=64, n_out=3):\n"
                                         "    return nn.Sequential(nn.Linear(n_in, 8), nn.ReLU(), nn.Linear(8, n_out))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ABLATION_TRUSTED_MODULES", "seqnets")
    spec = {**_spec(), "model": {"network": {"module": "seqnets:make", "training": {"epochs": 1}}}}
    result = invoke("layers", study(tmp_path, spec, _digits()))
    assert result.exit_code == 0, result.output
    assert "Quote a numeric name in YAML (layers: ['0']), or it is read as a number." in " ".join(result.stdout.split())
