"""Turn a StudyPlan into Dagster assets: small builders of thin assets that call the core and
attach metadata.

Graph per study (keys prefixed by the study name, one asset group per study); each asset draws only
the edges it reads, its data coming with them (`pipeline.handoff`):
source -> dataset (+ split plan; blocking check) -> baseline -> inference-mode variants -> scores
                         \\-> refit variants (independent of the baseline) ------------/
scores -> comparison -> simplified (and interactions, when the spec asks) -> report
(baseline -> scores, simplified, interactions; scores -> report)

No `from __future__ import annotations` here: Dagster checks the `context` annotation's type
when an asset is defined, and a string annotation fails that check.
"""

import warnings

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from ..ablations import batched
from ..ablations.plan import Variant
from ..data.dataset import dataset_problems, load_dataset
from ..data.files import source_version
from ..data.splits import holdout_ratio
from ..pipeline import cached, results, simplify, steps
from ..pipeline import interactions as pairs
from ..pipeline.blocks import first_block
from ..pipeline.consistency import checked_comparison, checked_scores
from ..pipeline.handoff import OnData, StudyData
from ..pipeline.looks import looked_variants, with_baseline_extended
from ..pipeline.paths import StudyPaths
from ..pipeline.setup import StudyPlan, setup_from
from ..pipeline.versions import report_sections, write_state
from ..report.files import markdown_with_inline_images
from ..store.owned import remove_owned
from ..vocabulary import Interaction, Verdict
from .io_manager import IO_MANAGER_KEY
from .run_tags import tag_run
from .study_graph import StudyGraph, computed_check, computed_result, fold_jobs, forced, forced_since


def build_study_assets(plan: StudyPlan, paths: StudyPaths | None = None) -> list:
    """Every asset and check of one study, writing where `paths` says (default: from the environment)."""
    graph = StudyGraph.of(plan, paths)
    variants = [variant_asset(graph, v) for v in plan.variants if not batched.batchable(v)]
    variants += [inference_entry_asset(graph, entry, members) for entry, members in batched.entries(plan.variants).items()]
    pairs = [interactions_asset(graph)] if plan.spec.interactions is not None else []
    simplified = [simplified_asset(graph)] if plan.spec.statistics.simplify else []
    return [source_asset(graph), dataset_asset(graph), baseline_asset(graph), *variants,
            scores_asset(graph), comparison_asset(graph), *simplified, *pairs, report_asset(graph)]


def source_asset(graph: StudyGraph) -> dg.SourceAsset:
    """The data file, observed by its content hash: when the code location is first evaluated and on
    the study's cron (by the study's observation sensor, `jobs.study_sensors`)."""
    spec = graph.plan.spec

    def observe_source() -> dg.DataVersion:
        return dg.DataVersion(source_version(spec))

    observed = dg.AutomationCondition.initial_evaluation()
    if spec.schedule.cron:
        observed |= dg.AutomationCondition.cron_tick_passed(spec.schedule.cron, spec.schedule.timezone)
    with warnings.catch_warnings():  # observable sources are "beta" in 1.13 but are the documented way
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.observable_source_asset(key=graph.key("source"), group_name=graph.study, automation_condition=observed,
                                          description=f"The study's data: {spec.data.source}")(observe_source)


def dataset_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    plan = graph.plan
    check = dg.AssetCheckSpec("fit_for_study", asset=graph.key("dataset"), blocking=True,
                              description="target present and complete, no all-missing feature, enough rows per class")

    @dg.asset(**graph.asset("dataset"), deps=[graph.key("source")], check_specs=[check],
              description="Rows of the study with typed columns and the encoded target, and the repeated K-fold "
                          "plan the baseline and every variant share.")
    def dataset(context: AssetExecutionContext):
        loaded = load_dataset(plan.spec)
        tag_run(context.instance, context.run.run_id, plan, loaded.version)
        problems = dataset_problems(plan.spec, loaded)
        result = dg.AssetCheckResult(check_name="fit_for_study", passed=not problems,
                                     metadata={"problems": "\n".join(problems) or "none"})
        plan_splits = () if problems else tuple(steps.study_splits(setup_from(plan, loaded)))
        return dg.MaterializeResult(value=StudyData(loaded, plan_splits), data_version=dg.DataVersion(loaded.version),
                                    check_results=[result], metadata={
            "rows": loaded.n_rows, "features": len(loaded.features.columns), "task": loaded.task.value,
            "data_version": loaded.version, "categorical": ", ".join(loaded.categorical) or "none",
            "n_splits": len(plan_splits), "test_train_ratio": holdout_ratio(list(plan_splits)) if plan_splits else 0.0,
        })

    return dataset


