"""Interaction of two ablations on the same splits: per split, I = delta_AB - delta_A - delta_B (how much
more, or less, removing both costs than the sum of removing each), tested with the corrected repeated-CV
t-test like every comparison, adjusted across pairs within a metric, and named so that the words mean
the same for an error and a score: `redundant` when removing both costs significantly more than the sum
(A and B stand in for each other), `complementary` when significantly less (each is of little use
without the other), `additive` when I is shown within +-margin (two one-sided tests), else
`inconclusive`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..vocabulary import Direction, Interaction
from .multiplicity import adjust_pvalues, decision_level
from .paired import corrected_paired_ttest, noninferiority_pvalue

INTERACTION_COLUMNS = ("pair", "component_a", "component_b", "mode", "metric", "delta_a", "delta_b", "delta_ab",
                       "interaction", "ci_low", "ci_high", "p_value", "p_adjusted", "kind")


@dataclass(frozen=True)
class PairScores:
    """One pair's per-split scores on one metric: the baseline, A alone, B alone and both, aligned."""

    pair: str
    component_a: str
    component_b: str
    mode: str
    metric: str
    base: np.ndarray
    a: np.ndarray
    b: np.ndarray
    ab: np.ndarray


def interaction_table(pairs: list[PairScores], higher_is_better: dict[str, bool], test_train_ratio: float,
                      alpha: float, correction: str, margins: dict[str, float]) -> pd.DataFrame:
    """One row per pair and metric (INTERACTION_COLUMNS), p-values adjusted across the pairs of a metric
    and the interval at the level the kinds were decided at (it excludes 0 exactly for the redundant and
    complementary rows, as the comparison's adjusted interval does for essential and harmful)."""
    rows, per_split = [], []
    for scores in pairs:
        interaction = scores.ab - scores.a - scores.b + scores.base
        hib, margin = higher_is_better[scores.metric], margins[scores.metric]
        # additive: |I| < margin, two one-sided tests (I not beyond +margin, -I not beyond +margin)
        equivalence = max(noninferiority_pvalue(interaction, test_train_ratio, margin, hib),
                          noninferiority_pvalue(-interaction, test_train_ratio, margin, hib))
        rows.append({"pair": scores.pair, "component_a": scores.component_a, "component_b": scores.component_b,
                     "mode": scores.mode, "metric": scores.metric, "delta_a": float(np.mean(scores.a - scores.base)),
                     "delta_b": float(np.mean(scores.b - scores.base)), "delta_ab": float(np.mean(scores.ab - scores.base)),
                     "interaction": float(np.mean(interaction)),
                     "p_value": corrected_paired_ttest(interaction, test_train_ratio, alpha).p_value, "_equivalence": equivalence})
        per_split.append(interaction)
    table = pd.DataFrame(rows, columns=[*INTERACTION_COLUMNS[:-5], "p_value", "_equivalence"])
    table[["ci_low", "ci_high", "p_adjusted"]] = np.nan
    table["kind"] = ""
    for _, index in table.groupby("metric", sort=False).groups.items():
        positions = table.index.get_indexer(index)
        adjusted = adjust_pvalues(table["p_value"].to_numpy()[positions], correction)
        equivalent = adjust_pvalues(table["_equivalence"].to_numpy()[positions], correction)
        level = decision_level(adjusted, alpha, correction)
        for i, position, p, q in zip(index, positions, adjusted, equivalent, strict=True):
            tested = corrected_paired_ttest(per_split[position], test_train_ratio, level)
            table.loc[i, ["ci_low", "ci_high", "p_adjusted"]] = [tested.ci_low, tested.ci_high, p]
            table.at[i, "kind"] = interaction_kind(table.at[i, "interaction"], p, q, higher_is_better[table.at[i, "metric"]], alpha)
    return table[list(INTERACTION_COLUMNS)]


def interaction_kind(interaction: float, p_adjusted: float, equivalence_adjusted: float, higher_is_better: bool,
                     alpha: float) -> Interaction:
    """The interaction in words, oriented by the metric's direction: a positive degradation means removing
    both costs more than the sum."""
    if p_adjusted < alpha:
        extra_cost = Direction.of(higher_is_better).degradation(interaction)
        return Interaction.REDUNDANT if extra_cost > 0 else Interaction.COMPLEMENTARY
    if equivalence_adjusted < alpha:
        return Interaction.ADDITIVE
    return Interaction.INCONCLUSIVE
