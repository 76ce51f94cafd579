"""Verdicts on metrics that are means over rows: the rows tell each split delta's variance, so a zero
spread of coarse split deltas is never certainty; every reported interval holds its own Δ; an interval
of a bounded metric stays within what a difference of it can be; a large loss is not given up at the
first look."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from ablation_pipeline.ablations.fitting import FoldPredictions, Outcome
from ablation_pipeline.data.dataset import Dataset
from ablation_pipeline.data.splits import Split
from ablation_pipeline.evaluation.metrics import METRICS, evaluate, values_per_row
from ablation_pipeline.evaluation.scoring import delta_variances, score_outcomes
from ablation_pipeline.stats.comparison import compare_variants
from ablation_pipeline.stats.evidence import evidence
from ablation_pipeline.stats.sequential import Design, looks_for
from ablation_pipeline.stats.stopping import should_stop
from ablation_pipeline.vocabulary import Direction, Task, Verdict

RATIO = 0.25
VARIANTS = pd.DataFrame({"variant": ["drop__year"], "kind": "feature", "mode": "drop", "components": "year"})


def scores_table(base: list[float], deltas: list[float], dvar: list[float] | None = None, folds: int = 5) -> pd.DataFrame:
    rows = []
    for j, (b, d) in enumerate(zip(base, deltas, strict=False)):
        rows.append(("baseline", j // folds, j % folds, "accuracy", b, np.nan))
        rows.append(("drop__year", j // folds, j % folds, "accuracy", b + d, np.nan if dvar is None else dvar[j]))
    for j in range(len(deltas), len(base)):
        rows.append(("baseline", j // folds, j % folds, "accuracy", base[j], np.nan))
    return pd.DataFrame(rows, columns=["variant", "repeat", "fold", "metric", "value", "delta_variance"])


def compare(table: pd.DataFrame, looks=None) -> pd.Series:
    out = compare_variants(table, VARIANTS, {"accuracy": True}, RATIO, margins={"accuracy": 0.01}, looks=looks,
                           extra_columns=True, bounded=["accuracy"])
    return out.iloc[0]


def test_the_interval_holds_its_delta_when_an_earlier_look_had_every_delta_zero():
    # penguins, drop__year: 9 splits' deltas exactly 0 and one +1/72, the variant stopped after two repeats
    base = [0.97] * 50
    deltas = [0.0] * 9 + [1 / 72]
    row = compare(scores_table(base, deltas), looks=looks_for(10))
    assert row.n_splits == 10 and row.delta == pytest.approx(1 / 720)
    assert row.ci_low_adjusted <= row.delta <= row.ci_high_adjusted
    assert row.ci_low <= row.delta <= row.ci_high
    assert row.ci_high_adjusted > row.ci_low_adjusted  # not the [0, 0] of the first look


def test_zero_deltas_with_differing_predictions_are_not_certainty():
    # every split's accuracy is the same under both models, but 6 of each split's 60 rows flip (3 each way)
    rows = np.array([1.0] * 3 + [-1.0] * 3 + [0.0] * 54)
    dvar = float(np.var(rows, ddof=1) / rows.size)
    design = Design(5, looks_for(10), RATIO)
    without_rows = evidence(np.zeros(5), design, 0.01, Direction.HIGHER, 0.05)
    with_rows = evidence(np.zeros(5), design, 0.01, Direction.HIGHER, 0.05, np.full(5, dvar))
    assert without_rows.p_noninferiority() == 0.0  # the split deltas alone read a zero spread as certainty
    assert with_rows.p_noninferiority() > 0.05 and with_rows.ses[-1] > 0
    row = compare(scores_table([0.9] * 5, [0.0] * 5, [dvar] * 5))
    assert row.verdict == Verdict.INCONCLUSIVE and row.df == 0
    assert row.degradation_bound_adjusted > 0.01


def test_identical_predictions_stay_removable():
    row = compare(scores_table([0.9] * 10, [0.0] * 10, [0.0] * 10))
    assert row.delta == 0 and row.verdict == Verdict.REMOVABLE
    assert row.ci_low_adjusted == row.ci_high_adjusted == 0


def test_a_large_loss_is_not_given_up_at_the_first_look():
    # HistGradientBoosting, permute__flipper_length_mm: a 4-point loss, one fold lost 19 points
    deltas = np.array([-0.19, 0.0, -0.01, 0.0, 0.0])
    design = Design(5, looks_for(10), RATIO)
    found = evidence(deltas, design, 0.01, Direction.HIGHER, 0.05)
    assert abs(found.means[-1]) >= 2 * 0.01
    assert not should_stop([found], 14, 0.05)
    small = evidence(np.array([0.003, -0.002, 0.001, 0.0, 0.002]), design, 0.01, Direction.HIGHER, 0.05)
    assert small.looks_taken == 1  # and a small one may still stop at the first look (removable here)
    assert should_stop([small], 14, 0.05)


def test_intervals_of_a_bounded_metric_stay_within_what_a_difference_can_be():
    row = compare(scores_table([0.5] * 5, [-0.19, 0.9, -0.8, 0.85, -0.9]))
    assert -1.0 <= row.ci_low_adjusted <= row.delta <= row.ci_high_adjusted <= 1.0
    assert -1.0 <= row.ci_low <= row.ci_high <= 1.0


SKLEARN = {"accuracy": lambda y, p, s, n: skm.accuracy_score(y, p), "error_rate": lambda y, p, s, n: 1 - skm.accuracy_score(y, p),
           "log_loss": lambda y, p, s, n: skm.log_loss(y, s, labels=np.arange(n)),
           "mse": lambda y, p, s, n: skm.mean_squared_error(y, p), "mae": lambda y, p, s, n: skm.mean_absolute_error(y, p)}


def test_every_metric_that_is_a_mean_over_rows_is_checked_here():
    assert {m for m, metric in METRICS.items() if metric.per_row is not None} == set(SKLEARN)


@pytest.mark.parametrize("name", sorted(SKLEARN))
@pytest.mark.parametrize("model", ["logistic 2", "logistic 3", "tree 3"])
def test_each_metric_that_is_a_mean_over_rows_is_scikit_learns_and_the_mean_of_its_rows(name, model):
    metric = METRICS[name]
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 3))
    if metric.task == "classification":
        classes = int(model[-1])
        y = (x[:, 0] > 0).astype(int) + (classes == 3) * (x[:, 1] > 0.5)
        fitted = (DecisionTreeClassifier(max_depth=3) if model.startswith("tree") else LogisticRegression()).fit(x[:80], y[:80])
        pred, score, n, truth = fitted.predict(x[80:]), fitted.predict_proba(x[80:]), classes, y[80:]
    else:
        truth = x[:, 0] + rng.normal(size=120)
        pred, score, n, truth = truth[80:] + rng.normal(size=40), None, 0, truth[80:]
    rows = values_per_row(metric, truth, pred, score, n)
    assert rows.shape == (40,)
    reference = SKLEARN[name](truth, pred, score, n)
    assert rows.mean() == pytest.approx(reference, rel=1e-9)
    assert evaluate(metric, truth, pred, score, n) == pytest.approx(reference, rel=1e-9)


def test_the_scores_table_carries_each_variants_row_told_variance():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 2))
    y = (x[:, 0] + 0.5 * rng.normal(size=100) > 0).astype(int)
    dataset = Dataset(pd.DataFrame(x, columns=["a", "b"]), y, "y", Task.CLASSIFICATION, ("a", "b"), (), ("no", "yes"), "v")
    split = Split(0, 0, 0, np.arange(60), np.arange(60, 100))

    def outcome(name, columns):
        model = LogisticRegression().fit(x[:60, columns], y[:60])
        return Outcome(name, [FoldPredictions(0, model.predict(x[60:, columns])[None], model.predict_proba(x[60:, columns])[None], 0.0)])

    base, variant = outcome("baseline", [0, 1]), outcome("drop__a", [1])
    metrics = [METRICS["accuracy"], METRICS["f1"], METRICS["log_loss"]]
    table = score_outcomes([base, variant], dataset, [split], metrics)
    got = table.set_index(["variant", "metric"])["delta_variance"]
    differences = (variant.folds[0].predictions[0] == y[60:]).astype(float) - (base.folds[0].predictions[0] == y[60:])
    assert got["drop__a", "accuracy"] == pytest.approx(np.var(differences, ddof=1) / 40)
    assert got["drop__a", "log_loss"] > 0
    assert np.isnan(got["drop__a", "f1"]) and np.isnan(got["baseline", "accuracy"])  # f1 is not a mean over rows
    assert delta_variances(base, base, dataset, [split], metrics) == {"accuracy": [0.0], "log_loss": [0.0]}


def test_held_out_score_variances_are_the_restricted_maximum_likelihood():
    """Nam's non-inferiority variance: at the (w, v) that maximise the multinomial likelihood of the observed
    worse / better / same counts subject to w - v = margin; McNemar's at w = v. Checked by brute force."""
    from ablation_pipeline.stats.paired import discordant_variances

    rows, margin = 200, 0.01
    for worse, better in ((3, 5), (0, 0), (12, 2), (0, 9), (40, 35)):
        degradation, share = (worse - better) / rows, (worse + better) / rows
        superiority, at_margin = discordant_variances(degradation, share, rows, margin)
        grid = np.linspace(margin + 1e-9, (1 + margin) / 2 - 1e-9, 400_001)
        with np.errstate(divide="ignore"):
            loglik = worse * np.log(grid) + better * np.log(grid - margin) + (rows - worse - better) * np.log(1 - 2 * grid + margin)
        w = grid[np.argmax(np.where(np.isfinite(loglik), loglik, -np.inf))]
        assert at_margin == pytest.approx((2 * w - margin - margin**2) / rows, rel=1e-4)
        assert superiority == pytest.approx(share / rows)


def test_a_held_out_claim_of_no_loss_needs_evidence_even_with_no_discordant_rows():
    """200 held-out rows on which the variant never differs from the baseline: a loss of 1% would leave no
    discordant row 13% of the time (0.99 ** 200), so that is not proof of non-inferiority at the 1% margin."""
    found = evidence(np.array([0.0]), Design(1, (1,), 0.0, True), 0.01, Direction.HIGHER, 0.05, np.array([0.0]), (0.0, 200.0))
    assert found.p_noninferiority() > 0.05 and found.p_superiority() == 1.0
    many = evidence(np.array([0.0]), Design(1, (1,), 0.0, True), 0.01, Direction.HIGHER, 0.05, np.array([0.0]), (0.0, 2000.0))
    assert many.p_noninferiority() < 0.05  # 0.99 ** 2000: a 1% loss would show
