"""Parse -> plan -> set up: a study's plan from its spec and data header (cheap enough to build
the graph with), then its set-up against the full data, with every problem the spec and data
can have reported together, one line each, before anything is fitted."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sklearn.base import BaseEstimator

from ..ablations.clusters import Cluster
from ..ablations.estimators import estimator_with_setting, make_estimator
from ..ablations.networks import built_network, module_layers, network_catalog, network_sizes
from ..ablations.pairs import Pair, check_top, named_pairs
from ..ablations.plan import Variant, plan_variants
from ..ablations.preparation import FitOptions
from ..data.dataset import Dataset, data_spec_fingerprint, feature_names, load_dataset, require_fit_for_study
from ..errors import AblationError, ChangedDuringRunError, SpecError, did_you_mean
from ..evaluation.metrics import Metric, resolve_metrics
from ..spec.loading import load_spec
from ..spec.model import MISSING_MODEL
from ..spec.network import parse_network
from ..spec.schema import StudySpec
from ..spec.trust import Trust, project_trust
from ..store.cache import ResultCache
from ..vocabulary import Kind, Mode, Task
from .facts import data_clusters, planning_facts
from .model import check_with_data, fit_options, model_identity

T = TypeVar("T")


@dataclass(frozen=True)
class StudyPlan:
    """What the graph needs before any data is loaded: the features (from the header) and variants."""

    spec: StudySpec
    features: tuple[str, ...]
    variants: tuple[Variant, ...]
    pairs: tuple[Pair, ...] = ()  # the named interaction pairs (`top: k` pairs are chosen from the comparison)
    clusters: dict[int, tuple[Cluster, ...]] = field(default_factory=dict)  # per `features: clusters` entry
    clusters_from: str = ""  # the data version the clusters were found in
    trust: Trust = Trust()  # the modules the project trusts the spec to name code from
    estimator: BaseEstimator | None = None  # the user's own estimator object (run_study), instead of the spec's model

    @property
    def label(self) -> str:
        return self.spec.label

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)

    def family_size(self, name: str) -> int:
        """How many variants share `name`'s family-wise level for essential/harmful claims
        (statistics.families): the level a `repeats: auto` variant must reach to stop early."""
        families = self.spec.statistics.families
        mine = families.of(self.variant(name).mode)
        return sum(families.of(v.mode) == mine for v in self.variants)


@dataclass(frozen=True)
class Setup:
    """The study checked against its full data: dataset, fitted-ready estimator and metrics."""

    plan: StudyPlan
    dataset: Dataset
    estimator: BaseEstimator
    metrics: tuple[Metric, ...]
    fit_options: FitOptions = FitOptions()
    model_identity: dict = field(default_factory=dict)  # what identifies the model in every fit's key (pipeline.model)


def plan_study(spec: StudySpec, cache: ResultCache | None = None, trust: Trust | None = None,
               estimator: BaseEstimator | None = None) -> StudyPlan:
    """Features and variants from the data header only: cheap enough to run when the graph loads. An
    entry with `features: clusters` reads the data too: its variants are the clusters found in it.
    With a `cache`, what the data told an earlier planning is reused while it holds (`facts`), so loading
    definitions reads no data; a study of an upstream asset plans from its listed features or from what
    its last read of the asset found (else ColumnsUnknownError); a run still checks that the data it
    reads is the one planned for (`check_same_snapshot`). `trust` defaults to the project's
    (`spec.trust`); `estimator` is the user's own object, if any."""
    if not spec.model.given and estimator is None:
        raise SpecError(f"{spec.label}: {MISSING_MODEL}")
    learned = planning_facts(spec, cache)
    features = feature_names(spec, list(learned.header))
    trust = trust or project_trust(spec.path)
    network = spec.model.network
    layers = module_layers(network, trust, _input_width(spec, features), f"{spec.label}: ") \
        if network is not None and network.is_module and estimator is None and any(a.layers is not None for a in spec.ablations) \
        else None
    variants = plan_variants(spec, features, _members(learned.clusters), layers)
    check_held_out(spec, variants)
    if len(variants) > trust.max_variants:
        raise SpecError(trust.too_many(len(variants), f"{spec.label}: ablations"))
    pairs = named_pairs(spec, features)
    check_top(spec, variants)
    return StudyPlan(spec, tuple(features), tuple(variants), tuple(pairs), learned.clusters, learned.clusters_from,
                     trust, estimator)


def _input_width(spec: StudySpec, features: list[str]) -> int:
    """The input width planning sizes a module network's layers with: its `input_shape`, else one value
    per feature (exact for numeric data; a one-hot encoded category widens it at set-up)."""
    shape = spec.model.network.input_shape
    return math.prod(shape) if shape is not None else len(features)


