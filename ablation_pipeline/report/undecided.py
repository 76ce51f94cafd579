"""Why a variant is inconclusive and what would decide it: the minimum detectable effect at the
design used and the splits a design would need, as a report section and as one line for the CLI."""

from __future__ import annotations

import math

import pandas as pd

from ..vocabulary import Verdict
from .formatting import fmt_num

MOSTLY = 0.5  # the CLI speaks up when more than this share of the primary metric's verdicts is inconclusive


def _inconclusive(comparison: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, int]:
    rows = comparison[(comparison["metric"].astype(str) == metric) & (comparison["verdict"].astype(str) != Verdict.FAILED)]
    return rows[rows["verdict"].astype(str) == Verdict.INCONCLUSIVE], len(rows)


def undecided_markdown(comparison: pd.DataFrame, metric: str, design: str) -> list[str]:
    """The report's section: per inconclusive variant, how small an effect the design can find and
    how many splits would decide it (empty when every variant is decided or the table has no detail)."""
    if "mde" not in comparison:
        return []
    open_rows, _ = _inconclusive(comparison, metric)
    if open_rows.empty:
        return []
    lines = [f"## What would decide the inconclusive variants ({metric})", "",
             f"At this design ({design}) a true Δ smaller than the minimum detectable effect (MDE: found with 80% power "
             "at the level the verdicts face) is likely to stay inconclusive. *Splits needed* is how many splits "
             "(whole repeats) would likely decide the variant if its estimated Δ were the truth; *out of reach* means no "
             "number of repeats would: the effect is closer to 0 and to the margin than cross-validation of this data "
             "can resolve (more rows, a wider `statistics.margin`, or accepting it as inconclusive).", "",
             "| variant | Δ | margin | MDE | splits used | splits needed |", "|---|---:|---:|---:|---:|---:|"]
    for r in open_rows.itertuples(index=False):
        needed = float(r.splits_to_decide)
        lines.append(f"| `{r.variant}` | {fmt_num(r.delta, True)} | {fmt_num(r.margin)} | {fmt_num(r.mde)} | {int(r.n_splits)} | "
                     f"{int(needed) if math.isfinite(needed) else 'out of reach'} |")
    return [*lines, ""]


def undecided_hint(comparison: pd.DataFrame, metric: str, folds: int) -> str | None:
    """One line when most verdicts on `metric` are inconclusive, saying what would decide them."""
    if "splits_to_decide" not in comparison:
        return None
    open_rows, decided_or_not = _inconclusive(comparison, metric)
    if not decided_or_not or len(open_rows) <= MOSTLY * decided_or_not:
        return None
    needed = pd.to_numeric(open_rows["splits_to_decide"], errors="coerce")
    reachable = needed[needed.notna() & (needed > open_rows["n_splits"])]
    line = f"{len(open_rows)} of {decided_or_not} variants are inconclusive on {metric}"
    if len(reachable):
        repeats = math.ceil(float(reachable.median()) / folds)
        line += (f"; {len(reachable)} would likely be decided with about {repeats} repeats of {folds} folds "
                 f"(evaluation.repeats: auto with max_repeats: {max(2, repeats)})")
    out_of_reach = int(needed.isna().sum())
    if out_of_reach:
        line += (f"; {out_of_reach} have effects too close to both 0 and the margin for this data to resolve "
                 "(a wider statistics.margin or more rows would decide them)")
    return line + "; see report.md"
