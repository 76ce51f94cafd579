"""The comparison table: per variant and metric, test, adjustment and verdict."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from ablation_pipeline.evaluation.metrics import ZERO_MARGIN_FALLBACK
from ablation_pipeline.stats.comparison import compare_variants
from ablation_pipeline.stats.multiplicity import adjust_pvalues
from ablation_pipeline.stats.paired import corrected_paired_ttest
from ablation_pipeline.vocabulary import COMPARISON_COLUMNS, DETAIL_COLUMNS

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
    assert list(out.columns) == [*COMPARISON_COLUMNS, *DETAIL_COLUMNS]
    # the default margin is fixed before any variant is seen: 1% of the baseline's first repeat
    first_repeat_mean = scores.query("variant == 'baseline' and metric == 'accuracy' and repeat == 0")["value"].mean()
    acc = out[out["metric"] == "accuracy"]
    assert acc["margin"].tolist() == pytest.approx([0.01 * first_repeat_mean] * 4)
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
    first = scores.iloc[0]
    who = "baseline" if first["variant"] == "baseline" else "variant"
    with pytest.raises(ValueError, match=re.escape(f"{who} '{first['variant']}' ({first['metric']}) has more than one score for "
                                                   f"split (repeat, fold) = ({first['repeat']}, {first['fold']})")):
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


def test_discoveries_adjust_essential_and_harmful_but_test_each_removable_claim_at_alpha():
    """Six variants: five clearly worse, one with no effect whose non-inferiority p-value lies between
    alpha / 6 and alpha. Holm over the removable claims leaves it inconclusive; tested on its own, it
    is removable. The essential/harmful family is the same either way."""
    folds, repeats, margin = 5, 3, 0.01
    n = folds * repeats
    spread = np.random.default_rng(3).normal(size=n)
    spread = (spread - spread.mean()) / spread.std(ddof=1)
    no_effect = 0.0078 * spread  # (margin - 0) / se is about 2.3 on 14 degrees of freedom: p about 0.02
    rows = []
    for i in range(n):
        r, f = divmod(i, folds)
        rows.append(("baseline", r, f, "rmse", 1.0))
        rows.append(("no_noise", r, f, "rmse", 1.0 + no_effect[i]))
        rows.extend((f"no_{k}", r, f, "rmse", 1.2 + 0.001 * spread[i]) for k in range(5))
    scores = pd.DataFrame(rows, columns=["variant", "repeat", "fold", "metric", "value"])
    names = ["no_noise", *(f"no_{k}" for k in range(5))]
    variants = pd.DataFrame({"variant": names, "kind": "feature", "mode": "drop", "components": names})
    args = (scores, variants, {"rmse": False}, RATIO)
    shared = compare_variants(*args, margins={"rmse": margin}, extra_columns=True,
                              multiplicity="per_claim").set_index("variant")
    each = compare_variants(*args, margins={"rmse": margin}, extra_columns=True,
                            multiplicity="discoveries").set_index("variant")
    assert 0.05 / 6 < each.loc["no_noise", "p_noninferiority"] < 0.05
    assert shared.loc["no_noise", "verdict"] == "inconclusive"
    assert each.loc["no_noise", "verdict"] == "removable"
    assert each.loc["no_noise", "p_noninferiority_adjusted"] == each.loc["no_noise", "p_noninferiority"]
    assert each.loc["no_noise", "degradation_bound_adjusted"] < margin < shared.loc["no_noise", "degradation_bound_adjusted"]
    pd.testing.assert_series_equal(shared["p_adjusted"], each["p_adjusted"])
    assert (each.loc[names[1:], "verdict"] == "essential").all()
