"""What one step hands the next. The dataset step's value is the study's data with its split plan;
every later value carries the data it was computed on (`OnData`), so a step reads its data from the
input that matters (the baseline, the scores) instead of from an edge to the dataset. The store keeps
the data once and the carried copies as references to it (orchestration.io_manager)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from ..data.dataset import Dataset
from ..data.splits import Split, fold_labels, from_fold_labels
from ..store.cache import fingerprint
from .identity import splits_digest

T = TypeVar("T")


@dataclass(frozen=True)
class StudyData:
    """The study's rows and the split plan every fit of the study uses."""

    dataset: Dataset
    splits: tuple[Split, ...]

    @property
    def digest(self) -> str:
        """Identifies the content: data, the spec's data section it was read for, and the split plan."""
        return fingerprint("study data", self.dataset.version, self.dataset.data_spec, splits_digest(list(self.splits)))

    def __reduce__(self):
        """Stored with the plan as fold labels (100,000 rows, 5 folds x 10 repeats: 1 MB instead of 40 MB
        of index arrays), when the plan is a K-fold partition; as it is otherwise."""
        labels = fold_labels(self.splits, self.dataset.n_rows)
        return (StudyData, (self.dataset, self.splits)) if labels is None else (_with_labelled_plan, (self.dataset, labels))


def _with_labelled_plan(dataset: Dataset, labels) -> StudyData:
    return StudyData(dataset, from_fold_labels(labels))


@dataclass(frozen=True)
class OnData(Generic[T]):
    """A step's result together with the data it was computed on."""

    data: StudyData
    value: T
