"""Corrected paired tests over cross-validation splits.

Every variant is scored on the same CV splits as the baseline, so each comparison is a set of
paired differences d_j = score(variant, split j) - score(baseline, split j). CV splits share
training data, so the d_j are positively correlated and the naive paired t-test is
anti-conservative; the corrected repeated-CV t-test of Nadeau & Bengio (2003) / Bouckaert & Frank
(2004) inflates the variance by (1/J + n_test/n_train). "Not significantly different" is not
evidence that a component can be removed, so removability gets its own one-sided
non-inferiority test against a margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from ..errors import StatsInputError
from ..vocabulary import Direction


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


def _deltas(deltas, least: int = 2) -> np.ndarray:
    d = np.asarray(deltas, dtype=float)
    if d.ndim != 1:
        raise StatsInputError(f"deltas must be one-dimensional, got shape {d.shape}")
    if d.size < least:
        raise StatsInputError(
            f"the corrected t-test needs at least 2 paired splits (J >= 2), got J = {d.size}"
        )
    if not np.all(np.isfinite(d)):
        raise StatsInputError("deltas contain NaN or infinite values")
    return d


def checked_ratio(test_train_ratio: float) -> float:
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
    ratio = checked_ratio(test_train_ratio)
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
    ratio = checked_ratio(test_train_ratio)
    m = float(margin)
    if not math.isfinite(m) or m <= 0:
        raise StatsInputError(f"non-inferiority margin must be finite and > 0, got {margin!r}")
    g = Direction.of(higher_is_better).degradation(d)
    mean_g, var, se = _moments(g, ratio)
    if var == 0.0:
        return 0.0 if mean_g < m else 1.0
    return float(sps.t.sf((m - mean_g) / se, d.size - 1))


def rows_test(deltas, split_variance: float, test_train_ratio: float, alpha: float = 0.05) -> PairedResult:
    """The corrected test with each split delta's variance known from its test rows (`split_variance`: one
    split delta's variance as the rows tell it, averaged over the splits; stats.evidence derives it from
    var(paired row differences) / rows): se = sqrt((1/J + ratio) * variance),
    a normal reference (df reported as 0). Zero variance means identical rows in every split: then every
    delta is 0 too, and the result is p = 1, CI [0, 0]."""
    d = _deltas(deltas, least=1)  # one held-out split: its rows tell the variance
    ratio = checked_ratio(test_train_ratio)
    mean = float(np.mean(d))
    se = math.sqrt((1.0 / d.size + ratio) * max(0.0, float(split_variance)))
    if se == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
        p, lo, hi = float(mean == 0.0), mean, mean
    else:
        t = mean / se
        p = float(min(1.0, 2.0 * sps.norm.sf(abs(t))))
        half = float(sps.norm.isf(float(alpha) / 2.0)) * se
        lo, hi = mean - half, mean + half
    dz = mean / math.sqrt(split_variance) if split_variance > 0 else (0.0 if mean == 0.0 else math.copysign(math.inf, mean))
    return PairedResult(mean_delta=mean, ci_low=float(lo), ci_high=float(hi), t=float(t), df=0, p_value=p,
                        effect_size_dz=float(dz), n_splits=int(d.size), se=float(se))


def discordant_variances(degradation: float, discordance: float, rows: float, margin: float) -> tuple[float, float]:
    """Null-restricted variances of a held-out mean difference of correctness (rows differ by -1, 0 or 1): the
    score tests for paired proportions, McNemar's at no difference and Nam's (1997) at the margin. With w the
    share of rows only the baseline gets right (the variant worse) and v the share only the variant gets right,
    the variance of w - v is (w + v - (w - v)^2) / rows, taken at the maximum-likelihood (w, v) under each null:
    w = v = discordance / 2 for superiority; w - v = margin for non-inferiority. A sample variance instead is small
    exactly when few rows happen to be worse, which makes claims of no loss too easy on few discordant rows
    (benchmarks/calibration_holdout.py: wrong removable 0.067 at 200 rows with it, below 0.05 with this)."""
    n = max(float(rows), 1.0)
    worse, better = (discordance + degradation) / 2, (discordance - degradation) / 2
    rest = 1.0 - discordance
    b = worse * (1 + 3 * margin) + better * (1 + margin) + 2 * rest * margin
    root = math.sqrt(max(0.0, b * b - 8 * worse * margin * (1 + margin)))
    w = (b + root) / 4  # the root with w >= margin (the other lies below it)
    at_margin = max(0.0, 2 * w - margin - margin * margin)
    return discordance / n, at_margin / n
