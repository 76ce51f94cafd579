"""A study's rows as a typed dataset: the features it uses, numeric and categorical columns, the
task and the encoded target; and everything that makes the data unfit for the study."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError, did_you_mean, listed
from ..spec.messages import shown
from ..spec.schema import StudySpec
from ..vocabulary import Task
from .files import is_bundled
from .sources import Source, read_source
from .times import as_days, as_time

MAX_CLASSES_FOR_INT_TARGET = 10
UNIQUE_SHARE, MIN_UNIQUE_ROWS = 0.5, 20  # a categorical column this share of whose rows (and this many) hold a value of their own
MIN_TEST_ROWS = 2  # per test fold: r2 and most scores need two rows to be defined


@dataclass(frozen=True)
class Dataset:
    """Feature frame, encoded target and what the model builder needs to know about the columns."""

    features: pd.DataFrame
    target: np.ndarray
    target_name: str
    task: Task
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    classes: tuple[str, ...] | None
    version: str
    target_missing: int = 0
    data_spec: str = ""  # fingerprint of the spec's data section it was loaded for
    split_groups: np.ndarray | None = None  # evaluation.groups: each row's group code (never a feature unless listed)
    split_order: np.ndarray | None = None  # evaluation.order: the rows' indices in time order (stable for ties)
    target_dropped: int = 0  # rows dropped for a missing target (data.missing_target: drop)
    held_out: int = 0  # the last rows came from evaluation.holdout.source: the held-out set
    times: tuple[str, ...] = ()  # features read as dates, times or durations: now days (as_days)

    @property
    def n_rows(self) -> int:
        return len(self.features)


def data_spec_fingerprint(spec: StudySpec) -> str:
    """What a dataset depends on in the spec: its data section, and the columns that group or order its rows."""
    data = spec.data.model_dump(mode="json")
    evaluation = spec.evaluation
    if evaluation.groups is not None:
        data = {**data, "split_groups": evaluation.groups}
    if evaluation.order is not None:
        data = {**data, "split_order": evaluation.order}
    return spec.fingerprint(data)


def feature_names(spec: StudySpec, columns: list[str]) -> list[str]:
    """The features the study uses: `data.features`, or every column but the target (and, for a bundled
    dataset whose target is another column, but its own class label `target`, which would give the
    answer away or stand in for it: name it in data.features to use it)."""
    check_target(spec, columns)
    check_split_groups(spec, columns)
    if spec.data.features is None:
        label_column = is_bundled(spec.data) and spec.data.target != "target"  # a bundled dataset's own class label
        names = [c for c in columns if c != spec.data.target and not (label_column and c == "target")
                 and c not in (spec.evaluation.groups, spec.evaluation.order)]
        if not names:
            raise DataError(f"{spec.label}: {spec.data.field}: the data has no column besides the target '{spec.data.target}'")
        return names
    problems = []
    for i, name in enumerate(spec.data.features):
        if name not in columns or name == spec.data.target:
            why = "is the target" if name == spec.data.target else \
                f"is not a column of the data (expected one of {listed(columns)}){did_you_mean(name, columns)}"
            problems.append(f"{spec.label}: data.features[{i}]: '{name}' {why}")
    if problems:
        raise SpecError("\n".join(problems))
    return list(spec.data.features)


def check_target(spec: StudySpec, columns: list[str]) -> None:
    if spec.data.target not in columns:
        raise SpecError(
            f"{spec.label}: data.target: unknown column '{spec.data.target}'{did_you_mean(spec.data.target, columns)}"
            f" (columns: {', '.join(map(str, columns[:12]))}{' ...' if len(columns) > 12 else ''})"
        )


def check_split_groups(spec: StudySpec, columns: list[str]) -> None:
    """The columns that group (evaluation.groups) or order (evaluation.order) the rows must exist and not be the target."""
    for field, name, meant in (("groups", spec.evaluation.groups, "whose rows belong together"),
                               ("order", spec.evaluation.order, "that orders the rows in time")):
        if name is None:
            continue
        if name == spec.data.target:
            raise SpecError(f"{spec.label}: evaluation.{field}: '{name}' is the target; name the column {meant}")
        if name not in columns:
            raise SpecError(f"{spec.label}: evaluation.{field}: unknown column '{name}'{did_you_mean(name, columns)}"
                            f" (columns: {', '.join(map(str, columns[:12]))}{' ...' if len(columns) > 12 else ''})")


def load_dataset(spec: StudySpec, source: Source | None = None) -> Dataset:
    """Read the source once (or take the rows already read: an upstream asset's), select features, type
    the columns and encode the target (and the groups)."""
    source = source or read_source(spec)
    frame, version, held_out = source.frame, source.version, 0
    frame.columns = [str(c) for c in frame.columns]
    holdout = spec.evaluation.holdout
    if holdout is not None and holdout.source is not None:
        extra = read_source(spec, holdout.source, "evaluation.holdout.source")
        frame, held_out, version = _with_held_out(spec, frame, extra.frame), len(extra.frame), f"{version}+{extra.version}"
    names = feature_names(spec, list(frame.columns))
    dropped = 0
    if spec.data.missing_target == "drop":
        keep = frame[spec.data.target].notna().to_numpy()
        dropped = int((~keep).sum())
        held_out = int(keep[len(keep) - held_out:].sum()) if held_out else 0
        frame = frame.loc[keep].reset_index(drop=True) if dropped else frame
    for i, name in enumerate(spec.data.categorical):
        if name == spec.data.target:
            raise SpecError(f"{spec.label}: data.categorical[{i}]: '{name}' is the target, not a feature")
        if name not in names:
            raise SpecError(f"{spec.label}: data.categorical[{i}]: unknown feature '{name}'{did_you_mean(name, names)}")
    _refuse_cells_no_model_takes(spec, frame, [*names, spec.data.target])
    # The copy consolidates a parsed file's columns into one block per dtype (pandas reads a CSV as a block per
    # column, and every fold's rows taken from 150 blocks cost 4x as much); an .npz array is one block as read,
    # and copying it cost 0.9 s at 100,000 x 256 (a transposition).
    features = frame[names] if spec.data.x is not None else frame[names].copy()
    times = {c: as_time(features[c]) for c in names if c not in spec.data.categorical}
    times = {c: values for c, values in times.items() if values is not None}
    if times:  # a date read as text categories would be unseen in every test fold: as a number, models can order it
        features = features.assign(**{c: as_days(values) for c, values in times.items()})
    categorical = tuple(
        c for c in names if c in spec.data.categorical or not pd.api.types.is_numeric_dtype(features[c])
    )
    if categorical:  # one representation for strings, whatever the pandas version
        features = features.assign(**{c: features[c].astype(object).where(features[c].notna(), np.nan) for c in categorical})
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
        version=version,
        target_missing=int(raw_target.isna().sum()),
        data_spec=data_spec_fingerprint(spec),
        split_groups=_group_codes(spec, frame),
        split_order=_time_order(spec, frame),
        target_dropped=dropped,
        held_out=held_out,
        times=tuple(times),
    )


def _with_held_out(spec: StudySpec, frame: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """The data's rows, then the held-out file's, which must have the same columns (in any order)."""
    extra.columns = [str(c) for c in extra.columns]
    missing = [c for c in frame.columns if c not in extra.columns]
    surplus = [c for c in extra.columns if c not in frame.columns]
    if missing or surplus:
        parts = [f"missing {listed(missing)}" if missing else "", f"extra {listed(surplus)}" if surplus else ""]
        raise DataError(f"{spec.label}: evaluation.holdout.source: its columns are not the data's ({'; '.join(p for p in parts if p)})")
    if extra.empty:
        raise DataError(f"{spec.label}: evaluation.holdout.source: {spec.evaluation.holdout.source} has no rows")
    return _stacked(frame, extra[list(frame.columns)])


def _stacked(top: pd.DataFrame, bottom: pd.DataFrame) -> pd.DataFrame:
    """`pd.concat` of two frames with the same columns, row-wise. Where every column has the same numpy
    dtype in both, each dtype's columns are stacked as one array: pandas copied 100,000 x 256 floats of an
    .npz file column by column (1 s; the arrays' own concatenation 0.03 s)."""
    columns = list(top.columns)
    dtypes = [top[c].dtype for c in columns]
    alike = all(isinstance(d, np.dtype) and bottom[c].dtype == d for c, d in zip(columns, dtypes, strict=True))
    if len(set(columns)) != len(columns) or not alike:
        return pd.concat([top, bottom], ignore_index=True)
    groups: dict[np.dtype, list[str]] = {}
    for column, dtype in zip(columns, dtypes, strict=True):
        groups.setdefault(dtype, []).append(column)
    # Objects stay objects (pandas would read an object array of text as strings); naming any other dtype made
    # pandas copy the stacked array again, column by column.
    parts = [pd.DataFrame(np.concatenate([top[names].to_numpy(), bottom[names].to_numpy()]), columns=names, copy=False,
                          dtype=object if dtype.kind == "O" else None) for dtype, names in groups.items()]
    return pd.concat(parts, axis=1)[columns]


def _time_order(spec: StudySpec, frame: pd.DataFrame) -> np.ndarray | None:
    """The rows' indices sorted by evaluation.order (stable: ties keep the file's order). Numbers sort as
    numbers, ISO dates or times (2024-01-31, 2024-01-31T08:00) as those; other text is refused rather than
    sorted as text ('10' before '9', 'Feb' before 'Jan'), and so is a missing value (a row with no time has
    no place in the chain)."""
    name = spec.evaluation.order
    if name is None:
        return None
    values = frame[name]
    missing = int(values.isna().sum())
    if missing:
        raise DataError(f"{spec.label}: evaluation.order: column '{name}' has {missing} missing value(s); every row needs a time")
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
        try:
            values = pd.to_datetime(values, format="ISO8601")
        except (ValueError, TypeError):
            example = next((v for v in values if _not_a_date(v)), values.iloc[0])
            raise DataError(f"{spec.label}: evaluation.order: column '{name}' holds {example!r}, which is neither a number nor an "
                            "ISO date or time (2024-01-31, 2024-01-31T08:00); text would not sort in time") from None
    return np.argsort(values.to_numpy(), kind="stable")


def _not_a_date(value: object) -> bool:
    try:
        pd.to_datetime(value, format="ISO8601")
    except (ValueError, TypeError):
        return True
    return False


def _group_codes(spec: StudySpec, frame: pd.DataFrame) -> np.ndarray | None:
    """Each row's group as a code (groups numbered in order of first appearance); -1 where missing."""
    if spec.evaluation.groups is None:
        return None
    codes, _ = pd.factorize(frame[spec.evaluation.groups], sort=False)
    return codes.astype(np.int64)


def infer_task(target: pd.Series) -> Task:
    """Non-numeric or few integer values -> classification; anything else -> regression."""
    values = target.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return Task.CLASSIFICATION
    integral = np.allclose(values.to_numpy(dtype=float), np.round(values.to_numpy(dtype=float)))
    return Task.CLASSIFICATION if integral and values.nunique() <= MAX_CLASSES_FOR_INT_TARGET else Task.REGRESSION


def _encode_target(spec: StudySpec, target: pd.Series, task: Task) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if task == Task.REGRESSION:
        if not pd.api.types.is_numeric_dtype(target):
            raise DataError(
                f"{spec.label}: data.target: column '{spec.data.target}' is not numeric, so it cannot be a "
                "regression target; set data.task: classification"
            )
        return target.to_numpy(dtype=float), None
    labels = target.astype(object).where(target.notna(), None)
    classes = tuple(sorted({str(v) for v in labels if v is not None}))
    positive = spec.data.positive
    if positive is not None:  # the positive class is the second: what binary precision, recall, f1 and roc_auc score
        if positive not in classes:
            raise DataError(f"{spec.label}: data.positive: '{positive}' is not a class of '{spec.data.target}'"
                            f"{did_you_mean(positive, classes)} (classes: {listed(classes)})")
        if len(classes) != 2:
            raise DataError(f"{spec.label}: data.positive: '{spec.data.target}' has {len(classes)} classes; a positive class "
                            "applies to a binary target (more classes are macro-averaged, every class alike)")
        network = spec.model.network
        if positive != classes[1] and network is not None and network.checkpoint is not None:
            raise DataError(f"{spec.label}: data.positive: a checkpoint's outputs are the classes in sorted order "
                            f"({classes[0]!r}, {classes[1]!r}), so its positive class is {classes[1]!r}")
        classes = (*(c for c in classes if c != positive), positive)
    lookup = {c: i for i, c in enumerate(classes)}
    codes = np.array([lookup[str(v)] if v is not None else -1 for v in labels], dtype=np.int64)
    return codes, classes


PLAIN_CELLS = (str, int, float, bool, np.generic, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal,
               type(None), type(pd.NA), type(pd.NaT))
PLAIN_KINDS = {"string", "integer", "floating", "mixed-integer-float", "decimal", "boolean", "datetime", "datetime64", "date",
               "time", "timedelta", "timedelta64", "empty"}  # pd.api.types.infer_dtype's names for columns of PLAIN_CELLS only


def _refuse_cells_no_model_takes(spec: StudySpec, frame: pd.DataFrame, columns: list[str]) -> None:
    """A cell holding a list, a dict, bytes or an array (a Parquet list column, say) passes every other
    check and then fails every fit; refused here, before anything is fitted, naming its column and row."""
    for column in columns:
        values = frame[column]
        if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in PLAIN_KINDS:
            continue  # pandas' own scan (C): 0.008 s for a million strings, against 0.1 s for the one below
        odd = next(((row, value) for row, value in enumerate(values.to_numpy()) if not isinstance(value, PLAIN_CELLS)), None)
        if odd is not None:
            row, value = odd
            field = "data.target" if column == spec.data.target else "data.features"
            raise DataError(f"{spec.label}: {field}: column '{column}' holds {type(value).__name__} values (row {row + 1}: "
                            f"{shown(value, 40)}); expected one number, text or date per cell: flatten or encode it first")


def data_notes(dataset: Dataset) -> list[str]:
    """What the model sees other than as read, and what it can hardly learn from, one line each: the columns
    of dates read as days; a categorical feature most of whose rows hold a value no other row has (an ID, or a
    number read as text): every test fold meets those values as new, so a removable verdict for it says the
    model does not use it, not that the column carries nothing."""
    verb = "is" if len(dataset.times) == 1 else "are"
    notes = [f"data.features: {', '.join(repr(c) for c in dataset.times)} (dates, times or durations) {verb} read as days "
             "since 1970-01-01 UTC; list one in data.categorical to keep it a category"] if dataset.times else []
    for column in dataset.categorical:
        counts = dataset.features[column].value_counts(dropna=True)
        alone = int((counts == 1).sum())
        if alone >= max(MIN_UNIQUE_ROWS, UNIQUE_SHARE * dataset.n_rows):
            notes.append(f"data.features: column '{column}' is categorical and {alone:,} of its {dataset.n_rows:,} rows hold a "
                         "value no other row has, so a test fold meets them as new and the model can hardly use it (an ID? "
                         "a number read as text?); a removable verdict for it means the model does not use it")
    return notes


def dataset_problems(spec: StudySpec, dataset: Dataset) -> list[str]:
    """Everything that makes the data unfit for this study, one line each (empty when fine)."""
    label = spec.label
    problems = []
    if dataset.target_missing:
        problems.append(
            f"{label}: data.target: column '{dataset.target_name}' has {dataset.target_missing} missing "
            "value(s); drop or fill those rows"
        )
    if dataset.task == Task.REGRESSION and np.isinf(dataset.target).any():
        problems.append(f"{label}: data.target: column '{dataset.target_name}' has {int(np.isinf(dataset.target).sum())} "
                        "infinite value(s); drop or fix those rows")
    folds = spec.evaluation.folds
    problems += _group_problems(spec, dataset)
    blocks = folds + 1 if spec.evaluation.order is not None else folds  # forward chaining trains on a first block
    if dataset.n_rows < MIN_TEST_ROWS * blocks:
        problems.append(f"{label}: evaluation.folds: {folds} folds need at least {MIN_TEST_ROWS * blocks} rows "
                        f"({MIN_TEST_ROWS} per test fold, for the metrics); the data has {dataset.n_rows}")
    for column in dataset.features.columns[dataset.features.isna().all().to_numpy()]:
        problems.append(f"{label}: data.features: column '{column}' is entirely missing")
    infinite = np.isinf(_numbers(dataset.features[list(dataset.numeric)])).sum(axis=0) if dataset.numeric else []
    for column, count in zip(dataset.numeric, infinite, strict=True):
        if count:
            problems.append(f"{label}: data.features: column '{column}' has {int(count)} infinite value(s); drop or fix those rows")
    if dataset.task == Task.CLASSIFICATION:
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


def _group_problems(spec: StudySpec, dataset: Dataset) -> list[str]:
    codes = dataset.split_groups
    if codes is None:
        return []
    name, folds = spec.evaluation.groups, spec.evaluation.folds
    problems = []
    if (codes < 0).any():
        problems.append(f"{spec.label}: evaluation.groups: column '{name}' has {int((codes < 0).sum())} missing value(s); "
                        "every row needs a group")
    groups = int(np.unique(codes[codes >= 0]).size)
    if groups < folds:
        problems.append(f"{spec.label}: evaluation.groups: {folds} folds need at least {folds} groups; column '{name}' has {groups}")
    return problems


def require_fit_for_study(spec: StudySpec, dataset: Dataset) -> None:
    problems = dataset_problems(spec, dataset)
    if problems:
        raise DataError("\n".join(problems))


def _numbers(frame: pd.DataFrame) -> np.ndarray:
    """The numeric columns' values in their own precision when numpy holds them as numbers (float32 images
    stay float32: widening 100,000 x 256 of them cost 1.6 s), else as floats (nullable columns)."""
    values = frame.to_numpy()
    return values if values.dtype.kind in "fiub" else frame.to_numpy(dtype=float)
