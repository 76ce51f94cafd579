"""The bad-input corpus: every malformed spec or unfit data set must end `ablation validate` and
`ablation run` with exit code 2 and one stderr line per problem,

    error: <spec file>: <field path>: <message>

with a "did you mean" hint where a close name exists, never a traceback, and without `run` writing
anything into the results folder. Each test writes its own spec and data into tmp_path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ablation_pipeline.cli import app

from bad_input_cases import (
    ANSI,
    N_ROWS,
    assert_nothing_run,
    classification_frame,
    classification_spec,
    reg,
    regression_frame,
    regression_spec,
    snapshot,
    study,
)
from builders import MLP, linear_frame, mlp_spec, small_spec, write_study

# ---------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real Dagster instance or results; `run --results-dir` sets
    ABLATION_RESULTS_DIR in os.environ, so register it with monkeypatch to be restored."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("ABLATION_RESULTS_DIR", str(tmp_path / "default_results"))
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def validate(spec_path: Path):
    return invoke("validate", spec_path)


def error_lines(text: str) -> list[str]:
    return [line for line in ANSI.sub("", text).splitlines() if line.strip()]


def split_line(line: str, spec_path: Path | str) -> tuple[str, str]:
    """'error: <spec>: <field>: <message>' -> (field, message)."""
    prefix = f"error: {spec_path}: "
    assert line.startswith(prefix), f"line does not start with {prefix!r}: {line!r}"
    field, sep, message = line[len(prefix):].partition(": ")
    assert sep, f"no field path in {line!r}"
    return field, message


def assert_clean_exit(result) -> list[str]:
    """Exit code 2 through SystemExit (not another exception), no traceback, nothing on stdout but `run`'s
    first line; returns the stderr lines."""
    output = ANSI.sub("", result.output)
    assert "Traceback" not in output, output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, output)
    assert_nothing_run(result.stdout)
    return error_lines(result.stderr)


def assert_bad_input(result, spec_path: Path | str, *expected: tuple[str, ...]) -> list[str]:
    """assert_clean_exit, and exactly one stderr line `error: <spec>: <field>: <message>` per
    expected problem. Each expectation is (field path, key words of the message ...)."""
    lines = assert_clean_exit(result)
    assert len(lines) == len(expected), f"expected {len(expected)} line(s), got:\n" + "\n".join(lines)
    remaining = list(lines)
    for field, *words in expected:
        match = next(
            (line for line in remaining
             if split_line(line, spec_path)[0] == field and all(w in split_line(line, spec_path)[1] for w in words)),
            None,
        )
        assert match is not None, f"no line for {field} with {words}; got:\n" + "\n".join(lines)
        remaining.remove(match)
    return lines


def test_the_base_specs_are_valid(tmp_path: Path) -> None:
    """Sanity: every bad case below breaks exactly one thing in these valid studies."""
    ok = validate(study(tmp_path, regression_spec()))
    assert ok.exit_code == 0, ok.output
    assert "ok tiny_study" in ok.stdout
    ok = validate(study(tmp_path, classification_spec(), classification_frame(), folder="cls"))
    assert ok.exit_code == 0, ok.output
    assert "task classification" in ok.stdout


# ---------------------------------------------------------------- the data


def test_missing_data_file(tmp_path: Path) -> None:
    path = study(tmp_path, reg(data__source="nope.csv"))
    (path.parent / "data.csv").unlink()
    assert_bad_input(validate(path), path, ("data.source", "file not found", "nope.csv"))


@pytest.mark.parametrize(
    "payload, words",
    [
        pytest.param(b"\x00\xff\xfe\x00garbage\x80\x81\n\x00\x00\xc3\x28\n", ("cannot read", "utf-8"), id="binary-garbage"),
        pytest.param(b"a,b,c,city,y\n1,2,3,\xff\xfe,4\n", ("cannot read", "utf-8"), id="invalid-utf8"),
        pytest.param(b"", ("cannot read", "No columns"), id="empty-file"),
    ],
)
def test_unreadable_csv(tmp_path: Path, payload: bytes, words: tuple[str, ...]) -> None:
    path = study(tmp_path, regression_spec())
    (path.parent / "data.csv").write_bytes(payload)
    lines = assert_bad_input(validate(path), path, ("data.source", *words))
    assert str(path.parent / "data.csv") in lines[0]


def test_unknown_target_suggests_close_column(tmp_path: Path) -> None:
    path = study(tmp_path, reg(data__target="yy"))
    assert_bad_input(validate(path), path, ("data.target", "unknown column 'yy'", "did you mean 'y'?"))


def test_target_with_missing_values(tmp_path: Path) -> None:
    frame = regression_frame()
    frame.loc[[3, 7], "y"] = None
    path = study(tmp_path, regression_spec(), frame)
    assert_bad_input(validate(path), path, ("data.target", "'y'", "2 missing value"))


@pytest.mark.parametrize("column, cells, words", [
    ("b", [[1.0, 2.0]] * N_ROWS, ("data.features", "column 'b' holds ndarray values (row 1: array([1., 2.]))")),
    ("city", [{"x": 1}] * N_ROWS, ("data.features", "column 'city' holds dict values (row 1: {'x': 1})")),
    ("y", [b"\x00"] * N_ROWS, ("data.target", "column 'y' holds bytes values")),
])
def test_cells_no_model_takes_are_refused_before_any_fit(tmp_path: Path, column: str, cells: list, words) -> None:
    """A Parquet list, struct or binary column used to pass validate and fail every fit."""
    frame = regression_frame()
    frame[column] = cells
    folder = tmp_path / "study"
    folder.mkdir()
    frame.to_parquet(folder / "data.parquet")
    path = study(tmp_path, reg(data__source="data.parquet"))
    assert_bad_input(validate(path), path, (*words, "expected one number, text or date per cell"))


def test_unknown_feature_in_data_features(tmp_path: Path) -> None:
    path = study(tmp_path, reg(data__features=["a", "bb", "c"]))
    assert_bad_input(validate(path), path, ("data.features[1]", "'bb'", "not a column", "did you mean 'b'?"))


def test_unknown_group_member(tmp_path: Path) -> None:
    path = study(tmp_path, reg(data__groups={"ab": ["a", "bq"]}))
    assert_bad_input(validate(path), path, ("data.groups.ab[1]", "unknown feature 'bq'", "did you mean 'b'?"))


def test_folds_larger_than_smallest_class(tmp_path: Path) -> None:
    spec = classification_spec()
    spec["evaluation"] = {"folds": 5, "repeats": 1}
    path = study(tmp_path, spec, classification_frame({"cat": 20, "dog": 17, "eel": 3}))
    assert_bad_input(validate(path), path, ("evaluation.folds", "5 stratified folds", "class 'eel' has 3"))


# ---------------------------------------------------------------- ablations and groups


@pytest.mark.parametrize(
    "features, field, words",
    [
        pytest.param(["c", "citty"], "ablations[1].features[1]", ("unknown feature or group 'citty'", "did you mean 'city'?"),
                     id="feature"),
        pytest.param(["c", "abb"], "ablations[1].features[1]", ("unknown feature or group 'abb'", "did you mean 'ab'?"), id="group"),
        pytest.param(["c", ["a", "bx"]], "ablations[1].features[1][1]", ("unknown feature 'bx'", "did you mean 'b'?"), id="list-member"),
    ],
)
def test_unknown_feature_or_group_in_ablation(tmp_path: Path, features, field: str, words) -> None:
    spec = regression_spec()
    spec["ablations"][1]["features"] = features
    path = study(tmp_path, spec)
    assert_bad_input(validate(path), path, (field, *words))


def test_empty_group_in_data_groups(tmp_path: Path) -> None:
    path = study(tmp_path, reg(data__groups={"g": []}))
    assert_bad_input(validate(path), path, ("data.groups.g", "is empty"))


def test_empty_list_in_ablation_features(tmp_path: Path) -> None:
    spec = regression_spec()
    spec["ablations"][1]["features"] = [[]]
    path = study(tmp_path, spec)
    assert_bad_input(validate(path), path, ("ablations[1].features", "empty group []"))


def test_duplicate_variant_in_one_list(tmp_path: Path) -> None:
    spec = regression_spec()
    spec["ablations"][1]["features"] = ["c", "c"]
    path = study(tmp_path, spec)
    assert_bad_input(
        validate(path), path,
        ("ablations[1].features[1]", "duplicate variant 'permute__c'", "ablations[1].features[0]"),
    )


def test_duplicate_variant_from_two_entries(tmp_path: Path) -> None:
    spec = regression_spec()
    spec["ablations"].append({"features": ["a"], "mode": "drop"})  # ablations[0] ('each') already drops a
    path = study(tmp_path, spec)
    assert_bad_input(validate(path), path, ("ablations[2].features[0]", "duplicate variant 'drop__a'", "from ablations[0]"))


def test_unknown_mode_suggests_close_mode(tmp_path: Path) -> None:
    spec = regression_spec()
    spec["ablations"][0]["mode"] = "dorp"
    path = study(tmp_path, spec)
    assert_bad_input(validate(path), path, ("ablations[0].mode", "unknown mode 'dorp'", "did you mean 'drop'?"))


def test_unknown_families_suggests_the_close_one(tmp_path: Path) -> None:
    path = study(tmp_path, reg(statistics={"families": "modes"}))
    assert_bad_input(validate(path), path, ("statistics.families", "'modes'", "did you mean 'mode'?"))


# ---------------------------------------------------------------- metrics and model


def test_unknown_metric_suggests_close_metric(tmp_path: Path) -> None:
    path = study(tmp_path, reg(evaluation__metrics=["rmsee"]))
    assert_bad_input(validate(path), path, ("evaluation.metrics[0]", "unknown metric 'rmsee'", "did you mean 'rmse'?"))


def test_metric_of_the_wrong_task(tmp_path: Path) -> None:
    path = study(tmp_path, reg(evaluation__metrics=["rmse", "accuracy"]))
    assert_bad_input(
        validate(path), path,
        ("evaluation.metrics[1]", "'accuracy' is a classification metric", "task is regression"),
    )


def test_unknown_estimator_suggests_close_name(tmp_path: Path) -> None:
    path = study(tmp_path, reg(model={"estimator": "Ridg"}))
    assert_bad_input(validate(path), path, ("model.estimator", "unknown estimator 'Ridg'", "did you mean 'Ridge'?"))


@pytest.mark.parametrize("estimator", ["os.system", "subprocess.Popen", "builtins.eval", "evil_module_xyz.Thing"])
def test_estimator_outside_allowed_modules(tmp_path: Path, estimator: str) -> None:
    marker = tmp_path / "pwned"
    path = study(tmp_path, reg(model={"estimator": estimator, "params": {"command": f"touch {marker}"}}))
    assert_bad_input(validate(path), path,
                     ("model.estimator", f"'{estimator}' is in module", "which this project does not trust", "trusted_modules"))
    assert not marker.exists()


def test_outside_module_is_never_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when a module of that name is importable, naming it in a spec must not import it."""
    marker = tmp_path / "imported"
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "evil_module_xyz.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\nclass Thing: pass\n"
    )
    monkeypatch.syspath_prepend(str(code_dir))
    monkeypatch.delitem(sys.modules, "evil_module_xyz", raising=False)
    path = study(tmp_path, reg(model={"estimator": "evil_module_xyz.Thing"}))
    assert_bad_input(validate(path), path, ("model.estimator", "which this project does not trust"))
    assert "evil_module_xyz" not in sys.modules
    assert not marker.exists()


