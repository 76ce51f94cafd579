"""The asset graph: keys, deps and checks; real materializations on a temporary instance."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd

from ablation_pipeline.orchestration.io_manager import study_resources
from ablation_pipeline.orchestration.location import build_definitions, load_plans
from ablation_pipeline.orchestration.policy import FORCE_TAG
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec

from builders import cache_spec, linear_frame, small_spec, write_study


def _graph(spec_path):
    defs = build_definitions(load_plans([spec_path]))
    return defs, defs.resolve_asset_graph()


def _key(*parts):
    return dg.AssetKey(["small", *parts])


def test_graph_keys_and_deps(small_study):
    defs, graph = _graph(small_study)
    variants = ["drop__a", "drop__c", "drop__city", "drop__ab", "permute__a", "permute__const", "mean__b"]
    expected = {_key(n) for n in ["source", "dataset", "baseline", *variants, "scores", "comparison", "simplified", "report"]}
    assert set(graph.get_all_asset_keys()) == expected
    parents = lambda name: set(graph.get(_key(name)).parent_keys)  # noqa: E731
    # each asset draws only the edges it reads: the data (with its split plan) comes with the baseline and the tables
    assert parents("dataset") == {_key("source")}
    assert parents("baseline") == {_key("dataset")}
    # drop variants refit on their own; inference-mode variants need the baseline's fitted models
    assert parents("drop__a") == {_key("dataset")}
    assert parents("permute__a") == parents("mean__b") == {_key("baseline")}
    assert parents("scores") == {_key("baseline"), *(_key(v) for v in variants)}
    assert parents("comparison") == {_key("scores")}
    assert parents("simplified") == {_key("baseline"), _key("comparison")}
    assert parents("report") == {_key("scores"), _key("comparison"), _key("simplified")}
    assert sum(len(parents(k.path[-1])) for k in expected) == 1 + 1 + 3 + 4 + 8 + 1 + 2 + 3
    assert {a.group_name for a in (graph.get(k) for k in expected)} == {"small"}
    checks = {(c.asset_key.path[-1], c.name) for c in graph.asset_check_keys}
    assert checks == {("dataset", "fit_for_study"), *((v, "computed") for v in variants)}
    specs = [c for a in defs.assets if isinstance(a, dg.AssetsDefinition) for c in a.check_specs]
    assert {c.name for c in specs if c.blocking} == {"fit_for_study"}  # bad data stops everything; a failed variant only itself


def test_materialize_small_study(small_study, tmp_path, instance):
    defs, _ = _graph(small_study)
    result = dg.materialize(list(defs.assets), instance=instance, resources=defs.resources)
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert len(materialized) == 13  # dataset, baseline, 7 variants, scores, comparison, simplified, report
    comparison = result.asset_value(_key("comparison")).value  # each table comes with the data it was computed on
    meta = instance.get_latest_materialization_event(_key("comparison")).asset_materialization.metadata
    assert meta["primary_metric"].value == "rmse"
    assert meta["n_essential"].value == int((comparison[comparison.metric == "rmse"].verdict == "essential").sum())
    report_meta = instance.get_latest_materialization_event(_key("report")).asset_materialization.metadata
    assert "data:image/png;base64," in report_meta["report"].value
    dataset_event = instance.get_latest_materialization_event(_key("dataset"))
    assert dataset_event.asset_materialization.tags["dagster/data_version"].startswith("sha256:")
    # the graph and the Dagster-free core agree to the last digit
    core = run_study(load_spec(small_study), tmp_path / "core").comparison
    written = pd.read_csv(tmp_path / "results" / "small" / "comparison.csv")
    pd.testing.assert_frame_equal(written, pd.read_csv(tmp_path / "core" / "comparison.csv"))
    assert len(core) == len(written)


def test_blocking_check_stops_downstream(tmp_path, instance):
    frame = linear_frame()
    frame.loc[[3, 7], "y"] = None
    defs, _ = _graph(write_study(tmp_path / "bad", small_spec(), frame))
    if True:
        result = dg.materialize(list(defs.assets), instance=instance, resources=defs.resources, raise_on_error=False)
        assert not result.success
        checks = [e for e in result.get_asset_check_evaluations() if e.check_name == "fit_for_study"]
        assert len(checks) == 1 and not checks[0].passed
        assert "data.target: column 'y' has 2 missing value(s)" in checks[0].metadata["problems"].value
        materialized = {e.asset_key for e in result.get_asset_materialization_events()}
        assert materialized == {_key("dataset")}
    assert not (tmp_path / "results" / "small").exists()


def test_one_step_per_entry_and_selection_does_not_change_numbers(tmp_path, monkeypatch):
    """The graph computes an entry's variants in one step; materializing one of them alone (fresh
    instance, fresh cache) gives the numbers the full run gave."""
    spec = small_spec(ablations=[{"features": ["a", "c"], "mode": "drop"},
                                 {"features": ["a", "b", "const"], "mode": "permute", "permutations": 2}])
    path = write_study(tmp_path / "study", spec, linear_frame())
    assets = list(build_definitions(load_plans([path])).assets)
    key = lambda name: dg.AssetKey(["small", name])  # noqa: E731

    with dg.DagsterInstance.ephemeral() as instance:
        full = dg.materialize(assets, instance=instance, resources=study_resources())
    assert full.success
    steps = {e.step_key for e in full.get_step_success_events()}
    assert {"small__ablations_0", "small__ablations_1"} <= steps  # one step per entry, retrained ones too
    assert not any(s.startswith(("small__permute", "small__drop")) for s in steps)

    monkeypatch.setenv("ABLATION_CACHE_DIR", str(tmp_path / "other-cache"))  # nothing stored: really recomputed
    assets = list(build_definitions(load_plans([path])).assets)  # built now: a graph's paths are fixed when it is built
    with dg.DagsterInstance.ephemeral() as instance:
        alone = dg.materialize(assets, instance=instance, resources=study_resources(),
                               selection=[key("dataset"), key("baseline"), key("permute__b")])
    assert alone.success
    materialized = {e.asset_key.path[-1] for e in alone.get_asset_materialization_events()}
    assert materialized == {"dataset", "baseline", "permute__b"}
    meta = next(e.materialization.metadata for e in alone.get_asset_materialization_events() if e.asset_key == key("permute__b"))
    assert meta["cache"].value == "miss"
    folds = [result.asset_value(key("permute__b")).outcome.folds for result in (full, alone)]
    for first, second in zip(*folds, strict=True):
        np.testing.assert_array_equal(first.predictions, second.predictions)


def materialize(path, instance, tags=None):
    defs = build_definitions(load_plans([path]))
    result = dg.materialize(list(defs.assets), instance=instance, resources=defs.resources, tags=tags or {})
    assert result.success
    fits, computed = {}, set()
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        name = event.asset_key.path[-1]
        if "fits" in meta:
            fits[name] = meta["fits"].value
            if meta["cache"].value == "miss":
                computed.add(name)
    return fits, computed, result


def test_second_run_fits_nothing(study_dir, instance):
    path = write_study(study_dir, cache_spec(), linear_frame())
    fits, computed, _ = materialize(path, instance)
    assert {k: v for k, v in fits.items() if k != "simplified"} == {"baseline": 6, "drop__a": 6, "drop__c": 6, "permute__b": 0}
    assert computed - {"simplified"} == {"baseline", "drop__a", "drop__c", "permute__b"}
    fits, computed, result = materialize(path, instance)
    assert sum(fits.values()) == 0 and computed == set()
    scores = result.asset_value(dg.AssetKey(["small", "scores"])).value
    assert len(scores) == 4 * 6  # the cached predictions still give every score


def test_force_tag_ignores_the_cache(study_dir, instance):
    path = write_study(study_dir, cache_spec(), linear_frame())
    materialize(path, instance)
    fits, computed, _ = materialize(path, instance, tags={FORCE_TAG: "true"})
    assert sum(v for k, v in fits.items() if k != "simplified") == 18 and len(computed - {"simplified"}) == 4


def test_repeats_auto_in_the_graph(study_dir, instance, tmp_path):
    """With `repeats: auto` every variant (retrained ones too) is judged against the baseline as it
    goes; the graph gives the core's numbers, and a second run fits nothing."""
    spec = cache_spec(evaluation={"folds": 3, "repeats": "auto", "max_repeats": 5, "seed": 1, "metrics": ["rmse"]})
    path = write_study(study_dir, spec, linear_frame(rows=150))
    defs, graph = _graph(path)
    assert _key("baseline") in graph.get(_key("drop__a")).parent_keys
    fits, _, result = materialize(path, instance)
    assert fits["baseline"] == 3  # the baseline step fits the first block; the variants' steps the further ones they need
    run_study(load_spec(path), tmp_path / "core")
    written = pd.read_csv(tmp_path / "results" / "small" / "comparison.csv").set_index("variant")
    assert written.loc["drop__a", "n_splits"] <= 6  # a strong feature settles early
    # the noise feature stops too, at a look, once its removable claim is shown
    assert written.loc["drop__c", "verdict"] == "removable" and written.loc["drop__c", "n_splits"] in (3, 6, 9)
    assert sum(fits.values()) - fits.get("simplified", 0) == 3 * (written["n_splits"].max() // 3) + written["n_splits"].where(
        written["mode"] == "drop", 0).sum()  # every split of the baseline and of each retrained variant, once
    written = written.reset_index()
    pd.testing.assert_frame_equal(written, pd.read_csv(tmp_path / "core" / "comparison.csv"))
    fits, computed, _ = materialize(path, instance)
    assert sum(fits.values()) == 0 and computed == set()


