"""One identity for every result: the keys of the fits decide what is recomputed (each must change
exactly when its result can), the code versions what the UI marks unsynced."""

from __future__ import annotations

import pytest

from ablation_pipeline.pipeline.identity import Identity, code_versions, result_version
from ablation_pipeline.pipeline.setup import check_study, plan_study
from ablation_pipeline.pipeline.steps import study_splits
from ablation_pipeline.spec.loading import load_spec

from builders import cache_spec, linear_frame, small_spec, write_study


def fingerprints(folder, spec, frame=None) -> dict[str, str]:
    """The baseline's and every variant's keys over the whole plan for a study written to `folder`."""
    setup = check_study(write_study(folder, spec, frame))
    identity = Identity.of(setup, study_splits(setup))
    return {name: identity.planned_version(name) for name in ["baseline", *(v.name for v in setup.plan.variants)]}


@pytest.fixture
def before(study_dir) -> dict[str, str]:
    return fingerprints(study_dir, cache_spec(), linear_frame())


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def test_same_spec_and_data_give_the_same_fingerprints(study_dir, before):
    assert fingerprints(study_dir, cache_spec()) == before
    assert len(set(before.values())) == len(before)  # and every step has its own


def test_adding_a_variant_adds_only_its_fingerprint(study_dir, before):
    more = cache_spec(ablations=[{"features": ["a", "c", "city"], "mode": "drop"},
                              {"features": ["b"], "mode": "permute", "permutations": 2}])
    assert changed(before, fingerprints(study_dir, more)) == {"drop__city"}


def test_changing_one_variant_changes_only_its_fingerprint(study_dir, before):
    other = cache_spec(ablations=[{"features": ["a", "c"], "mode": "drop"}, {"features": ["b"], "mode": "permute", "permutations": 3}])
    assert changed(before, fingerprints(study_dir, other)) == {"permute__b"}


def test_metrics_and_statistics_change_no_fit(study_dir, before):
    spec = cache_spec(statistics={"alpha": 0.01, "correction": "bonferroni", "margin": {"rmse": 0.5}})
    spec["evaluation"]["metrics"] = ["rmse", "mae"]
    assert changed(before, fingerprints(study_dir, spec)) == set()


def test_data_model_or_split_plan_change_every_fit(study_dir, before):
    assert changed(before, fingerprints(study_dir, cache_spec(), linear_frame(seed=1))) == set(before)
    write_study(study_dir, cache_spec(), linear_frame())  # back to the original data
    assert changed(before, fingerprints(study_dir, cache_spec(model={"estimator": "Ridge"}))) == set(before)
    seed = cache_spec()
    seed["evaluation"]["seed"] = 2
    assert changed(before, fingerprints(study_dir, seed)) == set(before)


def test_a_remembered_plan_digest_is_the_digest_of_exactly_those_splits():
    """The digest is remembered by the identity of the splits: the same objects give it back, other
    splits (even equal ones, or a plan that differs in one row) are hashed again."""
    import numpy as np

    from ablation_pipeline.data.splits import Split
    from ablation_pipeline.pipeline import identity as module

    def plan(shift: int) -> list[Split]:
        rows = np.arange(20)
        return [Split(0, 0, 0, rows[10:], rows[:10]), Split(1, 0, 1, rows[:10], np.roll(rows[10:], shift))]

    first = plan(0)
    digest = module.splits_digest(first)
    assert module.splits_digest(first) == digest == module.splits_digest(list(first))  # remembered
    assert module.splits_digest(plan(0)) == digest  # equal content, other objects: the same hash, computed
    other = module.splits_digest(plan(1))
    assert other != digest
    for _ in range(module.RECENT_PLANS + 1):  # pushed out of memory by newer plans, still right
        module.splits_digest(plan(2))
    assert module.splits_digest(first) == digest


