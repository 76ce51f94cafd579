"""Load a study's rows (CSV, Parquet or a bundled scikit-learn dataset), infer the task and the
column types, check the data is fit for the study, and build the paired split plan."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, SpecError, did_you_mean
from .spec import DataSpec, EvaluationSpec, StudySpec

BUNDLED_PREFIX = "sklearn:"
BUNDLED = ("breast_cancer", "diabetes", "digits", "iris", "wine")
FILE_SUFFIXES = (".csv", ".parquet", ".pq")
MAX_CLASSES_FOR_INT_TARGET = 10


@dataclass(frozen=True)
class Dataset:
    """Feature frame, encoded target and what the model builder needs to know about the columns."""

    features: pd.DataFrame
    target: np.ndarray
    target_name: str
    task: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    classes: tuple[str, ...] | None
    version: str
    target_missing: int = 0

    @property
    def n_rows(self) -> int:
        return len(self.features)


@dataclass(frozen=True)
class Split:
    """One train/test split of the plan; every variant is evaluated on exactly these rows."""

    index: int
    repeat: int
    fold: int
    train: np.ndarray
    test: np.ndarray


# ---------------------------------------------------------------- locating and versioning


def is_bundled(data: DataSpec) -> bool:
    return data.source.startswith(BUNDLED_PREFIX)


def source_path(spec: StudySpec) -> Path:
    """The data file, relative to the spec's folder first, then to the working directory."""
    raw = Path(spec.data.source).expanduser()
    candidates = [raw] if raw.is_absolute() else [spec.base_dir / raw, Path.cwd() / raw]
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    raise DataError(f"{_label(spec)}: data.source: file not found: {spec.data.source} (looked in {spec.base_dir})")


def source_version(spec: StudySpec) -> str:
    """Content version of the data: a hash of the file bytes, or the scikit-learn release for bundled data."""
    if is_bundled(spec.data):
        import sklearn

        return f"{spec.data.source}@sklearn-{sklearn.__version__}"
    digest = hashlib.sha256()
    with source_path(spec).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()[:16]}"


# ---------------------------------------------------------------- reading


