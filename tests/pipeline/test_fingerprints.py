"""Content fingerprints decide what is recomputed: each must change exactly when its result can."""

from __future__ import annotations

import pytest

from ablation_pipeline.pipeline.fingerprints import fit_fingerprint, variant_fingerprint
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.pipeline.steps import study_splits

from builders import cache_spec, linear_frame, write_study


def fingerprints(folder, spec, frame=None) -> dict[str, str]:
    """The baseline's and every variant's fingerprint for a study written to `folder`."""
    setup = check_study(write_study(folder, spec, frame))
    splits = study_splits(setup)
    return {"baseline": fit_fingerprint(setup, splits),
            **{v.name: variant_fingerprint(setup, splits, v.name) for v in setup.plan.variants}}


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
    from ablation_pipeline.pipeline import fingerprints as module

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
