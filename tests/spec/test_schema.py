"""The spec's models: frozen, with sound defaults, and refusing what a run could not use (seeds out
of range, non-finite numbers, sizes past their bounds, a cron or timezone Dagster would refuse)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ablation_pipeline.errors import SpecError
from ablation_pipeline.spec.loading import parse_spec
from ablation_pipeline.spec.schema import MAX_FOLDS, MAX_NAME_LENGTH, MAX_PERMUTATIONS, MAX_REPEATS, MAX_SWEEP

from builders import house_spec, mlp_spec, small_spec


def test_spec_is_frozen_and_defaults_are_sound():
    spec = house_spec([{"features": "each"}])
    assert (spec.evaluation.folds, spec.evaluation.repeats, spec.statistics.alpha, spec.statistics.correction) == (5, "auto", 0.05, "holm")
    assert spec.evaluation.max_repeats == 10 and spec.evaluation.planned_repeats == 10
    with pytest.raises(ValidationError):
        spec.name = "other"  # type: ignore[misc]


# ---------------------------------------------------------------- values a run could not use

NAN, INF = float("nan"), float("inf")


def problems(**overrides) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(small_spec(**overrides))
    return [line.removeprefix("<spec>: ") for line in str(caught.value).splitlines()]


@pytest.mark.parametrize("seed", [0, 2**32 - 1])
def test_seeds_at_the_bounds_are_accepted(seed):
    assert parse_spec(small_spec(evaluation={"seed": seed})).evaluation.seed == seed


@pytest.mark.parametrize("seed", [-1, 2**32, 10**30])
def test_seeds_outside_numpy_range_are_refused(seed):
    assert problems(evaluation={"seed": seed}) == [f"evaluation.seed: a seed is between 0 and 4294967295 (2**32 - 1), got {seed}"]


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"statistics": {"alpha": NAN}}, ["statistics.alpha: Input should be a finite number, got nan"]),
    ({"statistics": {"margin": {"rmse": -INF}}},
     ["statistics.margin.rmse: expected a positive number in the metric's units or a percentage such as '2%', got -inf"]),
    ({"model": {"estimator": "Ridge", "params": {"alpha": NAN}}}, ["model.params.alpha: expected a number, got nan"]),
    ({"model": {"estimator": "GaussianNB", "params": {"priors": [0.5, INF]}}},
     ["model.params.priors: expected finite numbers, got [0.5, inf]"]),
    ({"model": {"estimator": "X", "params": {"p": {"q": [1, {"r": NAN}]}}}},
     ["model.params.p: expected finite numbers, got {'q': [1, {'r': nan}]}"]),
    ({"ablations": [{"features": ["a"], "mode": "noise", "factors": [INF]}]},
     ["ablations[0].factors[0]: Input should be a finite number, got inf"]),
    ({"ablations": [{"param": "model.params.alpha", "values": [1, NAN, "1e999", "abc", [1]]}]},
     ["ablations[0].values[1]: expected a finite number, got nan", "ablations[0].values[2]: expected a finite number, got inf",
      "ablations[0].values[3]: expected a number, got 'abc'", "ablations[0].values[4]: expected a number, got [1]"]),
])
def test_non_finite_numbers_are_refused_wherever_numbers_go(overrides, expected):
    assert problems(**overrides) == expected


def test_a_single_infinite_param_is_left_to_scikit_learn():
    """It accepts `LogisticRegression(C=inf)` (no regularization) and refuses `Ridge(alpha=inf)`."""
    assert parse_spec(small_spec(model={"estimator": "LogisticRegression", "params": {"C": INF}})).model.params == {"C": INF}


def test_swept_values_keep_their_type():
    spec = parse_spec(small_spec(ablations=[{"param": "model.params.alpha", "values": [1, 0.5, "1e-3"]}]))
    assert spec.ablations[0].values == (1, 0.5, 0.001) and isinstance(spec.ablations[0].values[0], int)


def test_noise_factors_cannot_be_negative_scale_factors_can():
    assert problems(ablations=[{"features": ["a"], "mode": "noise", "factors": [0, -0.5]}]) == [
        "ablations[0].factors: noise factors are multiples of the training std and cannot be negative, got -0.5"]
    spec = parse_spec({**mlp_spec(), "ablations": [{"layers": ["hidden1"], "mode": "scale", "factors": [-1.5, 0, 2]}]})
    assert spec.ablations[0].factors == (-1.5, 0, 2)


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"name": "n" * MAX_NAME_LENGTH}, None),
    ({"name": "n" * (MAX_NAME_LENGTH + 1)},
     "name: 65 characters; a study name is at most 64 (it names the results folder and prefixes every Dagster asset key)"),
    ({"evaluation": {"folds": MAX_FOLDS, "repeats": MAX_REPEATS}}, None),
    ({"evaluation": {"folds": MAX_FOLDS + 1}}, "evaluation.folds: Input should be less than or equal to 100, got 101"),
    ({"evaluation": {"repeats": MAX_REPEATS + 1}}, "evaluation.repeats: Input should be less than or equal to 100, got 101"),
    ({"ablations": [{"features": ["a"], "mode": "permute", "permutations": MAX_PERMUTATIONS}]}, None),
    ({"ablations": [{"features": ["a"], "mode": "permute", "permutations": MAX_PERMUTATIONS + 1}]},
     "ablations[0].permutations: Input should be less than or equal to 1000, got 1001"),
    ({"ablations": [{"features": ["a"], "mode": "noise", "factors": [1.0] * MAX_SWEEP}]}, None),
    ({"ablations": [{"features": ["a"], "mode": "noise", "factors": [1.0] * (MAX_SWEEP + 1)}]},
     "ablations[0].factors: 101 entries; at most 100 are allowed"),
    ({"ablations": [{"param": "model.params.alpha", "values": list(range(MAX_SWEEP + 1))}]},
     "ablations[0].values: 101 entries; at most 100 are allowed"),
])
def test_sizes_are_bounded(overrides, expected):
    if expected is None:
        parse_spec(small_spec(**overrides))
    else:
        assert problems(**overrides) == [expected]


def test_a_bad_item_is_not_also_called_an_empty_list():
    assert problems(ablations=[{"features": ["a"], "mode": "noise", "factors": [NAN]}]) == [
        "ablations[0].factors[0]: Input should be a finite number, got nan"]


def test_long_values_are_cut_short_in_messages():
    (line,) = problems(name="N" * 10_000)
    assert line.startswith("name: String should match pattern") and line.endswith("...") and len(line) < 200


@pytest.mark.parametrize("timezone", ["UTC", "utc", "Europe/Paris", "America/New_York", "Etc/GMT+5"])
def test_timezones_dagster_accepts(timezone):
    assert parse_spec(small_spec(schedule={"cron": "0 3 * * *", "timezone": timezone})).schedule.timezone == timezone


@pytest.mark.parametrize("timezone", ["Europe/Pariss", "", "America", "../../etc/passwd", "/etc/localtime", "zone.tab", "a\x00b"])
def test_timezones_zoneinfo_cannot_load(timezone):
    (line,) = problems(schedule={"timezone": timezone})
    assert line.startswith(f"schedule.timezone: unknown timezone {timezone!r} (expected an IANA name such as UTC or Europe/Paris)")
    if timezone == "Europe/Pariss":  # other hints depend on the machine's time zone files
        assert line.endswith("; did you mean 'Europe/Paris'?")


def test_cron_is_checked_as_dagster_would():
    assert problems(schedule={"cron": "61 * * * *"}) == ["schedule.cron: '61 * * * *': minute 61 is out of range 0-59"]
    assert parse_spec(small_spec(schedule={"cron": "@daily"})).schedule.cron == "@daily"
