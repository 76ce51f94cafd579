"""One snapshot per run: every step checks that its inputs were computed from the spec and data it
sees itself, and fails clearly otherwise. In a multi-process run each step re-reads the spec, so a
spec edited (or data rewritten) mid-run would otherwise combine a baseline of one version with
variants of another, or file a variant computed from an old baseline under a new fingerprint.

Fitted outcomes carry the fingerprint they were filed under; the scores and comparison tables carry
the version they were computed for (`DataFrame.attrs`, kept through pickling)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..ablations.fitting import Outcome
from ..data.splits import Split
from ..errors import ChangedDuringRunError
from ..store.cache import fingerprint
from . import steps
from .blocks import adaptive_fingerprint, first_block
from .fingerprints import fit_fingerprint, splits_digest, variant_fingerprint
from .setup import Setup

VERSION = "version"  # the attrs key of a table's version
FAILED = "failed"  # the scores table's attrs key of the variants that could not be computed, with why


def expected_fingerprint(setup: Setup, splits: list[Split], name: str) -> str:
    """What a step's outcome must have been filed under: the baseline's on the first block of the plan
    (all of it for a fixed design); a variant's on the whole plan, or over its looks (`repeats: auto`)."""
    if name == "baseline":
        return fit_fingerprint(setup, first_block(setup, splits))
    if setup.plan.spec.evaluation.adaptive:
        return adaptive_fingerprint(setup, splits, name)
    return variant_fingerprint(setup, splits, name)


def scores_version(setup: Setup, splits: list[Split]) -> str:
    """What the scores table depends on: every fit, and the metrics."""
    fits = {name: expected_fingerprint(setup, splits, name) for name in ["baseline", *(v.name for v in setup.plan.variants)]}
    return fingerprint("scores", fits, [m.name for m in setup.metrics])[:16]


def comparison_version(setup: Setup, splits: list[Split]) -> str:
    """What the comparison depends on: the scores, and the statistics section."""
    return fingerprint("comparison", scores_version(setup, splits), setup.plan.spec.statistics.model_dump(mode="json"))[:16]


def stamped(table: pd.DataFrame, version: str) -> pd.DataFrame:
    table.attrs[VERSION] = version
    return table


def changed(setup: Setup, what: str) -> ChangedDuringRunError:
    return ChangedDuringRunError(f"{setup.plan.label}: {what} was computed from another version of the spec or data than "
                                 "this step reads: they changed while the study was running; nothing was written, run it again")


def require_splits(setup: Setup, splits: list[Split]) -> None:
    """The split plan handed over by an earlier step is the one this step's spec makes."""
    if splits_digest(splits) != expected_plan_digest(setup):
        raise changed(setup, "the split plan")


_PLAN_DIGESTS: dict[tuple, str] = {}


def expected_plan_digest(setup: Setup) -> str:
    """The digest of the plan this step's spec makes of its data, made once per process for each
    recipe: the data read (its bytes' hash and the data section it was read for) and the design.
    (At 100,000 rows and 10 planned repeats, making and hashing the plan took ~0.1 s in every step.)"""
    data, evaluation = setup.dataset, setup.plan.spec.evaluation
    recipe = (data.version, data.data_spec, data.n_rows, evaluation.folds, evaluation.planned_repeats, evaluation.seed)
    if recipe not in _PLAN_DIGESTS:
        _PLAN_DIGESTS[recipe] = splits_digest(steps.study_splits(setup))
    return _PLAN_DIGESTS[recipe]


def require_outcomes(setup: Setup, splits: list[Split], outcomes: Mapping[str, Outcome]) -> None:
    """Each fitted outcome handed over by an earlier step is the one this step's spec and data call for."""
    for name, outcome in outcomes.items():
        if outcome.fingerprint != expected_fingerprint(setup, splits, name):
            raise changed(setup, f"'{name}'")


def require_baseline_fits(setup: Setup, splits: list[Split], base: Outcome) -> None:
    """The baseline handed to a variant's computation on `splits` is the baseline fitted on exactly those."""
    if base.fingerprint != fit_fingerprint(setup, splits):
        raise changed(setup, "'baseline'")


def require_table(setup: Setup, table: pd.DataFrame, name: str, expected: str) -> None:
    if table.attrs.get(VERSION) != expected:
        raise changed(setup, f"the {name} table")


def checked_scores(setup: Setup, splits: list[Split], outcomes: Mapping[str, Outcome]) -> pd.DataFrame:
    """The scores table, once every outcome is shown to be the one this step expects; stamped."""
    require_outcomes(setup, splits, outcomes)
    ordered = [outcomes["baseline"], *(outcomes[v.name] for v in setup.plan.variants)]
    table = steps.scores(setup, splits, [outcome for outcome in ordered if not outcome.failed])
    table.attrs[FAILED] = {outcome.name: outcome.failure for outcome in ordered if outcome.failed}
    return stamped(table, scores_version(setup, splits))


def checked_comparison(setup: Setup, splits: list[Split], scores: pd.DataFrame) -> pd.DataFrame:
    """The comparison, once the scores are shown to be the ones this step expects; stamped."""
    require_table(setup, scores, "scores", scores_version(setup, splits))
    table = steps.comparison(setup, splits, scores, extra_columns=True, failed=scores.attrs.get(FAILED, {}))
    return stamped(table, comparison_version(setup, splits))
