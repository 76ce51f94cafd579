"""A whole study in one process, without Dagster: every step in order, the same files the graph
writes. The top of the core; nothing below imports it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..spec.schema import StudySpec
from ..store.cache import ResultCache
from ..vocabulary import COMPARISON_COLUMNS
from . import interactions, simplify
from .compute import Filed, Policy, baseline_block, planned_work
from .consistency import checked_comparison, checked_scores
from .identity import Identity
from .looks import take_looks
from .paths import results_dir
from .results import write_comparison, write_costs, write_report_files, write_scores
from .setup import Setup, plan_study, set_up
from .steps import study_splits


@dataclass(frozen=True)
class StudyResult:
    scores: pd.DataFrame
    comparison: pd.DataFrame
    files: dict[str, Path]


@dataclass(frozen=True)
class Compared:
    """The core of a study, computed: the baseline (its first block), every variant over the looks it
    took, the scores table and the comparison."""

    identity: Identity
    baseline: Filed
    variants: dict[str, Filed]
    scores: pd.DataFrame
    comparison: pd.DataFrame


def compare(setup: Setup, policy: Policy) -> Compared:
    """The baseline, every variant and the comparison, in this process, through `policy`'s store."""
    identity = Identity.of(setup, study_splits(setup))
    base = baseline_block(setup, identity, 0, policy)
    held = take_looks(setup, identity, [v.name for v in setup.plan.variants], base,
                      lambda names, b: [planned_work(setup, identity, n, b) for n in names], policy, setup.plan.family_size)
    score_table = checked_scores(setup, identity, {"baseline": base, **held}, policy)
    return Compared(identity, base, held, score_table, checked_comparison(setup, identity, score_table))


def run_study(spec: StudySpec, out_dir: Path | None = None, cache: ResultCache | None = None) -> StudyResult:
    """Every step in order in this process; writes the same files the Dagster graph writes."""
    setup = set_up(plan_study(spec))
    policy = Policy(cache)
    done = compare(setup, policy)
    identity, table = done.identity, done.comparison
    folder = out_dir or results_dir(spec)
    outcomes = [done.baseline.outcome, *(result.outcome for result in done.variants.values())]
    files = {"scores": write_scores(done.scores, folder), "costs": write_costs(identity.splits, outcomes, folder),
             "comparison": write_comparison(table, folder)}
    simplified = simplify.run(setup, identity, table, done.baseline, policy, folder)
    paired = interactions.run(setup, identity, table, done.baseline, policy, folder)
    files.update(write_report_files(setup, identity, done.scores, table, folder, simplified.markdown + paired.markdown))
    return StudyResult(done.scores, table[list(COMPARISON_COLUMNS)], files)
