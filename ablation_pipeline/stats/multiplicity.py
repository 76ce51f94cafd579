"""Multiple testing across the variants of one metric: adjusted p-values (statsmodels'
`multipletests`), the level at which a family's last decision was taken (so that intervals agree
with the verdicts), and the all-claims procedure that puts both claims of every variant in one family."""

from __future__ import annotations

import numpy as np

from ..errors import StatsInputError
from ..vocabulary import Correction, Multiplicity


def adjust_pvalues(p_values, method: str = Correction.HOLM) -> np.ndarray:
    """Family-wise / FDR adjustment across variants via statsmodels `multipletests`, except Holm.

    The method is always passed explicitly, because statsmodels' own default is Holm-Sidak,
    not Holm. Holm is the step-down below: statsmodels' Holm ends with a full `gc.collect()`, which
    in a step process holding a large study's Dagster graph walks the whole heap on every call
    (measured: half of a 300-variant run's comparison and simplification). Empty input gives an
    empty array.
    """
    p = _checked(p_values, method)
    if p.size == 0:
        return np.array([], dtype=float)
    if method == Correction.HOLM:
        return holm_adjusted(p)
    from statsmodels.stats.multitest import multipletests

    return np.asarray(multipletests(p, method=method)[1], dtype=float)


def holm_adjusted(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values: the running maximum of (m - i) p_(i) over the sorted p-values,
    capped at 1 (Holm 1979; what statsmodels' `multipletests(method="holm")` returns)."""
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1)))
    adjusted = np.empty_like(stepped)
    adjusted[order] = stepped
    return adjusted


def decision_level(adjusted, alpha: float, method: str = Correction.HOLM) -> float:
    """The unadjusted level that separates the family's rejections (adjusted p < alpha) from the rest:
    an interval at this level excludes the null exactly for the rejected hypotheses.

    Holm: alpha / (m - k) after k rejections (alpha when all are rejected); Bonferroni: alpha / m;
    Benjamini-Hochberg: k alpha / m (Benjamini & Yekutieli's false-coverage-rate level), alpha / m
    when nothing is rejected."""
    adjusted = np.asarray(adjusted, dtype=float)
    m, k = adjusted.size, int(np.sum(adjusted < alpha))
    if m == 0:
        return alpha
    if method == Correction.HOLM:
        return alpha / max(1, m - k)
    if method == Correction.FDR_BH:
        return max(1, k) * alpha / m
    return alpha / m


def removable_level(multiplicity: str, alpha: float, variants: int) -> float:
    """The strictest level a removable claim can face: alpha over the variants when removable claims
    share a family-wise error rate, alpha itself when each is tested on its own (`discoveries`)."""
    return alpha / max(1, variants) if Multiplicity(multiplicity).removable_family_wise else alpha


def all_claims_adjusted(p_superiority, p_noninferiority, method: str = Correction.HOLM) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both claims of every variant in one family-wise family: Shaffer's (1986) logically restricted
    Holm. A variant's 'no difference' and 'worse by at least the margin' cannot both be true, so at
    each step the divisor is the number of variants with a claim still untested, not the number of
    hypotheses. Returns both adjusted arrays and each step's divisor in the order of the sorted p-values
    (Bonferroni: every divisor is the number of variants)."""
    if method == Correction.FDR_BH:
        raise StatsInputError("the all-claims family controls the family-wise error rate; use holm or bonferroni with it")
    p_s, p_r = _checked(p_superiority, method), _checked(p_noninferiority, method)
    variants = p_s.size
    pooled = np.concatenate([p_s, p_r])
    owner = np.concatenate([np.arange(variants), np.arange(variants)])
    order = np.argsort(pooled, kind="stable")
    untested = np.full(variants, 2)
    divisors, adjusted, running = np.empty(pooled.size), np.empty(pooled.size), 0.0
    for step, index in enumerate(order):
        divisors[step] = variants if method == Correction.BONFERRONI else int(np.sum(untested > 0))
        running = max(running, min(1.0, divisors[step] * pooled[index]))
        adjusted[index] = running if method == Correction.HOLM else min(1.0, divisors[step] * pooled[index])
        untested[owner[index]] -= 1
    return adjusted[:variants], adjusted[variants:], divisors


def all_claims_level(adjusted_superiority, adjusted_noninferiority, divisors, alpha: float) -> float:
    """The level separating the all-claims family's rejections from the rest: alpha over the divisor
    of the first step that was not rejected (alpha when every claim was)."""
    rejected = int(np.sum(np.asarray(adjusted_superiority) < alpha) + np.sum(np.asarray(adjusted_noninferiority) < alpha))
    return alpha if rejected >= len(divisors) else alpha / divisors[rejected]


def _checked(p_values, method: str) -> np.ndarray:
    if method not in Correction.names():
        raise StatsInputError(
            f"unknown p-value correction {method!r}; choose one of {', '.join(Correction.names())}"
        )
    p = np.asarray(p_values, dtype=float).ravel()
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise StatsInputError("p-values must be finite and within [0, 1]")
    return p
