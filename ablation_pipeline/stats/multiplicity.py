"""Adjusting p-values across the variants of one metric (statsmodels' `multipletests`)."""

from __future__ import annotations

import numpy as np

from ..errors import StatsInputError
from ..vocabulary import Correction


def adjust_pvalues(p_values, method: str = Correction.HOLM) -> np.ndarray:
    """Family-wise / FDR adjustment across variants via statsmodels `multipletests`.

    The method is always passed explicitly, because statsmodels' own default is Holm-Sidak,
    not Holm. Empty input gives an empty array.
    """
    from statsmodels.stats.multitest import multipletests

    if method not in Correction.names():
        raise StatsInputError(
            f"unknown p-value correction {method!r}; choose one of {', '.join(Correction.names())}"
        )
    p = np.asarray(p_values, dtype=float).ravel()
    if p.size == 0:
        return np.array([], dtype=float)
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise StatsInputError("p-values must be finite and within [0, 1]")
    return np.asarray(multipletests(p, method=method)[1], dtype=float)
