"""What would decide inconclusive variants: the report's section and the CLI's one line."""

import math

import pandas as pd

from ablation_pipeline.report.undecided import undecided_hint, undecided_markdown


def _table(verdicts, needed):
    return pd.DataFrame({"variant": [f"v{i}" for i in range(len(verdicts))], "metric": "rmse", "verdict": verdicts,
                         "delta": 0.1, "margin": 0.2, "mde": 0.5, "n_splits": 10, "splits_to_decide": needed})


def test_the_hint_names_the_repeats_that_would_decide_and_what_cannot_be():
    table = _table(["inconclusive", "inconclusive", "inconclusive", "essential"], [40.0, 60.0, math.nan, 10.0])
    hint = undecided_hint(table.to_dict("records"), "rmse", folds=5)
    assert hint.startswith("3 of 4 variants are inconclusive on rmse")
    assert "2 would likely be decided with about 10 repeats of 5 folds" in hint  # median of 40 and 60 splits
    assert "1 have effects too close" in hint


def test_no_hint_when_most_are_decided_and_no_section_when_all_are():
    assert undecided_hint(_table(["inconclusive", "essential", "removable"], [40.0, 10.0, 10.0]).to_dict("records"), "rmse", 5) is None
    assert undecided_markdown(_table(["essential", "removable"], [10.0, 10.0]), "rmse", "5 folds x 2 repeats") == []
    lines = undecided_markdown(_table(["inconclusive"], [math.nan]), "rmse", "5 folds x 2 repeats")
    assert any("| `v0` |" in line and "out of reach" in line for line in lines)
