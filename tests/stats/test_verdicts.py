"""From adjusted p-values to verdicts."""

from __future__ import annotations

import pytest

from ablation_pipeline.stats.verdicts import verdict


def test_verdict_rules():
    assert verdict(0.001, 0.9, -0.05, True, 0.05) == "essential"
    assert verdict(0.001, 0.9, 0.05, True, 0.05) == "harmful"
    assert verdict(0.001, 0.9, 0.05, False, 0.05) == "essential"  # rmse went up
    assert verdict(0.001, 0.9, -0.05, False, 0.05) == "harmful"
    assert verdict(0.5, 0.001, -0.001, True, 0.05) == "removable"
    assert verdict(0.5, 0.2, -0.001, True, 0.05) == "inconclusive"
    # significance wins over non-inferiority (a small real improvement is 'harmful' to keep)
    assert verdict(0.01, 0.001, 0.001, True, 0.05) == "harmful"
    assert verdict(0.05, 0.05, -0.1, True, 0.05) == "inconclusive"  # strict '<'


@pytest.mark.parametrize("p_worse, p_better, expected", [
    (0.97, 0.0, "essential"), (0.0, 0.99, "harmful"), (0.01, 0.2, "removable"), (0.3, 0.1, "inconclusive"),
])
def test_bayesian_verdict_reads_the_posterior(p_worse, p_better, expected):
    from ablation_pipeline.stats.verdicts import bayesian_verdict

    assert bayesian_verdict(p_worse, p_better, 0.05) == expected
