"""The comparison table: per variant and metric, the corrected paired test against the baseline,
p-values adjusted across variants, the non-inferiority test and the verdict."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import StatsInputError
from ..vocabulary import COMPARISON_COLUMNS, EXTRA_COLUMNS, Correction
from .multiplicity import adjust_pvalues
from .paired import checked_ratio, corrected_paired_ttest, noninferiority_pvalue
from .verdicts import default_margin, verdict


def _split_series(frame: pd.DataFrame, what: str) -> pd.Series:
    s = frame.set_index(["repeat", "fold"])["value"]
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()][0]
        raise StatsInputError(f"{what} has more than one score for split (repeat, fold) = {dup}")
    return s.sort_index()


def compare_variants(scores: pd.DataFrame, variants: pd.DataFrame,
                     higher_is_better: Mapping[str, bool], test_train_ratio: float,
                     alpha: float = 0.05, correction: str = Correction.HOLM,
                     margins: Mapping[str, float | None] | None = None,
                     baseline: str = "baseline", extra_columns: bool = False) -> pd.DataFrame:
    """One row per (metric, variant): paired corrected t-test against the baseline, p-values
    adjusted across variants within each metric, a non-inferiority test, and a verdict.

    `scores`: long table (variant, repeat, fold, metric, value); `variants`: (variant, kind,
    mode, components), one row per variant in output order (a row for the baseline itself is
    skipped). Pairs by (repeat, fold); a variant whose splits differ from the baseline's raises
    ValueError. `margins[metric]` is an absolute non-inferiority margin; missing/None -> 1% of
    |baseline mean|, or ZERO_MARGIN_FALLBACK (1e-12) when that is 0. Rows follow metric order
    (first appearance in `scores`) then variant order. Columns are exactly COMPARISON_COLUMNS,
    plus EXTRA_COLUMNS (p_noninferiority, p_noninferiority_adjusted, margin) if extra_columns.
    kind / mode / components are copied as given. All statistics are finite for finite scores,
    except t and effect_size_dz, which are +-inf for a constant nonzero delta (never NaN).
    """
    need = {"variant", "repeat", "fold", "metric", "value"} - set(scores.columns)
    if need:
        raise StatsInputError(f"scores lack column(s): {', '.join(sorted(need))}")
    need = {"variant", "kind", "mode", "components"} - set(variants.columns)
    if need:
        raise StatsInputError(f"variants lack column(s): {', '.join(sorted(need))}")
    if correction not in Correction.names():
        raise StatsInputError(
            f"unknown p-value correction {correction!r}; choose one of {', '.join(Correction.names())}"
        )
    if not 0.0 < float(alpha) < 1.0:
        raise StatsInputError(f"alpha must be in (0, 1), got {alpha!r}")
    ratio = checked_ratio(test_train_ratio)
    margins = dict(margins or {})

    values = pd.to_numeric(scores["value"], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise StatsInputError("scores contain missing, non-numeric or infinite values")
    scores = scores.assign(value=values)

    vt = variants[variants["variant"] != baseline].reset_index(drop=True)
    if vt["variant"].duplicated().any():
        dup = vt.loc[vt["variant"].duplicated(), "variant"].iloc[0]
        raise StatsInputError(f"variant {dup!r} is listed more than once")
    known = set(vt["variant"]) | {baseline}
    unknown = sorted(set(scores["variant"]) - known, key=str)
    if unknown:
        raise StatsInputError(f"scores have variant(s) not in the variants table: {unknown}")
    if not (scores["variant"] == baseline).any():
        raise StatsInputError(f"scores have no rows for the baseline {baseline!r}")

    metrics = list(pd.unique(scores["metric"]))
    lacking = [m for m in metrics if m not in higher_is_better]
    if lacking:
        raise StatsInputError(f"higher_is_better has no direction for metric(s): {lacking}")

    rows: list[dict] = []
    for metric in metrics:
        hib = bool(higher_is_better[metric])
        ms = scores[scores["metric"] == metric]
        base = _split_series(ms[ms["variant"] == baseline], f"baseline {baseline!r} ({metric})")
        if len(base) < 2:
            raise StatsInputError(
                f"metric {metric!r}: the baseline has {len(base)} split(s); at least 2 are needed"
            )
        base_mean = float(base.mean())
        margin = margins.get(metric)
        if margin is None:
            margin = default_margin(base_mean)
        margin = float(margin)
        if not math.isfinite(margin) or margin <= 0:
            raise StatsInputError(f"metric {metric!r}: margin must be finite and > 0, got {margin!r}")

        block: list[dict] = []
        for v in vt.itertuples(index=False):
            var = _split_series(ms[ms["variant"] == v.variant], f"variant {v.variant!r} ({metric})")
            lost = base.index.difference(var.index)
            if len(lost):
                raise StatsInputError(
                    f"variant {v.variant!r} lacks {len(lost)} split(s) the baseline has for metric "
                    f"{metric!r}, e.g. (repeat, fold) = {lost[0]}"
                )
            extra = var.index.difference(base.index)
            if len(extra):
                raise StatsInputError(
                    f"variant {v.variant!r} has split(s) the baseline lacks for metric {metric!r}, "
                    f"e.g. (repeat, fold) = {extra[0]}"
                )
            var = var.reindex(base.index)
            deltas = var.to_numpy() - base.to_numpy()
            res = corrected_paired_ttest(deltas, ratio, alpha)
            block.append({
                "variant": v.variant, "kind": v.kind, "mode": v.mode, "components": v.components,
                "metric": metric, "baseline_mean": base_mean, "variant_mean": float(var.mean()),
                "delta": res.mean_delta, "ci_low": res.ci_low, "ci_high": res.ci_high,
                "t": res.t, "df": res.df, "p_value": res.p_value,
                "effect_size_dz": res.effect_size_dz, "n_splits": res.n_splits,
                "p_noninferiority": noninferiority_pvalue(deltas, ratio, margin, hib),
                "margin": margin, "reason": "",
            })
        p_adj = adjust_pvalues([r["p_value"] for r in block], correction)
        ni_adj = adjust_pvalues([r["p_noninferiority"] for r in block], correction)
        for r, pa, na in zip(block, p_adj, ni_adj, strict=True):
            r["p_adjusted"] = float(pa)
            r["p_noninferiority_adjusted"] = float(na)
            r["verdict"] = verdict(float(pa), float(na), r["delta"], hib, float(alpha))
        rows.extend(block)

    columns = [*COMPARISON_COLUMNS, *(EXTRA_COLUMNS if extra_columns else ())]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"df": "int64", "n_splits": "int64"})
