"""A study whose rows are an upstream asset of the same code location (`data.asset`).

The study's dataset step depends on the asset (`deps`, so the graph shows the lineage and a new
materialization of the upstream makes the study stale) and loads its value itself, through the
project's `io_manager` resource (Dagster's default, the one an asset uses unless it names another).
Not an `AssetIn`: an input naming a key that no asset produces fails the whole code location, and a
misspelt key must be one failed step with one line, the user's other assets untouched.

A study that lists no features has no variants to show before it read the asset once: it loads as
its dataset step alone (`pending_study_definitions`), whose run remembers the columns for the next
load of the definitions.

No `from __future__ import annotations`: Dagster checks the `context` annotation's type when an
asset is defined."""

import dagster as dg
from dagster import AssetExecutionContext

from ..data.dataset import Dataset, dataset_problems, load_dataset
from ..data.sources import Source
from ..data.upstream import upstream_source
from ..errors import DataError, did_you_mean
from ..pipeline.facts import remember_read
from ..pipeline.paths import StudyPaths
from ..spec.schema import StudySpec

UPSTREAM_IO_MANAGER = "io_manager"


def upstream_key(spec: StudySpec) -> dg.AssetKey:
    return dg.AssetKey(spec.data.asset.split("/"))


def follows_upstream(spec: StudySpec) -> dg.AutomationCondition | None:
    """With `schedule.on_data_change`, every asset of a study of an asset is eager: a new materialization
    of the upstream requests the study's dataset, and each step the one after it."""
    return dg.AutomationCondition.eager() if spec.data.asset is not None and spec.schedule.on_data_change else None


def read_upstream(context: AssetExecutionContext, spec: StudySpec, paths: StudyPaths) -> tuple[Dataset, Source]:
    """The upstream's latest value as the study's dataset (and the rows as read); the columns it has are
    remembered for the next planning of this spec."""
    key = upstream_key(spec)
    if context.instance.get_latest_materialization_event(key) is None:
        known = ["/".join(k.path) for k in context.instance.get_asset_keys()]
        raise DataError(f"{spec.label}: data.asset: no asset '{spec.data.asset}' has been materialized in this Dagster instance"
                        f"{did_you_mean(spec.data.asset, known)}; check the key, or materialize it first "
                        f"(dg launch --assets {spec.data.asset})")
    manager = getattr(context.resources, UPSTREAM_IO_MANAGER)
    try:
        value = manager.load_input(dg.build_input_context(asset_key=key, upstream_output=dg.build_output_context(asset_key=key),
                                                          instance=context.instance))
    except Exception as exc:  # noqa: BLE001  (whatever the user's IO manager raises, one line names it)
        raise DataError(f"{spec.label}: data.asset: could not load '{spec.data.asset}' through the project's "
                        f"{UPSTREAM_IO_MANAGER} resource: {type(exc).__name__}: {exc}".splitlines()[0]) from exc
    source = upstream_source(spec, value)
    dataset = load_dataset(spec, source)
    remember_read(spec, list(source.frame.columns), dataset, paths.result_cache())
    return dataset, source


def pending_study_definitions(spec: StudySpec, reason: str, paths: StudyPaths) -> dg.Definitions:
    """A study whose columns only the asset can tell: its dataset step alone, carrying `reason` in one line."""
    key = dg.AssetKey([spec.name, "dataset"])

    @dg.asset(key=key, group_name=spec.name, deps=[upstream_key(spec)], required_resource_keys={UPSTREAM_IO_MANAGER},
              code_version=f"pending-{spec.fingerprint()}", description=reason)
    def dataset(context: AssetExecutionContext) -> dg.MaterializeResult:
        loaded, source = read_upstream(context, spec, paths)
        return dg.MaterializeResult(data_version=dg.DataVersion(loaded.version), metadata={
            "rows": loaded.n_rows, "columns": ", ".join(source.frame.columns), "data_version": loaded.version,
            "problems": "\n".join(dataset_problems(spec, loaded)) or "none",
            "next": "reload the definitions: the study plans its variants from these columns"})

    return dg.Definitions(assets=[dataset])
