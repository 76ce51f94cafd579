"""The user's own nn.Module as a study's network: knock-outs by dotted name match hand-written hooks and
Captum, a skip connection routes around a knocked-out layer, heads are ablated where they are still
heads, checkpoints load as given and nothing in them can run code."""

from __future__ import annotations

import pickle
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ablation_pipeline.ablations.estimators import make_estimator
from ablation_pipeline.errors import SpecError
from ablation_pipeline.pipeline.setup import plan_study
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.spec.model import ModelSpec
from ablation_pipeline.spec.network import UnitSlice
from ablation_pipeline.spec.trust import Trust
from ablation_pipeline.torch_nets.knockouts import knockout, predict_proba_with_knockout
from ablation_pipeline.vocabulary import Task

NETS = """
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(width, width)

    def forward(self, x):
        return torch.relu(x + self.fc2(self.act(self.fc1(x))))


class ResMLP(nn.Module):
    def __init__(self, n_in=4, hidden=16, n_out=3):
        super().__init__()
        self.stem = nn.Linear(n_in, hidden)
        self.block1 = Block(hidden)
        self.block2 = Block(hidden)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.head(self.block2(self.block1(torch.relu(self.stem(x)))))


class Attention(nn.Module):
    '''Self-attention over 4 tokens of 8 values, 2 heads, written with its own output projection.'''

    def __init__(self, heads=2, dim=8, n_out=3):
        super().__init__()
        self.heads, self.dim = heads, dim
        self.qkv = nn.Linear(dim, 3 * dim)
        self.o_proj = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, n_out)

    def forward(self, x, head_mask=None):
        n = x.shape[0]
        tokens = x.reshape(n, 4, self.dim)
        q, k, v = self.qkv(tokens).chunk(3, dim=-1)
        split = lambda t: t.reshape(n, 4, self.heads, self.dim // self.heads).transpose(1, 2)
        weights = torch.softmax(split(q) @ split(k).transpose(-1, -2) / (self.dim // self.heads) ** 0.5, dim=-1)
        per_head = weights @ split(v)                      # (n, heads, 4, head_dim)
        if head_mask is not None:
            per_head = per_head * head_mask.view(1, -1, 1, 1)
        merged = per_head.transpose(1, 2).reshape(n, 4, self.dim)
        return self.head(self.o_proj(merged).mean(dim=1))


class TorchMHA(nn.Module):
    def __init__(self, n_out=3):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.head = nn.Linear(8, n_out)

    def forward(self, x):
        tokens = x.reshape(len(x), 4, 8)
        return self.head(self.attn(tokens, tokens, tokens)[0].mean(dim=1))


def make_resmlp(hidden=16):
    return ResMLP(hidden=hidden)


def not_a_module():
    return "a string"
"""


@pytest.fixture
def usernets(tmp_path, monkeypatch):
    """`usernets` importable and trusted."""
    (tmp_path / "usernets.py").write_text(textwrap.dedent(NETS))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield Trust(("sklearn", "usernets"))
    sys.modules.pop("usernets", None)


def _three_classes(n=300, width=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, width)).astype(np.float32)
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])
    return X, y


def _fitted(trust, module="usernets:ResMLP", kwargs=None, width=4, epochs=30, **network):
    X, y = _three_classes(width=width)
    spec = ModelSpec(network={"module": module, "kwargs": kwargs or {},
                              "training": {"epochs": epochs, "lr": 0.01, "seed": 0}, **network})
    pipe = make_pipeline(StandardScaler(), make_estimator(spec, Task.CLASSIFICATION, "s.yaml", trust)).fit(X, y)
    return pipe, X, y


def _zero_hook(_module, _args, output):
    return torch.zeros_like(output)


