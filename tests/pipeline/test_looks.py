"""`repeats: auto` in the core: variants take whole repeats until settled, every block is filed once
and reused, and the comparison pairs each variant with the baseline on the splits it took."""

from __future__ import annotations

import pandas as pd
import pytest

from ablation_pipeline.pipeline.identity import Identity
from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.pipeline.steps import study_splits
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.store.cache import ResultCache

from builders import linear_frame, small_spec, write_study

AUTO = {"folds": 3, "repeats": "auto", "max_repeats": 5, "seed": 1, "metrics": ["rmse", "r2"]}


def _study(tmp_path, evaluation=AUTO, families=None):
    spec = small_spec(evaluation=evaluation, statistics={"families": families} if families else {},
                      ablations=[{"features": ["a", "c"], "mode": "drop"}, {"features": ["b", "c"], "mode": "permute", "permutations": 2}])
    return write_study(tmp_path / "study", spec, linear_frame(rows=150))


def _entries(cache_dir):
    return sorted(p.name for p in cache_dir.rglob("*") if p.is_file())


def test_variants_stop_when_settled_and_reuse_every_block(tmp_path):
    path = _study(tmp_path)
    setup = set_up(plan_study(load_spec(path)))
    splits = study_splits(setup)
    assert [sorted({s.repeat for s in part}) for part in Identity.of(setup, splits).blocks] == [[0], [1], [2], [3, 4]]

    cache = ResultCache(tmp_path / "cache")
    result = run_study(load_spec(path), tmp_path / "out", cache)
    used = result.comparison[result.comparison.metric == "rmse"].set_index("variant")["n_splits"]
    # strong features settle early (3 splits have too few degrees of freedom for the first look's
    # strict boundary, 6 do); an undecided one goes on, and a variant stops only at a look
    assert used["drop__a"] <= 6 and used["permute__b"] < 15
    assert used["permute__c"] > used["drop__a"] and set(used) <= {3, 6, 9, 15}
    verdicts = result.comparison[result.comparison.metric == "rmse"].set_index("variant")["verdict"]
    assert verdicts["drop__a"] == verdicts["permute__b"] == "essential"
    # a noise feature's removable claim, tested on its own (multiplicity: discoveries), settles as early
    assert verdicts["drop__c"] == "removable" and used["drop__c"] == used["drop__a"]
    # the baseline is scored on as many repeats as the furthest variant took
    baseline_repeats = result.scores[result.scores.variant == "baseline"].repeat.nunique()
    assert baseline_repeats * 3 == used.max()

    stored = _entries(tmp_path / "cache")
    again = run_study(load_spec(path), tmp_path / "again", cache)
    assert _entries(tmp_path / "cache") == stored  # nothing new was fitted or filed
    pd.testing.assert_frame_equal(again.comparison, result.comparison)
    # a fixed one-repeat design is the first block: answered from the same store
    fixed = dict(AUTO, repeats=1)
    fixed.pop("max_repeats")
    run_study(load_spec(_study(tmp_path / "fixed", fixed)), tmp_path / "fixed_out", cache)
    assert _entries(tmp_path / "cache") == stored


def test_comparison_csv_has_the_contracted_columns_then_the_details(tmp_path):
    from ablation_pipeline.vocabulary import COMPARISON_COLUMNS, DETAIL_COLUMNS

    run_study(load_spec(_study(tmp_path)), tmp_path / "out", ResultCache(tmp_path / "cache"))
    written = pd.read_csv(tmp_path / "out" / "comparison.csv")
    assert list(written.columns) == [*COMPARISON_COLUMNS, *DETAIL_COLUMNS]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "3 folds x auto repeats (at most 5)" in report and "group-sequential" in report


def test_families_mode_adjusts_and_stops_each_mode_on_its_own(tmp_path):
    """`statistics.families: mode`: a drop variant's essential/harmful p-value is Holm-adjusted among the
    drop variants only, and a `repeats: auto` variant stops at the level its mode's family sets."""
    from statsmodels.stats.multitest import multipletests

    cache = ResultCache(tmp_path / "cache")
    fixed = dict(AUTO, repeats=2)
    fixed.pop("max_repeats")
    tables = {}
    for families in ("study", "mode"):
        spec = small_spec(evaluation=fixed, statistics={"families": families},
                          ablations=[{"features": ["a", "c"], "mode": "drop"}, {"features": ["b", "c", "const"], "mode": "permute"}])
        tables[families] = run_study(load_spec(write_study(tmp_path / families, spec, linear_frame(rows=150))),
                                     tmp_path / f"{families}_out", cache).comparison
    for families, table in tables.items():
        for family, rows in table.groupby(["metric", "mode"] if families == "mode" else ["metric"]):
            expected = multipletests(rows["p_value"], method="holm")[1]
            assert rows["p_adjusted"].to_numpy() == pytest.approx(expected), (families, family)
    study, by_mode = (tables[f].set_index(["metric", "variant"])["p_adjusted"] for f in ("study", "mode"))
    assert (by_mode <= study + 1e-12).all() and (by_mode < study).any()  # smaller families, smaller adjustments
    pd.testing.assert_series_equal(tables["study"]["p_value"], tables["mode"]["p_value"])  # the same fits and tests

    setups = {f: set_up(plan_study(load_spec(_study(tmp_path / f"auto_{f}", families=f)))) for f in ("study", "mode")}
    assert [setups[f].plan.family_size("drop__a") for f in ("study", "mode")] == [4, 2]


def test_a_classification_study_stops_and_decides_on_what_its_rows_tell(tmp_path):
    frame = linear_frame(rows=240, seed=3)
    frame["y"] = (frame.y > frame.y.median()).map({True: "high", False: "low"})
    spec = small_spec(model={"estimator": "LogisticRegression"}, data={"source": "data.csv", "target": "y"},
                      evaluation={"folds": 3, "repeats": "auto", "max_repeats": 5, "seed": 1, "metrics": ["accuracy", "f1"]},
                      ablations=[{"features": ["a", "c"], "mode": "drop"}, {"features": ["b"], "mode": "permute", "permutations": 2}])
    path = write_study(tmp_path / "study", spec, frame)
    cache = ResultCache(tmp_path / "cache")
    result = run_study(load_spec(path), tmp_path / "out", cache)
    scores = result.scores.set_index(["variant", "metric"]).sort_index()
    variants = scores.drop(index="baseline", level="variant")
    assert variants.loc[(slice(None), "accuracy"), "delta_variance"].ge(0).all()
    assert variants.loc[("drop__a", "accuracy"), "delta_variance"].gt(0).all()  # its predictions differ on some rows of every split
    assert variants.loc[(slice(None), "f1"), "delta_variance"].isna().all()  # not a mean over rows: split-level test
    table = pd.read_csv(tmp_path / "out" / "comparison.csv").set_index(["metric", "variant"])
    assert (table.loc["accuracy", "df"] == 0).all() and (table.loc["f1", "df"] > 0).all()
    assert ((table.ci_low_adjusted <= table.delta) & (table.delta <= table.ci_high_adjusted)).all()
    assert table.loc[("accuracy", "drop__a"), "verdict"] == "essential"
    # the stopping rule read the same variances from the notes beside the stored blocks: a second run
    # in a fresh folder files nothing new and decides the same
    stored = _entries(tmp_path / "cache")
    again = run_study(load_spec(path), tmp_path / "again", cache)
    assert _entries(tmp_path / "cache") == stored
    pd.testing.assert_frame_equal(again.comparison, result.comparison)
