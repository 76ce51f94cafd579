"""Group-sequential tests over whole repeats, for `evaluation.repeats: auto`.

A variant may stop after 1, 2, 3, 5, 7, 10, ... repeats (the looks). Looking and stopping would inflate
the error rate of a fixed-sample test, so each test is judged against boundaries that spend its
level over the looks (Lan & DeMets; Hwang-Shih-DeCani spending on the fraction of the maximum
repeats, with its own gamma per claim: an essential/harmful claim keeps nearly all of its level for
the last look, where an effect near the detection limit needs it, while a removable claim spends
early, where a component that costs nothing can stop). Under the Nadeau-Bengio model the joint law
of the corrected t statistics of nested repeats does not depend on the unknown variance, so the
boundaries are computed once per design and claim, exactly on the t scale, by a seeded Monte Carlo
(the same numbers on every machine). A fixed design is the one-look special case: its boundary is
the t quantile and its p-value the corrected t-test's.

Jennison & Turnbull (2000), Group Sequential Methods, ch. 7 and 9 (error spending, repeated
p-values and confidence intervals); the derivation of the canonical joint law for repeated CV is in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats as sps

from .rule import FUTILITY, NONINFERIORITY_SPENDING, PATHS, SEED, SUPERIORITY_SPENDING, looks_for  # noqa: F401  (the rule)

MIN_TAIL_PATHS = 50  # below this many crossing paths, a look's boundary is the (conservative) t quantile of its share
TAIL_MARGIN = 1.5  # binomial standard errors by which a look's crossing count is kept under its share
LEVELS = np.logspace(-8, 0, 161)  # one-sided levels at which boundaries are tabulated (20 per decade)
POWER = 0.8  # power at which the minimum detectable effect is quoted


def spent(fraction: float, gamma: float) -> float:
    """Share of a test's level spent by `fraction` of the maximum repeats (Hwang-Shih-DeCani): a more
    negative gamma keeps more of it for the last look (nearer the fixed design's power there)."""
    if gamma == 0.0:
        return fraction
    return (1.0 - math.exp(-gamma * fraction)) / (1.0 - math.exp(-gamma))


@dataclass(frozen=True)
class Design:
    """The split plan as the tests see it: `folds` splits per repeat, the cumulative repeats at each
    look (one look: a fixed design) and n_test / n_train. `rows_tell_variance`: each split delta's variance
    is estimated from its test rows (hundreds of paired row differences) rather than from the spread
    of the split deltas themselves, so the statistics are on the normal scale, not Student's t."""

    folds: int
    looks: tuple[int, ...]
    ratio: float
    rows_tell_variance: bool = False

    @property
    def sequential(self) -> bool:
        return len(self.looks) > 1

    @property
    def max_splits(self) -> int:
        return self.folds * self.looks[-1]

    def splits_at(self) -> tuple[int, ...]:
        return tuple(self.folds * r for r in self.looks)

    def degrees_of_freedom(self) -> np.ndarray:
        """Of each look's reference distribution: J - 1, or infinite (normal) when rows tell the variance."""
        if self.rows_tell_variance:
            return np.full(len(self.looks), np.inf)
        return np.array(self.splits_at(), dtype=float) - 1

    def shares(self, gamma: float) -> np.ndarray:
        """The share of the level each look spends."""
        cumulative = [spent(r / self.looks[-1], gamma) for r in self.looks]
        return np.diff([0.0, *cumulative])

    def look_of(self, splits: int) -> int:
        """Index of the look that `splits` splits complete; ValueError if none does."""
        try:
            return self.splits_at().index(splits)
        except ValueError:
            raise ValueError(f"{splits} splits is not a look of this design ({', '.join(map(str, self.splits_at()))})") from None


class Boundaries:
    """Upper one-sided boundaries c_k(level) on the corrected-t scale, for every look of a design and a
    spending gamma: P(some look k has T_k >= c_k(level)) <= level under the null, for every level."""

    def __init__(self, design: Design, gamma: float):
        self.design = design
        self.shares = design.shares(gamma)
        self.df = design.degrees_of_freedom()
        self.table = _table(design, self.shares) if design.sequential else None

    def upper(self, level: float) -> np.ndarray:
        """c_k(level) for every look k."""
        if self.table is None:
            return np.array([sps.t.isf(level, self.df[0])])
        logs = np.log(LEVELS)
        return np.array([np.interp(math.log(level), logs, self.table[:, k]) if level >= LEVELS[0]
                         else sps.t.isf(level * share, df)
                         for k, (share, df) in enumerate(zip(self.shares, self.df, strict=True))])

    def pvalue_at(self, look: int, statistic: float) -> float:
        """The repeated one-sided p-value of one look's statistic: the smallest level whose boundary at
        that look it reaches (valid whatever happened at the other looks, since crossing there is one of
        the events the boundaries bound)."""
        if self.table is None:
            return float(sps.t.sf(statistic, self.df[0]))
        return float(min(1.0, self._level(look, statistic)))

    def _level(self, look: int, statistic: float) -> float:
        column = self.table[:, look]  # decreasing in the level
        if statistic >= column[0]:  # beyond the table: the t quantile bound of this look alone
            return min(LEVELS[0], float(sps.t.sf(statistic, self.df[look])) / self.shares[look])
        if statistic < column[-1]:
            return 1.0
        return float(math.exp(np.interp(statistic, column[::-1], np.log(LEVELS)[::-1])))


@lru_cache(maxsize=16)
def boundaries(design: Design, gamma: float) -> Boundaries:
    return Boundaries(design, gamma)


def _null_statistics(design: Design) -> np.ndarray:
    """Corrected t statistics at each look for PATHS null studies (paths x looks). Split deltas follow
    the Nadeau-Bengio model d_j = sqrt(ratio) z_0 + z_j: the shared z_0 is the dataset's own deviation.
    When the rows tell the variance it is known (1), not the sample variance of the split deltas."""
    rng = np.random.default_rng(SEED)
    shared = math.sqrt(design.ratio) * rng.standard_normal(PATHS)
    total, squares, n = np.zeros(PATHS), np.zeros(PATHS), 0
    columns = []
    for repeat in range(1, design.looks[-1] + 1):
        z = rng.standard_normal((PATHS, design.folds))
        total += z.sum(axis=1)
        squares += np.square(z).sum(axis=1)
        n += design.folds
        if repeat in design.looks:
            mean = total / n
            variance = 1.0 if design.rows_tell_variance else (squares - n * mean**2) / (n - 1)
            columns.append((shared + mean) / np.sqrt(variance * (1.0 / n + design.ratio)))
    return np.column_stack(columns)


@lru_cache(maxsize=2)
def _null_sample(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """The null paths and their order per look, read-only: both claims' tables of a design come from the
    same paths (only the spending differs), so the second costs half the first."""
    null = _null_statistics(design)
    order = np.argsort(-null, axis=0)
    null.flags.writeable = order.flags.writeable = False
    return null, order


def _table(design: Design, shares: np.ndarray) -> np.ndarray:
    """Boundaries (levels x looks). Each look crosses its share of the level among the paths that have
    not crossed before, less TAIL_MARGIN binomial standard errors: boundaries fitted to one sample
    are otherwise a few percent too lenient on fresh paths (measured: 1.04x the level at 0.025,
    1.1x at 0.0025; with the margin 1.00x and 0.99x). Where the share is too few paths to place, the
    look's boundary is its share's t quantile (a union bound: valid, slightly conservative)."""
    null, order = _null_sample(design)
    df = design.degrees_of_freedom()
    table = np.empty((len(LEVELS), len(design.looks)))
    for g, level in enumerate(LEVELS):
        crossed = np.zeros(PATHS, dtype=bool)
        for k in range(len(design.looks)):
            expected = level * shares[k] * PATHS
            count = int(expected - TAIL_MARGIN * math.sqrt(expected))
            if count < MIN_TAIL_PATHS:
                bound = float(sps.t.isf(level * shares[k], df[k]))
            else:
                candidates = order[: count + int(crossed.sum()), k]
                bound = float(null[candidates[~crossed[candidates]][count - 1], k])
            table[g, k] = bound
            crossed |= null[:, k] >= bound
    return np.minimum.accumulate(table, axis=0)  # never higher for a larger level


def information_fraction(design: Design, look: int) -> float:
    """Var(mean delta) at the last look over that at `look`: how much of the design's information is in."""
    splits = design.splits_at()
    return (1.0 / splits[-1] + design.ratio) / (1.0 / splits[look] + design.ratio)


def conditional_power(statistic: float, design: Design, look: int, final_boundary: float) -> float:
    """Chance of reaching the last look's boundary if the current trend holds (normal approximation)."""
    fraction = information_fraction(design, look)
    if fraction >= 1.0:
        return float(statistic >= final_boundary)
    if not math.isfinite(statistic):
        return float(statistic > 0)
    return float(sps.norm.sf((final_boundary - statistic / math.sqrt(fraction)) / math.sqrt(1.0 - fraction)))
