"""The omnibus test across all variants of one metric: a randomized-block ANOVA with the CV split
as the block."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import StatsInputError

# Sums of squares below this fraction of n * max|x|^2 are floating-point noise (ulp-level
# residue is ~1e-32 of that), not real variation.
_SS_REL_TOL = 1e-20


def _negligible(ss: float, scale: float) -> bool:
    return ss <= _SS_REL_TOL * scale


def blocked_anova(scores: pd.DataFrame) -> dict:
    """Omnibus randomized-block ANOVA `value ~ C(variant) + C(split)` for ONE metric.

    The CV split (repeat, fold) is the block, so split-to-split difficulty is removed from the
    error term. Needs >= 2 variants (baseline included) and >= 2 splits, each variant scored on
    every split exactly once (raises ValueError otherwise). Returns F, df_num, df_den, p_value
    for the variant term. The design is balanced and complete, so the least-squares fit has a closed
    form: the variant and block effects are the row and column means' deviations, and the F test is
    statsmodels' `anova_lm(typ=2)` row exactly (tests/stats check it against statsmodels' OLS). Fitting
    it through statsmodels cost every report step 0.1 s of imports (measured beside scipy.stats, already loaded).

    Degenerate cases (sums of squares at floating-point noise level, relative 1e-20), where
    statsmodels would report noise-driven or NaN F: no variant effect -> F = 0, p = 1 (this
    covers all scores identical); a variant effect with zero residual (perfectly consistent
    shifts) -> F = inf, p = 0.
    """
    missing = {"variant", "repeat", "fold", "value"} - set(scores.columns)
    if missing:
        raise StatsInputError(f"scores lack column(s): {', '.join(sorted(missing))}")
    if "metric" in scores.columns and scores["metric"].nunique() > 1:
        raise StatsInputError("blocked_anova takes the scores of one metric only")
    data = pd.DataFrame({
        "variant": scores["variant"].astype(str).to_numpy(),
        "split": scores.groupby(["repeat", "fold"], sort=True).ngroup().to_numpy(),
        "value": pd.to_numeric(scores["value"]).to_numpy(dtype=float),
    })
    if not np.all(np.isfinite(data["value"].to_numpy())):
        raise StatsInputError("scores contain NaN or infinite values")
    n_var, n_split = data["variant"].nunique(), data["split"].nunique()
    if n_var < 2 or n_split < 2:
        raise StatsInputError(
            f"blocked ANOVA needs >= 2 variants and >= 2 splits, got {n_var} and {n_split}"
        )
    counts = data.groupby(["variant", "split"]).size()
    if len(counts) != n_var * n_split or (counts != 1).any():
        raise StatsInputError("blocked ANOVA needs every variant scored exactly once on every split")

    from scipy.stats import f as f_distribution

    x = data.pivot(index="variant", columns="split", values="value").to_numpy()  # variants x splits, every cell once
    grand, by_variant, by_split = x.mean(), x.mean(axis=1, keepdims=True), x.mean(axis=0, keepdims=True)
    ss_var = float(n_split * np.sum((by_variant - grand) ** 2))
    ss_res = float(np.sum((x - by_variant - by_split + grand) ** 2))  # the additive model's residuals
    df_num, df_den = float(n_var - 1), float((n_var - 1) * (n_split - 1))
    scale = x.size * float(np.max(np.abs(x))) ** 2
    if _negligible(ss_var, scale):
        F, p = 0.0, 1.0
    elif _negligible(ss_res, scale):
        F, p = math.inf, 0.0
    else:
        F = (ss_var / df_num) / (ss_res / df_den)
        p = float(f_distribution.sf(F, df_num, df_den))
    return {"F": F, "df_num": df_num, "df_den": df_den, "p_value": p}
