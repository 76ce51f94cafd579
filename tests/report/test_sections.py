"""The simplified-model section says what its verdict means for taking the components out together."""

import pandas as pd
import pytest

from ablation_pipeline.report.sections import simplified_markdown
from ablation_pipeline.vocabulary import Verdict


def _table(verdict: Verdict, delta: float) -> pd.DataFrame:
    return pd.DataFrame([{"metric": "rmse", "verdict": verdict, "delta": delta, "ci_low": delta - 0.1, "ci_high": delta + 0.1,
                          "p_value": 0.01, "parameters_baseline": float("nan")}])


def test_a_significantly_better_simplified_model_is_not_called_interacting():
    text = "\n".join(simplified_markdown(_table(Verdict.HARMFUL, -0.5), ("a", "b")))
    assert "removals interact" not in text
    assert "**better** than the baseline" in text


@pytest.mark.parametrize("verdict, words", [
    (Verdict.ESSENTIAL, "**worse** than the baseline: the removals interact"),
    (Verdict.REMOVABLE, "still non-inferior"),
    (Verdict.INCONCLUSIVE, "**inconclusive**"),
])
def test_each_verdict_reads_as_what_it_means(verdict, words):
    assert words in "\n".join(simplified_markdown(_table(verdict, 0.5), ("a",)))
