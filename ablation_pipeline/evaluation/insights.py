"""Views across variants that no single row shows: the retrain gap (a component's effect when the
model is retrained without it minus its effect knocked out at inference), dose-response sweeps,
and what each variant costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ablations.fitting import Outcome
from ..data.splits import Split
from ..vocabulary import Mode, Verdict

REFIT_MODES = tuple(mode.value for mode in Mode if mode.refits)  # retrained: drop, remove, sweep
COST_COLUMNS = ["variant", "n_parameters", "fit_seconds_per_split", "fit_cpu_seconds_per_split", "inference_ms_per_1000_rows"]


def computed(comparison: pd.DataFrame) -> pd.DataFrame:
    """The rows of variants that were computed (a failed one has no numbers to show)."""
    return comparison[comparison["verdict"] != Verdict.FAILED] if "verdict" in comparison else comparison


def retrain_gaps(comparison: pd.DataFrame, metric: str, factors: dict[str, float]) -> pd.DataFrame:
    """Rows pairing a refit variant with an inference-time variant of the same components."""
    rows = computed(comparison)
    rows = rows[(rows.metric == metric) & ~rows.variant.isin(factors)]
    refit = rows[rows["mode"].isin(REFIT_MODES)]
    inference = rows[~rows["mode"].isin(REFIT_MODES)]
    pairs = refit.merge(inference, on=["kind", "components"], suffixes=("_refit", "_inference"))
    return pd.DataFrame({
        "components": pairs["components"],
        "refit": pairs["variant_refit"],
        "inference": pairs["variant_inference"],
        "delta_refit": pairs["delta_refit"],
        "delta_inference": pairs["delta_inference"],
        "retrain_gap": pairs["delta_refit"] - pairs["delta_inference"],
    })


def dose_responses(comparison: pd.DataFrame, metric: str, factors: dict[str, float]) -> dict[str, pd.DataFrame]:
    """Per swept component: metric value (with its CI) against the factor, sorted by factor."""
    rows = computed(comparison)
    rows = rows[(rows.metric == metric) & rows.variant.isin(factors)].copy()
    rows["factor"] = rows.variant.map(factors)
    curves = {}
    for components, group in rows.groupby("components", sort=False):
        group = group.sort_values("factor")
        curves[components] = pd.DataFrame({
            "factor": group["factor"].to_numpy(),
            "value": group["variant_mean"].to_numpy(),
            "low": (group["baseline_mean"] + group["ci_low"]).to_numpy(),
            "high": (group["baseline_mean"] + group["ci_high"]).to_numpy(),
        })
    return curves


def retrained_costs(comparison: pd.DataFrame, costs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The retrained variants' rows of `metric` joined with their costs (an inference-time variant
    costs what the baseline costs, so only retrained ones can show a saving)."""
    rows = computed(comparison)
    return rows[(rows.metric == metric) & rows["mode"].isin(REFIT_MODES)].merge(costs, on="variant")


def cost_plot_shows(comparison: pd.DataFrame, costs: pd.DataFrame | None, metric: str,
                    simplified: pd.DataFrame | None = None) -> bool:
    """Whether a cost plot has more than the baseline to show: a retrained variant or the simplified
    model (a study of inference-time knock-outs alone would draw one star, 0.13 s of matplotlib)."""
    if costs is None or costs.empty:
        return False
    if not retrained_costs(comparison, costs, metric).empty:
        return True
    return simplified is not None and not simplified[simplified.metric == metric].empty


def cost_table(outcomes: list[Outcome], splits: list[Split]) -> pd.DataFrame:
    """Parameter count, fit seconds per split and inference milliseconds per 1,000 rows, per variant."""
    test_rows = {s.index: len(s.test) for s in splits}
    rows = []
    for outcome in (o for o in outcomes if not o.failed):
        sizes = [f.n_parameters for f in outcome.folds if getattr(f, "n_parameters", None) is not None]
        inference = [getattr(f, "predict_seconds", 0.0) / test_rows[f.split] * 1e6 for f in outcome.folds]
        rows.append((outcome.name, float(np.mean(sizes)) if sizes else np.nan,
                     float(np.mean([f.fit_seconds for f in outcome.folds])),
                     float(np.mean([getattr(f, "fit_cpu_seconds", 0.0) for f in outcome.folds])), float(np.mean(inference))))
    return pd.DataFrame(rows, columns=COST_COLUMNS)
