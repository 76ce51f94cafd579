"""The bad-spec corpus, part two: inputs the schema used to accept and a run could not use, each of
which must now end `ablation validate` (and `ablation run`) with exit code 2, one stderr line per
problem and no traceback, before anything runs or is written. Classes: YAML resource bombs, spec
paths that are not regular files, duplicate keys, out-of-range values (seeds, non-finite numbers,
sizes, cron, timezone), estimators that cannot serve, and torch networks too large to build."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bad_input_cases import (
    ANSI,
    assert_lines,
    classification_frame,
    classification_spec,
    invoke,
    lines_of,
    nothing_written,
    reg,
    regression_frame,
    regression_spec,
    study,
)
from builders import MLP, linear_frame, mlp_spec, small_spec, write_study

BOMB_LINE = "YAML aliases expand to more than 100,000 nodes; a study spec does not need that"


def table_text(output: str) -> str:
    """A rich table's text with its borders gone and wrapped cells joined (one cell per row here)."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", ANSI.sub("", output)).split())


def bomb(indent: str) -> str:
    """A "billion laughs": nine levels of ten aliases each, 10^9 nodes once expanded, ~700 bytes."""
    lines = [f"{indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{indent}l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def with_section(spec: dict, key: str, text: str) -> str:
    """The spec as YAML with the section `key` replaced by raw YAML text."""
    rest = {k: v for k, v in spec.items() if k != key}
    return yaml.safe_dump(rest, sort_keys=False) + text


def bomb_in_params() -> str:
    return with_section(regression_spec(), "model", "model:\n  estimator: Ridge\n  params:\n" + bomb("    "))


def bomb_in_layer_args() -> str:
    layers = "".join(f"    - {json.dumps(layer)}\n" for layer in MLP["layers"][1:])
    text = "model:\n  network:\n    layers:\n    - name: hidden1\n      type: Linear\n      args:\n" + bomb("        ") + layers
    return with_section(mlp_spec(), "model", text)


# ---------------------------------------------------------------- 1. YAML resource bombs


@pytest.mark.timeout(10)
@pytest.mark.parametrize("text", [bomb_in_params, bomb_in_layer_args], ids=["model-params", "layer-args"])
def test_alias_bomb_is_refused_at_once(tmp_path: Path, text) -> None:
    path = study(tmp_path, text())
    assert len(bomb("")) < 800  # the bomb itself; the rest is an ordinary spec
    started = time.perf_counter()
    assert_lines(invoke("validate", path), path, BOMB_LINE)
    assert time.perf_counter() - started < 2


@pytest.mark.timeout(10)
def test_alias_bomb_run_writes_nothing(tmp_path: Path) -> None:
    path = study(tmp_path, bomb_in_params())
    assert_lines(invoke("run", path), path, BOMB_LINE)
    nothing_written(tmp_path)


@pytest.mark.timeout(10)
def test_alias_bomb_in_the_studies_folder_is_listed_as_invalid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    studies = tmp_path / "studies"
    write_study(studies, bomb_in_params(), regression_frame(), name="bomb.yaml")
    monkeypatch.setenv("ABLATION_STUDIES_DIR", str(studies))
    result = invoke("list")
    assert result.exit_code == 0, result.output
    assert f"invalid: {studies / 'bomb.yaml'}: {BOMB_LINE}" in table_text(result.stdout)


@pytest.mark.timeout(10)
def test_oversized_and_deeply_nested_specs(tmp_path: Path) -> None:
    big = study(tmp_path, "description: '" + "x" * (256 * 1024) + "'\n", folder="big")
    assert_lines(invoke("validate", big), big, f"{big.stat().st_size:,} bytes; a study spec is at most 256 KiB")
    deep = study(tmp_path, "name: " + "[" * 100 + "]" * 100 + "\n", folder="deep")
    assert_lines(invoke("validate", deep), deep, "YAML nested more than 64 levels deep (line 1); a study spec does not need that")


# ---------------------------------------------------------------- 2. spec paths that are not regular files


@pytest.fixture
def studies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "studies"
    folder.mkdir()
    monkeypatch.setenv("ABLATION_STUDIES_DIR", str(folder))
    return folder


@pytest.mark.timeout(10)
@pytest.mark.parametrize("kind, make", [
    ("a FIFO", lambda path: os.mkfifo(path)),
    ("a directory", lambda path: path.mkdir()),
    ("a character device", lambda path: path.symlink_to("/dev/zero")),
])
def test_a_study_that_is_not_a_regular_file_is_refused_without_blocking(studies: Path, kind: str, make) -> None:
    path = studies / "odd.yaml"
    make(path)
    assert_lines(invoke("validate", "odd"), path, f"not a regular file ({kind}); a study spec is a YAML file")
    assert f"invalid: {path}: not a regular file ({kind})" in table_text(invoke("list").stdout)


@pytest.mark.timeout(10)
def test_a_fifo_given_as_a_path_is_refused_without_blocking(tmp_path: Path) -> None:
    """`pipeline.paths.resolve_study` answers for a path before the spec loader does; either way
    one line, and never a blocked read."""
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    assert lines_of(invoke("validate", path)) in (
        [f"error: {path}: not a regular file (a FIFO); a study spec is a YAML file"], [f"error: {path}: file not found"])


@pytest.mark.timeout(10)
def test_run_of_a_fifo_writes_nothing(studies: Path, tmp_path: Path) -> None:
    path = studies / "pipe.yaml"
    os.mkfifo(path)
    assert_lines(invoke("run", "pipe"), path, "not a regular file (a FIFO); a study spec is a YAML file")
    nothing_written(tmp_path)


# ---------------------------------------------------------------- 3. duplicate keys


def test_duplicate_keys_are_named_with_their_lines(tmp_path: Path) -> None:
    text = yaml.safe_dump(regression_spec(), sort_keys=False).replace("  folds: 3\n", "  folds: 3\n  folds: 5\n")
    text = text.replace("name: tiny_study\n", "name: tiny_study\nname: other\n")
    path = study(tmp_path, text)
    lines = text.splitlines()
    folds = [i + 1 for i, line in enumerate(lines) if line.strip().startswith("folds:")]
    assert_lines(invoke("validate", path), path,
                 "name: key 'name' is given twice (lines 1 and 2); YAML would keep only the last, so give it once",
                 f"evaluation.folds: key 'folds' is given twice (lines {folds[0]} and {folds[1]}); "
                 "YAML would keep only the last, so give it once")


# ---------------------------------------------------------------- 4. values a run cannot use

NAN, INF = float("nan"), float("inf")
SEED = "a seed is between 0 and 4294967295 (2**32 - 1), got"


@pytest.mark.parametrize("changes, expected", [
    pytest.param({"evaluation__seed": 2**32}, [f"evaluation.seed: {SEED} 4294967296"], id="seed-too-big"),
    pytest.param({"evaluation__seed": -1}, [f"evaluation.seed: {SEED} -1"], id="seed-negative"),
    pytest.param({"statistics": {"alpha": NAN}}, ["statistics.alpha: Input should be a finite number, got nan"], id="alpha-nan"),
    pytest.param({"statistics": {"margin": {"rmse": INF}}},
                 ["statistics.margin.rmse: expected a positive number in the metric's units or a percentage such as '2%', got inf"],
                 id="margin-inf"),
    pytest.param({"model": {"estimator": "Ridge", "params": {"alpha": NAN}}}, ["model.params.alpha: expected a number, got nan"],
                 id="param-nan"),
    pytest.param({"model": {"estimator": "Ridge", "params": {"alpha": INF}}},  # scikit-learn's own constraint: inf is no alpha
                 ["model.params.alpha: The 'alpha' parameter of Ridge must be a float in the range [0.0, inf) or an array-like. "
                  "Got inf instead."], id="param-inf"),
    pytest.param({"ablations": [{"features": ["a"], "mode": "noise", "factors": [0.5, NAN]}]},
                 ["ablations[0].factors[1]: Input should be a finite number, got nan"], id="factor-nan"),
    pytest.param({"ablations": [{"features": ["a"], "mode": "noise", "factors": [0.5, -1.0]}]},
                 ["ablations[0].factors: noise factors are multiples of the training std and cannot be negative, got -1"],
                 id="noise-factor-negative"),
    pytest.param({"ablations": [{"param": "model.params.alpha", "values": [1.0, -INF]}]},
                 ["ablations[0].values[1]: expected a finite number, got -inf"], id="value-inf"),
    pytest.param({"name": "a" * 65}, ["name: 65 characters; a study name is at most 64 "
                                      "(it names the results folder and prefixes every Dagster asset key)"], id="long-name"),
    pytest.param({"evaluation__folds": 101}, ["evaluation.folds: Input should be less than or equal to 100, got 101"], id="folds"),
    pytest.param({"evaluation__repeats": 1000}, ["evaluation.repeats: Input should be less than or equal to 100, got 1000"],
                 id="repeats"),
    pytest.param({"ablations": [{"features": ["a"], "mode": "permute", "permutations": 10**6}]},
                 ["ablations[0].permutations: Input should be less than or equal to 1000, got 1000000"], id="permutations"),
    pytest.param({"ablations": [{"features": ["a"], "mode": "noise", "factors": [0.5] * 101}]},
                 ["ablations[0].factors: 101 entries; at most 100 are allowed"], id="factors"),
    pytest.param({"ablations": [{"param": "model.params.alpha", "values": list(range(1, 1002))}]},
                 ["ablations[0].values: 1001 entries; at most 100 are allowed"], id="values"),
])
def test_values_a_run_cannot_use(tmp_path: Path, changes: dict, expected: list[str]) -> None:
    path = study(tmp_path, reg(**changes))
    assert_lines(invoke("validate", path), path, *expected)


def test_scale_factors_may_be_negative(tmp_path: Path) -> None:
    spec = mlp_spec(ablations=[{"layers": ["hidden1"], "mode": "scale", "factors": [-0.5, 0.0, 1.0]}])
    assert invoke("validate", write_study(tmp_path, spec)).exit_code == 0


@pytest.mark.parametrize("cron, message", [
    ("61 * * * *", "minute 61 is out of range 0-59"),
    ("* * 31 2 *", "February has no day 31, so the schedule would never run"),
    ("*/0 * * * *", "minute '*/0': a step is at least 1"),
    ("0 3 * * mon-xyz", "day of week 'xyz' is not a number or a name (sun, mon, tue, wed, thu, fri, sat)"),
    ("0 25 * * *", "hour 25 is out of range 0-23"),
    ("0 3 * *", "expected 5 fields (minute hour day-of-month month day-of-week) such as '0 3 * * *', "
                "or @hourly, @daily, @weekly, @monthly, @yearly; got 4 in '0 3 * *'"),
])
def test_invalid_cron(tmp_path: Path, cron: str, message: str) -> None:
    path = study(tmp_path, reg(schedule={"cron": cron}))
    prefix = "" if message.startswith("expected") else f"'{cron}': "
    assert_lines(invoke("validate", path), path, f"schedule.cron: {prefix}{message}")


@pytest.mark.parametrize("timezone, hint", [
    ("Europe/Pariss", "; did you mean 'Europe/Paris'?"), ("europe/paris", "; did you mean 'Europe/Paris'?"),
    ("Mars/Olympus_Mons", ""), ("../../etc/passwd", ""),
])
def test_invalid_timezone(tmp_path: Path, timezone: str, hint: str) -> None:
    path = study(tmp_path, reg(schedule={"cron": "0 3 * * 1", "timezone": timezone}))
    assert_lines(invoke("validate", path), path,
                 f"schedule.timezone: unknown timezone '{timezone}' (expected an IANA name such as UTC or Europe/Paris){hint}")


def test_a_valid_schedule_passes(tmp_path: Path) -> None:
    path = study(tmp_path, reg(schedule={"cron": "30 2 * * mon-fri", "timezone": "Europe/Paris"}))
    assert invoke("validate", path).exit_code == 0


@pytest.mark.parametrize("line, field", [
    ('description: "bad \\ud800 text"', "description: 'bad \\ud800 text'"),
    ('statistics: {margin: {"rmse\\udcff": 0.1}}', "statistics.margin: 'rmse\\udcff'"),
])
def test_text_no_file_can_store_is_refused_before_any_fit(tmp_path: Path, line: str, field: str) -> None:
    """A lone surrogate (a YAML escape) passed validate and failed the report after every fit."""
    text = yaml.safe_dump({k: v for k, v in reg().items() if k not in ("description", "statistics")}, sort_keys=False) + line + "\n"
    path = study(tmp_path, text)
    assert_lines(invoke("validate", path), path, f"{field} holds a lone surrogate ('\\ud800'-style escape), which no file can "
                 "store; remove it")


@pytest.mark.parametrize("data, schedule, expected", [
    pytest.param({"source": "data.csv", "asset": "penguins"}, {},
                 "data: give exactly one of source (a data file or sklearn:<name>) or asset (a Dagster asset key)", id="both"),
    pytest.param({}, {}, "data: give exactly one of source (a data file or sklearn:<name>) or asset (a Dagster asset key)",
                 id="neither"),
    pytest.param({"asset": "raw penguins"}, {}, "data.asset: 'raw penguins' is not a Dagster asset key (expected names of "
                 "letters, digits and _, with / between the parts of a key of several parts, e.g. raw/penguins)", id="bad-key"),
    pytest.param({"asset": "penguins"}, {"cron": "0 3 * * *"}, "schedule.cron: a study that reads data.asset follows that asset "
                 "instead: set schedule.on_data_change: true (or schedule the upstream asset)", id="cron-on-asset"),
    pytest.param({"asset": "penguins", "features": ["a", "b", "c", "city"]}, {},
                 "data.asset: the rows are the Dagster asset 'penguins', which only the project that defines it can load: "
                 "materialize the study there (dg launch --assets ...), or give data.source a "
                 "file to run it from the command line", id="asset-outside-dagster"),
])
def test_where_the_rows_come_from(tmp_path: Path, data: dict, schedule: dict, expected: str) -> None:
    path = study(tmp_path, reg(data={**data, "target": "y"}, schedule=schedule))
    assert_lines(invoke("validate", path), path, expected)


# ---------------------------------------------------------------- 5. estimators


@pytest.mark.parametrize("spec, frame, message", [
    pytest.param(reg(model={"estimator": "KMeans"}), None, "KMeans is a clusterer, not a regressor; the task is regression",
                 id="clusterer"),
    pytest.param(reg(model={"estimator": "PCA"}), None, "PCA is a transformer, not a regressor; the task is regression", id="transformer"),
    pytest.param({**classification_spec(), "model": {"estimator": "Ridge"}}, classification_frame(),
                 "Ridge is a regressor, not a classifier; the task is classification", id="regressor-for-classes"),
    pytest.param({**classification_spec(), "model": {"estimator": "XGBClassifier"}}, classification_frame(),
                 "unknown estimator 'XGBClassifier': not a public scikit-learn estimator "
                 "(an estimator of another library is named by its module, "
                 "such as lightgbm.LGBMRegressor, from a module the project trusts)", id="xgboost"),
    pytest.param(reg(model={"estimator": "sklearn.conftest.X"}), None,
                 "'sklearn.conftest' is not one of scikit-learn's public estimator modules "
                 "(name a class such as Ridge, or its public path such as sklearn.linear_model.Ridge)", id="conftest"),
    pytest.param(reg(model={"estimator": "sklearn.linear_model._ridge.Ridge"}), None,
                 "'sklearn.linear_model._ridge' is not one of scikit-learn's public estimator modules; did you mean 'Ridge'?",
                 id="private-module"),
])
def test_estimators_that_cannot_serve(tmp_path: Path, spec: dict, frame, message: str) -> None:
    path = study(tmp_path, spec, frame)
    assert_lines(invoke("validate", path), path, f"model.estimator: {message}")


@pytest.mark.parametrize("estimator, arguments, classification", [
    ("Pipeline", "steps", False), ("StackingRegressor", "estimators", False), ("VotingClassifier", "estimators", True),
    ("GridSearchCV", "estimator, param_grid", False), ("ColumnTransformer", "transformers", False),
])
def test_meta_estimators_are_one_line(tmp_path: Path, estimator: str, arguments: str, classification: bool) -> None:
    spec = {**classification_spec(), "model": {"estimator": estimator}} if classification else reg(model={"estimator": estimator})
    path = study(tmp_path, spec, classification_frame() if classification else None)
    assert_lines(invoke("validate", path), path, f"model.estimator: {estimator} needs constructor arguments ({arguments}), "
                                                 "which a study spec cannot give; name a plain estimator")


def test_run_of_a_meta_estimator_writes_nothing(tmp_path: Path) -> None:
    path = study(tmp_path, reg(model={"estimator": "StackingRegressor"}))
    assert_lines(invoke("run", path), path, "model.estimator: StackingRegressor needs constructor arguments (estimators), "
                                            "which a study spec cannot give; name a plain estimator")
    nothing_written(tmp_path)


@pytest.mark.parametrize("model, expected", [
    pytest.param({"estimator": "Ridge", "params": {"alpha": {"a": 1}}},
                 ["model.params.alpha: Ridge takes no mapping for alpha, got {'a': 1}"], id="mapping-for-a-number"),
    pytest.param({"estimator": "RandomForestRegressor", "params": {"n_estimators": [1, 2], "max_depth": {"x": 1}}},
                 ["model.params.n_estimators: The 'n_estimators' parameter of RandomForestRegressor must be an int in the range "
                  "[1, inf). Got [1, 2] instead.",
                  "model.params.max_depth: RandomForestRegressor takes no mapping for max_depth, got {'x': 1}"], id="two-params"),
    pytest.param({"estimator": "MLPRegressor", "params": {"hidden_layer_sizes": [[8], 4]}},
                 ["model.params.hidden_layer_sizes: MLPRegressor takes a number or a flat list for hidden_layer_sizes, got [[8], 4]"],
                 id="nested-list"),
])
def test_params_of_the_wrong_structure(tmp_path: Path, model: dict, expected: list[str]) -> None:
    path = study(tmp_path, reg(model=model))
    assert_lines(invoke("validate", path), path, *expected)


@pytest.mark.timeout(120)
def test_naming_a_test_module_never_imports_it(tmp_path: Path) -> None:
    """`validate` in a fresh process: refusing `sklearn.conftest.X` must not import it, nor pytest."""
    path = study(tmp_path, reg(model={"estimator": "sklearn.conftest.X"}))
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom ablation_pipeline.cli import app\n"
        f"result = CliRunner().invoke(app, ['validate', {str(path)!r}])\n"
        "assert result.exit_code == 2, result.output\n"
        "print(sorted(m for m in sys.modules if m in ('pytest', 'sklearn.conftest', 'sklearn.utils._testing')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=110)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


# ---------------------------------------------------------------- 6. torch networks too large to build


def mlp_with(out_features: int, **changes) -> dict:
    spec = mlp_spec(**changes)
    spec["model"]["network"]["layers"][0]["args"]["out_features"] = out_features
    return spec


@pytest.mark.timeout(60)
def test_a_huge_layer_is_refused_without_building_it(tmp_path: Path) -> None:
    path = write_study(tmp_path, mlp_with(100_000_000))
    started = time.perf_counter()
    lines = lines_of(invoke("validate", path))
    assert time.perf_counter() - started < 10  # building it for real took ~20 s and 4 GB
    too_big = "layer 'hidden1' (Linear) brings the network to 700,000,000 parameters; at most 50,000,000 are allowed"
    assert lines == [f"error: {path}: model.network.layers[0]: {too_big}"] + [  # and each `remove` variant that keeps hidden1
        f"error: {path}: ablations[0]: removing '{name}' makes the network invalid: {too_big}" for name in ("act1", "hidden2", "act2")]


def test_too_many_parameters(tmp_path: Path) -> None:
    spec = mlp_with(1_000_000, ablations=[{"features": ["worst_area"], "mode": "permute", "permutations": 2}])
    spec["model"]["network"]["layers"][2]["args"]["out_features"] = 50
    path = write_study(tmp_path, spec)
    assert_lines(invoke("validate", path), path,
                 "model.network.layers[2]: layer 'hidden2' (Linear) brings the network to 57,000,050 parameters; "
                 "at most 50,000,000 are allowed")


@pytest.mark.timeout(60)
def test_swept_layer_sizes_are_built_and_measured(tmp_path: Path) -> None:
    spec = mlp_spec(ablations=[{"param": "model.network.layers.hidden1.args.out_features", "values": [64, 0, 100000000]}])
    path = write_study(tmp_path, spec)
    assert_lines(invoke("validate", path), path,
                 "ablations[0].values[1]: model.network.layers[0]: layer 'hidden1' (Linear) has out_features 0, so it outputs nothing",
                 "ablations[0].values[2]: model.network.layers[0]: layer 'hidden1' (Linear) brings the network to 700,000,000 "
                 "parameters; at most 50,000,000 are allowed")


def test_swept_epochs_are_checked_for_every_value(tmp_path: Path) -> None:
    path = write_study(tmp_path, mlp_spec(ablations=[{"param": "model.network.training.epochs", "values": [2, 0]}]))
    assert_lines(invoke("validate", path), path,
                 "ablations[0]: model.network.training.epochs: Input should be greater than or equal to 1, got 0")


def test_network_seed_and_learning_rate(tmp_path: Path) -> None:
    spec = mlp_spec()
    spec["model"]["network"]["training"].update(seed=2**32, lr=INF)
    path = write_study(tmp_path, spec)
    assert_lines(invoke("validate", path), path, f"model.network.training.seed: {SEED} 4294967296",
                 "model.network.training.lr: Input should be a finite number, got inf")


def test_small_studies_still_validate(tmp_path: Path) -> None:
    """Sanity: the bounds leave ordinary studies alone."""
    assert invoke("validate", write_study(tmp_path / "small", small_spec(), linear_frame())).exit_code == 0
    assert invoke("validate", write_study(tmp_path / "mlp", mlp_spec())).exit_code == 0
