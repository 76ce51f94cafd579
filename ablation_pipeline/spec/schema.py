"""The study spec as frozen pydantic models. Closed vocabularies (task, mode, correction) are the
types of `vocabulary`; every validator error becomes one line naming its field (see `messages`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import did_you_mean, require_one_of
from ..vocabulary import Correction, Kind, Mode, Task
from .network import NetworkSpec

STUDY_NAME = r"^[a-z][a-z0-9_]*$"
TARGET_KINDS = {"features": Kind.FEATURE, "layers": Kind.LAYER, "param": Kind.PARAM}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataSpec(_Frozen):
    """Where the rows come from: a CSV/Parquet file or a bundled dataset such as `sklearn:diabetes`."""

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    task: Task | None = None
    features: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    groups: dict[str, Annotated[tuple[str, ...], Field(min_length=1)]] = {}


class ModelSpec(_Frozen):
    """A scikit-learn estimator by name or import path with constructor params, or a declared torch
    network (trained behind a scikit-learn compatible estimator)."""

    estimator: str | None = Field(default=None, min_length=1)
    params: dict[str, Any] = {}
    network: NetworkSpec | None = None

    @model_validator(mode="after")
    def _one_kind_of_model(self) -> ModelSpec:
        if (self.estimator is None) == (self.network is None):
            raise ValueError("give exactly one of estimator (a scikit-learn class) or network (torch layers)")
        if self.network is not None and self.params:
            raise ValueError("params belong to estimator; a network takes its settings under network.training")
        return self

    @property
    def label(self) -> str:
        return self.estimator or "torch network"


class EvaluationSpec(_Frozen):
    """Repeated K-fold (stratified for classification); J = folds x repeats paired splits."""

    folds: int = Field(default=5, ge=2)
    repeats: int = Field(default=2, ge=1)
    seed: int = 0
    metrics: tuple[str, ...] = Field(default=(), description="first is primary; default by task")


FeatureItem = Union[str, tuple[str, ...]]


class AblationSpec(_Frozen):
    """One entry of `ablations`: which features (each, groups, or a list) or which layers of a torch
    network (each, or a list of names and [blocks]), and how to ablate them."""

    features: Literal["each", "groups"] | tuple[FeatureItem, ...] | None = None
    layers: Literal["each"] | tuple[FeatureItem, ...] | None = None
    mode: Mode | None = None
    permutations: int = Field(default=5, ge=1, description="random draws per fold for modes permute and noise")
    factors: tuple[float, ...] | None = Field(
        default=None, min_length=1,
        description="one variant per factor: weight multipliers (scale) or noise std in training stds (noise)")
    param: str | None = Field(default=None, description="a model setting to sweep, e.g. model.params.alpha, "
                              "model.network.training.epochs, model.network.layers.fc1.args.out_features")
    values: tuple[int | float, ...] | None = Field(default=None, min_length=1, description="one retrained variant per value")

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
        return self

    @field_validator("mode", mode="before")
    @classmethod
    def _known_mode(cls, mode: Any) -> Any:
        return require_one_of(mode, Mode.names(), "mode") if isinstance(mode, str) else mode

    @field_validator("features", "layers", mode="before")
    @classmethod
    def _features_shape(cls, features: Any) -> Any:
        """One clear message instead of pydantic's one-per-union-member."""
        expected = "expected 'each', 'groups' or a list of feature/group names and [feature, ...] lists"
        if features is None:
            return None
        if isinstance(features, str):
            if features not in ("each", "groups"):
                raise ValueError(f"{expected}, got '{features}'{did_you_mean(features, ('each', 'groups'))}")
            return features
        if not isinstance(features, (list, tuple)):
            raise ValueError(f"{expected}, got {features!r}")
        if not features:
            raise ValueError("empty feature list; name at least one feature or group")
        for item in features:
            if isinstance(item, (list, tuple)):
                if not item:
                    raise ValueError("empty group []; list at least one feature")
                if not all(isinstance(member, str) for member in item):
                    raise ValueError(f"{expected}, got {item!r}")
            elif not isinstance(item, str):
                raise ValueError(f"{expected}, got {item!r}")
        return tuple(tuple(i) if isinstance(i, list) else i for i in features)


class StatisticsSpec(_Frozen):
    """Decision rules: alpha, the multiple-testing correction, non-inferiority margins."""

    alpha: float = Field(default=0.05, gt=0, lt=1)
    correction: Correction = Correction.HOLM
    margin: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default={}, description="absolute margin per metric; default 1% of the baseline mean"
    )
    simplify: bool = Field(
        default=True, description="retrain the model without every removable component together and test it"
    )

    @field_validator("correction", mode="before")
    @classmethod
    def _known_correction(cls, correction: Any) -> Any:
        return require_one_of(correction, Correction.names(), "correction") if isinstance(correction, str) else correction


class ScheduleSpec(_Frozen):
    """When Dagster re-runs the study by itself: on a cron, and/or when the data's content changes."""

    cron: str | None = None
    timezone: str = "UTC"
    on_data_change: bool = False
    check_every_seconds: int = Field(default=60, ge=5)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str | None) -> str | None:
        if cron is not None and len(cron.split()) != 5:
            raise ValueError(f"expected a 5-field cron expression such as '0 3 * * *', got '{cron}'")
        return cron


class OutputSpec(_Frozen):
    results_dir: str | None = None


class StudySpec(_Frozen):
    """A whole ablation study. `path` is where it was read from (for messages and relative paths)."""

    name: str = Field(pattern=STUDY_NAME)
    description: str = ""
    data: DataSpec
    model: ModelSpec
    evaluation: EvaluationSpec = EvaluationSpec()
    ablations: tuple[AblationSpec, ...]
    statistics: StatisticsSpec = StatisticsSpec()
    schedule: ScheduleSpec = ScheduleSpec()
    output: OutputSpec = OutputSpec()
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("ablations", mode="before")
    @classmethod
    def _at_least_one_ablation(cls, ablations: Any) -> Any:
        if isinstance(ablations, (list, tuple)) and not ablations:
            raise ValueError("empty list; add at least one ablation such as {features: each, mode: drop}")
        return ablations

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def label(self) -> str:
        """How messages name the study: its file, or its name when it was not read from a file."""
        return str(self.path) if self.path else self.name

    def fingerprint(self, *parts: Any) -> str:
        """A stable hash of (parts of) the spec, for code versions and lineage."""
        payload = json.dumps(parts or self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
