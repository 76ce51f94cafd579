"""The closed vocabularies of a study, each defined once with its meaning beside it: the words a
spec, the comparison table, the report and the command line share. Every member is a `str`, so it
reads and writes as its plain name in YAML, CSV and JSON."""

from __future__ import annotations

from enum import StrEnum


def _member(cls: type[StrEnum], value: str, meaning: str, **attributes: object) -> StrEnum:
    """An enum member that is the string `value` and carries its meaning and other attributes."""
    member = str.__new__(cls, value)
    member._value_ = value
    member.meaning = meaning
    for name, attribute in attributes.items():
        setattr(member, name, attribute)
    return member


class _Described(StrEnum):
    """A string enum whose members carry a one-line meaning (and, in subclasses, more attributes)."""

    meaning: str

    def __new__(cls, value: str, meaning: str) -> _Described:
        return _member(cls, value, meaning)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)


class Task(_Described):
    """What the model predicts; it decides the splitter (stratified or not) and the metrics."""

    CLASSIFICATION = "classification", "predict a class; folds are stratified by it"
    REGRESSION = "regression", "predict a number"


class Kind(_Described):
    """What kind of component a variant takes out."""

    FEATURE = "feature", "an input column or a named group of columns"
    LAYER = "layer", "a named layer (or block of layers) of a declared torch network"
    PARAM = "param", "one model setting, swept over values"
    COMBINED = "combined", "every removable component at once (the simplified model)"


class Mode(_Described):
    """How a component is ablated. `refits`: the model is retrained without it; otherwise the
    trained baseline is changed at inference and reuses the baseline's fitted fold models."""

    refits: bool
    kinds: frozenset[Kind]

    def __new__(cls, value: str, meaning: str, refits: bool, kinds: tuple[Kind, ...]) -> Mode:
        return _member(cls, value, meaning, refits=refits, kinds=frozenset(kinds))

    DROP = "drop", "refit without it", True, (Kind.FEATURE,)
    PERMUTE = "permute", "its values shuffled in the test fold", False, (Kind.FEATURE,)
    CONDITIONAL = ("conditional", "replaced by a draw given the other features (conditional perturbation, learned on the "
                   "training fold)", False, (Kind.FEATURE,))
    MEAN = "mean", "replaced by its training mean (features) or mean activation (layers)", False, (Kind.FEATURE, Kind.LAYER)
    NOISE = "noise", "Gaussian noise of a factor times its training std added", False, (Kind.FEATURE,)
    REMOVE = "remove", "the network rebuilt without the layer and retrained", True, (Kind.LAYER,)
    ZERO = "zero", "the layer's output replaced by zeros", False, (Kind.LAYER,)
    RESAMPLE = "resample", "the layer's output taken from another row", False, (Kind.LAYER,)
    RANDOM = "random", "the layer's weights re-initialized", False, (Kind.LAYER,)
    SCALE = "scale", "the layer's weights multiplied by a factor", False, (Kind.LAYER,)
    SWEEP = "sweep", "the model retrained with the setting at another value", True, (Kind.PARAM,)

    @classmethod
    def for_kind(cls, kind: Kind) -> tuple[Mode, ...]:
        """The modes that apply to a kind of component, its retraining (default) mode first."""
        return tuple(sorted((mode for mode in cls if kind in mode.kinds), key=lambda mode: not mode.refits))

    @property
    def takes_factors(self) -> bool:
        """One variant per factor: weight multipliers (scale) or noise in training stds (noise)."""
        return self in (Mode.SCALE, Mode.NOISE)

    @property
    def draws(self) -> bool:
        """Random draws per fold (`permutations`), averaged within the split."""
        return self in (Mode.PERMUTE, Mode.CONDITIONAL, Mode.NOISE)


class Verdict(_Described):
    """What removing a component did, per variant and metric, after the multiplicity adjustment."""

    ESSENTIAL = "essential", "the model is significantly worse without it"
    HARMFUL = "harmful", "the model is significantly better without it"
    REMOVABLE = "removable", "non-inferior: removing it costs less than the margin"
    INCONCLUSIVE = "inconclusive", "neither: the data cannot tell"
    FAILED = "failed", "it could not be computed; the reason column says why"


class Interaction(_Described):
    """What ablating two components together did, beyond the sum of ablating each (interactions.csv's
    `kind`), in words that mean the same for an error and a score."""

    REDUNDANT = "redundant", "removing both costs significantly more than the sum: they stand in for each other"
    COMPLEMENTARY = "complementary", "removing both costs significantly less than the sum: each is of little use without the other"
    ADDITIVE = "additive", "the cost of removing both is the sum, within the margin"
    INCONCLUSIVE = "inconclusive", "neither: the data cannot tell"


class Correction(_Described):
    """Multiple-testing adjustment across the variants of one metric (statsmodels' method names)."""

    label: str

    def __new__(cls, value: str, meaning: str, label: str) -> Correction:
        return _member(cls, value, meaning, label=label)

    HOLM = "holm", "controls the family-wise error rate; uniformly more powerful than Bonferroni", "Holm"
    FDR_BH = "fdr_bh", "controls the false discovery rate, for large exploratory sweeps", "Benjamini–Hochberg (FDR)"
    BONFERRONI = "bonferroni", "controls the family-wise error rate; the simplest and most conservative", "Bonferroni"


