"""The comparison table as the terminal shows it, read from the result files with the csv module:
printing results needs neither pandas nor anything that computes them (a no-op run stays light)."""

from __future__ import annotations

import csv
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from ..report.context import interval_columns
from ..report.formatting import fmt_num, fmt_p, varies
from ..report.undecided import undecided_hint
from ..vocabulary import Verdict

VERDICT_STYLE = {Verdict.ESSENTIAL: "bold red", Verdict.HARMFUL: "bold magenta", Verdict.REMOVABLE: "green",
                 Verdict.INCONCLUSIVE: "yellow", Verdict.FAILED: "bold white on red"}
TEXT_COLUMNS = {"variant", "kind", "mode", "components", "metric", "verdict", "reason", "pair"}
NEEDED = {"variant", "metric", "baseline_mean", "variant_mean", "delta", "ci_low", "ci_high", "p_adjusted", "verdict"}

WIDE = 110  # below this many columns the table drops the two means and its side borders, and wraps names

Row = dict[str, object]


def read_rows(path: Path, needed: set[str]) -> list[Row] | None:
    """A result CSV's records, numbers as floats (an empty cell is NaN); None when the file is missing,
    damaged, cut short or lacks a needed column."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            records = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not records or not needed <= set(records[0]) or any(None in r or None in r.values() for r in records):
        return None  # no rows, a column missing, or a row with too many or too few cells
    return [{k: v if k in TEXT_COLUMNS else _float(v) for k, v in r.items()} for r in records]


def read_comparison(path: Path) -> list[Row] | None:
    """comparison.csv, or None when it is not a complete one (a file cut short, or not ours)."""
    rows = read_rows(path, NEEDED)
    return rows if rows is not None and all(isinstance(r["delta"], float) for r in rows) else None


def print_comparison(out: Console, table: list[Row], metric: str, folds: int) -> None:
    """The metric's table, and one line on what would decide it when most of it is inconclusive. In a
    narrow terminal (80 columns) it stays complete: the means go (delta is their difference) and long
    variant names wrap; numbers and verdicts are never cut. When variants took different numbers of
    splits (`repeats: auto`) a wide table shows them: each baseline mean is over its variant's splits."""
    rows = [r for r in table if r["metric"] == metric]
    low, high, adjusted = interval_columns(table[0])
    what = ("CI and p paired over the held-out rows" if folds == 1 else "CI and p corrected for repeated CV") + \
        (", both adjusted like the verdicts" if adjusted else "")
    compact = out.width < WIDE
    splits = not compact and varies(r.get("n_splits") for r in rows)
    view = Table(title=f"{metric}: variant - baseline ({what})", title_justify="left",
                 box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD, pad_edge=not compact)
    columns = ("variant", "delta", "CI", "p adj.", "verdict") if compact else \
        ("variant", *(("splits",) if splits else ()), "baseline", "variant mean", "delta", "CI", "p adj.", "verdict")
    for column in columns:
        view.add_column(column, justify="left" if column in ("variant", "verdict") else "right",
                        no_wrap=column != "variant", overflow="fold", min_width=8 if column == "variant" else None)
    for row in rows:
        means = () if compact else (fmt_num(row["baseline_mean"]), fmt_num(row["variant_mean"]))
        used = (fmt_num(row["n_splits"]),) if splits else ()
        view.add_row(
            row["variant"], *used, *means, fmt_num(row["delta"], signed=True),
            f"[{fmt_num(row[low], signed=True)}, {fmt_num(row[high], signed=True)}]", fmt_p(row["p_adjusted"]),
            f"[{VERDICT_STYLE.get(row['verdict'], '')}]{row['verdict']}[/]",
        )
    out.print(view)
    past = [r for r in rows if r["verdict"] == Verdict.REMOVABLE and isinstance(r.get("margin"), float)
            and max(abs(r[low]), abs(r[high])) > r["margin"]]
    if past:  # a removable row whose interval reaches past the margin reads as a contradiction without this
        out.print(f"removable {', '.join(r['variant'] for r in past)}: worse by less than the margin ({fmt_num(past[0]['margin'])}) "
                  "on its own one-sided test at α (comparison.csv: degradation_bound_adjusted); the CI is two-sided at the "
                  "level the essential claims are adjusted to, so it reaches further", highlight=False, soft_wrap=True)
    hint = undecided_hint(table, metric, folds)
    if hint:
        out.print(hint, highlight=False, soft_wrap=True)  # one line, however narrow the terminal


def print_interactions(out: Console, folder: Path, metric: str) -> None:
    """One line per interaction pair on `metric`, when the study has interactions.csv."""
    rows = read_rows(folder / "interactions.csv", {"pair", "mode", "metric", "interaction", "ci_low", "ci_high", "kind"})
    for row in rows or []:
        if row["metric"] == metric:
            out.print(f"interaction {row['pair']} ({row['mode']}): {row['kind']}, I = Δ_AB − Δ_A − Δ_B = "
                      f"{fmt_num(row['interaction'], signed=True)} [{fmt_num(row['ci_low'], signed=True)}, "
                      f"{fmt_num(row['ci_high'], signed=True)}]", highlight=False, soft_wrap=True)


def _float(text: str) -> float | str:
    try:
        return float(text) if text != "" else float("nan")
    except ValueError:
        return text
