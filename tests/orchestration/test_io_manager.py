"""Dagster's stored asset values: signed, so a file forged in the storage folder is refused with a
clear message instead of unpickled; a fitted outcome already in the result cache is stored once."""

from __future__ import annotations

import pickle
from pathlib import Path

import dagster as dg
import pytest

from ablation_pipeline.orchestration.location import build_definitions, load_plans

from builders import cache_spec, linear_frame, write_study


class Exploit:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def materialized(study_dir, instance):
    defs = build_definitions(load_plans([write_study(study_dir, cache_spec(), linear_frame())]))
    assert dg.materialize(list(defs.assets), instance=instance, resources=defs.resources).success
    return defs


def storage(instance, name) -> Path:
    return Path(instance.storage_directory()) / "small" / name


def test_a_fitted_outcome_is_stored_once(materialized, instance, tmp_path):
    baseline = storage(instance, "baseline")
    assert baseline.stat().st_size < 1000  # a signed reference to the cache entry, not a second copy
    entries = list((tmp_path / "cache").rglob("*.pkl"))
    assert entries and max(p.stat().st_size for p in entries) > 10 * baseline.stat().st_size


def test_a_forged_stored_value_is_refused_clearly_and_never_unpickled(materialized, instance, tmp_path):
    storage(instance, "scores").write_bytes(pickle.dumps(Exploit(tmp_path / "pwned")))
    keys = [dg.AssetKey(["small", "comparison"])]
    result = dg.materialize(list(materialized.assets), instance=instance, resources=materialized.resources, selection=keys,
                            raise_on_error=False)
    assert not result.success and not (tmp_path / "pwned").exists()
    failure = next(event for event in result.all_events if event.is_step_failure).step_failure_data.error
    messages = []
    while failure is not None:
        messages.append(failure.message)
        failure = failure.cause
    assert any("the stored value of small/scores cannot be used (not signed by this installation); materialize it again" in m
               for m in messages), messages
