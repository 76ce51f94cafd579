"""Expand a spec's `ablations` into concrete, uniquely named variants (parse -> plan -> build)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import SpecError, did_you_mean, listed
from ..spec.network import UnitSlice, removable_layers
from ..spec.schema import AblationSpec, StudySpec
from ..vocabulary import Kind, Mode
from .sweeps import apply_setting

BASELINE = "baseline"


@dataclass(frozen=True)
class Variant:
    """One ablated model: which features, how they are ablated, and where in the spec it came from."""

    name: str
    kind: Kind
    mode: Mode
    label: str
    components: tuple[str, ...]
    permutations: int
    origin: str
    factor: float | None = None  # the swept factor (scale, noise) or value (param sweep)
    units: UnitSlice | None = None  # the slice of a layer's units it knocks out (layers with `units`)

    def __post_init__(self) -> None:
        """Plain strings ('feature', 'drop') become their vocabulary members (an unknown one raises)."""
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "mode", Mode(self.mode))

    @property
    def refits(self) -> bool:
        """Retrained without the component; else the baseline's fitted fold models are reused at inference."""
        return self.mode.refits

    @property
    def components_text(self) -> str:
        return "+".join(self.components)

    @property
    def draws(self) -> int:
        """Random draws per fold: `permutations` for the modes that draw, else one."""
        return self.permutations if self.mode.draws else 1

    @property
    def entry(self) -> str:
        """The ablation entry it came from (`ablations[2]`): the unit the graph computes together."""
        return self.origin.split(".", 1)[0]

    def identity(self) -> dict[str, object]:
        """What determines this variant's result (for its code version and cache key)."""
        identity: dict[str, object] = {"kind": self.kind, "mode": self.mode, "components": list(self.components)}
        if self.mode.draws:
            identity["permutations"] = self.permutations
        if self.factor is not None:
            identity["factor"] = self.factor
        if self.units is not None:
            identity["units"] = self.units.identity()
        return identity


def slug(text: str) -> str:
    """A name part Dagster takes (letters, digits, underscores) that keeps the original where it is safe:
    a column name of those characters is itself (case kept: `Age` and `age` stay two names); any other is
    its safe characters plus a short hash of the whole original, so two names never become one
    (`price (usd)` -> `price_usd_1f0c3a`, `年龄` -> `x_8b5e2d`)."""
    safe = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    if safe == text and safe:
        return safe
    return f"{safe or 'x'}_{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:6]}"


def factor_slug(factor: float) -> str:
    """0.5 -> '0_5', -1 -> 'm1': a swept value's part of a variant name (the sign kept)."""
    return ("m" if factor < 0 else "") + slug(f"{abs(factor):g}".replace(".", "_"))


@dataclass(frozen=True)
class ModuleLayers:
    """What planning knows of a user's nn.Module: its submodules' dotted names, its direct children, and
    the shape each submodule takes and gives on one example batch ((), () for one the dry run did not reach)."""

    names: tuple[str, ...]
    children: tuple[str, ...]
    shapes: Mapping[str, tuple[tuple[int, ...], tuple[int, ...]]]
    problem: str = ""  # why the dry run failed, if it did (the shapes are then unknown)


