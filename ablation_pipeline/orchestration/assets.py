"""Turn a StudyPlan into Dagster assets: small builders of thin assets that call the core and
attach metadata.

Graph per study (keys prefixed by the study name, one asset group per study); each asset draws only
the edges it reads, its data coming with them (`pipeline.handoff`):
source -> dataset (+ split plan; blocking check) -> baseline -> inference-mode variants -> scores
                         \\-> refit variants (of a fixed design: independent of the baseline) ---/
scores -> comparison -> simplified (and interactions, when the spec asks) -> report
(baseline -> scores, simplified, interactions; scores -> report). The variants of one ablation entry
are one subsettable step, each variant its own asset.

No `from __future__ import annotations` here: Dagster checks the `context` annotation's type
when an asset is defined, and a string annotation fails that check.
"""

import warnings

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from ..ablations.chunks import by_entry
from ..ablations.plan import Variant
from ..data.dataset import data_notes, dataset_problems, load_dataset
from ..data.files import source_version
from ..data.splits import holdout_ratio
from ..pipeline import interactions as pairs
from ..pipeline import results, simplify, steps
from ..pipeline.compute import baseline_block, planned_work
from ..pipeline.consistency import checked_comparison, checked_scores
from ..pipeline.handoff import OnData, StudyData
from ..pipeline.identity import report_sections
from ..pipeline.looks import take_looks
from ..pipeline.paths import StudyPaths
from ..pipeline.setup import StudyPlan, setup_from
from ..report.files import markdown_with_inline_images
from ..store.owned import remove_owned
from ..vocabulary import Interaction, Verdict
from .io_manager import IO_MANAGER_KEY, StudyIOManager
from .policy import RunPolicy
from .run_tags import tag_run
from .study_graph import StudyGraph, computed_check, computed_result
from .upstream import UPSTREAM_IO_MANAGER, read_upstream, upstream_key


