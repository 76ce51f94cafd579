"""A whole study in one process, without Dagster: every step in order, through the same store as the
command line (a second identical call fits nothing and reads the results back), the same files the
graph writes. The top of the core; nothing below imports it (`ablation_pipeline.api` adds recording
the run in Dagster)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..spec.loading import load_spec
from ..spec.schema import StudySpec
from ..store.cache import ResultCache
from ..vocabulary import COMPARISON_COLUMNS, Verdict
from . import interactions, simplify
from .compute import Filed, Policy, baseline_block, planned_work
from .consistency import checked_comparison, checked_scores
from .identity import Identity
from .looks import take_looks
from .model import model_identity
from .paths import StudyPaths
from .results import write_comparison, write_costs, write_report_files, write_scores, write_state
from .setup import Setup, plan_study, set_up
from .state import unchanged_since_last_run
from .steps import study_splits


@dataclass(frozen=True)
class StudyResult:
    """What a study gave: the comparison and scores tables, where its files are, and how many fits this
    call performed (0: everything came from the store)."""

    scores: pd.DataFrame
    comparison: pd.DataFrame
    files: dict[str, Path]
    results_dir: Path | None = None
    fits: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdicts(self) -> pd.Series:
        """The primary metric's verdict per variant."""
        primary = self.comparison["metric"].iloc[0]
        return self.comparison[self.comparison.metric == primary].set_index("variant")["verdict"]


@dataclass(frozen=True)
class Compared:
    """The core of a study, computed: the baseline (its first block), every variant over the looks it
    took, the scores table and the comparison."""

    identity: Identity
    baseline: Filed
    variants: dict[str, Filed]
    scores: pd.DataFrame
    comparison: pd.DataFrame

    @property
    def fits(self) -> int:
        return self.baseline.fitted + sum(result.fitted for result in self.variants.values())


def compare(setup: Setup, policy: Policy) -> Compared:
    """The baseline, every variant and the comparison, in this process, through `policy`'s store."""
    identity = Identity.of(setup, study_splits(setup))
    base = baseline_block(setup, identity, 0, policy)
    held = take_looks(setup, identity, [v.name for v in setup.plan.variants], base,
                      lambda names, b: [planned_work(setup, identity, n, b) for n in names], policy, setup.plan.family_size)
    score_table = checked_scores(setup, identity, {"baseline": base, **held}, policy)
    return Compared(identity, base, held, score_table, checked_comparison(setup, identity, score_table))


def run_study(spec: StudySpec | str | Path | dict, out_dir: Path | None = None, cache: bool | ResultCache = True, *,
              estimator: Any = None) -> StudyResult:
    """Run a study (a spec, the path of one, or a mapping of its fields) in this process and write the
    files the Dagster graph writes, into `out_dir` (default: the study's results folder).

    `cache`: True uses the store the command line uses (fits filed there are reused, and an unchanged
    study is read back from its files); False computes everything; a ResultCache uses that store.
    `estimator`: your own estimator object (trusted: it is your code), which replaces the spec's model
    (the spec may leave `model` out); its class, library version and parameters identify its fits."""
    spec = spec if isinstance(spec, StudySpec) else load_spec(spec)
    notes = replaced_model(spec, estimator)
    paths = StudyPaths.resolved()
    store = paths.result_cache() if cache is True else (cache or None)
    folder = Path(out_dir) if out_dir is not None else paths.results_dir(spec)
    given = model_identity(spec.model, estimator, given=True) if estimator is not None else None
    if store is not None and unchanged_since_last_run(spec, folder, given):
        return read_back(folder, notes)
    setup = set_up(plan_study(spec, estimator=estimator))
    policy = Policy(store, workers=os.cpu_count() or 1)  # one step at a time here: its fits may use every core
    done = compare(setup, policy)
    identity, table = done.identity, done.comparison
    outcomes = [done.baseline.outcome, *(result.outcome for result in done.variants.values())]
    files = {"scores": write_scores(done.scores, folder), "costs": write_costs(identity.splits, outcomes, folder),
             "comparison": write_comparison(table, folder)}
    simplified = simplify.run(setup, identity, table, done.baseline, policy, folder)
    paired = interactions.run(setup, identity, table, done.baseline, policy, folder)
    files.update(write_report_files(setup, identity, done.scores, table, folder, simplified.markdown + paired.markdown,
                                    simplified.table))
    write_state(setup, identity, folder, complete=not (table["verdict"] == Verdict.FAILED).any())
    fits = done.fits + simplified.fits + paired.fits
    return StudyResult(done.scores, table[list(COMPARISON_COLUMNS)], files, folder, fits, notes)


def replaced_model(spec: StudySpec, estimator: Any) -> tuple[str, ...]:
    """What the result says when an estimator given in code replaced the spec's own model."""
    return ("the estimator given in code replaces the spec's model",) if estimator is not None and spec.model.given else ()


def read_back(folder: Path, notes: tuple[str, ...] = ()) -> StudyResult:
    """An unchanged study's results, from its files."""
    files = {path.stem if path.suffix != ".png" else path.name: path for path in sorted(folder.iterdir())
             if path.is_file() and not path.name.startswith(".")}
    comparison = pd.read_csv(folder / "comparison.csv")
    comparison["reason"] = pd.read_csv(folder / "comparison.csv", usecols=["reason"], dtype=str, keep_default_na=False)["reason"]
    return StudyResult(pd.read_csv(folder / "scores.csv"), comparison[list(COMPARISON_COLUMNS)], files, folder, 0,
                       (*notes, "unchanged since the last run: read back from its files"))