def read_frame(spec: StudySpec, header_only: bool = False) -> pd.DataFrame:
    """All columns of the source (features and target). `header_only` is cheap, for planning."""
    if is_bundled(spec.data):
        return _bundled_frame(spec)
    path = source_path(spec)
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DataError(f"{_label(spec)}: data.source: unsupported file type '{suffix}' in {path.name}; expected .csv or .parquet")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, nrows=0 if header_only else None)
        else:
            frame = pd.read_parquet(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{_label(spec)}: data.source: cannot read {path}: {reason}") from None
    if frame.columns.empty:
        raise DataError(f"{_label(spec)}: data.source: {path} has no columns")
    return frame


def _bundled_frame(spec: StudySpec) -> pd.DataFrame:
    from sklearn import datasets

    name = spec.data.source.removeprefix(BUNDLED_PREFIX)
    if name not in BUNDLED:
        raise SpecError(
            f"{_label(spec)}: data.source: unknown bundled dataset '{name}', expected one of "
            f"{', '.join(BUNDLED_PREFIX + b for b in BUNDLED)}{did_you_mean(name, BUNDLED)}"
        )
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.copy()
    frame.columns = [snake_case(c) for c in frame.columns]
    if name != "diabetes":  # class labels read better than codes
        frame["target"] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    return frame


def snake_case(name: object) -> str:
    """'mean radius' -> 'mean_radius': bundled column names become valid spec and asset names."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower() or "column"


def feature_names(spec: StudySpec, columns: list[str]) -> list[str]:
    """The features the study uses: `data.features`, or every column but the target."""
    check_target(spec, columns)
    if spec.data.features is None:
        return [c for c in columns if c != spec.data.target]
    problems = []
    for i, name in enumerate(spec.data.features):
        if name not in columns or name == spec.data.target:
            why = "is the target" if name == spec.data.target else f"is not a column of the data{did_you_mean(name, columns)}"
            problems.append(f"{_label(spec)}: data.features[{i}]: '{name}' {why}")
    if problems:
        raise SpecError("\n".join(problems))
    return list(spec.data.features)


def check_target(spec: StudySpec, columns: list[str]) -> None:
    if spec.data.target not in columns:
        raise SpecError(
            f"{_label(spec)}: data.target: unknown column '{spec.data.target}'{did_you_mean(spec.data.target, columns)}"
            f" (columns: {', '.join(map(str, columns[:12]))}{' ...' if len(columns) > 12 else ''})"
        )


def load_dataset(spec: StudySpec) -> Dataset:
    """Read the source, select features, type the columns and encode the target."""
    frame = read_frame(spec)
    frame.columns = [str(c) for c in frame.columns]
    names = feature_names(spec, list(frame.columns))
    unknown_categorical = [c for c in spec.data.categorical if c not in names]
    if unknown_categorical:
        name = unknown_categorical[0]
        raise SpecError(f"{_label(spec)}: data.categorical: unknown feature '{name}'{did_you_mean(name, names)}")
    features = frame[names].copy()
    categorical = tuple(
        c for c in names if c in spec.data.categorical or not pd.api.types.is_numeric_dtype(features[c])
    )
    for column in categorical:  # one representation for strings, whatever the pandas version
        features[column] = features[column].astype(object).where(features[column].notna(), np.nan)
    numeric = tuple(c for c in names if c not in categorical)
    raw_target = frame[spec.data.target]
    task = spec.data.task or infer_task(raw_target)
    target, classes = _encode_target(spec, raw_target, task)
    return Dataset(
        features=features,
        target=target,
        target_name=spec.data.target,
        task=task,
        numeric=numeric,
        categorical=categorical,
        classes=classes,
        version=source_version(spec),
        target_missing=int(raw_target.isna().sum()),
    )


def infer_task(target: pd.Series) -> str:
    """Non-numeric or few integer values -> classification; anything else -> regression."""
    values = target.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification"
    integral = np.allclose(values.to_numpy(dtype=float), np.round(values.to_numpy(dtype=float)))
    return "classification" if integral and values.nunique() <= MAX_CLASSES_FOR_INT_TARGET else "regression"


def _encode_target(spec: StudySpec, target: pd.Series, task: str) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(target):
            raise DataError(
                f"{_label(spec)}: data.target: column '{spec.data.target}' is not numeric, so it cannot be a "
                "regression target; set data.task: classification"
            )
        return target.to_numpy(dtype=float), None
    labels = target.astype(object).where(target.notna(), None)
    classes = tuple(sorted({str(v) for v in labels if v is not None}))
    lookup = {c: i for i, c in enumerate(classes)}
    codes = np.array([lookup[str(v)] if v is not None else -1 for v in labels], dtype=np.int64)
    return codes, classes


# ---------------------------------------------------------------- fitness for the study


def dataset_problems(spec: StudySpec, dataset: Dataset) -> list[str]:
    """Everything that makes the data unfit for this study, one line each (empty when fine)."""
    label = _label(spec)
    problems = []
    if dataset.target_missing:
        problems.append(
            f"{label}: data.target: column '{dataset.target_name}' has {dataset.target_missing} missing "
            "value(s); drop or fill those rows"
        )
    if dataset.n_rows < spec.evaluation.folds:
        problems.append(f"{label}: evaluation.folds: {spec.evaluation.folds} folds need at least as many rows; the data has {dataset.n_rows}")
    for column in dataset.features.columns[dataset.features.isna().all().to_numpy()]:
        problems.append(f"{label}: data.features: column '{column}' is entirely missing")
    if dataset.task == "classification":
        counts = np.bincount(dataset.target[dataset.target >= 0], minlength=len(dataset.classes or ()))
        if len(counts) < 2:
            problems.append(f"{label}: data.target: classification needs at least 2 classes, found {len(counts)}")
        elif counts.min() < spec.evaluation.folds:
            smallest = dataset.classes[int(counts.argmin())]
            problems.append(
                f"{label}: evaluation.folds: {spec.evaluation.folds} stratified folds need at least "
                f"{spec.evaluation.folds} rows per class; class '{smallest}' has {counts.min()}"
            )
    return problems


def require_fit_for_study(spec: StudySpec, dataset: Dataset) -> None:
    problems = dataset_problems(spec, dataset)
    if problems:
        raise DataError("\n".join(problems))


# ---------------------------------------------------------------- splits


def make_splits(dataset: Dataset, evaluation: EvaluationSpec) -> list[Split]:
    """Repeated (stratified for classification) K-fold: one plan shared by the baseline and every variant."""
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    splitter_cls = RepeatedStratifiedKFold if dataset.task == "classification" else RepeatedKFold
    splitter = splitter_cls(n_splits=evaluation.folds, n_repeats=evaluation.repeats, random_state=evaluation.seed)
    rows = np.zeros(dataset.n_rows)
    return [
        Split(index=i, repeat=i // evaluation.folds, fold=i % evaluation.folds, train=train, test=test)
        for i, (train, test) in enumerate(splitter.split(rows, dataset.target))
    ]


def holdout_ratio(splits: list[Split]) -> float:
    """n_test / n_train averaged over splits, for the Nadeau-Bengio variance correction."""
    return float(np.mean([len(s.test) / len(s.train) for s in splits]))


def _label(spec: StudySpec) -> str:
    return str(spec.path) if spec.path else spec.name