def test_interactions_asset_downstream_of_the_comparison(tmp_path, instance):
    """With `interactions:` the graph gains one asset between the comparison and the report; the graph
    writes the same interactions.csv as the Dagster-free core, and a second run fits nothing."""
    spec = small_spec(interactions={"pairs": [["a", "c"], ["a", "city"]]})
    path = write_study(tmp_path / "study", spec, linear_frame())
    defs, graph = _graph(path)
    assert set(graph.get(_key("interactions")).parent_keys) == {_key(n) for n in ("baseline", "comparison")}
    assert _key("interactions") in set(graph.get(_key("report")).parent_keys)
    result = dg.materialize(list(defs.assets), instance=instance, resources=defs.resources)
    assert result.success
    meta = instance.get_latest_materialization_event(_key("interactions")).asset_materialization.metadata
    assert meta["pairs"].value == 2 and meta["fits"].value == 2 * 6  # only the pairs' own variants: a and c, a and city
    run_study(load_spec(path), tmp_path / "core")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "results" / "small" / "interactions.csv"),
                                  pd.read_csv(tmp_path / "core" / "interactions.csv"))
    again = dg.materialize(list(defs.assets), instance=instance, resources=defs.resources)
    assert instance.get_latest_materialization_event(_key("interactions")).asset_materialization.metadata["fits"].value == 0
    assert again.success and "## Interactions" in (tmp_path / "results" / "small" / "report.md").read_text()



