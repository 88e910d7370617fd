"""Statistical disclosure control as Stadskontoret published it.

1. An area whose denominator is below the minimum takes its parent's value (the parent's own
   share, from summed counts) instead of its own.
2. Values below an indicator's `suppress_below` (percent) are shown as 0.
Every change is flagged so it can be reported.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def apply_disclosure(values: pd.DataFrame, denominators: pd.DataFrame, parent_values: pd.DataFrame,
                     suppress_below: dict[str, float | None], min_denominator: dict[str, int]):
    """Return (disclosed values, flags).

    `values`, `denominators`: areas × indicators (percent, persons). `parent_values`: the
    same columns, one row per area holding its parent's value. Flags is a frame of areas ×
    indicators with '' (unchanged), 'parent' (replaced by parent value) or 'suppressed'.
    """
    out = values.copy()
    flags = pd.DataFrame("", index=values.index, columns=values.columns)
    for key in values.columns:
        den = denominators[key]
        small = den.notna() & (den < min_denominator.get(key, 0)) & values[key].notna()
        out.loc[small, key] = parent_values.loc[small, key]
        flags.loc[small, key] = "parent"
        limit = suppress_below.get(key)
        if limit is not None:
            low = out[key].notna() & (out[key] < limit) & (out[key] > 0)
            out.loc[low, key] = 0.0
            flags.loc[low & ~small, key] = "suppressed"
            flags.loc[low & small, key] = "parent,suppressed"
    return out, flags


def disclosure_report(flags: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Long table of every disclosure change: code, name, indicator, change."""
    long = flags.stack()
    long = long[long != ""].reset_index()
    long.columns = ["code", "indicator", "change"]
    long.insert(1, "name", long["code"].map(names))
    return long


def numerators(values: pd.DataFrame, denominators: pd.DataFrame) -> pd.DataFrame:
    """Counts behind percentages: value × denominator / 100."""
    return values * denominators / 100.0


def share(numerator: pd.DataFrame, denominator: pd.DataFrame) -> pd.DataFrame:
    """Percent from counts; NaN where the denominator is 0 or missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * numerator / denominator.where(denominator > 0)
