"""The `ablation` command: validate, run (in the persistent local Dagster instance), show, list.

Expected failures (bad spec, bad data) print one line per problem and exit non-zero; they never
show a traceback. Dagster is imported only by the commands that run something."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import AblationError, Interrupted, SpecError, did_you_mean
from ..pipeline import paths
from ..pipeline.paths import StudyPaths, project_root, resolve_study, study_files
from ..vocabulary import Verdict
from .process import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, exit_now, hold_collector, quiet_resource_tracker, settle_heap
from .tables import print_comparison, print_interactions, read_comparison

if TYPE_CHECKING:  # the spec's module loads only when a command reads a spec
    from ..spec.schema import StudySpec

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Ablation studies as Dagster asset graphs.")
# piped output: wide enough for the tables, unless COLUMNS says how wide
out = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)
err = Console(stderr=True)

EXECUTORS = ("in_process", "multiprocess", "dask")  # the run configs of defs.executors; named here without importing Dagster


def print_error(line: str) -> None:
    """User text is printed verbatim: brackets in a path or column name are not markup."""
    err.print("[red]error:[/red]", escape(line), highlight=False, soft_wrap=True)


def fail(exc: AblationError) -> None:
    for line in str(exc).splitlines():
        print_error(line)
    raise typer.Exit(EXIT_BAD_INPUT)


RESULTS_ROOT_HELP = "Results root: each study writes into <root>/<study>, or <root>/<output.results_dir> (default data/results)."


@app.command()
def validate(
    study: str = typer.Argument(..., help="A study name from the studies folder or a path to a YAML spec."),
    results_dir: Path | None = typer.Option(None, help=RESULTS_ROOT_HELP),
) -> None:
    """Check a spec, its data and where it would write, without running anything."""
    try:
        setup = checked_study(study, StudyPaths.resolved(results_dir))
    except AblationError as exc:
        fail(exc)
    plan = setup.plan
    out.print(
        f"[green]ok[/green] {plan.spec.name}: {setup.dataset.n_rows} rows, {len(plan.features)} features, "
        f"task {setup.dataset.task}, {len(plan.variants)} variants, "
        f"{plan.spec.evaluation.design_text}, metrics {', '.join(m.name for m in setup.metrics)}",
        highlight=False,
    )
    print_notes(setup)


def print_notes(setup) -> None:
    """What the data lets the model hardly learn from (data_notes), one line each, before any result."""
    from ..data.dataset import data_notes

    for note in data_notes(setup.dataset):
        out.print(f"[yellow]note:[/yellow] {escape(setup.plan.spec.label)}: {escape(note)}", soft_wrap=True, highlight=False)


def checked_study(study: str, study_paths: StudyPaths):
    """The study set up against its data, once the spec, the data and every folder it writes are
    known to be fine: every problem one line, all of them before anything runs."""
    from ..pipeline.setup import check_study

    setup = check_study(resolve_study(study))
    problems = study_paths.problems(setup.plan.spec)
    if problems:
        raise SpecError("\n".join(problems))
    return setup


@app.command()
def run(
    study: str = typer.Argument(..., help="A study name from the studies folder or a path to a YAML spec."),
    results_dir: Path | None = typer.Option(None, help=RESULTS_ROOT_HELP),
    executor: str = typer.Option("in_process", help="in_process | multiprocess | dask"),
    dask_address: str | None = typer.Option(None, help="An existing Dask scheduler (tcp://host:8786); default: a local cluster."),
    force: bool = typer.Option(False, "--force", help="Ignore cached fits: refit everything (and refresh the cache)."),
    verbose: bool = typer.Option(False, "--verbose", help="Show the step processes' Dagster log lines too."),
) -> None:
    """Materialize the study's whole asset graph in the local Dagster instance (visible in `dagster dev`)."""
    if executor not in EXECUTORS:
        fail(SpecError(f"--executor: unknown executor '{executor}', expected one of {', '.join(EXECUTORS)}"
                       f"{did_you_mean(executor, EXECUTORS)}"))
    if dask_address and executor != "dask":
        fail(SpecError("--dask-address: only meaningful with --executor dask"))
    if executor == "dask":
        from ..orchestration.executors import dask_problem

        problem = dask_problem()
        if problem:
            fail(SpecError(problem))
    from ..spec.loading import load_spec

    study_paths = StudyPaths.resolved(results_dir)
    try:
        spec = load_spec(resolve_study(study))
    except AblationError as exc:
        fail(exc)
    folder = None if force else unchanged_results(spec, study_paths)
    if folder is not None:  # computed from exactly this spec and data: nothing to set up, no Dagster
        say_up_to_date(spec.name)
        print_results(spec.name, spec.evaluation.folds, folder)  # comparison.csv lists the primary metric first
        return
    # said before the check, which imports scikit-learn and plans every variant: a large plan takes seconds
    out.print(f"{spec.name}: checking the spec and {spec.data.origin} ...", highlight=False, soft_wrap=True)
    try:
        setup = checked_study(study, study_paths)  # every input problem surfaces before anything runs
    except AblationError as exc:
        fail(exc)
    print_notes(setup)
    from ..pipeline.results import results_are_current

    folder = study_paths.results_dir(setup.plan.spec)
    if not force and results_are_current(setup, folder):  # e.g. only the description changed
        say_up_to_date(setup.plan.spec.name)
        print_results(setup.plan.spec.name, setup.plan.spec.evaluation.folds, folder, setup.metrics[0].name)
        return
    from ..orchestration.cli_run import materialize_study

    settle_heap()  # what set-up made lives as long as the command: the run's collections skip it
    try:
        outcome = materialize_study(setup, console=out, executor=executor, dask_address=dask_address, force=force,
                                    paths=study_paths, verbose=verbose)
    except Interrupted as exc:
        print_error(str(exc))
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if outcome.assets == 0:
        say_up_to_date(setup.plan.spec.name)
    if not outcome.success:
        for line in outcome.errors:
            print_error(line)
        raise typer.Exit(EXIT_FAILED)
    print_results(setup.plan.spec.name, setup.plan.spec.evaluation.folds, folder, setup.metrics[0].name, outcome.run_id)


