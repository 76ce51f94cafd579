"""How a study's variants are evaluated: repeated K-fold splits (grouped when rows belong together,
`repeats: auto` for a sequential design), or one held-out set (a seeded fraction of the rows or another
file's), for a pretrained network evaluated as given or any model fitted once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..errors import did_you_mean
from .base import Frozen
from .messages import shown
from .network import Seed

MAX_FOLDS = 100  # folds x repeats fits per variant; more folds than this only shrink the test folds
MAX_REPEATS = 100


class HoldoutSpec(Frozen):
    """Rows set aside once: a seeded (stratified, for classification) `fraction` of the data, or every row
    of another file with the data's columns (`source`, relative to the spec). The model is fitted (or,
    with a checkpoint, loaded) on the rest, and each variant is judged on these rows, paired row by row."""

    fraction: float | None = Field(default=None, gt=0, lt=1)
    source: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_way(self) -> HoldoutSpec:
        if (self.fraction is None) == (self.source is None):
            raise ValueError("give either fraction (a share of the data's rows, e.g. 0.2) or source (a file of held-out rows)")
        return self

    @property
    def text(self) -> str:
        return f"held-out {self.fraction:.0%} of the rows" if self.fraction is not None else f"held-out rows of {self.source}"


class EvaluationSpec(Frozen):
    """Repeated K-fold (stratified for classification); J = folds x repeats paired splits. With
    `repeats: auto` each variant takes repeats until its verdict is settled, at most `max_repeats`.
    With `groups` (a column) rows that share its value are never on both sides of a split; with `order` (a
    column, e.g. a date) the splits chain forward in time: train on the past, test on the next block."""

    folds: int = Field(default=5, ge=1, le=MAX_FOLDS, description="K of K-fold, at least 2 (1: the one split of a holdout)")
    repeats: int | Literal["auto"] = "auto"
    max_repeats: int = Field(default=10, ge=2, le=MAX_REPEATS, description="the most repeats `repeats: auto` may take")
    seed: Seed = 0
    metrics: tuple[str, ...] = Field(default=(), description="first is primary; default by task")
    groups: str | None = Field(default=None, min_length=1,
                               description="a column whose rows belong together (patients, users, sites): grouped K-fold")
    holdout: HoldoutSpec | None = Field(default=None, description="one held-out set instead of repeated K-fold: for a "
                                        "pretrained network (checkpoint) evaluated as given, or any model fitted once")
    order: str | None = Field(default=None, min_length=1, description="a column that orders the rows in time: the rows are "
                              "cut into folds + 1 blocks and split k trains on blocks 0..k, tests on block k + 1")

    @model_validator(mode="before")
    @classmethod
    def _one_split_when_held_out(cls, raw: Any) -> Any:
        """A held-out design is one split: folds 1 (set here), and no repeats to choose."""
        if not isinstance(raw, dict) or raw.get("holdout") is None:
            return raw
        default = cls.model_fields["max_repeats"].default  # a re-read snapshot carries it explicitly
        if raw.get("folds", 1) != 1 or raw.get("repeats", "auto") not in ("auto", 1) or raw.get("max_repeats", default) != default:
            given = "folds" if raw.get("folds", 1) != 1 else "repeats" if raw.get("repeats", "auto") not in ("auto", 1) \
                else "max_repeats"
            raise ValueError(f"{given} apply to K-fold cross-validation; a held-out design (holdout) is one split: drop {given}")
        return {**raw, "folds": 1}

    @field_validator("repeats", mode="before")
    @classmethod
    def _count_or_auto(cls, repeats: Any) -> Any:
        if repeats == "auto":
            return repeats
        if isinstance(repeats, float) and repeats.is_integer():
            repeats = int(repeats)
        if isinstance(repeats, bool) or not isinstance(repeats, int):
            suggestion = did_you_mean(repeats, ("auto",)) if isinstance(repeats, str) else ""
            raise ValueError(f"expected a whole number of repeats or 'auto', got {shown(repeats)}{suggestion}")
        if not 1 <= repeats <= MAX_REPEATS:
            bound = "greater than or equal to 1" if repeats < 1 else f"less than or equal to {MAX_REPEATS}"
            raise ValueError(f"Input should be {bound}, got {repeats}")
        return repeats

    @model_validator(mode="after")
    def _a_consistent_design(self) -> EvaluationSpec:
        """Settings that only some designs use are refused on the others, naming what to drop."""
        default = type(self).model_fields["max_repeats"].default  # a re-read snapshot carries the default explicitly
        if self.order is not None and (self.groups is not None or self.holdout is not None):
            raise ValueError("order chains the splits forward in time; it cannot be combined with "
                             f"{'groups' if self.groups is not None else 'holdout'}")
        if self.order is not None and (self.repeats not in ("auto", 1) or self.max_repeats != default):
            given = "max_repeats" if self.repeats in ("auto", 1) else "repeats"
            raise ValueError(f"{given}: splits ordered in time are one fixed chain, nothing to repeat; drop {given}")
        if not self.adaptive and self.max_repeats != default and self.holdout is None:
            raise ValueError(f"max_repeats applies to repeats: auto; with repeats: {self.repeats} every variant takes exactly "
                             f"{self.repeats} (drop max_repeats, or set repeats: auto)")
        if self.holdout is None and self.folds < 2:
            raise ValueError("folds: K-fold needs at least 2 folds (for one held-out split, give holdout)")
        if self.holdout is not None and self.groups is not None:
            raise ValueError("groups apply to K-fold splits; a held-out set is chosen once (hold out whole groups in a "
                             "holdout.source file instead)")
        return self

    @property
    def adaptive(self) -> bool:
        return self.repeats == "auto" and self.holdout is None and self.order is None

    @property
    def design_text(self) -> str:
        """The design in words: '5 folds x 2 repeats', or '5 folds x auto repeats (at most 10)', and the
        column that groups the rows."""
        if self.holdout is not None:
            return self.holdout.text
        if self.order is not None:
            return f"{self.folds} forward-chaining folds ordered by '{self.order}'"
        repeats = f"auto repeats (at most {self.max_repeats})" if self.adaptive else f"{self.repeats} repeats"
        grouped = f", grouped by '{self.groups}'" if self.groups else ""
        return f"{self.folds} folds x {repeats}{grouped}"

    @property
    def planned_repeats(self) -> int:
        """The repeats of the split plan: all a variant may take."""
        if self.holdout is not None or self.order is not None:
            return 1
        return self.max_repeats if self.adaptive else int(self.repeats)
