"""The `ablation` command: validate, run (in the persistent local Dagster instance), show, list.

Expected failures (bad spec, bad data) print one line per problem and exit non-zero; they never
show a traceback. Dagster is imported only by the commands that run something."""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path
from typing import NoReturn, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import AblationError, SpecError, did_you_mean
from .paths import project_root, resolve_study, study_files

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Ablation studies as Dagster asset graphs.")
out = Console(width=None if sys.stdout.isatty() else 160)  # piped output: wide enough for the tables
err = Console(stderr=True)

EXECUTORS = ("in_process", "multiprocess", "dask")  # the run configs of defs.executors; named here without importing Dagster
VERDICT_STYLE = {"essential": "bold red", "harmful": "bold magenta", "removable": "green", "inconclusive": "yellow"}
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def print_error(line: str) -> None:
    """User text is printed verbatim: brackets in a path or column name are not markup."""
    err.print("[red]error:[/red]", escape(line), highlight=False, soft_wrap=True)


def fail(exc: AblationError) -> None:
    for line in str(exc).splitlines():
        print_error(line)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def validate(study: str = typer.Argument(..., help="A study name from the studies folder or a path to a YAML spec.")) -> None:
    """Check a spec and its data without running anything."""
    from .study import check_study

    try:
        setup = check_study(resolve_study(study))
    except AblationError as exc:
        fail(exc)
    plan = setup.plan
    out.print(
        f"[green]ok[/green] {plan.spec.name}: {setup.dataset.n_rows} rows, {len(plan.features)} features, "
        f"task {setup.dataset.task}, {len(plan.variants)} variants, "
        f"{plan.spec.evaluation.folds}x{plan.spec.evaluation.repeats} splits, metrics {', '.join(m.name for m in setup.metrics)}",
        highlight=False,
    )


@app.command()
def run(
    study: str = typer.Argument(..., help="A study name from the studies folder or a path to a YAML spec."),
    results_dir: Optional[Path] = typer.Option(None, help="Folder for results (default data/results/<study>)."),
    executor: str = typer.Option("in_process", help="in_process | multiprocess | dask"),
    dask_address: Optional[str] = typer.Option(None, help="An existing Dask scheduler (tcp://host:8786); default: a local cluster."),
    force: bool = typer.Option(False, "--force", help="Ignore cached fits: refit everything (and refresh the cache)."),
) -> None:
    """Materialize the study's whole asset graph in the local Dagster instance (visible in `dagster dev`)."""
    from .study import check_study, results_dir as study_results_dir

    if executor not in EXECUTORS:
        fail(SpecError(f"--executor: unknown executor '{executor}', expected one of {', '.join(EXECUTORS)}{did_you_mean(executor, EXECUTORS)}"))
    if dask_address and executor != "dask":
        fail(SpecError("--dask-address: only meaningful with --executor dask"))
    if results_dir is not None:
        os.environ["ABLATION_RESULTS_DIR"] = str(results_dir.resolve())
    try:
        setup = check_study(resolve_study(study))  # every input problem surfaces before anything runs
    except AblationError as exc:
        fail(exc)
    from .versions import results_are_current

    if not force and results_are_current(setup, study_results_dir(setup.plan.spec)):
        outcome = None  # the results on disk were computed from exactly this spec and data: no Dagster needed
    else:
        from .defs.runner import materialize_study

        outcome = materialize_study(setup, console=out, executor=executor, dask_address=dask_address, force=force)
    if outcome is None or outcome.assets == 0:
        out.print(f"{setup.plan.spec.name} is up to date: nothing changed since the last run (use --force to refit)", highlight=False)
    if outcome is not None and not outcome.success:
        for line in outcome.errors:
            print_error(line)
        raise typer.Exit(EXIT_FAILED)
    folder = study_results_dir(setup.plan.spec)
    _print_comparison(pd.read_csv(folder / "comparison.csv"), setup.metrics[0].name)
    out.print(f"results: {folder}" + (f"  (run {outcome.run_id})" if outcome and outcome.run_id else ""), highlight=False)


