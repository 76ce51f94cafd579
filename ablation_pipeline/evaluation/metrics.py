"""Named metrics with their direction, computed from stored test-fold predictions (so adding a
metric never needs a refit). The functions are scikit-learn's, or its formulas without its per-call input
checks where a study calls them thousands of times (tests/evaluation check each equal to scikit-learn's)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn import metrics as skm

from ..errors import SpecError, did_you_mean
from ..vocabulary import Direction, Task

#: Margin used when a relative margin of a zero baseline mean would be zero: a margin must be > 0 for
#: the non-inferiority hypothesis to be testable; this one only ever passes exact ties.
ZERO_MARGIN_FALLBACK = 1e-12


@dataclass(frozen=True)
class Margin:
    """A non-inferiority margin: `value` in the metric's units, or (relative) that fraction of the
    baseline's mean over its first repeat."""

    value: float
    relative: bool

    @classmethod
    def parse(cls, value: float | str) -> Margin:
        """The spec's form (validated there): a number in the metric's units, or a percentage ('2%')."""
        if isinstance(value, str):
            return cls(float(value.strip().removesuffix("%")) / 100.0, relative=True)
        return cls(float(value), relative=False)

    def resolve(self, baseline_mean: float) -> float:
        if not self.relative:
            return self.value
        return self.value * abs(baseline_mean) or ZERO_MARGIN_FALLBACK

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"


#: Default margins read the same way on every scale: 1% of an error or a loss, whatever its units;
#: one point (0.01) of a score that lives in [0, 1] (the region of practical equivalence of baycomp,
#: scmamp and Benavoli et al. 2017). Chosen in benchmarks/calibration.py.
RELATIVE, POINT = Margin(0.01, relative=True), Margin(0.01, relative=False)


@dataclass(frozen=True)
class Metric:
    """A named metric: the task it applies to, which way it improves, whether it needs probabilities
    or decision scores rather than predicted labels, and its default non-inferiority margin."""

    name: str
    task: Task
    direction: Direction
    uses_scores: bool
    compute: Callable[..., float]
    margin: Margin = POINT
    per_row: Callable[..., np.ndarray] | None = None  # each test row's value, whose mean is the metric (None: not a mean over rows)

    @property
    def in_unit_interval(self) -> bool:
        """Whether the metric lives in [0, 1], so a difference of it in [-1, 1]."""
        return self.name in UNIT_INTERVAL

    @property
    def higher_is_better(self) -> bool:
        return self.direction.higher_is_better


UNIT_INTERVAL = frozenset({"accuracy", "balanced_accuracy", "error_rate", "precision", "recall", "f1", "roc_auc"})


def _average(n_classes: int) -> dict[str, object]:
    return {"average": "binary", "pos_label": 1} if n_classes == 2 else {"average": "macro"}


def _roc_auc(y: np.ndarray, scores: np.ndarray, n_classes: int) -> float:
    """scikit-learn's roc_auc_score (one-vs-rest macro for more than two classes), as the Mann-Whitney
    statistic on average ranks where its input checks would pass (tests/evaluation check equality, ties
    included): a held-out study's paired bootstrap calls it 200 times per variant and draw, and scikit-learn's
    checks took 3-5 ms a call. Anything else (a class missing, probabilities that do not sum to 1) goes to
    scikit-learn, which says what is wrong."""
    y, scores = np.asarray(y), np.asarray(scores, dtype=float)
    if n_classes == 2:
        scores = scores[:, 1] if scores.ndim == 2 else scores
        members = (y == 1)[:, None]
    else:
        members = y[:, None] == np.arange(n_classes)
    counts = members.sum(axis=0)
    checks_pass = (counts.min() > 0 and counts.max() < len(y) and np.isfinite(scores).all()
                   and (n_classes == 2 or np.allclose(scores.sum(axis=1), 1.0)))
    if not checks_pass:
        if n_classes == 2:
            return float(skm.roc_auc_score(y, scores))
        return float(skm.roc_auc_score(y, scores, multi_class="ovr", labels=np.arange(n_classes)))
    ranks = rankdata(scores.reshape(len(y), -1), axis=0)
    per_class = ((ranks * members).sum(axis=0) - counts * (counts + 1) / 2) / (counts * (len(y) - counts))
    return float(per_class.mean())


