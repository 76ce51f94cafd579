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


def test_adjust_edge_cases():
    out = adjust_pvalues([])
    assert isinstance(out, np.ndarray) and out.size == 0
    with pytest.raises(ValueError, match="unknown"):
        adjust_pvalues([0.1], "hs")
    with pytest.raises(ValueError):
        adjust_pvalues([0.1, np.nan])
