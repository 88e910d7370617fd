"""Normalisation of indicator columns (COINr's term); arrays are areas × indicators, NaN = no data."""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .errors import EngineError


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale each column to 0–1: the lowest area gets 0, the highest 1 (Stadskontoret's method)."""
    low, high = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    span = np.where(high > low, high - low, 1.0)
    return (x - low) / span


def zscore(x: np.ndarray) -> np.ndarray:
    """Standard scores per column (population standard deviation); mean 0, sd 1."""
    mean, sd = np.nanmean(x, axis=0), np.nanstd(x, axis=0)
    return (x - mean) / np.where(sd > 0, sd, 1.0)


def rank(x: np.ndarray) -> np.ndarray:
    """Percentile rank per column in 0–1 (ties share their average rank)."""
    out = np.full(x.shape, np.nan)
    for j in range(x.shape[1]):
        ok = ~np.isnan(x[:, j])
        n = ok.sum()
        if n:
            out[ok, j] = (rankdata(x[ok, j]) - 1) / max(n - 1, 1)
    return out


def ratio(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each value divided by the reference (city) value of its column; 1 = as the city."""
    reference = np.asarray(reference, dtype=float)
    if np.any(~(reference > 0)):
        raise EngineError("ratio normalisation needs a city value above 0 for every indicator")
    return x / reference


METHODS = {"minmax": minmax, "zscore": zscore, "rank": rank, "ratio": ratio}
AGGREGATIONS = ("arithmetic", "geometric")


def aggregate(scaled: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Combine scaled columns with weights summing to 1; NaN where a weighted column is NaN.

    arithmetic: Σ wᵢ·sᵢ.  geometric: Π sᵢ^wᵢ (needs values ≥ 0; one zero gives 0).
    """
    used = weights > 0
    s, w = scaled[:, used], weights[used]
    if method == "arithmetic":
        return s @ w
    if method == "geometric":
        if np.nanmin(s) < 0:
            raise EngineError("geometric mean needs values ≥ 0: choose min–max, rank or ratio normalisation, not z-score")
        with np.errstate(divide="ignore"):
            return np.exp(np.log(s) @ w)
    raise EngineError(f"unknown aggregation '{method}' (choose {', '.join(AGGREGATIONS)})")
