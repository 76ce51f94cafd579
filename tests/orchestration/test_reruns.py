"""README's "Recompute only what changed", word for word, on the default design (`repeats: auto`) and
on a fixed one: each change to a study runs exactly the steps it must and fits only what it needs,
never the baseline, and the results equal a cold run of the changed spec (fresh store)."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pandas as pd
import pytest

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec
from ablation_pipeline.store.cache import ResultCache

from builders import cache_spec, linear_frame, write_study

DESIGNS = {"auto": {"folds": 3, "repeats": "auto", "max_repeats": 5, "seed": 1, "metrics": ["rmse"]},
           "fixed": {"folds": 3, "repeats": 2, "seed": 1, "metrics": ["rmse"]}}
TABLES = {"scores", "comparison", "simplified", "interactions", "report"}


def study(design: str, **changes) -> dict:
    """Three drop and two permute variants on 200 rows: at alpha 0.05 -> 0.2 under `repeats: auto`, some
    variants need more repeats and others fewer."""
    return cache_spec(evaluation=dict(DESIGNS[design]), ablations=[{"features": ["a", "c", "const"], "mode": "drop"},
                                                                  {"features": ["b", "c"], "mode": "permute", "permutations": 2}],
                      **changes)


@dataclass(frozen=True)
class Ran:
    steps: set[str]  # the assets the run materialized
    fits: dict[str, int]  # the fits each step performed
    blocks: dict[str, int]  # blocks each variant's latest materialization holds

    @property
    def variant_fits(self) -> int:
        """The fits of the baseline and the variants (the simplified model may take others: its path
        follows the verdicts)."""
        return sum(fits for step, fits in self.fits.items() if step not in TABLES)


def run(path, tmp_path) -> Ran:
    from typer.testing import CliRunner

    from ablation_pipeline.cli import app

    result = CliRunner().invoke(app, ["run", str(path), "--results-dir", str(tmp_path / "res")])
    assert result.exit_code == 0, result.output
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        records = [] if "up to date" in result.output else instance.get_records_for_run(
            runs[0].run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        events = [r.event_log_entry.asset_materialization for r in records]
        variants = ("drop__a", "drop__c", "drop__const", "drop__city", "permute__b", "permute__c")
        latest = instance.get_latest_materialization_events([dg.AssetKey(["small", v]) for v in variants])
    fits = {e.asset_key.path[-1]: int(e.metadata["fits"].value) for e in events if "fits" in e.metadata}
    blocks = {key.path[-1]: int(event.asset_materialization.metadata["blocks"].value) for key, event in latest.items() if event}
    return Ran({e.asset_key.path[-1] for e in events}, fits, blocks)


def same_as_cold(path, tmp_path) -> None:
    """The results the incremental runs left equal a cold run of the current spec in a fresh store."""
    cold = run_study(load_spec(path), tmp_path / "cold", ResultCache(tmp_path / f"cold-cache-{len(list(tmp_path.iterdir()))}"))
    written = pd.read_csv(tmp_path / "res" / "small" / "comparison.csv")
    pd.testing.assert_frame_equal(written, pd.read_csv(tmp_path / "cold" / "comparison.csv"))
    assert set(written.variant) == set(cold.comparison.variant)


def grown(before: Ran, after: Ran) -> set[str]:
    """The variants whose latest materialization holds more blocks than before."""
    return {name for name, blocks in after.blocks.items() if blocks > before.blocks.get(name, 0)}


@pytest.mark.parametrize("design", ["auto", "fixed"])
def test_adding_a_variant_runs_it_and_its_mode_never_the_baseline(design, study_dir, tmp_path):
    """README: "adding a variant runs that variant, the variants of its mode whose stopping level the
    larger family changes when they need more repeats, and the tables after them; never the baseline"."""
    path = write_study(study_dir, study(design), linear_frame(rows=200))
    first = run(path, tmp_path)
    spec = study(design)
    spec["ablations"][0]["features"].append("city")
    added = run(write_study(study_dir, spec), tmp_path)
    variants = added.steps - TABLES
    assert "drop__city" in variants and "baseline" not in added.steps and "dataset" not in added.steps
    assert variants - {"drop__city"} <= grown(first, added) & {"drop__a", "drop__c", "drop__const"}  # its own mode only, when needed
    assert added.steps & TABLES == {"scores", "comparison", "simplified", "report"}
    if design == "fixed":
        assert variants == {"drop__city"} and added.variant_fits == 6  # its own fits, nothing else
    same_as_cold(path, tmp_path)


@pytest.mark.parametrize("design", ["auto", "fixed"])
def test_changing_alpha_fits_only_the_looks_the_new_level_needs(design, study_dir, tmp_path):
    """README: "changing alpha, the correction or a margin refits nothing under a fixed design; under
    `repeats: auto` it fits only the further repeats a variant now needs, and a variant that needs fewer
    is cut in the scores step without running"."""
    path = write_study(study_dir, study(design), linear_frame(rows=200))
    first = run(path, tmp_path)
    before = pd.read_csv(tmp_path / "res" / "small" / "comparison.csv").set_index("variant")["n_splits"]
    changed = run(write_study(study_dir, study(design, statistics={"alpha": 0.2})), tmp_path)
    after = pd.read_csv(tmp_path / "res" / "small" / "comparison.csv").set_index("variant")["n_splits"]
    variants = changed.steps - TABLES
    assert "baseline" not in changed.steps and variants == grown(first, changed)  # a variant runs only to take more repeats
    assert {"comparison", "simplified", "report"} <= changed.steps
    if design == "fixed":
        assert changed.steps == {"comparison", "simplified", "report"} and changed.variant_fits == 0
    else:  # both ways happen on these data: more repeats for some, a shorter cut for others
        assert {name for name in after.index if after[name] > before[name]} == variants != set()
        assert any(after[name] < before[name] for name in after.index)
        new_variant_splits = sum(after[name] - before[name] for name in variants if name.startswith("drop"))
        new_baseline_splits = 3 * max(changed.blocks.values()) - 3 * max(first.blocks.values())
        assert changed.variant_fits == new_variant_splits + max(0, new_baseline_splits)
    same_as_cold(path, tmp_path)


@pytest.mark.parametrize("design", ["auto", "fixed"])
def test_removing_a_variant_and_switching_sections_off_fit_nothing(design, study_dir, tmp_path):
    """README: "removing a variant, or switching interactions or simplify off, fits nothing" (an
    inference-time variant that was predicted together with the removed one is predicted again, in its
    new company: a prediction, no fit)."""
    with_pairs = study(design, interactions={"pairs": [["a", "c"]]})
    path = write_study(study_dir, with_pairs, linear_frame(rows=200))
    run(path, tmp_path)
    fewer = study(design, interactions={"pairs": [["a", "c"]]})
    fewer["ablations"][1]["features"] = ["b"]
    removed = run(write_study(study_dir, fewer), tmp_path)
    assert sum(removed.fits.values()) == 0 and "scores" in removed.steps
    assert removed.steps - TABLES <= {"permute__b"}  # permute__c's former companion: predicted again
    same_as_cold(path, tmp_path)
    off = {key: value for key, value in fewer.items() if key != "interactions"}
    switched = run(write_study(study_dir, {**off, "statistics": {"simplify": False}}), tmp_path)
    assert sum(switched.fits.values()) == 0 and switched.steps == {"report"}
    assert not (tmp_path / "res" / "small" / "interactions.csv").exists()
    assert not (tmp_path / "res" / "small" / "simplified.csv").exists()