def check_held_out(spec: StudySpec, variants: list[Variant]) -> None:
    """A held-out study judges one fitted (or pretrained) model's variants on the same rows: a variant that
    retrains would differ by its training too, which one split cannot measure. Refused, naming the entry."""
    if spec.evaluation.holdout is None:
        return
    why = "the checkpoint is evaluated as given" if spec.pretrained else "one split cannot tell a retrained model's " \
        "difference from its training noise"
    lines = [f"{spec.label}: {origin}: mode {mode} retrains, and a held-out study retrains nothing ({why}); use an "
             "inference-time mode (zero, mean, permute...) or run it in a cross-validated study (drop evaluation.holdout)"
             for origin, mode in dict.fromkeys((v.entry, v.mode) for v in variants if v.refits)]
    if spec.interactions is not None:
        lines.append(f"{spec.label}: interactions: a held-out study does not test interactions yet; run them cross-validated")
    if lines:
        raise SpecError("\n".join(lines))


def setup_from(plan: StudyPlan, dataset: Dataset) -> Setup:
    """Resolve what depends on the task (metrics, estimator); cheap, so every step may call it.
    All problems are reported together, one line each."""
    check_same_snapshot(plan, dataset)
    problems: list[AblationError] = []
    metrics = _attempt(problems, lambda: tuple(resolve_metrics(plan.spec.evaluation.metrics, dataset.task, plan.label,
                                                               held_out=plan.spec.evaluation.holdout is not None)))
    estimator = plan.estimator if plan.estimator is not None else \
        _attempt(problems, lambda: make_estimator(plan.spec.model, dataset.task, plan.label, plan.trust, plan.spec.base_dir,
                                                  plan.spec.pretrained))
    if metrics is not None:
        _attempt(problems, lambda: check_margins(plan, metrics))
    if metrics is not None and estimator is not None:
        _attempt(problems, lambda: check_metrics_computable(plan, metrics, estimator, dataset))
    problems += [SpecError(f"{plan.label}: {v.origin}: mode noise needs numeric features; '{c}' is categorical")
                 for v in plan.variants if v.mode == Mode.NOISE for c in v.components if c in dataset.categorical]
    raise_all(problems)
    model = plan.spec.model
    identity = model_identity(model, estimator, given=plan.estimator is not None)
    return Setup(plan, dataset, estimator, metrics, fit_options(model, dataset), identity)


def set_up(plan: StudyPlan) -> Setup:
    """Load the data and check everything that needs it (task, metrics, estimator, class counts)."""
    dataset = load_dataset(plan.spec)
    require_fit_for_study(plan.spec, dataset)
    setup = setup_from(plan, dataset)
    check_network(setup)
    check_sweeps(setup)
    check_with_data(plan.spec.model, setup.estimator, dataset, plan.label)
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
        interim = plan or StudyPlan(spec, (), (), trust=_attempt([], lambda: project_trust(spec.path)) or Trust())
        setup = _attempt(problems, lambda: setup_from(interim, dataset))
        if setup is not None:
            _attempt(problems, lambda: check_network(setup))
            _attempt(problems, lambda: check_sweeps(setup))
            _attempt(problems, lambda: check_with_data(spec.model, setup.estimator, dataset, interim.label))
    raise_all(problems)
    return setup


def check_same_snapshot(plan: StudyPlan, dataset: Dataset) -> None:
    """The dataset must be the one this plan describes: loaded for the same data section, with the
    features the header had. A run whose spec or data changed in between fails here, clearly, before
    anything is computed from a mix of the two."""
    if not plan.features:  # a plan that could not be made (check_study reports why)
        return
    if dataset.data_spec and dataset.data_spec != data_spec_fingerprint(plan.spec):
        raise ChangedDuringRunError(f"{plan.label}: data: the spec's data section changed while this study was running; "
                                    "nothing was written, run it again")
    if tuple(dataset.features.columns) != plan.features:
        raise ChangedDuringRunError(f"{plan.label}: {plan.spec.data.field}: the data's columns changed while this study was running "
                                    f"(planned {len(plan.features)} features, read {len(dataset.features.columns)}); "
                                    f"nothing was written, {'reload the definitions and ' if plan.spec.data.asset else ''}run it again")
    if plan.clusters and dataset.version != plan.clusters_from and \
            _members(data_clusters(plan.spec, dataset)) != _members(plan.clusters):
        raise ChangedDuringRunError(f"{plan.label}: {plan.spec.data.field}: the clusters of associated features changed with the data "
                                    "since the study was planned; nothing was written, run it again (reload the code location)")


def _members(clusters: dict[int, tuple[Cluster, ...]]) -> dict[int, list[tuple[str, ...]]]:
    return {i: [c.members for c in found] for i, found in clusters.items()}


