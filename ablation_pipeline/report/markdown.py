"""The report as Markdown: how to read it, the verdicts, one table per metric, the insight and
simplified-model sections, and the lineage of every number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..vocabulary import Correction, Families, Inference, Mode, Multiplicity, Verdict
from .context import ReportContext, check_columns, direction_for, interval_columns, metrics_in_order, rows_for
from .formatting import cell, code, confidence_label, fmt_ci, fmt_num, fmt_p, link_target, varies
from .sections import insight_markdown, stability_markdown
from .undecided import undecided_markdown

SEQUENTIAL_NOTE = ("; a variant stops taking repeats once its verdict on every metric is settled, and its tests use "
                   "group-sequential boundaries so that stopping early keeps the error rates; where variants took different "
                   "numbers of splits, a table's splits column says how many (the baseline mean beside it is over the same "
                   "splits)")
BAYESIAN_NOTE = ("Verdicts read the Bayesian correlated t-test (Corani & Benavoli 2015) with the margin as the region "
                 "of practical equivalence: essential (harmful) when P(worse (better) by more than the margin) ≥ 1 − α, "
                 "removable when P(worse by more than the margin) ≤ α. ")


def correction_label(correction: str) -> str:
    """'Holm' for 'holm': the name a reader knows the method by."""
    return Correction(correction).label if correction in Correction.names() else str(correction)


def modes_meaning(comparison: pd.DataFrame) -> str:
    """'drop = refit without it; ...' for the modes this study uses, in the vocabulary's order."""
    used = {str(m) for m in comparison["mode"]} if "mode" in comparison else set()
    modes = [mode for mode in Mode if mode in used] or list(Mode)
    return "; ".join(f"{mode} = {mode.meaning}" for mode in modes)


def _how_to_read(comparison: pd.DataFrame, ctx: ReportContext, metrics: Sequence[str]) -> str:
    correction = correction_label(ctx.correction)
    margin_parts = []
    for m in metrics:
        direction = direction_for(ctx, m)
        margin = ctx.margins.get(m)
        if margin is None:
            margin_parts.append(f"{m}: none ({direction})")
        else:
            margin_parts.append(f"{m}: {fmt_num(abs(float(margin)))} ({direction})")
    margins = "; ".join(margin_parts) if margin_parts else "none"
    verdicts = "; ".join(f"**{v}** – {v.meaning}" for v in Verdict)
    adjusted = interval_columns(comparison.columns)[2]
    interval = (f"the interval is the {confidence_label(ctx.alpha)} adjusted like the verdicts (it excludes 0 exactly "
                "when the adjusted p is below α; comparison.csv also has the unadjusted ci_low and ci_high)"
                if adjusted else f"the CI is the (unadjusted) {confidence_label(ctx.alpha)} of Δ")
    held_out = ctx.folds == 1  # one held-out split (evaluation.holdout): a K-fold design has at least two
    method = ("is evaluated on the same held-out rows as the baseline, whose model is fitted (or loaded from its checkpoint) "
              f"once ({ctx.design}). For every variant and metric, Δ = variant − baseline is tested with a paired z-test on the "
              "per-row differences (each row's correctness, loss or error, variant minus baseline): the rows are independent "
              "given the model, so their spread is the test's variance (for correctness, each claim's null's: McNemar's "
              "for a difference, Nam's at the margin for removable). Verdicts are about this fitted model, not about "
              "retraining it"
              if held_out else
              f"is evaluated on the same cross-validation splits as the baseline ({ctx.design}"
              f"{SEQUENTIAL_NOTE if 'auto' in ctx.design else ''}). For every variant and metric, "
              "Δ = variant − baseline is tested with the corrected repeated cross-validation t-test "
              "(Nadeau & Bengio 2003; Bouckaert & Frank 2004), whose variance correction accounts for the "
              "overlap between training sets")
    return (
        "**How to read this.** Each variant takes one or more components out of the model "
        f"({modes_meaning(comparison)}) and {method}; {_adjustment(ctx, correction)} and compared with α = {ctx.alpha:g}; "
        f"{interval}. "
        f"{BAYESIAN_NOTE if ctx.test == Inference.BAYESIAN else ''}Δ is in the metric's own units, so for a "
        "lower-is-better metric a positive Δ is a loss. Non-inferiority margins: "
        f"{margins}. Verdicts: {verdicts}. "
        f"{HELD_OUT_DZ if held_out else SPLITS_DZ}"
    )


SPLITS_DZ = ("dz is the paired effect size (mean Δ over the standard deviation of the per-split Δ); ±∞ means Δ was the "
             "same on every split (zero variance).")
HELD_OUT_DZ = ("dz is Δ over its standard deviation as the held-out rows tell it (with one split, the z statistic); ±∞ means "
               "every row differed by the same amount.")


