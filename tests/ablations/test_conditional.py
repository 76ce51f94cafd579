"""Conditional perturbation against known truth: draws follow the training fold's relationships,
keep a near-copy's information, permute residuals jointly and are reproducible from the seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation_pipeline.ablations.conditional import ConditionalSampler, conditional_draws

NOISE = 0.05


def frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """x2 is a near-copy of x1, x3 is independent of everything, city is x1's sign, color is noise."""
    rng = np.random.default_rng(seed)
    x1, x3 = rng.normal(size=(2, rows))
    data = pd.DataFrame({
        "x1": x1,
        "x2": x1 + rng.normal(0, NOISE, rows),
        "x3": x3,
        "city": np.where(x1 > 0, "north", "south"),
        "color": rng.choice(["red", "blue", "green"], size=rows),
    })
    return data.astype({"city": object, "color": object})  # as Dataset holds categoricals, whatever the pandas version


CATEGORICAL = ("city", "color")


def corr(a, b) -> float:
    return float(np.corrcoef(np.asarray(a, dtype=float), np.asarray(b, dtype=float))[0, 1])


def one_draw(train, test, targets, seed=0, categorical=CATEGORICAL) -> pd.DataFrame:
    return ConditionalSampler.fit(train, targets, categorical).draw(test, np.random.default_rng(seed))


def test_near_copy_keeps_its_information_where_a_permutation_loses_it():
    train, test = frame(seed=0), frame(seed=1)
    drawn = one_draw(train, test, ["x2"])["x2"]
    assert corr(drawn, test["x1"]) > 0.99
    assert np.abs(drawn - test["x1"]).max() < 8 * NOISE  # within a few noise SDs of x1, on every row
    permuted = test["x2"].to_numpy()[np.random.default_rng(0).permutation(len(test))]
    assert abs(corr(permuted, test["x1"])) < 0.2
    assert np.abs(permuted - test["x1"]).max() > 1


def test_independent_feature_is_redrawn_from_its_marginal():
    train, test = frame(seed=0), frame(seed=1)
    drawn = one_draw(train, test, ["x3"])["x3"]
    assert abs(corr(drawn, test["x3"])) < 0.2
    assert drawn.mean() == pytest.approx(test["x3"].mean(), abs=0.05)
    assert drawn.std() == pytest.approx(test["x3"].std(), rel=0.05)


def test_model_is_learned_on_the_training_fold_only():
    """Train says x2 = x1, test says x2 = -x1: draws are train's prediction (x1) plus test's own
    residuals (x2 - x1 = -2*x1) in a shuffled order."""
    train, test = frame(seed=0), frame(seed=1)
    train["x2"] = train["x1"]
    test["x2"] = -test["x1"]
    drawn = one_draw(train, test, ["x2"])["x2"]
    residuals = drawn - test["x1"]
    np.testing.assert_allclose(np.sort(residuals), np.sort(-2 * test["x1"]), atol=1e-3)
    assert not np.allclose(residuals, -2 * test["x1"])  # shuffled, not handed back in place
    assert corr(drawn, test["x1"]) > 0.3  # the training relationship, which the test fold reverses


def test_a_group_is_drawn_jointly_with_its_residual_rows_permuted_together():
    rng = np.random.default_rng(5)
    train, test = frame(seed=0), frame(seed=1)
    for part in (train, test):
        part["x3"] = 2 * part["x1"] + rng.normal(0, 0.1, len(part))
    sampler = ConditionalSampler.fit(train, ["x2", "x3"], CATEGORICAL)
    drawn = sampler.draw(test, np.random.default_rng(0))
    assert corr(drawn["x2"], test["x1"]) > 0.99 and corr(drawn["x3"], test["x1"]) > 0.99
    mean = sampler.predict(test)[["x2", "x3"]].to_numpy()
    actual = test[["x2", "x3"]].to_numpy() - mean
    lent = drawn[["x2", "x3"]].to_numpy() - mean
    donor = np.abs(lent[:, None, 0] - actual[None, :, 0]).argmin(axis=1)  # who lent each row its x2 residual
    assert sorted(donor) == list(range(len(test)))  # a permutation of the test rows
    np.testing.assert_allclose(lent, actual[donor], atol=1e-9)  # and the x3 residual came from the same row


def test_categorical_target_follows_the_numeric_feature_that_decides_it():
    train, test = frame(seed=0), frame(seed=1)
    draws = [d["city"] for d in conditional_draws(train, test, ["city"], CATEGORICAL, draws=5, seed=0)]
    assert all(set(d) == {"north", "south"} and d.dtype == object for d in draws)
    assert np.mean([(d == test["city"]).mean() for d in draws]) > 0.85  # sampled, so soft near x1 = 0
    far = test["x1"].abs() > 1
    assert all((d[far] == test["city"][far]).all() for d in draws)  # and certain away from it


def test_single_category_in_training_is_drawn_everywhere_and_missing_stays_missing():
    train, test = frame(seed=0), frame(seed=1)
    train["city"] = "north"
    test.loc[test.index[:5], "city"] = np.nan
    drawn = one_draw(train, test, ["city"])["city"]
    assert drawn.iloc[:5].isna().all()
    assert (drawn.iloc[5:] == "north").all()


def test_categorical_conditioning_missing_values_and_missing_targets_are_tolerated():
    rng = np.random.default_rng(3)
    train, test = frame(seed=0), frame(seed=1)
    shift = {"red": 3.0, "blue": -3.0, "green": 0.0}
    for part in (train, test):
        part["x3"] = part["color"].map(shift).astype(float) + rng.normal(0, 0.1, len(part))
    for part in (train, test):  # holes in a conditioning column and in the target
        part.loc[part.index[::10], "x1"] = np.nan
        part.loc[part.index[1::10], "x3"] = np.nan
    test.loc[test.index[2], "color"] = "purple"  # unseen in training: all zeros
    test.loc[test.index[3], "color"] = np.nan
    drawn = one_draw(train, test, ["x3"])["x3"]
    missing = test["x3"].isna()
    assert drawn[missing].isna().all() and drawn[~missing].notna().all()
    truth = test["color"].map(shift).astype(float)
    known = ~missing & truth.notna()
    assert corr(drawn[known], truth[known]) > 0.99  # one-hot color carries x3


def test_reproducible_from_the_seed_and_leaves_the_rest_untouched():
    train, test = frame(seed=0), frame(seed=1)
    test.index = np.random.default_rng(9).permutation(np.arange(100, 100 + len(test)))
    test["color"] = test["color"].astype("str")
    targets = ["x2", "color"]
    first, again = one_draw(train, test, targets, seed=7), one_draw(train, test, targets, seed=7)
    pd.testing.assert_frame_equal(first, again)
    assert not one_draw(train, test, targets, seed=8)[targets].equals(first[targets])
    assert first.index.equals(test.index) and list(first.columns) == list(test.columns)
    pd.testing.assert_frame_equal(first.drop(columns=targets), test.drop(columns=targets))
    assert first["x2"].dtype == test["x2"].dtype and first["color"].dtype == test["color"].dtype

    draws = conditional_draws(train, test, targets, CATEGORICAL, draws=3, seed=7)
    assert len(draws) == 3 and all(list(d.columns) == targets and d.index.equals(test.index) for d in draws)
    pd.testing.assert_frame_equal(draws[0], first[targets])  # draw 0 uses the seed's generator first
    assert not draws[1].equals(draws[0])


def test_nothing_left_to_condition_on_is_an_error():
    with pytest.raises(ValueError, match="no other column"):
        ConditionalSampler.fit(frame()[["x1", "x2"]], ["x1", "x2"], [])
