"""The study spec as frozen pydantic models. Closed vocabularies (task, mode, correction) are the
types of `vocabulary`; every validator error becomes one line naming its field (see `messages`).

A spec the schema accepts must be one a run can use: numbers are finite, seeds fit numpy's 32-bit
range, and sizes that multiply into fits and draws are bounded (the MAX_ constants below), so a typo
such as `repeats: 1000` is refused before it queues a hundred thousand fits."""

from __future__ import annotations

import hashlib
import json
import math
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from ..errors import did_you_mean, require_one_of
from ..vocabulary import Correction, Families, Inference, Kind, Mode, Multiplicity, Task
from .base import Frozen, OptionalMode
from .cron import check_cron
from .evaluation import MAX_FOLDS, MAX_REPEATS, EvaluationSpec, HoldoutSpec  # noqa: F401  (part of the spec's public types)
from .interactions import InteractionsSpec
from .messages import shown
from .model import EarlyStoppingSpec, ModelSpec  # noqa: F401  (part of the spec's public types)
from .network import UnitsSpec, require_finite

STUDY_NAME = r"^[a-z][a-z0-9_]*$"
ASSET_KEY = r"^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$"  # Dagster's names, '/' between the parts of a key
TARGET_KINDS = {"features": Kind.FEATURE, "layers": Kind.LAYER, "param": Kind.PARAM}

MAX_NAME_LENGTH = 64  # the name is a results folder and the prefix of every Dagster asset key
MAX_PERMUTATIONS = 1000  # random draws per fold and variant; permutation importance rarely needs 100
MAX_SWEEP = 100  # factors or values in one ablation entry, each a variant of its own
DEFAULT_CLUSTER_THRESHOLD = 0.7
FEATURE_SETS = ("each", "groups", "clusters")


def _number(value: Any) -> Any:
    """One message for a swept value that is not a finite number (pydantic would give one per union member)."""
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {shown(value)}") from None
        require_finite(parsed)
    elif isinstance(value, (int, float)):
        require_finite(value)
    else:
        raise ValueError(f"expected a number, got {shown(value)}")
    return value


Number = Annotated[Union[int, float], BeforeValidator(_number)]


class DataSpec(Frozen):
    """Where the rows come from: a CSV/Parquet file, a bundled dataset such as `sklearn:diabetes`, an
    `.npz` file of named arrays (`x`: the inputs, N x ..., flattened into columns `<x>_0`, `<x>_1`, ...;
    `y`: the N targets, the target column unless `target` names it otherwise), or (`asset`) a DataFrame
    asset of the same Dagster code location, read through the project's `io_manager`."""

    source: str | None = Field(default=None, min_length=1)
    asset: str | None = Field(default=None, description="an asset key of this Dagster code location "
                              "('penguins_clean', or 'raw/penguins' for a key of several parts) whose value is a DataFrame")
    target: str = Field(min_length=1)
    x: str | None = Field(default=None, min_length=1, description="an .npz source: the array of inputs")
    y: str | None = Field(default=None, min_length=1, description="an .npz source: the array of targets")
    task: Task | None = None
    features: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    groups: dict[str, Annotated[tuple[str, ...], Field(min_length=1)]] = {}
    missing_target: Literal["refuse", "drop"] = Field(
        default="refuse", description="rows whose target is missing: refuse the data (with their count), or drop them")
    positive: str | None = Field(default=None, min_length=1, description="a binary target's class that precision, recall, "
                                 "f1 and roc_auc score as positive (default: the second in sorted order)")

    @field_validator("positive", mode="before")
    @classmethod
    def _class_as_text(cls, value: Any) -> Any:
        """A class written as YAML reads it (1, true) is the text the target's values are compared as."""
        return str(value) if isinstance(value, (bool, int, float)) else value

    @model_validator(mode="before")
    @classmethod
    def _arrays_name_their_target(cls, raw: Any) -> Any:
        """An .npz source's target is its `y` array unless `target` says otherwise."""
        if isinstance(raw, dict) and "target" not in raw and isinstance(raw.get("y"), str):
            return {**raw, "target": raw["y"]}
        return raw

    @field_validator("asset")
    @classmethod
    def _asset_key(cls, asset: str | None) -> str | None:
        if asset is not None and not re.match(ASSET_KEY, asset):
            raise ValueError(f"{shown(asset)} is not a Dagster asset key (expected names of letters, digits and _, "
                             "with / between the parts of a key of several parts, e.g. raw/penguins)")
        return asset

    @model_validator(mode="after")
    def _one_origin(self) -> DataSpec:
        if (self.source is None) == (self.asset is None):
            raise ValueError("give exactly one of source (a data file or sklearn:<name>) or asset (a Dagster asset key)")
        return self

    @model_validator(mode="after")
    def _arrays_only_in_npz(self) -> DataSpec:
        npz = (self.source or "").lower().endswith(".npz")
        if npz and (self.x is None or self.y is None):
            raise ValueError("an .npz source needs x and y: the names of its input and target arrays")
        if not npz and (self.x is not None or self.y is not None):
            raise ValueError("x and y name the arrays of an .npz source; a table's columns are its features and target")
        return self

    @property
    def field(self) -> str:
        """The spec field messages about the rows name."""
        return "data.asset" if self.asset is not None else "data.source"

    @property
    def origin(self) -> str:
        """Where the rows come from, in words."""
        return f"asset {self.asset}" if self.asset is not None else str(self.source)