def _adjustment(ctx: ReportContext, correction: str) -> str:
    """Which p-values share an error rate across variants, in words (statistics.multiplicity, .families)."""
    across = "the variants of each ablation mode" if ctx.families == Families.MODE else "variants"
    if ctx.multiplicity == Multiplicity.ALL_CLAIMS:
        every = "each ablation mode's variants" if ctx.families == Families.MODE else "every variant"
        return f"both claims of {every} are adjusted as one family ({correction}, Shaffer-restricted)"
    if ctx.multiplicity == Multiplicity.PER_CLAIM:
        return (f"the essential/harmful and the removable p-values are each adjusted across {across} with the "
                f"{correction} correction")
    return (f"the essential/harmful p-values are adjusted across {across} with the {correction} correction, and "
            "each removable claim (worse by less than the margin) is tested on its own")


def _verdict_summary(comparison: pd.DataFrame, ctx: ReportContext) -> list[str]:
    metric = ctx.primary_metric
    rows = rows_for(comparison, metric)
    lines = [f"## Verdicts ({metric}, primary metric)", ""]
    if rows.empty:
        lines += [f"No results for the primary metric {code(metric)}.", ""]
        return lines
    counts = {v: int((rows["verdict"].astype(str) == v).sum()) for v in Verdict}
    others = sorted(set(rows["verdict"].astype(str)) - set(Verdict.names()))
    counts.update({v: int((rows["verdict"].astype(str) == v).sum()) for v in others})
    tally = ", ".join(f"{c} {v}" for v, c in counts.items() if c)
    lines += [f"{len(rows)} variant(s): {tally}.", ""]
    for v in (*Verdict, *others):
        sub = rows.loc[rows["verdict"].astype(str) == v]
        if v == Verdict.FAILED and sub.empty:
            continue
        meaning = getattr(v, "meaning", "")
        head = f"- **{v}**" + (f" ({meaning})" if meaning else "")
        if sub.empty:
            lines.append(f"{head}: none")
        else:
            why = (lambda r: f": {getattr(r, 'reason', '')}") if v == Verdict.FAILED else (lambda r: "")
            items = ", ".join(f"{code(r.components)} ({code(r.variant)}, {r.mode}{why(r)})" for r in sub.itertuples(index=False))
            lines.append(f"{head}: {items}")
    lines.append("")
    return lines


def _metric_section(
    comparison: pd.DataFrame, ctx: ReportContext, metric: str, plot_files: Mapping[str, str]
) -> list[str]:
    rows = rows_for(comparison, metric)
    direction = direction_for(ctx, metric)
    tag = "primary metric, " if metric == ctx.primary_metric else ""
    margin = ctx.margins.get(metric)
    margin_txt = (
        f"non-inferiority margin {fmt_num(abs(float(margin)))}" if margin is not None else "no non-inferiority margin"
    )
    lines = [
        f"## {metric} ({tag}{direction})",
        "",
        f"Δ = variant − baseline; {direction.worse_side} means the variant is worse; {margin_txt}.",
        "",
    ]
    low, high, adjusted = interval_columns(comparison.columns)
    splits = "n_splits" in rows and varies(rows["n_splits"])  # repeats: auto; each baseline mean is over its variant's splits
    header = ["variant", "mode", "components", *(["splits"] if splits else []), "baseline", "variant mean", "Δ",
              f"{confidence_label(ctx.alpha)}{' (adj.)' if adjusted else ''}", "p (adj.)", "dz", "verdict"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 4) + ["---"]) + "|")
    for r in rows.itertuples(index=False):
        cells = [
            code(r.variant),
            str(r.mode),
            code(r.components),
            *([fmt_num(r.n_splits)] if splits else []),
            fmt_num(r.baseline_mean),
            fmt_num(r.variant_mean),
            fmt_num(r.delta, signed=True),
            fmt_ci(getattr(r, low), getattr(r, high)),
            fmt_p(r.p_adjusted, ctx.alpha),
            fmt_num(r.effect_size_dz, signed=True),
            str(r.verdict),
        ]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    lines.append("")
    omnibus = (ctx.omnibus or {}).get(metric)
    if omnibus:
        lines += [_omnibus_line(omnibus), ""]
    if metric in plot_files:
        lines += [f"![forest plot]({link_target(plot_files[metric])})", ""]
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
        ("splits", f"{ctx.n_splits} planned ({ctx.design})"),
        ("test", str(ctx.test)),
        ("α", f"{ctx.alpha:g}"),
        ("correction", str(ctx.correction)),
        ("primary metric", ctx.primary_metric),
    ]
    items += [(str(k), str(v)) for k, v in ctx.lineage.items()]
    for k, v in items:
        lines.append(f"| {cell(k)} | {cell(v)} |")
    lines.append("")
    return lines


def render_markdown(comparison: pd.DataFrame, ctx: ReportContext, plot_files: dict[str, str]) -> str:
    """The full report as Markdown; `plot_files` maps metric -> relative PNG file name."""
    check_columns(comparison)
    metrics = metrics_in_order(comparison, ctx.primary_metric)
    for m in metrics:
        direction_for(ctx, m)

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
        lines += undecided_markdown(comparison, ctx.primary_metric, ctx.design, ctx.folds)
        lines += insight_markdown(comparison, ctx.primary_metric, ctx.factors, ctx.costs, ctx.simplified)
        lines += stability_markdown(comparison, ctx.primary_metric, ctx.factors)
    lines += list(ctx.extra_sections)
    lines += _lineage(ctx)
    return "\n".join(lines).rstrip("\n") + "\n"
