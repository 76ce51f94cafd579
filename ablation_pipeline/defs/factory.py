"""Turn a StudyPlan into Dagster assets: thin wrappers that call the core and attach metadata.

Graph per study (keys prefixed by the study name, one asset group per study):
source -> dataset (blocking check) -> splits -> baseline -> inference-mode variants -> scores
                                         \\-> refit variants (independent of baseline) --/
scores -> comparison -> simplified -> report

No `from __future__ import annotations` here: Dagster checks the `context` annotation's type
when an asset is defined, and a string annotation fails that check.
"""

import warnings

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from .. import batched, fits, results, simplify
from .. import study as core
from ..cache import ResultCache
from ..data import source_version
from ..paths import cache_dir
from ..report import markdown_with_inline_images
from ..study import StudyPlan
from ..versions import code_versions, write_state


def _setup(plan: StudyPlan, dataset) -> core.Setup:
    return core.setup_from(plan, dataset)


def build_study_assets(plan: StudyPlan) -> list:
    """Every asset and check of one study."""
    spec = plan.spec
    study = spec.name
    key = lambda name: dg.AssetKey([study, name])  # noqa: E731
    group = dict(group_name=study)
    versions = code_versions(plan)

    def observe_source() -> dg.DataVersion:
        return dg.DataVersion(source_version(spec))

    with warnings.catch_warnings():  # observable sources are "beta" in 1.13 but are the documented way
        warnings.simplefilter("ignore", dg.BetaWarning)
        source = dg.observable_source_asset(key=key("source"), group_name=study,
                                            description=f"The study's data: {spec.data.source}")(observe_source)

    @dg.asset(
        key=key("dataset"), deps=[source.key], **group, code_version=versions["dataset"],
        check_specs=[dg.AssetCheckSpec("fit_for_study", asset=key("dataset"), blocking=True,
                                       description="target present and complete, no all-missing feature, enough rows per class")],
        description="Rows of the study with typed columns and the encoded target.",
    )
    def dataset():
        loaded = core.load_dataset(plan)
        problems = core.dataset_problems(plan, loaded)
        check = dg.AssetCheckResult(check_name="fit_for_study", passed=not problems,
                                    metadata={"problems": "\n".join(problems) or "none"})
        return dg.MaterializeResult(value=loaded, data_version=dg.DataVersion(loaded.version), check_results=[check], metadata={
            "rows": loaded.n_rows, "features": len(loaded.features.columns), "task": loaded.task,
            "data_version": loaded.version, "categorical": ", ".join(loaded.categorical) or "none",
        })

    @dg.asset(key=key("splits"), ins={"dataset": dg.AssetIn(key("dataset"))}, **group,
              code_version=versions["splits"],
              description="The repeated K-fold plan shared by the baseline and every variant.")
    def splits(dataset) -> dg.MaterializeResult:
        plan_splits = core.make_splits(_setup(plan, dataset))
        return dg.MaterializeResult(value=plan_splits, metadata={
            "n_splits": len(plan_splits), "test_train_ratio": core.holdout_ratio(plan_splits)})

    @dg.asset(key=key("baseline"), ins={"dataset": dg.AssetIn(key("dataset")), "splits": dg.AssetIn(key("splits"))},
              **group, code_version=versions["baseline"], kinds={"sklearn"},
              description=f"The full model ({spec.model.label}) fitted on every split, with its test-fold predictions.")
    def baseline(context: AssetExecutionContext, dataset, splits) -> dg.MaterializeResult:
        computed = fits.cached_baseline(_setup(plan, dataset), splits, ResultCache(cache_dir()), force=_forced(context),
                                        n_jobs=_fold_jobs(context))
        return _computed_result(computed)

    together = batched.entries(plan.variants)
    variant_assets = [_variant_asset(plan, v, key, versions[v.name]) for v in plan.variants if not batched.batchable(v)]
    variant_assets += [_inference_entry_asset(plan, entry, members, key, versions) for entry, members in together.items()]
    outcome_ins = {"baseline": dg.AssetIn(key("baseline"))} | {v.name: dg.AssetIn(key(v.name)) for v in plan.variants}

    @dg.asset(key=key("scores"), ins={"dataset": dg.AssetIn(key("dataset")), "splits": dg.AssetIn(key("splits")), **outcome_ins},
              **group, code_version=versions["scores"],
              description="Long table: variant, repeat, fold, metric, value (baseline included). Writes scores.csv.")
    def scores(dataset, splits, **outcomes) -> dg.MaterializeResult:
        setup = _setup(plan, dataset)
        table = core.scores(setup, splits, [outcomes["baseline"], *(outcomes[v.name] for v in plan.variants)])
        path = results.write_scores(table, core.results_dir(spec))
        results.write_costs(splits, [outcomes["baseline"], *(outcomes[v.name] for v in plan.variants)], core.results_dir(spec))
        primary = setup.metrics[0].name
        means = table[table.metric == primary].groupby("variant", sort=False)["value"].mean().rename(f"mean {primary}")
        return dg.MaterializeResult(value=table, metadata={
            "path": dg.MetadataValue.path(str(path)), "rows": len(table),
            "means": dg.MetadataValue.md(means.reset_index().to_markdown(index=False, floatfmt=".4g"))})

    @dg.asset(key=key("comparison"), ins={"dataset": dg.AssetIn(key("dataset")), "splits": dg.AssetIn(key("splits")),
                                          "scores": dg.AssetIn(key("scores"))},
              **group, code_version=versions["comparison"],
              description="Corrected repeated-CV t-tests, adjusted p-values and a verdict per variant and metric. Writes comparison.csv.")
    def comparison(dataset, splits, scores) -> dg.MaterializeResult:
        setup = _setup(plan, dataset)
        table = core.comparison(setup, splits, scores, extra_columns=True)
        path = results.write_comparison(table, core.results_dir(spec))
        primary = table[table.metric == setup.metrics[0].name]
        verdicts = primary["verdict"].value_counts()
        return dg.MaterializeResult(value=table, metadata={
            "path": dg.MetadataValue.path(str(path)),
            "primary_metric": setup.metrics[0].name,
            **{f"n_{v}": int(verdicts.get(v, 0)) for v in ("essential", "harmful", "removable", "inconclusive")},
            "table": dg.MetadataValue.md(_verdict_table(primary)),
        })

    @dg.asset(key=key("simplified"), ins={"dataset": dg.AssetIn(key("dataset")), "splits": dg.AssetIn(key("splits")),
                                          "baseline": dg.AssetIn(key("baseline")), "scores": dg.AssetIn(key("scores")),
                                          "comparison": dg.AssetIn(key("comparison"))},
              **group, code_version=versions["simplified"], kinds={"sklearn"},
              description="Every removable component taken out together, retrained and compared with the baseline. "
                          "Writes simplified.csv.")
    def simplified(context: AssetExecutionContext, dataset, splits, baseline, scores, comparison) -> dg.MaterializeResult:
        result = simplify.run(_setup(plan, dataset), splits, scores, comparison, baseline, ResultCache(cache_dir()),
                              core.results_dir(spec), force=_forced(context), n_jobs=_fold_jobs(context))
        if result.simplification is None:
            return dg.MaterializeResult(value=result, metadata={"switched_off": "statistics.simplify: false", "fits": 0})
        meta = {"removed": result.simplification.components_text or "nothing", "fits": result.fits,
                "cache": "hit" if result.cached else ("n/a" if result.table is None else "miss")}
        if result.table is not None:
            meta["verdict"] = str(result.table.iloc[0].verdict)
        return dg.MaterializeResult(value=result, metadata=meta)

    @dg.asset(key=key("report"), ins={"dataset": dg.AssetIn(key("dataset")), "splits": dg.AssetIn(key("splits")),
                                      "scores": dg.AssetIn(key("scores")), "comparison": dg.AssetIn(key("comparison")),
                                      "simplified": dg.AssetIn(key("simplified"))},
              **group, code_version=versions["report"],
              description="Markdown report with the comparison tables and forest plots. Writes report.md and PNGs.")
    def report(dataset, splits, scores, comparison, simplified) -> dg.MaterializeResult:
        setup = _setup(plan, dataset)
        folder = core.results_dir(spec)
        files = results.write_report_files(setup, splits, scores, comparison, folder, simplified.markdown)
        write_state(setup, splits, folder)
        markdown = files["report"].read_text(encoding="utf-8")
        images = {p.name: p.read_bytes() for p in files.values() if p.suffix == ".png"}
        return dg.MaterializeResult(value=str(files["report"]), metadata={
            "path": dg.MetadataValue.path(str(files["report"])),
            "report": dg.MetadataValue.md(markdown_with_inline_images(markdown, images)),
        })

    return [source, dataset, splits, baseline, *variant_assets, scores, comparison, simplified, report]