def test_unknown_estimator_param_suggests_close_name(tmp_path: Path) -> None:
    path = study(tmp_path, reg(model={"estimator": "Ridge", "params": {"alpah": 0.5}}))
    assert_bad_input(validate(path), path, ("model.params.alpah", "unknown parameter of Ridge", "did you mean 'alpha'?"))


# ---------------------------------------------------------------- the YAML itself and the schema


@pytest.mark.parametrize(
    "text, line, words",
    [
        pytest.param("name: x\ndata:\n  source: data.csv\n  target: y\n    extra: 1\nmodel: {estimator: Ridge}\n",
                     5, "mapping values are not allowed here", id="bad-indent"),
        pytest.param("name: x\ndata:\n\tsource: data.csv\n", 3, "found character '\\t' that cannot start any token", id="tab"),
    ],
)
def test_yaml_syntax_error_names_the_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = study(tmp_path, text)
    lines = assert_clean_exit(validate(path))
    assert len(lines) == 1, lines
    assert re.fullmatch(rf"error: {re.escape(str(path))}: YAML syntax error \(line {line}, column \d+\): .+", lines[0]), lines[0]
    assert words in lines[0]


@pytest.mark.parametrize("where, line", [("top", 1), ("nested", 4)])
def test_python_object_tag_is_refused_and_not_executed(tmp_path: Path, where: str, line: int) -> None:
    """yaml.safe_load semantics: a !!python tag is an error, never a call."""
    marker = tmp_path / "pwned"
    payload = f'!!python/object/apply:os.system ["echo hacked > {marker}"]'
    text = (f"name: {payload}\n" if where == "top"
            else f"name: tiny_study\ndata: {{source: data.csv, target: y}}\nmodel:\n  estimator: {payload}\n"
                 "ablations: [{features: each}]\n")
    path = study(tmp_path, text)
    lines = assert_clean_exit(validate(path))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}: YAML syntax error (line {line}, column "), lines[0]
    assert "could not determine a constructor" in lines[0] and "python/object/apply:os.system" in lines[0]
    assert not marker.exists()


@pytest.mark.parametrize(
    "mutate, expected",
    [
        pytest.param(lambda s: s["evaluation"].__setitem__("foldz", s["evaluation"].pop("folds")),
                     [("evaluation.foldz", "unknown key 'foldz'", "did you mean 'folds'?")], id="foldz"),
        pytest.param(lambda s: s.__setitem__("ablatons", s.pop("ablations")),
                     [("ablatons", "unknown key 'ablatons'", "did you mean 'ablations'?"),
                      ("ablations", "required field is missing")], id="ablatons"),
        pytest.param(lambda s: s["data"].__setitem__("targt", s["data"].pop("target")),
                     [("data.targt", "unknown key 'targt'", "did you mean 'target'?"),
                      ("data.target", "required field is missing")], id="targt"),
    ],
)
def test_unknown_key_suggests_schema_key(tmp_path: Path, mutate, expected) -> None:
    spec = regression_spec()
    mutate(spec)
    path = study(tmp_path, spec)
    assert_bad_input(validate(path), path, *expected)


def test_wrong_type(tmp_path: Path) -> None:
    path = study(tmp_path, reg(evaluation__folds="five"))
    assert_bad_input(validate(path), path, ("evaluation.folds", "valid integer", "'five'"))


@pytest.mark.parametrize("name", ["Bad Name!", "9lives", "has-dash"])
def test_invalid_study_name(tmp_path: Path, name: str) -> None:
    path = study(tmp_path, reg(name=name))
    assert_bad_input(validate(path), path, ("name", "should match pattern", repr(name)))


def test_invalid_study_name_shows_the_real_pattern(tmp_path: Path) -> None:
    path = study(tmp_path, reg(name="Bad Name!"))
    assert_bad_input(validate(path), path, ("name", "'^[a-z][a-z0-9_]*$'"))


def test_nonexistent_study_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    studies = tmp_path / "studies"
    write_study(studies, regression_spec(), regression_frame(), name="tiny_study.yaml")
    monkeypatch.setenv("ABLATION_STUDIES_DIR", str(studies))
    assert assert_clean_exit(invoke("validate", "no_such_study_xyz")) == [
        f"error: no_such_study_xyz: no such study in {studies} (known: tiny_study)"
    ]
    for command in ("validate", "run"):
        assert assert_clean_exit(invoke(command, "tiny_studdy")) == [
            f"error: tiny_studdy: no such study in {studies}; did you mean 'tiny_study'? (known: tiny_study)"
        ]
    assert not (tmp_path / "default_results").exists()


def test_nonexistent_spec_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert assert_clean_exit(validate(missing)) == [f"error: {missing}: file not found"]


# ---------------------------------------------------------------- several problems at once


@pytest.mark.parametrize(
    "changes, expected",
    [
        pytest.param(
            {"data__groups": {"g": []}, "evaluation__foldz": 3, "ablations": [{"features": "each", "mode": "dorp"}]},
            [("data.groups.g", "is empty"),
             ("evaluation.foldz", "did you mean 'folds'?"),
             ("ablations[0].mode", "did you mean 'drop'?")],
            id="schema",
        ),
        pytest.param(
            {"ablations": [{"features": ["cc", "citty"]}]},
            [("ablations[0].features[0]", "did you mean 'c'?"), ("ablations[0].features[1]", "did you mean 'city'?")],
            id="ablation-features",
        ),
        pytest.param(
            {"evaluation__metrics": ["rmsee", "accurcy"]},
            [("evaluation.metrics[0]", "did you mean 'rmse'?"), ("evaluation.metrics[1]", "did you mean 'accuracy'?")],
            id="metrics",
        ),
        pytest.param(
            {"evaluation__metrics": ["rmsee"], "model": {"estimator": "Ridg"}},
            [("evaluation.metrics[0]", "did you mean 'rmse'?"), ("model.estimator", "did you mean 'Ridge'?")],
            id="metric-and-estimator",
        ),
        pytest.param(
            {"ablations": [{"features": ["citty"]}], "evaluation__metrics": ["rmsee"]},
            [("ablations[0].features[0]", "did you mean 'city'?"), ("evaluation.metrics[0]", "did you mean 'rmse'?")],
            id="ablation-and-metric",
        ),
    ],
)
def test_several_problems_give_several_lines(tmp_path: Path, changes: dict, expected) -> None:
    path = study(tmp_path, reg(**changes))
    assert_bad_input(validate(path), path, *expected)


# ---------------------------------------------------------------- messages shown verbatim


@pytest.mark.parametrize(
    "make, expected_in_line",
    [
        pytest.param(lambda tmp: study(tmp, reg(data__target="y[/x]")), "unknown column 'y[/x]'", id="closing-tag-in-target"),
        pytest.param(lambda tmp: study(tmp, reg(data__target="y[bold]")), "unknown column 'y[bold]'", id="style-tag-in-target"),
        pytest.param(lambda tmp: study(tmp, reg(data__target="yy"), folder="runs[v2]"), "runs[v2]", id="brackets-in-spec-path"),
        pytest.param(lambda tmp: study(tmp, reg(ablations=[{"features": "eech"}])), "names and [feature, ...] lists",
                     id="brackets-in-product-message"),
    ],
)
def test_user_text_with_brackets_is_printed_verbatim(tmp_path: Path, make, expected_in_line: str) -> None:
    path = make(tmp_path)
    result = validate(path)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit) and result.exit_code == 2, (result.exit_code, repr(result.exception))
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), lines
    assert expected_in_line in lines[0]


