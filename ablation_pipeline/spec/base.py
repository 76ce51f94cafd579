"""The base of every spec model (frozen, unknown keys refused, no NaN or infinity) and the field types
more than one section shares."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from ..errors import require_one_of
from ..vocabulary import Mode


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _known_mode(mode: Any) -> Any:
    """One message naming the modes (with a hint) instead of pydantic's one per enum member."""
    return require_one_of(mode, Mode.names(), "mode") if isinstance(mode, str) else mode


OptionalMode = Annotated[Mode | None, BeforeValidator(_known_mode)]
