"""Report sections beyond the per-metric tables: retrain gap, dose-response, costs, and the
simplified model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..evaluation.insights import cost_plot_shows, dose_responses, retrain_gaps
from ..vocabulary import Verdict
from .context import interval_columns
from .formatting import fmt_num


def insight_markdown(comparison: pd.DataFrame, primary: str, factors: dict[str, float],
                     costs: pd.DataFrame | None, simplified: pd.DataFrame | None = None) -> list[str]:
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
        lines += ["## Cost", "", "Fit seconds are the wall time of `fit` alone, in a worker that has fitted the model once "
                  "before (a fresh worker's imports are not the model's cost); CPU seconds count every thread.", "",
                  "| variant | parameters | fit s / split | fit CPU s / split | inference ms / 1,000 rows |", "|---|---:|---:|---:|---:|"]
        lines += [f"| `{r.variant}` | {'n/a' if pd.isna(r.n_parameters) else f'{r.n_parameters:,.0f}'} | "
                  f"{fmt_num(r.fit_seconds_per_split)} | {fmt_num(getattr(r, 'fit_cpu_seconds_per_split', np.nan))} | "
                  f"{fmt_num(r.inference_ms_per_1000_rows)} |" for r in costs.itertuples()]
        lines += ["", "![cost](costs.png)", ""] if cost_plot_shows(comparison, costs, primary, simplified) else [""]
    return lines


def saving_words(row) -> str:
    """What the fit times say, claimed only when the paired interval of the saving excludes 0."""
    low, high = getattr(row, "fit_seconds_saved_low", np.nan), getattr(row, "fit_seconds_saved_high", np.nan)
    interval = f"CI [{fmt_num(low, True)}, {fmt_num(high, True)}] s"
    if pd.notna(low) and low > 0:
        return f"saves {fmt_num(row.fit_seconds_saved)} s per split, {interval}"
    if pd.notna(high) and high < 0:
        return f"costs {fmt_num(-row.fit_seconds_saved)} s more per split, {interval}"
    return f"no measurable saving: {interval}" if pd.notna(low) and np.isfinite(low) else "no measurable saving"


def clusters_markdown(clusters: pd.DataFrame) -> list[str]:
    """The clusters of associated features that `features: clusters` ablates as one (clusters.csv)."""
    if clusters.empty:
        return []
    lines = ["## Feature clusters", "",
             "Features whose average absolute association (Spearman's ρ; η or Cramér's V for categorical columns) "
             "reaches the threshold are ablated together, one variant per cluster (also in clusters.csv).", "",
             "| entry | threshold | cluster | features | association |", "|---|---:|---:|---|---:|"]
    lines += [f"| {r.entry} | {fmt_num(r.threshold)} | {r.cluster} | `{r.features}` | {fmt_num(r.association)} |"
              for r in clusters.itertuples()]
    return [*lines, ""]


def notes_markdown(notes: list[str]) -> list[str]:
    """What the data let the model hardly learn from (data.dataset.data_notes)."""
    return ["## Data notes", "", *(f"- {note}" for note in notes), ""] if notes else []


DECISIVE = (Verdict.ESSENTIAL, Verdict.REMOVABLE, Verdict.HARMFUL)


def stability_markdown(comparison: pd.DataFrame, primary: str, factors: dict[str, float]) -> list[str]:
    """Components ablated in more than one way, with their verdict under each mode: the ablation type can
    change the conclusion (Li & Janson 2024), so a flip is flagged. Swept variants (factors) are left out."""
    rows = comparison[(comparison.metric == primary) & ~comparison.variant.isin(list(factors))]
    by_component = rows.groupby("components", sort=False)
    table = [(name, dict(zip(part["mode"].astype(str), part["verdict"].astype(str), strict=True)))
             for name, part in by_component if part["mode"].nunique() > 1]
    if not table:
        return []
    modes = list(dict.fromkeys(m for _, verdicts in table for m in verdicts))
    lines = ["## Verdict stability", "",
             f"Components ablated in more than one way, with their verdict on {primary} under each. **flips**: decisive "
             "verdicts disagree (the conclusion depends on how the component is taken out); *partly*: decided one way, "
             "undecided another.", "",
             f"| components | {' | '.join(modes)} | stability |", f"|---|{'---|' * len(modes)}---|"]
    for name, verdicts in table:
        decided = {v for v in verdicts.values() if v in DECISIVE}
        stability = "**flips**" if len(decided) > 1 else "*partly*" if len(set(verdicts.values())) > 1 else "stable"
        lines.append(f"| `{name}` | {' | '.join(verdicts.get(m, '–') for m in modes)} | {stability} |")
    return [*lines, ""]


#: What the accepted simplified model's verdict says (a step is kept only when it is non-inferior).
SIMPLIFIED_READING = {
    Verdict.REMOVABLE: "still non-inferior (worse by less than the margin, if at all)",
    Verdict.HARMFUL: "**better** than the baseline: the components taken out were costing performance together",
}


@dataclass(frozen=True)
class SimplifiedStep:
    """One step of the backward elimination: `tried` taken out on top of the earlier steps (together:
    `removed`), the reduced model's verdict against the baseline, and whether the step was kept."""

    tried: str
    removed: str
    verdict: str
    kept: bool
    delta: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    why: str = ""


