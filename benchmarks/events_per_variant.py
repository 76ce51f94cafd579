"""The Dagster events one variant writes in a cold `ablation run`, by type: the study's run is read
back from its event log and every event naming a variant's asset (or its step) is counted, per
variant. Events of the run as a whole (start, success, engine) and of the other steps are listed
apart.

    .venv/bin/python benchmarks/events_per_variant.py [--variants 50]
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scaling import Study  # noqa: E402


def asset_of(event, variants: set[str]) -> str | None:
    """The name of the asset an event is about (its own, or its check's; an output's variant), if any."""
    if event.asset_key is not None:
        return event.asset_key.path[-1]
    if event.event_type_value == "ASSET_CHECK_EVALUATION_PLANNED":
        return event.asset_check_planned_data.asset_check_key.asset_key.path[-1]
    if event.event_type_value == "ASSET_CHECK_EVALUATION":
        return event.asset_check_evaluation_data.asset_key.path[-1]
    if event.event_type_value in ("STEP_OUTPUT", "HANDLED_OUTPUT"):
        data = event.event_specific_data
        output = data.step_output_handle.output_name if hasattr(data, "step_output_handle") else data.output_name
        return next((v for v in variants if output == v or output.endswith(f"{v}_computed")), None)
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ablation-events-") as root:
        folder = Path(root)
        study = Study(f"ridge_f{args.variants}", "sweep", 2000, args.variants, "ridge")
        study.frame().to_csv(folder / "data.csv", index=False)
        spec = study.write_spec(folder)
        env = {**os.environ, "DAGSTER_HOME": str(folder / "home"), "ABLATION_CACHE_DIR": str(folder / "cache"),
               "ABLATION_RESULTS_DIR": str(folder / "results"), "ABLATION_KEY_FILE": str(folder / "key")}
        subprocess.run([str(Path(sys.executable).with_name("ablation")), "run", str(spec)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        os.environ.update(env)
        import dagster as dg

        variants = {f"drop__x{i}" for i in range(args.variants)}
        per_variant: collections.Counter = collections.Counter()
        other: collections.Counter = collections.Counter()
        with dg.DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            records = instance.get_records_for_run(run.run_id, limit=1_000_000).records
            for record in records:
                event = record.event_log_entry.dagster_event
                if event is None:
                    continue
                name = asset_of(event, variants)
                (per_variant if name in variants else other)[event.event_type_value] += 1
        print(f"{len(records)} events in the run of {args.variants} drop variants (5 x 2 splits, simplify off)")
        print(f"per variant ({sum(per_variant.values()) / args.variants:.1f} in all):")
        for kind, count in per_variant.most_common():
            print(f"  {kind:<36} {count / args.variants:5.2f}")
        print("the rest of the run:")
        for kind, count in other.most_common():
            print(f"  {kind:<36} {count:5d}")


if __name__ == "__main__":
    main()
