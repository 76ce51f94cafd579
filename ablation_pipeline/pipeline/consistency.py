"""One snapshot per run: every step checks that its inputs were computed from the spec and data it
sees itself, and fails clearly otherwise. In a multi-process run each step re-reads the spec, so a
spec edited (or data rewritten) mid-run would otherwise combine a baseline of one version with
variants of another, or file a variant computed from an old baseline under a new key.

Handed-over results carry the keys of their blocks (`compute.Filed`); the scores and comparison
tables carry the cuts they were made of and their version (`DataFrame.attrs`, kept through pickling)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from ..data.splits import Split
from ..errors import ChangedDuringRunError, NeedsMoreRepeatsError
from . import steps
from .compute import Filed, Policy, baseline_block
from .identity import Identity, comparison_version, splits_digest, tables_version
from .looks import cut_of
from .setup import Setup

VERSION = "version"  # the attrs key of a table's version
CUTS = "cuts"  # the attrs key of the blocks each result of the table was cut to
FAILED = "failed"  # the scores table's attrs key of the variants that could not be computed, with why


def changed(setup: Setup, what: str) -> ChangedDuringRunError:
    return ChangedDuringRunError.of(setup.plan.label, what)


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


def require_filed(setup: Setup, identity: Identity, results: Mapping[str, Filed]) -> None:
    """Each result handed over by an earlier step is made of blocks this step's spec and data call for
    (the first of them, as many as it took)."""
    for name, result in results.items():
        if not identity.is_prefix(name, result.keys):
            raise changed(setup, f"'{name}'")


def checked_scores(setup: Setup, identity: Identity, results: Mapping[str, Filed], policy: Policy) -> pd.DataFrame:
    """The scores table of the baseline and every variant, each cut where the current statistics say
    (with `repeats: auto`), once every result is shown to be the one this step expects; stamped. A
    variant whose blocks are not enough for the current statistics is an error naming it."""
    require_filed(setup, identity, results)
    held = [results[v.name] for v in setup.plan.variants]
    bases = [results["baseline"]]
    while len(bases) < max([1, *(len(r.keys) for r in held if not r.failed)]):
        bases.append(baseline_block(setup, identity, len(bases), policy))
    cut = {}
    for result in held:
        blocks = cut_of(setup, identity, result, bases, policy, setup.plan.family_size(result.name))
        if blocks is None:
            taken = sum(len(identity.blocks[b]) for b in range(len(result.keys)))
            raise NeedsMoreRepeatsError(f"{setup.plan.label}: {result.name}: the current statistics need more repeats of it "
                                        f"than its last materialization took ({taken} splits); materialize it again "
                                        "(`ablation run` and the study's job select it)")
        cut[result.name] = result.cut(blocks)
    furthest = max([1, *(len(r.keys) for r in cut.values() if not r.failed)])
    baseline = bases[0]
    for more in bases[1:furthest]:
        baseline = baseline.then(more)
    ordered = [baseline, *cut.values()]
    table = steps.scores(setup, identity.splits, [r.outcome for r in ordered if not r.failed])
    cuts = {r.name: list(r.keys) for r in ordered if not r.failed}
    table.attrs[FAILED] = {r.name: r.failure for r in ordered if r.failed}
    table.attrs[CUTS] = json.dumps(cuts)  # text: pandas deep-copies attrs with every operation on the table
    return stamped(table, tables_version(identity, cuts))


def checked_comparison(setup: Setup, identity: Identity, scores: pd.DataFrame) -> pd.DataFrame:
    """The comparison, once the scores are shown to be the ones this step expects; stamped."""
    version = require_scores(setup, identity, scores)
    table = steps.comparison(setup, identity.splits, scores, extra_columns=True, failed=scores.attrs.get(FAILED, {}))
    table.attrs[CUTS] = scores.attrs[CUTS]
    return stamped(table, comparison_version(version, setup.plan.spec))


def cuts_of(setup: Setup, identity: Identity, table: pd.DataFrame, what: str) -> dict[str, list[str]]:
    """The blocks each result of a table was cut to, once they are shown to be this study's."""
    try:
        cuts = json.loads(table.attrs.get(CUTS, ""))
    except (TypeError, ValueError):
        cuts = None
    if not isinstance(cuts, dict) or not all(identity.is_prefix(name, keys) for name, keys in cuts.items()):
        raise changed(setup, f"the {what} table")
    return cuts


def require_scores(setup: Setup, identity: Identity, scores: pd.DataFrame) -> str:
    """The scores table's version, once it is shown to be made of this study's blocks and statistics."""
    version = tables_version(identity, cuts_of(setup, identity, scores, "scores"))
    if scores.attrs.get(VERSION) != version:
        raise changed(setup, "the scores table")
    return version


def require_comparison(setup: Setup, identity: Identity, comparison: pd.DataFrame) -> str:
    """The comparison's version, once it is shown to be made from this study's scores and statistics."""
    version = comparison_version(tables_version(identity, cuts_of(setup, identity, comparison, "comparison")), setup.plan.spec)
    if comparison.attrs.get(VERSION) != version:
        raise changed(setup, "the comparison table")
    return version


def stamped(table: pd.DataFrame, version: str) -> pd.DataFrame:
    table.attrs[VERSION] = version
    return table
