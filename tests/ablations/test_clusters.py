"""Automatic feature groups: associations agree with hand-computed values and with scipy, and the
clusters put redundant features together, whatever their kind, in a deterministic order."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from scipy.stats import spearmanr

from ablation_pipeline.ablations.clusters import Cluster, association_matrix, feature_clusters

N = 400


def mixed_frame(seed: int = 0) -> pd.DataFrame:
    """Near-copies x1/x2, a monotone transform x1**3, an independent x3, a categorical that is a bin
    of x1, its exact copy, an independent categorical and a constant column."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=N)
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x1 + 0.05 * rng.normal(size=N),
            "cube": x1**3,
            "x3": rng.normal(size=N),
            "sign": np.where(x1 > 0, "high", "low"),
            "sign_copy": np.where(x1 > 0, "high", "low"),
            "colour": rng.choice(["red", "green", "blue"], size=N),
            "const": np.full(N, 2.0),
        }
    )


CATEGORICAL = ["sign", "sign_copy", "colour"]


def members(clusters: list[Cluster]) -> list[tuple[str, ...]]:
    return [c.members for c in clusters]


def test_matrix_is_symmetric_unit_diagonal_and_bounded():
    matrix = association_matrix(mixed_frame(), CATEGORICAL)
    values = matrix.to_numpy()
    assert list(matrix.index) == list(matrix.columns) == list(mixed_frame().columns)
    assert np.array_equal(values, values.T)
    assert np.all(np.diag(values) == 1.0)
    assert np.all((values >= 0) & (values <= 1))


def test_numeric_pairs_are_absolute_spearman():
    """|rho| as scipy computes it, sign dropped; x**3 is perfectly associated with x, where Pearson
    would say 3/sqrt(15) ~ 0.77 for a normal x."""
    frame = mixed_frame()
    frame["neg"] = -frame["x3"]
    matrix = association_matrix(frame, CATEGORICAL)
    assert matrix.loc["x1", "x2"] == pytest.approx(abs(spearmanr(frame["x1"], frame["x2"]).statistic))
    assert matrix.loc["x1", "x3"] == pytest.approx(abs(spearmanr(frame["x1"], frame["x3"]).statistic))
    assert matrix.loc["x1", "cube"] == pytest.approx(1.0)
    assert np.corrcoef(frame["x1"], frame["cube"])[0, 1] < 0.9
    assert matrix.loc["x3", "neg"] == pytest.approx(1.0)


def test_eta_by_hand():
    """Groups a,a,b,b over 1,2,3,4: between SS 4 of total SS 5, so eta = sqrt(0.8); ranks, not values,
    so an outlier in the numeric column changes nothing."""
    frame = pd.DataFrame({"g": ["a", "a", "b", "b"], "v": [1.0, 2.0, 3.0, 4.0]})
    assert association_matrix(frame, ["g"]).loc["g", "v"] == pytest.approx(math.sqrt(0.8))
    frame["v"] = [1.0, 2.0, 3.0, 4000.0]
    assert association_matrix(frame, ["g"]).loc["v", "g"] == pytest.approx(math.sqrt(0.8))


def test_cramers_v_by_hand():
    """2x2 table [[30, 10], [10, 30]]: chi2 = 20 of n = 80, V = sqrt(20 / 80) = 0.5 (uncorrected)."""
    a = ["p"] * 40 + ["q"] * 40
    b = ["u"] * 30 + ["v"] * 10 + ["u"] * 10 + ["v"] * 30
    frame = pd.DataFrame({"a": a, "b": b})
    assert association_matrix(frame, ["a", "b"]).loc["a", "b"] == pytest.approx(0.5)


def test_categorical_associations_on_mixed_frame():
    """A bin of x1 splits its ranks 1..n at k: between SS k(n-k)n/4 of total n(n^2-1)/12, so
    eta^2 = 3k(n-k)/(n^2-1) (~3/4 for halves); identical categoricals have V 1; an independent
    categorical has V and eta near 0."""
    matrix = association_matrix(mixed_frame(), CATEGORICAL)
    k = int((mixed_frame()["x1"] <= 0).sum())
    assert matrix.loc["sign", "x1"] == pytest.approx(math.sqrt(3 * k * (N - k) / (N**2 - 1)))
    assert matrix.loc["sign", "x1"] > 0.85
    assert matrix.loc["sign", "sign_copy"] == pytest.approx(1.0)
    assert matrix.loc["colour", ["sign", "x1", "x3"]].max() < 0.15


def test_constant_column_has_zero_association_and_its_own_cluster():
    frame = mixed_frame()
    matrix = association_matrix(frame, CATEGORICAL)
    assert (matrix.loc["const"].drop("const") == 0).all()
    clusters = feature_clusters(frame, CATEGORICAL, threshold=0.01)
    assert ("const",) in members(clusters)


