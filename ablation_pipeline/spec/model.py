"""The spec's model section: an estimator class, a factory, or a declared torch network, with how its
fits are made (preprocessing, arguments to `fit`, early stopping). Which modules it may name is the
project's to say (`trust`), never the spec's."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ..errors import require_one_of
from .base import Frozen
from .network import NetworkSpec, require_finite


def _param_value(value: Any) -> Any:
    """A constructor param: never nan, nor inf inside a list or mapping. A single inf is left to
    scikit-learn's own constraints, which accept it where it has a meaning (`LogisticRegression(C=inf)`)
    and refuse it elsewhere (`Ridge(alpha=inf)`)."""
    if isinstance(value, float) and math.isnan(value):
        raise ValueError("expected a number, got nan")
    return value if isinstance(value, float) else require_finite(value)



class EarlyStoppingSpec(Frozen):
    """A booster's early stopping inside each training fold: a `validation_fraction` of the fold's
    training rows (never its test rows; stratified for classification, seeded per split) is held out and
    passed as the validation set; boosting stops after `rounds` rounds without improvement."""

    validation_fraction: float = Field(default=0.1, gt=0.0, le=0.5)
    rounds: int = Field(default=20, ge=1, le=10_000)


MISSING_MODEL = ("model: give one of estimator (a class), factory (module:function) or network (torch layers); from Python, "
                 "run_study(..., estimator=...) may give the estimator instead")


class ModelSpec(Frozen):
    """The model: an estimator class by name (scikit-learn's, or of a module the project trusts), a
    factory that returns one (`module:function`, called with `params`), or a declared torch network.
    `preprocessing: auto` imputes, scales and one-hot encodes; `none` hands the estimator the frame as
    read (missing values kept, categorical columns as pandas `category`)."""

    estimator: str | None = Field(default=None, min_length=1)
    factory: str | None = Field(default=None, min_length=1)
    params: dict[str, Annotated[Any, AfterValidator(_param_value)]] = {}
    network: NetworkSpec | None = None
    preprocessing: Literal["auto", "none"] = "auto"
    fit_params: dict[str, Annotated[Any, AfterValidator(_param_value)]] = {}
    early_stopping: EarlyStoppingSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _checkpoint_inputs_as_read(cls, raw: Any) -> Any:
        """A checkpoint was trained on its own scale: its network gets the rows as read unless the spec
        asks for preprocessing."""
        if isinstance(raw, dict) and "preprocessing" not in raw and isinstance(raw.get("network"), dict) \
                and raw["network"].get("checkpoint") is not None:
            return {**raw, "preprocessing": "none"}
        return raw

    @field_validator("preprocessing", mode="before")
    @classmethod
    def _known_preprocessing(cls, value: Any) -> Any:
        return require_one_of(value, ("auto", "none"), "preprocessing") if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_kind_of_model(self) -> ModelSpec:
        given = [name for name in ("estimator", "factory", "network") if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError("give exactly one of estimator (a class), factory (module:function returning an estimator) or "
                             f"network (torch layers); got {' and '.join(given)}")
        if self.network is not None and (self.params or self.fit_params or self.early_stopping):
            raise ValueError("params, fit_params and early_stopping belong to an estimator; a network takes its settings "
                             "under network.training")
        return self

    @property
    def given(self) -> bool:
        """Whether the spec names its model (else it must come from code: `run_study(..., estimator=...)`)."""
        return any(name is not None for name in (self.estimator, self.factory, self.network))

    @property
    def label(self) -> str:
        return self.estimator or self.factory or ("torch network" if self.network else "an estimator given in code")
