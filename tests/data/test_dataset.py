"""Typing a study's rows: which columns are categorical, which task it is, how the target is encoded,
and what makes data unfit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation_pipeline.data.dataset import _stacked, dataset_problems, infer_task, load_dataset
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.vocabulary import Task
from builders import linear_frame, small_spec, write_study


@pytest.mark.parametrize(("values", "task"), [
    ([0.5, 1.5, 2.25], Task.REGRESSION),
    (list(range(11)), Task.REGRESSION),          # more than 10 integer values: a count, not classes
    ([0, 1, 2, 1, 0], Task.CLASSIFICATION),
    (["a", "b", "a"], Task.CLASSIFICATION),
    ([True, False, True], Task.CLASSIFICATION),
])
def test_task_is_inferred_from_the_target(values, task):
    assert infer_task(pd.Series(values)) is task


def test_columns_are_typed_and_the_target_encoded(tmp_path):
    frame = linear_frame().assign(label=lambda f: np.where(f.y > 0, "high", "low")).drop(columns="y")
    spec = small_spec(data={"source": "data.csv", "target": "label", "categorical": ["const"]}, ablations=[{"features": "each"}])
    dataset = load_dataset(load_spec(write_study(tmp_path, spec, frame)))
    assert dataset.task is Task.CLASSIFICATION and dataset.classes == ("high", "low")
    assert dataset.numeric == ("a", "b", "c") and dataset.categorical == ("const", "city")
    assert set(dataset.target) == {0, 1} and (dataset.target == (frame.label == "low")).all()
    assert dataset.version.startswith("sha256:")


def test_unfit_data_is_described_one_problem_a_line(tmp_path):
    frame = linear_frame(rows=12).assign(empty=np.nan)
    frame.loc[0, "y"] = np.nan
    spec = small_spec(evaluation={"folds": 20}, ablations=[{"features": "each"}])
    path = write_study(tmp_path, spec, frame)
    problems = [line.split(": ", 1)[1] for line in dataset_problems(load_spec(path), load_dataset(load_spec(path)))]
    assert problems == [
        "data.target: column 'y' has 1 missing value(s); drop or fill those rows",
        "evaluation.folds: 20 folds need at least 40 rows (2 per test fold, for the metrics); the data has 12",
        "data.features: column 'empty' is entirely missing",
    ]


def test_a_bundled_label_is_no_feature_when_another_column_is_the_target():
    """sklearn:wine's class label would stand in for a chemistry target; it is left out unless named."""
    from ablation_pipeline.data.dataset import feature_names
    from ablation_pipeline.data.sources import read_header
    from ablation_pipeline.spec.loading import parse_spec

    spec = parse_spec({"name": "wine", "data": {"source": "sklearn:wine", "target": "alcohol"}, "model": {"estimator": "Ridge"},
                       "ablations": [{"features": "each"}]})
    assert "target" in read_header(spec) and "target" not in feature_names(spec, read_header(spec))
    named = parse_spec({**spec.model_dump(mode="json", exclude={"path"}),
                        "data": {"source": "sklearn:wine", "target": "alcohol", "features": ["target", "hue"]}})
    assert feature_names(named, read_header(named)) == ["target", "hue"]
    classes = parse_spec({**spec.model_dump(mode="json", exclude={"path"}), "data": {"source": "sklearn:wine", "target": "target"}})
    assert "alcohol" in feature_names(classes, read_header(classes))


@pytest.mark.parametrize("kind", ["numpy dtypes", "a categorical column", "dtypes that differ"])
def test_held_out_rows_are_stacked_as_pandas_concatenates_them(kind):
    rng = np.random.default_rng(0)

    def frame(rows: int) -> pd.DataFrame:  # the dtypes interleaved, so the stacked groups must be put back in order
        return pd.DataFrame({"a": rng.normal(size=rows).astype(np.float32), "n": rng.integers(0, 9, rows),
                             "b": rng.normal(size=rows), "c": rng.normal(size=rows).astype(np.float32),
                             "s": pd.Series(np.array(["x", "y"], dtype=object)[rng.integers(0, 2, rows)], dtype=object)})

    top, bottom = frame(7), frame(5)
    assert all(isinstance(d, np.dtype) for d in top.dtypes)  # the arrays' own path, objects included
    if kind == "a categorical column":
        top["s"], bottom["s"] = top["s"].astype("category"), bottom["s"].astype("category")
    if kind == "dtypes that differ":
        bottom["a"] = bottom["a"].astype(np.float64)
    pd.testing.assert_frame_equal(_stacked(top, bottom), pd.concat([top, bottom], ignore_index=True))


