"""Group-sequential boundaries over repeats: the looks, the spending, and the error rate they keep
under optional stopping, checked by simulation with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from ablation_pipeline.stats.evidence import evidence
from ablation_pipeline.stats.paired import corrected_paired_ttest
from ablation_pipeline.stats.sequential import SUPERIORITY_SPENDING, Design, boundaries, looks_for, spent
from ablation_pipeline.vocabulary import Direction

RATIO = 0.25  # 5-fold: n_test / n_train


def test_looks_are_few_and_end_at_the_maximum():
    assert looks_for(10) == (1, 2, 3, 5, 7, 10)
    assert looks_for(2) == (1, 2)
    assert looks_for(30) == (1, 2, 3, 5, 7, 10, 14, 20, 28, 30)
    assert looks_for(50) == (1, 2, 3, 5, 7, 10, 14, 20, 28, 40, 50)


@pytest.mark.parametrize("gamma", [-4.0, -1.0, 0.0, 1.0])
def test_spending_starts_at_zero_ends_at_one_and_grows(gamma):
    fractions = np.linspace(0, 1, 11)
    spending = [spent(f, gamma) for f in fractions]
    assert spending[0] == pytest.approx(0.0) and spending[-1] == pytest.approx(1.0)
    assert np.all(np.diff(spending) > 0)
    assert Design(5, (1, 2, 3, 5, 10), RATIO).shares(gamma).sum() == pytest.approx(1.0)


def test_a_more_negative_gamma_keeps_more_of_the_level_for_the_last_look():
    design = Design(5, looks_for(10), RATIO)
    late, early = boundaries(design, -4.0).upper(0.025), boundaries(design, 1.0).upper(0.025)
    assert late[0] > early[0] and late[-1] < early[-1]


def test_a_fixed_design_is_the_corrected_t_test():
    deltas = np.random.default_rng(3).normal(0.1, 1.0, 20)
    found = evidence(deltas, Design(5, (4,), RATIO), 0.2, Direction.LOWER, 0.05)
    reference = corrected_paired_ttest(deltas, RATIO, 0.05)
    assert found.p_superiority() == pytest.approx(reference.p_value)
    assert found.interval(0.05) == pytest.approx((reference.ci_low, reference.ci_high))


def test_boundaries_are_deterministic_and_stricter_than_a_fixed_look():
    design = Design(5, looks_for(10), RATIO)
    first = boundaries(design, SUPERIORITY_SPENDING).upper(0.025)
    again = boundaries(Design(5, looks_for(10), RATIO), SUPERIORITY_SPENDING).upper(0.025)
    np.testing.assert_array_equal(first, again)
    fixed_last = boundaries(Design(5, (10,), RATIO), SUPERIORITY_SPENDING).upper(0.025)[0]
    assert np.all(first > 0) and first[-1] > fixed_last  # spending over looks costs a little at the end


def _null_paths(paths: int, design: Design, rng: np.random.Generator) -> np.ndarray:
    """Deltas with the correlation the corrected test assumes: a shared draw (the data set) plus
    independent split noise, the shared variance being `ratio` times the split variance."""
    shared = rng.normal(0.0, np.sqrt(design.ratio), size=(paths, 1))
    return shared + rng.normal(size=(paths, design.max_splits))


@pytest.mark.parametrize("alpha", [0.05, 0.20])
@pytest.mark.parametrize("claim", ["superiority", "noninferiority"])
def test_looking_after_every_block_keeps_the_error_rate(alpha, claim):
    """Under a true null (no difference for superiority, a loss of exactly the margin for
    non-inferiority, each claim with its own spending), rejecting at any look (the repeated p-value
    below alpha) happens at rate alpha, not more; and not far less (power is not left unused)."""
    design, margin = Design(5, looks_for(10), RATIO), 1.0
    paths = _null_paths(1500, design, np.random.default_rng(20261124))
    if claim == "superiority":
        rejected = np.mean([evidence(path, design, margin, Direction.LOWER, alpha).p_superiority() < alpha for path in paths])
    else:
        rejected = np.mean([evidence(path + margin, design, margin, Direction.LOWER, alpha).p_noninferiority() < alpha
                            for path in paths])
    tolerance = 3 * np.sqrt(alpha * (1 - alpha) / len(paths))
    assert alpha - 2.5 * tolerance <= rejected <= alpha + tolerance


def test_peeking_with_fixed_tests_would_not_keep_it():
    """The same paths judged by a fixed-sample test at every look reject far too often: the
    boundaries above are doing real work."""
    design = Design(5, looks_for(10), RATIO)
    paths = _null_paths(1500, design, np.random.default_rng(7))
    naive = np.mean([min(corrected_paired_ttest(p[:n], RATIO, 0.05).p_value for n in design.splits_at()) < 0.05 for p in paths])
    assert naive > 0.08
