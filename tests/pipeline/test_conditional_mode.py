"""Conditional perturbation in a real study: a near-copy of an informative feature keeps its
information under `conditional` (not essential), where permuting it breaks the model (essential); an
independent informative feature is essential either way. The draws are the same on every run."""

from __future__ import annotations

import pandas as pd

from ablation_pipeline.pipeline.run import run_study
from ablation_pipeline.spec.loading import load_spec

from builders import twins_frame, write_study

SPEC = {"name": "conditional", "data": {"source": "data.csv", "target": "y"}, "model": {"estimator": "Ridge"},
        "evaluation": {"folds": 5, "repeats": 2, "metrics": ["rmse"]},
        "ablations": [{"features": ["twin", "other"], "mode": "permute", "permutations": 3},
                      {"features": ["twin", "other"], "mode": "conditional", "permutations": 3}],
        "statistics": {"simplify": False}}


def test_near_copy_is_essential_only_when_permuted(tmp_path):
    result = run_study(load_spec(write_study(tmp_path, SPEC, twins_frame())), tmp_path / "out")
    verdicts = result.comparison.set_index("variant")["verdict"]
    assert verdicts["permute__twin"] == "essential"  # Ridge leans on both copies; shuffling one breaks the pair
    assert verdicts["conditional__twin"] != "essential"  # drawn given x, twin stays (almost) what it was
    assert verdicts["permute__other"] == verdicts["conditional__other"] == "essential"
    deltas = result.comparison.set_index("variant")["delta"]
    assert deltas["conditional__twin"] < 0.05 * deltas["permute__twin"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "conditional = replaced by a draw given the other features (conditional perturbation" in report
    assert "| `twin` | essential | inconclusive |" in report or "| `twin` | essential | removable |" in report


def test_conditional_draws_are_reproducible(tmp_path):
    first = run_study(load_spec(write_study(tmp_path / "a", SPEC, twins_frame())), tmp_path / "a" / "out")
    second = run_study(load_spec(write_study(tmp_path / "b", SPEC, twins_frame())), tmp_path / "b" / "out")
    pd.testing.assert_frame_equal(first.scores, second.scores)
