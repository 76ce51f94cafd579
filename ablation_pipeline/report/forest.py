"""The forest plot: Δ = variant − baseline with its CI per variant, coloured by verdict. Drawn on a
bare matplotlib Figure with an Agg canvas (no pyplot state), so it is safe in threads and
processes, and byte-for-byte reproducible (no timestamps, no Software tag)."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..evaluation.insights import computed
from ..vocabulary import Direction, Verdict
from .context import check_columns, interval_columns, rows_for
from .formatting import fmt_num, p_label

# Okabe-Ito colour-blind-safe palette, plus a distinct marker per verdict so grey-scale works too.
# A failed variant has no Δ to draw.
VERDICT_STYLE: dict[Verdict, tuple[str, str]] = {
    Verdict.ESSENTIAL: ("#D55E00", "o"),
    Verdict.HARMFUL: ("#0072B2", "s"),
    Verdict.REMOVABLE: ("#009E73", "D"),
    Verdict.INCONCLUSIVE: ("#7F7F7F", "o"),
}
_UNKNOWN_STYLE = ("#000000", "x")
MAX_ROWS = 40  # rows a forest plot shows at most: the largest effects (a taller figure reads as nothing)


def forest_plot_png(
    comparison: pd.DataFrame,
    metric: str,
    higher_is_better: bool,
    margin: float | None = None,
) -> bytes:
    """The forest plot (`forest_figure`) as PNG bytes."""
    buf = io.BytesIO()
    forest_figure(comparison, metric, higher_is_better, margin).savefig(
        buf, format="png", dpi=120, facecolor="white", metadata={"Software": None})
    return buf.getvalue()


def forest_figure(
    comparison: pd.DataFrame,
    metric: str,
    higher_is_better: bool,
    margin: float | None = None,
) -> Figure:
    """A forest plot of Δ = variant − baseline with its CI, one row per variant.

    Rows keep the table's order (top to bottom); points and bars are coloured by verdict.
    A solid line marks Δ = 0, a dashed line the non-inferiority margin on the side where the
    variant is worse (the region beyond it is lightly shaded). Adjusted p-values are printed
    on the right. The figure grows in height with the number of variants, up to MAX_ROWS of them:
    beyond that it shows the largest effects (|Δ|) and its title says how many of how many.
    """
    check_columns(comparison)
    every = computed(rows_for(comparison, metric))
    if every.empty:
        raise ValueError(f"comparison table has no rows for metric '{metric}'")
    rows = largest_effects(every, MAX_ROWS)

    direction = Direction.of(higher_is_better)
    n = len(rows)
    labels = [str(v) for v in rows["variant"]]
    delta = rows["delta"].to_numpy(dtype=float)
    low, high, _ = interval_columns(rows.columns)
    lo = rows[low].to_numpy(dtype=float)
    hi = rows[high].to_numpy(dtype=float)
    verdicts = [str(v) for v in rows["verdict"]]
    p_adj = rows["p_adjusted"].to_numpy(dtype=float)
    ys = np.arange(n, dtype=float)

    # side where the variant is worse: -1 (left) if higher is better, +1 (right) otherwise
    worse = -1.0 if higher_is_better else 1.0
    margin_x = None
    if margin is not None and math.isfinite(float(margin)) and float(margin) > 0:
        margin_x = worse * abs(float(margin))

    finite = [v for v in np.concatenate([delta, lo, hi]) if math.isfinite(v)]
    finite.append(0.0)
    if margin_x is not None:
        finite.append(margin_x)
    x_min, x_max = min(finite), max(finite)
    span = x_max - x_min
    if span <= 0:
        span = 0.2 * max(abs(x_min), abs(x_max)) or 1.0
    pad = 0.08 * span
    x_left, x_right = x_min - pad, x_max + pad

    height = 1.9 + 0.42 * n
    fig = Figure(figsize=(8.0, height), dpi=120, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    ax.set_xlim(x_left, x_right)
    ax.set_ylim(n - 0.5, -0.5)  # first variant on top

    # degradation region beyond the margin, the zero line, the margin line
    if margin_x is not None:
        edge = x_left if worse < 0 else x_right
        ax.axvspan(min(margin_x, edge), max(margin_x, edge), color="#D55E00", alpha=0.06, lw=0, zorder=0)
        ax.axvline(margin_x, color="#555555", ls="--", lw=1.2, zorder=1)
    ax.axvline(0.0, color="#222222", lw=1.0, zorder=1)

    # one artist per verdict (not three per row): drawing time stays flat in the number of variants
    a = np.where(np.isfinite(lo), lo, np.where(lo < 0, x_left, x_right))
    b = np.where(np.isfinite(hi), hi, np.where(hi > 0, x_right, x_left))
    for verdict in dict.fromkeys(verdicts):
        colour, marker = VERDICT_STYLE.get(verdict, _UNKNOWN_STYLE)
        rows_of = np.array([v == verdict for v in verdicts])
        ax.hlines(ys[rows_of], a[rows_of], b[rows_of], color=colour, lw=2.2, zorder=2)
        for end, raw in ((a, lo), (b, hi)):
            capped = rows_of & np.isfinite(raw)
            ax.vlines(end[capped], ys[capped] - 0.15, ys[capped] + 0.15, color=colour, lw=1.6, zorder=2)
            for side, head in ((x_left, "<"), (x_right, ">")):  # an unbounded CI ends in an arrow head at the edge
                open_end = rows_of & ~np.isfinite(raw) & (end == side)
                if open_end.any():
                    ax.plot(end[open_end], ys[open_end], marker=head, ms=7, color=colour, ls="none", zorder=2, clip_on=False)
        shown = rows_of & np.isfinite(delta)
        ax.plot(delta[shown], ys[shown], marker=marker, ms=8, color=colour, mec="white", mew=0.8, ls="none", zorder=3)

    ax.set_yticks(ys, labels)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.grid(axis="x", color="#DDDDDD", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    worse_word = "left" if higher_is_better else "right"
    ax.set_xlabel(f"Δ {metric} = variant − baseline   ({worse_word} is worse)")
    subset = "" if n == len(every) else f"\nthe {n} of {len(every)} variants with the largest |Δ| (all are in the table)"
    ax.set_title(
        f"{metric}: effect of removing each component\n"
        f"{direction}, so {direction.worse_side} means the variant is worse{subset}",
        fontsize=11,
    )

    # adjusted p-values on the right-hand side
    ax_p = ax.twinx()
    ax_p.set_ylim(ax.get_ylim())
    ax_p.set_yticks(ys, [p_label(p) for p in p_adj])
    ax_p.tick_params(axis="y", length=0, pad=8, labelsize=9, labelcolor="#444444")
    for side in ("top", "right", "left"):
        ax_p.spines[side].set_visible(False)
    ax_p.set_ylabel("adjusted p", color="#444444", fontsize=9)

    handles = [
        Line2D([], [], color=VERDICT_STYLE[v][0], marker=VERDICT_STYLE[v][1], lw=2.2, ms=7, label=v)
        for v in VERDICT_STYLE
    ]
    extra = sorted({v for v in verdicts if v not in VERDICT_STYLE})
    handles += [Line2D([], [], color=_UNKNOWN_STYLE[0], marker=_UNKNOWN_STYLE[1], lw=2.2, label=v) for v in extra]
    handles.append(Line2D([], [], color="#222222", lw=1.0, label="no change (Δ = 0)"))
    if margin_x is not None:
        handles.append(Line2D([], [], color="#555555", ls="--", lw=1.2,
                              label=f"non-inferiority margin ({fmt_num(margin_x, signed=True)})"))
    legend = fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=min(len(handles), 3),
                        frameon=False, fontsize=9)
    fit_margins(fig, ax, ax_p, legend)
    return fig


def largest_effects(rows: pd.DataFrame, most: int) -> pd.DataFrame:
    """The `most` rows with the largest |Δ| (the earlier row first among equals), in the table's order
    (all of them when there are no more)."""
    if len(rows) <= most:
        return rows
    magnitude = rows["delta"].abs().fillna(np.inf).to_numpy()
    chosen = np.lexsort((np.arange(len(rows)), -magnitude))[:most]
    return rows.iloc[np.sort(chosen)]


def fit_margins(fig: Figure, ax, ax_p, legend) -> None:
    """Room for the labels around the axes, measured once from the drawn text (matplotlib's
    constrained layout measures every tick label several times over: seconds at a hundred variants)."""
    renderer = fig.canvas.get_renderer()
    pad = 6.0  # pixels between neighbouring texts, and from the figure's edge
    width, height = fig.bbox.width, fig.bbox.height

    def widest(texts) -> float:
        return max((t.get_window_extent(renderer).width for t in texts if t.get_text()), default=0.0)

    left = widest(ax.get_yticklabels()) + 2 * pad
    right = widest(ax_p.get_yticklabels()) + ax_p.yaxis.label.get_window_extent(renderer).width + 4 * pad
    top = ax.title.get_window_extent(renderer).height + 3 * pad
    tick_height = max((t.get_window_extent(renderer).height for t in ax.get_xticklabels()), default=0.0)
    bottom = (legend.get_window_extent(renderer).height + ax.xaxis.label.get_window_extent(renderer).height
              + tick_height + 6 * pad)
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height)