FeatureItem = Union[str, tuple[str, ...]]


class AblationSpec(Frozen):
    """One entry of `ablations`: which features (each, groups, clusters of associated features, or a
    list) or which layers of a torch network (each, or a list of names and [blocks]), and how to
    ablate them."""

    features: Literal["each", "groups", "clusters"] | tuple[FeatureItem, ...] | None = None
    threshold: float | None = Field(default=None, gt=0, le=1, description="features: clusters joins features whose average "
                                    f"absolute association is at least this (default {DEFAULT_CLUSTER_THRESHOLD})")
    layers: Literal["each"] | tuple[FeatureItem, ...] | None = None
    units: UnitsSpec | None = Field(default=None, description="layers: one variant per slice of each layer's units")
    mode: OptionalMode = None
    permutations: int = Field(default=5, ge=1, le=MAX_PERMUTATIONS,
                              description="random draws per fold for modes permute, conditional and noise")
    factors: tuple[float, ...] | None = Field(
        default=None, min_length=1, max_length=MAX_SWEEP,
        description="one variant per factor: weight multipliers (scale) or noise std in training stds (noise)")
    param: str | None = Field(default=None, description="a model setting to sweep, e.g. model.params.alpha, "
                              "model.network.training.epochs, model.network.layers.fc1.args.out_features")
    values: tuple[Number, ...] | None = Field(default=None, min_length=1, max_length=MAX_SWEEP,
                                              description="one retrained variant per value")

    @property
    def target(self) -> str:
        return "param" if self.param is not None else "layers" if self.layers is not None else "features"

    @property
    def kind(self) -> Kind:
        return TARGET_KINDS[self.target]

    @property
    def resolved_mode(self) -> Mode:
        return self.mode or {"param": Mode.SWEEP, "layers": Mode.REMOVE, "features": Mode.DROP}[self.target]

    @model_validator(mode="after")
    def _target_and_mode_agree(self) -> AblationSpec:
        if sum(x is not None for x in (self.features, self.layers, self.param)) != 1:
            raise ValueError("give exactly one of features, layers or param")
        if (self.param is not None) != (self.values is not None):
            raise ValueError("param needs values (the settings to retrain with), and values need param")
        allowed = Mode.for_kind(self.kind)
        if self.resolved_mode not in allowed:
            raise ValueError(f"mode '{self.resolved_mode}' does not apply to {self.target}; expected one of {', '.join(allowed)}")
        if self.resolved_mode.takes_factors != (self.factors is not None):
            raise ValueError("modes scale and noise need factors (e.g. [0, 0.5, 1]), and factors need one of them")
        if self.units is not None and (self.layers is None or self.resolved_mode not in (Mode.ZERO, Mode.MEAN, Mode.RESAMPLE)):
            raise ValueError("units slice a layer's output for modes zero, mean and resample; give layers and one of those modes")
        if self.threshold is not None and self.features != "clusters":
            raise ValueError("threshold applies to features: clusters (the association at which features join one cluster)")
        return self

    @property
    def cluster_threshold(self) -> float:
        return DEFAULT_CLUSTER_THRESHOLD if self.threshold is None else self.threshold

    @field_validator("factors")
    @classmethod
    def _noise_is_not_negative(cls, factors: tuple[float, ...] | None, info: ValidationInfo) -> tuple[float, ...] | None:
        """Noise factors are standard deviations; scale factors may be any finite number (-1 flips the weights)."""
        negative = [f for f in factors or () if f < 0]
        if negative and info.data.get("mode") == Mode.NOISE:
            raise ValueError(f"noise factors are multiples of the training std and cannot be negative, got {negative[0]:g}")
        return factors

    @field_validator("features", "layers", mode="before")
    @classmethod
    def _features_shape(cls, features: Any, info: ValidationInfo) -> Any:
        """One clear message instead of pydantic's one-per-union-member."""
        sets, expected = (FEATURE_SETS, "expected 'each', 'groups', 'clusters' or a list of feature/group names and "
                                        "[feature, ...] lists") if info.field_name == "features" else \
            (("each",), "expected 'each' or a list of layer names")
        if features is None:
            return None
        if isinstance(features, str):
            if features not in sets:
                raise ValueError(f"{expected}, got '{features}'{did_you_mean(features, sets)}")
            return features
        if not isinstance(features, (list, tuple)):
            raise ValueError(f"{expected}, got {features!r}")
        if not features:
            raise ValueError("empty feature list; name at least one feature or group")
        for item in features:
            if isinstance(item, (list, tuple)):
                if not item:
                    raise ValueError("empty group []; list at least one feature")
                for member in item:
                    if not isinstance(member, str):
                        raise ValueError(f"{expected}, got {item!r}{_quote_hint(member)}")
            elif not isinstance(item, str):
                raise ValueError(f"{expected}, got {item!r}{_quote_hint(item)}")
        return tuple(tuple(i) if isinstance(i, list) else i for i in features)


