"""The insight plots: dose-response curves of swept components, Δ against cost for the retrained
variants, and the heat map of pairwise interactions. Bare matplotlib Figures on an Agg canvas, as the forest plot."""

from __future__ import annotations

import io
import textwrap

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..evaluation.insights import cost_plot_shows, dose_responses, retrained_costs
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


NAMED_POINTS = 8  # the cost plot names the baseline, the simplified model and the variants with the largest |Δ|, as fit
AXES = [("n_parameters", "parameters_simplified", "learned parameters"),
        ("fit_seconds_per_split", "fit_seconds_simplified", "fit seconds per split (warm)")]


def cost_figure(comparison: pd.DataFrame, costs: pd.DataFrame, metric: str, simplified: pd.DataFrame | None = None) -> Figure:
    """Δ of the primary metric against parameter count and fit time, for the retrained variants (an
    inference-time knock-out costs what the baseline costs), with the baseline as a star at Δ = 0 and the
    simplified model, when there is one, as a diamond. It names the baseline, the simplified model and
    the variants with the largest |Δ|, each only where its label overlaps no other text and stays inside
    the figure (the rest are points; costs.csv names every one)."""
    rows = retrained_costs(comparison, costs, metric)
    base = costs[costs.variant == "baseline"]
    lean = None if simplified is None else simplified[simplified.metric == metric]
    axes = [axis for axis in AXES if _known(rows, base, axis[0])] or AXES[-1:]  # an estimator without a parameter count: time only
    fig = Figure(figsize=(4.8 * len(axes) - 0.6, 3.8))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.09 * 2 / len(axes), right=0.98, bottom=0.15, top=0.9, wspace=0.3)
    labels = []
    for i, (column, lean_column, label) in enumerate(axes):
        ax = fig.add_subplot(1, len(axes), i + 1)
        shown = rows[rows[column].notna() & (rows[column] > 0)]
        ax.scatter(shown[column], shown["delta"], color="#D55E00", s=18)
        points = []
        if not base.empty and pd.notna(base[column].iloc[0]):
            ax.scatter(base[column], [0.0], marker="*", s=140, color="black", zorder=3)
            points.append(("baseline", float(base[column].iloc[0]), 0.0))
        if lean is not None and not lean.empty and pd.notna(lean[lean_column].iloc[0]):
            ax.scatter(lean[lean_column], lean["delta"], marker="D", s=50, color="#0072B2", zorder=3)
            points.append(("simplified", float(lean[lean_column].iloc[0]), float(lean["delta"].iloc[0])))
        points += [(row.variant, getattr(row, column), row.delta)
                   for row in shown.loc[shown["delta"].abs().nlargest(NAMED_POINTS).index].itertuples()]
        labels += [_label(ax, *point) for point in points]
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel(f"Δ {metric}")
    words = f"{metric}: what each retrained variant changes, against what it costs"
    title = fig.suptitle(words if len(axes) > 1 else textwrap.fill(words, 48), fontsize=10)
    keep_apart(fig, labels, title)
    return fig


def _known(rows: pd.DataFrame, base: pd.DataFrame, column: str) -> bool:
    """Whether any retrained variant or the baseline has a positive value on this axis."""
    return bool((rows[column].fillna(0) > 0).any() or (not base.empty and (base[column].fillna(0) > 0).any()))


def _label(ax, text: str, x: float, y: float):
    """A point's name beside it (keep_apart moves it to the side where it can be read)."""
    return ax.annotate(text, (x, y), fontsize=7, xytext=PLACES[0][:2], textcoords="offset points", ha=PLACES[0][2])


PLACES = [(4, 4, "left"), (-4, 4, "right"), (4, -11, "left"), (-4, -11, "right")]  # offsets in points: NE, NW, SE, SW


def keep_apart(fig: Figure, labels: list, title) -> None:
    """Place each label (in order of priority: the first ones choose first) on the first side of its
    point where it overlaps no label placed before it, the title or an axis's text and stays inside the
    figure; a label with no such side is not drawn: what a reader cannot read is left to costs.csv."""
    fig.draw_without_rendering()  # tick labels take their final places in a draw (no pixels needed)
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox
    taken = [t.get_window_extent(renderer) for t in [title, *(text for ax in fig.axes for text in axis_text(ax))]]
    for label in labels:
        for dx, dy, align in PLACES:
            label.set_position((dx, dy))
            label.set_horizontalalignment(align)
            box = label.get_window_extent(renderer).expanded(1.2, 1.1)  # small text grows faster than the figure at a higher dpi
            clear = inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
            if clear and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                break
        else:
            label.remove()