def simplified_markdown(table: pd.DataFrame | None, removed: tuple[str, ...] | None, path: tuple[SimplifiedStep, ...] = (),
                        every_component: bool = False) -> list[str]:
    """The report's "Simplified model" section: `removed` lists what the accepted model takes out (None:
    switched off), `table` is simplified.csv (None when no step was accepted), `path` every step tried."""
    if removed is None:
        return []
    lines = ["## Simplified model", ""]
    if not path:
        return lines + ["No retrained variant was judged removable on the primary metric: nothing to take out together.", ""]
    if every_component:
        lines += ["Every retrained component was removable on its own; removals can interact, so they are taken out one "
                  "at a time below.", ""]
    lines += ["Backward elimination: the most clearly removable component is taken out, the model retrained on the same "
              "splits and tested against the baseline; while it stays non-inferior the next one follows, and the path "
              "stops at the first that does not (a fixed-sequence test: each accepted step holds at level α).", "",
              "| step | taken out | together | verdict | Δ | CI | kept |", "|---:|---|---|---|---:|---|---|"]
    lines += [f"| {i} | `{s.tried}` | `{s.removed}` | {s.verdict}{f' ({s.why})' if s.why else ''} | {fmt_num(s.delta, True)} | "
              f"[{fmt_num(s.ci_low, True)}, {fmt_num(s.ci_high, True)}] | {'yes' if s.kept else 'no'} |"
              for i, s in enumerate(path, 1)]
    lines.append("")
    if table is None:
        return lines + ["Not even the first removal held up when retrained and tested on its own: keep the full model.", ""]
    primary = table.iloc[0]
    low, high, _ = interval_columns(table.columns)
    stopped = next((s for s in path if not s.kept), None)
    lines += [f"The simplified model takes out {', '.join(f'`{c}`' for c in removed)}: it is "
              f"{SIMPLIFIED_READING[Verdict(primary.verdict)]} on {primary.metric} (Δ {fmt_num(primary.delta, True)}, "
              f"CI [{fmt_num(getattr(primary, low), True)}, {fmt_num(getattr(primary, high), True)}], p {fmt_num(primary.p_value)})"
              + (f"; taking out `{stopped.tried}` as well made it {stopped.verdict}, so `{stopped.tried}` stays." if stopped else ".")
              , ""]
    if pd.notna(primary.parameters_baseline):
        lines += [f"Parameters {fmt_num(primary.parameters_baseline)} → {fmt_num(primary.parameters_simplified)}; "
                  f"fit seconds per split {fmt_num(primary.fit_seconds_baseline)} → {fmt_num(primary.fit_seconds_simplified)} "
                  f"({saving_words(primary)}).", ""]
    lines += ["| metric | Δ | CI | p | verdict |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r.metric} | {fmt_num(r.delta, True)} | [{fmt_num(getattr(r, low), True)}, {fmt_num(getattr(r, high), True)}] | "
              f"{fmt_num(r.p_value)} | {r.verdict} |"
              for r in table.itertuples()]
    return lines + [""]