def _quote_hint(item: Any) -> str:
    """For a name YAML read as something else (a column named 2019, a feature `no`, a Sequential's layer 0)."""
    if isinstance(item, bool):
        return " (YAML reads yes/no/on/off/true/false as booleans: quote a name such as 'no')"
    if isinstance(item, (int, float)):
        return f" (YAML reads {item} as a number: quote the name, '{item}')"
    return ""


def _margin(value: Any) -> Any:
    """A margin in the metric's units (a positive number) or relative to the baseline ("2%")."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            percent = float(value.strip()[:-1])
        except ValueError:
            percent = math.nan
        if not 0 < percent < 100:
            raise ValueError(f"expected a percentage of the baseline such as '2%', got {shown(value)}")
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"expected a positive number in the metric's units or a percentage such as '2%', got {shown(value)}")
    return float(value)


MarginValue = Annotated[Union[float, str], BeforeValidator(_margin)]


class StatisticsSpec(Frozen):
    """Decision rules: alpha, the multiple-testing correction and family structure, the test, and
    non-inferiority margins."""

    alpha: float = Field(default=0.05, gt=0, lt=1)
    correction: Correction = Correction.HOLM
    multiplicity: Multiplicity = Multiplicity.DISCOVERIES
    families: Families = Field(default=Families.MODE, description="which variants share the essential/harmful "
                               "family-wise error rate: each ablation mode on its own, or the whole study")
    test: Inference = Inference.CORRECTED_T
    margin: dict[str, MarginValue] = Field(
        default={}, description="margin per metric, in its units or as a percentage of the baseline ('2%'); "
                                "default 1% of an error or loss, 0.01 of a score in [0, 1]"
    )
    simplify: bool = Field(
        default=True, description="retrain the model without every removable component together and test it"
    )

    @field_validator("correction", mode="before")
    @classmethod
    def _known_correction(cls, correction: Any) -> Any:
        return require_one_of(correction, Correction.names(), "correction") if isinstance(correction, str) else correction

    @field_validator("multiplicity", mode="before")
    @classmethod
    def _known_multiplicity(cls, multiplicity: Any) -> Any:
        return require_one_of(multiplicity, Multiplicity.names(), "multiplicity") if isinstance(multiplicity, str) else multiplicity

    @field_validator("families", mode="before")
    @classmethod
    def _known_families(cls, families: Any) -> Any:
        return require_one_of(families, Families.names(), "families") if isinstance(families, str) else families

    @field_validator("test", mode="before")
    @classmethod
    def _known_test(cls, test: Any) -> Any:
        return require_one_of(test, Inference.names(), "test") if isinstance(test, str) else test

    @model_validator(mode="after")
    def _family_wise_with_all_claims(self) -> StatisticsSpec:
        if self.multiplicity == Multiplicity.ALL_CLAIMS and self.correction == Correction.FDR_BH:
            raise ValueError("multiplicity all_claims controls the family-wise error rate; use it with correction holm "
                             "or bonferroni (or multiplicity per_claim with fdr_bh)")
        return self


class ScheduleSpec(Frozen):
    """When Dagster re-runs the study by itself: on a cron, and/or when the data's content changes."""

    cron: str | None = None
    timezone: str = "UTC"
    on_data_change: bool = False
    check_every_seconds: int = Field(default=60, ge=5)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str | None) -> str | None:
        """Dagster refuses the whole code location over one bad cron string, so it is checked here."""
        return None if cron is None else check_cron(cron)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, timezone: str) -> str:
        """What Dagster accepts: UTC, or any name `zoneinfo` can load."""
        if timezone in ("UTC", "utc"):
            return timezone
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            hint = did_you_mean(timezone, sorted(zoneinfo.available_timezones()))
            raise ValueError(f"unknown timezone {shown(timezone)} (expected an IANA name such as UTC or Europe/Paris){hint}") from None
        return timezone