def _variant_asset(plan: StudyPlan, variant, key, code_version: str) -> dg.AssetsDefinition:
    ins = {"dataset": dg.AssetIn(key("dataset")), "splits": dg.AssetIn(key("splits"))}
    if not variant.refits:
        ins["baseline"] = dg.AssetIn(key("baseline"))
    how = "refit without" if variant.refits else f"baseline models, test fold with {variant.mode}d"

    @dg.asset(key=key(variant.name), ins=ins, group_name=plan.spec.name, kinds={"sklearn"},
              code_version=code_version,
              tags={"ablation/mode": variant.mode, "ablation/kind": variant.kind},
              description=f"Variant {variant.name}: {how} {variant.components_text}.")
    def _variant(context: AssetExecutionContext, dataset, splits, **upstream) -> dg.MaterializeResult:
        computed = fits.cached_variant(_setup(plan, dataset), variant.name, splits, upstream.get("baseline"),
                                       ResultCache(cache_dir()), force=_forced(context), n_jobs=_fold_jobs(context))
        return _computed_result(computed, {"mode": variant.mode, "components": variant.components_text})

    return _variant


def _inference_entry_asset(plan: StudyPlan, entry: str, members: tuple, key, versions: dict[str, str]) -> dg.AssetsDefinition:
    """One step for an ablation entry's inference-time feature variants (each still its own asset,
    with its own code and data version): they are predicted together, a few per predict call."""
    upstream = [key("dataset"), key("splits"), key("baseline")]
    outs = {v.name: dg.AssetOut(key=key(v.name), group_name=plan.spec.name, kinds={"sklearn"}, code_version=versions[v.name],
                                tags={"ablation/mode": v.mode, "ablation/kind": v.kind}, is_required=False,  # subsets yield only theirs
                                description=f"Variant {v.name}: baseline models, test fold with {v.mode}d {v.components_text} "
                                            f"(predicted together with the other variants of {entry}).")
            for v in members}
    index = entry.removeprefix("ablations[").rstrip("]")

    @dg.multi_asset(outs=outs, name=f"{plan.spec.name}__ablations_{index}", can_subset=True,
                    ins={name.path[-1]: dg.AssetIn(name) for name in upstream})
    def _entry(context: AssetExecutionContext, dataset, splits, baseline):
        selected = [v for v in members if key(v.name) in context.selected_asset_keys]
        computed = fits.cached_variants(_setup(plan, dataset), [v.name for v in selected], splits, baseline,
                                        ResultCache(cache_dir()), force=_forced(context))
        for v in selected:
            yield _computed_result(computed[v.name], {"mode": v.mode, "components": v.components_text}, asset_key=key(v.name))

    return _entry