def axis_text(ax) -> list:
    """The axis labels of `ax` and the tick labels it draws (a locator may place ticks outside the view)."""
    texts = [ax.xaxis.label, ax.yaxis.label]
    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        low, high = sorted(limits)
        texts += [tick.label1 for tick in axis.get_major_ticks() if low <= tick.get_loc() <= high]
    return [text for text in texts if text.get_visible() and text.get_text()]


def insight_plots(comparison: pd.DataFrame, primary: str, factors: dict[str, float], costs: pd.DataFrame | None,
                  alpha: float, simplified: pd.DataFrame | None = None) -> dict[str, bytes]:
    """File name -> PNG bytes for every insight plot this study has."""
    plots = {}
    base = comparison.loc[comparison.metric == primary, "baseline_mean"]
    for i, (components, curve) in enumerate(dose_responses(comparison, primary, factors).items()):
        plots[f"dose_{i}.png"] = figure_png(dose_figure(curve, components, primary, float(base.iloc[0]), alpha))
    if cost_plot_shows(comparison, costs, primary, simplified):
        plots["costs.png"] = figure_png(cost_figure(comparison, costs, primary, simplified))
    return plots


def _extra_cost(table: pd.DataFrame, higher_is_better: bool) -> pd.Series:
    """The interaction turned so that positive means removing both costs more than the sum (redundant)."""
    return table["interaction"].map(Direction.of(higher_is_better).degradation)


def interaction_heatmap_png(table: pd.DataFrame, metric: str, higher_is_better: bool) -> bytes:
    return figure_png(interaction_figure(table, metric, higher_is_better))


def interaction_figure(table: pd.DataFrame, metric: str, higher_is_better: bool) -> Figure:
    """Components on both axes; each cell the extra cost of removing the pair together, coloured by its
    size against the larger single effect of the pair (blue: redundant, red: complementary; full colour
    where the extra cost is as large as that effect), and drawn pale and hatched where the interaction is
    not significant. The number in each cell is the extra cost itself."""
    rows = table[table.metric == metric]
    names = list(dict.fromkeys([*rows.component_a, *rows.component_b]))
    grid = np.full((len(names), len(names)), np.nan)
    extra = _extra_cost(rows, higher_is_better)
    scale = np.maximum(np.maximum(rows["delta_a"].abs(), rows["delta_b"].abs()).to_numpy(dtype=float), 1e-12)
    decided = rows["kind"].isin([Interaction.REDUNDANT, Interaction.COMPLEMENTARY]).to_numpy()
    for row, cost, anchor in zip(rows.itertuples(), extra, scale, strict=True):
        i, j = names.index(row.component_a), names.index(row.component_b)
        grid[i, j] = grid[j, i] = np.clip(cost / anchor, -1.0, 1.0)
    size = 2.2 + 0.7 * len(names)
    fig = Figure(figsize=(size + 1.8, size + 0.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="RdBu", vmin=-1.0, vmax=1.0)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    for row, cost, significant in zip(rows.itertuples(), extra, decided, strict=True):
        i, j = names.index(row.component_a), names.index(row.component_b)
        for y, x in ((i, j), (j, i)):
            if not significant:  # undecided: pale and hatched, whatever its estimate
                ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor="#EEEEEE", edgecolor="#999999", hatch="///", lw=0))
            ax.text(x, y, f"{fmt_num(cost)}" + ("" if significant else "\n(n.s.)"), ha="center", va="center", fontsize=8,
                    color="white" if significant and abs(grid[y, x]) > 0.6 else "black")
    fig.colorbar(image, ax=ax, label="extra cost / larger single Δ", shrink=0.8)
    ax.set_title("\n".join(textwrap.wrap(f"Pairwise interactions on {metric}: blue redundant, red complementary, "
                                          "hatched not significant", width=int(10 * (size + 1.8)))), fontsize=9)
    fig.tight_layout()
    return fig
