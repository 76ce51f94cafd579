"""Expand a spec's `ablations` into concrete, uniquely named variants (parse -> plan -> build)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import SpecError, did_you_mean, listed
from ..spec.network import removable_layers
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


def plan_variants(spec: StudySpec, features: list[str],
                  clusters: Mapping[int, Sequence[tuple[str, ...]]] | None = None) -> list[Variant]:
    """Every variant of the study, in spec order; names are `<mode>__<feature or group>`. `clusters`
    gives, per ablation entry with `features: clusters`, the clusters of associated features found in
    the data (each one variant)."""
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
        elif ablation.layers is not None:
            targets = _layer_targets(spec, ablation, f"{label}: ablations[{i}]", problems)
        elif ablation.features == "clusters":
            targets = [(None, "_and_".join(members), tuple(members)) for members in (clusters or {}).get(i, ())]
        else:
            targets = _targets(ablation, features, groups, f"{label}: ablations[{i}]", problems)
        sweep = ablation.factors or ablation.values or (None,)
        expanded = [(j, name, parts, factor) for j, name, parts in targets for factor in sweep]
        for j, name_part, components, factor in expanded:
            where = f"ablations[{i}]" if j is None else f"ablations[{i}].{ablation.target}[{j}]"
            marker = "v" if ablation.param is not None else "x"
            suffix = "" if factor is None else f"__{marker}{factor_slug(factor)}"
            variant = Variant(
                name=f"{mode}__{slug(name_part)}{suffix}",
                kind=ablation.kind,
                mode=mode,
                label=name_part,
                components=components,
                permutations=ablation.permutations,
                origin=where,
                factor=factor,
            )
            twin = seen.get(variant.name) or seen_components.get((variant.mode, frozenset(components), factor))
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
            seen[variant.name] = seen_components[(variant.mode, frozenset(components), factor)] = variant
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
