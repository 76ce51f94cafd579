"""The closed vocabularies: every word has its meaning, and the properties code relies on (which
modes refit, which apply to which components) match what a study actually does."""

from __future__ import annotations

import pandas as pd
import pytest

from ablation_pipeline.cli.tables import VERDICT_STYLE as CLI_STYLE
from ablation_pipeline.report.forest import VERDICT_STYLE as PLOT_STYLE
from ablation_pipeline.vocabulary import (
    COMPARISON_COLUMNS,
    Column,
    Correction,
    DetailColumn,
    Direction,
    Kind,
    Mode,
    Task,
    Verdict,
)


@pytest.mark.parametrize("vocabulary", [Task, Kind, Mode, Verdict, Correction, Direction, Column, DetailColumn])
def test_every_word_has_a_meaning(vocabulary):
    assert all(member.meaning.strip() for member in vocabulary)
    assert all(member == member.value and isinstance(member, str) for member in vocabulary)


def test_each_kind_has_its_retraining_mode_first():
    assert Mode.for_kind(Kind.FEATURE) == (Mode.DROP, Mode.PERMUTE, Mode.CONDITIONAL, Mode.MEAN, Mode.NOISE)
    assert Mode.for_kind(Kind.LAYER)[0] == Mode.REMOVE and Mode.MEAN in Mode.for_kind(Kind.LAYER)
    assert Mode.for_kind(Kind.PARAM) == (Mode.SWEEP,)


def test_refitting_modes_are_exactly_the_ones_that_fit(mlp_result):
    """In a real study, a variant has fit time of its own exactly when its mode refits."""
    costs = pd.read_csv(mlp_result.files["costs"]).set_index("variant")
    modes = mlp_result.comparison.drop_duplicates("variant").set_index("variant")["mode"]
    assert {Mode.REMOVE, Mode.ZERO, Mode.MEAN, Mode.RESAMPLE, Mode.RANDOM, Mode.SCALE, Mode.PERMUTE} <= set(modes)
    for variant, mode in modes.items():
        assert (costs.loc[variant, "fit_seconds_per_split"] > 0) == Mode(mode).refits, variant


def test_degradation_is_positive_when_worse_for_either_direction():
    assert Direction.HIGHER.degradation(-0.1) == 0.1 and Direction.LOWER.degradation(0.1) == 0.1
    assert Direction.of(True) is Direction.HIGHER and Direction.LOWER.worse_side == "Δ > 0"


def test_every_verdict_has_a_style_wherever_verdicts_are_shown():
    assert set(CLI_STYLE) == set(Verdict)
    assert set(PLOT_STYLE) == set(Verdict) - {Verdict.FAILED}  # a failed variant has no delta to plot


def test_comparison_columns_are_the_contract():
    assert COMPARISON_COLUMNS == (
        "variant", "kind", "mode", "components", "metric", "baseline_mean", "variant_mean", "delta", "ci_low", "ci_high",
        "t", "df", "p_value", "p_adjusted", "effect_size_dz", "n_splits", "verdict", "reason")
