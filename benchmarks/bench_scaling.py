"""How the study graph's cost scales against the plain script a user would write instead, side by side
in one run: Ridge `features: each, mode: drop` studies of growing width (the slopes), one long study
(100,000 rows), a random forest and a small torch MLP. Per study, every number is a whole command
(interpreter start included), as a user sees it, in a fresh temporary folder:

  plain 1 / plain N  benchmarks/plain_scaling.py, the same fits sequentially / over N = cores joblib workers
                     per variant's folds (N is what `ablation run --executor in_process` uses: the reference)
  cold               `ablation run SPEC` on an empty DAGSTER_HOME, cache and results folder
  no-op              the same command again
  +1                 one more ablation entry (x0 and x1 dropped together); its overhead is the time minus
                     the plain fitting loop of that variant's own fits (the faster of 1 and N workers: a
                     pool's start-up is not fitting); the median of 3 trials from the same state
  alpha              statistics.alpha changed to 0.1 (refits nothing); the median of 3 trials
  run floor          benchmarks/run_floor.py in the study's DAGSTER_HOME: the imports a run needs, the instance,
                     one run of one trivial asset (what any command that records a run pays); timed right after
                     each +1 and alpha trial, and its median taken like theirs (a floor timed apart, or its
                     minimum against their median, moved the difference by a second on a shared machine)
  asset floor        Dagster's own ms per asset with its check, one per step, on a fresh SQLite instance
                     (bench_dagster_floor.py's "asset + check", 50 assets, best of 3), measured in this run
  RSS                peak resident memory of the largest single process of the command (ru_maxrss)
  stored             cache and Dagster storage bytes after the cold run, per variant (+1 for the baseline)

Targets (issue 26): overhead per variant <= 1.5 x the asset floor; cold <= 1.1 x plain for the forest
and the torch studies; +1 <= run floor + its own fits + 2 s and alpha-only <= run floor + 2 s at 150
variants; no-op <= 1 s.

    .venv/bin/python benchmarks/bench_scaling.py [--quick] [--sizes 10,50,150,500] [--rows 2000]
                                                [--only sweep,long,forest,torch]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from plain_scaling import FOLDS, MLP, N_ESTIMATORS, REPEATS, SEED
from sklearn.datasets import make_classification, make_regression

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CORES = os.cpu_count() or 1
KINDS = ("sweep", "long", "forest", "torch")
EXTRA = ["x0", "x1"]  # the +1 variant drops these two together
# Runs a command and reports its own wall time and peak RSS (ru_maxrss of the largest process among the
# command and the children it waited for), in a fresh process so one command never sees another's maximum.
WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:]).returncode
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)
sys.exit(code)
"""


@dataclass(frozen=True)
class Study:
    """One benchmarked study: `features` drop variants of `model` on `rows` synthetic rows."""

    name: str
    kind: str
    rows: int
    features: int
    model: str  # ridge | forest | mlp, as plain_scaling.py names them

    def frame(self) -> pd.DataFrame:
        """Seeded synthetic data: a regression, or a binary classification for the MLP."""
        if self.model == "mlp":
            X, y = make_classification(n_samples=self.rows, n_features=self.features, n_informative=self.features // 2,
                                       random_state=0)
        else:
            X, y = make_regression(n_samples=self.rows, n_features=self.features, n_informative=max(1, self.features // 2),
                                   noise=5.0, random_state=0)
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(self.features)]).assign(y=y)

    def model_section(self) -> dict:
        """The spec's model, the same as plain_scaling.py fits."""
        if self.model == "ridge":
            return {"estimator": "Ridge"}
        if self.model == "forest":
            return {"estimator": "RandomForestRegressor", "params": {"n_estimators": N_ESTIMATORS, "random_state": 0}}
        h1, h2 = MLP["hidden"]
        layers = [{"name": "hidden1", "type": "Linear", "args": {"out_features": h1}}, {"name": "act1", "type": "ReLU"},
                  {"name": "hidden2", "type": "Linear", "args": {"out_features": h2}}, {"name": "act2", "type": "ReLU"},
                  {"name": "out", "type": "Linear", "output": True}]
        training = {"lr": MLP["lr"], "epochs": MLP["epochs"], "batch_size": MLP["batch_size"], "seed": 0}
        return {"network": {"layers": layers, "training": training}}

    def write_spec(self, folder: Path, extra: bool = False, alpha: float | None = None) -> Path:
        """The study spec; `simplify: false` so the graph does exactly the plain loop's fits."""
        ablations = [{"features": "each", "mode": "drop"}]
        if extra:
            ablations.append({"features": [EXTRA], "mode": "drop"})
        statistics = {"simplify": False, **({"alpha": alpha} if alpha is not None else {})}
        spec = {"name": self.name, "data": {"source": "data.csv", "target": "y"}, "model": self.model_section(),
                "evaluation": {"folds": FOLDS, "repeats": REPEATS, "seed": SEED,
                               "metrics": ["accuracy" if self.model == "mlp" else "rmse"]},
                "ablations": ablations, "statistics": statistics}
        path = folder / "study.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        return path


