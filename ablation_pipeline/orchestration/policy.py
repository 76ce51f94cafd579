"""The run's compute policy as a Dagster resource: built once per run (and per step process) from the
run's tags, and handed to every step that fits, so none of them reads the run's settings itself."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from ..pipeline.compute import Policy
from ..store.cache import ResultCache

POLICY_KEY = "ablation_policy"  # the resource key, and the name of the parameter the steps take it by
FORCE_TAG = "ablation/force"
FOLD_JOBS_TAG = "ablation/fold_jobs"


class RunPolicy(dg.ConfigurableResource):
    """The result store in `cache` (signed with the key in `key`); `ablation/force` on the run refits what
    is stored (once per run: what another step of it filed since the run was created is reused), and
    `ablation/fold_jobs` says how many workers a step's fits may use (1 unless the run asks: steps that
    run in parallel must not oversubscribe the cores; `ablation run` asks for the in-process executor)."""

    cache: str
    key: str
    _policy: Policy | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        tags = context.run.tags if context.run is not None else {}
        force = tags.get(FORCE_TAG, "").lower() in ("1", "true", "yes")
        since = None
        if force and context.instance is not None and context.run is not None:
            record = context.instance.get_run_record_by_id(context.run.run_id)
            since = None if record is None else record.create_timestamp.timestamp()
        try:
            workers = max(1, int(tags.get(FOLD_JOBS_TAG, "1")))
        except ValueError:
            workers = 1
        self._policy = Policy(ResultCache(Path(self.cache), Path(self.key)), force, since, workers)

    @property
    def policy(self) -> Policy:
        return self._policy or Policy(ResultCache(Path(self.cache), Path(self.key)))