def test_zeroing_a_layer_inside_a_residual_block_matches_a_hand_written_hook(usernets):
    pipe, X, _ = _fitted(usernets)
    ours = predict_proba_with_knockout(pipe, X, "block1.fc2", "zero")
    net = pipe[-1].model_
    handle = net.block1.fc2.register_forward_hook(_zero_hook)
    try:
        with torch.no_grad():
            hand = torch.softmax(net(torch.from_numpy(pipe[0].transform(X)).float()).double(), dim=1).numpy()
    finally:
        handle.remove()
    assert np.abs(ours - hand).max() < 1e-6
    assert not net.block1.fc2._forward_hooks  # the knock-out's hook is gone too
    assert not np.allclose(ours, pipe.predict_proba(X))


def test_the_skip_connection_routes_around_the_knocked_out_layer(usernets):
    """Zeroing fc2 inside a residual block leaves relu(x) through the skip: the network still classifies.
    The same layers as a chain, fc2 zeroed, lose everything the layers before it computed."""
    pipe, X, y = _fitted(usernets)
    net = pipe[-1].model_
    baseline = (pipe.predict(X) == y).mean()
    knocked = predict_proba_with_knockout(pipe, X, "block1.fc2", "zero").argmax(axis=1)
    rows = torch.from_numpy(pipe[0].transform(X)).float()
    with torch.no_grad():  # the residual network's own answer, by hand: block1 becomes relu(its input)
        by_hand = net.head(net.block2(torch.relu(torch.relu(net.stem(rows))))).argmax(dim=1).numpy()
        chain = torch.nn.Sequential(net.stem, torch.nn.ReLU(), net.block1.fc1, net.block1.act, net.block1.fc2,
                                    net.block2, net.head)
        handle = net.block1.fc2.register_forward_hook(_zero_hook)
        chained = chain(rows).argmax(dim=1).numpy()
        handle.remove()
    assert np.array_equal(knocked, by_hand)
    assert baseline > 0.9 and (knocked == y).mean() > 0.5
    assert len(set(chained)) == 1  # the chain predicts one class for every row


def test_unit_knockouts_match_captum_layer_feature_ablation(usernets):
    captum = pytest.importorskip("captum.attr")
    pipe, X, _ = _fitted(usernets)
    net = pipe[-1].model_.eval()
    rows = torch.from_numpy(pipe[0].transform(X[:50])).float()
    size, width = 4, 16
    mask = torch.arange(width).div(size, rounding_mode="floor").unsqueeze(0)  # unit i in group i // 4
    target = 1
    attributions = captum.LayerFeatureAblation(net, net.block1.fc1).attribute(rows, target=target, layer_mask=mask)
    with torch.no_grad():
        base = net(rows)[:, target]
        for group, start in enumerate(range(0, width, size)):
            with knockout(net, "block1.fc1", "zero", units=UnitSlice(-1, start, start + size)):
                knocked = net(rows)[:, target]
            expected = attributions[:, start]  # every unit of a group carries the group's attribution
            assert torch.allclose(base - knocked, expected, atol=1e-6), group


def test_attention_heads_are_ablated_on_the_input_of_the_output_projection(usernets):
    from usernets import Attention

    torch.manual_seed(0)
    net = Attention().eval()
    rows = torch.randn(20, 32)
    for head in range(2):
        with torch.no_grad(), knockout(net, "o_proj", "zero", units=UnitSlice(-1, 4 * head, 4 * head + 4, "input")):
            ours = net(rows)
        mask = torch.ones(2)
        mask[head] = 0
        with torch.no_grad():
            hand = net(rows, head_mask=mask)
            after_projection = None
            with knockout(net, "o_proj", "zero", units=UnitSlice(-1, 4 * head, 4 * head + 4)):
                after_projection = net(rows)
        assert torch.allclose(ours, hand, atol=1e-6)
        assert not torch.allclose(after_projection, hand, atol=1e-3)  # zeroing after o_proj removes no head


