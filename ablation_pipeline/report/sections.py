"""Report sections beyond the per-metric tables: retrain gap, dose-response, costs, and the
simplified model."""

from __future__ import annotations

import pandas as pd

from ..evaluation.insights import dose_responses, retrain_gaps
from ..vocabulary import Verdict
from .context import interval_columns
from .formatting import fmt_num


def insight_markdown(comparison: pd.DataFrame, primary: str, factors: dict[str, float],
                     costs: pd.DataFrame | None) -> list[str]:
    """Markdown lines for the retrain-gap, dose-response and cost sections (empty when not applicable)."""
    lines: list[str] = []
    gaps = retrain_gaps(comparison, primary, factors)
    if not gaps.empty:
        lines += ["## Retrain gap", "",
                  f"Effect on {primary} when the model is retrained without a component minus its effect when "
                  "the component is knocked out of the trained baseline. A gap near 0: the model cannot route around "
                  "the component; a large gap: retraining compensates for it.", "",
                  "| components | retrained | at inference | Δ retrained | Δ inference | gap |", "|---|---|---|---:|---:|---:|"]
        lines += [f"| `{r.components}` | `{r.refit}` | `{r.inference}` | {fmt_num(r.delta_refit, True)} | "
                  f"{fmt_num(r.delta_inference, True)} | {fmt_num(r.retrain_gap, True)} |" for r in gaps.itertuples()]
        lines.append("")
    curves = dose_responses(comparison, primary, factors)
    if curves:
        lines += ["## Dose-response", ""]
        for i, components in enumerate(curves):
            lines += [f"![{primary} vs scale of {components}](dose_{i}.png)", ""]
    if costs is not None and not costs.empty:
        lines += ["## Cost", "", "| variant | parameters | fit s / split | inference ms / 1,000 rows |", "|---|---:|---:|---:|"]
        lines += [f"| `{r.variant}` | {'n/a' if pd.isna(r.n_parameters) else f'{r.n_parameters:,.0f}'} | "
                  f"{fmt_num(r.fit_seconds_per_split)} | {fmt_num(r.inference_ms_per_1000_rows)} |" for r in costs.itertuples()]
        lines += ["", "![cost](costs.png)", ""]
    return lines


#: What the simplified model's verdict says about taking the removable components out together.
SIMPLIFIED_READING = {
    Verdict.REMOVABLE: "still non-inferior (worse by less than the margin, if at all)",
    Verdict.HARMFUL: "**better** than the baseline: the components taken out were costing performance together",
    Verdict.ESSENTIAL: "**worse** than the baseline: the removals interact (components each removable alone stand in "
                       "for each other)",
    Verdict.INCONCLUSIVE: "**inconclusive**: neither shown non-inferior nor shown worse",
    Verdict.FAILED: "**failed**",
}


def simplified_markdown(table: pd.DataFrame | None, removed: tuple[str, ...] | None) -> list[str]:
    """The report's "Simplified model" section: `removed` lists what was taken out together (None:
    switched off, empty: nothing was removable); `table` is simplified.csv (None when nothing ran)."""
    if removed is None:
        return []
    lines = ["## Simplified model", ""]
    if not removed or table is None:
        return lines + ["No retrained variant was judged removable on the primary metric: nothing to take out together.", ""]
    primary = table.iloc[0]
    low, high, _ = interval_columns(table)
    lines += [f"Taking out every removable component together ({', '.join(f'`{c}`' for c in removed)}) "
              f"and retraining on the same splits: the combined model is {SIMPLIFIED_READING[Verdict(primary.verdict)]} "
              f"on {primary.metric} (Δ {fmt_num(primary.delta, True)}, CI [{fmt_num(getattr(primary, low), True)}, "
              f"{fmt_num(getattr(primary, high), True)}], p {fmt_num(primary.p_value)}).", ""]
    if pd.notna(primary.parameters_baseline):
        lines += [f"Parameters {fmt_num(primary.parameters_baseline)} → {fmt_num(primary.parameters_simplified)}; "
                  f"fit seconds per split {fmt_num(primary.fit_seconds_baseline)} → {fmt_num(primary.fit_seconds_simplified)}.", ""]
    lines += ["| metric | Δ | CI | p | verdict |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r.metric} | {fmt_num(r.delta, True)} | [{fmt_num(r.ci_low, True)}, {fmt_num(r.ci_high, True)}] | "
              f"{fmt_num(r.p_value)} | {r.verdict} |"
              for r in table.itertuples()]
    return lines + [""]