class Multiplicity(_Described):
    """Which claims share one error rate."""

    PER_CLAIM = ("per_claim", "essential/harmful claims form one family and removable claims another, each with its own "
                 "family-wise error rate")
    ALL_CLAIMS = "all_claims", "every claim of every variant in one family-wise family (Shaffer's restricted Holm)"
    DISCOVERIES = ("discoveries", "essential/harmful claims keep their family-wise error rate across variants; each "
                   "removable claim is tested at alpha on its own (its error rate per variant): the default")

    @property
    def removable_family_wise(self) -> bool:
        """Whether a removable claim shares its error rate with the other variants' (else: alpha per variant)."""
        return self != Multiplicity.DISCOVERIES


class Families(_Described):
    """Which variants' essential/harmful claims share one family-wise error rate."""

    MODE = ("mode", "one family per ablation mode (drop, permute, mean, ...): each kind of question keeps its own "
            "family-wise error rate, so a study of k modes may have up to k times alpha as a whole: the default")
    STUDY = ("study", "every variant of the study in one family: a false essential or harmful verdict anywhere in the "
             "study stays below alpha")

    def of(self, mode: str) -> str:
        """The family a variant of `mode` belongs to ('' when the whole study is one)."""
        return str(mode) if self == Families.MODE else ""


class Inference(_Described):
    """How a verdict is read from the split deltas."""

    CORRECTED_T = "corrected_t", "the corrected repeated-CV t-test with the multiplicity adjustment: the default"
    BAYESIAN = ("bayesian", "the Bayesian correlated t-test: a verdict when a posterior probability reaches 1 - alpha, "
                "per variant, no multiplicity adjustment")


class Direction(_Described):
    """Which way a metric improves. A variant's *degradation* is its delta turned so that positive
    always means worse, whatever the metric."""

    HIGHER = "higher is better", "scores: accuracy, f1, r2, ..."
    LOWER = "lower is better", "errors and losses: rmse, mae, log_loss, ..."

    @classmethod
    def of(cls, higher_is_better: bool) -> Direction:
        return cls.HIGHER if higher_is_better else cls.LOWER

    @property
    def higher_is_better(self) -> bool:
        return self is Direction.HIGHER

    @property
    def worse_side(self) -> str:
        """Where a worse variant's delta lies."""
        return "Δ < 0" if self is Direction.HIGHER else "Δ > 0"

    def degradation(self, delta: float) -> float:
        return -delta if self is Direction.HIGHER else delta


class Column(_Described):
    """The columns of comparison.csv, in order: a contract (scripts read them by name)."""

    VARIANT = "variant", "the variant's name, <mode>__<component>"
    KIND = "kind", "what it takes out (see Kind)"
    MODE = "mode", "how (see Mode)"
    COMPONENTS = "components", "the features or layers it takes out, joined by +"
    METRIC = "metric", "the metric of this row"
    BASELINE_MEAN = "baseline_mean", "the baseline's mean over the splits"
    VARIANT_MEAN = "variant_mean", "the variant's mean over the splits"
    DELTA = "delta", "variant - baseline, in the metric's units (for an error metric, positive is worse)"
    CI_LOW = "ci_low", ("lower end of the corrected 1 - alpha confidence interval of delta (within [-1, 1] for a metric that "
                        "lives in [0, 1])")
    CI_HIGH = "ci_high", "upper end of that interval"
    T = "t", "the corrected statistic: delta over its corrected standard error"
    DF = "df", ("its degrees of freedom, splits - 1; 0 where the test rows tell the variance (a metric that is a mean "
                "over rows: the normal reference)")
    P_VALUE = "p_value", "two-sided p-value of the corrected test"
    P_ADJUSTED = "p_adjusted", ("p adjusted across the metric's variants (statistics.correction) and, with repeats: auto, "
                                "for the looks taken")
    EFFECT_SIZE_DZ = "effect_size_dz", "Cohen's dz: mean delta over the std of one split's delta"
    N_SPLITS = "n_splits", "paired splits the test used"
    VERDICT = "verdict", "essential, harmful, removable, inconclusive or failed (see Verdict)"
    REASON = "reason", "why a failed variant could not be computed (empty for every other row)"


class DetailColumn(_Described):
    """Columns comparison.csv carries after the contracted ones: what the verdict rests on and how far
    an undecided variant is from a verdict."""

    MARGIN = "margin", "the non-inferiority margin, in the metric's units"
    P_NONINFERIORITY = "p_noninferiority", "one-sided corrected p that the degradation is below the margin"
    P_NONINFERIORITY_ADJUSTED = "p_noninferiority_adjusted", "p_noninferiority adjusted across the metric's variants"
    CI_LOW_ADJUSTED = "ci_low_adjusted", "lower end of the interval at the level the verdicts were decided at"
    CI_HIGH_ADJUSTED = ("ci_high_adjusted", "upper end: with test corrected_t the interval excludes 0 exactly for essential "
                        "and harmful rows")
    DEGRADATION_BOUND_ADJUSTED = ("degradation_bound_adjusted", "upper bound of the degradation at the level removability "
                                  "was decided at: below the margin exactly for removable rows")
    MDE = "mde", "minimum detectable effect of the design (80% power), in the metric's units"
    SPLITS_TO_DECIDE = ("splits_to_decide", "splits that would decide an undecided row if its estimate is the truth "
                        "(the splits used for a decided one; empty when no number of repeats would)")
    P_WORSE = "p_worse", "Bayesian correlated t-test: probability that it is worse by more than the margin"
    P_WITHIN = "p_within", "probability that the difference is within the margin"
    P_BETTER = "p_better", "probability that it is better by more than the margin"


COMPARISON_COLUMNS: tuple[str, ...] = Column.names()
DETAIL_COLUMNS: tuple[str, ...] = DetailColumn.names()