def test_a_spec_written_as_the_docs_write_it_plans_one_variant_per_head_beside_the_output_units(usernets, tmp_path):
    """`on: input` in YAML (which YAML 1.1 reads as the key True): heads and output units of one layer."""
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 32)), columns=[f"x{i}" for i in range(32)])
    frame.assign(label=np.arange(40) % 3).to_csv(tmp_path / "rows.csv", index=False)
    (tmp_path / "heads.yaml").write_text(textwrap.dedent("""\
        name: heads
        data: {source: rows.csv, target: label}
        model:
          network: {module: usernets:Attention}
        ablations:
          - {layers: [o_proj], units: {dim: -1, size: 4, on: input}, mode: zero}   # the two heads
          - {layers: [o_proj], units: {dim: -1, size: 4}, mode: zero}
        """))
    plan = plan_study(load_spec(tmp_path / "heads.yaml"), trust=usernets)
    assert {v.name: v.units.on for v in plan.variants} == {
        "zero__o_proj__in0_4": "input", "zero__o_proj__in4_8": "input", "zero__o_proj__u0_4": "output", "zero__o_proj__u4_8": "output"}


def test_torch_multihead_attentions_out_proj_is_never_called_and_says_so(usernets):
    from usernets import TorchMHA

    net = TorchMHA().eval()
    message = "never called layer.*attn.out_proj.*MultiheadAttention uses its out_proj"
    with pytest.raises(SpecError, match=message), torch.no_grad(), knockout(net, "attn.out_proj", "zero"):
        net(torch.randn(3, 32))
    assert not net.attn.out_proj._forward_hooks


def test_a_pretrained_checkpoint_is_evaluated_as_given(usernets, tmp_path):
    pipe, X, y = _fitted(usernets)
    net = pipe[-1].model_
    torch.save(net.state_dict(), tmp_path / "resmlp.pt")
    spec = ModelSpec(network={"module": "usernets:ResMLP", "checkpoint": "resmlp.pt"})
    assert spec.preprocessing == "none"  # a checkpoint was trained on its own scale
    estimator = make_estimator(spec, Task.CLASSIFICATION, "s.yaml", usernets, tmp_path, pretrained=True)
    rows = pipe[0].transform(X)
    given = estimator.fit(rows, y)
    assert given.training_.loss_curve == []  # nothing was trained
    assert np.array_equal(given.predict_proba(rows), pipe[-1].predict_proba(rows))
    assert given.weights.digest.startswith("sha256:")


def test_a_pretrained_regressor_predicts_in_the_units_it_was_trained_on(usernets, tmp_path):
    """No standardization of the targets: the checkpoint's outputs are the predictions, whatever y's scale."""
    from usernets import ResMLP

    torch.manual_seed(0)
    net = ResMLP(n_out=1).eval()
    torch.save(net.state_dict(), tmp_path / "reg.pt")
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y = 1000 + 50 * X[:, 0]
    spec = ModelSpec(network={"module": "usernets:ResMLP", "kwargs": {"n_out": 1}, "checkpoint": "reg.pt"})
    fitted = make_estimator(spec, Task.REGRESSION, "s.yaml", usernets, tmp_path, pretrained=True).fit(X, y)
    with torch.no_grad():
        expected = net(torch.from_numpy(X)).double().numpy().ravel()
    assert np.allclose(fitted.predict(X), expected, atol=1e-6)


def test_remove_swaps_in_an_identity_where_shapes_match_and_retrains(usernets):
    pipe, X, y = _fitted(usernets, epochs=10)
    removed = pipe[-1].__class__(**{**pipe[-1].get_params(), "remove": ("block2",)})
    fitted = make_pipeline(StandardScaler(), removed).fit(X, y)
    assert isinstance(fitted[-1].model_.block2, torch.nn.Identity)
    assert fitted[-1].n_parameters_ < pipe[-1].n_parameters_
    with pytest.raises(SpecError, match=r"cannot remove 'stem': it maps \(N, 4\) to \(N, 16\).*use mode zero"):
        pipe[-1].__class__(**{**pipe[-1].get_params(), "remove": ("stem",)}).fit(X, y)


