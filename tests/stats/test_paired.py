"""The corrected paired t-test and the non-inferiority test: published values, hand computations, edge cases, calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from ablation_pipeline.errors import DataError
from ablation_pipeline.stats.paired import PairedResult, corrected_paired_ttest, noninferiority_pvalue

EXAMPLE_T = 0.7503126954482318


EXAMPLE_P_ONE_SIDED = 0.2274229710133665


EXAMPLE_T_UNCORRECTED = 2.6111648393354643


EXAMPLE_P_UNCORRECTED_ONE_SIDED = 0.005213013150393235


@pytest.fixture(scope="module")
def gallery_differences():
    sklearn = pytest.importorskip("sklearn")  # noqa: F841
    from sklearn.datasets import make_moons
    from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold
    from sklearn.svm import SVC

    X, y = make_moons(noise=0.352, random_state=1, n_samples=100)
    param_grid = [
        {"kernel": ["linear"]},
        {"kernel": ["poly"], "degree": [2, 3]},
        {"kernel": ["rbf"]},
    ]
    cv = RepeatedStratifiedKFold(n_splits=10, n_repeats=10, random_state=0)
    search = GridSearchCV(SVC(random_state=0), param_grid=param_grid, scoring="roc_auc", cv=cv)
    search.fit(X, y)
    res = pd.DataFrame(search.cv_results_).sort_values(by=["rank_test_score"])
    kernels = res["params"].apply(lambda p: p["kernel"]).tolist()
    assert kernels[:2] == ["rbf", "linear"]  # the example compares its two best models
    split_scores = res.filter(regex=r"split\d*_test_score")
    differences = split_scores.iloc[0].to_numpy() - split_scores.iloc[1].to_numpy()
    train, test = next(iter(cv.split(X, y)))
    return differences, len(train), len(test)


def _example_corrected_ttest(differences, df, n_train, n_test):
    """The example's own corrected_std / compute_corrected_ttest, verbatim in substance."""
    kr = len(differences)
    corrected_std = np.sqrt(np.var(differences, ddof=1) * (1 / kr + n_test / n_train))
    t_stat = np.mean(differences) / corrected_std
    return t_stat, sps.t.sf(np.abs(t_stat), df)


def test_gallery_example_reference_values(gallery_differences):
    differences, n_train, n_test = gallery_differences
    assert (n_train, n_test, len(differences)) == (90, 10, 100)

    ex_t, ex_p = _example_corrected_ttest(differences, len(differences) - 1, n_train, n_test)
    assert round(float(ex_t), 3) == 0.750 and round(float(ex_p), 3) == 0.227
    assert ex_t == pytest.approx(EXAMPLE_T, rel=1e-9)
    assert ex_p == pytest.approx(EXAMPLE_P_ONE_SIDED, rel=1e-9)

    r = corrected_paired_ttest(differences, n_test / n_train)
    assert r.df == 99 and r.n_splits == 100
    assert r.t == pytest.approx(EXAMPLE_T, rel=1e-9)
    assert r.p_value == pytest.approx(2 * EXAMPLE_P_ONE_SIDED, rel=1e-9)  # ours is two-sided
    assert r.ci_low < 0 < r.ci_high  # consistent with p > 0.05

    # Without the correction (ratio 0) we get the example's naive paired t-test instead...
    naive = corrected_paired_ttest(differences, 0.0)
    assert naive.t == pytest.approx(EXAMPLE_T_UNCORRECTED, rel=1e-9)
    assert naive.p_value == pytest.approx(2 * EXAMPLE_P_UNCORRECTED_ONE_SIDED, rel=1e-9)
    # ...which would call rbf significantly better: the correction changes the conclusion.
    assert naive.p_value < 0.05 < r.p_value
    assert r.t < naive.t / 3


def test_hand_computed_case():
    r = corrected_paired_ttest([1, 2, 3, 4, 5], 0.25, alpha=0.05)
    assert isinstance(r, PairedResult)
    se = math.sqrt((1 / 5 + 0.25) * 2.5)  # s^2 = 2.5
    assert se == pytest.approx(1.0606601717798212)
    assert r.mean_delta == 3.0
    assert r.se == pytest.approx(se)
    assert r.t == pytest.approx(2.8284271247461903)  # 3 / 1.0607 = 2*sqrt(2)
    assert r.df == 4 and r.n_splits == 5
    assert r.p_value == pytest.approx(2 * sps.t.sf(2 * math.sqrt(2), 4))
    assert r.p_value == pytest.approx(0.04742, abs=1e-5)
    t_crit = 2.7764451051977987  # t_{0.975, 4}
    assert r.ci_low == pytest.approx(3 - t_crit * se)
    assert r.ci_high == pytest.approx(3 + t_crit * se)
    assert r.effect_size_dz == pytest.approx(3 / math.sqrt(2.5))
    # alpha changes only the interval
    r90 = corrected_paired_ttest([1, 2, 3, 4, 5], 0.25, alpha=0.10)
    assert r90.p_value == r.p_value and r.ci_low < r90.ci_low < r90.ci_high < r.ci_high