def baseline_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    @dg.asset(**graph.asset("baseline"), ins=graph.ins("dataset"), kinds={"sklearn"},
              description=f"The full model ({graph.plan.spec.model.label}) fitted on every split, with its test-fold "
                          "predictions (and the data, for the steps after it).")
    def baseline(context: AssetExecutionContext, dataset: StudyData) -> dg.MaterializeResult:
        setup, splits = graph.setup(dataset), list(dataset.splits)
        computed = cached.cached_baseline(setup, first_block(setup, splits), graph.paths.result_cache(), force=forced(context),
                                          n_jobs=fold_jobs(context))
        return computed_result(computed, on=dataset)

    return baseline


def _variant_facts(variant: Variant) -> dict:
    return {"mode": variant.mode.value, "components": variant.components_text}


def _variant_tags(variant: Variant) -> dict[str, str]:
    return {"ablation/mode": variant.mode.value, "ablation/kind": variant.kind.value}


def variant_asset(graph: StudyGraph, variant: Variant) -> dg.AssetsDefinition:
    """A variant computed on its own: a retrained one (from the data alone, unless it is judged against
    the baseline as it goes: `repeats: auto`), or a layer knock-out (on the baseline's models)."""
    independent = variant.refits and not graph.plan.spec.evaluation.adaptive
    how = "refit without" if variant.refits else f"baseline models, test fold with {variant.mode}d"

    @dg.asset(**graph.asset(variant.name), ins=graph.ins("dataset" if independent else "baseline"), kinds={"sklearn"},
              tags=_variant_tags(variant), check_specs=[computed_check(graph.key(variant.name))],
              description=f"Variant {variant.name}: {how} {variant.components_text}.")
    def _variant(context: AssetExecutionContext, **upstream):  # no annotation: a value and a check
        data, base = (upstream["dataset"], None) if independent else (upstream["baseline"].data, upstream["baseline"].value)
        computed = looked_variants(graph.setup(data), [variant.name], list(data.splits), base,
                                   graph.paths.result_cache(), force=forced(context), n_jobs=fold_jobs(context),
                                   forced_since=forced_since(context))[variant.name]
        return computed_result(computed, _variant_facts(variant), asset_key=graph.key(variant.name), check=True)

    return _variant


def inference_entry_asset(graph: StudyGraph, entry: str, members: tuple[Variant, ...]) -> dg.AssetsDefinition:
    """One step for an ablation entry's inference-time feature variants (each still its own asset,
    with its own code and data version): they are predicted together, a few per predict call."""
    outs = {v.name: dg.AssetOut(key=graph.key(v.name), group_name=graph.study, kinds={"sklearn"}, code_version=graph.versions[v.name],
                                io_manager_key=IO_MANAGER_KEY, tags=_variant_tags(v), is_required=False,  # subsets yield only theirs
                                description=f"Variant {v.name}: baseline models, test fold with {v.mode}d {v.components_text} "
                                            f"(predicted together with the other variants of {entry}).")
            for v in members}
    index = entry.removeprefix("ablations[").rstrip("]")

    @dg.multi_asset(outs=outs, name=f"{graph.study}__ablations_{index}", can_subset=True,
                    ins=graph.ins("baseline"), check_specs=[computed_check(graph.key(v.name)) for v in members])
    def _entry(context: AssetExecutionContext, baseline: OnData):
        selected = [v for v in members if graph.key(v.name) in context.selected_asset_keys]
        checked = {check.asset_key for check in context.selected_asset_check_keys}
        computed = looked_variants(graph.setup(baseline.data), [v.name for v in selected], list(baseline.data.splits),
                                   baseline.value, graph.paths.result_cache(), force=forced(context),
                                   forced_since=forced_since(context))
        for v in selected:
            key = graph.key(v.name)
            yield computed_result(computed[v.name], _variant_facts(v), asset_key=key, check=key in checked)

    return _entry


def scores_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    plan = graph.plan
    variants = [v.name for v in plan.variants]

    @dg.asset(**graph.asset("scores"), ins=graph.ins("baseline", *variants),
              description="Long table: variant, repeat, fold, metric, value (baseline included). Writes scores.csv.")
    def scores(baseline: OnData, **outcomes) -> dg.MaterializeResult:
        data = baseline.data
        setup, splits = graph.setup(data), list(data.splits)
        outcomes = with_baseline_extended(setup, splits, {"baseline": baseline.value, **outcomes}, graph.paths.result_cache())
        table = checked_scores(setup, splits, outcomes)
        path = results.write_scores(table, graph.paths.results_dir(plan.spec))
        results.write_costs(splits, [outcomes[name] for name in ["baseline", *variants]], graph.paths.results_dir(plan.spec))
        primary = setup.metrics[0].name
        means = table[table.metric == primary].groupby("variant", sort=False)["value"].mean().rename(f"mean {primary}")
        return dg.MaterializeResult(value=OnData(data, table), metadata={
            "path": dg.MetadataValue.path(str(path)), "rows": len(table),
            "means": dg.MetadataValue.md(means.reset_index().to_markdown(index=False, floatfmt=".4g"))})

    return scores


