"""Which assets of a study a run must materialize: Dagster re-executes every selected step, so we
select only what is missing or whose inputs, code version or content fingerprint changed."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ..pipeline.fingerprints import fit_fingerprint, variant_fingerprint
from ..pipeline.setup import Setup
from ..pipeline.state import result_files_intact
from ..pipeline.steps import study_splits
from ..pipeline.versions import code_versions, report_sections


def stale_assets(setup: Setup, instance: dg.DagsterInstance, results_folder: Path) -> list[str]:
    """Asset names (in graph order) that must run for the study's results to be current."""
    plan = setup.plan
    splits = study_splits(setup)
    fit_versions = {"baseline": fit_fingerprint(setup, splits)[:16]}
    fit_versions.update({v.name: variant_fingerprint(setup, splits, v.name)[:16] for v in plan.variants})
    expected_data = {"dataset": setup.dataset.version, **fit_versions}
    extras = report_sections(plan.spec)
    parents = {"scores": ["dataset", *fit_versions], "comparison": ["scores"],
               "simplified": ["comparison"], "interactions": ["comparison"], "report": ["comparison", *extras]}
    results = ["scores", "comparison", *extras, "report"]  # the steps that write the result files
    versions = code_versions(plan)
    storage = Path(instance.storage_directory())
    names = ["dataset", *fit_versions, *results]
    latest = instance.get_latest_materialization_events([dg.AssetKey([plan.spec.name, name]) for name in names])  # one query
    stale: list[str] = []
    for name in names:
        event = latest.get(dg.AssetKey([plan.spec.name, name]))
        tags = event.asset_materialization.tags if event else {}
        if (event is None
                or tags.get("dagster/code_version") != versions[name]
                or (name in expected_data and tags.get("dagster/data_version") != expected_data[name])
                or not (storage / plan.spec.name / name).exists()
                or any(parent in stale for parent in parents.get(name, ()))):
            stale.append(name)
    if not result_files_intact(results_folder):  # a result file missing, changed or cut short since
        stale.extend(n for n in results if n not in stale)
    return stale
