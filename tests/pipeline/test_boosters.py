"""What real users bring: LightGBM and XGBoost trusted by the project, their own objects from Python,
data as read (missing values, categories), early stopping inside each training fold. The numbers are a
plain loop's over the same splits, and a second identical call fits nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_friedman1
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import RepeatedKFold

from ablation_pipeline import run_study
from ablation_pipeline.ablations.boosters import inner_split
from ablation_pipeline.ablations.fitting import fit_seed
from ablation_pipeline.data.splits import Split
from ablation_pipeline.errors import SpecError
from ablation_pipeline.pipeline.setup import check_study

from builders import write_study

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")
PARAMS = {"n_estimators": 60, "learning_rate": 0.1, "verbose": -1}


def friedman(rows: int = 400) -> pd.DataFrame:
    X, y = make_friedman1(n_samples=rows, n_features=10, noise=1.0, random_state=0)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(10)]).assign(y=y)


def friedman_spec(**model) -> dict:
    return {"name": "friedman", "data": {"source": "data.csv", "target": "y"},
            "model": {"estimator": "lightgbm.LGBMRegressor", "params": PARAMS, "preprocessing": "none", **model},
            "evaluation": {"folds": 5, "seed": 0, "max_repeats": 5, "metrics": ["rmse"]},
            "ablations": [{"features": "each", "mode": "drop"}], "statistics": {"simplify": False}}


@pytest.mark.parametrize("trusted_by", ["pyproject", "environment"])
def test_friedman_with_lightgbm_finds_the_informative_features_and_equals_a_plain_loop(trusted_by, tmp_path, monkeypatch):
    """Friedman #1 (x0..x4 informative, x5..x9 noise) with LightGBM, trusted by the project's pyproject.toml
    or by ABLATION_TRUSTED_MODULES: every informative feature essential when dropped, no noise feature
    essential, and every score equal to a plain loop over the same splits to 1e-9."""
    if trusted_by == "pyproject":
        (tmp_path / "pyproject.toml").write_text('[tool.ablation_pipeline]\ntrusted_modules = ["lightgbm"]\n')
    else:
        monkeypatch.setenv("ABLATION_TRUSTED_MODULES", "lightgbm")
    frame = friedman()
    path = write_study(tmp_path / "study", friedman_spec(), frame)
    result = run_study(path, tmp_path / "out")
    verdicts = result.verdicts
    assert all(verdicts[f"drop__x{i}"] == "essential" for i in range(5)), verdicts.to_dict()
    assert not any(verdicts[f"drop__x{i}"] == "essential" for i in range(5, 10))
    splits = list(RepeatedKFold(n_splits=5, n_repeats=5, random_state=0).split(frame))
    columns = [f"x{i}" for i in range(10)]
    for row in result.scores.itertuples():
        index = row.repeat * 5 + row.fold
        train, test = splits[index]
        kept = [c for c in columns if row.variant == "baseline" or c != row.variant.removeprefix("drop__")]
        split = Split(index, row.repeat, row.fold, train, test)
        model = lightgbm.LGBMRegressor(**PARAMS, n_jobs=1, random_state=fit_seed(0, split))
        model.fit(frame.iloc[train][kept], frame.y.iloc[train])
        assert row.value == pytest.approx(root_mean_squared_error(frame.y.iloc[test], model.predict(frame.iloc[test][kept])),
                                          abs=1e-9)


def test_an_estimator_object_from_python_fits_once(tmp_path):
    """`run_study(..., estimator=LGBMRegressor(...))`: the spec may leave `model` out; the first call fits,
    the second fits nothing (read back from its files), another parameter fits again."""
    spec = friedman_spec()
    del spec["model"]
    path = write_study(tmp_path / "study", spec, friedman(200))
    first = run_study(path, estimator=lightgbm.LGBMRegressor(**PARAMS))
    assert first.fits > 0 and first.results_dir.is_dir()
    again = run_study(path, estimator=lightgbm.LGBMRegressor(**PARAMS))
    assert again.fits == 0 and "unchanged since the last run" in again.notes[-1]
    pd.testing.assert_frame_equal(first.comparison.reset_index(drop=True), again.comparison, check_exact=False, rtol=1e-12)
    other = run_study(path, estimator=lightgbm.LGBMRegressor(**{**PARAMS, "n_estimators": 30}))
    assert other.fits > 0
    with_model = run_study(write_study(tmp_path / "named", friedman_spec(), friedman(200)), estimator=lightgbm.LGBMRegressor(**PARAMS))
    assert with_model.notes[0] == "the estimator given in code replaces the spec's model"


def test_the_validation_rows_come_from_the_training_fold_only():
    target = np.repeat([0, 1, 2], 40)
    rows = np.arange(120)
    for index, (train, test) in enumerate(RepeatedKFold(n_splits=4, n_repeats=2, random_state=1).split(rows)):
        fit, held = inner_split(Split(index, 0, 0, train, test), target, 0.2, True, 7)
        assert set(fit) | set(held) == set(train) and not set(held) & set(test) and not set(fit) & set(held)
        assert abs(len(held) - 0.2 * len(train)) <= 1
        shares = np.bincount(target[held], minlength=3) / len(held)
        assert np.allclose(shares, np.bincount(target[train], minlength=3) / len(train), atol=0.06)  # stratified
        again, _ = inner_split(Split(index, 0, 0, train, test), target, 0.2, True, 7)
        assert (again == fit).all()  # seeded per split


def penguins_like(rows: int = 240) -> pd.DataFrame:
    """Three classes; `island` categorical; missing values in a measurement and in `sex`."""
    rng = np.random.default_rng(0)
    species = rng.choice(["a", "b", "c"], rows)
    frame = pd.DataFrame({"bill": np.where(species == "a", 38, np.where(species == "b", 48, 46)) + rng.normal(0, 2, rows),
                          "flipper": np.where(species == "c", 215, 192) + rng.normal(0, 5, rows),
                          "island": np.where(species == "c", "biscoe", rng.choice(["dream", "torgersen"], rows)),
                          "sex": rng.choice(["female", "male"], rows), "species": species})
    frame.loc[rng.choice(rows, 12, replace=False), "bill"] = np.nan
    frame.loc[rng.choice(rows, 9, replace=False), "sex"] = None
    return frame


def penguins_spec(model: dict) -> dict:
    return {"name": "penguins", "data": {"source": "data.csv", "target": "species"}, "model": model,
            "evaluation": {"folds": 5, "repeats": 2, "seed": 1, "metrics": ["accuracy"]},
            "ablations": [{"features": "each", "mode": "drop"}, {"features": ["bill", "island"], "mode": "permute"},
                          {"features": ["bill"], "mode": "mean"}, {"features": ["flipper"], "mode": "conditional"}],
            "statistics": {"simplify": False}}


@pytest.mark.parametrize("model", [
    {"estimator": "HistGradientBoostingClassifier", "params": {"max_iter": 50}},
    {"estimator": "lightgbm.LGBMClassifier", "params": {"n_estimators": 40, "verbose": -1}},
    {"estimator": "xgboost.XGBClassifier", "params": {"n_estimators": 40, "enable_categorical": True, "tree_method": "hist"}},
])
def test_preprocessing_none_takes_missing_values_and_categories_as_read(model, tmp_path, monkeypatch):
    """Every ablation mode works on the frame as read: drop, permute, mean and conditional."""
    monkeypatch.setenv("ABLATION_TRUSTED_MODULES", "lightgbm,xgboost")
    path = write_study(tmp_path, penguins_spec({**model, "preprocessing": "none"}), penguins_like())
    table = run_study(path, tmp_path / "out").comparison
    assert set(table.verdict) <= {"essential", "removable", "inconclusive", "harmful"}
    rows = table.set_index("variant")
    assert rows.loc["drop__bill", "verdict"] == "essential" and rows.loc["permute__bill", "delta"] < -0.1


@pytest.mark.parametrize(("model", "message"), [
    ({"estimator": "LinearRegression"}, None),
    ({"estimator": "LogisticRegression"}, "model.preprocessing: none hands LogisticRegression the data as read, with missing "
                                          "values (in bill, sex) and categorical columns (island, sex), which it does not take"),
    ({"estimator": "xgboost.XGBClassifier"}, "model.preprocessing: none hands XGBClassifier the data as read"),
    ({"estimator": "LogisticRegression", "preprocessing": "auto", "early_stopping": {"rounds": 5}},
     "model.early_stopping: LogisticRegression takes no validation set"),
])
def test_what_cannot_work_is_said_before_any_fit(model, message, tmp_path, monkeypatch):
    monkeypatch.setenv("ABLATION_TRUSTED_MODULES", "xgboost")
    if message is None:  # a regressor for a classification target: the task check, as ever
        message, model = "LinearRegression is a regressor, not a classifier", {**model, "preprocessing": "none"}
    path = write_study(tmp_path, penguins_spec({"preprocessing": "none", **model}), penguins_like())
    with pytest.raises(SpecError) as caught:
        check_study(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_early_stopping_stops_each_fold_on_its_own_validation_rows(library, tmp_path, monkeypatch):
    monkeypatch.setenv("ABLATION_TRUSTED_MODULES", library)
    estimator = "lightgbm.LGBMRegressor" if library == "lightgbm" else "xgboost.XGBRegressor"
    params = {"n_estimators": 2000, "learning_rate": 0.3, **({"verbose": -1} if library == "lightgbm" else {})}
    spec = friedman_spec(estimator=estimator, params=params, early_stopping={"validation_fraction": 0.2, "rounds": 5})
    spec["evaluation"] = {"folds": 3, "repeats": 1, "seed": 0, "metrics": ["rmse"]}
    spec["ablations"] = [{"features": ["x9"], "mode": "drop"}, {"features": ["x0"], "mode": "permute"}]
    from ablation_pipeline.pipeline.compute import Policy
    from ablation_pipeline.pipeline.run import compare
    from ablation_pipeline.pipeline.setup import plan_study, set_up
    from ablation_pipeline.spec.loading import load_spec

    setup = set_up(plan_study(load_spec(write_study(tmp_path, spec, friedman(300)))))
    done = compare(setup, Policy())
    for model in done.baseline.outcome.models:
        stopped = model[-1].best_iteration_ if library == "lightgbm" else model[-1].best_iteration
        assert 0 < stopped < 1000  # stopped long before 2,000 rounds
    assert set(done.comparison.verdict) <= {"essential", "removable", "inconclusive", "harmful"}


@pytest.mark.slow
def test_ablation_run_of_a_boosted_study_refits_only_when_the_booster_changes(tmp_path):
    """`ablation run` twice: the second fits nothing. With another release of LightGBM installed (a real
    pip install, first on the path), the same command refits: the library's version is part of every
    fit's key, and of the unchanged-study check."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    spec = friedman_spec()
    spec["evaluation"] = {"folds": 3, "repeats": 1, "seed": 0, "metrics": ["rmse"]}
    spec["ablations"] = [{"features": ["x0", "x9"], "mode": "drop"}]
    path = write_study(tmp_path / "study", spec, friedman(150))
    ablation = str(Path(sys.executable).with_name("ablation"))
    env = {**os.environ, "ABLATION_TRUSTED_MODULES": "lightgbm"}

    def run(extra_env=None) -> tuple[str, int]:
        done = subprocess.run([ablation, "run", str(path)], capture_output=True, text=True, env={**env, **(extra_env or {})},
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout, fitted_in_last_run()

    def fitted_in_last_run() -> int:
        code = ("import dagster as dg; i = dg.DagsterInstance.get(); r = i.get_runs(limit=1)[0]; "
                "print(sum(int(e.event_log_entry.asset_materialization.metadata['fits'].value) for e in "
                "i.get_records_for_run(r.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records "
                "if 'fits' in e.event_log_entry.asset_materialization.metadata))")
        return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout)

    first, fits = run()
    assert fits == 3 * 3  # the baseline and two variants, 3 splits each
    again, _ = run()
    assert "up to date" in again
    older = tmp_path / "older"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                                "--target", str(older), "lightgbm==4.6.0"], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-2000:]
    upgraded, fits = run({"PYTHONPATH": str(older)})
    assert "up to date" not in upgraded and fits == 3 * 3
