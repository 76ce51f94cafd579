"""The code location's definitions: every study in the studies folder, one asset group each."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ..pipeline.paths import StudyPaths, study_files
from ..pipeline.setup import StudyPlan, plan_study
from ..spec.loading import load_spec
from .assets import build_study_assets
from .executors import default_executor
from .io_manager import study_resources
from .jobs import study_jobs, study_schedules, study_sensors


def load_plans(paths: list[Path] | None = None) -> list[StudyPlan]:
    """Plan each study (spec + data header). A broken spec raises its one-line error: the UI shows it."""
    return [plan_study(load_spec(path)) for path in (study_files() if paths is None else paths)]


def build_definitions(plans: list[StudyPlan] | None = None, paths: StudyPaths | None = None) -> dg.Definitions:
    paths = paths or StudyPaths.resolved()
    plans = load_plans() if plans is None else plans
    names = [p.spec.name for p in plans]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two study files share the name '{duplicates[0]}'; study names must be unique")
    return dg.Definitions(
        assets=[a for plan in plans for a in build_study_assets(plan, paths)],
        jobs=[j for plan in plans for j in study_jobs(plan)],
        schedules=[s for plan in plans for s in study_schedules(plan)],
        sensors=[s for plan in plans for s in study_sensors(plan)],
        executor=default_executor(),
        resources=study_resources(paths),
    )
