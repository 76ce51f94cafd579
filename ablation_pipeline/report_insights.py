"""Report sections beyond the per-metric tables: retrain gap, dose-response curves, costs."""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .insights import REFIT_MODES, dose_responses, retrain_gaps


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def dose_plot_png(curve: pd.DataFrame, components: str, metric: str, baseline: float) -> bytes:
    """Metric against the swept factor, with the corrected CI as a band and the baseline as a line."""
    fig = Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.fill_between(curve["factor"], curve["low"], curve["high"], alpha=0.25, color="#0072B2", label="95% CI")
    ax.plot(curve["factor"], curve["value"], marker="o", color="#0072B2", label=metric)
    ax.axhline(baseline, color="black", linewidth=0.8, linestyle="--", label="baseline")
    ax.set_xlabel(f"factor applied to {components}")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} vs scale of {components}")
    ax.legend(loc="best", fontsize=8)
    return _png(fig)


def cost_plot_png(comparison: pd.DataFrame, costs: pd.DataFrame, metric: str) -> bytes:
    """Δ of the primary metric against parameter count and fit time, for the retrained variants (an
    inference-time knock-out costs what the baseline costs), with the baseline as a star at Δ = 0."""
    rows = comparison[(comparison.metric == metric) & comparison["mode"].isin(REFIT_MODES)].merge(costs, on="variant")
    base = costs[costs.variant == "baseline"]
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    for i, (column, label) in enumerate([("n_parameters", "learned parameters"), ("fit_seconds_per_split", "fit seconds per split")]):
        ax = fig.add_subplot(1, 2, i + 1)
        shown = rows[rows[column].notna() & (rows[column] > 0)]
        ax.scatter(shown[column], shown["delta"], color="#D55E00")
        for row in shown.itertuples():
            ax.annotate(row.variant, (getattr(row, column), row.delta), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if not base.empty and pd.notna(base[column].iloc[0]):
            ax.scatter(base[column], [0.0], marker="*", s=120, color="black", label="baseline")
            ax.legend(loc="best", fontsize=8)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel(f"Δ {metric}")
    return _png(fig)


def insight_plots(comparison: pd.DataFrame, primary: str, factors: dict[str, float], costs: pd.DataFrame | None) -> dict[str, bytes]:
    """File name -> PNG bytes for every insight plot this study has."""
    plots = {}
    base = comparison.loc[comparison.metric == primary, "baseline_mean"]
    for i, (components, curve) in enumerate(dose_responses(comparison, primary, factors).items()):
        plots[f"dose_{i}.png"] = dose_plot_png(curve, components, primary, float(base.iloc[0]))
    if costs is not None and not costs.empty:
        plots["costs.png"] = cost_plot_png(comparison, costs, primary)
    return plots


def insight_markdown(comparison: pd.DataFrame, primary: str, factors: dict[str, float], costs: pd.DataFrame | None,
                     fmt) -> list[str]:
    """Markdown lines for the retrain-gap, dose-response and cost sections (empty when not applicable)."""
    lines: list[str] = []
    gaps = retrain_gaps(comparison, primary, factors)
    if not gaps.empty:
        lines += ["## Retrain gap", "",
                  f"Effect on {primary} when the model is retrained without a component minus its effect when "
                  "the component is knocked out of the trained baseline. A gap near 0: the model cannot route around "
                  "the component; a large gap: retraining compensates for it.", "",
                  "| components | retrained | at inference | Δ retrained | Δ inference | gap |", "|---|---|---|---:|---:|---:|"]
        lines += [f"| `{r.components}` | `{r.refit}` | `{r.inference}` | {fmt(r.delta_refit, True)} | {fmt(r.delta_inference, True)} | "
                  f"{fmt(r.retrain_gap, True)} |" for r in gaps.itertuples()]
        lines.append("")
    curves = dose_responses(comparison, primary, factors)
    if curves:
        lines += ["## Dose-response", ""]
        for i, components in enumerate(curves):
            lines += [f"![{primary} vs scale of {components}](dose_{i}.png)", ""]
    if costs is not None and not costs.empty:
        lines += ["## Cost", "", "| variant | parameters | fit s / split | inference ms / 1,000 rows |", "|---|---:|---:|---:|"]
        lines += [f"| `{r.variant}` | {'n/a' if pd.isna(r.n_parameters) else f'{r.n_parameters:,.0f}'} | {fmt(r.fit_seconds_per_split)} | "
                  f"{fmt(r.inference_ms_per_1000_rows)} |" for r in costs.itertuples()]
        lines += ["", "![cost](costs.png)", ""]
    return lines
