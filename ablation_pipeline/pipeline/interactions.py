"""The interactions step: for each pair (named in the spec, or among the `top` single effects), the
variants A, B and AB on the same splits as the baseline, each through the store (a pair's variant that
equals a planned one is that one's fit), then I = delta_AB - delta_A - delta_B tested per metric.
Writes interactions.csv and a heat map."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..ablations.fitting import Outcome
from ..ablations.pairs import Pair, top_candidates, top_pairs
from ..ablations.plan import Variant
from ..data.splits import Split, holdout_ratio
from ..report.interactions import interactions_markdown
from ..report.plots import interaction_heatmap_png
from ..stats.interactions import PairScores, interaction_table
from ..store.owned import remove_owned, write_owned, write_owned_csv
from ..vocabulary import Verdict
from .compute import Filed, Policy, baseline_block, on_block, own_work
from .consistency import changed, require_comparison, require_filed
from .identity import Identity, looks
from .setup import Setup
from .steps import scores

CSV, PNG = "interactions.csv", "interactions.png"


@dataclass(frozen=True)
class InteractionsResult:
    table: pd.DataFrame | None  # None: the spec asks for no interactions
    failed: dict[str, str]  # pair -> why its variants could not be computed
    fits: int = 0
    version: str = ""  # the comparison it was made from (see consistency)
    primary: str = ""
    higher_is_better: bool = True

    @property
    def markdown(self) -> tuple[str, ...]:
        if self.table is None:
            return ()
        return tuple(interactions_markdown(self.table, self.primary, self.higher_is_better, self.failed,
                                           PNG if not self.table.empty else None))


def study_pairs(setup: Setup, comparison: pd.DataFrame) -> list[Pair]:
    """The named pairs, then the pairs among the `top` components by single effect on the primary
    metric (largest degradation first), without repeating a pair."""
    spec = setup.plan.spec
    primary = setup.metrics[0]
    rows = comparison[(comparison.metric == primary.name) & (comparison.verdict != Verdict.FAILED)].set_index("variant")
    candidates = [v for v in top_candidates(spec, setup.plan.variants) if v.name in rows.index]
    ranked = sorted(candidates, key=lambda v: -primary.direction.degradation(float(rows.at[v.name, "delta"])))
    pairs, seen = [], set()
    for pair in [*setup.plan.pairs, *top_pairs(spec, ranked, setup.plan.features)]:
        key = frozenset((pair.a.members, pair.b.members)), pair.mode
        if key not in seen:
            seen.add(key)
            pairs.append(pair)
    return pairs


def run(setup: Setup, identity: Identity, comparison: pd.DataFrame, baseline: Filed, policy: Policy, folder: Path) -> InteractionsResult:
    """Compute and test every pair; writes interactions.csv and interactions.png."""
    version = require_comparison(setup, identity, comparison)
    require_filed(setup, identity, {"baseline": baseline})
    for name in (CSV, PNG):
        remove_owned(folder / name)
    primary = setup.metrics[0]
    if setup.plan.spec.interactions is None:
        return InteractionsResult(None, {}, version=version, primary=primary.name)
    bases = [baseline]
    found, failed, fits = [], {}, 0
    for pair in study_pairs(setup, comparison):
        used = _blocks_needed(setup, identity, pair, comparison)
        while len(bases) < used:
            bases.append(baseline_block(setup, identity, len(bases), policy))
        held: dict[str, Filed] = {}
        for b in range(used):
            got = on_block(setup, [own_work(setup, identity, v, b) for v in pair.variants()], identity.block(b), bases[b].outcome, policy)
            held = {name: result if b == 0 else held[name].then(result) for name, result in got.items()}
        fits += sum(result.fitted for result in held.values())
        why = next((result.failure for result in held.values() if result.failed), None)
        if why is not None:
            failed[pair.name] = why
            continue
        base = bases[0]
        for more in bases[1:used]:
            base = base.then(more)
        outcomes = {name: result.outcome for name, result in held.items()}
        found += _pair_scores(setup, [s for b in range(used) for s in identity.blocks[b]], pair, base.outcome, outcomes)
    margins = comparison.groupby("metric")["margin"].first().to_dict()  # the comparison's own, resolved once
    table = interaction_table(found, {m.name: m.higher_is_better for m in setup.metrics}, holdout_ratio(identity.splits),
                              setup.plan.spec.statistics.alpha, setup.plan.spec.statistics.correction, margins)
    write_owned_csv(folder / CSV, table)
    if not table.empty:
        write_owned(folder / PNG, interaction_heatmap_png(table, primary.name, primary.higher_is_better))
    return InteractionsResult(table, failed, fits, version, primary.name, primary.higher_is_better)


def require_result(setup: Setup, identity: Identity, result: InteractionsResult, comparison: pd.DataFrame) -> None:
    """Interactions handed over by an earlier step were made from the comparison this step expects."""
    if result.version != require_comparison(setup, identity, comparison):
        raise changed(setup, "the interactions")


def _blocks_needed(setup: Setup, identity: Identity, pair: Pair, comparison: pd.DataFrame) -> int:
    """How many blocks of splits a pair takes: all of a fixed design; with `repeats: auto`, as many as
    the further of its two planned single variants took (at least the first)."""
    if not identity.adaptive:
        return 1
    folds = setup.plan.spec.evaluation.folds
    taken = comparison[comparison.metric == setup.metrics[0].name].set_index("variant")["n_splits"]
    repeats = [int(taken[v.name]) // folds for v in _planned(setup, pair.variants()[:2]) if v.name in taken.index]
    return max(1, sum(1 for look in looks(setup.plan.spec.evaluation) if look <= max(repeats, default=0)))


def _planned(setup: Setup, variants: tuple[Variant, ...]) -> list[Variant]:
    """The planned variants equal to these (same mode, components and factor)."""
    identities = {_identity(v): v for v in setup.plan.variants}
    return [identities[_identity(v)] for v in variants if _identity(v) in identities]


def _identity(variant: Variant) -> tuple:
    return variant.mode, frozenset(variant.components), variant.factor


def _pair_scores(setup: Setup, splits: list[Split], pair: Pair, base: Outcome, outcomes: dict[str, Outcome]) -> list[PairScores]:
    a, b, ab = (outcomes[v.name] for v in pair.variants())
    table = scores(setup, splits, [base, a, b, ab])
    found = []
    for metric in setup.metrics:
        wide = table[table.metric == metric.name].pivot(index=["repeat", "fold"], columns="variant", values="value")
        found.append(PairScores(pair.name, pair.a.name, pair.b.name, str(pair.mode), metric.name,
                                *(wide[name].to_numpy(dtype=float) for name in ("baseline", a.name, b.name, ab.name))))
    return found