@app.command()
def show(
    study: str = typer.Argument(..., help="A study name or spec path."),
    metric: Optional[str] = typer.Option(None, help="Metric to show (default: the primary metric)."),
) -> None:
    """Print the comparison table of the study's last run."""
    from .spec import load_spec
    from .study import results_dir

    try:
        spec = load_spec(resolve_study(study))
    except AblationError as exc:
        fail(exc)
    path = results_dir(spec) / "comparison.csv"
    if not path.is_file():
        print_error(f"{path}: no results yet; run `ablation run {spec.name}` first")
        raise typer.Exit(EXIT_FAILED)
    table = pd.read_csv(path)
    metrics = list(dict.fromkeys(table["metric"]))
    chosen = metric or metrics[0]
    if chosen not in metrics:
        fail(SpecError(f"--metric: '{chosen}' is not in {path.name} (has {', '.join(metrics)}){did_you_mean(chosen, metrics)}"))
    _print_comparison(table, chosen)


@app.command("list")
def list_studies() -> None:
    """List the studies in the studies folder, with whether they have results."""
    from .spec import load_spec
    from .study import results_dir

    table = Table("study", "variants", "results", "description")
    for path in study_files():
        try:
            spec = load_spec(path)
            from .study import plan_study

            plan = plan_study(spec)
            result = results_dir(spec) / "comparison.csv"
            table.add_row(spec.name, str(len(plan.variants)), "yes" if result.is_file() else "-",
                          spec.description.strip().split(". ")[0][:70])
        except AblationError as exc:
            table.add_row(path.stem, "-", "-", f"[red]invalid:[/red] {escape(str(exc).splitlines()[0])}")
    out.print(table)


@app.command()
def ui(
    port: int = typer.Option(3000, help="Port for the Dagster UI on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind; keep the loopback default unless you mean it."),
) -> None:
    """Start the Dagster UI (`dagster dev`) on the same instance `ablation run` writes to."""
    import subprocess

    from .defs.runner import local_instance

    local_instance().dispose()  # creates DAGSTER_HOME with its dagster.yaml and exports it
    workspace = project_root() / "workspace.yaml"
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster) if dagster.exists() else "dagster", "dev", "-h", host, "-p", str(port)]
    command += ["-w", str(workspace)] if workspace.is_file() else ["-m", "ablation_pipeline.definitions"]
    out.print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']}); Ctrl-C stops it", highlight=False)
    raise typer.Exit(subprocess.call(command, cwd=project_root()))


def _print_comparison(table: pd.DataFrame, metric: str) -> None:
    rows = table[table["metric"] == metric]
    from .report import fmt_num, fmt_p

    view = Table(title=f"{metric}: variant - baseline (CI and p corrected for repeated CV)", title_justify="left")
    for column in ("variant", "baseline", "variant mean", "delta", "CI", "p adj.", "verdict"):
        view.add_column(column, justify="left" if column in ("variant", "verdict") else "right", no_wrap=True)
    for row in rows.itertuples():
        view.add_row(
            row.variant, fmt_num(row.baseline_mean), fmt_num(row.variant_mean), fmt_num(row.delta, signed=True),
            f"[{fmt_num(row.ci_low, signed=True)}, {fmt_num(row.ci_high, signed=True)}]", fmt_p(row.p_adjusted),
            f"[{VERDICT_STYLE.get(row.verdict, '')}]{row.verdict}[/]",
        )
    out.print(view)


def main() -> None:
    """Entry point: an unexpected AblationError anywhere still ends as one line, not a traceback."""
    try:
        app()
    except SystemExit as done:
        exit_now(done.code)
    except AblationError as exc:
        for line in str(exc).splitlines():
            print_error(line)
        exit_now(EXIT_BAD_INPUT)


def exit_now(code: int | str | None) -> NoReturn:
    """Leave without tearing the interpreter down. Everything a command produced is on disk by
    now (results written atomically, Dagster's records committed) and the exit handlers still run
    (joblib removes its temporary folders); unloading the ~3,400 modules of Dagster and
    scikit-learn only added ~1.5 s to every command."""
    if isinstance(code, str):
        print_error(code)
    _stop_joblib_workers()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else EXIT_FAILED))


def _stop_joblib_workers() -> None:
    """Idle fold workers are stopped, not joined (joining them costs ~0.5 s)."""
    warmup = sys.modules.get("ablation_pipeline.warmup")
    if warmup is not None:
        warmup.wait_for_workers()
    loky = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(loky, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


if __name__ == "__main__":
    main()
