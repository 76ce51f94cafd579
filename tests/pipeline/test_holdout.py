"""Held-out studies: one split (a seeded fraction, or another file's rows), a model fitted once or a
checkpoint evaluated as given, each variant judged by a paired test on the held-out rows; and the
shipped pretrained example, end to end through Dagster."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from ablation_pipeline.cli import app
from ablation_pipeline.data.dataset import load_dataset
from ablation_pipeline.data.splits import holdout_ratio, make_splits
from ablation_pipeline.errors import AblationError, SpecError
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.spec.loading import load_spec, parse_spec

from builders import REPO, STUDIES, write_study


def _classes(rows=400, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b, noise = rng.normal(size=(3, rows))
    label = np.where(a + 0.3 * b + rng.normal(0, 0.5, rows) > 0, "yes", "no")
    return pd.DataFrame({"a": a, "b": b, "noise": noise, "label": label})


def _spec(**evaluation) -> dict:
    return {"name": "held", "data": {"source": "data.csv", "target": "label"},
            "model": {"estimator": "LogisticRegression"},
            "evaluation": {"holdout": {"fraction": 0.25}, "seed": 3, **evaluation},
            "ablations": [{"features": ["a", "noise"], "mode": "permute", "permutations": 2}]}


def test_a_fraction_is_one_seeded_stratified_split(tmp_path):
    spec = load_spec(write_study(tmp_path, _spec(), _classes()))
    dataset = load_dataset(spec)
    [split] = make_splits(dataset, spec.evaluation)
    assert split.held_out and len(split.test) == 100 and len(split.train) == 300
    assert set(split.test).isdisjoint(split.train)
    share = dataset.target[split.test].mean()
    assert abs(share - dataset.target.mean()) < 0.01  # stratified
    assert make_splits(dataset, spec.evaluation)[0].test.tolist() == split.test.tolist()
    assert holdout_ratio([split]) == 0.0 and spec.evaluation.folds == 1 and spec.evaluation.design_text == "held-out 25% of the rows"


def test_the_paired_test_is_a_z_test_on_the_rows(tmp_path):
    """Δ and its interval, by hand from the held-out rows: mean and sd/sqrt(n) of the per-row differences."""
    path = write_study(tmp_path, _spec(), _classes())
    result = run_study(load_spec(path), tmp_path / "out")
    row = result.comparison.set_index(["variant", "metric"]).loc[("permute__a", "accuracy")]
    predictions = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert set(predictions.variant) >= {"baseline", "permute__a"} and predictions.fold.nunique() == 1
    assert row["n_splits"] == 1 and row["verdict"] == "essential"
    se = (row["ci_high"] - row["ci_low"]) / 2 / 1.959964
    assert se > 0 and row["delta"] < -5 * se
    spread = np.sqrt(predictions.set_index(["variant", "metric"]).loc[("permute__a", "accuracy"), "delta_variance"])
    assert se == pytest.approx(float(spread), rel=1e-6)  # scores.csv keeps 10 significant digits
    assert row["effect_size_dz"] == pytest.approx(row["delta"] / float(spread), rel=1e-6)
    report = (tmp_path / "out" / "report.md").read_text()
    assert "dz is Δ over its standard deviation as the held-out rows tell it" in report and "per-split Δ" not in report


def test_a_metric_that_is_not_a_mean_over_rows_takes_its_variance_from_the_paired_bootstrap(tmp_path):
    """ROC AUC and F1 on one held-out split: each variant's delta variance from resamples of the test rows;
    the informative feature's loss is found, the noise feature's is not called essential."""
    path = write_study(tmp_path, _spec(metrics=["roc_auc", "f1"]), _classes(800))
    result = run_study(load_spec(path), tmp_path / "out")
    table = result.comparison.set_index(["variant", "metric"])
    assert table.loc[("permute__a", "roc_auc"), "verdict"] == "essential" and table.loc[("permute__a", "roc_auc"), "n_splits"] == 1
    assert table.loc[("permute__noise", "roc_auc"), "verdict"] != "essential"
    scores = pd.read_csv(tmp_path / "out" / "scores.csv").set_index(["variant", "metric"])
    assert scores.loc[("permute__a", "f1"), "delta_variance"] > 0 and scores.loc[("permute__a", "roc_auc"), "test_rows"] == 200
    row = table.loc[("permute__a", "roc_auc")]
    se = (row["ci_high"] - row["ci_low"]) / 2 / 1.959964
    assert se == pytest.approx(float(np.sqrt(scores.loc[("permute__a", "roc_auc"), "delta_variance"])), rel=1e-6)


@pytest.mark.parametrize(("change", "message"), [
    ({"folds": 5}, "evaluation: folds apply to K-fold cross-validation; a held-out design (holdout) is one split: drop folds"),
    ({"repeats": 3}, "drop repeats"),
    ({"groups": "b"}, "groups apply to K-fold splits"),
    ({"holdout": {"fraction": 0.2, "source": "x.csv"}}, "give either fraction"),
    ({"holdout": {"fraction": 1.5}}, "evaluation.holdout.fraction"),
])
def test_a_held_out_design_that_cannot_work_is_one_line(tmp_path, change, message):
    path = write_study(tmp_path, _spec(**change), _classes())
    with pytest.raises(AblationError) as caught:
        check_study(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_retraining_variants_are_refused_with_the_reason(tmp_path):
    spec = {**_spec(), "ablations": [{"features": ["a"], "mode": "drop"}, {"features": ["b"], "mode": "permute"}]}
    with pytest.raises(SpecError, match=r"ablations\[0\]: mode drop retrains, and a held-out study retrains nothing \(one split "
                                        r"cannot tell a retrained model's difference from its training noise\)"):
        check_study(write_study(tmp_path, spec, _classes()))


def test_a_held_out_file_is_appended_and_must_have_the_datas_columns(tmp_path):
    frame = _classes(500)
    _classes(120, seed=9).to_csv(tmp_path / "test.csv", index=False)
    path = write_study(tmp_path, _spec(holdout={"source": "test.csv"}), frame)
    spec = load_spec(path)
    dataset = load_dataset(spec)
    [split] = make_splits(dataset, spec.evaluation)
    assert dataset.held_out == 120 and split.test.tolist() == list(range(500, 620)) and len(split.train) == 500
    assert dataset.version.count("sha256:") == 2  # both files' bytes identify the data
    _classes(120, seed=9).drop(columns="noise").assign(extra=1).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(AblationError, match=r"evaluation.holdout.source: its columns are not the data's \(missing noise; extra extra\)"):
        load_dataset(load_spec(path))
    (tmp_path / "test.csv").unlink()
    with pytest.raises(AblationError, match="evaluation.holdout.source: file not found: test.csv"):
        load_dataset(load_spec(path))


@pytest.mark.parametrize(("arrays", "data", "message"), [
    ({"images": np.zeros((5, 2)), "labels": np.zeros(4)}, {}, "arrays 'images' and 'labels' of d.npz have 5 and 4 rows"),
    ({"imgs": np.zeros((5, 2)), "labels": np.zeros(5)}, {}, "data.x: d.npz has no array 'images'; did you mean 'imgs'?"),
    ({"images": np.array([{"a": 1}] * 5, dtype=object), "labels": np.zeros(5)}, {}, "cannot read"),
    ({"images": np.zeros((5, 2)), "labels": np.zeros(5)}, {"y": None, "target": "labels"}, "an .npz source needs x and y"),
])
def test_npz_arrays_that_cannot_serve_are_one_line(tmp_path, arrays, data, message):
    np.savez(tmp_path / "d.npz", **arrays)
    spec = {"name": "arrays", "data": {"source": "d.npz", "x": "images", "y": "labels", **data},
            "model": {"estimator": "LogisticRegression"}, "ablations": [{"features": "each"}]}
    spec["data"] = {k: v for k, v in spec["data"].items() if v is not None}
    with pytest.raises(AblationError) as caught:
        load_dataset(parse_spec(spec, tmp_path / "s.yaml"))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_npz_images_become_columns_and_the_target(tmp_path):
    images = np.arange(6 * 4, dtype=np.float32).reshape(6, 1, 2, 2)
    np.savez(tmp_path / "d.npz", images=images, labels=np.array([0, 1, 0, 1, 0, 1]))
    spec = parse_spec({"name": "arrays", "data": {"source": "d.npz", "x": "images", "y": "labels"},
                       "model": {"estimator": "LogisticRegression"}, "ablations": [{"features": "each"}]}, tmp_path / "s.yaml")
    dataset = load_dataset(spec)
    assert list(dataset.features.columns) == ["images_0", "images_1", "images_2", "images_3"] and spec.data.target == "labels"
    assert dataset.features.to_numpy().tolist() == images.reshape(6, 4).tolist()


def test_the_pretrained_example_runs_through_dagster_and_reads_its_checkpoint_as_given(tmp_path, monkeypatch):
    monkeypatch.setenv("ABLATION_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(app, ["run", str(STUDIES / "digits_resnet.yaml"), "--results-dir", str(tmp_path / "results")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "results" / "digits_resnet" / "comparison.csv")
    accuracy = table[table.metric == "accuracy"].set_index("variant")
    assert accuracy.baseline_mean.iloc[0] == pytest.approx(0.944)  # the checkpoint's own held-out accuracy
    assert (accuracy.n_splits == 1).all() and accuracy.loc["zero__block1", "verdict"] == "essential"
    assert {v for v in accuracy.index if v.startswith("zero__stem_0__u")} == {f"zero__stem_0__u{a}_{a + 4}" for a in (0, 4, 8, 12)}
    report = (tmp_path / "results" / "digits_resnet" / "report.md").read_text()
    assert "paired z-test on the per-row differences" in report
    # knock-outs of the trained network cost what it costs: the cost table, and no plot of the baseline alone
    assert "## Cost" in report and "costs.png" not in report
    assert not (tmp_path / "results" / "digits_resnet" / "costs.png").exists()


def test_the_pretrained_example_is_made_by_its_script(tmp_path):
    subprocess.run([sys.executable, str(REPO / "data" / "make_digits_resnet.py"), str(tmp_path)], check=True, capture_output=True)
    for name in ("digits_train.npz", "digits_test.npz"):
        made, shipped = np.load(tmp_path / name), np.load(REPO / "data" / name)
        assert all(np.array_equal(made[k], shipped[k]) for k in ("images", "labels"))
    made, shipped = (torch.load(p / "digits_resnet.pt", weights_only=True) for p in (tmp_path, REPO / "data"))
    assert made.keys() == shipped.keys() and all(torch.equal(made[k], shipped[k]) for k in made)
