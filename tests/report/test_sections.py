"""Report sections: the simplified model's path and what its verdict means, and verdict stability
across ablation types."""

import pandas as pd

from ablation_pipeline.report.sections import SimplifiedStep, simplified_markdown, stability_markdown
from ablation_pipeline.vocabulary import Verdict

PATH = (SimplifiedStep("a", "a", "removable", True, 0.1, -0.1, 0.2), SimplifiedStep("b", "a+b", "essential", False, 2.0, 1.5, 2.5))


def _table(verdict: Verdict, delta: float) -> pd.DataFrame:
    return pd.DataFrame([{"metric": "rmse", "verdict": verdict, "delta": delta, "ci_low": delta - 0.1, "ci_high": delta + 0.1,
                          "p_value": 0.01, "parameters_baseline": float("nan")}])


def test_a_significantly_better_simplified_model_is_not_called_interacting():
    text = "\n".join(simplified_markdown(_table(Verdict.HARMFUL, -0.5), ("a",), PATH))
    assert "removals interact" not in text
    assert "**better** than the baseline" in text


def test_the_path_and_where_it_stopped():
    text = "\n".join(simplified_markdown(_table(Verdict.REMOVABLE, 0.1), ("a",), PATH))
    assert "still non-inferior" in text
    assert "| 2 | `b` | `a+b` | essential | +2 | [+1.5, +2.5] | no |" in text
    assert "taking out `b` as well made it essential, so `b` stays" in text


def test_a_first_step_that_fails_keeps_the_full_model():
    path = (SimplifiedStep("a", "a", "inconclusive", False, 0.1, -0.5, 0.7),)
    text = "\n".join(simplified_markdown(None, (), path))
    assert "keep the full model" in text


def test_verdict_stability_flags_flips():
    rows = [("drop__a", "drop", "a", "removable"), ("permute__a", "permute", "a", "essential"),
            ("drop__b", "drop", "b", "essential"), ("permute__b", "permute", "b", "inconclusive"),
            ("drop__c", "drop", "c", "essential"), ("permute__c", "permute", "c", "essential"),
            ("drop__d", "drop", "d", "essential"), ("noise__d__x1", "noise", "d", "removable")]
    table = pd.DataFrame([{"variant": v, "mode": m, "components": c, "verdict": verdict, "metric": "rmse"}
                          for v, m, c, verdict in rows])
    text = "\n".join(stability_markdown(table, "rmse", {"noise__d__x1": 1.0}))
    assert "| `a` | removable | essential | **flips** |" in text
    assert "| `b` | essential | inconclusive | *partly* |" in text
    assert "| `c` | essential | essential | stable |" in text
    assert "`d`" not in text  # its second ablation is a swept factor, not another way of taking it out
    assert stability_markdown(table[table.components == "c"].head(1), "rmse", {}) == []
