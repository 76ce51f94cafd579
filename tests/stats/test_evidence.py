"""What a variant's deltas say: intervals that agree with the tests, how far a design is from
deciding, the Bayesian reading, and when a `repeats: auto` variant may stop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ablation_pipeline.stats.evidence import evidence
from ablation_pipeline.stats.sequential import Design, looks_for
from ablation_pipeline.stats.stopping import should_stop
from ablation_pipeline.vocabulary import Direction

FIXED, SEQUENTIAL = Design(5, (2,), 0.25), Design(5, looks_for(10), 0.25)


@pytest.mark.parametrize("design", [FIXED, SEQUENTIAL], ids=["fixed", "sequential"])
def test_intervals_agree_with_the_tests_at_every_level(design):
    rng = np.random.default_rng(11)
    for _ in range(60):
        deltas = rng.normal(rng.normal(0, 0.6), 1.0, design.max_splits)
        found = evidence(deltas, design, margin=0.5, direction=Direction.LOWER, alpha=0.05)
        for level in (0.01, 0.05, 0.2):
            low, high = found.interval(level)
            assert (low > 0 or high < 0) == (found.p_superiority() < level)
            assert (found.degradation_bound(level) < 0.5) == (found.p_noninferiority() < level)


def test_splits_to_decide_grows_as_the_effect_shrinks_and_is_nan_below_the_floor():
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 1.0, 10)
    needed = [evidence(noise - noise.mean() + effect, FIXED, 10.0, Direction.LOWER, 0.05).splits_to_decide(0.05)
              for effect in (3.0, 1.5, 0.8)]
    assert needed[0] <= needed[1] <= needed[2] and all(n % 5 == 0 for n in needed)
    # an effect far below what sd * sqrt(n_test / n_train) resolves, and far from the margin too
    tiny = evidence(noise - noise.mean() + 0.05, FIXED, 0.1, Direction.LOWER, 0.05)
    assert math.isnan(tiny.splits_to_decide(0.05))


def test_minimum_detectable_effect_shrinks_with_the_design():
    deltas = np.random.default_rng(2).normal(0, 1, 50)
    small = evidence(deltas[:10], FIXED, 1.0, Direction.LOWER, 0.05).minimum_detectable(0.05)
    large = evidence(deltas, Design(5, (10,), 0.25), 1.0, Direction.LOWER, 0.05).minimum_detectable(0.05)
    assert large < small


def test_posterior_is_a_distribution_and_follows_the_effect():
    rng = np.random.default_rng(9)
    noise = rng.normal(0, 0.2, 10)
    for effect, likeliest in ((2.0, 0), (0.0, 1), (-2.0, 2)):
        probabilities = evidence(noise - noise.mean() + effect, FIXED, 0.5, Direction.LOWER, 0.05).posterior()
        assert sum(probabilities) == pytest.approx(1.0)
        assert int(np.argmax(probabilities)) == likeliest


def test_a_clear_effect_stops_at_the_first_look_and_an_unclear_one_goes_on():
    rng = np.random.default_rng(1)
    clear = evidence(rng.normal(20.0, 1.0, 5), SEQUENTIAL, 0.5, Direction.LOWER, 0.05)
    unclear = evidence(rng.normal(0.5, 1.0, 5), SEQUENTIAL, 0.5, Direction.LOWER, 0.05)
    assert should_stop([clear], variants=10, alpha=0.05)
    assert not should_stop([unclear], variants=10, alpha=0.05)
    assert not should_stop([clear, unclear], variants=10, alpha=0.05)  # every metric must be settled


def test_the_last_look_always_stops():
    deltas = np.random.default_rng(4).normal(0.5, 1.0, SEQUENTIAL.max_splits)
    assert should_stop([evidence(deltas, SEQUENTIAL, 0.5, Direction.LOWER, 0.05)], variants=10, alpha=0.05)


def test_a_removable_claim_tested_per_variant_settles_before_one_that_shares_alpha():
    spread = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    spread /= spread.std(ddof=1)
    # no difference, and the margin (1.0) about 5 corrected standard errors away at the first look:
    # beyond the boundary at alpha, short of it at alpha / 10
    found = evidence(0.3 * spread, SEQUENTIAL, 1.0, Direction.LOWER, 0.05)
    bounds = found.removable_bounds
    assert bounds.upper(0.05)[0] < found.noninferiority_statistics()[0] < bounds.upper(0.005)[0]
    assert should_stop([found], variants=10, alpha=0.05, multiplicity="discoveries")
    assert not should_stop([found], variants=10, alpha=0.05, multiplicity="per_claim")
