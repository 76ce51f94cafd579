"""The blocked ANOVA across variants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from ablation_pipeline.stats.anova import blocked_anova
from ablation_pipeline.stats.paired import corrected_paired_ttest


def _block_table(values: np.ndarray) -> pd.DataFrame:
    """values[v, s] -> long table; splits s enumerate (repeat, fold) with 2 folds."""
    return pd.DataFrame([
        {"variant": f"v{v}", "repeat": s // 2, "fold": s % 2, "value": float(values[v, s])}
        for v in range(values.shape[0]) for s in range(values.shape[1])
    ])


def test_blocked_anova_hand_computed():
    x = np.array([[5.0, 6.0, 7.0, 9.0],
                  [6.0, 6.5, 8.0, 9.0],
                  [4.0, 5.0, 7.5, 8.0]])
    k, b = x.shape
    g = x.mean()
    ss_treat = b * ((x.mean(axis=1) - g) ** 2).sum()
    ss_block = k * ((x.mean(axis=0) - g) ** 2).sum()
    ss_err = ((x - g) ** 2).sum() - ss_treat - ss_block
    df_num, df_den = k - 1, (k - 1) * (b - 1)
    F = (ss_treat / df_num) / (ss_err / df_den)
    res = blocked_anova(_block_table(x))
    assert res["df_num"] == df_num and res["df_den"] == df_den
    assert res["F"] == pytest.approx(F)
    assert res["p_value"] == pytest.approx(sps.f.sf(F, df_num, df_den))


@pytest.mark.parametrize(("variants", "splits"), [(2, 4), (5, 10), (40, 6)])
def test_blocked_anova_is_statsmodels_ols_f_test(variants, splits):
    """The closed form is the F test of the additive OLS model against the blocks alone, as statsmodels fits it."""
    from statsmodels.regression.linear_model import OLS

    rng = np.random.default_rng(variants * splits)
    x = rng.normal(size=(variants, splits)) + rng.normal(size=(variants, 1)) * 0.3 + np.arange(splits)
    table = _block_table(x)
    design = np.hstack([np.ones((len(table), 1)),
                        pd.get_dummies(table["variant"], drop_first=True, dtype=float).to_numpy(),
                        pd.get_dummies(table["repeat"] * 2 + table["fold"], drop_first=True, dtype=float).to_numpy()])
    full = OLS(table["value"].to_numpy(), design).fit()
    blocks = OLS(table["value"].to_numpy(), np.delete(design, range(1, variants), axis=1)).fit()
    F, p, df = full.compare_f_test(blocks)
    res = blocked_anova(table)
    assert res["F"] == pytest.approx(F, rel=1e-9) and res["p_value"] == pytest.approx(p, rel=1e-9)
    assert (res["df_num"], res["df_den"]) == (df, full.df_resid)


def test_blocked_anova_two_variants_equals_paired_t_squared():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 8)) + np.arange(8)  # strong block effect
    res = blocked_anova(_block_table(x))
    r = corrected_paired_ttest(x[1] - x[0], 0.0)
    assert res["F"] == pytest.approx(r.t**2)
    assert res["p_value"] == pytest.approx(r.p_value)


def test_blocked_anova_big_effect_and_degenerate():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.01, size=(3, 10)) + np.array([[0.0], [0.3], [-0.2]])
    assert blocked_anova(_block_table(x))["p_value"] < 1e-6

    same = blocked_anova(_block_table(np.full((3, 6), 0.7)))
    assert same == {"F": 0.0, "df_num": 2.0, "df_den": 10.0, "p_value": 1.0}
    # variants differ by exact constant shifts: infinitely strong evidence, not NaN
    shift = blocked_anova(_block_table(np.array([[0.5, 0.6, 0.7], [0.75, 0.85, 0.95]])))
    assert shift["F"] == math.inf and shift["p_value"] == 0.0
    for r in (same, shift):
        assert not any(math.isnan(v) for v in r.values())


def test_blocked_anova_input_errors():
    t = _block_table(np.ones((2, 4)))
    with pytest.raises(ValueError, match="exactly once"):
        blocked_anova(t.iloc[1:])
    with pytest.raises(ValueError, match=">= 2"):
        blocked_anova(t[t["variant"] == "v0"])
