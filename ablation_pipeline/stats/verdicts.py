"""From adjusted p-values (or posterior probabilities) to a verdict, and the non-inferiority margin a
metric gets by default."""

from __future__ import annotations

from ..evaluation.metrics import RELATIVE
from ..vocabulary import Direction, Verdict


def default_margin(baseline_mean: float) -> float:
    """The margin of a metric the comparison knows nothing about: 1% of |baseline mean| (a tiny
    positive fallback when that is 0)."""
    return RELATIVE.resolve(baseline_mean)


def verdict(p_adjusted: float, ni_p_adjusted: float, mean_delta: float,
            higher_is_better: bool, alpha: float) -> Verdict:
    """What removing the component did: significant worse -> 'essential', significant better ->
    'harmful', else non-inferior within the margin -> 'removable', else 'inconclusive'."""
    degradation = Direction.of(higher_is_better).degradation(mean_delta)
    if p_adjusted < alpha and degradation > 0:
        return Verdict.ESSENTIAL
    if p_adjusted < alpha and degradation < 0:
        return Verdict.HARMFUL
    if ni_p_adjusted < alpha:
        return Verdict.REMOVABLE
    return Verdict.INCONCLUSIVE


def bayesian_verdict(p_worse: float, p_better: float, alpha: float) -> Verdict:
    """Read from the posterior with the margin as the region of practical equivalence: worse (better)
    by more than the margin with probability >= 1 - alpha -> essential (harmful); at most the margin
    worse with that probability -> removable."""
    if p_worse >= 1.0 - alpha:
        return Verdict.ESSENTIAL
    if p_better >= 1.0 - alpha:
        return Verdict.HARMFUL
    if p_worse <= alpha:
        return Verdict.REMOVABLE
    return Verdict.INCONCLUSIVE