def build_study_assets(plan: StudyPlan, paths: StudyPaths | None = None) -> list:
    """Every asset and check of one study, writing where `paths` says (default: from the environment)."""
    graph = StudyGraph.of(plan, paths)
    entries = [entry_asset(graph, entry, members) for entry, members in by_entry(plan.variants).items()]
    pairs = [interactions_asset(graph)] if plan.spec.interactions is not None else []
    simplified = [simplified_asset(graph)] if plan.spec.simplifies else []
    source = [source_asset(graph)] if plan.spec.data.asset is None else []
    return [*source, dataset_asset(graph), baseline_asset(graph), *entries,
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
    """The rows and split plan; from the study's observed file, or read from its upstream asset (`upstream`)."""
    plan = graph.plan
    spec = plan.spec
    check = dg.AssetCheckSpec("fit_for_study", asset=graph.key("dataset"), blocking=True,
                              description="target present and complete, no all-missing feature, enough rows per class")
    from_asset = spec.data.asset is not None

    @dg.asset(**graph.asset("dataset"), deps=[upstream_key(spec) if from_asset else graph.key("source")], check_specs=[check],
              required_resource_keys={UPSTREAM_IO_MANAGER} if from_asset else None,
              description=f"Rows of the study ({spec.data.origin}) with typed columns and the encoded target, and the "
                          "repeated K-fold plan the baseline and every variant share.")
    def dataset(context: AssetExecutionContext):
        loaded = read_upstream(context, spec, graph.paths)[0] if from_asset else load_dataset(spec)
        tag_run(context.instance, context.run.run_id, plan, loaded.version)
        problems = dataset_problems(plan.spec, loaded)
        result = dg.AssetCheckResult(check_name="fit_for_study", passed=not problems,
                                     metadata={"problems": "\n".join(problems) or "none"})
        plan_splits = () if problems else tuple(steps.study_splits(setup_from(plan, loaded)))
        return dg.MaterializeResult(value=StudyData(loaded, plan_splits), data_version=dg.DataVersion(loaded.version),
                                    check_results=[result], metadata={
            "rows": loaded.n_rows, "rows_dropped_missing_target": loaded.target_dropped,
            "features": len(loaded.features.columns), "task": loaded.task.value,
            "data_version": loaded.version, "categorical": ", ".join(loaded.categorical) or "none",
            "notes": "\n".join(data_notes(loaded)) or "none",
            "n_splits": len(plan_splits), "test_train_ratio": holdout_ratio(list(plan_splits)) if plan_splits else 0.0,
        })

    return dataset


def baseline_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    @dg.asset(**graph.asset("baseline"), ins=graph.ins("dataset"), kinds={"sklearn"},
              description=f"The full model ({graph.plan.spec.model.label}) fitted on every split, with its test-fold "
                          "predictions (and the data, for the steps after it).")
    def baseline(dataset: StudyData, ablation_policy: RunPolicy) -> dg.MaterializeResult:
        setup, identity = graph.setup(dataset)
        return computed_result(baseline_block(setup, identity, 0, ablation_policy.policy), on=dataset)

    return baseline


def _variant_tags(variant: Variant) -> dict[str, str]:
    return {"ablation/mode": variant.mode.value, "ablation/kind": variant.kind.value}


def _how(variant: Variant) -> str:
    return "refit without" if variant.refits else f"baseline models, test fold with {variant.mode}d"


def entry_asset(graph: StudyGraph, entry: str, members: tuple[Variant, ...]) -> dg.AssetsDefinition:
    """One step for an ablation entry's variants, each still its own asset with its own code and data
    version and check; a run may select any of them. The step fits every selected retrained variant's
    splits in one worker pool, and predicts inference-time feature variants a few per predict call.
    Retrained variants of a fixed design need only the data; the others the baseline (its models, or
    its scores, which a `repeats: auto` variant is judged against as it goes)."""
    independent = all(v.refits for v in members) and not graph.plan.spec.evaluation.adaptive
    upstream = "dataset" if independent else "baseline"
    outs = {v.name: dg.AssetOut(key=graph.key(v.name), group_name=graph.study, kinds={"sklearn"}, code_version=graph.versions[v.name],
                                automation_condition=graph.automation,
                                io_manager_key=IO_MANAGER_KEY, tags=_variant_tags(v), is_required=False,  # subsets yield only theirs
                                description=f"Variant {v.name}: {_how(v)} {v.components_text} ({entry} of the spec).")
            for v in members}
    index = entry.removeprefix("ablations[").rstrip("]")

    @dg.multi_asset(outs=outs, name=f"{graph.study}__ablations_{index}", can_subset=True, ins=graph.ins(upstream),
                    check_specs=[computed_check(graph.key(v.name)) for v in members])
    def _entry(context: AssetExecutionContext, ablation_policy: RunPolicy, **inputs):
        handed = inputs[upstream]
        data, base = (handed, None) if independent else (handed.data, handed.value)
        setup, identity = graph.setup(data)
        selected = [v.name for v in members if graph.key(v.name) in context.selected_asset_keys]
        held = take_looks(setup, identity, selected, base, lambda names, b: [planned_work(setup, identity, n, b) for n in names],
                          ablation_policy.policy, setup.plan.family_size)
        checked = {check.asset_key for check in context.selected_asset_check_keys}
        for name in selected:
            variant, key = setup.plan.variant(name), graph.key(name)
            yield computed_result(held[name], {"mode": variant.mode.value, "components": variant.components_text},
                                  asset_key=key, check=key in checked)

    return _entry


def scores_asset(graph: StudyGraph) -> dg.AssetsDefinition:
    """Reads the variants' results from the store through the IO manager, as deps rather than inputs:
    each declared input writes two events (~5 ms), which at 150 variants was most of this step."""
    plan = graph.plan
    variants = [v.name for v in plan.variants]

    @dg.asset(**graph.asset("scores"), ins=graph.ins("baseline"), deps=[graph.key(name) for name in variants],
              description="Long table: variant, repeat, fold, metric, value (baseline included), each variant on the splits "
                          "its stopping rule takes. Writes scores.csv.")
    def scores(baseline: OnData, ablation_policy: RunPolicy, ablation_store: dg.ResourceParam[StudyIOManager]) -> dg.MaterializeResult:
        data = baseline.data
        setup, identity = graph.setup(data)
        held = {"baseline": baseline.value, **{name: ablation_store.stored_value(graph.key(name)) for name in variants}}
        table = checked_scores(setup, identity, held, ablation_policy.policy)
        folder = graph.paths.results_dir(plan.spec)
        path = results.write_scores(table, folder)
        results.write_costs(identity.splits, [held[name].outcome for name in ["baseline", *variants]], folder)
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
        setup, identity = graph.setup(scores.data)
        table = checked_comparison(setup, identity, scores.value)
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
    def simplified(baseline: OnData, comparison: OnData, ablation_policy: RunPolicy) -> dg.MaterializeResult:
        setup, identity = graph.setup(baseline.data)
        result = simplify.run(setup, identity, comparison.value, baseline.value, ablation_policy.policy,
                              graph.paths.results_dir(graph.plan.spec))
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
    def interactions(baseline: OnData, comparison: OnData, ablation_policy: RunPolicy) -> dg.MaterializeResult:
        setup, identity = graph.setup(baseline.data)
        result = pairs.run(setup, identity, comparison.value, baseline.value, ablation_policy.policy,
                           graph.paths.results_dir(graph.plan.spec))
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
        setup, identity = graph.setup(comparison.data)
        folder = graph.paths.results_dir(spec)
        sections: tuple[str, ...] = ()
        simplified_rows = None
        if "simplified" in sections_from:
            simplify.require_result(setup, identity, sections_from["simplified"], comparison.value)
            sections += sections_from["simplified"].markdown
            simplified_rows = sections_from["simplified"].table
        else:  # switched off: a simplified.csv from a run that had it on is not this study's
            remove_owned(folder / "simplified.csv")
        if "interactions" in sections_from:
            pairs.require_result(setup, identity, sections_from["interactions"], comparison.value)
            sections += sections_from["interactions"].markdown
        else:
            for name in (pairs.CSV, pairs.PNG):
                remove_owned(folder / name)
        files = results.write_report_files(setup, identity, scores.value, comparison.value, folder, sections, simplified_rows)
        results.write_state(setup, identity, folder, complete=not (comparison.value["verdict"] == Verdict.FAILED).any())
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
