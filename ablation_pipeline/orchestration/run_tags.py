"""The tags every run of a study carries, from the CLI, the UI, schedules and sensors alike: which
study, which spec (its hash) and which data (its version)."""

from __future__ import annotations

import dagster as dg

from ..pipeline.setup import StudyPlan

STUDY_TAG, SPEC_TAG, DATA_TAG = "ablation/study", "ablation/spec_hash", "ablation/data_version"


def study_tags(plan: StudyPlan) -> dict[str, str]:
    """What every run of the study carries, however it was launched (the data version is added by the
    launcher when it knows it, else by the dataset step: see `tag_run`)."""
    return {STUDY_TAG: plan.spec.name, SPEC_TAG: plan.spec.fingerprint()}


def tag_run(instance: dg.DagsterInstance, run_id: str, plan: StudyPlan, version: str) -> None:
    """Record the study, its spec hash and the data version a run read on the run itself: a launch from
    the UI or `dg launch --assets` (Dagster's implicit asset job) carries none of them in advance."""
    run = instance.get_run_by_id(run_id)
    wanted = {**study_tags(plan), DATA_TAG: version}
    if run is not None and any(run.tags.get(key) != value for key, value in wanted.items()):
        instance.add_run_tags(run_id, {key: value for key, value in wanted.items() if run.tags.get(key) != value})
