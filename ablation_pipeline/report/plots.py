"""The insight plots: dose-response curves of swept components, Δ against cost for the retrained
variants, and the heat map of pairwise interactions. Bare matplotlib Figures on an Agg canvas, as the forest plot."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..evaluation.insights import dose_responses, retrained_costs
from ..vocabulary import Direction, Interaction
from .formatting import confidence_label, fmt_num


def figure_png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def dose_figure(curve: pd.DataFrame, components: str, metric: str, baseline: float, alpha: float) -> Figure:
    """Metric against the swept factor, with the corrected 1 - alpha CI as a band and the baseline as a line."""
    fig = Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.fill_between(curve["factor"], curve["low"], curve["high"], alpha=0.25, color="#0072B2", label=confidence_label(alpha))
    ax.plot(curve["factor"], curve["value"], marker="o", color="#0072B2", label=metric)
    ax.axhline(baseline, color="black", linewidth=0.8, linestyle="--", label="baseline")
    ax.set_xlabel(f"factor applied to {components}")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} vs scale of {components}")
    ax.legend(loc="best", fontsize=8)
    return fig


NAMED_POINTS = 12  # the cost plot names the variants with the largest |Δ|; more names only overlap


def cost_figure(comparison: pd.DataFrame, costs: pd.DataFrame, metric: str) -> Figure:
    """Δ of the primary metric against parameter count and fit time, for the retrained variants (an
    inference-time knock-out costs what the baseline costs), with the baseline as a star at Δ = 0;
    the NAMED_POINTS variants with the largest |Δ| are named."""
    rows = retrained_costs(comparison, costs, metric)
    base = costs[costs.variant == "baseline"]
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    for i, (column, label) in enumerate([("n_parameters", "learned parameters"), ("fit_seconds_per_split", "fit seconds per split")]):
        ax = fig.add_subplot(1, 2, i + 1)
        shown = rows[rows[column].notna() & (rows[column] > 0)]
        ax.scatter(shown[column], shown["delta"], color="#D55E00")
        for row in shown.loc[shown["delta"].abs().nlargest(NAMED_POINTS).index].itertuples():
            ax.annotate(row.variant, (getattr(row, column), row.delta), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if not base.empty and pd.notna(base[column].iloc[0]):
            ax.scatter(base[column], [0.0], marker="*", s=120, color="black", label="baseline")
            ax.legend(loc="best", fontsize=8)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel(f"Δ {metric}")
    return fig


def insight_plots(comparison: pd.DataFrame, primary: str, factors: dict[str, float], costs: pd.DataFrame | None,
                  alpha: float) -> dict[str, bytes]:
    """File name -> PNG bytes for every insight plot this study has."""
    plots = {}
    base = comparison.loc[comparison.metric == primary, "baseline_mean"]
    for i, (components, curve) in enumerate(dose_responses(comparison, primary, factors).items()):
        plots[f"dose_{i}.png"] = figure_png(dose_figure(curve, components, primary, float(base.iloc[0]), alpha))
    if costs is not None and not costs.empty:
        plots["costs.png"] = figure_png(cost_figure(comparison, costs, primary))
    return plots


def _extra_cost(table: pd.DataFrame, higher_is_better: bool) -> pd.Series:
    """The interaction turned so that positive means removing both costs more than the sum (redundant)."""
    return table["interaction"].map(Direction.of(higher_is_better).degradation)


def interaction_heatmap_png(table: pd.DataFrame, metric: str, higher_is_better: bool) -> bytes:
    """Components on both axes; each cell the extra cost of removing the pair together (blue: redundant,
    red: complementary), `*` where the interaction is significant."""
    rows = table[table.metric == metric]
    names = list(dict.fromkeys([*rows.component_a, *rows.component_b]))
    grid = np.full((len(names), len(names)), np.nan)
    extra = _extra_cost(rows, higher_is_better)
    for (row, cost) in zip(rows.itertuples(), extra, strict=True):
        i, j = names.index(row.component_a), names.index(row.component_b)
        grid[i, j] = grid[j, i] = cost
    size = 1.6 + 0.6 * len(names)
    fig = Figure(figsize=(size + 1.6, size), layout="constrained")
    ax = fig.add_subplot()
    limit = float(np.nanmax(np.abs(grid))) or 1.0
    image = ax.imshow(grid, cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    for row, cost in zip(rows.itertuples(), extra, strict=True):
        i, j = names.index(row.component_a), names.index(row.component_b)
        mark = "*" if row.kind in (Interaction.REDUNDANT, Interaction.COMPLEMENTARY) else ""
        for y, x in ((i, j), (j, i)):
            ax.text(x, y, f"{fmt_num(cost)}{mark}", ha="center", va="center", fontsize=8,
                    color="white" if abs(cost) > 0.6 * limit else "black")
    fig.colorbar(image, ax=ax, label=f"extra {metric} cost of removing both")
    ax.set_title(f"Pairwise interactions ({metric})\nblue: redundant, red: complementary, *: significant", fontsize=10)
    return figure_png(fig)