def plan_variants(spec: StudySpec, features: list[str], clusters: Mapping[int, Sequence[tuple[str, ...]]] | None = None,
                  module_layers: ModuleLayers | None = None) -> list[Variant]:
    """Every variant of the study, in spec order; names are `<mode>__<feature or group>`. `clusters`
    gives, per ablation entry with `features: clusters`, the clusters of associated features found in
    the data (each one variant); `module_layers` the layers of a network given as the user's module."""
    label = spec.label
    groups = _checked_groups(spec, features, label)
    variants: list[Variant] = []
    seen: dict[str, Variant] = {}
    seen_components: dict[tuple[str, frozenset[str], float | None], Variant] = {}
    problems: list[str] = []
    for i, ablation in enumerate(spec.ablations):
        mode = ablation.resolved_mode
        if ablation.param is not None:
            targets = _param_target(spec, ablation, f"{label}: ablations[{i}]", problems)
        elif ablation.layers is not None and module_layers is not None:
            targets = _module_targets(module_layers, ablation, f"{label}: ablations[{i}]", problems)
        elif ablation.layers is not None:
            targets = _layer_targets(spec, ablation, f"{label}: ablations[{i}]", problems)
        elif ablation.features == "clusters":
            targets = [(None, "_and_".join(members), tuple(members)) for members in (clusters or {}).get(i, ())]
        else:
            targets = _targets(ablation, features, groups, f"{label}: ablations[{i}]", problems)
        sweep = ablation.factors or ablation.values or (None,)
        expanded = [(j, name, parts, factor, units) for j, name, parts in targets for factor in sweep
                    for units in _unit_slices(ablation, parts, module_layers, f"{label}: ablations[{i}]", problems)]
        for j, name_part, components, factor, units in expanded:
            where = f"ablations[{i}]" if j is None else f"ablations[{i}].{ablation.target}[{j}]"
            marker = "v" if ablation.param is not None else "x"
            suffix = "" if factor is None else f"__{marker}{factor_slug(factor)}"
            suffix += "" if units is None else f"__{units.slug}"
            variant = Variant(
                name=f"{mode}__{layer_slug(name_part) if ablation.layers is not None else slug(name_part)}{suffix}",
                kind=ablation.kind,
                mode=mode,
                label=name_part if units is None else f"{name_part}{units.text}",
                components=components,
                permutations=ablation.permutations,
                origin=where,
                factor=factor,
                units=units,
            )
            same = (variant.mode, frozenset(components), factor if units is None else (factor, *units.identity()))
            twin = seen.get(variant.name) or seen_components.get(same)
            if twin is not None and _from_clusters(spec, twin, variant):
                continue  # a cluster found in the data that another entry asks for anyway: computed once
            if twin is not None:
                problems.append(f"{label}: {where}: duplicate variant '{variant.name}' (same as '{twin.name}' from {twin.origin})")
                continue
            if variant.mode == Mode.DROP and len(components) == len(features):
                problems.append(f"{label}: {where}: dropping every feature leaves nothing to fit")
                continue
            if variant.mode == Mode.CONDITIONAL and len(components) == len(features):
                what = "the only feature" if len(features) == 1 else "every feature"
                problems.append(f"{label}: {where}: mode conditional draws a component given the other features, and "
                                f"{'+'.join(components)} is {what}: nothing to condition on (use permute or mean)")
                continue
            seen[variant.name] = seen_components[same] = variant
            variants.append(variant)
    if problems:
        raise SpecError("\n".join(dict.fromkeys(problems)))
    return variants


def _from_clusters(spec: StudySpec, *variants: Variant) -> bool:
    """Whether any of the variants comes from a `features: clusters` entry."""
    return any(spec.ablations[int(v.origin.split("[")[1].split("]")[0])].features == "clusters" for v in variants)


def _param_target(spec: StudySpec, ablation: AblationSpec, where: str,
                  problems: list[str]) -> list[tuple[int | None, str, tuple[str, ...]]]:
    """The swept setting must exist in the model spec (checked again with each value at set-up)."""
    try:
        apply_setting(spec.model, ablation.param, ablation.values[0])
    except SpecError as exc:
        problems.append(f"{where}.param: {exc}")
        return []
    return [(None, ablation.param.rsplit(".", 1)[-1], (ablation.param,))]


def _layer_targets(spec: StudySpec, ablation: AblationSpec, where: str,
                   problems: list[str]) -> list[tuple[int | None, str, tuple[str, ...]]]:
    """Layer names (or [blocks]) of the declared network; the output layer cannot be ablated."""
    network = spec.model.network
    if network is None:
        problems.append(f"{where}.layers: layer ablations need a torch network (model.network); "
                        f"model.estimator '{spec.model.estimator}' has no named layers")
        return []
    if ablation.layers == "each":
        return [(None, name, (name,)) for name in removable_layers(network)]
    names = [layer.name for layer in network.layers]
    output = network.layers[-1].name
    targets = []
    for j, item in enumerate(ablation.layers):
        members = (item,) if isinstance(item, str) else tuple(dict.fromkeys(item))
        bad = False
        for k, member in enumerate(members):
            place = f"{where}.layers[{j}]" + ("" if isinstance(item, str) else f"[{k}]")
            if member not in names:
                problems.append(f"{place}: unknown layer '{member}'{did_you_mean(member, names)}")
                bad = True
            elif member == output:
                problems.append(f"{place}: '{member}' is the output layer and cannot be ablated")
                bad = True
        if not bad:
            targets.append((j, "_and_".join(members), members))
    return targets


def layer_slug(name: str) -> str:
    """A layer's (dotted) name as a variant name part: `block1.fc2` -> `block1_fc2`."""
    return slug(name.replace(".", "_"))