def check_metrics_computable(plan: StudyPlan, metrics: tuple[Metric, ...], estimator: BaseEstimator, dataset: Dataset) -> None:
    """A metric of probabilities needs an estimator that gives them; ROC AUC of two classes can use
    decision scores instead. Checked before fitting, not discovered when scoring."""
    has_proba, has_scores = hasattr(estimator, "predict_proba"), hasattr(estimator, "decision_function")
    binary = dataset.task == Task.CLASSIFICATION and len(dataset.classes or ()) == 2
    lines = []
    for i, metric in enumerate(metrics):
        usable = has_proba or (binary and has_scores and metric.name == "roc_auc")
        if metric.uses_scores and not usable:
            what = "predicted probabilities" if metric.name == "log_loss" or not binary else "probabilities or decision scores"
            default = "" if plan.spec.evaluation.metrics else f" (a default {dataset.task} metric; list evaluation.metrics to choose)"
            lines.append(f"{plan.label}: evaluation.metrics[{i}]: '{metric.name}' needs {what}, which "
                         f"{type(estimator).__name__} with these params does not give{default}")
    if lines:
        raise SpecError("\n".join(lines))


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
    that breaks the shapes, or a network over the size limits of `torch_nets.build`, fails here,
    naming the layer, before anything is trained."""
    network = setup.plan.spec.model.network
    if network is None:
        return

    sizes = network_sizes(setup.estimator, setup.dataset, setup.fit_options)

    def build(remove: tuple[str, ...], field: str) -> object:
        return built_network(network, setup.estimator, sizes, remove, field)

    problems: list[AblationError] = []
    _attempt(problems, lambda: build((), f"{setup.plan.label}: model.network"))
    for v in setup.plan.variants:
        if v.mode == Mode.REMOVE:
            _attempt(problems, lambda v=v: build(v.components, f"{setup.plan.label}: {v.origin}"))
    raise_all(problems)


def study_layers(path: str | Path) -> list:
    """The layers of a study's network (`ablation layers`), built on its data's width with its checkpoint:
    read without planning the ablations, so a spec whose layer names are wrong still lists the right ones."""
    spec = load_spec(path)
    if spec.model.network is None:
        raise SpecError(f"{spec.label}: model: layers are listed for torch networks (model.network); "
                        f"{spec.model.label} has none")
    dataset = load_dataset(spec)
    estimator = make_estimator(spec.model, dataset.task, spec.label, project_trust(spec.path), spec.base_dir, spec.pretrained)
    return network_catalog(spec.model.network, estimator, dataset, fit_options(spec.model, dataset))


def sweep_estimator(setup: Setup, variant: Variant) -> BaseEstimator:
    """The baseline's estimator with the swept setting set to this variant's value (on a clone of the
    user's own object, when the model was given in code)."""
    if setup.plan.estimator is not None:
        return clone_with(setup.plan.estimator, variant.components[0].removeprefix("model.params."), variant.factor,
                          f"{setup.plan.label}: {variant.origin}")
    return estimator_with_setting(setup.plan.spec.model, variant.components[0], variant.factor, setup.dataset.task,
                                  f"{setup.plan.label}: {variant.origin}", setup.plan.trust, setup.plan.spec.base_dir)


def clone_with(estimator: BaseEstimator, name: str, value: object, where: str) -> BaseEstimator:
    from sklearn.base import clone

    try:
        return clone(estimator).set_params(**{name: value})
    except Exception as exc:  # the user's own estimator: whatever it raises is one line
        raise SpecError(f"{where}: {type(estimator).__name__}.set_params({name}={value!r}) raised {type(exc).__name__}: "
                        f"{(str(exc).splitlines() or [''])[0]}") from None


def check_sweeps(setup: Setup) -> None:
    """Every swept value must make a valid estimator (scikit-learn's own parameter checks) and, for a
    torch network, a network that builds on the real input width within the size limits, as
    `check_network` builds the baseline's: a problem names the value, `ablations[i].values[j]`."""
    problems: list[AblationError] = []
    spec, sizes = setup.plan.spec, None
    for variant in setup.plan.variants:
        if variant.kind != Kind.PARAM:
            continue
        estimator = _attempt(problems, lambda variant=variant: sweep_estimator(setup, variant))
        if estimator is None or spec.model.network is None:
            continue
        entry = next(a for i, a in enumerate(spec.ablations) if f"ablations[{i}]" == variant.origin)
        field = f"{setup.plan.label}: {variant.origin}.values[{entry.values.index(variant.factor)}]: model.network"
        network = parse_network(estimator.get_params(deep=False)["network"], field)
        sizes = sizes or network_sizes(setup.estimator, setup.dataset, setup.fit_options)
        _attempt(problems, lambda network=network, estimator=estimator, field=field, sizes=sizes:
                 built_network(network, estimator, sizes, field=field))
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
