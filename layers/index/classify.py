"""Class breaks for the choropleth (mapclassify): quantiles, equal intervals, natural breaks."""
from __future__ import annotations

import warnings

import mapclassify
import numpy as np

METHODS = ("quantiles", "equal_interval", "natural_breaks")
NATURAL_BREAKS_SAMPLE = 200  # Fisher–Jenks is O(n²): larger inputs use evenly spaced order statistics


def class_breaks(values: np.ndarray, method: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of up to `k` classes (last = maximum); NaN values are ignored."""
    x = np.sort(values[~np.isnan(values)])
    if len(x) == 0:
        return []
    k = max(1, min(k, len(np.unique(x))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns about ties and missing numba
        if method == "quantiles":
            bins = mapclassify.Quantiles(x, k=k).bins
        elif method == "equal_interval":
            bins = mapclassify.EqualInterval(x, k=k).bins
        elif method == "natural_breaks":
            sample = x if len(x) <= NATURAL_BREAKS_SAMPLE else x[np.linspace(0, len(x) - 1, NATURAL_BREAKS_SAMPLE).round().astype(int)]
            bins = mapclassify.FisherJenks(sample, k=k).bins
        else:
            raise ValueError(f"unknown classification '{method}' (choose {', '.join(METHODS)})")
    bins = np.unique(np.asarray(bins, dtype=float))
    bins[-1] = max(bins[-1], x[-1])
    return [float(b) for b in bins]


def classes_of(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    """Class number (0 = lowest) per value; -1 where there is no value."""
    out = np.searchsorted(np.asarray(breaks), values, side="left")
    out = np.minimum(out, len(breaks) - 1)
    return np.where(np.isnan(values), -1, out)
