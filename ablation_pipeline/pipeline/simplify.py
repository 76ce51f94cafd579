"""The simplified model by backward elimination: take out the most clearly removable retrained
component, retrain on the same splits and test against the baseline; while the reduced model stays
non-inferior, take out the next one, and stop at the first that does not. Removals interact (two
features that stand in for each other are each removable alone, not together), so each step is
tested; the order is fixed before any step (most clearly removable first), which makes the path a
fixed-sequence test: every accepted step holds at level alpha without a further adjustment. A step
that equals a planned variant (the first: one component) reuses its fits from the store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..ablations.fitting import Outcome
from ..ablations.plan import Variant
from ..data.splits import Split, holdout_ratio
from ..evaluation.scoring import score_outcomes
from ..report.context import interval_columns
from ..report.sections import SimplifiedStep, simplified_markdown
from ..stats.comparison import compare_variants
from ..stats.paired import corrected_paired_ttest
from ..store.cache import fingerprint
from ..store.owned import remove_owned, write_owned_csv
from ..vocabulary import Kind, Mode, Verdict
from .compute import Filed, Policy, Work, baseline_block, own_work, removal_work
from .consistency import changed, require_comparison, require_filed
from .identity import Identity
from .looks import take_looks
from .setup import Setup
from .steps import bounded_metrics, metric_margins, sequential_looks

NAME = "simplified"
KEPT = (Verdict.REMOVABLE, Verdict.HARMFUL)  # non-inferior: within the margin, or even better


@dataclass(frozen=True)
class Simplification:
    features: tuple[str, ...]
    layers: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.features or self.layers)

    @property
    def components_text(self) -> str:
        return "+".join([*self.features, *self.layers])

    def plus(self, variant: Variant) -> Simplification:
        features = variant.components if variant.mode == Mode.DROP else ()
        layers = variant.components if variant.mode == Mode.REMOVE else ()
        return Simplification(tuple(dict.fromkeys([*self.features, *features])), tuple(dict.fromkeys([*self.layers, *layers])))

    def as_variant(self) -> Variant | None:
        """The planned-variant form of this removal (so a step equal to a planned variant shares its
        fits); None when it removes features and layers together."""
        if self.features and self.layers:
            return None
        kind, mode = (Kind.FEATURE, Mode.DROP) if self.features else (Kind.LAYER, Mode.REMOVE)
        return Variant(NAME, kind, mode, self.components_text, self.features or self.layers, permutations=1, origin=NAME)


def removal_order(setup: Setup, comparison: pd.DataFrame) -> list[Variant]:
    """Retrained variants judged removable on the primary metric, most clearly removable first (smallest
    adjusted non-inferiority p, then smallest degradation)."""
    primary = setup.metrics[0]
    rows = comparison[(comparison.metric == primary.name) & (comparison.verdict == Verdict.REMOVABLE)]
    planned = {v.name: v for v in setup.plan.variants if v.mode in (Mode.DROP, Mode.REMOVE)}
    rows = rows[rows.variant.isin(list(planned))]
    clarity = rows.get("p_noninferiority_adjusted", pd.Series(0.0, index=rows.index))
    order = rows.assign(_clarity=clarity, _cost=rows.delta.map(primary.direction.degradation))
    return [planned[name] for name in order.sort_values(["_clarity", "_cost"], kind="stable").variant]


def simplified_work(setup: Setup, identity: Identity, simplification: Simplification, b: int) -> Work:
    """The model without `simplification`'s components on block `b`: under the key of the planned
    variant it equals where it has that form (then a single removal is that variant's fits)."""
    as_variant = simplification.as_variant()
    if as_variant is not None:
        return own_work(setup, identity, as_variant, b)
    key = fingerprint(identity.fit_key(b), {NAME: [list(simplification.features), list(simplification.layers)]})
    return removal_work(NAME, key, clone(setup.estimator).set_params(remove=simplification.layers), simplification.features)


def compare_simplified(setup: Setup, splits: list[Split], outcome: Outcome, baseline: Outcome,
                       simplification: Simplification) -> pd.DataFrame:
    """The comparison rows of the simplified model (one per metric) plus what it saves. `baseline`
    covers at least the repeats the simplified model took."""
    table = score_outcomes([baseline, outcome], setup.dataset, splits, list(setup.metrics))
    variants = pd.DataFrame([(NAME, Kind.COMBINED, "simplify", simplification.components_text)],
                            columns=["variant", "kind", "mode", "components"])
    stats = setup.plan.spec.statistics
    rows = compare_variants(table, variants, {m.name: m.higher_is_better for m in setup.metrics}, holdout_ratio(splits),
                            alpha=stats.alpha, correction=stats.correction, margins=metric_margins(setup), extra_columns=True,
                            looks=sequential_looks(setup), inference=stats.test,
                            bounded=bounded_metrics(setup))
    sizes = [_mean_size(baseline), _mean_size(outcome)]
    saving = fit_time_saving(baseline, outcome, holdout_ratio(splits), stats.alpha)
    return rows.assign(
        parameters_baseline=sizes[0], parameters_simplified=sizes[1],
        fit_seconds_baseline=float(np.mean([f.fit_seconds for f in baseline.folds if f.split in saving.splits])),
        fit_seconds_simplified=float(np.mean([f.fit_seconds for f in outcome.folds])),
        fit_seconds_saved=saving.mean, fit_seconds_saved_low=saving.low, fit_seconds_saved_high=saving.high,
    )


@dataclass(frozen=True)
class Saving:
    """Fit seconds per split the simplified model saves, with the corrected interval of that mean."""

    mean: float
    low: float
    high: float
    splits: frozenset[int]


def fit_time_saving(baseline: Outcome, simplified: Outcome, ratio: float, alpha: float) -> Saving:
    """The paired saving of fit time, split by split (the same corrected test the verdicts use): the
    report claims it only when its interval excludes 0."""
    mine = {f.split: f.fit_seconds for f in simplified.folds}
    pairs = [(mine[f.split], f.fit_seconds) for f in baseline.folds if f.split in mine]
    saved = np.array([base - own for own, base in pairs])
    if saved.size < 2:
        return Saving(float(saved.mean()) if saved.size else 0.0, -np.inf, np.inf, frozenset(mine))
    test = corrected_paired_ttest(saved, ratio, alpha)
    return Saving(test.mean_delta, test.ci_low, test.ci_high, frozenset(mine))


@dataclass(frozen=True)
class SimplifiedResult:
    simplification: Simplification | None  # None: switched off (statistics.simplify: false)
    table: pd.DataFrame | None  # the accepted model's rows (simplified.csv); None when no step was accepted
    fits: int = 0
    cached: bool = False
    version: str = ""  # the comparison it was made from (see consistency)
    path: tuple[SimplifiedStep, ...] = ()
    every_component: bool = False  # every retrained component was removable on its own

    @property
    def markdown(self) -> tuple[str, ...]:
        """The report's section on the simplified model."""
        removed = None if self.simplification is None else (*self.simplification.features, *self.simplification.layers)
        return tuple(simplified_markdown(self.table, removed, self.path, self.every_component))


def run(setup: Setup, identity: Identity, comparison: pd.DataFrame, baseline: Filed, policy: Policy, folder: Path) -> SimplifiedResult:
    """Backward elimination over the removable retrained components; writes simplified.csv (the last
    accepted model) when any step was accepted."""
    version = require_comparison(setup, identity, comparison)
    require_filed(setup, identity, {"baseline": baseline})
    remove_owned(folder / "simplified.csv")
    if not setup.plan.spec.simplifies:
        return SimplifiedResult(None, None, version=version)
    order = removal_order(setup, comparison)
    retrained = [v for v in setup.plan.variants if v.mode in (Mode.DROP, Mode.REMOVE)]
    every = bool(order) and len(order) == len(retrained)
    current, accepted, path, fits, all_cached = Simplification((), ()), None, [], 0, True
    for variant in order:
        trial = current.plus(variant)
        if len(trial.features) >= len(setup.dataset.features.columns):
            path.append(SimplifiedStep(variant.components_text, trial.components_text, "not tried", False,
                                       why="dropping every feature leaves nothing to fit"))
            break
        table, result = _tested(setup, identity, baseline, trial, policy)
        fits += result.fitted
        all_cached &= result.computed == 0
        if table is None:
            path.append(SimplifiedStep(variant.components_text, trial.components_text, Verdict.FAILED, False, why=result.failure or ""))
            break
        row = table.iloc[0]
        kept = row.verdict in KEPT
        low, high, _ = interval_columns(table.columns)  # the interval the verdict was decided at, as the report shows it
        path.append(SimplifiedStep(variant.components_text, trial.components_text, str(row.verdict), kept,
                                   float(row.delta), float(row[low]), float(row[high])))
        if not kept:
            break
        current, accepted = trial, table
    if accepted is not None:
        write_owned_csv(folder / "simplified.csv", accepted)
    return SimplifiedResult(current, accepted, fits, all_cached, version, tuple(path), every)


def _tested(setup: Setup, identity: Identity, baseline: Filed, trial: Simplification,
            policy: Policy) -> tuple[pd.DataFrame | None, Filed]:
    """One step of the path: the reduced model over the looks it takes, compared with the baseline (no
    table when it could not be fitted)."""
    def works_for(_: list[str], b: int) -> list[Work]:
        return [simplified_work(setup, identity, trial, b)]

    result = take_looks(setup, identity, [NAME], baseline, works_for, policy, lambda _: 1)[NAME]
    if result.failed:
        return None, result
    bases = baseline
    for b in range(1, len(result.keys)):
        bases = bases.then(baseline_block(setup, identity, b, policy))
    return compare_simplified(setup, identity.splits, result.outcome, bases.outcome, trial), result


def require_result(setup: Setup, identity: Identity, result: SimplifiedResult, comparison: pd.DataFrame) -> None:
    """A simplified model handed over by an earlier step was made from the comparison this step expects."""
    if result.version != require_comparison(setup, identity, comparison):
        raise changed(setup, "the simplified model")


def _mean_size(outcome: Outcome) -> float:
    sizes = [f.n_parameters for f in outcome.folds if getattr(f, "n_parameters", None) is not None]
    return float(np.mean(sizes)) if sizes else float("nan")
