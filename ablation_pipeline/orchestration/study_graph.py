"""What every asset of one study shares: its keys (prefixed by the study name), one way to declare
inputs, its group and code versions, the run tags the steps read, and the metadata of a fit."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from ..pipeline.cached import Computed
from ..pipeline.consistency import require_splits
from ..pipeline.handoff import OnData, StudyData
from ..pipeline.paths import StudyPaths
from ..pipeline.setup import Setup, StudyPlan, setup_from
from ..pipeline.versions import code_versions
from .io_manager import IO_MANAGER_KEY

FORCE_TAG = "ablation/force"
FOLD_JOBS_TAG = "ablation/fold_jobs"


@dataclass(frozen=True)
class StudyGraph:
    """One study's asset graph: `key("baseline")` is `<study>/baseline`, `ins("baseline", "comparison")`
    declares those inputs by their parameter names."""

    plan: StudyPlan
    versions: dict[str, str]
    paths: StudyPaths

    @classmethod
    def of(cls, plan: StudyPlan, paths: StudyPaths | None = None) -> StudyGraph:
        """The graph of a plan; its steps write where `paths` says (default: resolved from the environment now)."""
        return cls(plan, code_versions(plan), paths or StudyPaths.resolved())

    @property
    def study(self) -> str:
        return self.plan.spec.name

    def key(self, name: str) -> dg.AssetKey:
        return dg.AssetKey([self.study, name])

    def ins(self, *names: str) -> dict[str, dg.AssetIn]:
        return {name: dg.AssetIn(self.key(name)) for name in names}

    def asset(self, name: str) -> dict:
        """The arguments every one of the study's assets takes: key, group, code version, and the IO
        manager that keeps its value signed."""
        return {"key": self.key(name), "group_name": self.study, "code_version": self.versions[name],
                "io_manager_key": IO_MANAGER_KEY}

    def setup(self, data: StudyData) -> Setup:
        """The set-up a step works with: cheap, so every step rebuilds it from the data handed over.
        Checked to be the snapshot this step's spec describes, as is the split plan handed over with it."""
        setup = setup_from(self.plan, data.dataset)
        require_splits(setup, list(data.splits))
        return setup


def forced(context: dg.AssetExecutionContext) -> bool:
    """`ablation run --force` (or this run tag set in the UI) refits and overwrites the cache."""
    return context.run.tags.get(FORCE_TAG, "").lower() in ("1", "true", "yes")


def forced_since(context: dg.AssetExecutionContext) -> float | None:
    """In a forced run, when it was created: a fit filed since then was refitted by this run already."""
    if not forced(context):
        return None
    record = context.instance.get_run_record_by_id(context.run.run_id)
    return None if record is None else record.create_timestamp.timestamp()


def fold_jobs(context: dg.AssetExecutionContext) -> int:
    """Folds fitted in parallel inside a step. 1 unless the run asks (`ablation run` does for the
    in-process executor, where steps run one at a time): parallel steps must not oversubscribe cores."""
    try:
        return max(1, int(context.run.tags.get(FOLD_JOBS_TAG, "1")))
    except ValueError:
        return 1


COMPUTED_CHECK = "computed"


def computed_check(key: dg.AssetKey) -> dg.AssetCheckSpec:
    """A variant's check that it could be computed; a failed one is shown failed, with its reason."""
    return dg.AssetCheckSpec(COMPUTED_CHECK, asset=key, description="the variant could be fitted and predicted on every split")


def computed_result(computed: Computed, extra: dict | None = None, asset_key: dg.AssetKey | None = None,
                    check: bool = False, on: StudyData | None = None) -> dg.MaterializeResult:
    """Value (with the data it was computed `on`, when the next steps read their data from it) plus the
    content fingerprint as data version; `fits` is 0 when the cache answered. A failed variant gets a
    data version that is never the expected one, so the next run tries it again."""
    outcome = computed.outcome
    seconds = [f.fit_seconds for f in outcome.folds]
    version = computed.fingerprint[:16] if not outcome.failed else f"failed-{computed.fingerprint[:16]}"
    checks = [dg.AssetCheckResult(asset_key=asset_key, check_name=COMPUTED_CHECK, passed=not outcome.failed,
                                  metadata={"reason": outcome.failure or "none"})] if check else []
    return dg.MaterializeResult(
        asset_key=asset_key,
        value=outcome if on is None else OnData(on, outcome),
        data_version=dg.DataVersion(version),
        check_results=checks,
        metadata={**(extra or {}), "fingerprint": computed.fingerprint[:16], "cache": "hit" if computed.cached else "miss",
                  "fits": 0 if computed.cached else outcome.fits, "splits": len(seconds),
                  "fit_seconds_total": float(sum(seconds)), **({"failed": outcome.failure} if outcome.failed else {})},
    )
