"""A study's steps after set-up, as plain functions of the set-up: the split plan, the baseline and
each variant on every split (without the store: `compute` files them), the scores table, the
comparison and the omnibus test."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..ablations.fitting import Outcome, fit_baseline
from ..ablations.plan import Variant
from ..ablations.variants import run_variant
from ..data.splits import Split, holdout_ratio, make_splits
from ..evaluation.metrics import Margin
from ..evaluation.scoring import score_outcomes
from ..stats.anova import blocked_anova
from ..stats.comparison import compare_variants
from ..vocabulary import Kind, Verdict
from .identity import looks
from .setup import Setup, StudyPlan, sweep_estimator


def study_splits(setup: Setup) -> list[Split]:
    return make_splits(setup.dataset, setup.plan.spec.evaluation)


def baseline(setup: Setup, splits: list[Split], n_jobs: int = 1) -> Outcome:
    return fit_baseline(setup.estimator, setup.dataset, splits, setup.plan.spec.evaluation.seed, n_jobs, setup.fit_options)


def ablated(setup: Setup, chosen: Variant, splits: list[Split], base: Outcome | None, n_jobs: int = 1) -> Outcome:
    """Any variant, planned or not (an interaction pair's), on every split."""
    estimator = sweep_estimator(setup, chosen) if chosen.kind == Kind.PARAM else setup.estimator
    return run_variant(chosen, estimator, setup.dataset, splits, setup.plan.spec.evaluation.seed, base, n_jobs, setup.fit_options)


def sequential_looks(setup: Setup) -> tuple[int, ...] | None:
    """What the comparison is told about the looks: None for a fixed design."""
    return looks(setup.plan.spec.evaluation) if setup.plan.spec.evaluation.adaptive else None


def scores(setup: Setup, splits: list[Split], outcomes: list[Outcome], against: Outcome | None = None) -> pd.DataFrame:
    """The scores table; on a held-out split, a metric that is not a mean over rows takes its delta's variance
    from paired bootstrap resamples of the test rows (seeded by the study's seed)."""
    evaluation = setup.plan.spec.evaluation
    seed = evaluation.seed if evaluation.holdout is not None else None
    return score_outcomes(outcomes, setup.dataset, splits, list(setup.metrics), against=against, resample_seed=seed)


def variants_table(plan: StudyPlan) -> pd.DataFrame:
    """The plan's variants, each with the family its essential/harmful claim is adjusted in."""
    families = plan.spec.statistics.families
    return pd.DataFrame(
        [(v.name, v.kind, v.mode, v.components_text, families.of(v.mode)) for v in plan.variants],
        columns=["variant", "kind", "mode", "components", "family"],
    )


def bounded_metrics(setup: Setup) -> list[str]:
    """The study's metrics that live in [0, 1]: their intervals stay within what a difference can be."""
    return [m.name for m in setup.metrics if m.in_unit_interval]


def metric_margins(setup: Setup) -> dict[str, Margin]:
    """Each metric's non-inferiority margin: the spec's, else the metric's default."""
    given = setup.plan.spec.statistics.margin
    return {m.name: Margin.parse(given[m.name]) if m.name in given else m.margin for m in setup.metrics}


def comparison(setup: Setup, splits: list[Split], score_table: pd.DataFrame, extra_columns: bool = False,
               failed: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per variant and metric: deltas, corrected CI and test, adjusted p, effect size, verdict. Variants
    that could not be computed (`failed`: name -> why) are listed as failed, in their place, and take
    no part in the tests or their multiplicity adjustment."""
    stats = setup.plan.spec.statistics
    variants = variants_table(setup.plan)
    table = compare_variants(
        score_table,
        variants[~variants.variant.isin(list(failed or {}))],
        {m.name: m.higher_is_better for m in setup.metrics},
        holdout_ratio(splits),
        alpha=stats.alpha,
        correction=stats.correction,
        margins=metric_margins(setup),
        extra_columns=extra_columns,
        looks=sequential_looks(setup),
        multiplicity=stats.multiplicity,
        inference=stats.test,
        bounded=bounded_metrics(setup),
    )
    return with_failures(table, variants, dict(failed or {}), [m.name for m in setup.metrics]) if failed else table


def with_failures(table: pd.DataFrame, variants: pd.DataFrame, failed: dict[str, str], metrics: list[str]) -> pd.DataFrame:
    """The comparison with a `failed` row per failed variant and metric, rows in metric then plan order."""
    rows = [{**variant._asdict(), "metric": metric, "df": 0, "n_splits": 0, "verdict": Verdict.FAILED, "reason": failed[variant.variant]}
            for metric in metrics for variant in variants.itertuples(index=False) if variant.variant in failed]
    combined = pd.concat([table, pd.DataFrame(rows, columns=table.columns)], ignore_index=True)
    for column in ("baseline_mean", "margin"):  # the metric's own, which a failed row shares
        if column in combined:
            combined[column] = combined.groupby("metric")[column].transform("first")
    positions = {"metric": {name: i for i, name in enumerate(metrics)}, "variant": {name: i for i, name in enumerate(variants.variant)}}
    combined = combined.sort_values(["metric", "variant"], key=lambda column: column.map(positions[column.name]),
                                    kind="stable", ignore_index=True)
    return combined.astype({"df": "int64", "n_splits": "int64"})


def omnibus(score_table: pd.DataFrame) -> dict[str, dict]:
    """Per metric, the blocked ANOVA on the splits every variant was scored on (with `repeats: auto`,
    those of the repeats every variant took); none for one held-out split, which has no blocks."""
    tests = {}
    for metric, rows in score_table.groupby("metric", sort=False):
        scored_by = rows.groupby(["repeat", "fold"])["variant"].transform("nunique")
        complete = rows[scored_by == rows["variant"].nunique()]
        if complete.groupby(["repeat", "fold"]).ngroups >= 2:
            tests[metric] = blocked_anova(complete)
    return tests
