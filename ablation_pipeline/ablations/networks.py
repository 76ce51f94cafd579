"""A study's torch network as a scikit-learn estimator: declared layers as they are, or the user's own
`nn.Module` resolved through the project's trust (nothing imported before the check) with its checkpoint
read once and hashed; and what planning needs to know of such a module (its layers and their shapes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator

from ..errors import SpecError
from ..spec.network import NetworkSpec
from ..spec.trust import Trust
from ..vocabulary import Task
from .imports import trusted_object
from .plan import ModuleLayers

FIELD = "model.network"


def network_estimator(network: NetworkSpec, task: Task, prefix: str = "", trust: Trust | None = None,
                      base_dir: Path | None = None, pretrained: bool = False) -> BaseEstimator:
    """TorchClassifier or TorchRegressor for the network; a module network gets its resolved factory and
    its checkpoint's weights (`pretrained`: evaluated as the checkpoint gives them, never trained)."""
    from ..torch_nets.estimator import TorchClassifier, TorchRegressor

    cls = TorchClassifier if task == Task.CLASSIFICATION else TorchRegressor
    if not network.is_module:
        return cls(network=network.model_dump(mode="json"))
    factory = module_factory(network, trust or Trust(), prefix)
    weights = checkpoint_weights(network, base_dir, prefix)
    if pretrained and weights is None:
        raise SpecError(f"{prefix}{FIELD}.checkpoint: a held-out study evaluates a pretrained network as given; name its "
                        "checkpoint, or drop evaluation.holdout to train it by cross-validation")
    return cls(network=network.model_dump(mode="json"), module=factory, weights=weights, pretrained=pretrained)


def module_factory(network: NetworkSpec, trust: Trust, prefix: str = "") -> Any:
    """The class or factory `module` names, from a module the project trusts."""
    found = trusted_object(network.module, trust, f"{prefix}{FIELD}.module")
    if not callable(found):
        raise SpecError(f"{prefix}{FIELD}.module: '{network.module}' is a {type(found).__name__}, not an nn.Module class or "
                        "a function returning one")
    return found


def checkpoint_path(network: NetworkSpec, base_dir: Path | None) -> Path | None:
    """The checkpoint file, relative to the spec's folder (as the data source is)."""
    if network.checkpoint is None:
        return None
    raw = Path(network.checkpoint).expanduser()
    return raw if raw.is_absolute() else (base_dir or Path.cwd()) / raw


def checkpoint_weights(network: NetworkSpec, base_dir: Path | None, prefix: str = "") -> Any:
    """The checkpoint's state_dict and the hash of the bytes read, or None without a checkpoint."""
    path = checkpoint_path(network, base_dir)
    if path is None:
        return None
    from ..torch_nets.user_module import read_checkpoint

    if not path.exists():
        raise SpecError(f"{prefix}{FIELD}.checkpoint: file not found: {network.checkpoint} (looked in {path.parent})")
    return read_checkpoint(path, f"{prefix}{FIELD}.checkpoint")


def module_layers(network: NetworkSpec, trust: Trust, n_inputs: int, prefix: str = "") -> ModuleLayers:
    """The module's submodules and the shapes each takes and gives on a zero batch of `n_inputs` features
    (built with `kwargs` on the CPU, no checkpoint needed: names and shapes do not depend on weights). A
    forward that fails on that batch leaves the shapes unknown and says why."""
    from ..torch_nets.user_module import construct, example_batch, shapes_of, submodules

    module = construct(network, module_factory(network, trust, prefix), f"{prefix}{FIELD}")
    names = tuple(submodules(module))
    children = tuple(name for name, _ in module.named_children())
    try:
        shapes = shapes_of(module, example_batch(network, n_inputs, f"{prefix}{FIELD}"), names)
    except SpecError as exc:
        return ModuleLayers(names, children, {}, str(exc))
    return ModuleLayers(names, children, shapes)
