"""The shipped example studies, end to end."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec

from builders import REPO, STUDIES, write_study


def test_house_prices_csv_matches_its_generator(tmp_path):
    subprocess.run([sys.executable, str(REPO / "data" / "make_house_prices.py"), str(tmp_path / "hp.csv")], check=True)
    assert (tmp_path / "hp.csv").read_bytes() == (REPO / "data" / "house_prices.csv").read_bytes()


def test_house_prices_rooms_alone_barely_matters_but_with_size_it_does(tmp_path):
    table = run_study(load_spec(STUDIES / "house_prices.yaml"), tmp_path / "out").comparison
    rmse = table[table.metric == "rmse"].set_index("variant")
    assert rmse.loc["drop__rooms", "verdict"] == "removable"
    assert abs(rmse.loc["drop__rooms", "delta"]) < 500
    assert rmse.loc["drop__rooms_and_size", "verdict"] == "essential"
    assert rmse.loc["drop__rooms_and_size", "delta"] > 3 * rmse.loc["drop__size", "delta"]  # size carried rooms' share too
    assert rmse.loc["drop__noise", "verdict"] == "removable"
    for driver in ("drop__size", "drop__location", "drop__age", "permute__location", "mean__location"):
        assert rmse.loc[driver, "verdict"] == "essential"
    # the article's interaction, measured: rooms and size stand in for each other
    pair = pd.read_csv(tmp_path / "out" / "interactions.csv").set_index("metric").loc["rmse"]
    assert pair.kind == "redundant" and pair.ci_low > 0
    # drawn given size, rooms carries nothing of its own; size shuffled apart from rooms is overstated
    assert rmse.loc["conditional__rooms", "verdict"] == "removable"
    assert rmse.loc["conditional__size", "delta"] < 0.5 * rmse.loc["permute__size", "delta"]


@pytest.mark.parametrize("study", ["diabetes", "breast_cancer"])
def test_bundled_examples_run(study, tmp_path):
    result = run_study(load_spec(STUDIES / f"{study}.yaml"), tmp_path / "out")
    table = result.comparison
    assert not table.drop(columns=["t", "effect_size_dz"]).isna().any().any()
    primary = table[table.metric == table.metric.iloc[0]].set_index("variant")
    if study == "diabetes":  # bmi and the serum group carry the signal; age does not
        assert primary.loc["drop__bmi", "verdict"] == "essential"
        assert primary.loc["drop__blood_serum", "verdict"] == "essential"
        assert primary.loc["drop__age", "verdict"] != "essential"
    else:  # with every size measurement permuted at inference the classifier collapses
        assert primary.loc["permute__size", "verdict"] == "essential"
    report = (tmp_path / "out" / "report.md").read_text()
    assert all(v in report for v in primary.index)


def test_digits_cnn_at_a_small_size(tmp_path):
    """The seed example: conv layers carry the network, the dense layers can go (5 epochs, 3 splits)."""
    import yaml


    spec = yaml.safe_load((STUDIES / "digits_cnn.yaml").read_text())
    spec["model"]["network"]["training"]["epochs"] = 6
    spec["evaluation"].update(folds=3, repeats=1)
    spec["ablations"] = [{"layers": ["conv1", "conv2", "fc1", "fc2"], "mode": "remove"}, {"layers": ["fc1"], "mode": "zero"},
                         {"layers": ["fc1"], "mode": "scale", "factors": [0, 1]}]
    table = run_study(load_spec(write_study(tmp_path, spec))).comparison
    accuracy = table[table.metric == "accuracy"].set_index("variant")["delta"]
    assert accuracy["remove__conv1"] < accuracy["remove__fc1"] - 0.03
    assert accuracy["remove__conv2"] < accuracy["remove__fc2"]
    assert abs(accuracy["remove__fc2"]) < 0.03 and abs(accuracy["remove__fc1"]) < 0.03
    assert accuracy["zero__fc1"] < -0.5 and accuracy["scale__fc1__x1"] == 0.0


def test_the_boosted_penguins_study_runs_as_shipped(tmp_path):
    """LightGBM on the Palmer penguins as read (missing values, categorical island and sex), early stopping
    inside each training fold: the bill length carries the species, and which island a penguin lives on
    too, once it is shuffled away from the measurements."""
    pytest.importorskip("lightgbm")
    table = run_study(load_spec(STUDIES / "penguins_boosted.yaml"), tmp_path / "out").comparison
    accuracy = table[table.metric == "accuracy"].set_index("variant")
    assert accuracy.loc["drop__bill_length_mm", "verdict"] == "essential"
    assert accuracy.loc["permute__bill_length_mm", "verdict"] == "essential"
    assert accuracy.loc["permute__island", "verdict"] == "essential"
    assert accuracy.loc["drop__year", "verdict"] != "essential"


def test_the_factory_study_runs_as_shipped(tmp_path):
    """A model of the project's own (data/house_models.py: a Pipeline with a custom transformer), trusted in
    the project's pyproject.toml: the house-price story holds for it too."""
    table = run_study(load_spec(STUDIES / "house_prices_factory.yaml"), tmp_path / "out").comparison
    rmse = table[table.metric == "rmse"].set_index("variant")
    assert rmse.loc["drop__rooms", "verdict"] == "removable" and rmse.loc["drop__noise", "verdict"] == "removable"
    assert all(rmse.loc[v, "verdict"] == "essential" for v in ("drop__size", "drop__location", "drop__age", "permute__size"))