def test_eech_suggests_each(tmp_path: Path) -> None:
    path = study(tmp_path, reg(ablations=[{"features": "eech"}]))
    assert_bad_input(validate(path), path, ("ablations[0].features", "'eech'", "did you mean 'each'?"))


def test_feature_that_is_the_target_has_no_self_suggestion(tmp_path: Path) -> None:
    path = study(tmp_path, reg(data__features=["a", "y"]))
    lines = assert_bad_input(validate(path), path, ("data.features[1]", "'y' is the target"))
    assert "did you mean 'y'" not in lines[0]


def test_margin_for_unknown_metric_names_the_field(tmp_path: Path) -> None:
    path = study(tmp_path, reg(statistics={"margin": {"rmsse": 1.0}}))
    assert_bad_input(validate(path), path, ("statistics.margin.rmsse", "not in evaluation.metrics", "did you mean 'rmse'?"))


# ---------------------------------------------------------------- `ablation run` writes nothing


def _garbage_csv(tmp: Path) -> Path:
    path = study(tmp, regression_spec())
    (path.parent / "data.csv").write_bytes(b"\x00\xff\xfe\x00\x80\x81\n")
    return path


def _typo_spec(tmp: Path) -> Path:
    spec = regression_spec()
    spec["evaluation"]["foldz"] = spec["evaluation"].pop("folds")
    return study(tmp, spec)


