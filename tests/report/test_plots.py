"""The insight plots show what the study did: every retrained variant on the cost plot, and the
interval the comparison actually computed on the dose-response plot."""

from __future__ import annotations

import pandas as pd

from ablation_pipeline.evaluation.insights import dose_responses
from ablation_pipeline.report.plots import cost_figure, dose_figure, insight_plots

from builders import comparison_row as row


def study_table() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """A drop, a permute and a retrained sweep with two values, and what each cost."""
    comparison = pd.DataFrame([
        row("drop__a", "drop", "a", "rmse", 2.0, 2.6, 0.3, 0.9, 4.0, 0.01, 1.5, "essential"),
        row("permute__a", "permute", "a", "rmse", 2.0, 3.0, 0.6, 1.4, 5.0, 0.01, 2.0, "essential"),
        row("sweep__alpha__v10", "sweep", "model.params.alpha", "rmse", 2.0, 2.1, -0.1, 0.3, 1.0, 0.4, 0.3, "inconclusive"),
        row("sweep__alpha__v100", "sweep", "model.params.alpha", "rmse", 2.0, 2.8, 0.4, 1.2, 4.5, 0.01, 1.8, "essential"),
    ])
    costs = pd.DataFrame({"variant": ["baseline", "drop__a", "permute__a", "sweep__alpha__v10", "sweep__alpha__v100"],
                          "n_parameters": [4.0, 3.0, 4.0, 4.0, 4.0], "fit_seconds_per_split": [0.01, 0.008, 0.0, 0.011, 0.012],
                          "inference_ms_per_1000_rows": [0.1] * 5})
    return comparison, costs, {"sweep__alpha__v10": 10.0, "sweep__alpha__v100": 100.0}


def test_cost_plot_shows_every_retrained_variant_including_sweeps():
    comparison, costs, _ = study_table()
    figure = cost_figure(comparison, costs, "rmse")
    labelled = {text.get_text() for ax in figure.axes for text in ax.texts}
    assert labelled == {"drop__a", "sweep__alpha__v10", "sweep__alpha__v100"}  # a permute costs what the baseline costs


def test_dose_response_band_is_labelled_with_the_studys_confidence():
    comparison, _, factors = study_table()
    curve = dose_responses(comparison, "rmse", factors)["model.params.alpha"]
    for alpha, label in [(0.05, "95% CI"), (0.1, "90% CI"), (0.01, "99% CI")]:
        legend = dose_figure(curve, "alpha", "rmse", 2.0, alpha).axes[0].get_legend()
        assert label in [text.get_text() for text in legend.get_texts()]


def test_insight_plots_are_pngs_named_for_the_report():
    comparison, costs, factors = study_table()
    plots = insight_plots(comparison, "rmse", factors, costs, 0.05)
    assert sorted(plots) == ["costs.png", "dose_0.png"]
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in plots.values())
