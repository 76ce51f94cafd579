"""The interaction test on hand-made split scores: I = delta_AB - delta_A - delta_B, its corrected
interval and p, the adjustment across pairs, and kinds that mean the same for errors and scores."""

from __future__ import annotations

import numpy as np
import pytest

from ablation_pipeline.stats.interactions import INTERACTION_COLUMNS, PairScores, interaction_kind, interaction_table
from ablation_pipeline.stats.paired import corrected_paired_ttest

RATIO = 0.25
WOBBLE = np.array([0.01, -0.02, 0.015, -0.005, 0.0, 0.01, -0.01, 0.005, -0.015, 0.01])


def pair(name: str, base: np.ndarray, a: float, b: float, ab: float, metric: str = "rmse", noise: np.ndarray = WOBBLE) -> PairScores:
    """Scores with deltas a, b and ab on every split (plus a little wobble on ab)."""
    return PairScores(name, name[0], name[-1], "drop", metric, base, base + a, base + b, base + ab + noise)


def test_columns_and_the_interaction_by_hand() -> None:
    base = np.linspace(1.0, 2.0, 10)
    table = interaction_table([pair("a x b", base, 0.1, 0.2, 0.9)], {"rmse": False}, RATIO, 0.05, "holm", {"rmse": 0.05})
    assert tuple(table.columns) == INTERACTION_COLUMNS
    row = table.iloc[0]
    expected = corrected_paired_ttest(0.9 + WOBBLE - 0.1 - 0.2, RATIO, 0.05)
    assert row.delta_a == pytest.approx(0.1) and row.delta_b == pytest.approx(0.2)
    assert row.delta_ab == pytest.approx(0.9 + WOBBLE.mean())
    assert row.interaction == pytest.approx(0.6 + WOBBLE.mean())
    assert (row.ci_low, row.ci_high, row.p_value) == pytest.approx((expected.ci_low, expected.ci_high, expected.p_value))
    assert row.kind == "redundant"  # removing both costs more rmse than the sum: they stand in for each other


def test_kinds_read_the_same_for_a_score() -> None:
    """For a score (higher is better) a cost is a negative delta: the same story gives the same kind."""
    base = np.full(10, 0.8)
    costs_more = pair("a x b", base, -0.01, -0.01, -0.3, metric="r2")
    costs_less = pair("c x d", base, -0.3, -0.3, -0.3, metric="r2")  # XOR-like: either alone loses everything
    table = interaction_table([costs_more, costs_less], {"r2": True}, RATIO, 0.05, "holm", {"r2": 0.01}).set_index("pair")
    assert table.at["a x b", "kind"] == "redundant"
    assert table.at["c x d", "kind"] == "complementary"


def test_additive_needs_the_interval_inside_the_margin() -> None:
    base = np.linspace(1.0, 2.0, 10)
    small = pair("a x b", base, 0.3, 0.2, 0.5, noise=WOBBLE / 10)
    table = interaction_table([small], {"rmse": False}, RATIO, 0.05, "holm", {"rmse": 0.05})
    assert table.iloc[0].kind == "additive"
    wide = interaction_table([small], {"rmse": False}, RATIO, 0.05, "holm", {"rmse": 0.001})
    assert wide.iloc[0].kind == "inconclusive"  # the same data cannot show |I| below a much tighter margin


def test_p_values_are_holm_adjusted_across_the_pairs_of_a_metric() -> None:
    rng = np.random.default_rng(3)
    base = np.linspace(1.0, 2.0, 10)
    pairs = [pair(f"{i} x {i}", base, 0.1, 0.1, 0.2 + 0.05 * i, noise=rng.normal(0, 0.05, 10)) for i in range(3)]
    table = interaction_table(pairs, {"rmse": False}, RATIO, 0.05, "holm", {"rmse": 0.01})
    raw = table.p_value.to_numpy()
    order = np.argsort(raw)
    expected = np.maximum.accumulate(np.minimum(1, raw[order] * np.array([3, 2, 1])))
    assert table.p_adjusted.to_numpy()[order] == pytest.approx(expected)


@pytest.mark.parametrize(("interaction", "p", "q", "higher", "kind"), [
    (0.2, 0.01, 1.0, False, "redundant"), (-0.2, 0.01, 1.0, False, "complementary"),
    (-0.2, 0.01, 1.0, True, "redundant"), (0.2, 0.01, 1.0, True, "complementary"),
    (0.0, 0.5, 0.01, True, "additive"), (0.0, 0.5, 0.5, True, "inconclusive"),
])
def test_kind_orientation(interaction: float, p: float, q: float, higher: bool, kind: str) -> None:
    assert interaction_kind(interaction, p, q, higher, 0.05) == kind


def test_no_pairs_gives_an_empty_table_with_the_columns() -> None:
    table = interaction_table([], {}, RATIO, 0.05, "holm", {})
    assert table.empty and tuple(table.columns) == INTERACTION_COLUMNS


def test_the_interval_excludes_zero_exactly_for_the_significant_kinds():
    """Decided at the Holm level: a pair whose unadjusted interval would exclude 0 but whose adjusted p does
    not reach alpha shows an interval that contains 0."""
    rng = np.random.default_rng(11)
    base = np.linspace(1.0, 2.0, 10)
    pairs = [pair(f"{i}:{i}", base, 0.1, 0.1, 0.2 + shift, noise=rng.normal(0, 0.05, 10)) for i, shift in enumerate((0.0, 0.03, 0.5))]
    table = interaction_table(pairs, {"rmse": False}, RATIO, 0.05, "holm", {"rmse": 0.001})
    assert (table.p_value < 0.05).sum() > (table.p_adjusted < 0.05).sum()  # one raw rejection Holm takes back
    for row in table.itertuples():
        assert (row.kind in ("redundant", "complementary")) == (row.ci_low > 0 or row.ci_high < 0)