def test_a_variant_asset_reaches_the_fit_in_six_frames(study_dir, instance, monkeypatch):
    """From a variant's asset to the model's `fit` the call passes at most six frames (the asset, the
    looks, the block, the pool, the job, then scikit-learn's own), with no function twice, on the
    default `repeats: auto` design as on a fixed one."""
    import inspect

    from sklearn.linear_model import LinearRegression

    stacks: list[list[str]] = []
    original = LinearRegression.fit

    def recorded(self, *args, **kwargs):
        stacks.append([f"{frame.frame.f_globals.get('__name__')}.{frame.function}" for frame in inspect.stack()[1:]])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LinearRegression, "fit", recorded)
    for repeats in ("auto", 2):
        spec = cache_spec(evaluation={"folds": 3, "repeats": repeats, "max_repeats": 3, "seed": 1, "metrics": ["rmse"]})
        if repeats == 2:
            spec["evaluation"].pop("max_repeats")
        materialize(write_study(study_dir / str(repeats), spec, linear_frame()), instance)
    from_variants = []
    for stack in stacks:  # innermost first
        entry = next((i for i, name in enumerate(stack) if name.endswith("assets._entry")), None)
        if entry is not None:
            ours = [i for i in range(entry + 1) if stack[i].startswith("ablation_pipeline.")]
            assert ours == list(range(ours[0], entry + 1)), stack  # nothing else between the asset and the job
            from_variants.append(stack[ours[0] - 1: entry + 1][::-1])  # and the first frame of scikit-learn
    assert from_variants, "no variant's fit was seen"
    for path in from_variants:
        assert len(path) <= 6 and len(set(path)) == len(path), "\n".join(path)
