"""`evaluation.repeats: auto`: variants take whole repeats, look by look, until their verdict on every
metric is settled (stats.stopping), at most `max_repeats`. Each look's splits are one block, filed in
the store on its own, so a later run, a longer study or another variant reuses every split already
computed; the baseline's blocks are computed once, by whichever step needs them first.

The same rule is replayed wherever a cut must be known without fitting, on the per-split scores noted
beside each stored block: the scores step cuts the blocks each variant holds where the current
statistics say, and the stale selection asks whether the blocks a variant holds are enough. So a
changed alpha refits only the looks the new level needs. A fixed design is the one-block case."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..ablations.fitting import Outcome
from ..data.splits import Split, holdout_ratio
from ..errors import ChangedDuringRunError
from ..stats.evidence import evidence
from ..stats.sequential import Design
from ..stats.stopping import should_stop
from .compute import Filed, Policy, Work, baseline_block, on_block
from .identity import Identity, looks
from .setup import Setup
from .steps import metric_margins, scores

BlockScores = dict[str, list[float]]  # metric (or metric + DVAR) -> the block's per-split values, in split order
SCORES_NOTE = "scores1"  # the kind of note the per-split scores are filed as (bump when metrics change)
DVAR = "|delta_variance"  # suffix of a metric's split deltas' variances as the rows tell them (against the note's AGAINST)
AGAINST = "|against"  # the baseline block those variances were paired with


def block_scores(setup: Setup, block: Sequence[Split], outcome: Outcome, base: Outcome | None = None) -> BlockScores:
    """Every metric on each split of the block (random draws averaged within a split), and with `base` the
    split deltas' variances the rows tell, for the metrics that are means over rows."""
    table = scores(setup, list(block), [outcome], against=base).sort_values(["repeat", "fold"], kind="stable")
    found = {metric.name: table.loc[table.metric == metric.name, "value"].tolist() for metric in setup.metrics}
    if base is not None:
        found |= {metric.name + DVAR: table.loc[table.metric == metric.name, "delta_variance"].tolist()
                  for metric in setup.metrics if metric.per_row is not None}
    return found


def noted_scores(setup: Setup, identity: Identity, key: str, b: int, outcome: Outcome | None, policy: Policy,
                 against: tuple[str, Outcome | None] | None = None) -> BlockScores | None:
    """The block's scores: from the note beside its stored fits, else scored from `outcome` (or from the
    stored fits) and noted; with `against` (the baseline block's key and outcome, if at hand) the
    variances its rows tell too. None when neither the note nor the fits are at hand."""
    store = policy.store
    note = store.get_note(key, SCORES_NOTE) if store is not None else None
    wanted = [m.name for m in setup.metrics]
    if against is not None:
        wanted += [m.name + DVAR for m in setup.metrics if m.per_row is not None]
    if (isinstance(note, dict) and (against is None or note.get(AGAINST) == against[0])
            and all(isinstance(note.get(m), list) and len(note[m]) == len(identity.blocks[b]) for m in wanted)):
        return {m: [float(v) for v in note[m]] for m in wanted}
    outcome = outcome or (store.get(key) if store is not None else None)
    base = None if against is None else against[1] or (store.get(against[0]) if store is not None else None)
    if outcome is None or (against is not None and base is None):
        return None
    scores = block_scores(setup, identity.blocks[b], outcome, base)
    if store is not None:
        extra = {} if against is None else {AGAINST: against[0]}
        store.put_note(key, SCORES_NOTE, {**(note if isinstance(note, dict) else {}), **scores, **extra})
    return scores


@dataclass(frozen=True)
class Judge:
    """The stopping rule of one study: its design, alpha and the margins resolved on the baseline's
    first repeat (as the comparison resolves them)."""

    setup: Setup
    design: Design

    @classmethod
    def of(cls, setup: Setup, identity: Identity) -> Judge:
        splits = [s for block in identity.blocks for s in block]
        return cls(setup, Design(setup.plan.spec.evaluation.folds, looks(setup.plan.spec.evaluation), holdout_ratio(splits)))

    def settled(self, own: Sequence[BlockScores], bases: Sequence[BlockScores], variants: int) -> bool:
        """Whether the verdict on every metric is settled after these blocks (`variants`: how many share
        the family-wise level of its essential/harmful claims)."""
        statistics = self.setup.plan.spec.statistics
        found = []
        for metric, margin in metric_margins(self.setup).items():
            deltas = np.concatenate([np.subtract(o[metric], b[metric]) for o, b in zip(own, bases, strict=False)])
            variances = np.concatenate([o[metric + DVAR] for o in own]) if all(metric + DVAR in o for o in own) else None
            direction = next(m.direction for m in self.setup.metrics if m.name == metric)
            found.append(evidence(deltas, self.design, margin.resolve(float(np.mean(bases[0][metric]))), direction, statistics.alpha,
                                  variances if variances is not None and np.all(np.isfinite(variances)) else None))
        return should_stop(found, variants, statistics.alpha, statistics.multiplicity)

    def cut(self, own: Sequence[BlockScores], bases: Sequence[BlockScores], variants: int) -> int | None:
        """How many of the given blocks the rule takes: the first look at which it is settled, or all of
        the design's; None when these are not enough (it would go on)."""
        for taken in range(1, len(own) + 1):
            if taken == len(self.design.looks) or self.settled(own[:taken], bases[:taken], variants):
                return taken
        return None