def test_an_npz_held_out_file_is_appended_to_the_npz_data(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {name: (rng.normal(size=(rows, 2, 3)).astype(np.float32), rng.integers(0, 3, rows)) for name, rows in (("train", 30), ("test", 12))}
    for name, (x, y) in arrays.items():
        np.savez(tmp_path / f"{name}.npz", x=x, y=y)
    path = write_study(tmp_path, {**small_spec(), "data": {"source": "train.npz", "x": "x", "y": "y"},
                                  "evaluation": {"holdout": {"source": "test.npz"}, "metrics": ["accuracy"]},
                                  "ablations": [{"features": ["x_0"], "mode": "permute"}]})
    dataset = load_dataset(load_spec(path))
    x = np.concatenate([arrays["train"][0], arrays["test"][0]]).reshape(42, 6)
    assert dataset.held_out == 12 and list(dataset.features.columns) == [f"x_{i}" for i in range(6)]
    np.testing.assert_array_equal(dataset.features.to_numpy(), x)


def test_the_features_of_a_many_column_file_are_one_array(tmp_path):
    """Consolidated once when read (a parsed CSV comes as a block per column): every fold's rows are then
    taken from one array, and the whole table is a view of it rather than assembled again on each call."""
    frame = pd.DataFrame(np.random.default_rng(2).normal(size=(40, 30)), columns=[f"c{i}" for i in range(30)]).assign(y=np.arange(40.0))
    path = write_study(tmp_path, {**small_spec(), "data": {"source": "data.csv", "target": "y"},
                                  "ablations": [{"features": ["c0"], "mode": "drop"}]}, frame)
    features = load_dataset(load_spec(path)).features
    assert np.shares_memory(features.to_numpy(), features.to_numpy())


def _dated(rows: int = 240) -> pd.DataFrame:
    """A Parquet-typed frame whose target is set by a date: each row's built date, in and out of a time zone,
    and a duration."""
    rng = np.random.default_rng(0)
    days = rng.integers(0, 20_000, rows)
    built = pd.Series(pd.Timestamp("1960-01-01") + pd.to_timedelta(days, unit="D"))
    built[3] = pd.NaT
    return pd.DataFrame({"built": built, "built_oslo": built.dt.tz_localize("Europe/Oslo"),
                         "lease": pd.to_timedelta(rng.integers(1, 400, rows), unit="D"), "noise": rng.normal(size=rows),
                         "price": days / 100 + rng.normal(size=rows)})


def test_dates_and_durations_are_numbers_in_days(tmp_path):
    """A date column (Parquet, an upstream frame) is days since 1970, not text categories that every test
    fold would meet as unseen; a duration is days; data.categorical keeps one a category if the spec says so."""
    frame = _dated()
    frame.to_parquet(tmp_path / "dated.parquet")
    spec = small_spec(data={"source": "dated.parquet", "target": "price", "categorical": ["built_oslo"]},
                      ablations=[{"features": "each"}])
    dataset = load_dataset(load_spec(write_study(tmp_path, spec)))
    assert set(dataset.numeric) == {"built", "lease", "noise"} and dataset.categorical == ("built_oslo",)
    built = dataset.features["built"].to_numpy()
    assert built[0] == (frame.built[0] - pd.Timestamp("1970-01-01")).days and np.isnan(built[3])
    assert dataset.features["lease"].tolist() == (frame.lease.dt.days.astype(float)).tolist()
    from ablation_pipeline.data.dataset import data_notes

    dates, ids = data_notes(dataset)  # and built_oslo, kept a category as asked, is one value per row: noted as such
    assert dates == ("data.features: 'built', 'lease' (dates, times or durations) are read as days since 1970-01-01 UTC; "
                     "list one in data.categorical to keep it a category")
    assert ids.startswith("data.features: column 'built_oslo' is categorical and 233 of its 240 rows hold a value no other row has")


def test_a_csvs_iso_dates_are_numbers_and_other_text_stays_categories(tmp_path):
    frame = pd.DataFrame({"sold": ["2024-01-31", "2024-02-01T12:00", None, "2024-03-01T00:00+01:00"] * 10,
                          "month": ["2024-01", "2024-02", "2024-03", "2024-01"] * 10,
                          "city": ["oslo", "2024-01-31", "bergen", "oslo"] * 10, "y": np.arange(40.0)})
    spec = small_spec(data={"source": "data.csv", "target": "y", "categorical": ["month"]}, ablations=[{"features": "each"}])
    dataset = load_dataset(load_spec(write_study(tmp_path, spec, frame)))
    assert dataset.numeric == ("sold",) and set(dataset.categorical) == {"month", "city"}
    assert dataset.features["sold"].tolist()[:4] == pytest.approx([19753.0, 19754.5, np.nan, 19783.0 - 1 / 24], nan_ok=True, abs=1e-9)


def test_a_date_that_sets_the_target_is_found_essential(tmp_path):
    """End to end: the model orders the rows by their date (as text categories, each test row's date was
    unseen and permuting it changed nothing: 'removable')."""
    from ablation_pipeline.pipeline.run import run_study

    frame = _dated()
    frame.to_parquet(tmp_path / "dated.parquet")
    spec = small_spec(data={"source": "dated.parquet", "target": "price"}, model={"estimator": "Ridge"},
                      evaluation={"folds": 3, "repeats": 2, "seed": 0, "metrics": ["rmse"]},
                      ablations=[{"features": ["built", "built_oslo", "noise"], "mode": "drop"}, {"features": ["built"], "mode": "permute"}])
    table = run_study(load_spec(write_study(tmp_path, spec)), tmp_path / "out").comparison.set_index("variant")
    assert table.loc["permute__built", "verdict"] == "essential" and table.loc["permute__built", "delta"] > 10


def test_a_categorical_column_of_ids_is_noted_in_validate_and_the_report(tmp_path):
    """Most rows' value is theirs alone (an ID): noted once, in `ablation validate` and the report, as what
    a removable verdict then means; a column whose values repeat, and a small one, are not."""
    from typer.testing import CliRunner

    from ablation_pipeline.cli import app
    from ablation_pipeline.data.dataset import data_notes
    from ablation_pipeline.pipeline.run import run_study

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer": [f"C{i:04d}" for i in range(60)], "city": rng.choice(["a", "b", "c"], 60),
                          "x": rng.normal(size=60), "y": rng.normal(size=60)})
    spec = small_spec(data={"source": "data.csv", "target": "y"}, model={"estimator": "Ridge"},
                      evaluation={"folds": 3, "repeats": 1, "metrics": ["rmse"]}, ablations=[{"features": "each", "mode": "permute"}])
    path = write_study(tmp_path, spec, frame)
    notes = data_notes(load_dataset(load_spec(path)))
    assert len(notes) == 1 and notes[0].startswith("data.features: column 'customer' is categorical and 60 of its 60 rows hold a "
                                                   "value no other row has")
    assert data_notes(load_dataset(load_spec(write_study(tmp_path / "small", spec, frame.head(15))))) == []  # 15 < 20 rows of their own
    shown = CliRunner().invoke(app, ["validate", str(path)])
    assert shown.exit_code == 0 and f"note: {path}: {notes[0]}" in " ".join(shown.stdout.split())
    run_study(load_spec(path), tmp_path / "out")
    report = (tmp_path / "out" / "report.md").read_text()
    assert f"## Data notes\n\n- {notes[0]}\n" in report


