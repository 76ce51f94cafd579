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
    for the variant term: statsmodels' F test of the full model against the blocks alone (in this
    balanced design, `anova_lm(typ=2)`'s row; the design matrices are built directly, as the formula
    interface took ~0.4 s of a 150-variant report building them).

    Degenerate cases (sums of squares at floating-point noise level, relative 1e-20), where
    statsmodels would report noise-driven or NaN F: no variant effect -> F = 0, p = 1 (this
    covers all scores identical); a variant effect with zero residual (perfectly consistent
    shifts) -> F = inf, p = 0.
    """
    from statsmodels.regression.linear_model import OLS  # not statsmodels.api: its time series and graphics cost 0.3 s

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

    x = data["value"].to_numpy()
    blocks = pd.get_dummies(data["split"], prefix="split", drop_first=True, dtype=float).to_numpy()
    variants = pd.get_dummies(data["variant"], prefix="variant", drop_first=True, dtype=float).to_numpy()
    intercept = np.ones((x.size, 1))
    full = OLS(x, np.hstack([intercept, variants, blocks])).fit()
    blocks_only = OLS(x, np.hstack([intercept, blocks])).fit()
    F_test, p_test, df_diff = full.compare_f_test(blocks_only)
    df_num, df_den = float(df_diff), float(full.df_resid)
    ss_var, ss_res = float(blocks_only.ssr - full.ssr), float(full.ssr)
    scale = x.size * float(np.max(np.abs(x))) ** 2
    if _negligible(ss_var, scale):
        F, p = 0.0, 1.0
    elif _negligible(ss_res, scale):
        F, p = math.inf, 0.0
    else:
        F, p = float(F_test), float(p_test)
    return {"F": F, "df_num": df_num, "df_den": df_den, "p_value": p}