#: The work to do for these names on block `b`.
WorksFor = Callable[[list[str], int], list[Work]]


def take_looks(setup: Setup, identity: Identity, names: Sequence[str], base: Filed | None, works_for: WorksFor, policy: Policy,
               family_size: Callable[[str], int]) -> dict[str, Filed]:
    """The named results over the looks each takes: every name on the first block, then on each further
    block the names whose verdicts are not yet settled (with `family_size(name)` variants sharing the
    level). `base` is the baseline on the first block (retrained variants of a fixed design need none);
    the fits of its further blocks are counted with the first variant that needed them. A baseline made
    from another version of the spec or data than this step's is refused: what is computed on its models
    would be filed under this version's keys."""
    if base is not None and not identity.is_prefix("baseline", base.keys):
        raise ChangedDuringRunError.of(setup.plan.label, "'baseline'")
    if not identity.adaptive:
        return on_block(setup, works_for(list(names), 0), identity.block(0), base.outcome if base else None, policy)
    bases = [base]
    base_scores = [noted_scores(setup, identity, base.keys[0], 0, base.outcome, policy)]
    judge = Judge.of(setup, identity)
    held: dict[str, Filed] = {}
    own: dict[str, list[BlockScores]] = {name: [] for name in names}
    active = list(names)
    for b in range(len(identity.blocks)):
        if b > 0:
            bases.append(baseline_block(setup, identity, b, policy))
            base_scores.append(noted_scores(setup, identity, bases[b].keys[0], b, bases[b].outcome, policy))
        got = on_block(setup, works_for(active, b), identity.block(b), bases[b].outcome, policy)
        if b > 0 and bases[b].fitted:  # the baseline's further repeats count as fits of the first variant that needed them
            got[active[0]] = replace(got[active[0]], fitted=got[active[0]].fitted + bases[b].fitted)
        for name in active:
            held[name] = got[name] if b == 0 else held[name].then(got[name])
            if not got[name].failed:
                own[name].append(noted_scores(setup, identity, got[name].keys[0], b, got[name].outcome, policy,
                                              (bases[b].keys[0], bases[b].outcome)))
        active = [n for n in active if not held[n].failed and not judge.settled(own[n], base_scores, family_size(n))]
        if not active:
            break
    return held


def cut_of(setup: Setup, identity: Identity, held: Filed, bases: Sequence[Filed], policy: Policy, variants: int) -> int | None:
    """How many of the blocks `held` holds the current rule takes (see `Judge.cut`); `bases` are the
    baseline's blocks, at least as many."""
    if not identity.adaptive or held.failed:
        return len(held.keys)
    own = [noted_scores(setup, identity, key, b, block, policy, (bases[b].keys[0], bases[b].outcome))
           for b, (key, block) in enumerate(zip(held.keys, held.blocks, strict=True))]
    base_scores = [noted_scores(setup, identity, base.keys[0], b, base.outcome, policy) for b, base in enumerate(bases[: len(own)])]
    return Judge.of(setup, identity).cut(own, base_scores, variants)


def enough_held(setup: Setup, identity: Identity, name: str, held: int, policy: Policy) -> bool:
    """Whether the first `held` blocks of a planned variant are all the current rule needs, judged from
    the scores noted beside the stored blocks (or the stored fits themselves). False when a block or the
    baseline's block is not stored: then only computing it can tell."""
    if not identity.adaptive:
        return held == 1
    own, bases = [], []
    for b in range(held):
        base_key = identity.key("baseline", b)
        found = [noted_scores(setup, identity, identity.key(name, b), b, None, policy, (base_key, None)),
                 noted_scores(setup, identity, base_key, b, None, policy)]
        if None in found:
            return False
        own.append(found[0])
        bases.append(found[1])
    return Judge.of(setup, identity).cut(own, bases, setup.plan.family_size(name)) is not None
