"""Expanding a spec's ablations into uniquely named variants."""

from __future__ import annotations

import re

import pytest

from ablation_pipeline.ablations.plan import plan_variants
from ablation_pipeline.errors import SpecError

from builders import HOUSE_FEATURES, house_spec


def test_each_expands_features_then_groups_with_readable_names():
    spec = house_spec([{"features": "each", "mode": "drop"}], groups={"rooms_and_size": ["rooms", "size"]})
    variants = plan_variants(spec, HOUSE_FEATURES)
    assert [v.name for v in variants] == ["drop__rooms", "drop__size", "drop__location", "drop__age", "drop__noise", "drop__rooms_and_size"]
    assert variants[-1].components == ("rooms", "size") and variants[-1].refits


def test_explicit_lists_groups_and_modes():
    spec = house_spec([{"features": [["rooms", "size"], "loc"], "mode": "permute", "permutations": 3},
                  {"features": "groups", "mode": "mean"}], groups={"loc": ["location"]})
    variants = plan_variants(spec, HOUSE_FEATURES)
    assert [(v.name, v.components, v.refits) for v in variants] == [
        ("permute__rooms_and_size", ("rooms", "size"), False),
        ("permute__loc", ("location",), False),
        ("mean__loc", ("location",), False),
    ]
    assert variants[0].identity() == {"kind": "feature", "mode": "permute", "components": ["rooms", "size"], "permutations": 3}


def test_same_components_under_another_name_is_a_duplicate():
    spec = house_spec([{"features": ["location"]}, {"features": ["loc"]}], groups={"loc": ["location"]})
    expected = (r"ablations\[1\]\.features\[0\]: duplicate variant 'drop__loc' "
                r"\(same as 'drop__location' from ablations\[0\]\.features\[0\]\)")
    with pytest.raises(SpecError, match=expected):
        plan_variants(spec, HOUSE_FEATURES)


def test_same_feature_in_two_modes_is_fine():
    spec = house_spec([{"features": ["age"], "mode": "drop"}, {"features": ["age"], "mode": "permute"}])
    assert [v.name for v in plan_variants(spec, HOUSE_FEATURES)] == ["drop__age", "permute__age"]


def test_dropping_everything_is_refused():
    spec = house_spec([{"features": [HOUSE_FEATURES]}])
    with pytest.raises(SpecError, match="dropping every feature leaves nothing to fit"):
        plan_variants(spec, HOUSE_FEATURES)


def test_group_named_like_a_feature_is_refused():
    with pytest.raises(SpecError, match="data.groups.age: a group cannot share its name with a feature"):
        plan_variants(house_spec([{"features": "each"}], groups={"age": ["rooms"]}), HOUSE_FEATURES)


def test_layer_ablation_variants_and_their_names(mlp_result):
    names = list(dict.fromkeys(mlp_result.comparison.variant))
    assert names == ["remove__hidden1", "remove__act1", "remove__hidden2", "remove__act2", "zero__hidden1", "zero__hidden2",
                     "mean__hidden2", "resample__hidden2", "random__hidden2", "scale__hidden1__x0", "scale__hidden1__x1",
                     "permute__worst_area"]
    kinds = mlp_result.comparison.drop_duplicates("variant").set_index("variant")["kind"]
    assert kinds["remove__hidden1"] == "layer" and kinds["permute__worst_area"] == "feature"


def test_variant_names_keep_their_meaning_for_any_column_name():
    """Non-ASCII, case and punctuation: a safe name is itself, any other its safe part plus a hash of the
    original, so `features: each` never makes two names one (it refused Chinese columns as duplicates)."""
    from ablation_pipeline.spec.loading import parse_spec

    columns = ["年龄", "收入", "Age", "age", "price (usd)", "price_usd", "a-b", "a b"]
    spec = parse_spec({"name": "t", "data": {"source": "x.csv", "target": "y"}, "model": {"estimator": "Ridge"},
                       "ablations": [{"features": "each", "mode": "drop"}]})
    names = [v.name for v in plan_variants(spec, columns)]
    assert len(set(names)) == len(columns)
    assert "drop__Age" in names and "drop__age" in names and "drop__price_usd" in names
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", name) for name in names)  # what Dagster takes in an asset key
    assert [n for n in names if n.startswith("drop__price_usd_")] and [n for n in names if n.startswith("drop__x_")]
