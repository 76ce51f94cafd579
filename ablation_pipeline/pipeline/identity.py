"""What identifies every result of a study, in one place; every consumer (the steps that file and
check results, the assets' code and data versions, the stale selection, state.json) asks here.

- A *key* names the fits of the baseline, or of one variant, on one block of splits (the splits one
  look adds; a fixed design is one block): the data's content, the block's rows, the model, the
  variant's own spec and, for variants predicted together, their company. Equal keys, equal results.
- A result's *version* (its Dagster data version) names the blocks it is made of: a `repeats: auto`
  variant holds as many as its stopping rule took.
- *Code versions* hash the part of the spec that shapes each asset, so the UI marks exactly the
  affected assets unsynced.
- The *snapshot key* is everything a study's results are a function of (whole spec, data bytes,
  logic versions): `ablation run` of an unchanged study is answered from it alone.

Light on purpose (no numpy, pandas, scikit-learn or Dagster at import): the no-op path imports it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..ablations.chunks import chunk_of
from ..spec.libraries import named_libraries
from ..stats import rule
from ..store.cache import fingerprint

if TYPE_CHECKING:
    from ..ablations.plan import Variant
    from ..data.splits import Split
    from ..spec.schema import EvaluationSpec, StudySpec
    from .setup import Setup, StudyPlan

# Bump when the logic that produces a step's result changes, so old results count as stale. The stopping
# rule's constants are part of it: results a `repeats: auto` study was cut to by another rule are others.
# 6: the rows tell the variance of metrics that are means over rows, every claim read at the last look; 5: one
# identity per result (a variant holds its blocks; the scores cut them); 4: each claim its own error
# spending; 3: the dataset step holds the split plan; 2: backward elimination, interactions, clusters
CODE_VERSION = f"6 ({rule.identity()})"
# Bump when fitting or perturbation logic changes results: every stored fit becomes stale.
FIT_LOGIC_VERSION = "3"  # 3: outcomes filed without their key; 2: permute draws as scikit-learn does
VERSION_LENGTH = 16  # characters of a hash shown as a Dagster data version


def snapshot_key(spec: StudySpec, data_version: str, model: dict | None = None) -> str | None:
    """Everything a study's results are a function of: the whole spec, the data's bytes (their version),
    the versions of the libraries its model comes from (or `model`, the identity of an estimator given in
    code) and the logic versions. Equal keys mean equal results. None when the spec names code of the
    project's own, whose source only importing it finds."""
    libraries = model if model is not None else named_libraries(spec)
    if libraries is None:
        return None
    return spec.fingerprint(spec.model_dump(mode="json"), data_version, libraries, CODE_VERSION, FIT_LOGIC_VERSION)


def looks(evaluation: EvaluationSpec) -> tuple[int, ...]:
    """Cumulative repeats after which a variant may stop (one look: a fixed design)."""
    return rule.looks_for(evaluation.max_repeats) if evaluation.adaptive else (evaluation.planned_repeats,)


def blocks(evaluation: EvaluationSpec, splits: Sequence[Split]) -> list[list[Split]]:
    """The splits each look adds (the whole plan for a fixed design)."""
    taken = looks(evaluation)
    return [[s for s in splits if start <= s.repeat < end] for start, end in zip((0, *taken[:-1]), taken, strict=True)]


def result_version(keys: Sequence[str]) -> str:
    """The data version of a result made of these blocks, in order (one block: its own key)."""
    return (keys[0] if len(keys) == 1 else fingerprint("blocks", list(keys)))[:VERSION_LENGTH]


def failed_version(name: str) -> str:
    """The data version of a result that could not be computed: never one a result has, so it is stale."""
    return f"failed-{fingerprint('failed', name)[:VERSION_LENGTH]}"


_RECENT_PLANS: list[tuple[list[Split], str]] = []  # the last plans digested, held so their ids stay theirs
RECENT_PLANS = 4


def splits_digest(splits: Sequence[Split]) -> str:
    """The hash of every index of the plan (or block). Hashing 100,000 rows x 50 splits is 40 MB, asked for
    by every key, so the last plans are remembered by the identity of their (immutable) splits."""
    for known, digest in _RECENT_PLANS:
        if len(known) == len(splits) and all(a is b for a, b in zip(known, splits, strict=True)):
            return digest
    hashed = hashlib.sha256()
    for split in splits:
        hashed.update(split.train.astype("int64").tobytes() + b"|" + split.test.astype("int64").tobytes() + b";")
    digest = hashed.hexdigest()
    _RECENT_PLANS.insert(0, (list(splits), digest))
    del _RECENT_PLANS[RECENT_PLANS:]
    return digest


