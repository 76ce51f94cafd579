"""What Dagster itself costs per asset, whatever the asset computes: N assets with trivial bodies
(each reads one upstream value and returns a constant with a data version and metadata, as a
variant does) materialized in one run on a fresh SQLite instance, console logging off, side by
side in one process:

  asset            one asset per step (how a retrained variant is declared without its check)
  asset + check    the same with one asset check each (how a retrained variant is declared)
  chunks of K      subsettable multi-assets of K assets and K checks per step
  ... in memory    the first two on Dagster's in-memory instance (nothing persisted: not what a
                   study can use, as the UI and re-runs read the SQLite records): how much of the
                   floor is the storage and how much Dagster's execution itself

This is the floor under `bench_scaling.py`'s "overhead per variant": no design that keeps every
variant its own asset (with its own check) can be cheaper per variant than these rows.

    .venv/bin/python benchmarks/bench_dagster_floor.py [--assets 50] [--chunk 10] [--rounds 3]

(No `from __future__ import annotations`: Dagster checks the `context` annotation's type.)
"""

import argparse
import os
import tempfile
import time

import dagster as dg

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
UPSTREAM = dg.AssetKey(["floor", "data"])


@dg.asset(key=UPSTREAM)
def data() -> int:
    return 0


def key(i: int) -> dg.AssetKey:
    return dg.AssetKey(["floor", f"v{i}"])


def single(i: int, checked: bool) -> dg.AssetsDefinition:
    checks = [dg.AssetCheckSpec("computed", asset=key(i))] if checked else []

    @dg.asset(key=key(i), ins={"upstream": dg.AssetIn(UPSTREAM)}, code_version="1", check_specs=checks)
    def variant(upstream: int):
        return dg.MaterializeResult(value=upstream + i, data_version=dg.DataVersion(str(i)), metadata={"fits": 10},
                                    check_results=[dg.AssetCheckResult(passed=True)] if checked else [])

    return variant


def chunk(first: int, members: list[int]) -> dg.AssetsDefinition:
    outs = {f"v{i}": dg.AssetOut(key=key(i), code_version="1", is_required=False) for i in members}

    @dg.multi_asset(outs=outs, name=f"chunk_{first}", can_subset=True, ins={"upstream": dg.AssetIn(UPSTREAM)},
                    check_specs=[dg.AssetCheckSpec("computed", asset=key(i)) for i in members])
    def variants(context: dg.AssetExecutionContext, upstream: int):
        for i in members:
            if key(i) in context.selected_asset_keys:
                yield dg.MaterializeResult(asset_key=key(i), value=upstream + i, data_version=dg.DataVersion(str(i)),
                                           metadata={"fits": 10},
                                           check_results=[dg.AssetCheckResult(asset_key=key(i), check_name="computed", passed=True)])

    return variants


def graphs(n: int, size: int) -> dict[str, list]:
    chunks = [chunk(first, list(range(first, min(n, first + size)))) for first in range(0, n, size)]
    return {"asset": [single(i, False) for i in range(n)], "asset + check": [single(i, True) for i in range(n)],
            f"chunks of {size} (+ checks)": chunks}


IN_MEMORY = ("asset", "asset + check")  # graphs also run on the in-memory instance


def ms_per_asset(assets: list, n: int, in_memory: bool = False) -> tuple[float, int]:
    """One run of the upstream and `n` assets on a fresh instance (SQLite, or in memory): ms per asset,
    events written."""
    with tempfile.TemporaryDirectory() as folder, (
            dg.DagsterInstance.ephemeral() if in_memory else dg.instance_for_test(temp_dir=folder)) as instance:
        started = time.perf_counter()
        result = dg.materialize([data, *assets], instance=instance, resources={"io_manager": dg.InMemoryIOManager()},
                                run_config=QUIET)
        seconds = time.perf_counter() - started
        events = len(instance.get_records_for_run(result.run_id, limit=1_000_000).records)
    return seconds / n * 1000, events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--chunk", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"dagster {dg.__version__}; {args.assets} assets per run, best of {args.rounds} (rounds interleaved); "
          f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    kinds = graphs(args.assets, args.chunk)
    best: dict[str, tuple[float, int]] = {}
    for _ in range(args.rounds):
        for name, assets in kinds.items():
            for in_memory in (False, True) if name in IN_MEMORY else (False,):
                label = f"{name}, in memory" if in_memory else name
                ms, events = ms_per_asset(assets, args.assets, in_memory)
                best[label] = min(best.get(label, (ms, events)), (ms, events))
    print(f"{'graph':<26} {'ms/asset':>9} {'events/asset':>13}")
    for name, (ms, events) in best.items():
        print(f"{name:<26} {ms:>9.1f} {events / args.assets:>13.1f}")
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