FORCE_TAG = "ablation/force"
FOLD_JOBS_TAG = "ablation/fold_jobs"


def _forced(context: AssetExecutionContext) -> bool:
    """`ablation run --force` (or this run tag set in the UI) refits and overwrites the cache."""
    return context.run.tags.get(FORCE_TAG, "").lower() in ("1", "true", "yes")


def _fold_jobs(context: AssetExecutionContext) -> int:
    """Folds fitted in parallel inside a step. 1 unless the run asks (`ablation run` does for the
    in-process executor, where steps run one at a time): parallel steps must not oversubscribe cores."""
    try:
        return max(1, int(context.run.tags.get(FOLD_JOBS_TAG, "1")))
    except ValueError:
        return 1


def _computed_result(computed: fits.Computed, extra: dict | None = None, asset_key: dg.AssetKey | None = None) -> dg.MaterializeResult:
    """Value plus the content fingerprint as data version; `fits` is 0 when the cache answered."""
    seconds = [f.fit_seconds for f in computed.outcome.folds]
    return dg.MaterializeResult(
        asset_key=asset_key,
        value=computed.outcome,
        data_version=dg.DataVersion(computed.fingerprint[:16]),
        metadata={**(extra or {}), "fingerprint": computed.fingerprint[:16], "cache": "hit" if computed.cached else "miss",
                  "fits": 0 if computed.cached else computed.outcome.fits, "splits": len(seconds),
                  "fit_seconds_total": float(sum(seconds))},
    )


def _verdict_table(rows: pd.DataFrame) -> str:
    shown = rows[["variant", "delta", "ci_low", "ci_high", "p_adjusted", "verdict"]]
    return shown.to_markdown(index=False, floatfmt=".4g")