class OutputSpec(Frozen):
    results_dir: str | None = None


class StudySpec(Frozen):
    """A whole ablation study. `path` is where it was read from (for messages and relative paths)."""

    name: str = Field(pattern=STUDY_NAME)
    description: str = ""
    data: DataSpec
    model: ModelSpec = ModelSpec()
    evaluation: EvaluationSpec = EvaluationSpec()
    ablations: tuple[AblationSpec, ...]
    statistics: StatisticsSpec = StatisticsSpec()
    interactions: InteractionsSpec | None = None
    schedule: ScheduleSpec = ScheduleSpec()
    output: OutputSpec = OutputSpec()
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("name")
    @classmethod
    def _short_name(cls, name: str) -> str:
        if len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"{len(name)} characters; a study name is at most {MAX_NAME_LENGTH} "
                             "(it names the results folder and prefixes every Dagster asset key)")
        return name

    @field_validator("ablations", mode="before")
    @classmethod
    def _at_least_one_ablation(cls, ablations: Any) -> Any:
        if isinstance(ablations, (list, tuple)) and not ablations:
            raise ValueError("empty list; add at least one ablation such as {features: each, mode: drop}")
        return ablations

    @model_validator(mode="after")
    def _asset_data_follows_its_asset(self) -> StudySpec:
        """A cron re-reads a file; a study of an asset re-runs when the asset changes (schedule.on_data_change)."""
        if self.data.asset is not None and self.schedule.cron:
            raise ValueError("schedule.cron: a study that reads data.asset follows that asset instead: set "
                             "schedule.on_data_change: true (or schedule the upstream asset)")
        return self

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def simplifies(self) -> bool:
        """Whether the study retrains a simplified model: asked for, and on a cross-validated design (a
        held-out study judges one model's knock-outs and retrains nothing)."""
        return self.statistics.simplify and self.evaluation.holdout is None

    @property
    def pretrained(self) -> bool:
        """A checkpoint on a held-out design: the network is evaluated as given, never trained."""
        network = self.model.network
        return network is not None and network.checkpoint is not None and self.evaluation.holdout is not None

    @property
    def label(self) -> str:
        """How messages name the study: its file, or its name when it was not read from a file."""
        return str(self.path) if self.path else self.name

    def fingerprint(self, *parts: Any) -> str:
        """A stable hash of (parts of) the spec, for code versions and lineage."""
        payload = json.dumps(parts or self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
