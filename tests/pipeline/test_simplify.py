"""The simplified model: removable components taken out together and tested again."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec

from builders import write_study


def twins_frame(rows: int = 200) -> pd.DataFrame:
    """y = 3x + 2·other + noise; `x` and `twin` carry the same signal, `noise` none."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=rows)
    return pd.DataFrame({"x": x, "twin": x + rng.normal(0, 0.01, rows), "other": rng.normal(size=rows),
                         "noise": rng.normal(size=rows)}).assign(y=lambda f: 3 * f.x + 2 * f.other + rng.normal(0, 0.3, rows))


def test_twins_are_each_removable_but_not_together(tmp_path):
    spec = {"name": "twins", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "LinearRegression"},
            "evaluation": {"folds": 5, "repeats": 2, "metrics": ["rmse"]}, "ablations": [{"features": "each", "mode": "drop"}],
            "statistics": {"margin": {"rmse": 0.05}}}
    result = run_study(load_spec(write_study(tmp_path, spec, twins_frame())), tmp_path / "out")
    verdicts = result.comparison.set_index("variant")["verdict"]
    assert verdicts["drop__x"] == verdicts["drop__twin"] == "removable"
    simplified = pd.read_csv(tmp_path / "out" / "simplified.csv").iloc[0]
    assert set(simplified.components.split("+")) >= {"x", "twin"}
    assert simplified.verdict == "essential" and simplified.delta > 1.0  # together they took the signal with them
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Simplified model" in report and "**worse** than the baseline: the removals interact" in report


def test_nothing_removable_says_so(tmp_path):
    spec = {"name": "none", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "LinearRegression"},
            "evaluation": {"folds": 3, "repeats": 1, "metrics": ["rmse"]}, "ablations": [{"features": ["x"], "mode": "permute"}]}
    run_study(load_spec(write_study(tmp_path, spec, twins_frame())), tmp_path / "out")
    assert not (tmp_path / "out" / "simplified.csv").exists()
    assert "nothing to take out together" in (tmp_path / "out" / "report.md").read_text()


def test_switched_off_fits_nothing_and_reports_nothing(tmp_path, instance):
    """`statistics: {simplify: false}`: the graph's simplified step fits nothing and the report has no section."""
    import dagster as dg

    from ablation_pipeline.orchestration.io_manager import study_resources
    from ablation_pipeline.orchestration.location import build_definitions, load_plans

    spec = {"name": "twins", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "LinearRegression"},
            "evaluation": {"folds": 3, "repeats": 1, "metrics": ["rmse"]}, "ablations": [{"features": "each", "mode": "drop"}],
            "statistics": {"margin": {"rmse": 0.05}, "simplify": False}, "output": {"results_dir": "out"}}
    path = write_study(tmp_path, spec, twins_frame())
    result = dg.materialize(list(build_definitions(load_plans([path])).assets), instance=instance, resources=study_resources())
    assert result.success
    meta = next(e.materialization.metadata for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "simplified")
    assert meta["fits"].value == 0 and meta["switched_off"].value == "statistics.simplify: false"
    comparison = pd.read_csv(tmp_path / "results" / "out" / "comparison.csv")
    assert (comparison.verdict == "removable").any()  # something was removable, yet nothing was refitted together
    assert not (tmp_path / "results" / "out" / "simplified.csv").exists()
    assert "Simplified model" not in (tmp_path / "results" / "out" / "report.md").read_text()