RUN_CASES = [
    pytest.param(_typo_spec, ("evaluation.foldz", "did you mean 'folds'?"), id="spec-typo"),
    pytest.param(_garbage_csv, ("data.source", "cannot read"), id="unreadable-csv"),
    pytest.param(lambda tmp: study(tmp, reg(model={"estimator": "subprocess.Popen"})),
                 ("model.estimator", "which this project does not trust"), id="outside-module"),
    pytest.param(lambda tmp: study(tmp, reg(evaluation__metrics=["rmsee"])), ("evaluation.metrics[0]", "did you mean 'rmse'?"),
                 id="unknown-metric"),
    pytest.param(lambda tmp: study(tmp, reg(data__target="yy")), ("data.target", "did you mean 'y'?"), id="unknown-target"),
]


@pytest.mark.parametrize("make, expected", RUN_CASES)
def test_run_with_bad_input_creates_nothing(tmp_path: Path, make, expected) -> None:
    path = make(tmp_path)
    results = tmp_path / "results"
    result = invoke("run", path, "--results-dir", results)
    assert_bad_input(result, path, expected)
    assert not results.exists()
    assert not (tmp_path / "dagster_home").exists()


def test_failed_run_leaves_existing_results_byte_identical(tmp_path: Path) -> None:
    from ablation_pipeline.pipeline.run import run_study
    from ablation_pipeline.spec.loading import load_spec

    good = study(tmp_path, reg(ablations=[{"features": ["a", "city"], "mode": "drop"}]), folder="good")
    results = tmp_path / "results"
    run_study(load_spec(good), results / "tiny_study")
    before = snapshot(results)
    assert {"comparison.csv", "scores.csv", "report.md"} <= {Path(p).name for p in before}
    stamps = {p: p.stat().st_mtime_ns for p in results.rglob("*")}

    bad = study(tmp_path, reg(evaluation__metrics=["rmsee"]), folder="bad")  # same study name, same folder
    assert_bad_input(invoke("run", bad, "--results-dir", results), bad, ("evaluation.metrics[0]", "did you mean 'rmse'?"))
    assert snapshot(results) == before
    assert {p: p.stat().st_mtime_ns for p in results.rglob("*")} == stamps
    assert not (tmp_path / "dagster_home").exists()


