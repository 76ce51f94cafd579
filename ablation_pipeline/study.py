"""A study's steps as plain functions (parse -> plan -> run), shared by the Dagster assets and by
`run_study`, the Dagster-free way to run a whole study in one process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd
from sklearn.base import BaseEstimator

from . import paths
from . import data as data_mod
from .ablate import Outcome, fit_baseline, run_variant
from .cache import ResultCache
from .data import Dataset, Split
from .errors import AblationError, SpecError, did_you_mean
from .metrics import Metric, resolve_metrics
from .models import make_estimator
from .plan import Variant, plan_variants
from .scoring import score_outcomes
from .spec import StudySpec, load_spec
from .stats import COMPARISON_COLUMNS, blocked_anova, compare_variants

T = TypeVar("T")


@dataclass(frozen=True)
class StudyPlan:
    """What the graph needs before any data is loaded: the features (from the header) and variants."""

    spec: StudySpec
    features: tuple[str, ...]
    variants: tuple[Variant, ...]

    @property
    def label(self) -> str:
        return str(self.spec.path) if self.spec.path else self.spec.name

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)


@dataclass(frozen=True)
class Setup:
    """The study checked against its full data: dataset, fitted-ready estimator and metrics."""

    plan: StudyPlan
    dataset: Dataset
    estimator: BaseEstimator
    metrics: tuple[Metric, ...]


def plan_study(spec: StudySpec) -> StudyPlan:
    """Features and variants from the data header only: cheap enough to run when the graph loads."""
    columns = [str(c) for c in data_mod.read_frame(spec, header_only=True).columns]
    features = data_mod.feature_names(spec, columns)
    return StudyPlan(spec, tuple(features), tuple(plan_variants(spec, features)))


def load_dataset(plan: StudyPlan) -> Dataset:
    return data_mod.load_dataset(plan.spec)


def dataset_problems(plan: StudyPlan, dataset: Dataset) -> list[str]:
    return data_mod.dataset_problems(plan.spec, dataset)


def setup_from(plan: StudyPlan, dataset: Dataset) -> Setup:
    """Resolve what depends on the task (metrics, estimator); cheap, so every step may call it.
    All problems are reported together, one line each."""
    problems: list[AblationError] = []
    metrics = _attempt(problems, lambda: tuple(resolve_metrics(plan.spec.evaluation.metrics, dataset.task, plan.label)))
    estimator = _attempt(problems, lambda: make_estimator(plan.spec.model, dataset.task, plan.label))
    if metrics is not None:
        _attempt(problems, lambda: check_margins(plan, metrics))
    problems += [SpecError(f"{plan.label}: {v.origin}: mode noise needs numeric features; '{c}' is categorical")
                 for v in plan.variants if v.mode == "noise" for c in v.components if c in dataset.categorical]
    raise_all(problems)
    return Setup(plan, dataset, estimator, metrics)


def check_margins(plan: StudyPlan, metrics: tuple[Metric, ...]) -> None:
    names = [m.name for m in metrics]
    lines = [
        f"{plan.label}: statistics.margin.{name}: metric '{name}' is not in evaluation.metrics ({', '.join(names)})"
        f"{did_you_mean(name, names)}"
        for name in plan.spec.statistics.margin
        if name not in names
    ]
    if lines:
        raise SpecError("\n".join(lines))


def check_network(setup: Setup) -> None:
    """Build the declared network, and each `remove` variant's, on the real input width: a removal
    that breaks the shapes fails here, naming the layer, before anything is trained."""
    network = setup.plan.spec.model.network
    if network is None:
        return
    from .models import build_pipeline
    from .torch_nets.build import build_network

    prepare = build_pipeline(setup.estimator, list(setup.dataset.numeric), list(setup.dataset.categorical), None)[0]
    width = prepare.fit(setup.dataset.features).transform(setup.dataset.features.head(2)).shape[1]  # every category counts
    outputs = len(setup.dataset.classes) if setup.dataset.classes else 1
    problems: list[AblationError] = []
    _attempt(problems, lambda: build_network(network, width, outputs, field=f"{setup.plan.label}: model.network"))
    for v in setup.plan.variants:
        if v.mode == "remove":
            _attempt(problems, lambda v=v: build_network(network, width, outputs, remove=v.components,
                                                         field=f"{setup.plan.label}: {v.origin}"))
    raise_all(problems)


def set_up(plan: StudyPlan) -> Setup:
    """Load the data and check everything that needs it (task, metrics, estimator, class counts)."""
    dataset = load_dataset(plan)
    data_mod.require_fit_for_study(plan.spec, dataset)
    setup = setup_from(plan, dataset)
    check_network(setup)
    check_sweeps(setup)
    return setup


def check_study(path: str | Path) -> Setup:
    """Everything `ablation validate` checks (spec, data, plan, estimator, metrics), every problem
    reported at once. Schema errors stop early: nothing after them can be trusted."""
    spec = load_spec(path)
    problems: list[AblationError] = []
    plan = _attempt(problems, lambda: plan_study(spec))
    dataset = _attempt(problems, lambda: data_mod.load_dataset(spec))
    if dataset is not None:
        _attempt(problems, lambda: data_mod.require_fit_for_study(spec, dataset))
        interim = plan or StudyPlan(spec, (), ())
        setup = _attempt(problems, lambda: setup_from(interim, dataset))
        if setup is not None:
            _attempt(problems, lambda: check_network(setup))
            _attempt(problems, lambda: check_sweeps(setup))
    raise_all(problems)
    return setup


def _attempt(problems: list[AblationError], step: Callable[[], T]) -> T | None:
    try:
        return step()
    except AblationError as exc:
        problems.append(exc)
        return None


def raise_all(problems: list[AblationError]) -> None:
    """One error carrying every distinct line; a SpecError if any problem is in the spec."""
    if not problems:
        return
    lines = list(dict.fromkeys(line for exc in problems for line in str(exc).splitlines()))
    kind = SpecError if any(isinstance(exc, SpecError) for exc in problems) else type(problems[0])
    raise kind("\n".join(lines))


holdout_ratio = data_mod.holdout_ratio


def make_splits(setup: Setup) -> list[Split]:
    return data_mod.make_splits(setup.dataset, setup.plan.spec.evaluation)


def baseline(setup: Setup, splits: list[Split], n_jobs: int = 1) -> Outcome:
    return fit_baseline(setup.estimator, setup.dataset, splits, setup.plan.spec.evaluation.seed, n_jobs)


def variant(setup: Setup, name: str, splits: list[Split], base: Outcome | None, n_jobs: int = 1) -> Outcome:
    chosen = setup.plan.variant(name)
    estimator = sweep_estimator(setup, chosen) if chosen.kind == "param" else setup.estimator
    return run_variant(chosen, estimator, setup.dataset, splits, setup.plan.spec.evaluation.seed, base, n_jobs)


def sweep_estimator(setup: Setup, chosen: Variant) -> BaseEstimator:
    """The baseline's estimator with the swept setting set to this variant's value."""
    from .sweeps import apply_setting

    model = apply_setting(setup.plan.spec.model, chosen.components[0], chosen.factor)
    return make_estimator(model, setup.dataset.task, f"{setup.plan.label}: {chosen.origin}")


def check_sweeps(setup: Setup) -> None:
    """Every swept value must make a valid estimator (scikit-learn's own parameter checks)."""
    problems: list[AblationError] = []
    for chosen in setup.plan.variants:
        if chosen.kind == "param":
            _attempt(problems, lambda chosen=chosen: sweep_estimator(setup, chosen))
    raise_all(problems)


def scores(setup: Setup, splits: list[Split], outcomes: list[Outcome]) -> pd.DataFrame:
    return score_outcomes(outcomes, setup.dataset, splits, list(setup.metrics))


def variants_table(plan: StudyPlan) -> pd.DataFrame:
    return pd.DataFrame(
        [(v.name, v.kind, v.mode, v.components_text) for v in plan.variants],
        columns=["variant", "kind", "mode", "components"],
    )


def margins(setup: Setup) -> dict[str, float]:
    return dict(setup.plan.spec.statistics.margin)


def comparison(setup: Setup, splits: list[Split], score_table: pd.DataFrame, extra_columns: bool = False) -> pd.DataFrame:
    """Per variant and metric: deltas, corrected CI and test, adjusted p, effect size, verdict."""
    stats = setup.plan.spec.statistics
    return compare_variants(
        score_table,
        variants_table(setup.plan),
        {m.name: m.higher_is_better for m in setup.metrics},
        data_mod.holdout_ratio(splits),
        alpha=stats.alpha,
        correction=stats.correction,
        margins=margins(setup),
        extra_columns=extra_columns,
    )


def omnibus(score_table: pd.DataFrame) -> dict[str, dict]:
    return {metric: blocked_anova(rows) for metric, rows in score_table.groupby("metric", sort=False)}


results_dir = paths.results_dir


# ---------------------------------------------------------------- whole study without Dagster


@dataclass(frozen=True)
class StudyResult:
    scores: pd.DataFrame
    comparison: pd.DataFrame
    files: dict[str, Path]


def run_study(spec: StudySpec, out_dir: Path | None = None, cache: ResultCache | None = None) -> StudyResult:
    """Every step in order in this process; writes the same files the Dagster graph writes."""
    from . import simplify  # these build on this module
    from .fits import cached_baseline, cached_variants
    from .results import write_comparison, write_costs, write_report_files, write_scores

    setup = set_up(plan_study(spec))
    splits = make_splits(setup)
    base = cached_baseline(setup, splits, cache).outcome
    computed = cached_variants(setup, [v.name for v in setup.plan.variants], splits, base, cache)
    outcomes = [base] + [c.outcome for c in computed.values()]
    score_table = scores(setup, splits, outcomes)
    table = comparison(setup, splits, score_table, extra_columns=True)
    folder = out_dir or results_dir(spec)
    files = {"scores": write_scores(score_table, folder), "costs": write_costs(splits, outcomes, folder),
             "comparison": write_comparison(table, folder)}
    simplified = simplify.run(setup, splits, score_table, table, base, cache, folder)
    files.update(write_report_files(setup, splits, score_table, table, folder, simplified.markdown))
    return StudyResult(score_table, table[list(COMPARISON_COLUMNS)], files)
