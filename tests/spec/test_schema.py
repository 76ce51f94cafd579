"""The spec's models: frozen, with sound defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from builders import house_spec


def test_spec_is_frozen_and_defaults_are_sound():
    spec = house_spec([{"features": "each"}])
    assert (spec.evaluation.folds, spec.evaluation.repeats, spec.statistics.alpha, spec.statistics.correction) == (5, 2, 0.05, "holm")
    with pytest.raises(ValidationError):
        spec.name = "other"  # type: ignore[misc]
