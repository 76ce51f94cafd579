"""Human-readable ablation report: a Markdown summary plus one forest plot (PNG) per metric.

Dagster-free.  Plots are drawn on a bare :class:`matplotlib.figure.Figure` attached to an Agg
canvas, so nothing here touches pyplot's global figure manager or the process-wide backend;
it is safe to call from several threads or processes at once.  PNG output is byte-for-byte
reproducible for the same input (no timestamps, no ``Software`` tag).
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .outputs import atomic_write_bytes
from .report_insights import insight_markdown, insight_plots

COLUMNS: tuple[str, ...] = (
    "variant", "kind", "mode", "components", "metric", "baseline_mean", "variant_mean", "delta",
    "ci_low", "ci_high", "t", "df", "p_value", "p_adjusted", "effect_size_dz", "n_splits", "verdict",
)

VERDICTS: tuple[str, ...] = ("essential", "harmful", "removable", "inconclusive")

VERDICT_MEANING: dict[str, str] = {
    "essential": "the model is significantly worse without it",
    "harmful": "the model is significantly better without it",
    "removable": "non-inferior: removing it costs less than the margin",
    "inconclusive": "neither: the data cannot tell",
}

# Okabe-Ito colour-blind-safe palette, plus a distinct marker per verdict so grey-scale works too.
_VERDICT_STYLE: dict[str, tuple[str, str]] = {
    "essential": ("#D55E00", "o"),
    "harmful": ("#0072B2", "s"),
    "removable": ("#009E73", "D"),
    "inconclusive": ("#7F7F7F", "o"),
}
_UNKNOWN_STYLE = ("#000000", "x")

_CORRECTION_NAMES: dict[str, str] = {
    "holm": "Holm",
    "bonferroni": "Bonferroni",
    "hochberg": "Hochberg",
    "bh": "Benjamini–Hochberg (FDR)",
    "fdr_bh": "Benjamini–Hochberg (FDR)",
    "by": "Benjamini–Yekutieli (FDR)",
    "fdr_by": "Benjamini–Yekutieli (FDR)",
    "none": "no",
}

_MODE_MEANING = ("drop = refit without it, permute = its values shuffled, mean = replaced by its training mean; "
                 "for layers: remove = rebuilt without it and retrained, zero / mean / resample = its output replaced "
                 "by zeros / its mean activation / another row's activation, random = its weights re-initialized, "
                 "scale = its weights multiplied by a factor (all at inference, on the trained baseline)")


@dataclass(frozen=True)
class ReportContext:
    """Everything about the study the report needs besides the comparison table."""

    study: str
    description: str
    primary_metric: str
    higher_is_better: dict[str, bool]
    alpha: float
    correction: str
    margins: dict[str, float]
    n_splits: int
    folds: int
    repeats: int
    task: str
    model: str
    lineage: dict[str, str]
    omnibus: dict[str, dict] | None = None
    factors: dict[str, float] = field(default_factory=dict)   # variant -> swept factor (scale sweeps)
    costs: pd.DataFrame | None = None                          # insights.COST_COLUMNS
    extra_sections: tuple[str, ...] = ()                       # Markdown lines placed before the lineage


# --------------------------------------------------------------------------------------------
# number formatting


def fmt_num(x: float, signed: bool = False) -> str:
    """4 significant digits, fixed notation for ordinary magnitudes, '∞' for infinities."""
    x = float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return ("+∞" if signed else "∞") if x > 0 else "-∞"
    rounded = float(f"{x:.4g}")  # round first so 9.99996 counts as 10.00, not 9.99996
    if rounded == 0.0:
        return "0"
    mag = abs(rounded)
    if 1e-3 <= mag < 1e6:
        decimals = max(0, 3 - math.floor(math.log10(mag)))
        text = f"{rounded:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{rounded:.4g}"
    if signed and rounded > 0:
        text = "+" + text
    return text


def fmt_p(p: float, alpha: float | None = None) -> str:
    """'<1e-4' for tiny p-values, else 2 significant digits (more if rounding would cross α)."""
    p = float(p)
    if math.isnan(p):
        return "n/a"
    if p < 1e-4:
        return "<1e-4"
    text = f"{p:.2g}"
    if alpha is not None:
        for digits in (2, 3, 4, 6):
            text = f"{p:.{digits}g}"
            shown = float(text)
            if (shown < alpha) == (p < alpha) and (shown <= alpha) == (p <= alpha):
                break
    return text


def _p_label(p: float) -> str:
    text = fmt_p(p)
    return f"p{text}" if text.startswith("<") else f"p={text}"


def _fmt_ci(lo: float, hi: float) -> str:
    return f"[{fmt_num(lo, signed=True)}, {fmt_num(hi, signed=True)}]"


def _confidence_label(alpha: float) -> str:
    return f"{round((1.0 - float(alpha)) * 100, 6):g}% CI"


# --------------------------------------------------------------------------------------------
# Markdown helpers


def _cell(text: object) -> str:
    """A table cell: one line, pipes escaped."""
    s = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return s.replace("|", "\\|")


def _code(text: object) -> str:
    """An inline code span that survives backticks inside the text."""
    s = str(text)
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _link_target(name: str) -> str:
    return f"<{name}>" if re.search(r"[\s()<>]", name) else name


def _correction_name(correction: str) -> str:
    return _CORRECTION_NAMES.get(str(correction).strip().lower(), str(correction))


def _worse_side(higher_is_better: bool) -> str:
    return "Δ < 0" if higher_is_better else "Δ > 0"


def _direction_words(higher_is_better: bool) -> str:
    return "higher is better" if higher_is_better else "lower is better"


# --------------------------------------------------------------------------------------------
# validation


def _check_columns(comparison: pd.DataFrame) -> None:
    missing = [c for c in COLUMNS if c not in comparison.columns]
    if missing:
        raise ValueError(f"comparison table lacks column(s): {', '.join(missing)}")


def _metrics_in_order(comparison: pd.DataFrame, primary: str) -> list[str]:
    seen = list(dict.fromkeys(str(m) for m in comparison["metric"]))
    if primary in seen:
        seen.remove(primary)
        seen.insert(0, primary)
    return seen


def _rows_for(comparison: pd.DataFrame, metric: str) -> pd.DataFrame:
    return comparison.loc[comparison["metric"].astype(str) == str(metric)]


def _direction_for(ctx: ReportContext, metric: str) -> bool:
    try:
        return bool(ctx.higher_is_better[metric])
    except KeyError:
        raise ValueError(f"higher_is_better has no entry for metric '{metric}'") from None


# --------------------------------------------------------------------------------------------
# forest plot


def forest_plot_png(
    comparison: pd.DataFrame,
    metric: str,
    higher_is_better: bool,
    margin: float | None = None,
) -> bytes:
    """A forest plot of Δ = variant − baseline with its CI, one row per variant, as PNG bytes.

    Rows keep the table's order (top to bottom); points and bars are coloured by verdict.
    A solid line marks Δ = 0, a dashed line the non-inferiority margin on the side where the
    variant is worse (the region beyond it is lightly shaded).  Adjusted p-values are printed
    on the right.  The figure grows in height with the number of variants.
    """
    _check_columns(comparison)
    rows = _rows_for(comparison, metric)
    if rows.empty:
        raise ValueError(f"comparison table has no rows for metric '{metric}'")

    n = len(rows)
    labels = [str(v) for v in rows["variant"]]
    delta = rows["delta"].to_numpy(dtype=float)
    lo = rows["ci_low"].to_numpy(dtype=float)
    hi = rows["ci_high"].to_numpy(dtype=float)
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
    fig = Figure(figsize=(8.0, height), dpi=120, layout="constrained", facecolor="white")
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

    for i in range(n):
        colour, marker = _VERDICT_STYLE.get(verdicts[i], _UNKNOWN_STYLE)
        a = lo[i] if math.isfinite(lo[i]) else (x_left if lo[i] < 0 else x_right)
        b = hi[i] if math.isfinite(hi[i]) else (x_right if hi[i] > 0 else x_left)
        ax.hlines(ys[i], a, b, color=colour, lw=2.2, zorder=2)
        caps = [x for x, raw in ((a, lo[i]), (b, hi[i])) if math.isfinite(raw)]
        ax.vlines(caps, ys[i] - 0.15, ys[i] + 0.15, color=colour, lw=1.6, zorder=2)
        for x, raw in ((a, lo[i]), (b, hi[i])):  # an unbounded CI ends in an arrow head at the edge
            if not math.isfinite(raw):
                ax.plot(x, ys[i], marker="<" if x <= x_left else ">", ms=7, color=colour, ls="none",
                        zorder=2, clip_on=False)
        if math.isfinite(delta[i]):
            ax.plot(delta[i], ys[i], marker=marker, ms=8, color=colour, mec="white", mew=0.8,
                    ls="none", zorder=3)

    ax.set_yticks(ys, labels)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.grid(axis="x", color="#DDDDDD", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    worse_word = "left" if higher_is_better else "right"
    ax.set_xlabel(f"Δ {metric} = variant − baseline   ({worse_word} is worse)")
    ax.set_title(
        f"{metric}: effect of removing each component\n"
        f"{_direction_words(higher_is_better)}, so {_worse_side(higher_is_better)} means the variant is worse",
        fontsize=11,
    )

    # adjusted p-values on the right-hand side
    ax_p = ax.twinx()
    ax_p.set_ylim(ax.get_ylim())
    ax_p.set_yticks(ys, [_p_label(p) for p in p_adj])
    ax_p.tick_params(axis="y", length=0, pad=8, labelsize=9, labelcolor="#444444")
    for side in ("top", "right", "left"):
        ax_p.spines[side].set_visible(False)
    ax_p.set_ylabel("adjusted p", color="#444444", fontsize=9)

    handles = [
        Line2D([], [], color=_VERDICT_STYLE[v][0], marker=_VERDICT_STYLE[v][1], lw=2.2, ms=7, label=v)
        for v in VERDICTS
    ]
    extra = sorted({v for v in verdicts if v not in _VERDICT_STYLE})
    handles += [Line2D([], [], color=_UNKNOWN_STYLE[0], marker=_UNKNOWN_STYLE[1], lw=2.2, label=v) for v in extra]
    handles.append(Line2D([], [], color="#222222", lw=1.0, label="no change (Δ = 0)"))
    if margin_x is not None:
        handles.append(Line2D([], [], color="#555555", ls="--", lw=1.2,
                              label=f"non-inferiority margin ({fmt_num(margin_x, signed=True)})"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3),
               frameon=False, fontsize=9)

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, facecolor="white", metadata={"Software": None})
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Markdown


def _how_to_read(comparison: pd.DataFrame, ctx: ReportContext, metrics: Sequence[str]) -> str:
    correction = _correction_name(ctx.correction)
    margin_parts = []
    for m in metrics:
        hib = _direction_for(ctx, m)
        margin = ctx.margins.get(m)
        if margin is None:
            margin_parts.append(f"{m}: none ({_direction_words(hib)})")
        else:
            margin_parts.append(f"{m}: {fmt_num(abs(float(margin)))} ({_direction_words(hib)})")
    margins = "; ".join(margin_parts) if margin_parts else "none"
    verdicts = "; ".join(f"**{v}** – {VERDICT_MEANING[v]}" for v in VERDICTS)
    return (
        "**How to read this.** Each variant takes one or more components out of the model "
        f"({_MODE_MEANING}) and is evaluated on the same {ctx.n_splits} cross-validation splits "
        f"({ctx.repeats} repeats × {ctx.folds} folds) as the baseline. For every variant and metric, "
        "Δ = variant − baseline is tested with the corrected repeated cross-validation t-test "
        "(Nadeau & Bengio 2003; Bouckaert & Frank 2004), whose variance correction accounts for the "
        "overlap between training sets; p-values are adjusted across variants with the "
        f"{correction} correction and compared with α = {ctx.alpha:g}, and the CI is the "
        f"{_confidence_label(ctx.alpha)} of Δ. Δ is in the metric's own units, so for a "
        "lower-is-better metric a positive Δ is a loss. Non-inferiority margins (absolute): "
        f"{margins}. Verdicts: {verdicts}. "
        "dz is the paired effect size (mean Δ over the standard deviation of the per-split Δ); "
        "±∞ means Δ was the same on every split (zero variance)."
    )


def _verdict_summary(comparison: pd.DataFrame, ctx: ReportContext) -> list[str]:
    metric = ctx.primary_metric
    rows = _rows_for(comparison, metric)
    lines = [f"## Verdicts ({metric}, primary metric)", ""]
    if rows.empty:
        lines += [f"No results for the primary metric {_code(metric)}.", ""]
        return lines
    counts = {v: int((rows["verdict"].astype(str) == v).sum()) for v in VERDICTS}
    others = sorted(set(rows["verdict"].astype(str)) - set(VERDICTS))
    counts.update({v: int((rows["verdict"].astype(str) == v).sum()) for v in others})
    tally = ", ".join(f"{c} {v}" for v, c in counts.items() if c)
    lines += [f"{len(rows)} variant(s): {tally}.", ""]
    for v in (*VERDICTS, *others):
        sub = rows.loc[rows["verdict"].astype(str) == v]
        meaning = VERDICT_MEANING.get(v, "")
        head = f"- **{v}**" + (f" ({meaning})" if meaning else "")
        if sub.empty:
            lines.append(f"{head}: none")
        else:
            items = ", ".join(
                f"{_code(r.components)} ({_code(r.variant)}, {r.mode})" for r in sub.itertuples(index=False)
            )
            lines.append(f"{head}: {items}")
    lines.append("")
    return lines


def _metric_section(
    comparison: pd.DataFrame, ctx: ReportContext, metric: str, plot_files: Mapping[str, str]
) -> list[str]:
    rows = _rows_for(comparison, metric)
    hib = _direction_for(ctx, metric)
    tag = "primary metric, " if metric == ctx.primary_metric else ""
    margin = ctx.margins.get(metric)
    margin_txt = (
        f"non-inferiority margin {fmt_num(abs(float(margin)))}" if margin is not None else "no non-inferiority margin"
    )
    lines = [
        f"## {metric} ({tag}{_direction_words(hib)})",
        "",
        f"Δ = variant − baseline; {_worse_side(hib)} means the variant is worse; {margin_txt}.",
        "",
    ]
    header = ["variant", "mode", "components", "baseline", "variant mean", "Δ",
              _confidence_label(ctx.alpha), "p (adj.)", "dz", "verdict"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---", "---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---"]) + "|")
    for r in rows.itertuples(index=False):
        cells = [
            _code(r.variant),
            str(r.mode),
            _code(r.components),
            fmt_num(r.baseline_mean),
            fmt_num(r.variant_mean),
            fmt_num(r.delta, signed=True),
            _fmt_ci(r.ci_low, r.ci_high),
            fmt_p(r.p_adjusted, ctx.alpha),
            fmt_num(r.effect_size_dz, signed=True),
            str(r.verdict),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    omnibus = (ctx.omnibus or {}).get(metric)
    if omnibus:
        lines += [_omnibus_line(omnibus), ""]
    if metric in plot_files:
        lines += [f"![forest plot]({_link_target(plot_files[metric])})", ""]
    return lines


def _omnibus_line(o: Mapping[str, object]) -> str:
    def num(key: str) -> str:
        v = o.get(key)
        return fmt_num(float(v)) if v is not None else "?"

    p = o.get("p_value")
    p_txt = fmt_p(float(p)) if p is not None else "?"
    p_txt = f"< {p_txt[1:]}" if p_txt.startswith("<") else f"= {p_txt}"
    return (
        f"Omnibus ANOVA across all variants: F({num('df_num')}, {num('df_den')}) = {num('F')}, "
        f"p {p_txt}."
    )


def _lineage(ctx: ReportContext) -> list[str]:
    lines = ["## Lineage", "", "| item | value |", "|---|---|"]
    items: list[tuple[str, str]] = [
        ("study", ctx.study),
        ("model", ctx.model),
        ("task", ctx.task),
        ("splits", f"{ctx.n_splits} ({ctx.repeats} repeats × {ctx.folds} folds)"),
        ("α", f"{ctx.alpha:g}"),
        ("correction", str(ctx.correction)),
        ("primary metric", ctx.primary_metric),
    ]
    items += [(str(k), str(v)) for k, v in ctx.lineage.items()]
    for k, v in items:
        lines.append(f"| {_cell(k)} | {_cell(v)} |")
    lines.append("")
    return lines


def render_markdown(comparison: pd.DataFrame, ctx: ReportContext, plot_files: dict[str, str]) -> str:
    """The full report as Markdown; ``plot_files`` maps metric -> relative PNG file name."""
    _check_columns(comparison)
    metrics = _metrics_in_order(comparison, ctx.primary_metric)
    for m in metrics:
        _direction_for(ctx, m)

    lines = [f"# Ablation study: {ctx.study}", ""]
    if ctx.description and str(ctx.description).strip():
        lines += [str(ctx.description).strip(), ""]
    lines += [_how_to_read(comparison, ctx, metrics), ""]
    if comparison.empty:
        lines += ["The comparison table is empty: there are no variants to report.", ""]
    else:
        lines += _verdict_summary(comparison, ctx)
        for m in metrics:
            lines += _metric_section(comparison, ctx, m, plot_files)
        lines += insight_markdown(comparison, ctx.primary_metric, ctx.factors, ctx.costs, fmt_num)
    lines += list(ctx.extra_sections)
    lines += _lineage(ctx)
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------
# files


def _safe_name(metric: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(metric)).strip("._") or "metric"
    return name


def write_report(comparison: pd.DataFrame, ctx: ReportContext, out_dir: Path) -> dict[str, Path]:
    """Write ``forest_<metric>.png`` for every metric and then ``report.md`` into ``out_dir``.

    Every file is written atomically; the plots go first so the report never points at a
    missing image.  Returns {"report": path, "forest_<metric>": path, ...}.
    """
    _check_columns(comparison)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = _metrics_in_order(comparison, ctx.primary_metric)

    paths: dict[str, Path] = {}
    plot_files: dict[str, str] = {}
    used: set[str] = {"report"}
    for m in metrics:
        stem = f"forest_{_safe_name(m)}"
        k = 2
        while stem.lower() in used:  # two metric names that sanitise alike
            stem = f"forest_{_safe_name(m)}_{k}"
            k += 1
        used.add(stem.lower())
        png = forest_plot_png(comparison, m, _direction_for(ctx, m), ctx.margins.get(m))
        path = out_dir / f"{stem}.png"
        atomic_write_bytes(path, png)
        paths[f"forest_{m}"] = path
        plot_files[m] = path.name

    if not comparison.empty:
        for name, png in insight_plots(comparison, ctx.primary_metric, ctx.factors, ctx.costs).items():
            paths[f"plot_{name.removesuffix('.png')}"] = atomic_write_bytes(out_dir / name, png)

    report = out_dir / "report.md"
    atomic_write_bytes(report, render_markdown(comparison, ctx, plot_files).encode("utf-8"))
    return {"report": report, **paths}


# --------------------------------------------------------------------------------------------
# inline images

_IMAGE_REF = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\(\s*(?P<target><[^>\n]*>|[^)\s]+)(?P<title>\s+\"[^\"\n]*\")?\s*\)")


def _mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.lstrip()[:5] in (b"<?xml", b"<svg ") or data.lstrip().startswith(b"<svg"):
        return "image/svg+xml"
    return "image/png"


def markdown_with_inline_images(markdown: str, images: dict[str, bytes]) -> str:
    """Replace ``![alt](name)`` references to names in ``images`` with base64 data URIs.

    References to names not in ``images`` are left untouched.  A name also matches as
    ``./name``.
    """

    def sub(match: re.Match[str]) -> str:
        target = match.group("target")
        if target.startswith("<") and target.endswith(">"):
            target = target[1:-1]
        key = target if target in images else (target[2:] if target.startswith("./") else None)
        if key is None or key not in images:
            return match.group(0)
        data = images[key]
        uri = f"data:{_mime(data)};base64,{base64.b64encode(data).decode('ascii')}"
        return f"![{match.group('alt')}]({uri}{match.group('title') or ''})"

    return _IMAGE_REF.sub(sub, markdown)


__all__ = [
    "COLUMNS",
    "VERDICTS",
    "ReportContext",
    "fmt_num",
    "fmt_p",
    "forest_plot_png",
    "markdown_with_inline_images",
    "render_markdown",
    "write_report",
]
