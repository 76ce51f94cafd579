"""The comparison table: per variant and metric, the corrected paired test against the baseline,
p-values adjusted across variants, the non-inferiority test, the verdict, intervals consistent with
the verdict, and how far an undecided variant is from one."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from ..errors import StatsInputError
from ..evaluation.metrics import Margin
from ..vocabulary import COMPARISON_COLUMNS, DETAIL_COLUMNS, Correction, Direction, Inference, Multiplicity, Verdict
from .evidence import Evidence, evidence
from .multiplicity import adjust_pvalues, all_claims_adjusted, all_claims_level, decision_level, removable_level
from .paired import checked_ratio
from .sequential import Design
from .verdicts import bayesian_verdict, default_margin, verdict


def _by_variant(scores: pd.DataFrame, metric: str, baseline: str) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """One metric's rows of each variant, indexed by split (repeat, fold) in split order, and an empty frame
    for a variant without rows: sorted and checked once for the whole table (per variant, indexing and
    sorting took most of a 150-variant comparison)."""
    ordered = scores.sort_values(["variant", "repeat", "fold"], kind="stable")
    repeated = ordered.duplicated(["variant", "repeat", "fold"]).to_numpy()
    if repeated.any():
        row = ordered[repeated].iloc[0]
        who = "baseline" if row["variant"] == baseline else "variant"
        raise StatsInputError(f"{who} {row['variant']!r} ({metric}) has more than one score for split (repeat, fold) = "
                              f"({int(row['repeat'])}, {int(row['fold'])})")
    indexed = ordered.set_index(["repeat", "fold"])
    names = ordered["variant"].to_numpy()
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]]) if len(names) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(names)]
    return {names[a]: indexed.iloc[a:b] for a, b in zip(starts, ends, strict=True)}, indexed.iloc[:0]


def compare_variants(scores: pd.DataFrame, variants: pd.DataFrame,
                     higher_is_better: Mapping[str, bool], test_train_ratio: float,
                     alpha: float = 0.05, correction: str = Correction.HOLM,
                     margins: Mapping[str, float | Margin | None] | None = None,
                     baseline: str = "baseline", extra_columns: bool = False,
                     looks: tuple[int, ...] | None = None, multiplicity: str = Multiplicity.DISCOVERIES,
                     inference: str = Inference.CORRECTED_T, bounded: Collection[str] = ()) -> pd.DataFrame:
    """One row per (metric, variant): paired corrected t-test against the baseline, p-values
    adjusted across variants within each metric, a non-inferiority test, and a verdict.

    `scores`: long table (variant, repeat, fold, metric, value); `variants`: (variant, kind,
    mode, components[, family]), one row per variant in output order (a row for the baseline itself
    is skipped); variants of different `family` values are adjusted apart (statistics.families).
    Pairs by (repeat, fold). With `looks` None the design is fixed: every variant has exactly the
    baseline's splits. With `looks` (cumulative repeats at which a variant may stop),
    each variant has the first R repeats for some look R and the tests are group-sequential. A `delta_variance`
    column in `scores` (a variant's split delta's variance as its test rows tell it) puts that metric's
    tests on those variances (stats.evidence). Intervals of the `bounded` metrics (values in [0, 1]) are
    kept within what a difference of them can be, [-1, 1].
    `margins[metric]` is an absolute non-inferiority margin or a `Margin` (resolved against the
    baseline's mean over its first repeat); missing/None -> 1% of |that mean| (or a tiny positive
    fallback when it is 0). Rows follow metric order
    (first appearance in `scores`) then variant order. Columns are COMPARISON_COLUMNS, plus
    DETAIL_COLUMNS if extra_columns. All statistics are finite for finite scores, except t and
    effect_size_dz (+-inf for a constant nonzero delta) and splits_to_decide (NaN when out of reach).
    """
    scores, vt, ratio = _checked_inputs(scores, variants, higher_is_better, test_train_ratio, alpha, correction,
                                        multiplicity, inference, baseline)
    margins = dict(margins or {})
    rows: list[dict] = []
    for metric, ms in scores.groupby("metric", sort=False):
        by_variant, empty = _by_variant(ms, metric, baseline)
        base = by_variant.get(baseline, empty)["value"]
        if len(base) < 2 and (len(base) == 0 or "delta_variance" not in ms.columns):  # one held-out split: rows give variance
            raise StatsInputError(f"metric {metric!r}: the baseline has {len(base)} split(s); at least 2 are needed (or one "
                                  "held-out split whose scores give each delta's variance from its rows)")
        design = _design(base, ratio, looks)
        margin = _margin(metric, margins.get(metric), base)
        direction = Direction.of(bool(higher_is_better[metric]))
        block = []
        for v in vt.itertuples(index=False):
            own = by_variant.get(v.variant, empty)
            var = own["value"]
            paired_base = _paired_baseline(base, var, v.variant, metric, looks)
            found = evidence((var - paired_base).to_numpy(), design, margin, direction, alpha,
                             _delta_variances(own), _discordant(own))
            block.append((v, found, float(paired_base.mean()), float(var.mean())))
        families = [getattr(v, "family", "") for v, *_ in block]
        decided = {}
        for family in dict.fromkeys(families):
            members = [b for b, f in zip(block, families, strict=True) if f == family]
            rows_of = _decided(members, metric, alpha, correction, multiplicity, inference)
            decided.update({row["variant"]: _within(row, -1.0, 1.0) if metric in bounded else row for row in rows_of})
        rows.extend(decided[v.variant] for v, *_ in block)
    columns = [*COMPARISON_COLUMNS, *(DETAIL_COLUMNS if extra_columns else ())]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"df": "int64", "n_splits": "int64"})


def _checked_inputs(scores: pd.DataFrame, variants: pd.DataFrame, higher_is_better: Mapping[str, bool],
                    test_train_ratio: float, alpha: float, correction: str, multiplicity: str, inference: str,
                    baseline: str) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    need = {"variant", "repeat", "fold", "metric", "value"} - set(scores.columns)
    if need:
        raise StatsInputError(f"scores lack column(s): {', '.join(sorted(need))}")
    need = {"variant", "kind", "mode", "components"} - set(variants.columns)
    if need:
        raise StatsInputError(f"variants lack column(s): {', '.join(sorted(need))}")
    for value, allowed, what in ((correction, Correction, "p-value correction"), (multiplicity, Multiplicity, "multiplicity"),
                                 (inference, Inference, "test")):
        if value not in allowed.names():
            raise StatsInputError(f"unknown {what} {value!r}; choose one of {', '.join(allowed.names())}")
    if multiplicity == Multiplicity.ALL_CLAIMS and correction == Correction.FDR_BH:
        raise StatsInputError("multiplicity all_claims controls the family-wise error rate; use it with holm or bonferroni")
    if not 0.0 < float(alpha) < 1.0:
        raise StatsInputError(f"alpha must be in (0, 1), got {alpha!r}")
    ratio = checked_ratio(test_train_ratio)

    values = pd.to_numeric(scores["value"], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise StatsInputError("scores contain missing, non-numeric or infinite values")
    scores = scores.assign(value=values)

    vt = variants[variants["variant"] != baseline].reset_index(drop=True)
    if vt["variant"].duplicated().any():
        dup = vt.loc[vt["variant"].duplicated(), "variant"].iloc[0]
        raise StatsInputError(f"variant {dup!r} is listed more than once")
    unknown = sorted(set(scores["variant"]) - set(vt["variant"]) - {baseline}, key=str)
    if unknown:
        raise StatsInputError(f"scores have variant(s) not in the variants table: {unknown}")
    if not (scores["variant"] == baseline).any():
        raise StatsInputError(f"scores have no rows for the baseline {baseline!r}")
    lacking = [m for m in pd.unique(scores["metric"]) if m not in higher_is_better]
    if lacking:
        raise StatsInputError(f"higher_is_better has no direction for metric(s): {lacking}")
    return scores, vt, ratio


def _within(row: dict, low: float, high: float) -> dict:
    """The row with its intervals cut to [low, high]: what the difference of a bounded metric can be."""
    for column in ("ci_low", "ci_high", "ci_low_adjusted", "ci_high_adjusted", "degradation_bound_adjusted"):
        row[column] = float(min(high, max(low, row[column])))
    return row


def _delta_variances(frame: pd.DataFrame) -> np.ndarray | None:
    """The variant's split deltas' variances as their test rows tell them (the scores' `delta_variance` column, for a
    metric that is a mean over rows or a held-out split's bootstrap), in split order; None when the scores lack them
    for any split."""
    if "delta_variance" not in frame.columns:
        return None
    values = frame["delta_variance"].to_numpy(dtype=float)
    return values if values.size and np.all(np.isfinite(values)) and np.all(values >= 0) else None


def _discordant(frame: pd.DataFrame) -> tuple[float, float] | None:
    """(share of rows whose correctness differs, rows) of a variant scored on one split, when its row differences
    were all -1, 0 or 1 (the scores' `discordance` and `test_rows`); None otherwise."""
    if len(frame) != 1 or not {"discordance", "test_rows"} <= set(frame.columns):
        return None
    share, rows = float(frame["discordance"].iloc[0]), float(frame["test_rows"].iloc[0])
    return (share, rows) if np.isfinite(share) and np.isfinite(rows) and rows > 0 else None


def _design(base: pd.Series, ratio: float, looks: tuple[int, ...] | None) -> Design:
    repeats = base.index.get_level_values("repeat")
    folds = int(base.index.get_level_values("fold").nunique())
    if looks is None:
        return Design(folds, (int(repeats.nunique()),), ratio)
    return Design(folds, tuple(looks), ratio)


def _margin(metric: str, given: float | Margin | None, base: pd.Series) -> float:
    """The metric's margin: given (in its units, or relative to the baseline's mean over its first
    repeat: set before any variant is looked at, the same whatever repeats a variant uses), or 1% of
    that mean."""
    first_mean = float(base.loc[base.index.get_level_values("repeat").min()].mean())
    if isinstance(given, Margin):
        margin = given.resolve(first_mean)
    else:
        margin = float(default_margin(first_mean) if given is None else given)
    if not math.isfinite(margin) or margin <= 0:
        raise StatsInputError(f"metric {metric!r}: margin must be finite and > 0, got {given!r}")
    return margin


def _paired_baseline(base: pd.Series, var: pd.Series, name: str, metric: str, looks: tuple[int, ...] | None) -> pd.Series:
    """The baseline's scores on the variant's splits: all of them (fixed design), or those of the first
    repeats, as many as the variant stopped after (sequential)."""
    extra = var.index.difference(base.index)
    if len(extra):
        raise StatsInputError(f"variant {name!r} has split(s) the baseline lacks for metric {metric!r}, "
                              f"e.g. (repeat, fold) = {extra[0]}")
    wanted = base.index
    if looks is not None:
        used = var.index.get_level_values("repeat").nunique()
        if used not in looks:
            raise StatsInputError(f"variant {name!r} has {used} repeat(s) for metric {metric!r}; a variant stops only "
                                  f"after {', '.join(map(str, looks))}")
        first = sorted(set(base.index.get_level_values("repeat")))[:used]
        wanted = base.index[base.index.get_level_values("repeat").isin(first)]
    lost = wanted.difference(var.index)
    if len(lost):
        raise StatsInputError(f"variant {name!r} lacks {len(lost)} split(s) the baseline has for metric "
                              f"{metric!r}, e.g. (repeat, fold) = {lost[0]}")
    return base.reindex(var.index)


def _decided(block: list[tuple], metric: str, alpha: float, correction: str, multiplicity: str,
             inference: str) -> list[dict]:
    """The block's rows: p-values adjusted within the metric, verdicts, and intervals at the levels the
    verdicts were decided at."""
    found: list[Evidence] = [e for _, e, _, _ in block]
    p_s = np.array([e.p_superiority() for e in found])
    p_r = np.array([e.p_noninferiority() for e in found])
    if multiplicity == Multiplicity.ALL_CLAIMS:
        adj_s, adj_r, divisors = all_claims_adjusted(p_s, p_r, correction)
        level_s = level_r = all_claims_level(adj_s, adj_r, divisors, alpha)
    elif Multiplicity(multiplicity).removable_family_wise:
        adj_s, adj_r = adjust_pvalues(p_s, correction), adjust_pvalues(p_r, correction)
        level_s, level_r = decision_level(adj_s, alpha, correction), decision_level(adj_r, alpha, correction)
    else:
        adj_s, adj_r = adjust_pvalues(p_s, correction), p_r
        level_s, level_r = decision_level(adj_s, alpha, correction), alpha
    strict = alpha / max(1, len(found))  # the level every variant's own test faces at worst
    strict_r = removable_level(multiplicity, alpha, len(found))
    rows = []
    for (v, e, base_mean, var_mean), pr, ps_adj, pr_adj in zip(block, p_r, adj_s, adj_r, strict=True):
        worse, within, better = e.posterior()
        res = e.result
        if inference == Inference.BAYESIAN:
            call = bayesian_verdict(worse, better, alpha)
        else:
            call = verdict(float(ps_adj), float(pr_adj), res.mean_delta, e.direction.higher_is_better, alpha)
        low, high = e.interval(level_s)
        rows.append({
            "variant": v.variant, "kind": v.kind, "mode": v.mode, "components": v.components, "metric": metric,
            "baseline_mean": base_mean, "variant_mean": var_mean, "delta": res.mean_delta, "ci_low": res.ci_low,
            "ci_high": res.ci_high, "t": res.t, "df": res.df, "p_value": res.p_value, "p_adjusted": float(ps_adj),
            "effect_size_dz": res.effect_size_dz, "n_splits": res.n_splits, "verdict": call, "reason": "",
            "margin": e.margin, "p_noninferiority": float(pr), "p_noninferiority_adjusted": float(pr_adj),
            "ci_low_adjusted": low, "ci_high_adjusted": high, "degradation_bound_adjusted": e.degradation_bound(level_r),
            "mde": e.minimum_detectable(strict),
            "splits_to_decide": float(res.n_splits) if call != Verdict.INCONCLUSIVE else e.splits_to_decide(strict, strict_r),
            "p_worse": worse, "p_within": within, "p_better": better,
        })
    return rows