def _row_log_loss(y: np.ndarray, scores: np.ndarray, n_classes: int) -> np.ndarray:
    """Each row's log-loss as scikit-learn's log_loss computes it: probabilities normalised per row and
    clipped to [eps, 1 - eps]."""
    p = np.asarray(scores, dtype=float)
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    p = p / p.sum(axis=1, keepdims=True)
    eps = np.finfo(p.dtype).eps
    return -np.log(np.clip(p[np.arange(len(y)), np.asarray(y, dtype=int)], eps, 1.0 - eps))


def _row_mean(name: str, task: Task, direction: Direction, uses_scores: bool, per_row: Callable[..., np.ndarray],
              margin: Margin) -> Metric:
    """A metric that is the mean of a per-row value (its per-row form feeds the tests; tests/stats check
    each against scikit-learn's own function)."""
    return Metric(name, task, direction, uses_scores, lambda y, values, n: float(np.mean(per_row(y, values, n))), margin, per_row)


def _squared_errors(y: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    return np.square(np.asarray(y, dtype=float) - pred)


def _rmse(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """scikit-learn's root_mean_squared_error on one target (tests/evaluation check it), without its input
    checks: a large study's scores table called it once per variant, split and draw, 0.2 ms each."""
    return float(np.sqrt(np.mean(_squared_errors(y, pred, n_classes))))


def _labels(fn: Callable[..., float], **kw: object) -> Callable[..., float]:
    return lambda y, pred, n: float(fn(y, pred, **kw))


def _per_class(fn: Callable[..., float], over: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., float]:
    """scikit-learn's precision, recall or f1 (binary for two classes, else macro over the labels present;
    zero_division 0), from per-class counts where the labels are the study's codes (tests/evaluation check
    equality): its input checks took about 1 ms a call, and a study calls it per variant, split and draw (200
    times more under a held-out study's bootstrap). `over(true, predicted)`: the per-class counts the hits are
    divided by."""
    def compute(y: np.ndarray, pred: np.ndarray, n: int) -> float:
        counts = _class_counts(y, pred, n)
        if counts is None:
            return float(fn(y, pred, zero_division=0, **_average(n)))
        hits, true, predicted = counts
        denominator = over(true, predicted)
        value = np.divide(hits, denominator, out=np.zeros(n), where=denominator > 0)
        return float(value[1] if n == 2 else value[(true + predicted) > 0].mean())
    return compute


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray, n: int) -> float:
    """scikit-learn's balanced_accuracy_score (the mean recall of the classes in y), from per-class counts
    like `_per_class`."""
    counts = _class_counts(y, pred, n)
    if counts is None or counts[2][counts[1] == 0].any():  # a predicted class y lacks: scikit-learn warns
        return float(skm.balanced_accuracy_score(y, pred))
    hits, true, _ = counts
    return float((hits[true > 0] / true[true > 0]).mean())


def _class_counts(y: np.ndarray, pred: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(correct, true, predicted) counts per class when both are integer codes in [0, n); None otherwise."""
    y, pred = np.asarray(y), np.asarray(pred)
    if n < 2 or len(y) == 0 or y.dtype.kind not in "iu" or pred.dtype.kind not in "iu" or y.shape != pred.shape:
        return None
    if min(y.min(), pred.min()) < 0 or max(y.max(), pred.max()) >= n:
        return None
    return (np.bincount(y[y == pred], minlength=n).astype(float), np.bincount(y, minlength=n).astype(float),
            np.bincount(pred, minlength=n).astype(float))


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        _row_mean("accuracy", Task.CLASSIFICATION, Direction.HIGHER, False, lambda y, pred, n: (pred == y).astype(float), POINT),
        Metric("balanced_accuracy", Task.CLASSIFICATION, Direction.HIGHER, False, _balanced_accuracy),
        _row_mean("error_rate", Task.CLASSIFICATION, Direction.LOWER, False, lambda y, pred, n: (pred != y).astype(float), POINT),
        Metric("precision", Task.CLASSIFICATION, Direction.HIGHER, False, _per_class(skm.precision_score, lambda true, pred: pred)),
        Metric("recall", Task.CLASSIFICATION, Direction.HIGHER, False, _per_class(skm.recall_score, lambda true, pred: true)),
        Metric("f1", Task.CLASSIFICATION, Direction.HIGHER, False, _per_class(skm.f1_score, lambda true, pred: (true + pred) / 2)),
        Metric("roc_auc", Task.CLASSIFICATION, Direction.HIGHER, True, _roc_auc),
        _row_mean("log_loss", Task.CLASSIFICATION, Direction.LOWER, True, _row_log_loss, RELATIVE),
        _row_mean("mse", Task.REGRESSION, Direction.LOWER, False, _squared_errors, RELATIVE),
        Metric("rmse", Task.REGRESSION, Direction.LOWER, False, _rmse, RELATIVE),
        _row_mean("mae", Task.REGRESSION, Direction.LOWER, False, lambda y, pred, n: np.abs(np.asarray(y, dtype=float) - pred), RELATIVE),
        Metric("r2", Task.REGRESSION, Direction.HIGHER, False, _labels(skm.r2_score)),
        Metric("median_ae", Task.REGRESSION, Direction.LOWER, False, _labels(skm.median_absolute_error), RELATIVE),
    ]
}
DEFAULT_METRICS = {Task.CLASSIFICATION: ("accuracy", "f1", "roc_auc"), Task.REGRESSION: ("rmse", "r2", "mae")}
# A held-out study's test is paired row by row: its metrics are means over rows.
DEFAULT_ROW_METRICS = {Task.CLASSIFICATION: ("accuracy", "log_loss"), Task.REGRESSION: ("mse", "mae")}


def resolve_metrics(names: tuple[str, ...], task: Task, label: str = "", held_out: bool = False) -> list[Metric]:
    """The study's metrics (defaults by task), checked against the task; first is primary. `held_out`: the
    defaults are means over rows (each row's difference tells the delta's variance; any other metric a
    held-out study names takes it from the paired bootstrap)."""
    prefix = f"{label}: " if label else ""
    chosen = names or (DEFAULT_ROW_METRICS if held_out else DEFAULT_METRICS)[task]
    problems = []
    for i, name in enumerate(chosen):
        metric = METRICS.get(name)
        if metric is None:
            problems.append(f"{prefix}evaluation.metrics[{i}]: unknown metric '{name}'{did_you_mean(name, METRICS)}"
                            f" (known: {', '.join(METRICS)})")
        elif metric.task != task:
            problems.append(f"{prefix}evaluation.metrics[{i}]: '{name}' is a {metric.task} metric but the task is {task}")
    if len(set(chosen)) != len(chosen):
        problems.append(f"{prefix}evaluation.metrics: a metric is listed twice")
    if problems:
        raise SpecError("\n".join(problems))
    return [METRICS[n] for n in chosen]


def trusted_inputs() -> contextlib.AbstractContextManager:
    """Within: scikit-learn's metrics skip their parameter validation (our own calls, thousands of them
    in a large study's scores table: a third of its time)."""
    import sklearn

    return sklearn.config_context(skip_parameter_validation=True)


def values_per_row(metric: Metric, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None, n_classes: int) -> np.ndarray:
    """Each test row's value of a metric that is a mean over rows (`metric.per_row` is set)."""
    return metric.per_row(y_true, _input(metric, y_pred, y_score), n_classes)


def evaluate(metric: Metric, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None, n_classes: int) -> float:
    """One metric on one set of predictions."""
    return metric.compute(y_true, _input(metric, y_pred, y_score), n_classes)


def _input(metric: Metric, y_pred: np.ndarray, y_score: np.ndarray | None) -> np.ndarray:
    """What the metric reads: predicted labels or values, or the probabilities / decision scores it needs."""
    if not metric.uses_scores:
        return y_pred
    if y_score is None:
        raise SpecError(f"evaluation.metrics: '{metric.name}' needs predicted probabilities or decision scores, "
                        "which this estimator does not provide")
    return y_score
