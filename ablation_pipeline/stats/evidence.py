"""What one variant's paired split deltas say about one metric, look by look: the two claims a
verdict rests on (superiority: the variant differs from the baseline; non-inferiority: it is worse
by less than the margin), their sequential p-values, the intervals consistent with a given level,
and how far the design is from deciding it.

Every number is on the corrected (Nadeau-Bengio) scale: se = s * sqrt(1/J + n_test/n_train), where s^2
is the variance of one split's delta: estimated from the J split deltas (Student's t with J - 1 degrees
of freedom), or, for a metric that is a mean over rows, from each split's paired row differences
(var(row differences) / rows x (K - 1) / K, averaged over the splits: the normal reference, and never
zero while the two models' predictions differ). A fixed design is the one-look case, where everything
reduces to the corrected test.

Every reported number comes from the last look, the one whose splits give Δ and n_splits: a look's own
repeated p-value and interval are valid alone (crossing its boundary is one of the events the
boundaries bound), so the interval always holds its own Δ and agrees with the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as sps

from ..vocabulary import Direction
from . import sequential
from .paired import PairedResult, corrected_paired_ttest, discordant_variances, rows_test
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
    noninferiority_ses: np.ndarray | None = None  # the removable claim's own standard errors (a held-out set's score test)

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

    @property
    def ni_ses(self) -> np.ndarray:
        return self.ses if self.noninferiority_ses is None else self.noninferiority_ses

    def noninferiority_statistics(self) -> np.ndarray:
        return _ratio(self.margin - self.degradations(), self.ni_ses)

    def p_superiority(self) -> float:
        """Two-sided: is the variant different from the baseline? (the last look's repeated p-value)"""
        t, last = float(self.superiority_statistics()[-1]), self.looks_taken - 1
        return min(1.0, 2.0 * min(self.bounds.pvalue_at(last, t), self.bounds.pvalue_at(last, -t)))

    def p_noninferiority(self) -> float:
        """One-sided: is the variant worse by less than the margin? (the last look's repeated p-value)"""
        return self.removable_bounds.pvalue_at(self.looks_taken - 1, float(self.noninferiority_statistics()[-1]))

    def interval(self, level: float) -> tuple[float, float]:
        """Two-sided interval for the mean delta at `level`, around the last look's mean: it excludes 0
        exactly when the superiority p-value is below `level`."""
        half = float(self._half_widths(level / 2.0)[-1])
        return float(self.means[-1] - half), float(self.means[-1] + half)

    def degradation_bound(self, level: float) -> float:
        """One-sided upper bound of the degradation at `level`: below the margin exactly when the
        non-inferiority p-value is below `level`."""
        return float(self.degradations()[-1] + self._half_widths(level, self.removable_bounds, self.ni_ses)[-1])

    def _half_widths(self, level: float, bounds: Boundaries | None = None, ses: np.ndarray | None = None) -> np.ndarray:
        critical = (bounds or self.bounds).upper(level)[: self.looks_taken]
        ses = self.ses if ses is None else ses
        return np.where(ses > 0, critical * ses, 0.0)

    def minimum_detectable(self, level: float) -> float:
        """The smallest true effect the full design finds with POWER at two-sided `level`: that far from
        0 to be called essential or harmful, or that far below the margin to be called removable."""
        critical = float(self.bounds.upper(level / 2.0)[-1])
        df = float(self.design.degrees_of_freedom()[-1])
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
        se, df = float(self.ses[-1]), float(self.design.degrees_of_freedom()[self.looks_taken - 1])
        if se == 0.0:
            worse, better = float(degradation > self.margin), float(degradation < -self.margin)
        else:
            worse = float(sps.t.sf((self.margin - degradation) / se, df))
            better = float(sps.t.cdf((-self.margin - degradation) / se, df))
        return worse, max(0.0, 1.0 - worse - better), better


def evidence(deltas: np.ndarray, design: Design, margin: float, direction: Direction, alpha: float,
             delta_variances: np.ndarray | None = None, discordant: tuple[float, float] | None = None) -> Evidence:
    """The evidence of `deltas` (ordered by repeat, then fold; their count one of the design's looks).
    With `delta_variances` (each split delta's variance as its test rows tell it, in the same order) the
    variance comes from the rows, on a design whose rows tell the variance. `discordant` (the share of rows
    whose correctness differs, and the rows) on one held-out split: each claim's variance is its null's
    (`paired.discordant_variances`)."""
    deltas = np.asarray(deltas, dtype=float)
    if delta_variances is not None and not design.rows_tell_variance:
        design = replace(design, rows_tell_variance=True)
    last = design.look_of(deltas.size) if design.sequential else 0
    counts = design.splits_at()[: last + 1] if design.sequential else (deltas.size,)
    if delta_variances is None:
        tests = [corrected_paired_ttest(deltas[:n], design.ratio, alpha) for n in counts]
        sd = float(np.std(deltas, ddof=1)) if np.ptp(deltas) > 0 else 0.0
    else:
        variances = np.asarray(delta_variances, dtype=float) * _partition_factor(design.folds)
        tests = [rows_test(deltas[:n], float(np.mean(variances[:n])), design.ratio, alpha) for n in counts]
        sd = math.sqrt(float(np.mean(variances)))
    noninferiority_ses = None
    if discordant is not None and deltas.size == 1 and design.ratio == 0.0:
        superiority, at_margin = discordant_variances(float(direction.degradation(deltas[0])), *discordant, margin)
        tests, noninferiority_ses = [rows_test(deltas, superiority, 0.0, alpha)], np.array([math.sqrt(at_margin)])
    return Evidence(design=design, direction=direction, margin=float(margin), means=np.array([t.mean_delta for t in tests]),
                    ses=np.array([t.se for t in tests]), sd=sd, result=tests[-1], noninferiority_ses=noninferiority_ses)


def _partition_factor(folds: int) -> float:
    """(K - 1) / K: a repeat's K test folds partition the data, so their deltas vary about the repeat's mean
    by var(row differences) / rows times this (sampling without replacement), which is what the split
    deltas' own variance estimates in the corrected test (the shared part is the ratio term). Measured in
    benchmarks/calibration.py: without it the rows' standard error is 1.15x the split deltas' on the same
    studies, with it 1.0x."""
    return (folds - 1) / folds if folds > 1 else 1.0


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
        df = math.inf if design.rows_tell_variance else splits - 1
        q = float(sps.t.isf(level, df) + sps.t.ppf(POWER, df))
        gap = (effect / (q * sd)) ** 2 - design.ratio
        if gap <= 0:
            return math.nan
        needed = max(float(design.folds), math.ceil(1.0 / gap / design.folds) * design.folds)
        if needed == splits:
            break
        splits = needed
    return splits