def comparison_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    @dg.asset(**graph.asset("comparison"), ins=graph.ins("scores"),
              description="Corrected repeated-CV t-tests, adjusted p-values and a verdict per variant and metric. Writes comparison.csv.")
    def comparison(scores: OnData) -> dg.MaterializeResult:
        setup = graph.setup(scores.data)
        table = checked_comparison(setup, list(scores.data.splits), scores.value)
        path = results.write_comparison(table, graph.paths.results_dir(graph.plan.spec))
        primary = table[table.metric == setup.metrics[0].name]
        verdicts = primary["verdict"].value_counts()
        return dg.MaterializeResult(value=OnData(scores.data, table), metadata={
            "path": dg.MetadataValue.path(str(path)),
            "primary_metric": setup.metrics[0].name,
            **{f"n_{v}": int(verdicts.get(v, 0)) for v in Verdict},
            "table": dg.MetadataValue.md(_verdict_table(primary)),
        })

    return comparison


def simplified_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    @dg.asset(**graph.asset("simplified"), ins=graph.ins("baseline", "comparison"),
              kinds={"sklearn"}, description="Every removable component taken out together, retrained and compared with "
                                              "the baseline. Writes simplified.csv.")
    def simplified(context: AssetExecutionContext, baseline: OnData, comparison: OnData) -> dg.MaterializeResult:
        data = baseline.data
        result = simplify.run(graph.setup(data), list(data.splits), comparison.value, baseline.value, graph.paths.result_cache(),
                              graph.paths.results_dir(graph.plan.spec), force=forced(context), n_jobs=fold_jobs(context),
                              forced_since=forced_since(context))
        meta = {"removed": result.simplification.components_text or "nothing", "fits": result.fits,
                "cache": "hit" if result.cached else ("n/a" if result.table is None else "miss")}
        if result.table is not None:
            meta["verdict"] = str(result.table.iloc[0].verdict)
        return dg.MaterializeResult(value=result, metadata=meta)

    return simplified


def interactions_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    @dg.asset(**graph.asset("interactions"), ins=graph.ins("baseline", "comparison"), kinds={"sklearn"},
              description="For each pair, A, B and both ablated on the same splits; I = Δ_AB − Δ_A − Δ_B tested like the "
                          "comparison. Writes interactions.csv and interactions.png.")
    def interactions(context: AssetExecutionContext, baseline: OnData, comparison: OnData) -> dg.MaterializeResult:
        data = baseline.data
        result = pairs.run(graph.setup(data), list(data.splits), comparison.value, baseline.value, graph.paths.result_cache(),
                           graph.paths.results_dir(graph.plan.spec), force=forced(context), n_jobs=fold_jobs(context),
                           forced_since=forced_since(context))
        primary = result.table[result.table.metric == result.primary]
        kinds = primary["kind"].value_counts()
        return dg.MaterializeResult(value=result, metadata={
            "pairs": len(primary), "fits": result.fits, **{f"n_{k}": int(kinds.get(k, 0)) for k in Interaction},
            **({"failed": "; ".join(f"{p}: {why}" for p, why in result.failed.items())} if result.failed else {}),
            "table": dg.MetadataValue.md(primary.to_markdown(index=False, floatfmt=".4g"))})

    return interactions


def report_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    spec = graph.plan.spec
    extras = tuple(report_sections(spec))

    @dg.asset(**graph.asset("report"), ins=graph.ins("scores", "comparison", *extras),
              description="Markdown report with the comparison tables and forest plots. Writes report.md and PNGs.")
    def report(scores: OnData, comparison: OnData, **sections_from) -> dg.MaterializeResult:
        data = comparison.data
        setup, splits = graph.setup(data), list(data.splits)
        folder = graph.paths.results_dir(spec)
        sections: tuple[str, ...] = ()
        if "simplified" in sections_from:
            simplify.require_result(setup, splits, sections_from["simplified"])
            sections += sections_from["simplified"].markdown
        else:  # switched off: a simplified.csv from a run that had it on is not this study's
            remove_owned(folder / "simplified.csv")
        if "interactions" in sections_from:
            pairs.require_result(setup, splits, sections_from["interactions"])
            sections += sections_from["interactions"].markdown
        else:
            for name in (pairs.CSV, pairs.PNG):
                remove_owned(folder / name)
        files = results.write_report_files(setup, splits, scores.value, comparison.value, folder, sections)
        write_state(setup, splits, folder, complete=not (comparison.value["verdict"] == Verdict.FAILED).any())
        markdown = files["report"].read_text(encoding="utf-8")
        images = {p.name: p.read_bytes() for p in files.values() if p.suffix == ".png"}
        return dg.MaterializeResult(value=str(files["report"]), metadata={
            "path": dg.MetadataValue.path(str(files["report"])),
            "report": dg.MetadataValue.md(markdown_with_inline_images(markdown, images)),
        })

    return report


def _verdict_table(rows: pd.DataFrame) -> str:
    shown = rows[["variant", "delta", "ci_low", "ci_high", "p_adjusted", "verdict"]]
    return shown.to_markdown(index=False, floatfmt=".4g")
