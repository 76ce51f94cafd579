"""Do the example studies still give exactly the same numbers? Runs every study in data/studies with
`ablation run` on a fresh cache and Dagster instance, then saves or compares the files whose
content must not change when the code is only reorganised.

    .venv/bin/python benchmarks/same_results.py save  /tmp/reference   # before the change
    .venv/bin/python benchmarks/same_results.py check /tmp/reference   # after: exit 1 on any difference

costs.csv and report.md hold timings, so they are not compared; in simplified.csv the fit-time
columns (`fit_seconds_*`) are left out and every other field is compared as exact text.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMPARED = ("comparison.csv", "scores.csv", "simplified.csv")
TIMINGS = "fit_seconds_"


def fields(path: Path) -> list[list[str]]:
    """The file's rows as exact text, without its timing columns."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    kept = [i for i, name in enumerate(rows[0]) if not name.startswith(TIMINGS)] if rows else []
    return [[row[i] for i in kept] for row in rows]


def run_examples(studies: list[str], out: Path) -> None:
    """Each study run by the CLI into `out/<study>`, with its own empty cache and Dagster home."""
    ablation = Path(sys.executable).with_name("ablation")
    with tempfile.TemporaryDirectory() as scratch:
        for study in studies:
            env = {**os.environ, "ABLATION_CACHE_DIR": f"{scratch}/cache_{study}",
                   "DAGSTER_HOME": f"{scratch}/home_{study}", "ABLATION_RESULTS_DIR": str(out)}
            print(f"running {study} ...", flush=True)
            subprocess.run([str(ablation), "run", study], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def compare(reference: Path, fresh: Path, studies: list[str]) -> list[str]:
    differences = []
    for study in studies:
        for name in COMPARED:
            old, new = reference / study / name, fresh / study / name
            if old.exists() != new.exists():
                differences.append(f"{study}/{name}: {'missing now' if old.exists() else 'new file'}")
            elif old.exists() and fields(old) != fields(new):
                differences.append(f"{study}/{name}: content differs")
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["save", "check"])
    parser.add_argument("reference", type=Path)
    parser.add_argument("--studies", nargs="*", default=sorted(p.stem for p in (REPO / "data" / "studies").glob("*.yaml")))
    args = parser.parse_args()
    if args.action == "save":
        shutil.rmtree(args.reference, ignore_errors=True)
        run_examples(args.studies, args.reference)
        print(f"saved results of {', '.join(args.studies)} in {args.reference}")
        return 0
    with tempfile.TemporaryDirectory() as fresh:
        run_examples(args.studies, Path(fresh))
        differences = compare(args.reference, Path(fresh), args.studies)
    for line in differences:
        print(f"DIFFERS {line}")
    compared = sum((args.reference / s / n).exists() for s in args.studies for n in COMPARED)
    print(f"{compared - len(differences)} of {compared} files identical ({', '.join(args.studies)})")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