@dataclass(frozen=True)
class Measured:
    """A command's wall time, its peak RSS and its output (plain_scaling.py's JSON line)."""

    seconds: float
    peak_mb: float
    stdout: str


@dataclass(frozen=True)
class Result:
    """Every measurement of one study, and the ratios the targets are stated in."""

    study: Study
    plain1: Measured
    plain: Measured  # the reference: CORES joblib workers, as the in-process runner
    extra_fit_seconds: float
    cold: Measured
    noop: float
    added: float
    alpha: float
    run_floor: float
    cache_bytes: int
    storage_bytes: int

    @property
    def ratio(self) -> float:
        return self.cold.seconds / self.plain.seconds

    @property
    def overhead_ms(self) -> float:
        return (self.cold.seconds - self.plain.seconds) / self.study.features * 1000

    @property
    def added_overhead(self) -> float:
        return self.added - self.extra_fit_seconds

    @property
    def added_over_floor(self) -> float:
        """+1 less the run floor and its own fits: what the graph adds to a run that records them."""
        return self.added - self.extra_fit_seconds - self.run_floor

    @property
    def alpha_over_floor(self) -> float:
        return self.alpha - self.run_floor

    @property
    def rss_ratio(self) -> float:
        return self.cold.peak_mb / self.plain.peak_mb

    def per_variant(self, size: int) -> float:
        """Bytes per variant, the baseline counted as one more."""
        return size / (self.study.features + 1)


def measure(command: list[str], env: dict[str, str]) -> Measured:
    """One command through WRAPPER; a failure stops the benchmark with the command's output."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, *command], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {shlex.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return Measured(report["seconds"], report["maxrss_kb"] / 1024, done.stdout)


STATE = ("home", "cache", "results", "study.yaml")  # what a command reads and changes in a study's folder
TRIALS = 3  # a change's command is timed this many times from the same state: the median (one run on a shared
            # machine moved by a second)


def median_from(folder: Path, command: list[str], env: dict[str, str], change, floors: list[float]) -> float:
    """The median seconds of `command` after `change()`, each trial from the state the folder had before;
    the run floor is timed after each trial (appended to `floors`), so both see the same moment's machine."""
    import shutil

    saved = folder / "saved"
    for name in STATE:
        (shutil.copytree if (folder / name).is_dir() else shutil.copy2)(folder / name, saved / name)
    times = []
    for _ in range(TRIALS):
        for name in STATE:
            shutil.rmtree(folder / name) if (folder / name).is_dir() else (folder / name).unlink()
            (shutil.copytree if (saved / name).is_dir() else shutil.copy2)(saved / name, folder / name)
        change()
        times.append(measure(command, env).seconds)
        floors.append(measure([sys.executable, str(HERE / "run_floor.py")], env).seconds)
    shutil.rmtree(saved)
    return float(np.median(times))


def plain_fit_seconds(command: list[str], env: dict[str, str]) -> float:
    """The fitting loop's own seconds, as plain_scaling.py reports them on its last line."""
    return json.loads(measure(command, env).stdout.strip().splitlines()[-1])["fit_seconds"]


def folder_bytes(path: Path) -> int:
    """What a store costs on disk: the size of every file under it."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run_study(study: Study, folder: Path, key_file: Path) -> Result:
    """Plain loops first, then the graph's four commands in order on one fresh instance and cache."""
    folder.mkdir()
    csv = folder / "data.csv"
    study.frame().to_csv(csv, index=False)
    env = {**os.environ, "COLUMNS": "160", "DAGSTER_HOME": str(folder / "home"), "ABLATION_CACHE_DIR": str(folder / "cache"),
           "ABLATION_RESULTS_DIR": str(folder / "results"), "ABLATION_KEY_FILE": str(key_file)}
    plain = [sys.executable, str(HERE / "plain_scaling.py"), str(csv), "--model", study.model]
    plain1 = measure([*plain, "--jobs", "1"], env)
    plain_n = measure([*plain, "--jobs", str(CORES)], env)
    extra_fit_seconds = min(plain_fit_seconds([*plain, "--only-drop", ",".join(EXTRA), "--jobs", str(jobs)], env)
                            for jobs in {1, CORES})

    graph = [str(BIN / "ablation"), "run", str(study.write_spec(folder)), "--executor", "in_process"]
    cold = measure(graph, env)
    cache_bytes, storage_bytes = folder_bytes(folder / "cache"), folder_bytes(folder / "home" / "storage")
    noop = measure(graph, env).seconds
    floors: list[float] = []
    added = median_from(folder, graph, env, lambda: study.write_spec(folder, extra=True), floors)
    study.write_spec(folder, extra=True)
    measure(graph, env)
    alpha = median_from(folder, graph, env, lambda: study.write_spec(folder, extra=True, alpha=0.1), floors)
    run_floor = float(np.median(floors))
    return Result(study, plain1, plain_n, extra_fit_seconds, cold, noop, added, alpha, run_floor, cache_bytes, storage_bytes)


