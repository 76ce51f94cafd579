"""Parse -> plan: spec models and variant expansion, without data beyond a header."""

from __future__ import annotations

import pytest

from ablation_pipeline.errors import SpecError
from ablation_pipeline.ablations.plan import plan_variants
from ablation_pipeline.spec.schema import StudySpec
from ablation_pipeline.errors import field_path
from ablation_pipeline.spec.loading import load_spec, parse_spec
from ablation_pipeline.pipeline.setup import plan_study
from conftest import linear_frame, small_spec, write_study

FEATURES = ["rooms", "size", "location", "age", "noise"]


def _spec(ablations, groups=None) -> StudySpec:
    data = {"source": "x.csv", "target": "price", "groups": groups or {}}
    return parse_spec({"name": "t", "data": data, "model": {"estimator": "Ridge"}, "ablations": ablations})


def test_each_expands_features_then_groups_with_readable_names():
    spec = _spec([{"features": "each", "mode": "drop"}], groups={"rooms_and_size": ["rooms", "size"]})
    variants = plan_variants(spec, FEATURES)
    assert [v.name for v in variants] == ["drop__rooms", "drop__size", "drop__location", "drop__age", "drop__noise", "drop__rooms_and_size"]
    assert variants[-1].components == ("rooms", "size") and variants[-1].refits


def test_explicit_lists_groups_and_modes():
    spec = _spec([{"features": [["rooms", "size"], "loc"], "mode": "permute", "permutations": 3},
                  {"features": "groups", "mode": "mean"}], groups={"loc": ["location"]})
    variants = plan_variants(spec, FEATURES)
    assert [(v.name, v.components, v.refits) for v in variants] == [
        ("permute__rooms_and_size", ("rooms", "size"), False),
        ("permute__loc", ("location",), False),
        ("mean__loc", ("location",), False),
    ]
    assert variants[0].identity() == {"kind": "feature", "mode": "permute", "components": ["rooms", "size"], "permutations": 3}


def test_same_components_under_another_name_is_a_duplicate():
    spec = _spec([{"features": ["location"]}, {"features": ["loc"]}], groups={"loc": ["location"]})
    with pytest.raises(SpecError, match=r"ablations\[1\]\.features\[0\]: duplicate variant 'drop__loc' \(same as 'drop__location' from ablations\[0\]\.features\[0\]\)"):
        plan_variants(spec, FEATURES)


def test_same_feature_in_two_modes_is_fine():
    spec = _spec([{"features": ["age"], "mode": "drop"}, {"features": ["age"], "mode": "permute"}])
    assert [v.name for v in plan_variants(spec, FEATURES)] == ["drop__age", "permute__age"]


def test_dropping_everything_is_refused():
    spec = _spec([{"features": [FEATURES]}])
    with pytest.raises(SpecError, match="dropping every feature leaves nothing to fit"):
        plan_variants(spec, FEATURES)


def test_group_named_like_a_feature_is_refused():
    with pytest.raises(SpecError, match="data.groups.age: a group cannot share its name with a feature"):
        plan_variants(_spec([{"features": "each"}], groups={"age": ["rooms"]}), FEATURES)


def test_field_path_formatting():
    assert field_path(("ablations", 2, "features", 0, 1)) == "ablations[2].features[0][1]"
    assert field_path(()) == "(top level)"


def test_spec_is_frozen_and_defaults_are_sound():
    spec = _spec([{"features": "each"}])
    assert (spec.evaluation.folds, spec.evaluation.repeats, spec.statistics.alpha, spec.statistics.correction) == (5, 2, 0.05, "holm")
    with pytest.raises(Exception):
        spec.name = "other"  # type: ignore[misc]


def test_plan_reads_only_the_header(tmp_path):
    path = write_study(tmp_path, small_spec(), linear_frame())
    plan = plan_study(load_spec(path))
    assert plan.features == ("a", "b", "c", "const", "city")
    assert len(plan.variants) == 7


def test_data_features_subset_limits_each(tmp_path):
    spec = small_spec(ablations=[{"features": "each"}])
    spec["data"] = {"source": "data.csv", "target": "y", "features": ["a", "b", "city"]}
    path = write_study(tmp_path, spec, linear_frame())
    from ablation_pipeline.spec.loading import load_spec

    assert [v.name for v in plan_study(load_spec(path)).variants] == ["drop__a", "drop__b", "drop__city"]
