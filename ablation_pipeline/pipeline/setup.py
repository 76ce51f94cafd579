"""Parse -> plan -> set up: a study's plan from its spec and data header (cheap enough to build
the graph with), then its set-up against the full data, with every problem the spec and data
can have reported together, one line each, before anything is fitted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sklearn.base import BaseEstimator

from ..ablations.estimators import build_pipeline, estimator_with_setting, make_estimator
from ..ablations.plan import Variant, plan_variants
from ..data.dataset import Dataset, feature_names, load_dataset, require_fit_for_study
from ..data.sources import read_frame
from ..errors import AblationError, SpecError, did_you_mean
from ..evaluation.metrics import Metric, resolve_metrics
from ..spec.loading import load_spec
from ..spec.schema import StudySpec
from ..vocabulary import Kind, Mode

T = TypeVar("T")


@dataclass(frozen=True)
class StudyPlan:
    """What the graph needs before any data is loaded: the features (from the header) and variants."""

    spec: StudySpec
    features: tuple[str, ...]
    variants: tuple[Variant, ...]

    @property
    def label(self) -> str:
        return self.spec.label

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
    columns = [str(c) for c in read_frame(spec, header_only=True).columns]
    features = feature_names(spec, columns)
    return StudyPlan(spec, tuple(features), tuple(plan_variants(spec, features)))


def setup_from(plan: StudyPlan, dataset: Dataset) -> Setup:
    """Resolve what depends on the task (metrics, estimator); cheap, so every step may call it.
    All problems are reported together, one line each."""
    problems: list[AblationError] = []
    metrics = _attempt(problems, lambda: tuple(resolve_metrics(plan.spec.evaluation.metrics, dataset.task, plan.label)))
    estimator = _attempt(problems, lambda: make_estimator(plan.spec.model, dataset.task, plan.label))
    if metrics is not None:
        _attempt(problems, lambda: check_margins(plan, metrics))
    problems += [SpecError(f"{plan.label}: {v.origin}: mode noise needs numeric features; '{c}' is categorical")
                 for v in plan.variants if v.mode == Mode.NOISE for c in v.components if c in dataset.categorical]
    raise_all(problems)
    return Setup(plan, dataset, estimator, metrics)


def set_up(plan: StudyPlan) -> Setup:
    """Load the data and check everything that needs it (task, metrics, estimator, class counts)."""
    dataset = load_dataset(plan.spec)
    require_fit_for_study(plan.spec, dataset)
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
    dataset = _attempt(problems, lambda: load_dataset(spec))
    if dataset is not None:
        _attempt(problems, lambda: require_fit_for_study(spec, dataset))
        interim = plan or StudyPlan(spec, (), ())
        setup = _attempt(problems, lambda: setup_from(interim, dataset))
        if setup is not None:
            _attempt(problems, lambda: check_network(setup))
            _attempt(problems, lambda: check_sweeps(setup))
    raise_all(problems)
    return setup


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
    from ..torch_nets.build import build_network

    prepare = build_pipeline(setup.estimator, list(setup.dataset.numeric), list(setup.dataset.categorical), None)[0]
    width = prepare.fit(setup.dataset.features).transform(setup.dataset.features.head(2)).shape[1]  # every category counts
    outputs = len(setup.dataset.classes) if setup.dataset.classes else 1
    problems: list[AblationError] = []
    _attempt(problems, lambda: build_network(network, width, outputs, field=f"{setup.plan.label}: model.network"))
    for v in setup.plan.variants:
        if v.mode == Mode.REMOVE:
            _attempt(problems, lambda v=v: build_network(network, width, outputs, remove=v.components,
                                                         field=f"{setup.plan.label}: {v.origin}"))
    raise_all(problems)


def sweep_estimator(setup: Setup, variant: Variant) -> BaseEstimator:
    """The baseline's estimator with the swept setting set to this variant's value."""
    return estimator_with_setting(setup.plan.spec.model, variant.components[0], variant.factor, setup.dataset.task,
                                  f"{setup.plan.label}: {variant.origin}")


def check_sweeps(setup: Setup) -> None:
    """Every swept value must make a valid estimator (scikit-learn's own parameter checks)."""
    problems: list[AblationError] = []
    for variant in setup.plan.variants:
        if variant.kind == Kind.PARAM:
            _attempt(problems, lambda variant=variant: sweep_estimator(setup, variant))
    raise_all(problems)


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
