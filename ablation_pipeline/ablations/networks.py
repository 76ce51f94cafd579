"""A study's torch network as a scikit-learn estimator: declared layers as they are, or the user's own
`nn.Module` resolved through the project's trust (nothing imported before the check) with its checkpoint
read once and hashed; and what planning needs to know of such a module (its layers and their shapes)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator

from ..data.dataset import Dataset
from ..errors import SpecError
from ..spec.network import NetworkSpec
from ..spec.trust import Trust
from ..vocabulary import Task
from .imports import trusted_object
from .plan import ModuleLayers
from .preparation import FitOptions, build_pipeline

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


def network_sizes(estimator: BaseEstimator, dataset: Dataset, options: FitOptions) -> tuple[int, int]:
    """(values per row the network receives after the study's preprocessing, every category counting; the
    outputs the task needs): what every build of the study's network is sized with, found once per check."""
    prepare = build_pipeline(estimator, list(dataset.numeric), list(dataset.categorical), None, options)[0]
    width = prepare.fit(dataset.features).transform(dataset.features.head(2)).shape[1]
    return width, len(dataset.classes) if dataset.classes else 1


def built_network(network: NetworkSpec, estimator: BaseEstimator, sizes: tuple[int, int], remove: tuple[str, ...] = (),
                  field: str = FIELD) -> Any:
    """The study's network (declared or the user's module, with its checkpoint) built at `sizes`
    (`network_sizes`), `remove`d layers left out: every shape and size check of a fit, without training."""
    from ..torch_nets.build import build_network
    from ..torch_nets.user_module import build_module

    if network.is_module:
        params = estimator.get_params(deep=False)
        return build_module(network, params["module"], params["weights"], *sizes, remove, field)
    return build_network(network, *sizes, remove=remove, field=field)


def network_catalog(network: NetworkSpec, estimator: BaseEstimator, dataset: Dataset, options: FitOptions) -> list:
    """Every layer of the built network (`torch_nets.user_module.LayerInfo`): dotted name, type, output shape
    on a batch, parameters, and whether `remove` can take it out (a declared layer: all but the output
    layer and pure reshapes; a module's: where an Identity fits)."""
    from ..spec.network import removable_layers
    from ..torch_nets.user_module import module_catalog

    sizes = network_sizes(estimator, dataset, options)
    rows = module_catalog(built_network(network, estimator, sizes), sizes[0])
    if network.is_module:
        return rows
    declared = set(removable_layers(network))
    return [replace(row, removable=row.name in declared) for row in rows if not row.name.startswith("_")]
