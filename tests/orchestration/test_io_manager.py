"""Dagster's stored asset values: signed, so a file forged in the storage folder is refused with a
clear message instead of unpickled; a fitted outcome already in the result cache is stored once, and
so is the study's data that later values carry."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import dagster as dg
import pytest

from ablation_pipeline.orchestration.location import build_definitions, load_plans
from ablation_pipeline.pipeline.handoff import OnData, StudyData
from ablation_pipeline.pipeline.paths import StudyPaths
from ablation_pipeline.store.signing import loads_signed

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


def test_the_data_later_values_carry_is_stored_once_as_a_reference(materialized, instance):
    """The dataset asset's file holds the data and split plan; the scores' file names it by digest."""
    label = lambda name: json.dumps(["small", name])  # noqa: E731
    data = loads_signed(storage(instance, "dataset").read_bytes(), label("dataset"), StudyPaths.resolved().key)
    assert isinstance(data, StudyData) and len(data.splits) == 6 and data.dataset.n_rows == len(linear_frame())
    references = []
    scores = loads_signed(storage(instance, "scores").read_bytes(), label("scores"), StudyPaths.resolved().key,
                          lambda reference: references.append(reference) or reference)
    assert isinstance(scores, OnData) and references == [("study data", data.digest)] and scores.data == references[0]


def test_a_value_computed_on_data_the_dataset_no_longer_holds_is_refused(materialized, instance, study_dir):
    """Data changed and only the dataset materialized since: a step reading the old scores says so."""
    linear_frame(seed=1).to_csv(study_dir / "data.csv", index=False)
    key = lambda name: dg.AssetKey(["small", name])  # noqa: E731
    defs = build_definitions(load_plans([study_dir / "small.yaml"]))
    assert dg.materialize(list(defs.assets), instance=instance, resources=defs.resources, selection=[key("dataset")]).success
    result = dg.materialize(list(defs.assets), instance=instance, resources=defs.resources, selection=[key("comparison")],
                            raise_on_error=False)
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure).step_failure_data.error
    assert "small/scores was computed on data that small/dataset no longer holds" in failure.message


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


def test_the_dataset_value_is_unpickled_once_while_its_file_is_the_same(materialized, instance, tmp_path):
    """Every retrained variant's step of a run reads the dataset asset: one verified copy serves them
    all, and a file replaced since (forged here) is read and refused again, never served from memory."""
    from ablation_pipeline.orchestration.io_manager import StudyIOManager

    paths = StudyPaths.resolved()
    manager = StudyIOManager(cache=str(paths.cache), key=str(paths.key), base_dir=instance.storage_directory())
    context = dg.build_input_context(asset_key=dg.AssetKey(["small", "dataset"]))
    first = manager.load_input(context)
    assert isinstance(first, StudyData) and manager.load_input(context) is first
    original = storage(instance, "dataset").read_bytes()
    forged = storage(instance, "dataset").with_name("forged")
    forged.write_bytes(pickle.dumps(Exploit(tmp_path / "pwned")))
    forged.replace(storage(instance, "dataset"))
    with pytest.raises(dg.Failure, match="not signed by this installation"):
        manager.load_input(context)
    assert not (tmp_path / "pwned").exists()
    restored = storage(instance, "dataset").with_name("restored")
    restored.write_bytes(original)
    restored.replace(storage(instance, "dataset"))
    again = manager.load_input(context)
    assert again is not first and again.digest == first.digest