CODE_PAYLOAD = """
import os, pickle
class Payload:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
"""


@pytest.mark.parametrize(("make", "message"), [
    ("missing", "checkpoint: file not found: net.pt"),
    ("folder", "is not a regular file"),
    ("code", "is not a checkpoint torch.load(weights_only=True) can read"),
    ("not-a-state-dict", "is not a state_dict (a mapping of parameter names to tensors)"),
    ("training-checkpoint", "it looks like a training checkpoint: save model.state_dict() itself"),
    ("other-shapes", "'stem.weight' has shape (8, 4) in the checkpoint, (16, 4) in the module"),
    ("missing-key", "'head.bias' is not in the checkpoint"),
    ("extra-key", "'tail.weight' is in the checkpoint but not in the module"),
])
def test_a_checkpoint_that_cannot_serve_is_one_line_and_never_runs_code(usernets, tmp_path, make, message):
    from usernets import ResMLP

    path, marker = tmp_path / "net.pt", tmp_path / "ran"
    state = ResMLP().state_dict()
    if make == "folder":
        path.mkdir()
    elif make == "code":
        namespace: dict = {}
        exec(textwrap.dedent(CODE_PAYLOAD.format(marker=marker)), namespace)  # the attacker's file, written by the test
        path.write_bytes(pickle.dumps({"w": namespace["Payload"]()}))
    elif make == "not-a-state-dict":
        torch.save([1, 2, 3], path)
    elif make == "training-checkpoint":
        torch.save({"model": state, "epoch": torch.tensor(3)}, path)
    elif make == "other-shapes":
        torch.save(ResMLP(hidden=8).state_dict(), path)
    elif make == "missing-key":
        torch.save({k: v for k, v in state.items() if k != "head.bias"}, path)
    elif make == "extra-key":
        torch.save({**state, "tail.weight": torch.zeros(1)}, path)
    X, y = _three_classes()
    with pytest.raises(SpecError) as caught:
        spec = ModelSpec(network={"module": "usernets:ResMLP", "checkpoint": "net.pt"})
        make_estimator(spec, Task.CLASSIFICATION, "s.yaml", usernets, tmp_path, pretrained=True).fit(X, y)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not marker.exists()


@pytest.mark.parametrize(("network", "message"), [
    ({"module": "os:system"}, "'os:system' is in module 'os', which this project does not trust"),
    ({"module": "usernets:not_a_module"}, "usernets:not_a_module gives str, not a torch.nn.Module"),
    ({"module": "usernets:make_resmlp", "kwargs": {"hiden": 3}},
     "model.network.kwargs: 'hiden' is not an argument of make_resmlp; did you mean 'hidden'?"),
    ({"module": "usernets:ResMLP", "kwargs": {"n_out": 5}}, "outputs shape (N, 5) per batch, but the task needs (N, 3)"),
])
def test_a_module_that_cannot_serve_is_one_line(usernets, network, message):
    X, y = _three_classes()
    with pytest.raises(SpecError) as caught:
        make_estimator(ModelSpec(network=network), Task.CLASSIFICATION, "s.yaml", usernets).fit(X, y)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_numeric_frame_is_taken_as_rows_only_with_the_fitted_columns_in_order(usernets):
    import pandas as pd

    X, y = _three_classes()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    spec = ModelSpec(network={"module": "usernets:ResMLP", "training": {"epochs": 2, "seed": 0}})
    fitted = make_estimator(spec, Task.CLASSIFICATION, "s.yaml", usernets).fit(frame, y)
    assert np.array_equal(fitted.predict_proba(frame), fitted.predict_proba(X))
    with pytest.raises(ValueError, match="feature names"):
        fitted.predict(frame[["b", "a", "c", "d"]])