def _module_targets(layers: ModuleLayers, ablation: AblationSpec, where: str,
                    problems: list[str]) -> list[tuple[int | None, str, tuple[str, ...]]]:
    """Submodules of the user's module by dotted name (or [blocks] of them); `each` is its direct children."""
    if ablation.layers == "each":
        return [(None, name, (name,)) for name in layers.children]
    targets = []
    for j, item in enumerate(ablation.layers):
        members = (item,) if isinstance(item, str) else tuple(dict.fromkeys(item))
        unknown = [(k, m) for k, m in enumerate(members) if m not in layers.names]
        for k, member in unknown:
            place = f"{where}.layers[{j}]" + ("" if isinstance(item, str) else f"[{k}]")
            near = [n for n in layers.names if n.split(".")[0] == member.split(".")[0]] or list(layers.children)
            problems.append(f"{place}: '{member}' is not a layer of the module{did_you_mean(member, layers.names)} "
                            f"(near it: {listed(near)}; `ablation layers` lists them all)")
        if not unknown:
            targets.append((j, "_and_".join(members), members))
    return targets


def _unit_slices(ablation: AblationSpec, members: tuple[str, ...], layers: ModuleLayers | None, where: str,
                 problems: list[str]) -> list[UnitSlice | None]:
    """The slices of `units` for one target (a single layer): [0, size), [size, 2 size), ... up to the
    layer's width along `dim`, as the dry run measured it (a last, shorter slice is kept)."""
    units = ablation.units
    if units is None:
        return [None]
    if layers is None:
        problems.append(f"{where}.units: units need a network given as module (model.network.module), whose shapes are measured")
        return []
    if len(members) != 1:
        problems.append(f"{where}.units: units slice one layer at a time; list layers singly, not as [blocks]")
        return []
    given, made = layers.shapes.get(members[0], ((), ()))
    shape = given if units.on == "input" else made
    if not shape:
        why = layers.problem or "the module's forward never calls it"
        problems.append(f"{where}.units: cannot measure the {units.on} of '{members[0]}' ({why})")
        return []
    if not -len(shape) < units.dim < len(shape):
        problems.append(f"{where}.units.dim: {units.dim} is not a dimension of '{members[0]}'s {units.on}, of shape "
                        f"(N{''.join(f', {d}' for d in shape[1:])})")
        return []
    width = shape[units.dim]
    if units.size > width:
        problems.append(f"{where}.units.size: {units.size} is more than the {width} units '{members[0]}' has along dim {units.dim}")
        return []
    return [UnitSlice(units.dim, start, min(start + units.size, width), units.on) for start in range(0, width, units.size)]


def _checked_groups(spec: StudySpec, features: list[str], label: str) -> dict[str, tuple[str, ...]]:
    problems = []
    for group, members in spec.data.groups.items():
        if group in features:
            problems.append(f"{label}: data.groups.{group}: a group cannot share its name with a feature")
        for k, member in enumerate(members):
            if member == spec.data.target:
                problems.append(f"{label}: data.groups.{group}[{k}]: '{member}' is the target, not a feature")
            elif member not in features:
                problems.append(f"{label}: data.groups.{group}[{k}]: unknown feature '{member}' (expected one of "
                                f"{listed(features)}){did_you_mean(member, features)}")
    if problems:
        raise SpecError("\n".join(problems))
    return dict(spec.data.groups)


def _targets(ablation: AblationSpec, features: list[str], groups: dict[str, tuple[str, ...]], where: str,
             problems: list[str]) -> list[tuple[int | None, str, tuple[str, ...]]]:
    """(position in the list, display name, feature tuple) for each variant an ablation entry asks for."""
    if ablation.features in ("each", "groups"):
        if ablation.features == "groups" and not groups:
            problems.append(f"{where}.features: 'groups' needs data.groups to define at least one group")
        singles = [(f, (f,)) for f in features] if ablation.features == "each" else []
        return [(None, name, members) for name, members in [*singles, *groups.items()]]
    targets = []
    for j, item in enumerate(ablation.features):
        if isinstance(item, str):
            if item in groups:
                targets.append((j, item, groups[item]))
            elif item in features:
                targets.append((j, item, (item,)))
            else:
                known = [*features, *groups]
                problems.append(f"{where}.features[{j}]: unknown feature or group '{item}' (expected one of {listed(known)})"
                                f"{did_you_mean(item, known)}")
            continue
        unknown = [m for m in item if m not in features]
        for member in unknown:
            k = item.index(member)
            problems.append(f"{where}.features[{j}][{k}]: unknown feature '{member}' (expected one of {listed(features)})"
                            f"{did_you_mean(member, features)}")
        if not unknown:
            targets.append((j, "_and_".join(item), tuple(dict.fromkeys(item))))
    return targets
