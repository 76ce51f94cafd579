"""What each asset's result depends on, as hashes: code versions (the part of the spec and code
that shapes a step) and, for data and fits, content versions. Dagster shows them; `ablation run`
compares them with the last run's to decide what to run (or that nothing needs to)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.splits import Split
from ..store.owned import remove_owned, write_owned
from .fingerprints import fit_fingerprint, variant_fingerprint
from .setup import Setup, StudyPlan
from .state import CODE_VERSION, STATE_FILE, file_digest, recorded_state, result_files_intact, snapshot_key
from .steps import study_splits

if TYPE_CHECKING:
    from ..spec.schema import StudySpec


def code_versions(plan: StudyPlan) -> dict[str, str]:
    """Each asset's code version: a hash of the part of the spec (and code) that shapes its result,
    so the UI marks exactly the affected assets stale when a spec changes."""
    spec = plan.spec
    split_plan = spec.evaluation.model_dump(mode="json", exclude={"metrics"})
    evaluation = spec.fingerprint(spec.model.model_dump(mode="json"), split_plan, CODE_VERSION)
    return {
        "dataset": spec.fingerprint(spec.data.model_dump(mode="json"), split_plan, CODE_VERSION),
        "baseline": evaluation,
        **{v.name: spec.fingerprint(evaluation, v.identity()) for v in plan.variants},
        # the variants it reads, too: without them a removed variant would stay in the tables, nothing stale
        "scores": spec.fingerprint(spec.evaluation.metrics, [v.name for v in plan.variants], CODE_VERSION),
        "comparison": spec.fingerprint(spec.statistics.model_dump(mode="json"), CODE_VERSION),
        **({"simplified": spec.fingerprint(evaluation, spec.statistics.model_dump(mode="json"), CODE_VERSION)}
           if spec.statistics.simplify else {}),
        **({"interactions": spec.fingerprint(evaluation, spec.statistics.model_dump(mode="json"),
                                             spec.interactions.model_dump(mode="json"), CODE_VERSION)}
           if spec.interactions is not None else {}),
        # the sections it assembles: switching one off must re-run it (and remove that section's files)
        "report": spec.fingerprint(report_sections(spec), CODE_VERSION),
    }


def report_sections(spec: StudySpec) -> list[str]:
    """The optional steps whose results the report includes."""
    return [*(["simplified"] if spec.statistics.simplify else []), *(["interactions"] if spec.interactions is not None else [])]


def content_versions(setup: Setup, splits: list[Split]) -> dict[str, str]:
    """Data version of the dataset and of every fit (its cache fingerprint)."""
    versions = {"dataset": setup.dataset.version, "baseline": fit_fingerprint(setup, splits)[:16]}
    versions.update({v.name: variant_fingerprint(setup, splits, v.name)[:16] for v in setup.plan.variants})
    return versions


def study_state(setup: Setup, splits: list[Split]) -> dict[str, dict[str, str]]:
    codes, contents = code_versions(setup.plan), content_versions(setup, splits)
    return {name: {"code": code, **({"data": contents[name]} if name in contents else {})} for name, code in codes.items()}


def write_state(setup: Setup, splits: list[Split], folder: Path, complete: bool = True) -> Path | None:
    """Written by the report step, last: the versions these results were computed from, and a hash of
    every result file, so that results changed or cut short since are not taken as current. Results
    with a failed variant are never current: the state is removed, and the next run tries again."""
    if not complete:
        remove_owned(folder / STATE_FILE)
        return None
    files = {path.name: file_digest(path) for path in sorted(folder.iterdir())
             if path.is_file() and not path.name.startswith(".") and path.name != STATE_FILE}
    state = {"assets": study_state(setup, splits), "files": files,
             "snapshot": snapshot_key(setup.plan.spec, setup.dataset.version)}
    return write_owned(folder / STATE_FILE, json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))


def results_are_current(setup: Setup, folder: Path) -> bool:
    """True when the results folder holds complete, unchanged results for exactly this spec and data."""
    recorded = recorded_state(folder)
    return (recorded is not None and result_files_intact(folder)
            and recorded.get("assets") == study_state(setup, study_splits(setup)))
