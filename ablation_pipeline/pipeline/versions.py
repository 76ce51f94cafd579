"""What each asset's result depends on, as hashes: code versions (the part of the spec and code
that shapes a step) and, for data and fits, content versions. Dagster shows them; `ablation run`
compares them with the last run's to decide what to run (or that nothing needs to)."""

from __future__ import annotations

import json
from pathlib import Path

from ..data.splits import Split
from ..store.atomic import atomic_write_text
from .fingerprints import fit_fingerprint, variant_fingerprint
from .setup import Setup, StudyPlan
from .steps import study_splits

# Bump when the logic that produces a step's result changes, so old results count as stale.
CODE_VERSION = "1"
STATE_FILE = "state.json"


def code_versions(plan: StudyPlan) -> dict[str, str]:
    """Each asset's code version: a hash of the part of the spec (and code) that shapes its result,
    so the UI marks exactly the affected assets stale when a spec changes."""
    spec = plan.spec
    split_plan = spec.evaluation.model_dump(mode="json", exclude={"metrics"})
    evaluation = spec.fingerprint(spec.model.model_dump(mode="json"), split_plan, CODE_VERSION)
    return {
        "dataset": spec.fingerprint(spec.data.model_dump(mode="json"), CODE_VERSION),
        "splits": spec.fingerprint(split_plan, CODE_VERSION),
        "baseline": evaluation,
        **{v.name: spec.fingerprint(evaluation, v.identity()) for v in plan.variants},
        "scores": spec.fingerprint(spec.evaluation.metrics, CODE_VERSION),
        "comparison": spec.fingerprint(spec.statistics.model_dump(mode="json"), CODE_VERSION),
        "simplified": spec.fingerprint(evaluation, spec.statistics.model_dump(mode="json"), CODE_VERSION),
        "report": CODE_VERSION,
    }


def content_versions(setup: Setup, splits: list[Split]) -> dict[str, str]:
    """Data version of the dataset and of every fit (its cache fingerprint)."""
    versions = {"dataset": setup.dataset.version, "baseline": fit_fingerprint(setup, splits)[:16]}
    versions.update({v.name: variant_fingerprint(setup, splits, v.name)[:16] for v in setup.plan.variants})
    return versions


def study_state(setup: Setup, splits: list[Split]) -> dict[str, dict[str, str]]:
    codes, contents = code_versions(setup.plan), content_versions(setup, splits)
    return {name: {"code": code, **({"data": contents[name]} if name in contents else {})} for name, code in codes.items()}


def write_state(setup: Setup, splits: list[Split], folder: Path) -> Path:
    """Written by the report step, last: the versions these results were computed from."""
    return atomic_write_text(folder / STATE_FILE, json.dumps(study_state(setup, splits), indent=1, sort_keys=True))


def results_are_current(setup: Setup, folder: Path) -> bool:
    """True when the results folder holds complete results for exactly this spec and data."""
    try:
        recorded = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    complete = all((folder / name).is_file() for name in ("scores.csv", "comparison.csv", "report.md"))
    return complete and recorded == study_state(setup, study_splits(setup))