def test_too_few_splits_and_bad_inputs():
    with pytest.raises(ValueError, match="J >= 2"):
        corrected_paired_ttest([0.3], 0.25)
    with pytest.raises(ValueError, match="J >= 2"):
        noninferiority_pvalue([0.3], 0.25, 0.01, True)
    with pytest.raises(ValueError):
        corrected_paired_ttest([0.1, np.nan, 0.2], 0.25)
    with pytest.raises(ValueError):
        corrected_paired_ttest([0.1, 0.2], -0.1)
    with pytest.raises(ValueError):
        noninferiority_pvalue([0.1, 0.2], 0.25, 0.0, True)
    # the errors are also DataErrors, so the CLI can print them as one line
    with pytest.raises(DataError):
        corrected_paired_ttest([], 0.25)


def test_zero_variance_all_zero_is_no_difference():
    r = corrected_paired_ttest([0.0] * 6, 0.2)
    assert (r.t, r.p_value, r.ci_low, r.ci_high, r.effect_size_dz, r.se) == (0, 1, 0, 0, 0, 0)
    assert r.df == 5
    # degradation 0 is certainly below any positive margin
    assert noninferiority_pvalue([0.0] * 6, 0.2, 0.01, True) == 0.0
    assert noninferiority_pvalue([0.0] * 6, 0.2, 0.01, False) == 0.0


def test_zero_variance_constant_nonzero():
    r = corrected_paired_ttest([0.1] * 6, 0.2)
    assert r.t == math.inf and r.effect_size_dz == math.inf and r.p_value == 0.0
    assert r.ci_low == r.ci_high == pytest.approx(0.1)
    neg = corrected_paired_ttest([-0.1] * 6, 0.2)
    assert neg.t == -math.inf and neg.p_value == 0.0 and neg.effect_size_dz == -math.inf
    # higher is better, variant constantly 0.1 better: degradation -0.1 < margin
    assert noninferiority_pvalue([0.1] * 6, 0.2, 0.01, True) == 0.0
    # lower is better, variant constantly 0.1 worse: degradation 0.1 >= margin 0.01
    assert noninferiority_pvalue([0.1] * 6, 0.2, 0.01, False) == 1.0
    # ...but within a margin of 0.5
    assert noninferiority_pvalue([0.1] * 6, 0.2, 0.5, False) == 0.0
    for v in (r.t, r.p_value, r.ci_low, r.ci_high):
        assert not math.isnan(v)


DELTAS = np.array([-0.010, -0.004, -0.008, 0.002, -0.006, -0.012, -0.002, -0.005, -0.009, -0.004])


def test_noninferiority_hand_value():
    # higher is better; deltas mean -0.006 => degradation g = +0.006
    g = -DELTAS
    se = math.sqrt((1 / 10 + 0.1) * np.var(g, ddof=1))
    expected = sps.t.sf((0.02 - g.mean()) / se, 9)
    assert noninferiority_pvalue(DELTAS, 0.1, 0.02, True) == pytest.approx(expected)


def test_noninferiority_direction():
    # Higher is better: negative deltas are degradation. Margin 0.02 >> 0.006 -> non-inferior.
    assert noninferiority_pvalue(DELTAS, 0.1, 0.02, higher_is_better=True) < 0.01
    # Margin 0.002 << degradation 0.006 -> cannot claim non-inferiority.
    assert noninferiority_pvalue(DELTAS, 0.1, 0.002, higher_is_better=True) > 0.5
    # Lower is better (e.g. rmse): the same negative deltas are improvements, so even a tiny
    # margin is met comfortably; flipped deltas are degradations again.
    assert noninferiority_pvalue(DELTAS, 0.1, 0.002, higher_is_better=False) < 0.01
    assert noninferiority_pvalue(-DELTAS, 0.1, 0.002, higher_is_better=False) > 0.5
    assert noninferiority_pvalue(-DELTAS, 0.1, 0.02, higher_is_better=False) == pytest.approx(
        noninferiority_pvalue(DELTAS, 0.1, 0.02, higher_is_better=True)
    )


def test_false_positive_rate_under_null():
    rng = np.random.default_rng(12345)
    draws = rng.standard_normal((2000, 10))
    p = np.array([corrected_paired_ttest(d, 0.0).p_value for d in draws])
    assert 0.035 <= np.mean(p < 0.05) <= 0.065
    # p-values are ~Uniform(0, 1): compare deciles loosely
    assert sps.kstest(p, "uniform").pvalue > 0.001


def test_noninferiority_size_at_margin_boundary():
    # True degradation exactly equal to the margin: rejections should happen ~alpha of the time.
    rng = np.random.default_rng(7)
    margin = 0.5
    draws = -margin + rng.standard_normal((2000, 10))  # higher is better: g = -d ~ N(margin, 1)
    p = np.array([noninferiority_pvalue(d, 0.0, margin, True) for d in draws])
    assert 0.035 <= np.mean(p < 0.05) <= 0.065
