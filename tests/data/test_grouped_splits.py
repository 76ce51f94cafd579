"""Rows that belong together (`evaluation.groups`) are never on both sides of a split, and rows with no
target may be dropped (`data.missing_target: drop`): real data, real splitters, real studies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation_pipeline.data.dataset import dataset_problems, load_dataset
from ablation_pipeline.data.splits import fold_labels, make_splits
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec

from bad_input_cases import assert_lines, invoke, nothing_written, reg, study
from builders import write_study


def patients_frame(patients: int = 24, visits: int = 5, classes: bool = False, seed: int = 0) -> pd.DataFrame:
    """Several visits per patient; `site_code` identifies the patient and carries the patient's own
    offset (a random effect), `dose` has a real effect, `noise` none."""
    rng = np.random.default_rng(seed)
    patient = np.repeat(np.arange(patients), visits)
    offset = rng.normal(0, 2.0, patients)[patient]
    dose, noise = rng.normal(size=(2, patients * visits))
    y = 1.5 * dose + offset + rng.normal(0, 0.5, patients * visits)
    frame = pd.DataFrame({"patient_id": [f"p{p:03d}" for p in patient], "site_code": patient * 7.0 % 23,
                          "dose": dose, "noise": noise, "y": y})
    return frame.assign(y=np.where(y > np.median(y), "high", "low")) if classes else frame


def spec(evaluation: dict | None = None, **changes) -> dict:
    base = {"name": "visits", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "Ridge"},
            "evaluation": {"folds": 4, "repeats": 3, "seed": 5, "metrics": ["rmse"], "groups": "patient_id", **(evaluation or {})},
            "ablations": [{"features": "each", "mode": "drop"}]}
    return base | changes


@pytest.mark.parametrize("classes", [False, True], ids=["regression", "classification"])
def test_no_group_is_ever_on_both_sides_of_a_split(tmp_path, classes):
    frame = patients_frame(classes=classes)
    model = {"estimator": "LogisticRegression"} if classes else {"estimator": "Ridge"}
    path = write_study(tmp_path, spec({"metrics": ["accuracy"] if classes else ["rmse"]}, model=model), frame)
    loaded = load_dataset(load_spec(path))
    assert "patient_id" not in loaded.features.columns  # the group column is not a feature unless listed
    assert dataset_problems(load_spec(path), loaded) == []
    splits = make_splits(loaded, load_spec(path).evaluation)
    assert len(splits) == 12 and fold_labels(splits, len(frame)) is not None  # a partition in every repeat
    for split in splits:
        train, test = set(frame.patient_id.iloc[split.train]), set(frame.patient_id.iloc[split.test])
        assert not train & test
        assert len(split.train) + len(split.test) == len(frame)
    if classes:  # stratified: each test fold holds both classes
        assert all(len(set(loaded.target[s.test])) == 2 for s in splits)
    # seeded, and a longer design extends a shorter one (repeats: auto takes them in order)
    again = make_splits(loaded, load_spec(path).evaluation.model_copy(update={"repeats": 5}))
    assert all(np.array_equal(a.test, b.test) for a, b in zip(splits, again[:12], strict=True))
    other = make_splits(loaded, load_spec(path).evaluation.model_copy(update={"seed": 6}))
    assert any(not np.array_equal(a.test, b.test) for a, b in zip(splits, other, strict=True))


def test_a_grouped_study_runs_every_mode_and_says_how_it_split(tmp_path):
    frame = patients_frame()
    ablations = [{"features": ["dose", "noise"], "mode": "drop"}, {"features": ["dose"], "mode": "permute", "permutations": 2},
                 {"features": ["noise"], "mode": "mean"}]
    path = write_study(tmp_path, spec(ablations=ablations), frame)
    result = run_study(load_spec(path), tmp_path / "out")
    rows = result.comparison.set_index("variant")
    assert rows.loc["drop__dose", "verdict"] == "essential"
    assert set(rows.index) == {"drop__dose", "drop__noise", "permute__dose", "mean__noise"}
    assert "grouped by 'patient_id'" in (tmp_path / "out" / "report.md").read_text()


def test_dropping_rows_without_a_target_counts_them(tmp_path):
    frame = patients_frame()
    frame.loc[[3, 17], "y"] = np.nan
    refused = load_spec(write_study(tmp_path / "refuse", spec(), frame))
    assert "has 2 missing value(s)" in dataset_problems(refused, load_dataset(refused))[0]
    dropped = load_spec(write_study(tmp_path / "drop", spec(data={"source": "data.csv", "target": "y", "missing_target": "drop"}), frame))
    loaded = load_dataset(dropped)
    assert loaded.n_rows == len(frame) - 2 and loaded.target_dropped == 2 and len(loaded.split_groups) == loaded.n_rows
    assert dataset_problems(dropped, loaded) == []


def plain(evaluation: dict, **data) -> dict:
    return reg(evaluation=evaluation, data={"source": "data.csv", "target": "y", **data}, ablations=[{"features": "each", "mode": "drop"}])


def test_a_group_that_cannot_split_is_one_line_and_nothing_is_written(tmp_path):
    frame = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 3, "y": np.arange(40.0) * 1.37, "site": ["x", "y", "z"] * 13 + ["x"]})
    cases = {
        "sitee": ("evaluation.groups: unknown column 'sitee'; did you mean 'site'? (columns: a, b, y, site)", frame),
        "y": ("evaluation.groups: 'y' is the target; name the column whose rows belong together", frame),
        "site": ("evaluation.groups: 5 folds need at least 5 groups; column 'site' has 3", frame),
    }
    for name, (line, data) in cases.items():
        path = study(tmp_path / name, plain({"folds": 5, "repeats": 2, "groups": name}), data)
        assert_lines(invoke("validate", path), path, line)
    gaps = frame.assign(site=frame.site.where(frame.index % 7 != 0), b=frame.index % 8)
    path = study(tmp_path / "gaps", plain({"folds": 2, "repeats": 2, "groups": "site"}), gaps)
    assert_lines(invoke("validate", path), path, "evaluation.groups: column 'site' has 6 missing value(s); every row needs a group")
    few = frame.assign(y=np.where(frame.index < 36, np.nan, frame.y))
    path = study(tmp_path / "few", plain({"folds": 5, "repeats": 2}, missing_target="drop"), few)
    assert_lines(invoke("validate", path), path, "evaluation.folds: 5 folds need at least 10 rows (2 per test fold, for the metrics); "
                                                 "the data has 4")
    nothing_written(tmp_path)
