"""The simplified model: the baseline with every component judged `removable` taken out together,
retrained on the same splits and compared with the baseline. Removals can interact (two features
that stand in for each other are each removable alone, not together), so the combination is tested."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..ablations.fitting import Outcome, fit_all
from ..data.splits import Split, holdout_ratio
from ..evaluation.scoring import score_outcomes
from ..report.sections import simplified_markdown
from ..stats.comparison import compare_variants
from ..store.cache import ResultCache, fingerprint
from ..store.owned import remove_owned, write_owned_csv
from ..vocabulary import Kind, Mode, Verdict
from .blocks import sequential_looks
from .cached import Computed, through_cache
from .consistency import changed, comparison_version, require_outcomes, require_table
from .fingerprints import fit_fingerprint
from .looks import take_looks
from .setup import Setup
from .steps import metric_margins

NAME = "simplified"


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


def removable_components(setup: Setup, comparison: pd.DataFrame) -> Simplification:
    """Union of the components of retrained variants judged removable on the primary metric."""
    primary = setup.metrics[0].name
    rows = comparison[(comparison.metric == primary) & (comparison.verdict == Verdict.REMOVABLE)]
    variants = [setup.plan.variant(name) for name in rows.variant if name in {v.name for v in setup.plan.variants}]
    features = tuple(dict.fromkeys(c for v in variants if v.mode == Mode.DROP for c in v.components))
    layers = tuple(dict.fromkeys(c for v in variants if v.mode == Mode.REMOVE for c in v.components))
    if len(features) >= len(setup.dataset.features.columns):  # never drop everything
        features = ()
    return Simplification(features, layers)


def fit_simplified(setup: Setup, splits: list[Split], simplification: Simplification, cache: ResultCache | None,
                   force: bool = False, n_jobs: int = 1) -> Computed:
    def compute() -> Outcome:
        estimator = setup.estimator
        if simplification.layers:
            estimator = clone(estimator).set_params(remove=simplification.layers)
        kept = [c for c in setup.dataset.features.columns if c not in simplification.features]
        fitted = fit_all(estimator, setup.dataset, splits, kept, setup.plan.spec.evaluation.seed, n_jobs)
        return Outcome(NAME, [f for _, f in fitted], fits=len(fitted))

    key = fingerprint(fit_fingerprint(setup, splits), {NAME: [list(simplification.features), list(simplification.layers)]})
    return through_cache(key, compute, cache, force, f"{setup.plan.spec.name}/{NAME}")


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
                            looks=sequential_looks(setup), inference=stats.test)
    sizes = [_mean_size(baseline), _mean_size(outcome)]
    return rows.assign(
        parameters_baseline=sizes[0], parameters_simplified=sizes[1],
        fit_seconds_baseline=float(np.mean([f.fit_seconds for f in baseline.folds])),
        fit_seconds_simplified=float(np.mean([f.fit_seconds for f in outcome.folds])),
    )


@dataclass(frozen=True)
class SimplifiedResult:
    simplification: Simplification | None  # None: switched off (statistics.simplify: false)
    table: pd.DataFrame | None
    fits: int = 0
    cached: bool = False
    version: str = ""  # the comparison it was made from (see consistency)

    @property
    def markdown(self) -> tuple[str, ...]:
        """The report's section on the simplified model."""
        removed = None if self.simplification is None else (*self.simplification.features, *self.simplification.layers)
        return tuple(simplified_markdown(self.table, removed))


def run(setup: Setup, splits: list[Split], comparison: pd.DataFrame, baseline: Outcome,
        cache: ResultCache | None, folder: Path, force: bool = False, n_jobs: int = 1,
        forced_since: float | None = None) -> SimplifiedResult:
    """Fit and compare the simplified model (when anything is removable); writes simplified.csv."""
    version = comparison_version(setup, splits)
    require_table(setup, comparison, "comparison", version)
    require_outcomes(setup, splits, {"baseline": baseline})
    remove_owned(folder / "simplified.csv")
    if not setup.plan.spec.statistics.simplify:
        return SimplifiedResult(None, None, version=version)
    simplification = removable_components(setup, comparison)
    if simplification.empty:
        return SimplifiedResult(simplification, None, version=version)
    def step(_: list[str], part: list[Split], __: Outcome) -> dict[str, Computed]:
        return {NAME: fit_simplified(setup, part, simplification, cache, force, n_jobs)}

    key = fingerprint("simplified", comparison_version(setup, splits), [list(simplification.features), list(simplification.layers)])
    looked = take_looks(setup, splits, [NAME], baseline, step, {NAME: key}, cache, variants=1, force=force, n_jobs=n_jobs,
                        forced_since=forced_since)
    computed = looked.computed[NAME]
    table = compare_simplified(setup, splits, computed.outcome, looked.baseline(), simplification)
    write_owned_csv(folder / "simplified.csv", table)
    fits = 0 if computed.cached else computed.outcome.fits
    return SimplifiedResult(simplification, table, fits, computed.cached, version)


def require_result(setup: Setup, splits: list[Split], result: SimplifiedResult) -> None:
    """A simplified model handed over by an earlier step was made from the comparison this step expects."""
    if result.version != comparison_version(setup, splits):
        raise changed(setup, "the simplified model")


def _mean_size(outcome: Outcome) -> float:
    sizes = [f.n_parameters for f in outcome.folds if getattr(f, "n_parameters", None) is not None]
    return float(np.mean(sizes)) if sizes else float("nan")
