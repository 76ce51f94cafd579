"""What one variant's paired split deltas say about one metric, look by look: the two claims a
verdict rests on (superiority: the variant differs from the baseline; non-inferiority: it is worse
by less than the margin), their sequential p-values, the intervals consistent with a given level,
and how far the design is from deciding it.

Every number is on the corrected (Nadeau-Bengio) scale: se = s * sqrt(1/J + n_test/n_train). A fixed
design is the one-look case, where everything reduces to the corrected t-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from ..vocabulary import Direction
from . import sequential
from .paired import PairedResult, corrected_paired_ttest
from .sequential import POWER, Boundaries, Design, boundaries


@dataclass(frozen=True)
class Evidence:
    """One variant and metric. Arrays hold one entry per look taken (deltas ordered by repeat, fold)."""

    design: Design
    direction: Direction
    margin: float
    means: np.ndarray  # mean delta (variant - baseline) at each look
    ses: np.ndarray  # its corrected standard error
    sd: float  # standard deviation of the deltas at the last look
    result: PairedResult  # the fixed-sample corrected t-test on every split used

    @property
    def looks_taken(self) -> int:
        return len(self.means)

    @property
    def bounds(self) -> Boundaries:
        """The superiority (essential / harmful) test's boundaries."""
        return boundaries(self.design, sequential.SUPERIORITY_SPENDING)

    @property
    def removable_bounds(self) -> Boundaries:
        """The non-inferiority (removable) test's boundaries: its own spending of its own level."""
        return boundaries(self.design, sequential.NONINFERIORITY_SPENDING)

    def degradations(self) -> np.ndarray:
        return self.direction.degradation(self.means)

    def superiority_statistics(self) -> np.ndarray:
        return _ratio(self.means, self.ses)

    def noninferiority_statistics(self) -> np.ndarray:
        return _ratio(self.margin - self.degradations(), self.ses)

    def p_superiority(self) -> float:
        """Two-sided: is the variant different from the baseline? (repeated p-value over the looks)"""
        t = self.superiority_statistics()
        return min(1.0, 2.0 * min(self.bounds.pvalue(t), self.bounds.pvalue(-t)))

    def p_noninferiority(self) -> float:
        """One-sided: is the variant worse by less than the margin?"""
        return self.removable_bounds.pvalue(self.noninferiority_statistics())

    def interval(self, level: float) -> tuple[float, float]:
        """Two-sided interval for the mean delta at `level`, excluding 0 exactly when the superiority
        p-value is below `level`: the intersection of the repeated intervals of every look taken."""
        half = self._half_widths(level / 2.0)
        low, high = float(np.max(self.means - half)), float(np.min(self.means + half))
        if low > high:  # the looks disagree beyond their own error: the last look's interval
            low, high = float(self.means[-1] - half[-1]), float(self.means[-1] + half[-1])
        return low, high

    def degradation_bound(self, level: float) -> float:
        """One-sided upper bound of the degradation at `level`: below the margin exactly when the
        non-inferiority p-value is below `level`."""
        return float(np.min(self.degradations() + self._half_widths(level, self.removable_bounds)))

    def _half_widths(self, level: float, bounds: Boundaries | None = None) -> np.ndarray:
        critical = (bounds or self.bounds).upper(level)[: self.looks_taken]
        return np.where(self.ses > 0, critical * self.ses, 0.0)

    def minimum_detectable(self, level: float) -> float:
        """The smallest true effect the full design finds with POWER at two-sided `level`: that far from
        0 to be called essential or harmful, or that far below the margin to be called removable."""
        critical = float(self.bounds.upper(level / 2.0)[-1])
        df = self.design.max_splits - 1
        return (critical + float(sps.t.ppf(POWER, df))) * self.sd * math.sqrt(1.0 / self.design.max_splits + self.design.ratio)

    def splits_to_decide(self, level: float, noninferiority_level: float | None = None) -> float:
        """Splits (whole repeats) a fixed design would need to decide this variant with POWER if the
        estimated effect is the truth: the easier of telling it from 0 (at two-sided `level`) and from
        the margin (at `noninferiority_level`, default `level`). NaN when no number of repeats would:
        the effect is below what K-fold CV of this data can resolve."""
        last = self.means[-1]
        level_r = level if noninferiority_level is None else noninferiority_level
        candidates = [_splits_needed(abs(last), self.sd, self.design, level / 2.0),
                      _splits_needed(self.margin - float(self.direction.degradation(last)), self.sd, self.design, level_r)]
        reachable = [c for c in candidates if math.isfinite(c)]
        return float(min(reachable)) if reachable else math.nan

    def posterior(self) -> tuple[float, float, float]:
        """Bayesian correlated t-test (Corani & Benavoli 2015) with the margin as the region of practical
        equivalence: P(worse by more than the margin), P(within it), P(better by more than it)."""
        degradation = float(self.degradations()[-1])
        se, df = float(self.ses[-1]), self.result.df
        if se == 0.0:
            worse, better = float(degradation > self.margin), float(degradation < -self.margin)
        else:
            worse = float(sps.t.sf((self.margin - degradation) / se, df))
            better = float(sps.t.cdf((-self.margin - degradation) / se, df))
        return worse, max(0.0, 1.0 - worse - better), better


def evidence(deltas: np.ndarray, design: Design, margin: float, direction: Direction, alpha: float) -> Evidence:
    """The evidence of `deltas` (ordered by repeat, then fold; their count one of the design's looks)."""
    deltas = np.asarray(deltas, dtype=float)
    last = design.look_of(deltas.size) if design.sequential else 0
    counts = design.splits_at()[: last + 1] if design.sequential else (deltas.size,)
    tests = [corrected_paired_ttest(deltas[:n], design.ratio, alpha) for n in counts]
    return Evidence(design=design, direction=direction, margin=float(margin),
                    means=np.array([t.mean_delta for t in tests]), ses=np.array([t.se for t in tests]),
                    sd=float(np.std(deltas, ddof=1)) if np.ptp(deltas) > 0 else 0.0, result=tests[-1])


def _ratio(numerator: np.ndarray, se: np.ndarray) -> np.ndarray:
    """numerator / se, with a zero se giving +-inf (or 0 for a zero numerator), never NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(se > 0, numerator / np.where(se > 0, se, 1.0), np.sign(numerator) * np.inf)
    return np.nan_to_num(out, nan=0.0, posinf=np.inf, neginf=-np.inf)


def _splits_needed(effect: float, sd: float, design: Design, level: float) -> float:
    """Smallest J (a whole number of repeats) with (t_{1-level} + t_{POWER}) * sd * sqrt(1/J + r) <= effect."""
    if effect <= 0:
        return math.nan
    if sd == 0.0:
        return float(design.folds)
    z = sps.norm.isf(level) + sps.norm.ppf(POWER)
    if effect <= z * sd * math.sqrt(design.ratio):
        return math.nan  # below the floor that repeats cannot lower
    splits = max(float(design.folds), math.ceil(1.0 / ((effect / (z * sd)) ** 2 - design.ratio) / design.folds) * design.folds)
    for _ in range(50):  # t quantiles exceed z ones, so J only grows towards the fixed point
        q = float(sps.t.isf(level, splits - 1) + sps.t.ppf(POWER, splits - 1))
        gap = (effect / (q * sd)) ** 2 - design.ratio
        if gap <= 0:
            return math.nan
        needed = max(float(design.folds), math.ceil(1.0 / gap / design.folds) * design.folds)
        if needed == splits:
            break
        splits = needed
    return splits
