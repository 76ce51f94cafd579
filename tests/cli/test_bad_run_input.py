"""The bad-input corpus, part three: data a run could not use, folders a run could not write, and
what a run writes. Each case ends `ablation validate` (and, where marked, `ablation run`) with exit
code 2, one stderr line per problem naming the file and the field, no traceback, nothing written."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest

from bad_input_cases import (
    assert_lines,
    classification_frame,
    classification_spec,
    invoke,
    nothing_written,
    reg,
    regression_frame,
    study,
)


def test_data_with_no_feature_column(tmp_path):
    path = study(tmp_path, reg(data__groups={}, ablations=[{"features": "each"}]), regression_frame()[["y"]])
    assert_lines(invoke("validate", path), path, "data.source: the data has no column besides the target 'y'")
    nothing_written(tmp_path)


@pytest.mark.parametrize("column", ["b", "y"])
def test_infinite_values_in_a_feature_or_the_target(tmp_path, column):
    frame = regression_frame()
    frame.loc[[3, 8], column] = np.inf
    path = study(tmp_path, reg(), frame)
    field = "data.target" if column == "y" else "data.features"
    kind = "column 'y'" if column == "y" else "column 'b'"
    assert_lines(invoke("validate", path), path, f"{field}: {kind} has 2 infinite value(s); drop or fix those rows")
    nothing_written(tmp_path)


def test_too_few_rows_for_the_folds_and_their_scores(tmp_path):
    path = study(tmp_path, reg(evaluation__folds=20), regression_frame(n=30))
    assert_lines(invoke("validate", path), path,
                 "evaluation.folds: 20 folds need at least 40 rows (2 per test fold, for the metrics); the data has 30")
    nothing_written(tmp_path)


def test_a_repeated_column_name_is_refused(tmp_path):
    path = study(tmp_path, reg())
    (path.parent / "data.csv").write_text("a,b,a,c,city,y\n" + "\n".join(f"{i},{i},{i},{i},x,{i}" for i in range(40)) + "\n")
    assert_lines(invoke("validate", path), path, "data.source: column 'a' appears more than once in the header of data.csv")
    nothing_written(tmp_path)


@pytest.mark.parametrize(("changes", "line"), [
    ({"data__categorical": ["y"]}, "data.categorical[0]: 'y' is the target, not a feature"),
    ({"data__groups": {"ab": ["a", "y"]}}, "data.groups.ab[1]: 'y' is the target, not a feature"),
])
def test_the_target_named_as_a_feature_says_it_is_the_target(tmp_path, changes, line):
    path = study(tmp_path, reg(**changes))
    assert_lines(invoke("validate", path), path, line)
    nothing_written(tmp_path)


def test_a_fifo_named_like_data_is_refused_at_once(tmp_path):
    path = study(tmp_path, reg(data__source="data.csv"))
    (path.parent / "data.csv").unlink()
    os.mkfifo(path.parent / "data.csv")
    assert_lines(invoke("validate", path), path, f"data.source: {path.parent / 'data.csv'} is not a regular file")
    nothing_written(tmp_path)


@pytest.mark.parametrize(("metric", "line"), [
    ("log_loss", "evaluation.metrics[0]: 'log_loss' needs predicted probabilities, which LinearSVC with these params does not give"),
    ("roc_auc", "evaluation.metrics[0]: 'roc_auc' needs predicted probabilities, which LinearSVC with these params does not give"),
])
def test_a_metric_the_estimator_cannot_compute(tmp_path, metric, line):
    spec = classification_spec()
    spec["model"] = {"estimator": "LinearSVC"}
    spec["evaluation"]["metrics"] = [metric]
    frame = classification_frame({"cat": 14, "dog": 13, "fox": 13})  # three classes: ROC AUC needs probabilities
    path = study(tmp_path, spec, frame)
    assert_lines(invoke("validate", path), path, line)
    assert_lines(invoke("run", path), path, line)
    nothing_written(tmp_path)


def test_roc_auc_of_two_classes_can_use_decision_scores(tmp_path):
    spec = classification_spec()
    spec["model"] = {"estimator": "LinearSVC"}
    spec["evaluation"]["metrics"] = ["roc_auc"]
    assert invoke("validate", study(tmp_path, spec, classification_frame())).exit_code == 0


# ---------------------------------------------------------------- where a run writes


@pytest.mark.parametrize("results_dir", ["/etc", "../outside", "inner/../../outside"])
def test_a_spec_cannot_write_outside_the_results_root(tmp_path, results_dir):
    path = study(tmp_path, reg(output={"results_dir": results_dir}))
    root = tmp_path / "results"
    line = (f"output.results_dir: '{results_dir}' is not a folder inside the results root {root}; "
            "name a sub-folder, or choose the root with --results-dir")
    assert_lines(invoke("validate", path), path, line)
    assert_lines(invoke("run", path), path, line)
    nothing_written(tmp_path)
    assert not (tmp_path / "outside").exists()


def test_a_results_folder_of_someone_elses_files_is_refused_and_left_alone(tmp_path):
    path = study(tmp_path, reg())
    theirs = tmp_path / "elsewhere" / "tiny_study"
    theirs.mkdir(parents=True)
    (theirs / "report.md").write_text("my own notes")
    (theirs / "budget.xlsx").write_bytes(b"numbers")
    result = invoke("run", path, "--results-dir", tmp_path / "elsewhere")
    assert_lines(result, theirs, "--results-dir: holds files ablation_pipeline did not write (it has no .ablation-results.json); "
                                 "choose an empty or new folder")
    assert (theirs / "report.md").read_text() == "my own notes" and sorted(p.name for p in theirs.iterdir()) == ["budget.xlsx", "report.md"]


def test_a_folder_of_only_names_we_would_write_is_not_taken_for_ours(tmp_path):
    """Ownership by proof, not by name: a user's own report.md and comparison.csv, in a folder without our
    manifest, are refused and left as they are."""
    path = study(tmp_path, reg())
    theirs = tmp_path / "elsewhere" / "tiny_study"
    theirs.mkdir(parents=True)
    (theirs / "report.md").write_text("my own notes")
    (theirs / "comparison.csv").write_text("mine,too\n")
    result = invoke("run", path, "--results-dir", tmp_path / "elsewhere")
    assert_lines(result, theirs, "--results-dir: holds files ablation_pipeline did not write (it has no .ablation-results.json); "
                                 "choose an empty or new folder")
    assert (theirs / "report.md").read_text() == "my own notes" and (theirs / "comparison.csv").read_text() == "mine,too\n"


def test_results_never_replace_a_file_this_project_did_not_write(tmp_path):
    path = study(tmp_path, reg())
    assert invoke("run", path).exit_code == 0
    folder = tmp_path / "results" / "tiny_study"
    (folder / "forest_rmse.png").unlink()
    (folder / "forest_rmse.png").write_text("someone put this here")
    # the manifest does not list it any more: only a file we wrote and still own may be replaced
    manifest = json.loads((folder / ".ablation-results.json").read_text())
    manifest["files"].remove("forest_rmse.png")
    (folder / ".ablation-results.json").write_text(json.dumps(manifest))
    (folder / "state.json").unlink()  # not current any more: the report is written again
    result = invoke("run", path)
    assert result.exit_code == 1 and "forest_rmse.png: not written by ablation_pipeline" in result.stderr
    assert (folder / "forest_rmse.png").read_text() == "someone put this here"


@pytest.mark.parametrize("where", ["file", "readonly", "full"])
def test_an_unusable_results_folder_is_found_before_anything_runs(tmp_path, where, monkeypatch):
    path = study(tmp_path, reg())
    if where == "file":
        (tmp_path / "root").write_text("not a folder")
        root, line = tmp_path / "root", f"{tmp_path / 'root'}: --results-dir: is a file, not a folder"
    elif where == "readonly":
        root, line = Path("/proc/ablation_results"), "/proc: --results-dir: cannot write here"
    else:
        monkeypatch.setenv("ABLATION_MIN_FREE_MB", "1e12")
        root, line = tmp_path / "results", f"{tmp_path}: --results-dir: only"
    for command in ("validate", "run"):
        result = invoke(command, path, "--results-dir", root)
        assert result.exit_code == 2 and any(line in text for text in result.stderr.splitlines()), result.stderr
    assert not (tmp_path / "cache").exists() and not (tmp_path / "dagster_home").exists()


def test_a_cache_or_dagster_home_that_is_a_file_is_found_before_anything_runs(tmp_path, monkeypatch):
    path = study(tmp_path, reg())
    (tmp_path / "cache_file").write_text("x")
    (tmp_path / "home_file").write_text("x")
    monkeypatch.setenv("ABLATION_CACHE_DIR", str(tmp_path / "cache_file"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home_file"))
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'cache_file'}: ABLATION_CACHE_DIR: is a file, not a folder" in result.stderr
    assert f"error: {tmp_path / 'home_file'}: DAGSTER_HOME: is a file, not a folder" in result.stderr


# ---------------------------------------------------------------- what a run writes


def test_a_column_name_cannot_become_a_spreadsheet_formula(tmp_path):
    frame = regression_frame().rename(columns={"c": '=HYPERLINK("http://x.example","click")'})
    spec = reg(data__groups={}, ablations=[{"features": "each", "mode": "drop"}])
    path = study(tmp_path, spec, frame)
    assert invoke("run", path).exit_code == 0
    with (tmp_path / "results" / "tiny_study" / "comparison.csv").open(newline="") as handle:
        components = [row["components"] for row in csv.DictReader(handle)]
    assert "'=HYPERLINK(\"http://x.example\",\"click\")" in components
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in components)
