"""Bad input for conditional perturbation, feature clusters and interactions: one line each from
`ablation validate`, naming the field, and nothing written by `ablation run`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_input_cases import assert_lines, invoke, nothing_written, reg, regression_frame, study

EACH_DROP = [{"features": "each", "mode": "drop"}]
COMPONENTS = "a, b, c, city, ab"


@pytest.mark.parametrize(("changes", "expected"), [
    pytest.param({"ablations": EACH_DROP, "interactions": {"pairs": [["a", "bb"]]}},
                 [f"interactions.pairs[0][1]: unknown feature, group or layer 'bb' (expected one of {COMPONENTS}); did you mean 'b'?"],
                 id="unknown-pair-member"),
    pytest.param({"ablations": EACH_DROP, "interactions": {"pairs": [["a", "a"]]}},
                 ["interactions.pairs: a pair of the same component [a, a]; name two different components"], id="same-component"),
    pytest.param({"ablations": EACH_DROP, "interactions": {"pairs": [["a", "b", "c"]]}},
                 ["interactions.pairs: expected a pair of two feature, group or layer names such as [rooms, size], "
                  "got ['a', 'b', 'c']"], id="three-members"),
    pytest.param({"ablations": EACH_DROP, "interactions": {"pairs": [["a", "ab"]]}},
                 ["interactions.pairs[0]: 'a' and 'ab' share a; name components that do not overlap"], id="overlap"),
    pytest.param({"ablations": EACH_DROP, "interactions": {"top": 6}},
                 ["interactions.top: 6 is more than the 5 component(s) the ablations take out one at a time with mode drop; "
                  "expected at most 5"], id="top-too-large"),
    pytest.param({"ablations": EACH_DROP, "interactions": {"top": 1}},
                 ["interactions.top: Input should be greater than or equal to 2, got 1"], id="top-one"),
    pytest.param({"ablations": EACH_DROP, "interactions": {}},
                 ["interactions: give pairs (e.g. [[rooms, size]]) and/or top (pairs among the k largest single effects)"],
                 id="nothing-to-pair"),
    pytest.param({"ablations": EACH_DROP, "interactions": {"pairs": [["a", "b"]], "mode": "noise"}},
                 ["interactions: mode 'noise' sweeps a factor or setting; interactions take a mode that removes or perturbs a "
                  "component (drop, permute, conditional, mean; remove, zero, resample, random)"], id="mode-with-factors"),
    pytest.param({"ablations": EACH_DROP, "interactions": {"pairs": [["a", "b"]], "mode": "zero"}},
                 ["interactions.pairs[0]: interactions.mode 'zero' does not apply to features; expected one of drop, permute, "
                  "conditional, mean, noise"], id="layer-mode-on-features"),
    pytest.param({"ablations": [{"features": "clusters", "threshold": 0}]},
                 ["ablations[0].threshold: Input should be greater than 0, got 0"], id="threshold-zero"),
    pytest.param({"ablations": [{"features": "clusters", "threshold": 1.5}]},
                 ["ablations[0].threshold: Input should be less than or equal to 1, got 1.5"], id="threshold-above-one"),
    pytest.param({"ablations": [{"features": "each", "threshold": 0.5}]},
                 ["ablations[0]: threshold applies to features: clusters (the association at which features join one cluster)"],
                 id="threshold-without-clusters"),
    pytest.param({"ablations": [{"features": "clusterz"}]},
                 ["ablations[0].features: expected 'each', 'groups', 'clusters' or a list of feature/group names and "
                  "[feature, ...] lists, got 'clusterz'; did you mean 'clusters'?"], id="clusters-typo"),
    pytest.param({"ablations": [{"features": ["a", "b"], "mode": "conditionl"}]},
                 ["ablations[0].mode: unknown mode 'conditionl', expected one of drop, permute, conditional, mean, noise, remove, "
                  "zero, resample, random, scale, sweep; did you mean 'conditional'?"], id="conditional-typo"),
    pytest.param({"ablations": [{"features": [["a", "b", "c", "city"]], "mode": "conditional"}]},
                 ["ablations[0].features[0]: mode conditional draws a component given the other features, and a+b+c+city is "
                  "every feature: nothing to condition on (use permute or mean)"], id="conditional-on-everything"),
])
def test_refused_in_one_line(tmp_path: Path, changes: dict, expected: list[str]) -> None:
    path = study(tmp_path, reg(**changes))
    assert_lines(invoke("validate", path), path, *expected)
    assert_lines(invoke("run", path), path, *expected)
    nothing_written(tmp_path)


def test_conditional_on_a_single_feature_dataset(tmp_path: Path) -> None:
    spec = reg(ablations=[{"features": "each", "mode": "conditional"}])
    spec["data"] = {"source": "data.csv", "target": "y"}
    path = study(tmp_path, spec, regression_frame()[["a", "y"]])
    assert_lines(invoke("validate", path), path, "ablations[0]: mode conditional draws a component given the other features, "
                 "and a is the only feature: nothing to condition on (use permute or mean)")


def test_an_unknown_feature_lists_the_valid_names(tmp_path: Path) -> None:
    path = study(tmp_path, reg(ablations=[{"features": ["sise", ["a", "bb"]], "mode": "drop"}]))
    assert_lines(invoke("validate", path), path,
                 "ablations[0].features[0]: unknown feature or group 'sise' (expected one of a, b, c, city, ab)",
                 "ablations[0].features[1][1]: unknown feature 'bb' (expected one of a, b, c, city); did you mean 'b'?")