def unchanged_results(spec: StudySpec, study_paths: StudyPaths) -> Path | None:
    """The results folder when it holds intact results of exactly this spec and the data's current
    bytes; None otherwise, or on any problem (the full check then reports it)."""
    from ..pipeline.state import unchanged_since_last_run

    try:
        folder = study_paths.results_dir(spec)
        return folder if unchanged_since_last_run(spec, folder) else None
    except AblationError:
        return None


def say_up_to_date(name: str) -> None:
    out.print(f"{name} is up to date: nothing changed since the last run (use --force to refit)", highlight=False)


def print_results(name: str, folds: int, folder: Path, metric: str | None = None, run_id: str | None = None) -> None:
    """The table of `metric` (default: the first in comparison.csv, the primary), its interactions and
    where the results are; exit 1 if a variant failed."""
    table = read_comparison(folder / "comparison.csv")
    if table is None:
        print_error(f"{folder / 'comparison.csv'}: cannot be read as results; run `ablation run {name} --force`")
        raise typer.Exit(EXIT_FAILED)
    primary = metric or str(table[0]["metric"])
    print_comparison(out, table, primary, folds)
    print_interactions(out, folder, primary)
    out.print(f"results: {folder}" + (f"  (run {run_id})" if run_id else ""), highlight=False)
    failed = {str(row["variant"]): row["reason"] for row in table if row["verdict"] == Verdict.FAILED}
    for variant, reason in failed.items():
        print_error(f"{name}/{variant}: {reason}")
    if failed:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def show(
    study: str = typer.Argument(..., help="A study name or spec path."),
    metric: str | None = typer.Option(None, help="Metric to show (default: the primary metric)."),
    results_dir: Path | None = typer.Option(None, help=RESULTS_ROOT_HELP),
) -> None:
    """Print the comparison table of the study's last run."""
    from ..spec.loading import load_spec

    try:
        spec = load_spec(resolve_study(study))
        path = StudyPaths.resolved(results_dir).results_dir(spec) / "comparison.csv"
    except AblationError as exc:
        fail(exc)
    if not path.is_file():
        print_error(f"{path}: no results yet; run `ablation run {spec.name}` first")
        raise typer.Exit(EXIT_FAILED)
    table = read_comparison(path)
    if table is None:
        print_error(f"{path}: cannot be read as results (damaged or cut short); run `ablation run {spec.name}` again")
        raise typer.Exit(EXIT_FAILED)
    metrics = list(dict.fromkeys(str(row["metric"]) for row in table))
    chosen = metric or metrics[0]
    if chosen not in metrics:
        fail(SpecError(f"--metric: '{chosen}' is not in {path.name} (has {', '.join(metrics)}){did_you_mean(chosen, metrics)}"))
    print_comparison(out, table, chosen, spec.evaluation.folds)
    print_interactions(out, path.parent, chosen)