def test_a_repeats_auto_plan_keys_each_block_and_a_result_by_its_blocks(study_dir):
    """With `repeats: auto` every look's block has its own key; a result is versioned by the blocks it
    holds, so one holding fewer repeats is another result; a one-block result is its block's key."""
    spec = cache_spec()
    spec["evaluation"] = {**spec["evaluation"], "repeats": "auto", "max_repeats": 5}
    setup = check_study(write_study(study_dir, spec, linear_frame()))
    identity = Identity.of(setup, study_splits(setup))
    assert [sorted({s.repeat for s in block}) for block in identity.blocks] == [[0], [1], [2], [3, 4]]
    keys = identity.keys("drop__a")
    assert len(set(keys)) == 4 and keys[0] == identity.key("drop__a", 0)
    versions = {result_version(keys[:n]) for n in range(1, 5)}
    assert len(versions) == 4 and result_version(keys[:1]) == keys[0][:16]
    assert identity.is_prefix("drop__a", keys[:2]) and not identity.is_prefix("drop__a", keys[1:3])
    assert not identity.is_prefix("drop__c", keys[:1])


def versions(folder, spec) -> dict[str, str]:
    return code_versions(plan_study(load_spec(write_study(folder, spec, linear_frame()))))


def changed_by(folder, change, spec=None) -> set[str]:
    spec = spec or small_spec()
    before = versions(folder / "before", spec)
    change(spec)
    after = versions(folder / "after", spec)
    return {name for name in before if before[name] != after[name]}


def test_a_variant_code_version_tracks_only_its_own_spec(tmp_path):
    assert changed_by(tmp_path, lambda spec: spec["ablations"][1].update(permutations=3)) == {"permute__a", "permute__const"}


def test_statistics_change_only_the_comparison_and_what_follows(tmp_path):
    assert changed_by(tmp_path, lambda spec: spec.update(statistics={"alpha": 0.01})) == {"comparison", "simplified"}


def test_with_repeats_auto_statistics_change_the_scores_too_never_a_variant(tmp_path):
    """The scores step cuts each variant's blocks where the statistics say; the variants hold fits."""
    auto = small_spec(evaluation={"folds": 3, "repeats": "auto", "max_repeats": 4, "seed": 1, "metrics": ["rmse"]})
    assert changed_by(tmp_path, lambda spec: spec.update(statistics={"alpha": 0.01}), auto) == {"scores", "comparison", "simplified"}


def test_metrics_change_only_the_scores(tmp_path):
    assert changed_by(tmp_path, lambda spec: spec["evaluation"].update(metrics=["rmse"])) == {"scores"}


def test_removing_an_ablation_changes_the_scores_which_read_every_variant(tmp_path):
    spec = small_spec()
    before = versions(tmp_path / "before", spec)
    removed = spec["ablations"].pop()
    after = versions(tmp_path / "after", spec)
    assert set(before) - set(after) == {f"{removed['mode']}__{name}" for name in removed["features"]}
    assert {name for name in after if before[name] != after[name]} == {"scores"}


def test_the_model_changes_every_fit(tmp_path):
    fits = {"baseline", "simplified", "drop__a", "drop__c", "drop__city", "drop__ab", "permute__a", "permute__const", "mean__b"}
    assert changed_by(tmp_path, lambda spec: spec.update(model={"estimator": "Ridge"})) == fits


def test_the_stopping_rule_is_part_of_every_code_version_and_the_snapshot(tmp_path, monkeypatch):
    """Results cut by another `repeats: auto` rule are never taken for this one's: the rule's constants
    are part of the logic version that names every code version and the snapshot key."""
    from ablation_pipeline.pipeline import identity
    from ablation_pipeline.stats import rule

    plan = plan_study(load_spec(write_study(tmp_path, small_spec(), linear_frame())))
    before, snapshot = code_versions(plan), identity.snapshot_key(plan.spec, "data")
    assert rule.identity() in identity.CODE_VERSION
    monkeypatch.setattr(identity, "CODE_VERSION", "another rule")
    after = code_versions(plan)
    assert all(after[name] != before[name] for name in before) and identity.snapshot_key(plan.spec, "data") != snapshot
