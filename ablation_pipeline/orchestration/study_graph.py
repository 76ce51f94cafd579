"""What every asset of one study shares: its keys (prefixed by the study name), one way to declare
inputs, its group and code versions, the run tags the steps read, and the metadata of a fit."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from ..pipeline.compute import Filed
from ..pipeline.consistency import require_splits
from ..pipeline.handoff import OnData, StudyData
from ..pipeline.identity import Identity, code_versions
from ..pipeline.paths import StudyPaths
from ..pipeline.setup import Setup, StudyPlan, setup_from
from .io_manager import IO_MANAGER_KEY
from .upstream import follows_upstream


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
                "io_manager_key": IO_MANAGER_KEY, "automation_condition": self.automation}

    @property
    def automation(self) -> dg.AutomationCondition | None:
        """How the study's assets follow its data by themselves: eager on an upstream asset when the spec asks."""
        return follows_upstream(self.plan.spec)

    def setup(self, data: StudyData) -> tuple[Setup, Identity]:
        """The set-up a step works with and the identity of its results: cheap, so every step rebuilds
        them from the data handed over. Checked to be the snapshot this step's spec describes, as is the
        split plan handed over with it."""
        setup = setup_from(self.plan, data.dataset)
        require_splits(setup, list(data.splits))
        return setup, Identity.of(setup, data.splits)


COMPUTED_CHECK = "computed"


def computed_check(key: dg.AssetKey) -> dg.AssetCheckSpec:
    """A variant's check that it could be computed; a failed one is shown failed, with its reason."""
    return dg.AssetCheckSpec(COMPUTED_CHECK, asset=key, description="the variant could be fitted and predicted on every split")


def computed_result(result: Filed, extra: dict | None = None, asset_key: dg.AssetKey | None = None,
                    check: bool = False, on: StudyData | None = None) -> dg.MaterializeResult:
    """Value (with the data it was computed `on`, when the next steps read their data from it) plus what
    it is made of as data version; `fits` counts the fits this step performed (0: the store answered). A
    failed variant gets a data version that is never the expected one, so the next run tries it again."""
    outcome = result.outcome
    seconds = [f.fit_seconds for f in outcome.folds]
    checks = [dg.AssetCheckResult(asset_key=asset_key, check_name=COMPUTED_CHECK, passed=not result.failed,
                                  metadata={"reason": result.failure or "none"})] if check else []
    return dg.MaterializeResult(
        asset_key=asset_key,
        value=result if on is None else OnData(on, result),
        data_version=dg.DataVersion(result.version),
        check_results=checks,
        metadata={**(extra or {}), "cache": "hit" if result.computed == 0 else "miss", "fits": result.fitted,
                  "splits": len(seconds), "blocks": len(result.keys), "fit_seconds_total": float(sum(seconds)),
                  **({"failed": result.failure} if result.failed else {})},
    )