def test_a_binary_targets_positive_class_is_the_one_precision_recall_f1_and_auc_score(tmp_path):
    """data.positive puts the named class second (code 1: what binary f1 and roc_auc score as positive);
    a class the target lacks, or a target of more classes, is refused in one line."""
    from sklearn.metrics import f1_score

    from ablation_pipeline.errors import DataError
    from ablation_pipeline.evaluation.metrics import METRICS, evaluate

    rng = np.random.default_rng(1)
    label = np.where(rng.random(80) < 0.25, "churned", "stayed")
    frame = pd.DataFrame({"x": rng.normal(size=80), "label": label})
    for positive, code in (("churned", 1), ("stayed", 1), (None, 1)):
        data = {"source": "data.csv", "target": "label", **({"positive": positive} if positive else {})}
        dataset = load_dataset(load_spec(write_study(tmp_path, small_spec(data=data, ablations=[{"features": "each"}]), frame)))
        wanted = positive or "stayed"  # the default: the second in sorted order
        assert dataset.classes[code] == wanted and (dataset.target == code).sum() == (label == wanted).sum()
        guess = np.roll(dataset.target, 3)
        assert evaluate(METRICS["f1"], dataset.target, guess, None, 2) == pytest.approx(
            f1_score(label, np.array(dataset.classes)[guess], pos_label=wanted))
    for data, message in (({"positive": "churn"}, "data.positive: 'churn' is not a class of 'label'; did you mean 'churned'?"),
                          ({"target": "x3", "positive": "a"}, "data.positive: 'x3' has 3 classes; a positive class applies to a "
                                                               "binary target")):
        spec = small_spec(data={"source": "data.csv", "target": "label", **data}, ablations=[{"features": "each"}])
        with pytest.raises(DataError, match=message):
            load_dataset(load_spec(write_study(tmp_path, spec, frame.assign(x3=np.array(["a", "b", "c", "a"] * 20)))))


def test_a_checkpoints_positive_class_is_the_second_in_sorted_order(tmp_path):
    """A checkpoint's outputs are the classes in sorted order: a positive class that would reorder them is refused."""
    from ablation_pipeline.errors import DataError

    frame = pd.DataFrame({"x": np.arange(40.0), "label": ["no", "yes"] * 20})
    network = {"network": {"module": "usernets:Net", "checkpoint": "net.pt"}}
    for positive in ("yes", "no"):
        spec = small_spec(data={"source": "data.csv", "target": "label", "positive": positive}, model=network,
                          evaluation={"holdout": {"fraction": 0.25}}, ablations=[{"features": "each", "mode": "permute"}])
        path = write_study(tmp_path, spec, frame)
        if positive == "yes":
            assert load_dataset(load_spec(path)).classes == ("no", "yes")
        else:
            with pytest.raises(DataError, match=r"data.positive: a checkpoint's outputs are the classes in sorted order \('no', 'yes'\), "
                                                r"so its positive class is 'yes'"):
                load_dataset(load_spec(path))
