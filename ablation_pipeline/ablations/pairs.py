"""Interaction pairs: which components (features, groups or layers) `interactions` pairs, and the three
variants each pair needs (A alone, B alone, both), ablated the same way. Named pairs are checked
against the study when it is planned; `top: k` pairs are chosen from the single effects, once known."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from ..errors import SpecError, did_you_mean, listed
from ..spec.network import removable_layers
from ..spec.schema import StudySpec
from ..vocabulary import Kind, Mode
from .plan import Variant, slug

DEFAULT_PERMUTATIONS = 5  # draws per fold of a pair's own variants when no ablation entry gives them


@dataclass(frozen=True)
class Component:
    """One side of a pair: a feature, a group of features, or a layer (or block of layers)."""

    name: str
    kind: Kind
    members: tuple[str, ...]


@dataclass(frozen=True)
class Pair:
    a: Component
    b: Component
    mode: Mode
    permutations: int = DEFAULT_PERMUTATIONS

    @property
    def name(self) -> str:
        return f"{self.a.name}:{self.b.name}"

    def variant(self, *sides: Component) -> Variant:
        """The variant that ablates `sides` together (one side: A or B alone; both: AB)."""
        members = tuple(dict.fromkeys(m for side in sides for m in side.members))
        label = "+".join(side.name for side in sides)
        return Variant(name=f"{self.mode}__{'_x_'.join(slug(side.name) for side in sides)}", kind=sides[0].kind,
                       mode=self.mode, label=label, components=members, permutations=self.permutations,
                       origin="interactions")

    def variants(self) -> tuple[Variant, Variant, Variant]:
        return self.variant(self.a), self.variant(self.b), self.variant(self.a, self.b)


def interaction_mode(spec: StudySpec, kind: Kind) -> Mode:
    """The mode the spec names; else that of the first ablation entry of this kind of component (one
    without swept factors); else the kind's retraining mode (drop for features, remove for layers)."""
    if spec.interactions is not None and spec.interactions.mode is not None:
        return spec.interactions.mode
    entries = [a.resolved_mode for a in spec.ablations if a.kind == kind and not a.resolved_mode.takes_factors]
    return entries[0] if entries else Mode.for_kind(kind)[0]


def components_of(spec: StudySpec, features: Sequence[str]) -> dict[str, Component]:
    """Every component a pair may name: features, groups, and the declared network's layers."""
    found = {f: Component(f, Kind.FEATURE, (f,)) for f in features}
    found.update({g: Component(g, Kind.FEATURE, tuple(members)) for g, members in spec.data.groups.items()})
    if spec.model.network is not None:
        found.update({name: Component(name, Kind.LAYER, (name,)) for name in removable_layers(spec.model.network)})
    return found


def named_pairs(spec: StudySpec, features: Sequence[str]) -> list[Pair]:
    """The spec's `interactions.pairs`, each checked: known components of one kind, not overlapping, a
    mode that applies to them, and something left to fit when both are dropped."""
    if spec.interactions is None:
        return []
    known, label = components_of(spec, features), spec.label
    problems, pairs = [], []
    for i, (first, second) in enumerate(spec.interactions.pairs):
        where = f"{label}: interactions.pairs[{i}]"
        sides = []
        for j, name in enumerate((first, second)):
            if name in known:
                sides.append(known[name])
            else:
                problems.append(f"{where}[{j}]: unknown feature, group or layer '{name}' (expected one of {listed(known)})"
                                f"{did_you_mean(name, list(known))}")
        if len(sides) == 2:
            problem = _pair_problem(spec, sides[0], sides[1], len(features))
            if problem:
                problems.append(f"{where}: {problem}")
            else:
                pairs.append(Pair(sides[0], sides[1], interaction_mode(spec, sides[0].kind), _permutations(spec)))
    if problems:
        raise SpecError("\n".join(problems))
    return pairs


def top_candidates(spec: StudySpec, variants: Sequence[Variant]) -> list[Variant]:
    """The plan's single-component variants a `top: k` pair may be made of: ablated in the interaction
    mode, one feature, group or layer each, no swept factor."""
    modes = _top_modes(spec)
    return [v for v in variants if v.mode in modes and v.kind in (Kind.FEATURE, Kind.LAYER) and v.factor is None]


def _top_modes(spec: StudySpec) -> list[Mode]:
    """The interaction mode of each kind of component the study has (layers only with a network)."""
    kinds = [Kind.FEATURE, *([Kind.LAYER] if spec.model.network is not None else [])]
    return list(dict.fromkeys(interaction_mode(spec, kind) for kind in kinds))


def check_top(spec: StudySpec, variants: Sequence[Variant]) -> None:
    """`top: k` needs at least k single-component variants in the interaction mode."""
    top = None if spec.interactions is None else spec.interactions.top
    if top is None:
        return
    candidates = top_candidates(spec, variants)
    if top > len(candidates):
        modes = [str(mode) for mode in _top_modes(spec)]
        raise SpecError(f"{spec.label}: interactions.top: {top} is more than the {len(candidates)} component(s) the "
                        f"ablations take out one at a time with mode {' or '.join(modes)}; expected at most {len(candidates)}")


def top_pairs(spec: StudySpec, ranked: Sequence[Variant], features: Sequence[str]) -> list[Pair]:
    """Every pair among the first `top` of `ranked` (largest single effect first), skipping pairs of
    different kinds or overlapping members."""
    top = spec.interactions.top if spec.interactions is not None else None
    if not top:
        return []
    sides = [(Component(v.label, v.kind, v.components), v.permutations) for v in ranked[:top]]
    return [Pair(a, b, interaction_mode(spec, a.kind), max(pa, pb)) for (a, pa), (b, pb) in combinations(sides, 2)
            if not _pair_problem(spec, a, b, len(features))]


def _pair_problem(spec: StudySpec, a: Component, b: Component, n_features: int) -> str:
    if a.kind != b.kind:
        return f"'{a.name}' is a {a.kind} and '{b.name}' a {b.kind}; a pair is two features/groups or two layers"
    overlap = sorted(set(a.members) & set(b.members))
    if overlap:
        return f"'{a.name}' and '{b.name}' share {', '.join(overlap)}; name components that do not overlap"
    mode = interaction_mode(spec, a.kind)
    if a.kind not in mode.kinds:
        return f"interactions.mode '{mode}' does not apply to {a.kind}s; expected one of {', '.join(Mode.for_kind(a.kind))}"
    if a.kind == Kind.FEATURE and len({*a.members, *b.members}) >= n_features and mode in (Mode.DROP, Mode.CONDITIONAL):
        return f"'{a.name}' and '{b.name}' are every feature: ablating both with mode {mode} leaves nothing"
    return ""


def _permutations(spec: StudySpec) -> int:
    """Draws per fold for the pairs' own variants: the largest any ablation entry of the same mode asks for."""
    mode = spec.interactions.mode if spec.interactions is not None else None
    asked = [a.permutations for a in spec.ablations if mode is not None and a.resolved_mode == mode]
    return max(asked, default=DEFAULT_PERMUTATIONS)
