"""The Python door: `run_study` as a notebook or a script calls it. In this process through the store
the command line uses (`pipeline.run`), or, with `record=True`, as the study's Dagster graph recorded
in the local instance so the UI shows the run. On top of everything; nothing imports it but the
package's public face."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import AblationError
from .pipeline import run
from .pipeline.paths import StudyPaths
from .pipeline.run import StudyResult
from .pipeline.setup import plan_study, set_up
from .spec.loading import load_spec
from .spec.schema import StudySpec
from .store.cache import ResultCache


def run_study(spec: StudySpec | str | Path | dict, out_dir: Path | None = None, cache: bool | ResultCache = True, *,
              estimator: Any = None, record: bool = False) -> StudyResult:
    """Run a study: a spec, the path of one, or a mapping of its fields.

    Returns the comparison and scores tables, the files written (into `out_dir`, default the study's
    results folder) and how many fits this call performed. `cache=True` uses the command line's store:
    a second identical call fits nothing. `estimator` is your own estimator object, trusted as your
    code, instead of the spec's model. `record=True` runs the study's Dagster graph in this process,
    recorded in the local instance (DAGSTER_HOME), so `dg dev` shows the run."""
    if not record:
        return run.run_study(spec, out_dir, cache, estimator=estimator)
    from rich.console import Console

    from .orchestration.cli_run import materialize_study

    spec = spec if isinstance(spec, StudySpec) else load_spec(spec)
    paths = StudyPaths.resolved()
    if out_dir is not None and Path(out_dir).resolve() != paths.results_dir(spec).resolve():
        raise AblationError(f"{spec.label}: run_study(record=True) writes into the study's results folder "
                            f"{paths.results_dir(spec)}; leave out_dir out, or set ABLATION_RESULTS_DIR")
    if cache is not True:
        raise AblationError(f"{spec.label}: run_study(record=True) uses the command line's store; leave cache out")
    setup = set_up(plan_study(spec, paths.result_cache(), estimator=estimator))
    outcome = materialize_study(setup, Console(stderr=True), paths=paths)
    if not outcome.success:
        raise AblationError("\n".join(outcome.errors))
    back = run.read_back(paths.results_dir(spec), run.replaced_model(spec, estimator))
    return StudyResult(back.scores, back.comparison, back.files, back.results_dir, outcome.fits, back.notes[:-1] if
                       outcome.assets else back.notes)
