"""`evaluation.repeats: auto`: variants take whole repeats, look by look, until their verdict on every
metric is settled (stats.stopping), at most `max_repeats`. Each look's splits are one block, filed in
the store on its own, so a later run, a longer study or another variant reuses every split already
computed; the baseline's blocks are computed once, by whichever step needs them first.

A fixed design is the one-block case: one step, the same fingerprints as ever."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..ablations.fitting import Outcome
from ..data.splits import Split
from ..stats.evidence import evidence
from ..stats.sequential import Design
from ..stats.stopping import should_stop
from ..store.cache import ResultCache
from .blocks import adaptive_fingerprint, blocks, design
from .cached import Computed, cached_baseline, cached_variants
from .setup import Setup
from .steps import metric_margins, scores

#: Computes the named outcomes on one block of splits, given the baseline's outcome on that block.
BlockStep = Callable[[list[str], list[Split], Outcome], dict[str, Computed]]


@dataclass(frozen=True)
class Looked:
    """Outcomes over the looks each one took, and the baseline's outcomes block by block as far as
    any of them went."""

    computed: dict[str, Computed]
    baseline_blocks: list[Outcome]

    def baseline(self) -> Outcome:
        return joined_outcome("baseline", self.baseline_blocks)


def take_looks(setup: Setup, splits: list[Split], names: Sequence[str], base: Outcome, step: BlockStep,
               keys: dict[str, str], cache: ResultCache | None, family_size: Callable[[str], int], force: bool = False,
               n_jobs: int = 1, forced_since: float | None = None) -> Looked:
    """Run `step` on the first block for every name, then on each further block for the names whose
    verdicts are not yet settled (judged with `family_size(name)` variants sharing the level). `base` is the
    baseline on the first block; `keys` are the fingerprints the joined outcomes are filed under. In a
    forced run started at `forced_since`, a baseline block another step already refitted is reused."""
    parts = blocks(setup, splits)
    if len(parts) == 1:
        return Looked(step(list(names), splits, base), [base])
    plan = design(setup, splits)
    alpha = setup.plan.spec.statistics.alpha
    base_scores = [scores(setup, parts[0], [base])]
    first = base_scores[0].groupby("metric")["value"].mean()  # the baseline's first repeat, as the comparison takes it
    margins = {metric: margin.resolve(float(first[metric])) for metric, margin in metric_margins(setup).items()}
    taken: dict[str, list[Computed]] = {name: [] for name in names}
    own_scores: dict[str, list[pd.DataFrame]] = {name: [] for name in names}
    bases, active = [base], list(names)
    for look, part in enumerate(parts):
        if look > 0:
            bases.append(cached_baseline(setup, part, cache, force, n_jobs, forced_since).outcome)
            base_scores.append(scores(setup, part, [bases[-1]]))
        computed = step(active, part, bases[-1])
        for name in active:
            taken[name].append(computed[name])
            if not computed[name].outcome.failed:
                own_scores[name].append(scores(setup, part, [computed[name].outcome]))
        active = [name for name in active if not computed[name].outcome.failed
                  and not _settled(setup, plan, margins, base_scores, own_scores[name], family_size(name), alpha)]
        if not active:
            break
    return Looked({name: _joined(name, taken[name], keys[name]) for name in names}, bases)


def _settled(setup: Setup, plan: Design, margins: dict[str, float], base_scores: list[pd.DataFrame],
             own: list[pd.DataFrame], variants: int, alpha: float) -> bool:
    base_table, own_table = pd.concat(base_scores[: len(own)]), pd.concat(own)
    found = []
    for metric in setup.metrics:
        pair = [t[t.metric == metric.name].set_index(["repeat", "fold"])["value"].sort_index() for t in (own_table, base_table)]
        found.append(evidence((pair[0] - pair[1]).to_numpy(), plan, margins[metric.name], metric.direction, alpha))
    return should_stop(found, variants, alpha, setup.plan.spec.statistics.multiplicity)


def joined_outcome(name: str, parts: list[Outcome], key: str = "") -> Outcome:
    """One outcome from its blocks: every fold, and what they cost (fitted models stay with the blocks)."""
    return Outcome(name, [fold for part in parts for fold in part.folds], fits=sum(p.fits for p in parts), fingerprint=key)


def _joined(name: str, parts: list[Computed], key: str) -> Computed:
    failure = next((p.outcome.failure for p in parts if p.outcome.failed), None)
    if failure is not None:  # never filed: the next run tries again (its earlier blocks come from the store)
        return Computed(Outcome(name, [], fingerprint=key, failure=failure), key, cached=False)
    return Computed(joined_outcome(name, [p.outcome for p in parts], key), key, cached=all(p.cached for p in parts))


def with_baseline_extended(setup: Setup, splits: list[Split], outcomes: Mapping[str, Outcome],
                           cache: ResultCache | None) -> dict[str, Outcome]:
    """The outcomes with the baseline (given on the first block) over as many repeats as the furthest
    variant took: its further blocks from the store, where those variants filed them."""
    parts = blocks(setup, splits)
    base = outcomes["baseline"]
    if len(parts) == 1:
        return dict(outcomes)
    repeat_of = {s.index: s.repeat for s in splits}
    furthest = max([0, *(repeat_of[f.split] for name, o in outcomes.items() if name != "baseline" for f in o.folds)])
    more = [cached_baseline(setup, part, cache).outcome for part in parts[1:] if part[0].repeat <= furthest]
    return {**outcomes, "baseline": joined_outcome("baseline", [base, *more], base.fingerprint)}


def looked_variants(setup: Setup, names: Sequence[str], splits: list[Split], base: Outcome, cache: ResultCache | None,
                    force: bool = False, n_jobs: int = 1, forced_since: float | None = None) -> dict[str, Computed]:
    """Plan variants over the looks they take (`base`: the baseline on the first block)."""
    keys = {name: adaptive_fingerprint(setup, splits, name) for name in names}

    def step(active: list[str], part: list[Split], part_base: Outcome) -> dict[str, Computed]:
        return cached_variants(setup, active, part, part_base, cache, force, n_jobs)

    return take_looks(setup, splits, names, base, step, keys, cache, setup.plan.family_size, force, n_jobs,
                      forced_since).computed
