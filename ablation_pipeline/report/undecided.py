"""Why a variant is inconclusive and what would decide it: the minimum detectable effect at the
design used and the splits a design would need, as a report section and as one line for the CLI."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..vocabulary import Verdict
from .formatting import fmt_num

if TYPE_CHECKING:
    import pandas as pd

MOSTLY = 0.5  # the CLI speaks up when more than this share of the primary metric's verdicts is inconclusive


def _inconclusive(rows: Sequence[Mapping], metric: str) -> tuple[list[Mapping], int]:
    """The inconclusive rows of `metric`, and how many of its rows were judged (failed ones were not)."""
    judged = [r for r in rows if str(r["metric"]) == metric and str(r["verdict"]) != Verdict.FAILED]
    return [r for r in judged if str(r["verdict"]) == Verdict.INCONCLUSIVE], len(judged)


def undecided_markdown(comparison: pd.DataFrame, metric: str, design: str, folds: int = 2) -> list[str]:
    """The report's section: per inconclusive variant, how small an effect the design can find and
    how many splits would decide it (empty when every variant is decided or the table has no detail); with
    `folds` 1 (one held-out split) how many times as many held-out rows would."""
    if "mde" not in comparison:
        return []
    open_rows, _ = _inconclusive(comparison.to_dict("records"), metric)
    if not open_rows:
        return []
    held_out = folds == 1  # one held-out split (evaluation.holdout): only more held-out rows would tell more
    intro = (f"On these rows ({design}) a true Δ smaller than the minimum detectable effect (MDE: found with 80% power at "
             "the level the verdicts face) is likely to stay inconclusive. *Held-out rows needed* is how many times as "
             "many held-out rows would likely decide the variant if its estimated Δ were the truth."
             if held_out else
             f"At this design ({design}) a true Δ smaller than the minimum detectable effect (MDE: found with 80% power "
             "at the level the verdicts face) is likely to stay inconclusive. *Splits needed* is how many splits "
             "(whole repeats) would likely decide the variant if its estimated Δ were the truth; *out of reach* means no "
             "number of repeats would: the effect is closer to 0 and to the margin than cross-validation of this data "
             "can resolve (more rows, a wider `statistics.margin`, or accepting it as inconclusive).")
    header = "| variant | Δ | margin | MDE | held-out rows needed |" if held_out else \
        "| variant | Δ | margin | MDE | splits used | splits needed |"
    lines = [f"## What would decide the inconclusive variants ({metric})", "", intro, "", header,
             "|---|---:|---:|---:|---:|" if held_out else "|---|---:|---:|---:|---:|---:|"]
    for r in open_rows:
        needed = _number(r["splits_to_decide"])
        shown = "out of reach" if not math.isfinite(needed) else f"{needed:.0f}x" if held_out else str(int(needed))
        used = "" if held_out else f"{int(r['n_splits'])} | "
        lines.append(f"| `{r['variant']}` | {fmt_num(r['delta'], True)} | {fmt_num(r['margin'])} | {fmt_num(r['mde'])} | "
                     f"{used}{shown} |")
    return [*lines, ""]


def undecided_hint(rows: Sequence[Mapping], metric: str, folds: int) -> str | None:
    """One line when most verdicts on `metric` are inconclusive, saying what would decide them (`rows`:
    comparison.csv's records, as the CLI reads them)."""
    if not rows or "splits_to_decide" not in rows[0]:
        return None
    open_rows, judged = _inconclusive(rows, metric)
    if not judged or len(open_rows) <= MOSTLY * judged:
        return None
    needed = [(_number(r["splits_to_decide"]), _number(r["n_splits"])) for r in open_rows]
    reachable = [n for n, used in needed if math.isfinite(n) and n > used]
    line = f"{len(open_rows)} of {judged} variants are inconclusive on {metric}"
    if reachable and folds == 1:  # one held-out split: only more held-out rows would tell more
        line += (f"; {len(reachable)} would likely be decided with about {statistics.median(reachable):.0f} times as many "
                 "held-out rows")
    elif reachable:
        repeats = math.ceil(statistics.median(reachable) / folds)
        line += (f"; {len(reachable)} would likely be decided with about {repeats} repeats of {folds} folds "
                 f"(evaluation.repeats: auto with max_repeats: {max(2, repeats)})")
    out_of_reach = sum(not math.isfinite(n) for n, _ in needed)
    if out_of_reach:
        line += (f"; {out_of_reach} have effects too close to both 0 and the margin for this data to resolve "
                 "(a wider statistics.margin or more rows would decide them)")
    return line + "; see report.md"


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
