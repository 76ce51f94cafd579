"""The comparison table as the terminal shows it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from ..report.context import interval_columns
from ..report.formatting import fmt_num, fmt_p
from ..report.undecided import undecided_hint
from ..vocabulary import Verdict

VERDICT_STYLE = {Verdict.ESSENTIAL: "bold red", Verdict.HARMFUL: "bold magenta", Verdict.REMOVABLE: "green",
                 Verdict.INCONCLUSIVE: "yellow", Verdict.FAILED: "bold white on red"}


WIDE = 110  # below this many columns the table drops the two means and its side borders, and wraps names


def print_comparison(out: Console, table: pd.DataFrame, metric: str, folds: int) -> None:
    """The metric's table, and one line on what would decide it when most of it is inconclusive. In a
    narrow terminal (80 columns) it stays complete: the means go (delta is their difference) and long
    variant names wrap; numbers and verdicts are never cut."""
    rows = table[table["metric"] == metric]
    low, high, adjusted = interval_columns(rows)
    what = "CI and p corrected for repeated CV" + (", both adjusted like the verdicts" if adjusted else "")
    compact = out.width < WIDE
    view = Table(title=f"{metric}: variant - baseline ({what})", title_justify="left",
                 box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD, pad_edge=not compact)
    columns = ("variant", "delta", "CI", "p adj.", "verdict") if compact else \
        ("variant", "baseline", "variant mean", "delta", "CI", "p adj.", "verdict")
    for column in columns:
        view.add_column(column, justify="left" if column in ("variant", "verdict") else "right",
                        no_wrap=column != "variant", overflow="fold", min_width=8 if column == "variant" else None)
    for row in rows.itertuples():
        means = () if compact else (fmt_num(row.baseline_mean), fmt_num(row.variant_mean))
        view.add_row(
            row.variant, *means, fmt_num(row.delta, signed=True),
            f"[{fmt_num(getattr(row, low), signed=True)}, {fmt_num(getattr(row, high), signed=True)}]", fmt_p(row.p_adjusted),
            f"[{VERDICT_STYLE.get(row.verdict, '')}]{row.verdict}[/]",
        )
    out.print(view)
    hint = undecided_hint(table, metric, folds)
    if hint:
        out.print(hint, highlight=False, soft_wrap=True)  # one line, however narrow the terminal


def print_interactions(out: Console, folder: Path, metric: str) -> None:
    """One line per interaction pair on `metric`, when the study has interactions.csv."""
    path = folder / "interactions.csv"
    try:
        table = pd.read_csv(path)
    except (FileNotFoundError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return
    if not {"pair", "mode", "metric", "interaction", "ci_low", "ci_high", "kind"} <= set(table.columns):
        return
    for row in table[table["metric"] == metric].itertuples():
        out.print(f"interaction {row.pair} ({row.mode}): {row.kind}, I = Δ_AB − Δ_A − Δ_B = {fmt_num(row.interaction, signed=True)} "
                  f"[{fmt_num(row.ci_low, signed=True)}, {fmt_num(row.ci_high, signed=True)}]", highlight=False, soft_wrap=True)
