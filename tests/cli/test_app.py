"""The `ablation` command: validate, run, show, list, as a user and as a process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import dagster as dg
import pandas as pd
from typer.testing import CliRunner

from ablation_pipeline.cli import app

from builders import REPO, linear_frame, small_spec, write_study

runner = CliRunner()


def test_validate_prints_a_summary(small_study):
    result = runner.invoke(app, ["validate", str(small_study)])
    assert result.exit_code == 0, result.output
    summary = "ok small: 120 rows, 5 features, task regression, 7 variants, 3 folds x 2 repeats, metrics rmse, r2"
    assert summary in " ".join(result.output.split())


def test_run_then_show_then_list(small_study, tmp_path, monkeypatch):
    monkeypatch.setenv("ABLATION_STUDIES_DIR", str(small_study.parent))
    result = runner.invoke(app, ["run", "small", "--results-dir", str(tmp_path / "res")])
    assert result.exit_code == 0, result.output
    assert "drop__ab" in result.output and "essential" in result.output
    assert "13/13" in result.output  # progress reached every step
    folder = tmp_path / "res" / "small"
    assert {p.name for p in folder.iterdir()} >= {"comparison.csv", "scores.csv", "report.md", "forest_rmse.png"}
    # the run is recorded in the persistent instance the UI reads
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].is_success
        assert instance.get_latest_materialization_event(dg.AssetKey(["small", "report"])) is not None

    monkeypatch.setenv("ABLATION_RESULTS_DIR", str(tmp_path / "res"))
    shown = runner.invoke(app, ["show", "small", "--metric", "r2"])
    assert shown.exit_code == 0, shown.output
    table = pd.read_csv(folder / "comparison.csv")
    verdict = table[(table.metric == "r2") & (table.variant == "drop__c")].verdict.item()
    assert "r2: variant - baseline" in shown.output and verdict in shown.output

    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0 and "small" in listed.output and "yes" in listed.output


def test_show_without_results_says_what_to_do(small_study):
    result = runner.invoke(app, ["show", str(small_study)])
    assert result.exit_code == 1
    assert "no results yet; run `ablation run small` first" in " ".join(result.stderr.split())


def test_list_marks_a_broken_spec_instead_of_crashing(small_study, monkeypatch):
    (small_study.parent / "broken.yaml").write_text("name: broken\nmodel: {estimator: Ridge}\n")
    monkeypatch.setenv("ABLATION_STUDIES_DIR", str(small_study.parent))
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "invalid" in result.output and "small" in result.output


def test_list_takes_a_folder_and_says_when_it_has_no_studies(small_study, tmp_path, monkeypatch):
    monkeypatch.setenv("ABLATION_STUDIES_DIR", str(tmp_path / "nothing here"))
    empty = runner.invoke(app, ["list"])
    assert empty.exit_code == 0 and "no study specs (*.yaml, *.yml) in" in empty.output and "ablation list FOLDER" in empty.output
    named = runner.invoke(app, ["list", str(small_study.parent)])
    assert named.exit_code == 0 and "small" in named.output


def test_console_script_runs_as_a_process(small_study):
    exe = Path(sys.executable).with_name("ablation")
    done = subprocess.run([str(exe), "validate", str(small_study)], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)
    assert done.returncode == 0 and "ok small" in done.stdout


def processes_with(token: str) -> list[int]:
    """Live processes whose environment carries `token` (fold workers inherit the run's environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def printed_table(stdout: str) -> str:
    """The comparison table a run prints, from its title to the line saying where the results are."""
    table = stdout[stdout.index("rmse: variant - baseline"):stdout.index("results:")]
    assert "drop__a" in table
    return table


def test_run_as_a_process_leaves_nothing_behind(small_study):
    """`ablation run` exits without tearing the interpreter down, yet its fold workers are stopped
    and joblib's temporary folders removed (no leak warning); the second run finds nothing to do."""
    exe = Path(sys.executable).with_name("ablation")
    token = f"ablation-test-{uuid.uuid4().hex}"
    env = {**os.environ, "COLUMNS": "200", "ABLATION_TEST_TOKEN": token}
    first = subprocess.run([str(exe), "run", str(small_study)], capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Warning" not in first.stderr and "leaked" not in first.stderr, first.stderr
    assert "drop__a" in first.stdout and (Path(os.environ["ABLATION_RESULTS_DIR"]) / "small" / "comparison.csv").is_file()
    assert processes_with(token) == []
    second = subprocess.run([str(exe), "run", str(small_study)], capture_output=True, text=True, env=env, timeout=300)
    assert second.returncode == 0 and "up to date" in second.stdout, second.stdout + second.stderr
    assert processes_with(token) == []
    assert printed_table(second.stdout) == printed_table(first.stdout)


def test_an_unchanged_study_is_answered_without_pandas_scikit_learn_or_dagster(small_study):
    """The no-op run hashes the spec and the data's bytes against state.json and prints the table:
    none of the heavy libraries a run needs is even imported."""
    env = {**os.environ, "COLUMNS": "200"}
    command = [sys.executable, "-X", "importtime", "-m", "ablation_pipeline.cli", "run", str(small_study)]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0 and "sklearn" in first.stderr, first.stdout + first.stderr[-2000:]
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0 and "small is up to date" in again.stdout, again.stdout + again.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in again.stderr.splitlines() if line.startswith("import time:")}
    assert not {"sklearn", "dagster", "matplotlib", "torch", "scipy", "pandas", "numpy"} & imported
    assert printed_table(again.stdout) == printed_table(first.stdout)


def test_unknown_executor_is_a_clear_error(small_study):
    result = CliRunner().invoke(app, ["run", str(small_study), "--executor", "dsak"])
    assert result.exit_code == 2
    assert "--executor: unknown executor 'dsak', expected one of in_process, multiprocess, dask; did you mean 'dask'?" in result.stderr


def test_mostly_inconclusive_verdicts_come_with_one_line_on_what_would_decide_them(tmp_path, monkeypatch):
    """Noise features on 3 splits: too few to decide; `run` and `show` say so, in one line each."""
    import numpy as np


    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 4)), columns=["a", "b", "c", "d"]).assign(y=lambda f: f.a + rng.normal(size=60))
    spec = small_spec(evaluation={"folds": 3, "repeats": 1, "seed": 0, "metrics": ["rmse"]},
                      data={"source": "data.csv", "target": "y"}, ablations=[{"features": ["b", "c", "d"], "mode": "drop"}],
                      statistics={"simplify": False})
    path = write_study(tmp_path / "study", spec, frame)
    run = runner.invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "res")])
    assert run.exit_code == 0, run.output
    table = pd.read_csv(tmp_path / "res" / "small" / "comparison.csv")
    assert (table.verdict == "inconclusive").mean() > 0.5
    show = runner.invoke(app, ["show", str(path), "--results-dir", str(tmp_path / "res")])
    for output in (run.output, show.output):
        hints = [line for line in output.splitlines() if "variants are inconclusive on rmse" in line]
        assert len(hints) == 1 and "see report.md" in hints[0], output
    assert "## What would decide the inconclusive variants (rmse)" in (tmp_path / "res" / "small" / "report.md").read_text()


def test_run_and_show_print_the_interactions(tmp_path):
    path = write_study(tmp_path / "study", small_spec(interactions={"pairs": [["a", "b"]]}), linear_frame())
    result = runner.invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "res")])
    assert result.exit_code == 0, result.output
    row = pd.read_csv(tmp_path / "res" / "small" / "interactions.csv").iloc[0]
    line = f"interaction a:b (drop): {row.kind}, I = Δ_AB − Δ_A − Δ_B = "
    assert line in result.output
    shown = runner.invoke(app, ["show", str(path), "--results-dir", str(tmp_path / "res")])
    assert shown.exit_code == 0 and line in shown.output