def chosen_studies(args: argparse.Namespace) -> list[Study]:
    """The feature sweep at `--rows`, plus the long, forest and torch studies when `--only` asks."""
    sizes = [int(s) for s in (args.sizes or ("10,20" if args.quick else "10,50,150,500")).split(",")]
    rows = args.rows or (500 if args.quick else 2000)
    kinds = (args.only or ("sweep" if args.quick else ",".join(KINDS))).split(",")
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SystemExit(f"--only: unknown {', '.join(sorted(unknown))}; choose from {', '.join(KINDS)}")
    studies = [Study(f"ridge_f{n}", "sweep", rows, n, "ridge") for n in sizes] if "sweep" in kinds else []
    studies += [s for s in (Study("ridge_100k", "long", 100_000, 10, "ridge"), Study("forest_f12", "forest", 2000, 12, "forest"),
                            Study("mlp_f8", "torch", 1000, 8, "mlp")) if s.kind in kinds]
    return studies


ROW = ("{:<11} {:>4} {:>6} {:>6} {:>7} {:>6} {:>8} {:>6} {:>6} {:>6} {:>8} {:>6} {:>6} {:>7} {:>7} {:>5} {:>8} {:>8} {:>8}")


def print_table(results: list[Result]) -> None:
    """One fixed-width row per study (seconds, MB, KB)."""
    print_header()
    for r in results:
        print_row(r)


def print_header() -> None:
    print(ROW.format("study", "vars", "plain1", f"plain{CORES}", "cold", "c/p", "ovh/var", "no-op", "floor", "+1", "+1-f-fit",
                     "alpha", "a-f", "RSS pl", "RSS gr", "ratio", "cache/v", "store/v", "total/v"))
    print(ROW.format("", "", "s", "s ref", "s", "<=1.1", "ms", "s <=1", "run s", "s", "s <=2", "s", "s <=2",
                     "MB", "MB", "<=1.3", "KB", "KB", "KB"))


def print_row(r: Result) -> None:
    print(ROW.format(r.study.name, r.study.features, f"{r.plain1.seconds:.2f}", f"{r.plain.seconds:.2f}",
                     f"{r.cold.seconds:.2f}", f"{r.ratio:.2f}", f"{r.overhead_ms:.0f}", f"{r.noop:.2f}", f"{r.run_floor:.2f}",
                     f"{r.added:.2f}", f"{r.added_over_floor:.2f}", f"{r.alpha:.2f}", f"{r.alpha_over_floor:.2f}",
                     f"{r.plain.peak_mb:.0f}", f"{r.cold.peak_mb:.0f}",
                     f"{r.rss_ratio:.2f}", f"{r.per_variant(r.cache_bytes) / 1024:.1f}",
                     f"{r.per_variant(r.storage_bytes) / 1024:.1f}",
                     f"{r.per_variant(r.cache_bytes + r.storage_bytes) / 1024:.1f}"))


def print_summary(results: list[Result], asset_floor: float) -> None:
    """Each of issue 26's targets against the studies it is stated for; issue 13's older ones for reference."""
    print(f"\nsummary (Dagster's floor for an asset with its check, measured in this run: {asset_floor:.1f} ms)")

    def line(label: str, chosen: list[Result], value, target: float, shown: str = "{:.2f}") -> None:
        if not chosen:
            return
        worst = max(chosen, key=value)
        verdict = "ok" if value(worst) <= target else "MISSED"
        print(f"  {label:<46} {shown.format(value(worst)):>8}  target <= {target:<5g} {verdict:<6} ({worst.study.name})")

    sweep = [r for r in results if r.study.kind == "sweep"]
    slope = overhead_slope(sweep)
    if slope is not None:
        verdict = "ok" if slope / asset_floor <= 1.5 else "MISSED"
        print(f"  {'overhead slope / asset floor':<46} {slope / asset_floor:>8.2f}  target <= 1.5   {verdict:<6} "
              f"({slope:.0f} ms/variant over the sweep)")
    line("overhead per variant / asset floor", [r for r in results if r.study.features >= 50],
         lambda r: r.overhead_ms / asset_floor, 1.5)
    line("cold / plain (forest, torch)", [r for r in results if r.study.kind in ("forest", "torch")], lambda r: r.ratio, 1.10)
    at_150 = [r for r in results if r.study.kind == "sweep" and r.study.features >= 150]
    line("+1 - run floor - its fits, s (>= 150 variants)", at_150, lambda r: r.added_over_floor, 2.0)
    line("alpha-only - run floor, s (>= 150 variants)", at_150, lambda r: r.alpha_over_floor, 2.0)
    line("no-op, s", results, lambda r: r.noop, 1.0)
    line("for reference: cold / plain (every study)", results, lambda r: r.ratio, 1.10)
    line("for reference: peak RSS graph / plain", results, lambda r: r.rss_ratio, 1.3)


