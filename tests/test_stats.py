"""Tests for ablation_pipeline.stats: reference values, hand computations, edge cases, calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from ablation_pipeline.errors import DataError
from ablation_pipeline.stats.anova import blocked_anova
from ablation_pipeline.stats.comparison import compare_variants
from ablation_pipeline.stats.multiplicity import adjust_pvalues
from ablation_pipeline.stats.paired import PairedResult, corrected_paired_ttest, noninferiority_pvalue
from ablation_pipeline.stats.verdicts import ZERO_MARGIN_FALLBACK, verdict
from ablation_pipeline.vocabulary import COMPARISON_COLUMNS, EXTRA_COLUMNS


# --------------------------------------------------------------------------------------------
# 1. scikit-learn gallery example "Statistical comparison of models using grid search"
#    (examples/model_selection/plot_grid_search_stats.py), reproduced step by step.
# --------------------------------------------------------------------------------------------

# Printed by the example (and by running its exact code with scikit-learn 1.9.1 here):
#   Corrected t-value: 0.750    Corrected p-value: 0.227    (one-sided, t.sf(|t|, df))
#   Uncorrected t-value: 2.611  Uncorrected p-value: 0.005
# Full precision from the reproduction: t = 0.7503126954482318, p = 0.2274229710133665,
# uncorrected t = 2.6111648393354643, p = 0.005213013150393235; n_train = 90, n_test = 10.
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


# --------------------------------------------------------------------------------------------
# 2. Hand-computed case
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# 3. Zero variance
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# 4. Multiple-comparison adjustment
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# 5. Non-inferiority and verdicts
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# 6. Calibration under a true null
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# 7. compare_variants end to end
# --------------------------------------------------------------------------------------------

N_REPEATS, N_FOLDS = 3, 5
RATIO = 0.25  # 5-fold CV: n_test / n_train = 1/4


def _long_table():
    rng = np.random.default_rng(0)
    n = N_REPEATS * N_FOLDS
    split_effect = rng.normal(0, 0.02, n)  # shared by all variants: pairing removes it
    base_acc = 0.80 + split_effect
    base_rmse = 1.00 - split_effect
    # per-split deltas on the *accuracy* scale (higher is better)
    acc_deltas = {
        "no_a": -0.05 + rng.normal(0, 0.004, n),   # clearly worse -> essential
        "no_b": +0.05 + rng.normal(0, 0.004, n),   # clearly better -> harmful
        "no_c": rng.normal(0, 0.0005, n),          # tiny, within 1% margin -> removable
        "no_d": rng.normal(0, 0.05, n),            # noisy, unclear -> inconclusive
    }
    rows = []
    for i in range(n):
        r, f = divmod(i, N_FOLDS)
        rows.append(("baseline", r, f, "accuracy", base_acc[i]))
        rows.append(("baseline", r, f, "rmse", base_rmse[i]))
        for v, d in acc_deltas.items():
            rows.append((v, r, f, "accuracy", base_acc[i] + d[i]))
            rows.append((v, r, f, "rmse", base_rmse[i] - d[i]))  # worse accuracy = higher rmse
    scores = pd.DataFrame(rows, columns=["variant", "repeat", "fold", "metric", "value"])
    # output order must follow the variants table, not the score rows
    variants = pd.DataFrame({
        "variant": ["no_d", "no_a", "no_b", "no_c"],
        "kind": ["feature_group"] * 4,
        "mode": ["drop"] * 4,
        "components": ["d", "a", "b", "c1,c2"],
    })
    return scores, variants, acc_deltas


HIB = {"accuracy": True, "rmse": False}
EXPECTED_VERDICTS = {"no_a": "essential", "no_b": "harmful", "no_c": "removable",
                     "no_d": "inconclusive"}


@pytest.fixture(scope="module")
def default_comparison():
    scores, variants, acc_deltas = _long_table()
    return compare_variants(scores, variants, HIB, RATIO), acc_deltas


def test_compare_variants_end_to_end(default_comparison):
    out, acc_deltas = default_comparison
    assert list(out.columns) == list(COMPARISON_COLUMNS)
    assert len(out) == 8
    assert list(out["metric"]) == ["accuracy"] * 4 + ["rmse"] * 4
    assert list(out["variant"]) == ["no_d", "no_a", "no_b", "no_c"] * 2
    assert list(out["components"]) == ["d", "a", "b", "c1,c2"] * 2
    assert not out.isna().any().any()
    assert out["df"].tolist() == [14] * 8 and out["n_splits"].tolist() == [15] * 8

    for _, row in out.iterrows():
        assert row["verdict"] == EXPECTED_VERDICTS[row["variant"]], row.to_dict()
        sign = 1 if row["metric"] == "accuracy" else -1
        d = sign * acc_deltas[row["variant"]]
        assert row["delta"] == pytest.approx(d.mean())
        assert row["variant_mean"] - row["baseline_mean"] == pytest.approx(d.mean())
        ref = corrected_paired_ttest(d, RATIO)
        assert row["t"] == pytest.approx(ref.t) and row["p_value"] == pytest.approx(ref.p_value)
        assert row["ci_low"] == pytest.approx(ref.ci_low, abs=1e-12)
    # rmse goes up for the essential variant (lower is better handled)
    rmse = out[out["metric"] == "rmse"].set_index("variant")
    assert rmse.loc["no_a", "delta"] > 0 and rmse.loc["no_b", "delta"] < 0
    # Holm within each metric
    for _, block in out.groupby("metric", sort=False):
        np.testing.assert_allclose(block["p_adjusted"], adjust_pvalues(block["p_value"], "holm"))


def test_compare_variants_extra_columns_and_margins():
    scores, variants, _ = _long_table()
    out = compare_variants(scores, variants, HIB, RATIO, extra_columns=True)
    assert list(out.columns) == [*COMPARISON_COLUMNS, *EXTRA_COLUMNS]
    base_mean = scores.query("variant == 'baseline' and metric == 'accuracy'")["value"].mean()
    acc = out[out["metric"] == "accuracy"]
    assert acc["margin"].tolist() == pytest.approx([0.01 * base_mean] * 4)
    assert (acc["p_noninferiority_adjusted"] >= acc["p_noninferiority"]).all()
    # a margin too small for no_c's noise: no longer removable
    tight = compare_variants(scores, variants, HIB, RATIO, margins={"accuracy": 1e-5})
    assert tight.set_index(["metric", "variant"]).loc[("accuracy", "no_c"), "verdict"] == "inconclusive"
    # a huge margin makes the noisy variant removable; the essential one stays essential
    loose = compare_variants(scores, variants, HIB, RATIO, margins={"accuracy": 0.5, "rmse": None})
    lv = loose.set_index(["metric", "variant"])["verdict"]
    assert lv[("accuracy", "no_d")] == "removable" and lv[("accuracy", "no_a")] == "essential"
    assert lv[("rmse", "no_d")] == "inconclusive"  # rmse keeps the default margin
    with pytest.raises(ValueError, match="margin"):
        compare_variants(scores, variants, HIB, RATIO, margins={"accuracy": 0.0})


def test_compare_variants_zero_baseline_and_ties():
    # baseline mean 0 -> default margin falls back to a tiny positive value; identical variant
    rows = [(v, r, 0, "loss", 0.0) for v in ("baseline", "same") for r in range(4)]
    scores = pd.DataFrame(rows, columns=["variant", "repeat", "fold", "metric", "value"])
    variants = pd.DataFrame({"variant": ["same"], "kind": ["k"], "mode": ["m"], "components": ["x"]})
    out = compare_variants(scores, variants, {"loss": False}, 0.1, extra_columns=True)
    row = out.iloc[0]
    assert row["margin"] == ZERO_MARGIN_FALLBACK
    assert (row["t"], row["p_value"], row["ci_low"], row["ci_high"]) == (0, 1, 0, 0)
    assert row["verdict"] == "removable"
    assert not out.isna().any().any()


def test_compare_variants_input_errors():
    scores, variants, _ = _long_table()
    dropped = scores.drop(index=scores[(scores["variant"] == "no_b") & (scores["repeat"] == 2)
                                      & (scores["fold"] == 4) & (scores["metric"] == "rmse")].index)
    with pytest.raises(ValueError, match="no_b.*lacks"):
        compare_variants(dropped, variants, HIB, RATIO)
    with pytest.raises(ValueError, match="direction"):
        compare_variants(scores, variants, {"accuracy": True}, RATIO)
    with pytest.raises(ValueError, match="correction"):
        compare_variants(scores, variants, HIB, RATIO, correction="hs")
    with pytest.raises(ValueError, match="baseline"):
        compare_variants(scores, variants, HIB, RATIO, baseline="reference")
    dup = pd.concat([scores, scores.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than one"):
        compare_variants(dup, variants, HIB, RATIO)
    nan = scores.copy()
    nan.loc[3, "value"] = np.nan
    with pytest.raises(ValueError):
        compare_variants(nan, variants, HIB, RATIO)


def test_compare_variants_other_corrections_and_empty(default_comparison):
    scores, variants, _ = _long_table()
    holm = default_comparison[0]
    bonf = compare_variants(scores, variants, HIB, RATIO, correction="bonferroni")
    bh = compare_variants(scores, variants, HIB, RATIO, correction="fdr_bh")
    assert (bonf["p_adjusted"] >= holm["p_adjusted"] - 1e-15).all()
    assert (bh["p_adjusted"] <= holm["p_adjusted"] + 1e-15).all()
    only_base = scores[scores["variant"] == "baseline"]
    empty = compare_variants(only_base, variants.iloc[:0], HIB, RATIO)
    assert list(empty.columns) == list(COMPARISON_COLUMNS) and empty.empty


# --------------------------------------------------------------------------------------------
# 8. Blocked ANOVA
# --------------------------------------------------------------------------------------------

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
