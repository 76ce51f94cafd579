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
from .blocks import first_block
from .cached import cached_baseline
from .consistency import checked_comparison, checked_scores
from .looks import looked_variants, with_baseline_extended
from .paths import results_dir
from .results import write_comparison, write_costs, write_report_files, write_scores
from .setup import plan_study, set_up
from .steps import study_splits


@dataclass(frozen=True)
class StudyResult:
    scores: pd.DataFrame
    comparison: pd.DataFrame
    files: dict[str, Path]


def run_study(spec: StudySpec, out_dir: Path | None = None, cache: ResultCache | None = None) -> StudyResult:
    """Every step in order in this process; writes the same files the Dagster graph writes."""
    setup = set_up(plan_study(spec))
    splits = study_splits(setup)
    base = cached_baseline(setup, first_block(setup, splits), cache).outcome
    computed = looked_variants(setup, [v.name for v in setup.plan.variants], splits, base, cache)
    outcomes = with_baseline_extended(setup, splits, {"baseline": base, **{name: c.outcome for name, c in computed.items()}}, cache)
    score_table = checked_scores(setup, splits, outcomes)
    table = checked_comparison(setup, splits, score_table)
    folder = out_dir or results_dir(spec)
    files = {"scores": write_scores(score_table, folder), "costs": write_costs(splits, list(outcomes.values()), folder),
             "comparison": write_comparison(table, folder)}
    simplified = simplify.run(setup, splits, table, base, cache, folder)
    paired = interactions.run(setup, splits, table, base, cache, folder)
    files.update(write_report_files(setup, splits, score_table, table, folder, simplified.markdown + paired.markdown))
    return StudyResult(score_table, table[list(COMPARISON_COLUMNS)], files)
