"""What the report states about a study besides its comparison table, and reading that table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..vocabulary import COMPARISON_COLUMNS, Direction

if TYPE_CHECKING:  # tables arrive as frames; nothing here needs pandas itself (the CLI reads without it)
    import pandas as pd


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
    design: str = ""  # the split plan in words (EvaluationSpec.design_text)
    test: str = "corrected_t"
    multiplicity: str = "discoveries"
    families: str = "mode"  # statistics.families: which variants share the essential/harmful error rate
    omnibus: dict[str, dict] | None = None
    factors: dict[str, float] = field(default_factory=dict)   # variant -> swept factor (scale sweeps)
    costs: pd.DataFrame | None = None                          # evaluation.insights.COST_COLUMNS
    simplified: pd.DataFrame | None = None                     # the accepted simplified model's rows (simplified.csv)
    extra_sections: tuple[str, ...] = ()                       # Markdown lines placed before the lineage


def check_columns(comparison: pd.DataFrame) -> None:
    missing = [c for c in COMPARISON_COLUMNS if c not in comparison.columns]
    if missing:
        raise ValueError(f"comparison table lacks column(s): {', '.join(missing)}")


def interval_columns(columns: Iterable[str]) -> tuple[str, str, bool]:
    """The interval to show, given a table's columns: adjusted like the verdicts when the table has it,
    else the unadjusted CI."""
    if {"ci_low_adjusted", "ci_high_adjusted"} <= set(columns):
        return "ci_low_adjusted", "ci_high_adjusted", True
    return "ci_low", "ci_high", False


def metrics_in_order(comparison: pd.DataFrame, primary: str) -> list[str]:
    seen = list(dict.fromkeys(str(m) for m in comparison["metric"]))
    if primary in seen:
        seen.remove(primary)
        seen.insert(0, primary)
    return seen


def rows_for(comparison: pd.DataFrame, metric: str) -> pd.DataFrame:
    return comparison.loc[comparison["metric"].astype(str) == str(metric)]


def direction_for(ctx: ReportContext, metric: str) -> Direction:
    try:
        return Direction.of(bool(ctx.higher_is_better[metric]))
    except KeyError:
        raise ValueError(f"higher_is_better has no entry for metric '{metric}'") from None
