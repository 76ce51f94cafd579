"""Statistics for paired, cross-validated ablations.

Every variant is scored on the same CV splits as the baseline, so each comparison is a set of
paired differences d_j = score(variant, split j) - score(baseline, split j). CV splits share
training data, so the d_j are positively correlated and the naive paired t-test is
anti-conservative; we use the corrected repeated-CV t-test of Nadeau & Bengio (2003) /
Bouckaert & Frank (2004), which inflates the variance by (1/J + n_test/n_train).

"Not significantly different" is not evidence that a component can be removed, so removability
gets its own one-sided non-inferiority test against a margin.

Pure numpy / scipy / statsmodels / pandas; no orchestration imports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ablation_pipeline.errors import DataError

__all__ = [
    "COMPARISON_COLUMNS",
    "EXTRA_COLUMNS",
    "CORRECTION_METHODS",
    "VERDICTS",
    "StatsInputError",
    "PairedResult",
    "corrected_paired_ttest",
    "noninferiority_pvalue",
    "adjust_pvalues",
    "verdict",
    "blocked_anova",
    "compare_variants",
]

COMPARISON_COLUMNS = [
    "variant", "kind", "mode", "components", "metric",
    "baseline_mean", "variant_mean", "delta", "ci_low", "ci_high",
    "t", "df", "p_value", "p_adjusted", "effect_size_dz", "n_splits", "verdict",
]
EXTRA_COLUMNS = ["p_noninferiority", "p_noninferiority_adjusted", "margin"]
CORRECTION_METHODS = ("holm", "fdr_bh", "bonferroni")
VERDICTS = ("essential", "harmful", "removable", "inconclusive")

#: Margin used when the default (1% of |baseline mean|) would be zero: a margin must be > 0
#: for the non-inferiority hypothesis to be testable; this one only ever passes exact ties.
ZERO_MARGIN_FALLBACK = 1e-12

# Sums of squares below this fraction of n * max|x|^2 are floating-point noise (ulp-level
# residue is ~1e-32 of that), not real variation.
_SS_REL_TOL = 1e-20


class StatsInputError(DataError, ValueError):
    """Input unfit for the statistics; a ValueError for callers, a DataError for the CLI."""


@dataclass(frozen=True)
class PairedResult:
    """Corrected paired t-test of mean(variant - baseline) over J CV splits."""

    mean_delta: float
    ci_low: float
    ci_high: float
    t: float
    df: int
    p_value: float  # two-sided
    effect_size_dz: float  # Cohen's dz = mean / sd (descriptive, uncorrected)
    n_splits: int
    se: float  # corrected standard error of the mean delta


def _deltas(deltas) -> np.ndarray:
    d = np.asarray(deltas, dtype=float)
    if d.ndim != 1:
        raise StatsInputError(f"deltas must be one-dimensional, got shape {d.shape}")
    if d.size < 2:
        raise StatsInputError(
            f"the corrected t-test needs at least 2 paired splits (J >= 2), got J = {d.size}"
        )
    if not np.all(np.isfinite(d)):
        raise StatsInputError("deltas contain NaN or infinite values")
    return d


def _ratio(test_train_ratio: float) -> float:
    r = float(test_train_ratio)
    if not math.isfinite(r) or r < 0:
        raise StatsInputError(f"test_train_ratio must be finite and >= 0, got {test_train_ratio!r}")
    return r


def _moments(d: np.ndarray, ratio: float) -> tuple[float, float, float]:
    """(mean, sample variance, corrected se). Exactly constant deltas give variance 0 exactly,
    so the zero-variance branches below are reached instead of ulp-sized noise."""
    mean = float(np.mean(d))
    if np.ptp(d) == 0:
        mean, var = float(d[0]), 0.0
    else:
        var = float(np.var(d, ddof=1))
    se = math.sqrt((1.0 / d.size + ratio) * var)
    return mean, var, se


def corrected_paired_ttest(deltas, test_train_ratio: float, alpha: float = 0.05) -> PairedResult:
    """Nadeau-Bengio corrected paired t-test on per-split deltas (two-sided p, 1-alpha CI).

    se = sqrt((1/J + n_test/n_train) * s^2), t = mean/se, df = J - 1. With test_train_ratio = 0
    this is the ordinary paired t-test. Zero variance never yields NaN: all-zero deltas give
    t = 0, p = 1, CI [0, 0], dz = 0; a constant nonzero delta gives t = dz = +-inf, p = 0,
    CI [d, d]. Raises ValueError when J < 2.
    """
    d = _deltas(deltas)
    ratio = _ratio(test_train_ratio)
    if not 0.0 < float(alpha) < 1.0:
        raise StatsInputError(f"alpha must be in (0, 1), got {alpha!r}")
    J = int(d.size)
    df = J - 1
    mean, var, se = _moments(d, ratio)
    if var == 0.0:
        if mean == 0.0:
            t, p, dz = 0.0, 1.0, 0.0
        else:
            t = dz = math.copysign(math.inf, mean)
            p = 0.0
        lo = hi = mean
    else:
        t = mean / se
        p = float(min(1.0, 2.0 * sps.t.sf(abs(t), df)))
        half = float(sps.t.ppf(1.0 - float(alpha) / 2.0, df)) * se
        lo, hi = mean - half, mean + half
        dz = mean / math.sqrt(var)
    return PairedResult(
        mean_delta=mean, ci_low=float(lo), ci_high=float(hi), t=float(t), df=df,
        p_value=float(p), effect_size_dz=float(dz), n_splits=J, se=float(se),
    )


def noninferiority_pvalue(deltas, test_train_ratio: float, margin: float,
                          higher_is_better: bool) -> float:
    """One-sided corrected t-test of H0: mean degradation >= margin vs H1: degradation < margin.

    Degradation g_j = -d_j when higher is better, +d_j when lower is better (so g > 0 = worse).
    t = (margin - mean(g)) / se with the corrected se; p = P(T_{J-1} >= t). A small p means the
    variant is at most `margin` worse, i.e. the removed component is not needed. With zero
    variance: p = 0 if mean(g) < margin else 1. `margin` must be finite and > 0.
    """
    d = _deltas(deltas)
    ratio = _ratio(test_train_ratio)
    m = float(margin)
    if not math.isfinite(m) or m <= 0:
        raise StatsInputError(f"non-inferiority margin must be finite and > 0, got {margin!r}")
    g = -d if higher_is_better else d
    mean_g, var, se = _moments(g, ratio)
    if var == 0.0:
        return 0.0 if mean_g < m else 1.0
    return float(sps.t.sf((m - mean_g) / se, d.size - 1))


def adjust_pvalues(p_values, method: str = "holm") -> np.ndarray:
    """Family-wise / FDR adjustment across variants via statsmodels `multipletests`.

    The method is always passed explicitly, because statsmodels' own default is Holm-Sidak,
    not Holm. Empty input gives an empty array.
    """
    from statsmodels.stats.multitest import multipletests

    if method not in CORRECTION_METHODS:
        raise StatsInputError(
            f"unknown p-value correction {method!r}; choose one of {', '.join(CORRECTION_METHODS)}"
        )
    p = np.asarray(p_values, dtype=float).ravel()
    if p.size == 0:
        return np.array([], dtype=float)
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise StatsInputError("p-values must be finite and within [0, 1]")
    return np.asarray(multipletests(p, method=method)[1], dtype=float)


def verdict(p_adjusted: float, ni_p_adjusted: float, mean_delta: float,
            higher_is_better: bool, alpha: float) -> str:
    """What removing the component did: significant worse -> 'essential', significant better ->
    'harmful', else non-inferior within the margin -> 'removable', else 'inconclusive'."""
    degradation = -mean_delta if higher_is_better else mean_delta
    if p_adjusted < alpha and degradation > 0:
        return "essential"
    if p_adjusted < alpha and degradation < 0:
        return "harmful"
    if ni_p_adjusted < alpha:
        return "removable"
    return "inconclusive"


def _negligible(ss: float, scale: float) -> bool:
    return ss <= _SS_REL_TOL * scale


def blocked_anova(scores: pd.DataFrame) -> dict:
    """Omnibus randomized-block ANOVA `value ~ C(variant) + C(split)` for ONE metric.

    The CV split (repeat, fold) is the block, so split-to-split difficulty is removed from the
    error term. Needs >= 2 variants (baseline included) and >= 2 splits, each variant scored on
    every split exactly once (raises ValueError otherwise). Returns F, df_num, df_den, p_value
    for the variant term (statsmodels `anova_lm(typ=2)`).

    Degenerate cases (sums of squares at floating-point noise level, relative 1e-20), where
    statsmodels would report noise-driven or NaN F: no variant effect -> F = 0, p = 1 (this
    covers all scores identical); a variant effect with zero residual (perfectly consistent
    shifts) -> F = inf, p = 0.
    """
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    missing = {"variant", "repeat", "fold", "value"} - set(scores.columns)
    if missing:
        raise StatsInputError(f"scores lack column(s): {', '.join(sorted(missing))}")
    if "metric" in scores.columns and scores["metric"].nunique() > 1:
        raise StatsInputError("blocked_anova takes the scores of one metric only")
    data = pd.DataFrame({
        "variant": scores["variant"].astype(str).to_numpy(),
        "split": scores.groupby(["repeat", "fold"], sort=True).ngroup().to_numpy(),
        "value": pd.to_numeric(scores["value"]).to_numpy(dtype=float),
    })
    if not np.all(np.isfinite(data["value"].to_numpy())):
        raise StatsInputError("scores contain NaN or infinite values")
    n_var, n_split = data["variant"].nunique(), data["split"].nunique()
    if n_var < 2 or n_split < 2:
        raise StatsInputError(
            f"blocked ANOVA needs >= 2 variants and >= 2 splits, got {n_var} and {n_split}"
        )
    counts = data.groupby(["variant", "split"]).size()
    if len(counts) != n_var * n_split or (counts != 1).any():
        raise StatsInputError("blocked ANOVA needs every variant scored exactly once on every split")

    fit = smf.ols("value ~ C(variant) + C(split)", data=data).fit()
    table = anova_lm(fit, typ=2)
    row = table.loc["C(variant)"]
    df_num, df_den = float(row["df"]), float(table.loc["Residual", "df"])
    ss_var, ss_res = float(row["sum_sq"]), float(table.loc["Residual", "sum_sq"])
    x = data["value"].to_numpy()
    scale = x.size * float(np.max(np.abs(x))) ** 2
    if _negligible(ss_var, scale):
        F, p = 0.0, 1.0
    elif _negligible(ss_res, scale):
        F, p = math.inf, 0.0
    else:
        F, p = float(row["F"]), float(row["PR(>F)"])
    return {"F": F, "df_num": df_num, "df_den": df_den, "p_value": p}


def _split_series(frame: pd.DataFrame, what: str) -> pd.Series:
    s = frame.set_index(["repeat", "fold"])["value"]
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()][0]
        raise StatsInputError(f"{what} has more than one score for split (repeat, fold) = {dup}")
    return s.sort_index()


def compare_variants(scores: pd.DataFrame, variants: pd.DataFrame,
                     higher_is_better: Mapping[str, bool], test_train_ratio: float,
                     alpha: float = 0.05, correction: str = "holm",
                     margins: Mapping[str, float | None] | None = None,
                     baseline: str = "baseline", extra_columns: bool = False) -> pd.DataFrame:
    """One row per (metric, variant): paired corrected t-test against the baseline, p-values
    adjusted across variants within each metric, a non-inferiority test, and a verdict.

    `scores`: long table (variant, repeat, fold, metric, value); `variants`: (variant, kind,
    mode, components), one row per variant in output order (a row for the baseline itself is
    skipped). Pairs by (repeat, fold); a variant whose splits differ from the baseline's raises
    ValueError. `margins[metric]` is an absolute non-inferiority margin; missing/None -> 1% of
    |baseline mean|, or ZERO_MARGIN_FALLBACK (1e-12) when that is 0. Rows follow metric order
    (first appearance in `scores`) then variant order. Columns are exactly COMPARISON_COLUMNS,
    plus EXTRA_COLUMNS (p_noninferiority, p_noninferiority_adjusted, margin) if extra_columns.
    kind / mode / components are copied as given. All statistics are finite for finite scores,
    except t and effect_size_dz, which are +-inf for a constant nonzero delta (never NaN).
    """
    need = {"variant", "repeat", "fold", "metric", "value"} - set(scores.columns)
    if need:
        raise StatsInputError(f"scores lack column(s): {', '.join(sorted(need))}")
    need = {"variant", "kind", "mode", "components"} - set(variants.columns)
    if need:
        raise StatsInputError(f"variants lack column(s): {', '.join(sorted(need))}")
    if correction not in CORRECTION_METHODS:
        raise StatsInputError(
            f"unknown p-value correction {correction!r}; choose one of {', '.join(CORRECTION_METHODS)}"
        )
    if not 0.0 < float(alpha) < 1.0:
        raise StatsInputError(f"alpha must be in (0, 1), got {alpha!r}")
    ratio = _ratio(test_train_ratio)
    margins = dict(margins or {})

    values = pd.to_numeric(scores["value"], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise StatsInputError("scores contain missing, non-numeric or infinite values")
    scores = scores.assign(value=values)

    vt = variants[variants["variant"] != baseline].reset_index(drop=True)
    if vt["variant"].duplicated().any():
        dup = vt.loc[vt["variant"].duplicated(), "variant"].iloc[0]
        raise StatsInputError(f"variant {dup!r} is listed more than once")
    known = set(vt["variant"]) | {baseline}
    unknown = sorted(set(scores["variant"]) - known, key=str)
    if unknown:
        raise StatsInputError(f"scores have variant(s) not in the variants table: {unknown}")
    if not (scores["variant"] == baseline).any():
        raise StatsInputError(f"scores have no rows for the baseline {baseline!r}")

    metrics = list(pd.unique(scores["metric"]))
    lacking = [m for m in metrics if m not in higher_is_better]
    if lacking:
        raise StatsInputError(f"higher_is_better has no direction for metric(s): {lacking}")

    rows: list[dict] = []
    for metric in metrics:
        hib = bool(higher_is_better[metric])
        ms = scores[scores["metric"] == metric]
        base = _split_series(ms[ms["variant"] == baseline], f"baseline {baseline!r} ({metric})")
        if len(base) < 2:
            raise StatsInputError(
                f"metric {metric!r}: the baseline has {len(base)} split(s); at least 2 are needed"
            )
        base_mean = float(base.mean())
        margin = margins.get(metric)
        if margin is None:
            margin = 0.01 * abs(base_mean) or ZERO_MARGIN_FALLBACK
        margin = float(margin)
        if not math.isfinite(margin) or margin <= 0:
            raise StatsInputError(f"metric {metric!r}: margin must be finite and > 0, got {margin!r}")

        block: list[dict] = []
        for v in vt.itertuples(index=False):
            var = _split_series(ms[ms["variant"] == v.variant], f"variant {v.variant!r} ({metric})")
            lost = base.index.difference(var.index)
            if len(lost):
                raise StatsInputError(
                    f"variant {v.variant!r} lacks {len(lost)} split(s) the baseline has for metric "
                    f"{metric!r}, e.g. (repeat, fold) = {lost[0]}"
                )
            extra = var.index.difference(base.index)
            if len(extra):
                raise StatsInputError(
                    f"variant {v.variant!r} has split(s) the baseline lacks for metric {metric!r}, "
                    f"e.g. (repeat, fold) = {extra[0]}"
                )
            var = var.reindex(base.index)
            deltas = var.to_numpy() - base.to_numpy()
            res = corrected_paired_ttest(deltas, ratio, alpha)
            block.append({
                "variant": v.variant, "kind": v.kind, "mode": v.mode, "components": v.components,
                "metric": metric, "baseline_mean": base_mean, "variant_mean": float(var.mean()),
                "delta": res.mean_delta, "ci_low": res.ci_low, "ci_high": res.ci_high,
                "t": res.t, "df": res.df, "p_value": res.p_value,
                "effect_size_dz": res.effect_size_dz, "n_splits": res.n_splits,
                "p_noninferiority": noninferiority_pvalue(deltas, ratio, margin, hib),
                "margin": margin,
            })
        p_adj = adjust_pvalues([r["p_value"] for r in block], correction)
        ni_adj = adjust_pvalues([r["p_noninferiority"] for r in block], correction)
        for r, pa, na in zip(block, p_adj, ni_adj):
            r["p_adjusted"] = float(pa)
            r["p_noninferiority_adjusted"] = float(na)
            r["verdict"] = verdict(float(pa), float(na), r["delta"], hib, float(alpha))
        rows.extend(block)

    columns = COMPARISON_COLUMNS + (EXTRA_COLUMNS if extra_columns else [])
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"df": "int64", "n_splits": "int64"})
