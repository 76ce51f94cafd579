"""Interaction effects end to end, on data whose truth is known: near-copies stand in for each other
(redundant), an XOR pair is useless apart (complementary), an independent pair adds up; the pair's
variants reuse the planned fits through the store; interactions.csv has exactly its columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ablation_pipeline.pipeline import interactions
from ablation_pipeline.pipeline.compute import Policy
from ablation_pipeline.pipeline.run import compare, run_study
from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.stats.interactions import INTERACTION_COLUMNS
from ablation_pipeline.store.cache import ResultCache

from builders import twins_frame, write_study


def xor_frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """The class is a XOR b: either feature alone says nothing about it."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, rows))
    return pd.DataFrame({"a": a, "b": b, "c": c, "label": np.where((a > 0) ^ (b > 0), "yes", "no")})


def twins_spec(**changes) -> dict:
    spec = {"name": "twins", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "Ridge"},
            "evaluation": {"folds": 5, "repeats": 2, "metrics": ["rmse", "r2"]},
            "ablations": [{"features": "each", "mode": "drop"}],
            "interactions": {"pairs": [["x", "twin"], ["other", "noise"]]}}
    return {**spec, **changes}


def test_near_copies_are_redundant_and_the_columns_are_exact(tmp_path: Path) -> None:
    run_study(load_spec(write_study(tmp_path, twins_spec(), twins_frame())), tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "interactions.csv")
    assert tuple(table.columns) == INTERACTION_COLUMNS
    rows = table.set_index(["pair", "metric"])
    twins, independent = rows.loc[("x:twin", "rmse")], rows.loc[("other:noise", "rmse")]
    assert twins.kind == "redundant" and twins.interaction > 1.0 and twins.ci_low > 0
    assert abs(twins.delta_a) < 0.1 and abs(twins.delta_b) < 0.1  # each alone costs (almost) nothing
    assert rows.loc[("x:twin", "r2")].kind == "redundant"  # the same word for a score: the r2 interaction is negative
    assert rows.loc[("x:twin", "r2")].interaction < 0
    assert independent.kind in ("additive", "inconclusive") and abs(independent.interaction) < 0.05
    assert twins.interaction == pytest.approx(twins.delta_ab - twins.delta_a - twins.delta_b)
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Interactions" in report and "![interactions](interactions.png)" in report
    assert "**twin** matters more once **x** is gone" in report
    assert (tmp_path / "out" / "interactions.png").read_bytes()[:4] == b"\x89PNG"


def test_xor_pair_is_complementary(tmp_path: Path) -> None:
    spec = {"name": "xor", "data": {"source": "data.csv", "target": "label"},
            "model": {"estimator": "DecisionTreeClassifier", "params": {"max_depth": 4, "random_state": 0}},
            "evaluation": {"folds": 5, "repeats": 2, "metrics": ["accuracy"]},
            "ablations": [{"features": ["a", "b", "c"], "mode": "drop"}], "interactions": {"pairs": [["a", "b"]]},
            "statistics": {"simplify": False}}
    run_study(load_spec(write_study(tmp_path, spec, xor_frame())), tmp_path / "out")
    row = pd.read_csv(tmp_path / "out" / "interactions.csv").iloc[0]
    assert row.delta_a < -0.3 and row.delta_b < -0.3 and row.delta_ab < -0.3  # each alone already loses it all
    assert row.interaction > 0.3 and row.kind == "complementary"
    assert "**b** matters less once **a** is gone" in (tmp_path / "out" / "report.md").read_text()


def test_pair_variants_reuse_the_planned_fits(tmp_path: Path) -> None:
    """drop x and drop twin are planned and in the store: the interactions step fits only x and twin
    together, once; asked again, nothing."""
    spec = load_spec(write_study(tmp_path, twins_spec(interactions={"pairs": [["x", "twin"]]}), twins_frame()))
    setup = set_up(plan_study(spec))
    policy = Policy(ResultCache(tmp_path / "store"))
    done = compare(setup, policy)
    first = interactions.run(setup, done.identity, done.comparison, done.baseline, policy, tmp_path / "out")
    assert first.fits == len(done.identity.splits)  # only the pair's own variant, drop x and twin together
    again = interactions.run(setup, done.identity, done.comparison, done.baseline, policy, tmp_path / "out")
    assert again.fits == 0
    pd.testing.assert_frame_equal(first.table, again.table)


def test_top_pairs_come_from_the_largest_single_effects(tmp_path: Path) -> None:
    spec = twins_spec(interactions={"top": 2}, ablations=[{"features": "each", "mode": "permute", "permutations": 2}])
    run_study(load_spec(write_study(tmp_path, spec, twins_frame())), tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "interactions.csv")
    assert {frozenset(pair.split(":")) for pair in table.pair} == {frozenset({"x", "other"})}  # they cost the most
    assert set(table["mode"]) == {"permute"}


def test_adaptive_design_pairs_take_the_single_variants_repeats(tmp_path: Path) -> None:
    spec = twins_spec(evaluation={"folds": 5, "repeats": "auto", "max_repeats": 4, "metrics": ["rmse"]})
    run_study(load_spec(write_study(tmp_path, spec, twins_frame())), tmp_path / "out")
    comparison = pd.read_csv(tmp_path / "out" / "comparison.csv").set_index("variant")
    table = pd.read_csv(tmp_path / "out" / "interactions.csv").set_index("pair")
    assert table.loc["x:twin"].kind == "redundant"
    assert comparison.loc["drop__x", "n_splits"] >= 5
