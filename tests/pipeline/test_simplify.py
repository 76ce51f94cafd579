"""The simplified model: removable components taken out together and tested again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec

from builders import twins_frame, write_study


def test_backward_elimination_keeps_one_of_two_twins(tmp_path):
    """x and twin are each removable alone, not together: the path takes out one of them (and the noise
    feature), stops at the other, and the simplified model stays non-inferior."""
    spec = {"name": "twins", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "LinearRegression"},
            "evaluation": {"folds": 5, "repeats": 2, "metrics": ["rmse"]}, "ablations": [{"features": "each", "mode": "drop"}],
            "statistics": {"margin": {"rmse": 0.05}}}
    result = run_study(load_spec(write_study(tmp_path, spec, twins_frame(200, copy_noise=0.01))), tmp_path / "out")
    verdicts = result.comparison.set_index("variant")["verdict"]
    assert verdicts["drop__x"] == verdicts["drop__twin"] == verdicts["drop__noise"] == "removable"
    simplified = pd.read_csv(tmp_path / "out" / "simplified.csv").iloc[0]
    removed = set(simplified.components.split("+"))
    assert "noise" in removed and len(removed & {"x", "twin"}) == 1  # one twin goes, the other stays
    assert simplified.verdict == "removable" and abs(simplified.delta) < 0.05
    report = (tmp_path / "out" / "report.md").read_text()
    kept = ({"x", "twin"} - removed).pop()
    assert "Backward elimination" in report and f"taking out `{kept}` as well made it essential, so `{kept}` stays" in report


def test_every_component_removable_is_said(tmp_path):
    spec = {"name": "noise_only", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "LinearRegression"},
            "evaluation": {"folds": 5, "repeats": 2, "metrics": ["rmse"]},
            "ablations": [{"features": ["x", "twin", "noise"], "mode": "drop"}],
            "statistics": {"margin": {"rmse": 0.05}}}
    run_study(load_spec(write_study(tmp_path, spec, twins_frame(200, copy_noise=0.01))), tmp_path / "out")
    report = (tmp_path / "out" / "report.md").read_text()
    assert "Every retrained component was removable on its own" in report
    assert "No retrained variant was judged removable" not in report


def test_the_first_step_reuses_the_planned_fits(tmp_path):
    """The path's first step takes out one component: the planned variant that does the same, already
    in the store, so the step fits nothing."""
    from ablation_pipeline.pipeline import simplify
    from ablation_pipeline.pipeline.compute import Policy
    from ablation_pipeline.pipeline.run import compare
    from ablation_pipeline.pipeline.setup import plan_study, set_up
    from ablation_pipeline.store.cache import ResultCache

    spec = {"name": "one", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "LinearRegression"},
            "evaluation": {"folds": 3, "repeats": 1, "metrics": ["rmse"]}, "ablations": [{"features": ["noise"], "mode": "drop"}],
            "statistics": {"margin": {"rmse": 0.05}}}
    setup = set_up(plan_study(load_spec(write_study(tmp_path, spec, twins_frame(200, copy_noise=0.01)))))
    policy = Policy(ResultCache(tmp_path / "store"))
    done = compare(setup, policy)
    assert done.variants["drop__noise"].fitted == len(done.identity.splits)
    result = simplify.run(setup, done.identity, done.comparison, done.baseline, policy, tmp_path / "out")
    assert [step.tried for step in result.path] == ["noise"] and result.path[0].kept
    assert result.fits == 0 and result.cached


def test_nothing_removable_says_so(tmp_path):
    spec = {"name": "none", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "LinearRegression"},
            "evaluation": {"folds": 3, "repeats": 1, "metrics": ["rmse"]}, "ablations": [{"features": ["x"], "mode": "permute"}]}
    run_study(load_spec(write_study(tmp_path, spec, twins_frame(200, copy_noise=0.01))), tmp_path / "out")
    assert not (tmp_path / "out" / "simplified.csv").exists()
    assert "nothing to take out together" in (tmp_path / "out" / "report.md").read_text()


def test_switched_off_fits_nothing_and_reports_nothing(tmp_path, instance):
    """`statistics: {simplify: false}` leaves the step out of the graph (no step to run, no edge to draw):
    nothing is refitted together, the report has no section, and the simplified.csv a run with it on
    wrote is removed."""
    import dagster as dg

    from ablation_pipeline.orchestration.io_manager import study_resources
    from ablation_pipeline.orchestration.location import build_definitions, load_plans

    spec = {"name": "twins", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "LinearRegression"},
            "evaluation": {"folds": 3, "repeats": 1, "metrics": ["rmse"]}, "ablations": [{"features": "each", "mode": "drop"}],
            "statistics": {"margin": {"rmse": 0.05}}, "output": {"results_dir": "out"}}
    path = write_study(tmp_path, spec, twins_frame(200, copy_noise=0.01))
    assert dg.materialize(list(build_definitions(load_plans([path])).assets), instance=instance, resources=study_resources()).success
    assert (tmp_path / "results" / "out" / "simplified.csv").exists()

    path = write_study(tmp_path, {**spec, "statistics": {**spec["statistics"], "simplify": False}})
    defs = build_definitions(load_plans([path]))
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey(["twins", "simplified"]) not in graph.get_all_asset_keys()
    assert set(graph.get(dg.AssetKey(["twins", "report"])).parent_keys) == {dg.AssetKey(["twins", n]) for n in ("scores", "comparison")}
    result = dg.materialize(list(defs.assets), instance=instance, resources=study_resources())
    assert result.success
    comparison = pd.read_csv(tmp_path / "results" / "out" / "comparison.csv")
    assert (comparison.verdict == "removable").any()  # something was removable, yet nothing was refitted together
    assert not (tmp_path / "results" / "out" / "simplified.csv").exists()
    assert "Simplified model" not in (tmp_path / "results" / "out" / "report.md").read_text()


FIRST_FIT_SLOW = '''
import sys
import time
import types

from sklearn.linear_model import LinearRegression


class FirstFitSlow(LinearRegression):
    """A regression whose first fit in a process imports something that takes a second, as a library's
    lazy imports do; every fit after that takes the same 20 ms, whatever the columns."""

    def fit(self, X, y, sample_weight=None):
        if "slow_to_import" not in sys.modules:
            time.sleep(1.0)
            sys.modules["slow_to_import"] = types.ModuleType("slow_to_import")
        time.sleep(0.02)
        return super().fit(X, y, sample_weight)
'''


def test_a_model_cheaper_only_by_warm_up_shows_no_saving(tmp_path):
    """The penguins case: whichever fits came first in a fresh process paid its start-up (the baseline's
    there, so the simplified model looked several times cheaper). Timed in warm processes, the baseline
    and every variant cost the same, and the report claims no saving of the start-up's size."""
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "first_fit_slow.py").write_text(FIRST_FIT_SLOW)
    spec = {"name": "warm", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "first_fit_slow.FirstFitSlow"},
            "evaluation": {"folds": 5, "repeats": 2, "metrics": ["rmse"]}, "ablations": [{"features": "each", "mode": "drop"}],
            "statistics": {"margin": {"rmse": 0.05}}}
    path = write_study(tmp_path / "study", spec, twins_frame(200, copy_noise=0.01))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "code"), "ABLATION_TRUSTED_MODULES": "first_fit_slow"}
    done = subprocess.run([str(Path(sys.executable).with_name("ablation")), "run", str(path), "--results-dir", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = next((tmp_path / "out").rglob("costs.csv")).parent
    costs = pd.read_csv(folder / "costs.csv").set_index("variant")["fit_seconds_per_split"]
    assert costs.max() < 1.5 * costs.median(), costs  # the start-up is in no one's cost (it was 8x one variant's)
    saving = pd.read_csv(folder / "simplified.csv").iloc[0]
    assert saving.fit_seconds_saved_high < 0.05, saving  # the start-up (0.1 s or more per split) is not in it
    report = (folder / "report.md").read_text()
    claimed = re.search(r"saves ([0-9.e-]+) s per split", report)
    assert claimed is None or float(claimed.group(1)) < 0.01, report
