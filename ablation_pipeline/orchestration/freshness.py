"""Which assets of a study a run must materialize: Dagster re-executes every selected step, so we
select only what is missing, whose code version changed, whose fits are not the ones this spec and
data call for, or whose inputs are stale. What a fit should be made of comes from the study's one
identity (`pipeline.identity`, `pipeline.looks.enough_held`), the edges from Dagster's own graph."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from ..pipeline.compute import Policy
from ..pipeline.identity import Identity, code_versions, result_version
from ..pipeline.looks import enough_held
from ..pipeline.setup import Setup
from ..pipeline.state import result_files_intact
from ..pipeline.steps import study_splits

RESULT_STEPS = ("scores", "comparison", "simplified", "interactions", "report")  # the steps that write the result files


def stale_assets(setup: Setup, instance: dg.DagsterInstance, results_folder: Path, graph: dg.AssetGraph,
                 policy: Policy) -> list[str]:
    """Asset names (in graph order) that must run for the study's results to be current. `graph` is the
    study's resolved asset graph; `policy` names the store whose noted scores tell whether the blocks a
    `repeats: auto` variant holds still suffice."""
    study = setup.plan.spec.name
    versions = code_versions(setup.plan)
    keys = [key for key in graph.toposorted_asset_keys if key.path[0] == study and key.path[-1] in versions]
    latest = instance.get_latest_materialization_events(keys)  # one query
    data_versions = {key.path[-1]: (event.asset_materialization.tags.get("dagster/data_version") if event else None)
                     for key, event in latest.items()}
    current = current_fits(setup, Identity.of(setup, study_splits(setup)), data_versions, policy)
    storage = Path(instance.storage_directory())
    results_intact = result_files_intact(results_folder)
    stale: list[str] = []
    for key in keys:
        name, event = key.path[-1], latest.get(key)
        if (event is None
                or event.asset_materialization.tags.get("dagster/code_version") != versions[name]
                or (name == "dataset" and data_versions[name] != setup.dataset.version)
                or (name in current and not current[name])
                or not (storage / Path(*key.path)).exists()
                or (name in RESULT_STEPS and not results_intact)
                or any(parent.path[-1] in stale for parent in graph.get(key).parent_keys)):
            stale.append(name)
    return stale


def current_fits(setup: Setup, identity: Identity, materialized: Mapping[str, str | None], policy: Policy) -> dict[str, bool]:
    """For the baseline and every variant: whether its last materialization (its data version) is made of
    the blocks this spec and data call for, as many as the current statistics need (`repeats: auto`)."""
    current = {"baseline": materialized.get("baseline") == result_version((identity.fit_key(0),))}
    for variant in setup.plan.variants:
        keys = identity.keys(variant.name)
        held = next((n for n in range(1, len(keys) + 1) if result_version(keys[:n]) == materialized.get(variant.name)), 0)
        current[variant.name] = held > 0 and enough_held(setup, identity, variant.name, held, policy)
    return current