@dataclass(frozen=True)
class Identity:
    """The keys of one study's results on its split plan, block by block."""

    setup: Setup
    blocks: tuple[tuple[Split, ...], ...]
    digests: tuple[str, ...]  # of each block's rows

    @classmethod
    def of(cls, setup: Setup, splits: Sequence[Split]) -> Identity:
        parts = blocks(setup.plan.spec.evaluation, splits)
        return cls(setup, tuple(tuple(block) for block in parts), tuple(splits_digest(block) for block in parts))

    @property
    def adaptive(self) -> bool:
        return len(self.blocks) > 1

    @property
    def splits(self) -> list[Split]:
        """The whole plan."""
        return [s for block in self.blocks for s in block]

    def block(self, b: int) -> list[Split]:
        return list(self.blocks[b])

    @cached_property
    def fit_keys(self) -> tuple[str, ...]:
        """The baseline's fits on each block: data content, the block's rows, the model (with its library's
        version), columns, code."""
        spec, data = self.setup.plan.spec, self.setup.dataset
        model = self.setup.model_identity
        return tuple(fingerprint("fit", FIT_LOGIC_VERSION, data.version, data.target_name, data.task, digest, model,
                                 spec.evaluation.seed, list(data.numeric), list(data.categorical)) for digest in self.digests)

    def fit_key(self, b: int) -> str:
        return self.fit_keys[b]

    def own_key(self, variant: Variant, b: int, *company: object) -> str:
        """Any variant computed on its own on block `b`, planned or not: an interaction pair's variant
        gets the key of the planned variant it equals, so each is fitted once."""
        return fingerprint(self.fit_key(b), variant.identity(), *company)

    def key(self, name: str, b: int) -> str:
        """The baseline's or a planned variant's key on block `b`; a variant predicted together with
        others names them: its result is computed in exactly that company."""
        if name == "baseline":
            return self.fit_key(b)
        plan = self.setup.plan
        chunk = chunk_of(plan.variants, name, self.setup.dataset.n_rows, plan.spec.evaluation.folds)
        together = [] if chunk is None else [{"predicted_with": [v.name for v in chunk]}]
        return self.own_key(plan.variant(name), b, *together)

    def keys(self, name: str) -> tuple[str, ...]:
        """Its key on every block of the plan."""
        return tuple(self.key(name, b) for b in range(len(self.blocks)))

    def planned_version(self, name: str) -> str:
        """What the result would be made of over the whole plan: its version for a fixed design (one
        block), and the fits' part of state.json for any design."""
        return result_version(self.keys(name))

    def is_prefix(self, name: str, keys: Sequence[str]) -> bool:
        """Whether `keys` are this study's blocks of `name`, from the first on."""
        return 0 < len(keys) <= len(self.blocks) and all(k == self.key(name, b) for b, k in enumerate(keys))


def code_versions(plan: StudyPlan) -> dict[str, str]:
    """Each asset's code version: a hash of the part of the spec (and code) that shapes its result.
    A variant's code version names its fits, never the statistics: with `repeats: auto` a variant
    holds the blocks its last step took and the scores step cuts them where the statistics say, so
    the scores' code version names the statistics then."""
    spec = plan.spec
    split_plan = spec.evaluation.model_dump(mode="json", exclude={"metrics"})
    statistics = tests_of(spec)
    evaluation = spec.fingerprint(spec.model.model_dump(mode="json"), split_plan, CODE_VERSION)
    cut_by = statistics if spec.evaluation.adaptive else None
    return {
        "dataset": spec.fingerprint(spec.data.model_dump(mode="json"), split_plan, CODE_VERSION),
        "baseline": evaluation,
        **{v.name: spec.fingerprint(evaluation, v.identity()) for v in plan.variants},
        # the variants it reads, too: without them a removed variant would stay in the tables, nothing stale
        "scores": spec.fingerprint(spec.evaluation.metrics, [v.name for v in plan.variants], cut_by, CODE_VERSION),
        "comparison": spec.fingerprint(statistics, CODE_VERSION),
        **({"simplified": spec.fingerprint(evaluation, statistics, CODE_VERSION)} if spec.simplifies else {}),
        **({"interactions": spec.fingerprint(evaluation, statistics, spec.interactions.model_dump(mode="json"), CODE_VERSION)}
           if spec.interactions is not None else {}),
        # the sections it assembles: switching one off must re-run it (and remove that section's files)
        "report": spec.fingerprint(report_sections(spec), CODE_VERSION),
    }


def tests_of(spec: StudySpec) -> dict:
    """The part of the statistics section that decides the tests (and the cuts of `repeats: auto`):
    all of it but whether to build the simplified model."""
    return spec.statistics.model_dump(mode="json", exclude={"simplify"})


def report_sections(spec: StudySpec) -> list[str]:
    """The optional steps whose results the report includes."""
    return [*(["simplified"] if spec.simplifies else []), *(["interactions"] if spec.interactions is not None else [])]


def tables_version(identity: Identity, cuts: dict[str, Sequence[str]]) -> str:
    """What the scores table is: the blocks each of its results is cut to, the metrics, and (as they
    decide the cuts of `repeats: auto`) the statistics."""
    spec = identity.setup.plan.spec
    statistics = tests_of(spec) if identity.adaptive else None
    cut = {name: list(keys) for name, keys in cuts.items()}
    return fingerprint("scores", cut, [m.name for m in identity.setup.metrics], statistics)[:VERSION_LENGTH]


def comparison_version(scores_version: str, spec: StudySpec) -> str:
    """What the comparison is: the scores it tested and the statistics section."""
    return fingerprint("comparison", scores_version, tests_of(spec))[:VERSION_LENGTH]
