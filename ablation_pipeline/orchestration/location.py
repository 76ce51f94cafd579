"""The code location's definitions: every study in the studies folder, one asset group each. A study
that cannot be loaded becomes one asset carrying its error (see `broken`); the others load and run."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import dagster as dg

from ..errors import AblationError
from ..pipeline.paths import StudyPaths, study_files
from ..pipeline.setup import StudyPlan, plan_study
from ..spec.loading import load_spec
from .assets import build_study_assets
from .broken import BrokenStudy, broken_study_asset
from .executors import default_executor
from .io_manager import study_resources
from .jobs import study_jobs, study_schedules, study_sensors

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # holds pyproject.toml's [tool.dg] when run from a checkout


def code_location() -> dg.Definitions:
    """What `dg dev`, `dagster dev -w workspace.yaml` and `-m ablation_pipeline.definitions` load: the
    studies folder, and the AblationStudy component instances under ablation_pipeline/defs/."""
    studies = build_definitions()
    if not (PROJECT_ROOT / "pyproject.toml").is_file():  # installed, not a checkout: no defs folder to read
        return studies
    return dg.Definitions.merge(studies, dg.load_from_defs_folder(project_root=PROJECT_ROOT))


def load_plans(paths: list[Path] | None = None) -> list[StudyPlan]:
    """Plan each study (spec + data header); a broken spec raises its one-line error."""
    cache = StudyPaths.resolved().result_cache()
    return [plan_study(load_spec(path), cache) for path in (study_files() if paths is None else paths)]


def load_studies(paths: list[Path] | None = None) -> tuple[list[StudyPlan], list[BrokenStudy]]:
    """Plan each study (what the data told an earlier load is reused while the file is unchanged: see
    `plan_study`); one that cannot be planned, or whose name an earlier file took, is set aside with its
    error instead of failing the others."""
    plans: list[StudyPlan] = []
    broken: list[BrokenStudy] = []
    cache = StudyPaths.resolved().result_cache()
    for path in study_files() if paths is None else paths:
        try:
            plan = plan_study(load_spec(path), cache)
        except (AblationError, OSError) as exc:
            broken.append(BrokenStudy(path, str(exc)))
            continue
        twin = next((p for p in plans if p.spec.name == plan.spec.name), None)
        if twin is not None:
            broken.append(BrokenStudy(path, f"{path}: name: '{plan.spec.name}' is already the name of {twin.label}; "
                                            "study names must be unique"))
            continue
        plans.append(plan)
    return plans, broken


def build_definitions(plans: list[StudyPlan] | None = None, paths: StudyPaths | None = None,
                      broken: list[BrokenStudy] | None = None) -> dg.Definitions:
    """Every study's definitions (default: the studies folder, loaded leniently) with the code
    location's executor for ad-hoc materializations."""
    if plans is None:
        plans, found = load_studies()
        broken = [*(broken or []), *found]
    names = [p.spec.name for p in plans]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two study files share the name '{duplicates[0]}'; study names must be unique")
    return dg.Definitions.merge(study_definitions(plans, broken or [], paths), dg.Definitions(executor=default_executor()))


def study_definitions(plans: list[StudyPlan], broken: list[BrokenStudy], paths: StudyPaths | None = None) -> dg.Definitions:
    """The studies' assets, jobs, schedules and sensors, and the store they share (one per folders,
    so the definitions of several component instances merge)."""
    paths = paths or StudyPaths.resolved()
    return dg.Definitions(
        assets=[*(a for plan in plans for a in build_study_assets(plan, paths)), *map(broken_study_asset, broken)],
        jobs=[j for plan in plans for j in study_jobs(plan)],
        schedules=[s for plan in plans for s in study_schedules(plan, paths)],
        sensors=[s for plan in plans for s in study_sensors(plan, paths)],
        resources=shared_resources(paths),
    )


@cache
def shared_resources(paths: StudyPaths) -> dict:
    return study_resources(paths)