def test_run_refuses_python_tag_and_creates_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = study(tmp_path, f'name: !!python/object/apply:os.system ["echo hacked > {marker}"]\n')
    results = tmp_path / "results"
    lines = assert_clean_exit(invoke("run", path, "--results-dir", results))
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: YAML syntax error (line 1, "), lines
    assert "could not determine a constructor" in lines[0]
    assert not marker.exists() and not results.exists()


# ---------------------------------------------------------------- real processes


def _console_script() -> str:
    script = Path(sys.executable).with_name("ablation")
    return str(script) if script.is_file() else ""


@pytest.mark.parametrize(
    "command, make, expected",
    [
        pytest.param("module-validate", _typo_spec, ("evaluation.foldz", "did you mean 'folds'?"), id="spec-typo"),
        pytest.param("script-validate", _garbage_csv, ("data.source", "cannot read"), id="unreadable-csv"),
        pytest.param("script-run", lambda tmp: study(tmp, reg(model={"estimator": "os.system"})),
                     ("model.estimator", "which this project does not trust"), id="outside-module"),
    ],
)
def test_real_process(tmp_path: Path, command: str, make, expected) -> None:
    path = make(tmp_path)
    results = tmp_path / "results"
    if command == "module-validate":
        argv = [sys.executable, "-m", "ablation_pipeline.cli", "validate", str(path)]
    else:
        if not _console_script():
            pytest.skip("no `ablation` console script next to sys.executable")
        argv = [_console_script(), "validate", str(path)] if command == "script-validate" else \
            [_console_script(), "run", str(path), "--results-dir", str(results)]
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert_nothing_run(proc.stdout)
    lines = error_lines(proc.stderr)
    assert len(lines) == 1, lines  # a long line must not be wrapped onto several
    field, message = split_line(lines[0], path)
    assert field == expected[0] and all(w in message for w in expected[1:]), lines[0]
    assert not results.exists()
    assert not (tmp_path / "dagster_home").exists()



# ---------------------------------------------------------------- swept settings and torch networks


def test_bad_sweeps_are_named(tmp_path):
    for param, values, message in [
        ("model.params.alpah", [1.0], "ablations[0]: model.params.alpah: unknown parameter of Ridge; did you mean 'alpha'?"),
        ("model.colour", [1.0], "ablations[0].param: cannot sweep 'model.colour'"),
        ("model.params.alpha", [-1.0], "ablations[0]: model.params"),
    ]:
        spec = small_spec(name="sweep", model={"estimator": "Ridge"}, ablations=[{"param": param, "values": values}])
        result = CliRunner().invoke(app, ["validate", str(write_study(tmp_path / param, spec, linear_frame()))])
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.stderr.split()), result.stderr