def overhead_slope(sweep: list[Result]) -> float | None:
    """ms per variant of (cold - plain) over the sweep, by least squares."""
    if len(sweep) < 2:
        return None
    n = np.array([r.study.features for r in sweep], dtype=float)
    return float(np.polyfit(n, [r.cold.seconds - r.plain.seconds for r in sweep], 1)[0] * 1000)


def asset_with_check_floor() -> float:
    """bench_dagster_floor.py's "asset + check": ms per asset, best of 3, 50 assets."""
    import bench_dagster_floor

    assets = bench_dagster_floor.graphs(50, 10)["asset + check"]
    return min(bench_dagster_floor.ms_per_asset(assets, 50)[0] for _ in range(3))


def print_slopes(results: list[Result]) -> None:
    """Least squares of cost against the number of variants over the sweep: a straight line (R² near 1)
    with a small overhead slope means orchestration cost grows linearly and stays a small share."""
    sweep = [r for r in results if r.study.kind == "sweep"]
    if len(sweep) < 2:
        print("\nslopes: need at least two sweep sizes")
        return
    n = np.array([r.study.features for r in sweep], dtype=float)
    print(f"\nslopes over the sweep (variants {', '.join(str(int(v)) for v in n)}; seconds = intercept + slope x variants)")
    lines = (("plain (reference)", [r.plain.seconds for r in sweep]), ("graph cold", [r.cold.seconds for r in sweep]),
             ("overhead (cold - plain)", [r.cold.seconds - r.plain.seconds for r in sweep]))
    for label, seconds in lines:
        y = np.array(seconds)
        slope, intercept = np.polyfit(n, y, 1)
        print(f"  {label:<26} slope {slope * 1000:8.1f} ms/variant   intercept {intercept:7.2f} s   R² {r_squared(n, y, slope, intercept)}")


def r_squared(n: np.ndarray, y: np.ndarray, slope: float, intercept: float) -> str:
    """How straight the line is; two sizes always fit exactly, so they say nothing about it."""
    spread = np.sum((y - y.mean()) ** 2)
    if len(n) < 3 or spread == 0:
        return "n/a (needs 3 sizes)"
    return f"{1 - np.sum((y - (intercept + slope * n)) ** 2) / spread:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="check the script works: sizes 10,20 on 500 rows, sweep only")
    parser.add_argument("--sizes", help="feature counts of the Ridge sweep, comma-separated (default 10,50,150,500)")
    parser.add_argument("--rows", type=int, help="rows of the sweep's studies (default 2000)")
    parser.add_argument("--only", help=f"study kinds to run, comma-separated, from {','.join(KINDS)} (default all)")
    args = parser.parse_args()
    studies = chosen_studies(args)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"cores {CORES}; load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"graph: ablation run SPEC --executor in_process (each step fits its folds on {CORES} joblib workers); "
          f"ratios use plain{CORES} (the plain loop on {CORES} joblib workers over each variant's folds)")
    print(f"every study: features each/drop, {FOLDS} folds x {REPEATS} repeats, simplify off; vars = drop variants (+ baseline)\n")
    asset_floor = asset_with_check_floor()
    print(f"Dagster's floor for an asset with its check: {asset_floor:.1f} ms (bench_dagster_floor.py, 50 assets, best of 3)")
    results = []
    print_header()
    with tempfile.TemporaryDirectory(prefix="ablation-scaling-") as root:
        key_file = Path(root) / "store.key"
        for study in studies:
            print(f"running {study.name}: {study.rows} rows x {study.features} features, {study.model}", flush=True)
            results.append(run_study(study, Path(root) / study.name, key_file))
            print_row(results[-1])  # as it comes: a long sweep shows its first rows early
            sys.stdout.flush()
    print()
    print_table(results)
    asset_floor = min(asset_floor, asset_with_check_floor())  # again at the end: the machine's quietest of the two
    print_summary(results, asset_floor)
    print_slopes(results)
    print(f"\nload average at end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