@app.command()
def layers(study: str = typer.Argument(..., help="A study name or spec path whose model is a torch network.")) -> None:
    """Print the network's layers as ablations name them: dotted name, type, output shape, parameters, and
    whether mode remove can take the layer out."""
    from ..pipeline.setup import study_layers

    try:
        rows = study_layers(resolve_study(study))
    except AblationError as exc:
        fail(exc)
    table = Table("layer", "type", "output", "parameters", "remove")
    for row in rows:
        removable = "yes" if row.removable else "no" if row.called else "-"
        table.add_row(escape("  " * row.name.count(".") + row.name), row.type, row.output_shape, f"{row.parameters:,}", removable)
    out.print(table)
    numeric = next((row.name for row in rows if not _yaml_reads_as_text(row.name)), None)  # 0, 0.1 in a Sequential
    quoted = f" Quote a numeric name in YAML (layers: ['{numeric}']), or it is read as a number." if numeric else ""
    out.print("Name any of these in ablations[].layers; `layers: each` takes the top-level ones. `remove` needs a layer whose "
              f"output has its input's shape; mode zero works on any.{quoted}", highlight=False)


def _yaml_reads_as_text(name: str) -> bool:
    """Whether a spec may write `name` unquoted: YAML reads 0 as a number, and an nn.ModuleDict key may be anything."""
    import yaml

    try:
        return isinstance(yaml.safe_load(name), str)
    except yaml.YAMLError:
        return False


@app.command("list")
def list_studies(
    folder: Path | None = typer.Argument(None, help="Folder of study specs (default: ABLATION_STUDIES_DIR, else data/studies).",
                                         show_default=False),
) -> None:
    """List the studies in the studies folder, with whether they have results."""
    from ..pipeline.setup import plan_study
    from ..spec.loading import load_spec

    folder = folder or paths.studies_dir()
    files = study_files(folder)
    if not files:
        out.print(f"no study specs (*.yaml, *.yml) in {escape(str(folder))}; name a folder (`ablation list FOLDER`) "
                  "or set ABLATION_STUDIES_DIR", soft_wrap=True, highlight=False)
        return
    table = Table("study", "variants", "results", "description")
    invalid = []
    cache = paths.StudyPaths.resolved().result_cache()  # what the data told an earlier plan: no data read again
    for path in files:
        try:
            spec = load_spec(path)
            plan = plan_study(spec, cache)
            result = paths.results_dir(spec) / "comparison.csv"
            table.add_row(spec.name, str(len(plan.variants)), "yes" if result.is_file() else "-",
                          spec.description.strip().split(". ")[0][:70])
        except AblationError as exc:
            table.add_row(path.stem, "-", "-", "[red]invalid[/red] (below)")
            invalid.append(str(exc).splitlines()[0])
    out.print(table)
    for line in invalid:  # whole, on one line each: a path in a table cell would be cut
        out.print(f"[red]invalid:[/red] {escape(line)}", soft_wrap=True, highlight=False)


@app.command()
def ui(
    port: int = typer.Option(3000, help="Port for the Dagster UI on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind; keep the loopback default unless you mean it."),
) -> None:
    """Start the Dagster UI (`dagster dev`) on the same instance `ablation run` writes to."""
    import subprocess

    from ..orchestration.cli_run import local_instance

    local_instance().dispose()  # creates DAGSTER_HOME with its dagster.yaml and exports it
    workspace = project_root() / "workspace.yaml"
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster) if dagster.exists() else "dagster", "dev", "-h", host, "-p", str(port)]
    command += ["-w", str(workspace)] if workspace.is_file() else ["-m", "ablation_pipeline.definitions"]
    out.print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']}); Ctrl-C stops it", highlight=False)
    raise typer.Exit(subprocess.call(command, cwd=project_root()))


def main() -> None:
    """Entry point: an unexpected AblationError anywhere still ends as one line, not a traceback."""
    quiet_resource_tracker()
    hold_collector()
    try:
        app()
    except SystemExit as done:
        exit_now(done.code, print_error)
    except AblationError as exc:
        for line in str(exc).splitlines():
            print_error(line)
        exit_now(EXIT_BAD_INPUT, print_error)
