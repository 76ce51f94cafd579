"""Automatic feature groups for ablation: correlated features stand in for one another, so ablating
one alone understates what they carry together. As scikit-learn's gallery example "Permutation
Importance with Multicollinear or Correlated Features" does, features are clustered hierarchically
on their absolute Spearman correlation, here extended to categorical columns (correlation ratio
against numeric columns, Cramér's V between categoricals) so every pair gets an association in [0, 1]."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from scipy.stats import chi2_contingency

MIN_ROWS = 3  # fewer complete rows than this say nothing about a pair


@dataclass(frozen=True)
class Cluster:
    """Features to ablate together, with how strongly they go together (nan for a single feature)."""

    members: tuple[str, ...]
    association: float


def _eta(groups: pd.Series, values: pd.Series) -> float:
    """Correlation ratio of ranked `values` on `groups`: how much of their spread the groups explain."""
    ranks = values.rank()
    total = float(((ranks - ranks.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    means = ranks.groupby(groups.to_numpy()).agg(["mean", "size"])
    between = float((means["size"] * (means["mean"] - ranks.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def _cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Bias-uncorrected Cramér's V; 0 when either side has a single level."""
    table = pd.crosstab(a.to_numpy(), b.to_numpy())
    k = min(table.shape) - 1
    if k < 1:
        return 0.0
    chi2 = chi2_contingency(table, correction=False)[0]
    return float(np.sqrt(chi2 / (table.to_numpy().sum() * k)))


def association_matrix(frame: pd.DataFrame, categorical: Sequence[str]) -> pd.DataFrame:
    """Pairwise association in [0, 1], 1 on the diagonal: |Spearman rho| between numeric columns,
    the correlation ratio eta between a categorical and a (ranked) numeric column, Cramér's V between
    categoricals. Missing values are skipped pair by pair; a constant column, or a pair with fewer
    than 3 complete rows, has association 0 with the others (no evidence is not redundancy)."""
    columns = list(frame.columns)
    categorical = set(categorical)
    if unknown := categorical - set(columns):
        raise ValueError(f"categorical columns not in the frame: {sorted(unknown)}")
    numeric = [c for c in columns if c not in categorical]
    if non_numeric := [c for c in numeric if not pd.api.types.is_numeric_dtype(frame[c])]:
        raise ValueError(f"non-numeric columns must be listed as categorical: {non_numeric}")
    result = pd.DataFrame(0.0, index=columns, columns=columns)
    if numeric:
        rho = frame[numeric].astype(float).corr(method="spearman", min_periods=MIN_ROWS)
        result.loc[numeric, numeric] = rho.abs().fillna(0.0)
    for a, b in combinations(columns, 2):
        if a not in categorical and b not in categorical:
            continue
        pair = frame[[a, b]].dropna()
        if len(pair) < MIN_ROWS:
            value = 0.0
        elif a in categorical and b in categorical:
            value = _cramers_v(pair[a], pair[b])
        elif a in categorical:
            value = _eta(pair[a], pair[b].astype(float))
        else:
            value = _eta(pair[b], pair[a].astype(float))
        result.loc[a, b] = result.loc[b, a] = value
    values = np.clip(result.to_numpy(), 0.0, 1.0)
    values = (values + values.T) / 2
    np.fill_diagonal(values, 1.0)
    return pd.DataFrame(values, index=columns, columns=columns)


def feature_clusters(frame: pd.DataFrame, categorical: Sequence[str], threshold: float) -> list[Cluster]:
    """Average-linkage clusters of 1 - association cut at 1 - `threshold`, so features whose average
    association reaches `threshold` share a cluster (threshold 1: only perfectly associated ones).
    Ordered by each cluster's first member in the frame's columns, members in column order, so the
    same frame always gives the same groups."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    columns = list(frame.columns)
    if len(columns) <= 1:
        return [Cluster((columns[0],), math.nan)] if columns else []
    association = association_matrix(frame, categorical).to_numpy()
    distance = np.clip(1.0 - association, 0.0, 1.0)
    distance[distance < 1e-12] = 0.0  # identical columns whose rho came out as 0.9999999999999998
    distance = (distance + distance.T) / 2
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    labels = fcluster(tree, t=1.0 - threshold, criterion="distance")
    clusters = []
    for label in dict.fromkeys(labels):  # first-seen order is column order of first members
        index = np.flatnonzero(labels == label)
        pairs = [association[i, j] for i, j in combinations(index, 2)]
        mean = float(np.mean(pairs)) if pairs else math.nan
        clusters.append(Cluster(tuple(columns[i] for i in index), mean))
    return clusters
