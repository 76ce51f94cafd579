"""Adjusting p-values across variants."""

from __future__ import annotations

import numpy as np
import pytest

from ablation_pipeline.stats.multiplicity import adjust_pvalues


def test_holm_hand_computed():
    # sorted 0.01, 0.03, 0.04 -> 3*0.01=0.03, 2*0.03=0.06, max(0.06, 1*0.04)=0.06
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.04, 0.03], "bonferroni"), [0.03, 0.12, 0.09])
    # BH: sorted 0.01*3/1=0.03, 0.03*3/2=0.045, 0.04*3/3=0.04 -> monotone: 0.03, 0.04, 0.04
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.04, 0.03], "fdr_bh"), [0.03, 0.04, 0.04])
    np.testing.assert_allclose(adjust_pvalues([0.5, 0.9], "bonferroni"), [1.0, 1.0])


def test_holm_is_not_statsmodels_default_holm_sidak():
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03]
    sidak = multipletests(p)[1]  # statsmodels' default method is 'hs'
    holm = adjust_pvalues(p)
    assert not np.allclose(holm, sidak)
    assert sidak[0] == pytest.approx(1 - 0.99**3)  # 0.029701, not Holm's 0.03


@pytest.mark.parametrize("size", [1, 2, 7, 300])
def test_holm_equals_statsmodels_holm(size):
    """Our step-down (which skips statsmodels' forced garbage collection) returns statsmodels' numbers,
    ties and ones included."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(size)
    p = np.round(rng.uniform(0, 0.2, size), 3)  # rounded: ties
    p[::5] = 1.0
    np.testing.assert_allclose(adjust_pvalues(p), multipletests(p, method="holm")[1], rtol=0, atol=1e-15)


def test_adjust_edge_cases():
    out = adjust_pvalues([])
    assert isinstance(out, np.ndarray) and out.size == 0
    with pytest.raises(ValueError, match="unknown"):
        adjust_pvalues([0.1], "hs")
    with pytest.raises(ValueError):
        adjust_pvalues([0.1, np.nan])


def test_decision_level_separates_rejections_from_the_rest():
    from ablation_pipeline.stats.multiplicity import decision_level

    p = np.array([0.001, 0.004, 0.2, 0.5])
    for method in ("holm", "bonferroni", "fdr_bh"):
        adjusted = adjust_pvalues(p, method)
        level = decision_level(adjusted, 0.05, method)
        assert np.array_equal(p < level, adjusted < 0.05), method


def test_all_claims_family_uses_that_one_claim_per_variant_can_be_true():
    from ablation_pipeline.stats.multiplicity import all_claims_adjusted

    p_s, p_r = np.array([0.001, 0.6, 0.04]), np.array([0.9, 0.01, 0.3])
    adj_s, adj_r, divisors = all_claims_adjusted(p_s, p_r)
    # 6 hypotheses but at most 3 true: the first divisor is 3, not 6 (plain Holm over 6 would use 6)
    assert divisors[0] == 3 and adj_s[0] == pytest.approx(0.003)
    assert adj_r[1] == pytest.approx(max(0.003, 3 * 0.01))
    assert np.all(adj_s >= p_s) and np.all(adj_r >= p_r)
