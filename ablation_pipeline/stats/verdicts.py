"""From adjusted p-values to a verdict, and the non-inferiority margin a metric gets by default."""

from __future__ import annotations

from ..vocabulary import Direction, Verdict

#: Margin used when the default (1% of |baseline mean|) would be zero: a margin must be > 0
#: for the non-inferiority hypothesis to be testable; this one only ever passes exact ties.
ZERO_MARGIN_FALLBACK = 1e-12


def default_margin(baseline_mean: float) -> float:
    """1% of |baseline mean|, or ZERO_MARGIN_FALLBACK when that is 0."""
    return 0.01 * abs(baseline_mean) or ZERO_MARGIN_FALLBACK


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