@pytest.mark.parametrize(("change", "message"), [
    ({"model": {"estimator": "LogisticRegression"}},
     "ablations[0].layers: layer ablations need a torch network (model.network); model.estimator 'LogisticRegression' has no named layers"),
    ({"ablations": [{"layers": ["out"], "mode": "zero"}]}, "ablations[0].layers[0]: 'out' is the output layer and cannot be ablated"),
    ({"ablations": [{"layers": ["hiden2"], "mode": "zero"}]}, "ablations[0].layers[0]: unknown layer 'hiden2'; did you mean 'hidden2'?"),
    ({"ablations": [{"layers": ["hidden1"], "mode": "drop"}]},
     "ablations[0]: mode 'drop' does not apply to layers; expected one of remove, mean, zero"),
    ({"ablations": [{"layers": ["hidden1"], "mode": "scale"}]}, "ablations[0]: modes scale and noise need factors"),
    ({"model": {"network": {**MLP, "layers": [{"name": "h", "type": "Transformer"}, MLP["layers"][-1]]}}},
     "model.network.layers[0].type: layer type 'Transformer' is not allowed"),
    ({"model": {"estimator": "Ridge", "network": MLP}}, "model: give exactly one of estimator"),
])
def test_bad_torch_specs_give_one_clear_line(tmp_path, change, message):
    path = write_study(tmp_path, mlp_spec(**change))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_removal_that_breaks_the_network_is_named(tmp_path):
    cnn = {"input_shape": [1, 8, 8], "layers": [
        {"name": "conv", "type": "Conv2d", "args": {"out_channels": 4, "kernel_size": 3}},
        {"name": "flat", "type": "Flatten"},
        {"name": "out", "type": "Linear", "output": True}]}
    spec = {"name": "cnn", "data": {"source": "sklearn:digits", "target": "target"}, "model": {"network": cnn},
            "ablations": [{"layers": ["flat"], "mode": "remove"}]}
    result = CliRunner().invoke(app, ["validate", str(write_study(tmp_path, spec))])
    assert result.exit_code == 2
    line = " ".join(result.stderr.split())
    assert "ablations[0].layers[0]: removing 'flat' makes the network invalid" in line and "'out'" in line
