"""Normalisation and aggregation (COINr's terms), the one kernel of the index.

Arrays are areas × indicators, or draws × areas × indicators: the nominal index is one draw of
many. The engine calls these with one draw, the robustness analysis with thousands, and both get
the same numbers (tests/test_engine.py holds the single index equal to draw 0 of a batch). NaN =
no data.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from layers.errors import EngineError

AREAS = -2  # the axis along which a column is scaled


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale each column to 0–1: the lowest area gets 0, the highest 1 (Stadskontoret's method)."""
    low, high = np.nanmin(x, axis=AREAS, keepdims=True), np.nanmax(x, axis=AREAS, keepdims=True)
    return (x - low) / np.where(high > low, high - low, 1.0)


def zscore(x: np.ndarray) -> np.ndarray:
    """Standard scores per column (population standard deviation); mean 0, sd 1."""
    mean, sd = np.nanmean(x, axis=AREAS, keepdims=True), np.nanstd(x, axis=AREAS, keepdims=True)
    return (x - mean) / np.where(sd > 0, sd, 1.0)


def rank(x: np.ndarray) -> np.ndarray:
    """Percentile rank per column in 0–1 (ties share their average rank)."""
    ranks = rankdata(x, axis=AREAS, nan_policy="omit")
    n = (~np.isnan(x)).sum(axis=AREAS, keepdims=True)
    return (ranks - 1) / np.maximum(n - 1, 1)


def ratio(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each value divided by the reference (city) value of its column; 1 = as the city."""
    reference = np.asarray(reference, dtype=float)
    if np.any(~(reference > 0)):
        raise EngineError("ratio normalisation needs a city value above 0 for every indicator")
    return x / reference


METHODS = {"minmax": minmax, "zscore": zscore, "rank": rank, "ratio": ratio}
AGGREGATIONS = ("arithmetic", "geometric")
GEOMETRIC_METHODS = ("minmax", "rank", "ratio")  # never below 0: what a geometric mean can take


def check_method(normalisation: str, aggregation: str) -> None:
    """Refuse an unknown method or a combination that cannot be computed, in plain words."""
    if normalisation not in METHODS:
        raise EngineError(f"unknown normalisation '{normalisation}' (choose {', '.join(METHODS)})")
    if aggregation not in AGGREGATIONS:
        raise EngineError(f"unknown aggregation '{aggregation}' (choose {', '.join(AGGREGATIONS)})")
    if aggregation == "geometric" and normalisation not in GEOMETRIC_METHODS:
        raise EngineError("geometric mean needs values ≥ 0: choose min–max, rank or ratio normalisation, not z-score",
                          text_key="method_geometric_zscore")


def normalise(x: np.ndarray, method: str, city: np.ndarray) -> np.ndarray:
    """Scale the columns of `x` (areas × indicators, or draws × areas × indicators) by `method`."""
    if method not in METHODS:
        raise EngineError(f"unknown normalisation '{method}' (choose {', '.join(METHODS)})")
    return ratio(x, city) if method == "ratio" else METHODS[method](x)


def aggregate(scaled: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Combine scaled columns with weights summing to 1; NaN where a weighted column is NaN.

    arithmetic: Σ wᵢ·sᵢ.  geometric: Π sᵢ^wᵢ (needs values ≥ 0; one zero gives 0).
    One draw: scaled areas × indicators, weights (indicators,) → (areas,). A batch: scaled
    (draws or 1) × areas × indicators, weights draws × indicators → draws × areas.
    """
    if method not in AGGREGATIONS:
        raise EngineError(f"unknown aggregation '{method}' (choose {', '.join(AGGREGATIONS)})")
    weights = np.asarray(weights, dtype=float)
    used = weights.reshape(-1, weights.shape[-1]).any(axis=0)
    s, w = scaled[..., used], weights[..., used]
    if method == "geometric":
        if np.nanmin(s) < 0:
            raise EngineError("geometric mean needs values ≥ 0: choose min–max, rank or ratio normalisation, not z-score",
                              text_key="method_geometric_zscore")
        with np.errstate(divide="ignore"):
            s = np.log(s)
    # Σ wᵢ·sᵢ in the same order for every element, one indicator at a time: a draw's index is then
    # the same to the last bit whether it is computed alone or in a batch (a matrix product's
    # summation order depends on the shapes, and a tie broken by the last bit is not a tie)
    if w.ndim == 1:
        term = lambda k: s[..., k] * w[k]  # noqa: E731
    elif s.shape[0] == 1:
        term = lambda k: np.multiply.outer(w[:, k], s[0, :, k])  # noqa: E731
    else:
        term = lambda k: s[..., k] * w[:, k, None]  # noqa: E731
    out = term(0) if w.shape[-1] else np.full(s.shape[:-1], np.nan)
    for k in range(1, w.shape[-1]):
        out += term(k)
    return np.exp(out) if method == "geometric" else out