def test_clusters_on_mixed_frame():
    """At 0.8 the x1 family (copy, cube, bins) is one group; x3 and colour stay alone. At 1.0 only
    exactly associated columns stay together: x1 with its rank-identical cube, and the two bins."""
    frame = mixed_frame()
    clusters = feature_clusters(frame, CATEGORICAL, threshold=0.8)
    assert members(clusters) == [("x1", "x2", "cube", "sign", "sign_copy"), ("x3",), ("colour",), ("const",)]
    assert clusters[0].association > 0.8
    assert math.isnan(clusters[1].association)
    exact = feature_clusters(frame, CATEGORICAL, threshold=1.0)
    assert members(exact) == [("x1", "cube"), ("x2",), ("x3",), ("sign", "sign_copy"), ("colour",), ("const",)]
    assert exact[0].association == pytest.approx(1.0)


def test_near_copies_cluster_and_separate_at_one():
    rng = np.random.default_rng(1)
    x1 = rng.normal(size=300)
    frame = pd.DataFrame({"x1": x1, "x2": x1 + 0.1 * rng.normal(size=300), "x3": rng.normal(size=300)})
    clusters = feature_clusters(frame, [], threshold=0.7)
    assert members(clusters) == [("x1", "x2"), ("x3",)]
    assert clusters[0].association == pytest.approx(association_matrix(frame, []).loc["x1", "x2"])
    assert members(feature_clusters(frame, [], threshold=1.0)) == [("x1",), ("x2",), ("x3",)]
    frame["x4"] = frame["x1"]
    assert members(feature_clusters(frame, [], threshold=1.0)) == [("x1", "x4"), ("x2",), ("x3",)]


def test_missing_values_are_skipped_pairwise():
    """A pair's association uses only its complete rows, so it equals the one on those rows alone."""
    frame = mixed_frame()
    rng = np.random.default_rng(2)
    for column in ["x2", "sign", "x3"]:
        frame.loc[rng.choice(N, size=40, replace=False), column] = np.nan
    matrix = association_matrix(frame, CATEGORICAL)
    assert not matrix.isna().any().any()
    for a, b in [("x1", "x2"), ("x2", "x3"), ("sign", "x2"), ("sign", "sign_copy")]:
        complete = frame[[a, b]].dropna()
        assert matrix.loc[a, b] == pytest.approx(association_matrix(complete, [c for c in (a, b) if c in CATEGORICAL]).loc[a, b])
    assert members(feature_clusters(frame, CATEGORICAL, 0.8))[0] == ("x1", "x2", "cube", "sign", "sign_copy")


def test_too_few_complete_rows_give_zero():
    frame = pd.DataFrame({"a": [1.0, 2.0, np.nan, np.nan, 5.0], "b": [2.0, 4.0, 6.0, 8.0, np.nan]})
    assert association_matrix(frame, []).loc["a", "b"] == 0.0


def test_order_follows_columns():
    """Clusters by first member's position, members in column order, not alphabetical or by label."""
    frame = mixed_frame()[["x3", "sign", "colour", "x1", "const", "x2"]]
    assert members(feature_clusters(frame, ["sign", "colour"], 0.8)) == [("x3",), ("sign", "x1", "x2"), ("colour",), ("const",)]
    assert repr(feature_clusters(frame, ["sign", "colour"], 0.8)) == repr(feature_clusters(frame.copy(), ["sign", "colour"], 0.8))


def test_matches_direct_scipy_on_breast_cancer():
    """On a real, heavily collinear data set, numeric-only clusters are the gallery recipe's with
    average linkage: same partition as scipy on |spearmanr| directly."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).data
    corr = np.abs(spearmanr(frame).statistic)
    distance = 1 - (corr + corr.T) / 2
    np.fill_diagonal(distance, 0)
    labels = fcluster(linkage(squareform(distance, checks=False), "average"), t=0.3, criterion="distance")
    expected = {frozenset(frame.columns[labels == label]) for label in set(labels)}
    clusters = feature_clusters(frame, [], threshold=0.7)
    assert {frozenset(c.members) for c in clusters} == expected
    assert 1 < len(clusters) < frame.shape[1]


def test_single_column_and_bad_arguments():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    [single] = feature_clusters(frame, [], 0.5)
    assert single.members == ("x",) and math.isnan(single.association)
    for threshold in (0.0, 1.5):
        with pytest.raises(ValueError, match="threshold"):
            feature_clusters(frame, [], threshold)
    with pytest.raises(ValueError, match="not in the frame"):
        association_matrix(frame, ["y"])
    with pytest.raises(ValueError, match="listed as categorical"):
        association_matrix(pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]}), [])
